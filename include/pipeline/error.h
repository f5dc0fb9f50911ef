/*
 * Pipeline client library: the one error type.
 *
 * Every function that can fail takes a pl_error * (NULL is allowed) and
 * returns -1 (or NULL) on failure with the error filled in: a code that
 * says what kind of failure it was (it decides, for example, the exit
 * code of the `pipeline` tool) and a message a user can act on.
 */
#ifndef PIPELINE_PUBLIC_ERROR_H
#define PIPELINE_PUBLIC_ERROR_H

/* Marks what the shared library exports; everything else is hidden. */
#ifndef PL_EXPORT
#if defined(__GNUC__)
#define PL_EXPORT __attribute__((visibility("default")))
#else
#define PL_EXPORT
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pl_code {
    PL_OK = 0,
    PL_ERR_USAGE,     /* bad argument */
    PL_ERR_CONFIG,    /* configuration file or value (a bad key, address) */
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
    /* The server's Status code (pipeline.v1.Code, in the spirit of gRPC's
     * canonical codes: 5 NOT_FOUND, 7 PERMISSION_DENIED...) when the
     * server refused a call (PL_ERR_REMOTE, PL_ERR_AUTH); 0 otherwise. */
    int status;
    char msg[512]; /* what went wrong, for a person */
} pl_error;

/* A short name for a code ("timed out"); never NULL. */
PL_EXPORT const char *pl_strerror(pl_code code);

#ifdef __cplusplus
}
#endif

#endif
