#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[PL_ERR__COUNT] = {
    [PL_OK] = "success",
    [PL_ERR_USAGE] = "usage error",
    [PL_ERR_CONFIG] = "configuration error",
    [PL_ERR_IO] = "input/output error",
    [PL_ERR_CONNECT] = "cannot connect",
    [PL_ERR_TIMEOUT] = "timed out",
    [PL_ERR_CLOSED] = "connection closed by peer",
    [PL_ERR_HANDSHAKE] = "handshake failed",
    [PL_ERR_AUTH] = "authentication failed",
    [PL_ERR_PROTOCOL] = "protocol error",
    [PL_ERR_REMOTE] = "server reported an error",
    [PL_ERR_NOMEM] = "out of memory",
    [PL_ERR_INTERNAL] = "internal error",
};

const char *pl_strerror(pl_code code)
{
    if ((unsigned)code >= PL_ERR__COUNT)
        return "unknown error";
    return names[code];
}

__attribute__((format(printf, 4, 0))) static void
vset(pl_error *e, pl_code code, int errnum, const char *fmt, va_list ap)
{
    if (!e)
        return;
    e->code = code;
    e->status = 0;
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (errnum && n >= 0 && (size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s",
                 strerror(errnum));
}

int pl_fail(pl_error *e, pl_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(e, code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int pl_fail_errno(pl_error *e, pl_code code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(e, code, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

void pl_error_clear(pl_error *e)
{
    if (e) {
        e->code = PL_OK;
        e->status = 0;
        e->msg[0] = '\0';
    }
}
