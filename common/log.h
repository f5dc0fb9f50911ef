/* Server-side logging: one line per event on stderr, safe from any thread.
 * Every line goes through pl_escape (escape.h): peer bytes in the
 * arguments can never break a line or reach the terminal raw. */
#ifndef PIPELINE_LOG_H
#define PIPELINE_LOG_H

#include "error.h"

void pl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends the log (and this process's stdout and stderr, which detached
 * commands inherit) to path, appending; again after logrotate moved it
 * (SIGHUP). The path is kept for pl_log_reopen. */
int pl_log_open(const char *path, pl_error *err);
int pl_log_reopen(pl_error *err);

#endif
