#include "server.h"

#include "active.h"
#include "atomic_file.h"
#include "busy.h"
#include "channel.h"
#include "dirstream.h"
#include "log.h"
#include "session.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, hup_requested;

/* The signals that stop the server (SIGHUP: or reopen its log). They are
 * blocked from the start of `listen` (pl_server_block_signals) and taken
 * only inside the accept loop's ppoll, with its mask: one that arrives at
 * any moment of start-up waits, pending, and ends the first wait at once;
 * one that arrives between the loop's check of the flag and its wait
 * cannot be lost; and none lands in a connection thread, whose mask
 * keeps them blocked. */
static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void pl_server_block_signals(void)
{
    sigset_t set;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void on_stop(int sig)
{
    stop_requested = sig;
}

static void on_hup(int sig)
{
    (void)sig;
    hup_requested = 1;
}

static void log_removed(const char *label, uint64_t bytes)
{
    pl_log("stopping: removed the unfinished upload of %s (%llu bytes "
           "received)",
           label, (unsigned long long)bytes);
}

static void log_modes(const char *label, size_t dirs)
{
    pl_log("stopping: put-dir %s: gave %zu director%s their modes", label, dirs,
           dirs == 1 ? "y" : "ies");
}

/* Each connection thread allocates from one of glibc's per-thread arenas,
 * and a new arena heap starts with 128 KiB of padding that the first
 * buffers (a session holds two 64 KiB frame buffers; streams add one) are
 * carved from. Freed, that memory stays in the arena's top chunk, which
 * malloc_trim never returns for arenas other than the main one; and once a
 * large block is freed, glibc raises its mmap threshold to that size, so
 * later large buffers come from the arenas too. After a burst of clients
 * every arena held about 260 KiB: 2-4 MiB in all. So: no padding, a fixed
 * threshold below the buffer size (large buffers are mapped and unmapped
 * with the call that uses them; the page faults cost microseconds against
 * a handshake's milliseconds), and a few arenas, enough for threads that
 * mostly wait on sockets. */
static void server_malloc_policy(void)
{
    mallopt(M_TOP_PAD, 0);
    mallopt(M_MMAP_THRESHOLD, 32 * 1024);
    mallopt(M_ARENA_MAX, 4);
}

int pl_server_open(pl_server *s, const pl_address *a, const pl_keypair *key,
                   const pl_config *cfg, pl_error *err)
{
    server_malloc_policy();
    memset(s, 0, sizeof *s);
    s->address = *a;
    s->key = *key;
    s->cfg = cfg;
    s->listen_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    if (!cfg->authorized_keys && !pl_address_is_loopback(a))
        return pl_fail(
            err, PL_ERR_CONFIG,
            "refusing to listen on %s without an authorized keys "
            "file: any host that can reach it could run commands. "
            "Set server.authorized_keys in %s (or --authorized-keys)",
            a->text, cfg->path);
    s->listen_fd = pl_transport_listen(a, SOMAXCONN, err);
    if (s->listen_fd < 0)
        return -1;
    struct stat st;
    if (a->kind == PL_TRANSPORT_UNIX && stat(a->path, &st) == 0) {
        s->sock_dev = st.st_dev;
        s->sock_ino = st.st_ino;
    }
    return 0;
}

typedef struct conn_arg {
    pl_server *srv;
    int fd;
    char peer[128];
} conn_arg;

static void *conn_thread(void *p)
{
    conn_arg *a = p;
    pl_session_serve(a->srv, a->fd, a->peer);
    pthread_mutex_lock(&a->srv->lock);
    int idle = --a->srv->connections == 0;
    pthread_mutex_unlock(&a->srv->lock);
    /* Back to idle: hand the memory freed by the connections' threads
     * (malloc keeps it in per-thread arenas) back to the system, so the
     * server's footprint returns to where it was after a burst. */
    if (idle)
        malloc_trim(0);
    free(a);
    return NULL;
}

static void spawn_connection(pl_server *s, pl_busy_set *busy, int fd,
                             const char *peer)
{
    pthread_mutex_lock(&s->lock);
    int over = s->connections >= s->cfg->max_connections;
    if (!over)
        s->connections++;
    pthread_mutex_unlock(&s->lock);
    if (over) {
        pl_log("%s: refused: %d connections already open "
               "(server.max_connections)",
               peer, s->cfg->max_connections);
        pl_busy_add(busy, fd);
        return;
    }
    conn_arg *a = malloc(sizeof *a);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = 0;
    if (a) {
        a->srv = s;
        a->fd = fd;
        snprintf(a->peer, sizeof a->peer, "%s", peer);
        started = pthread_create(&t, &attr, conn_thread, a) == 0;
    }
    if (!started) {
        pl_log("%s: refused: cannot start a thread", peer);
        free(a);
        close(fd);
        pthread_mutex_lock(&s->lock);
        s->connections--;
        pthread_mutex_unlock(&s->lock);
    }
    pthread_attr_destroy(&attr);
}

int pl_server_run(pl_server *s, pl_error *err)
{
    /* Blocked here too (for callers other than `listen`); the wait's mask
     * takes them whatever mask we inherited: started with them blocked,
     * the server would otherwise never stop. */
    sigset_t stops, wait_mask;
    stop_signals(&stops);
    pthread_sigmask(SIG_BLOCK, &stops, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGHUP);
    struct sigaction sa = {0};
    sa.sa_mask = stops;
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char key[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(s->key.pub, key);
    /* Before the first call, so none of ours can be mistaken for stale. */
    pl_server_remove_stale(s->cfg->root);
    if (s->cfg->authorized_keys)
        pl_log("listening on %s, server key %s, aead %s; accepting only the "
               "client "
               "keys in %s",
               s->address.text, key, noise_aead_backend_name(),
               s->cfg->authorized_keys);
    else
        pl_log(
            "listening on %s, server key %s, aead %s; no authorized keys file: "
            "any client that can reach this address is accepted",
            s->address.text, key, noise_aead_backend_name());
    /* Refused peers are read here, never waited for: see busy.h. */
    pl_busy_set busy = {.n = 0};
    struct pollfd p[1 + PL_BUSY_MAX];
    while (!stop_requested) {
        if (hup_requested) {
            hup_requested = 0;
            pl_error e;
            if (!s->cfg->log_file) {
                pl_log("SIGHUP and no log file to reopen: stopping");
                stop_requested = SIGHUP;
                break;
            }
            if (pl_log_reopen(&e))
                pl_log("SIGHUP: %s; logging on to the old file", e.msg);
            else
                pl_log("SIGHUP: reopened log file %s", s->cfg->log_file);
        }
        p[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        int nb = pl_busy_pollfds(&busy, p + 1);
        int ms = pl_busy_timeout(&busy, 500);
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        int rc = ppoll(p, 1 + (nfds_t)nb, &ts, &wait_mask);
        pl_busy_service(&busy, p + 1, rc > 0 ? nb : 0);
        if (rc <= 0 || !(p[0].revents & POLLIN))
            continue;
        char from[100], peer[128];
        int fd = pl_transport_accept(s->listen_fd, from, sizeof from);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                pl_log("accept: %s; waiting", strerror(errno));
                usleep(100000);
            }
            continue;
        }
        /* Unix peers have no address: number connections for the log. */
        snprintf(peer, sizeof peer, "#%lu %s", ++s->accepted,
                 s->address.kind == PL_TRANSPORT_UNIX ? "unix" : from);
        spawn_connection(s, &busy, fd, peer);
    }
    pl_busy_clear(&busy);
    const char *sig = sigabbrev_np(stop_requested);
    pl_log("stopping on SIG%s", sig ? sig : "?");
    pl_active_log_aborted();
    pl_atomic_remove_all(log_removed);
    /* After the temporaries: a read-only directory would keep them. */
    pl_dir_recv_stop_all(log_modes);
    pl_exec_shutdown();
    return 0;
}

void pl_server_close(pl_server *s)
{
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    /* Only our socket: another server may own the path by now. */
    struct stat st;
    if (s->address.kind == PL_TRANSPORT_UNIX && s->sock_ino &&
        stat(s->address.path, &st) == 0 && st.st_dev == s->sock_dev &&
        st.st_ino == s->sock_ino)
        unlink(s->address.path);
    s->listen_fd = -1;
}

int pl_server_take_exec(pl_server *s)
{
    pthread_mutex_lock(&s->lock);
    int ok = s->execs < s->cfg->max_execs;
    if (ok)
        s->execs++;
    pthread_mutex_unlock(&s->lock);
    return ok ? 0 : -1;
}

void pl_server_put_exec(pl_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->execs--;
    pthread_mutex_unlock(&s->lock);
}
