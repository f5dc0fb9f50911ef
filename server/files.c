/* File handlers (placeholders until the file calls land). */
#include "session.h"

static int unimplemented(pl_session *s, pl_frame *req, const char *what)
{
    pl_frame_free(req);
    pl_channel_send_status(&s->ch, PIPELINE__V1__CODE__CODE_UNIMPLEMENTED,
                           "%s is not implemented by this server yet", what);
    return -1;
}

int pl_handle_put_file(pl_session *s, pl_frame *req)
{
    return unimplemented(s, req, "put-file");
}
int pl_handle_get_file(pl_session *s, pl_frame *req)
{
    return unimplemented(s, req, "get-file");
}
int pl_handle_put_dir(pl_session *s, pl_frame *req)
{
    return unimplemented(s, req, "put-dir");
}
int pl_handle_get_dir(pl_session *s, pl_frame *req)
{
    return unimplemented(s, req, "get-dir");
}
