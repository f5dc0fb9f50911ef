#include "log.h"

#include "escape.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static char log_path[PATH_MAX];

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

int pl_log_open(const char *path, pl_error *err)
{
    snprintf(log_path, sizeof log_path, "%s", path);
    return pl_log_reopen(err);
}

int pl_log_reopen(pl_error *err)
{
    if (!log_path[0])
        return 0;
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                             "cannot open log file %s", log_path);
    /* dup2 swaps the descriptors atomically: no line is lost or torn. */
    fflush(stdout);
    fflush(stderr);
    int rc = dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0;
    int e = errno;
    close(fd);
    if (rc)
        return pl_fail_errno(err, PL_ERR_CONFIG, e, "cannot use log file %s",
                             log_path);
    return 0;
}
