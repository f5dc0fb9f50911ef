#include "log.h"
#include "session.h"

#include <time.h>

int pl_handle_ping(pl_session *s, pl_frame *req)
{
    size_t len = req->ping->payload.len;
    if (len > PL_PING_PAYLOAD_MAX) {
        /* The echo would not fit one frame: refuse the call, keep the
         * connection. */
        pl_log("%s: ping from %s refused: payload of %zu bytes", s->peer,
               s->client_key, len);
        pl_frame_free(req);
        return pl_channel_send_status(
            &s->ch, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
            "ping payload of %zu bytes is too long (at most %d)", len,
            PL_PING_PAYLOAD_MAX);
    }
    Pipeline__V1__PingResult r = PIPELINE__V1__PING_RESULT__INIT;
    r.payload = req->ping->payload;
    r.software = "pipeline " PIPELINE_VERSION;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r.server_time_unix_ns =
        (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PING_RESULT;
    f.ping_result = &r;
    pl_error err;
    int rc = pl_channel_send(&s->ch, &f, &err);
    if (rc)
        pl_log("%s: ping from %s: cannot answer: %s", s->peer, s->client_key,
               err.msg);
    else
        pl_log("%s: ping from %s", s->peer, s->client_key);
    pl_frame_free(req);
    return rc;
}
