/* Exec handler (placeholder until the exec call lands). */
#include "session.h"

int pl_handle_exec(pl_session *s, pl_frame *req)
{
    pl_frame_free(req);
    pl_channel_send_status(&s->ch, PIPELINE__V1__CODE__CODE_UNIMPLEMENTED,
                           "exec is not implemented by this server yet");
    return -1;
}
