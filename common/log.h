/* Server-side logging: one line per event on stderr, safe from any thread.
 * Every line goes through pl_escape (escape.h): peer bytes in the
 * arguments can never break a line or reach the terminal raw. */
#ifndef PIPELINE_LOG_H
#define PIPELINE_LOG_H

void pl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
