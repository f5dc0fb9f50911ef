/* One client connection after the handshake: the call loop and what the
 * call handlers are given. */
#ifndef PIPELINE_SESSION_H
#define PIPELINE_SESSION_H

#include "channel.h"
#include "keys.h"
#include "server.h"

/* Largest PingRequest payload the server echoes: the PingResult around it
 * must fit one frame (PL_FRAME_MAX). Longer ones get a Status. */
#define PL_PING_PAYLOAD_MAX 65000

typedef struct pl_session {
    pl_server *srv;
    const pl_config *cfg;
    char client_key[PL_KEY_B64_LEN + 1];
    char peer[128];
    pl_channel ch; /* last: its buffers are never zeroed (pl_channel_init) */
} pl_session;

/* Runs a connection from accept to close; takes ownership of fd. */
void pl_session_serve(pl_server *srv, int fd, const char *peer);

/* A handler runs one call to its end. It returns 0 when the connection can
 * carry another call, -1 when it must be closed. It owns req. */
typedef int (*pl_handler)(pl_session *s, pl_frame *req);

int pl_handle_ping(pl_session *s, pl_frame *req);
int pl_handle_exec(pl_session *s, pl_frame *req);
int pl_handle_put_file(pl_session *s, pl_frame *req);
int pl_handle_get_file(pl_session *s, pl_frame *req);
int pl_handle_put_dir(pl_session *s, pl_frame *req);
int pl_handle_get_dir(pl_session *s, pl_frame *req);

/* Stops running commands (TERM, then KILL after the grace period) when the
 * server shuts down. */
void pl_exec_shutdown(void);

#endif
