#include "filetime.h"

#include "status.h"

int pl_filetime_from_wire(const Pipeline__V1__FileTime *ft, struct timespec *ts,
                          const char *label, pl_error *err)
{
    if (ft->nsec >= 1000000000u)
        return pl_fail_status(err, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                              "%s: invalid modification time: %u "
                              "nanoseconds (must be below 1000000000)",
                              label, (unsigned)ft->nsec);
    ts->tv_sec = (time_t)ft->sec;
    ts->tv_nsec = (long)ft->nsec;
    return 0;
}

void pl_filetime_to_wire(const struct timespec *ts, Pipeline__V1__FileTime *ft)
{
    pipeline__v1__file_time__init(ft);
    ft->sec = (int64_t)ts->tv_sec;
    ft->nsec = (uint32_t)ts->tv_nsec;
}
