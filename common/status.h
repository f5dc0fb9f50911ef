/*
 * Errors that end a call: besides the pl_error code they carry the wire
 * Status code (pipeline.v1.Code) the peer is told.
 */
#ifndef PIPELINE_STATUS_H
#define PIPELINE_STATUS_H

#include "error.h"

/* The wire Code that describes errno e. */
int pl_code_for_errno(int e);
/* PL_ERR_IO with "label: strerror(e)" and the matching wire code. */
int pl_fail_io(pl_error *err, int e, const char *label);
/* PL_ERR_IO with the given wire code and message. */
int pl_fail_status(pl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
