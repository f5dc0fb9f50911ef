#include "status.h"

#include "pipeline.pb-c.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int pl_code_for_errno(int e)
{
    switch (e) {
    case ENOENT:
        return PIPELINE__V1__CODE__CODE_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
    case EXDEV:
        return PIPELINE__V1__CODE__CODE_PERMISSION_DENIED;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
        return PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED;
    case EISDIR:
    case ENOTDIR:
    case EEXIST:
    case ENOTEMPTY:
    case ELOOP:
    case ETXTBSY:
    case EBUSY:
        return PIPELINE__V1__CODE__CODE_FAILED_PRECONDITION;
    case ENAMETOOLONG:
    case EINVAL:
        return PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT;
    default:
        return PIPELINE__V1__CODE__CODE_UNKNOWN;
    }
}

int pl_fail_io(pl_error *err, int e, const char *label)
{
    pl_fail_errno(err, PL_ERR_IO, e, "%s", label);
    if (err)
        err->status = pl_code_for_errno(e);
    return -1;
}

int pl_fail_status(pl_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = PL_ERR_IO;
    err->status = code;
    return -1;
}
