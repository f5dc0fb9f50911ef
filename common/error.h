/*
 * The one error type of the project. Every failing function fills a
 * pl_error with a code (what kind of failure, which decides exit codes and
 * wire Status codes) and a message a user can act on. The type itself is
 * public (include/pipeline/error.h); the helpers that fill it are not.
 */
#ifndef PIPELINE_ERROR_H
#define PIPELINE_ERROR_H

#include <pipeline/error.h>

#include <stddef.h>

/* Sets e (when not NULL) and returns -1 so callers can `return pl_fail(...)`.
 */
int pl_fail(pl_error *e, pl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like pl_fail, appending ": strerror(errnum)". */
int pl_fail_errno(pl_error *e, pl_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pl_error_clear(pl_error *e);

#endif
