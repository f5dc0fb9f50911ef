/*
 * Modification times on the wire (FileTime: seconds and nanoseconds since
 * the Unix epoch). Both ends check what arrives before using it: a
 * nanosecond count of a second or more is refused, never passed on to
 * the kernel (which would fail with EINVAL, or be read as UTIME_NOW or
 * UTIME_OMIT).
 */
#ifndef PIPELINE_FILETIME_H
#define PIPELINE_FILETIME_H

#include "error.h"
#include "pipeline.pb-c.h"

#include <time.h>

/* ts from a wire time; label names the file in the error
 * (CODE_INVALID_ARGUMENT). */
int pl_filetime_from_wire(const Pipeline__V1__FileTime *ft, struct timespec *ts,
                          const char *label, pl_error *err);
/* A stat time for the wire. */
void pl_filetime_to_wire(const struct timespec *ts, Pipeline__V1__FileTime *ft);

#endif
