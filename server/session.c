#include "session.h"

#include "active.h"

#include "handshake.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* After a refusal Status: closing at once would make the client's next
 * write fail (EPIPE on a unix socket, a reset on TCP) before it reads the
 * Status, and it would report "connection closed" instead of the reason.
 * So stop writing, then read and discard until the client hangs up, for a
 * bounded time and amount. */
static void linger_after_status(pl_channel *ch)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (shutdown(ch->fd, SHUT_WR) < 0)
        return;
    char buf[4096];
    size_t total = 0;
    while (total < (1u << 20)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = 2000 - ((t.tv_sec - t0.tv_sec) * 1000 +
                            (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || pl_wait_fd(ch->fd, POLLIN, (int)left, NULL))
            return;
        ssize_t n = read(ch->fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return;
        if (n > 0)
            total += (size_t)n;
    }
}

static pl_handler handler_for(int body_case)
{
    switch (body_case) {
    case PIPELINE__V1__FRAME__BODY_PING:
        return pl_handle_ping;
    case PIPELINE__V1__FRAME__BODY_EXEC:
        return pl_handle_exec;
    case PIPELINE__V1__FRAME__BODY_PUT_FILE:
        return pl_handle_put_file;
    case PIPELINE__V1__FRAME__BODY_GET_FILE:
        return pl_handle_get_file;
    case PIPELINE__V1__FRAME__BODY_PUT_DIR:
        return pl_handle_put_dir;
    case PIPELINE__V1__FRAME__BODY_GET_DIR:
        return pl_handle_get_dir;
    default:
        return NULL;
    }
}

static int authorize(pl_session *s)
{
    const char *path = s->cfg->authorized_keys;
    if (!path)
        return 0;
    pl_error err;
    int rc = pl_authorized_keys_contains(path, s->ch.remote_key, &err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        int e = errno;
        pl_log("%s: refusing client %s: %s", s->peer, s->client_key, err.msg);
        if (e == EMFILE || e == ENFILE)
            pl_channel_send_status(
                &s->ch, PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED,
                "the server has too many open files; try again later");
        else
            pl_channel_send_status(&s->ch, PIPELINE__V1__CODE__CODE_UNAVAILABLE,
                                   "the server cannot read its authorized "
                                   "keys file");
        linger_after_status(&s->ch);
        return -1;
    }
    pl_log("%s: refused client key %s: not in %s", s->peer, s->client_key,
           path);
    pl_channel_send_status(&s->ch, PIPELINE__V1__CODE__CODE_UNAUTHENTICATED,
                           "client key %s is not authorized on this server",
                           s->client_key);
    linger_after_status(&s->ch);
    return -1;
}

void pl_session_serve(pl_server *srv, int fd, const char *peer)
{
    /* Not calloc: the channel's 128 KiB of buffers need no zeroing, and
     * from a thread's arena calloc would clear (fault in) every page. */
    pl_session *s = malloc(sizeof *s);
    if (!s) {
        close(fd);
        return;
    }
    memset(s, 0, offsetof(pl_session, ch));
    s->srv = srv;
    s->cfg = srv->cfg;
    snprintf(s->peer, sizeof s->peer, "%s", peer);
    pl_channel_init(&s->ch, fd, srv->cfg->handshake_timeout_ms);
    pl_channel_set_deadline(&s->ch, srv->cfg->handshake_timeout_ms);
    snprintf(s->ch.peer, sizeof s->ch.peer, "%s", peer);
    pl_error err;
    Pipeline__V1__Hello *hello = NULL;
    pl_attest_doc *doc =
        srv->attestation ? pl_attestation_get(srv->attestation) : NULL;
    int hs = pl_handshake_server_attested(&s->ch, srv->key.priv,
                                          doc ? doc->data : NULL,
                                          doc ? doc->len : 0, &hello, &err);
    if (doc)
        pl_attestation_put(srv->attestation, doc);
    if (hs) {
        pl_log("%s: handshake failed: %s", peer, err.msg);
        goto out;
    }
    s->ch.deadline_ms = 0;
    pl_key_to_base64(s->ch.remote_key, s->client_key);
    pl_log("%s: connected: client key %s, %s, %s", peer, s->client_key,
           hello->software[0] ? hello->software : "unknown software",
           noise_cipher_name(s->ch.cipher));
    pipeline__v1__hello__free_unpacked(hello, NULL);
    if (authorize(s))
        goto out;
    /* Between calls the client may sit idle as long as configured. */
    s->ch.timeout_ms =
        srv->cfg->idle_timeout_ms ? srv->cfg->idle_timeout_ms : -1;
    for (;;) {
        pl_frame *req = NULL;
        if (pl_channel_recv(&s->ch, &req, &err)) {
            if (err.code != PL_ERR_CLOSED) {
                pl_log("%s: closing: %s", peer, err.msg);
                if (err.code == PL_ERR_PROTOCOL) {
                    pl_channel_send_status(
                        &s->ch, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT, "%s",
                        err.msg);
                    linger_after_status(&s->ch);
                }
            }
            break;
        }
        /* A signal sent just as the previous command ended may cross its
         * result: it has nothing left to act on. */
        if (req->body_case == PIPELINE__V1__FRAME__BODY_SIGNAL) {
            pl_frame_free(req);
            continue;
        }
        pl_handler h = handler_for(req->body_case);
        if (!h) {
            pl_log("%s: closing: a call cannot start with %s", peer,
                   pl_frame_name(req->body_case));
            pl_channel_send_status(&s->ch,
                                   PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT,
                                   "a call cannot start with a %s frame",
                                   pl_frame_name(req->body_case));
            pl_frame_free(req);
            linger_after_status(&s->ch);
            break;
        }
        /* Handlers pick their own timeouts; restore ours afterwards. */
        int saved = s->ch.timeout_ms;
        pl_active call;
        pl_active_begin(&call, peer, req);
        int rc = h(s, req);
        pl_active_end(&call);
        s->ch.timeout_ms = saved;
        if (rc)
            break;
    }
out:
    pl_log("%s: disconnected", peer);
    pl_channel_close(&s->ch);
    free(s);
}
