/*
 * The one error type of the project. Every failing function fills a
 * pl_error with a code (what kind of failure, which decides exit codes and
 * wire Status codes) and a message a user can act on.
 */
#ifndef PIPELINE_ERROR_H
#define PIPELINE_ERROR_H

#include <stddef.h>

typedef enum pl_code {
    PL_OK = 0,
    PL_ERR_USAGE,     /* bad flag or argument */
    PL_ERR_CONFIG,    /* configuration file or value */
    PL_ERR_IO,        /* local file system or pipe */
    PL_ERR_CONNECT,   /* could not reach the peer */
    PL_ERR_TIMEOUT,   /* the peer did not answer in time */
    PL_ERR_CLOSED,    /* the peer closed the connection */
    PL_ERR_HANDSHAKE, /* negotiation or Noise handshake failed */
    PL_ERR_AUTH,      /* a key was refused (ours or theirs) */
    PL_ERR_PROTOCOL,  /* malformed or unexpected frame */
    PL_ERR_REMOTE,    /* the server answered a call with an error Status */
    PL_ERR_NOMEM,
    PL_ERR_INTERNAL,
    PL_ERR__COUNT
} pl_code;

typedef struct pl_error {
    pl_code code;
    int status; /* wire Status code when code == PL_ERR_REMOTE */
    char msg[512];
} pl_error;

const char *pl_strerror(pl_code code);

/* Sets e (when not NULL) and returns -1 so callers can `return pl_fail(...)`.
 */
int pl_fail(pl_error *e, pl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like pl_fail, appending ": strerror(errnum)". */
int pl_fail_errno(pl_error *e, pl_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pl_error_clear(pl_error *e);

#endif
