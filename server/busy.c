#include "busy.h"

#include "channel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pl_busy_add(pl_busy_set *b, int fd)
{
    static const char busy[] = "error: server busy: too many "
                               "connections, try again later";
    unsigned char msg[2 + sizeof busy - 1] = {0, sizeof busy - 1};
    memcpy(msg + 2, busy, sizeof busy - 1);
    /* The socket is fresh and non-blocking: this short send either fits
     * or fails, it never waits. */
    ssize_t n = pl_fd_send(fd, msg, sizeof msg);
    if (n <= 0 || shutdown(fd, SHUT_WR) != 0 || b->n == PL_BUSY_MAX) {
        close(fd);
        return;
    }
    b->peer[b->n++] =
        (pl_busy_peer){.fd = fd, .deadline_ms = mono_ms() + PL_BUSY_MS};
}

int pl_busy_pollfds(const pl_busy_set *b, struct pollfd *p)
{
    for (int i = 0; i < b->n; i++)
        p[i] = (struct pollfd){.fd = b->peer[i].fd, .events = POLLIN};
    return b->n;
}

int pl_busy_timeout(const pl_busy_set *b, int max_ms)
{
    long long now = mono_ms();
    int t = max_ms;
    for (int i = 0; i < b->n; i++) {
        long long left = b->peer[i].deadline_ms - now;
        if (left < 0)
            left = 0;
        if (left < t)
            t = (int)left;
    }
    return t;
}

/* Reads once from a ready peer: 1 when it is done with. */
static int drain_once(pl_busy_peer *bp)
{
    char sink[4096];
    ssize_t r = read(bp->fd, sink, sizeof sink);
    if (r > 0) {
        bp->got += (size_t)r;
        return bp->got >= PL_BUSY_BYTES;
    }
    return r == 0 || (errno != EINTR && errno != EAGAIN);
}

void pl_busy_service(pl_busy_set *b, const struct pollfd *p, int np)
{
    long long now = mono_ms();
    /* p[i] matches peer[i] as it was filled; compact as we go. */
    int keep = 0;
    for (int i = 0; i < b->n; i++) {
        pl_busy_peer bp = b->peer[i];
        int done = now >= bp.deadline_ms;
        if (!done && i < np && p[i].revents)
            done = drain_once(&bp);
        if (done)
            close(bp.fd);
        else
            b->peer[keep++] = bp;
    }
    b->n = keep;
}

void pl_busy_clear(pl_busy_set *b)
{
    for (int i = 0; i < b->n; i++)
        close(b->peer[i].fd);
    b->n = 0;
}
