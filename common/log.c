#include "log.h"

#include "escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void pl_log(const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n,
                  ".%03ldZ pipeline: ", ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* Arguments carry peer bytes (a client's Hello, argv, paths, error
     * texts quoting them): escape the whole line, so no peer can end it
     * early, forge another, or write terminal escapes or invalid UTF-8
     * into the log. Our own text is printable ASCII and stays as is. */
    char shown[4 * sizeof line + 8];
    pl_escape_str(line, shown, sizeof shown);
    /* One fprintf per line: stdio locks the stream, so lines never mix. */
    fprintf(stderr, "%s\n", shown);
}
