#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

void pl_address_vsock(pl_address *a, uint32_t cid, uint32_t port)
{
    memset(a, 0, sizeof *a);
    a->kind = PL_TRANSPORT_VSOCK;
    a->cid = cid;
    a->port = port;
    if (cid == VMADDR_CID_ANY)
        snprintf(a->text, sizeof a->text, "vsock:any:%u", port);
    else
        snprintf(a->text, sizeof a->text, "vsock:%u:%u", cid, port);
}

int pl_address_parse(const char *s, pl_address *a, pl_error *err)
{
    memset(a, 0, sizeof *a);
    snprintf(a->text, sizeof a->text, "%s", s);
    if (strncmp(s, "unix:", 5) == 0) {
        a->kind = PL_TRANSPORT_UNIX;
        if (!s[5] || strlen(s + 5) >= sizeof a->path)
            return pl_fail(err, PL_ERR_USAGE,
                           "address %s: unix socket path is empty or longer "
                           "than %zu bytes",
                           s, sizeof a->path - 1);
        strcpy(a->path, s + 5);
        return 0;
    }
    if (strncmp(s, "vsock:", 6) == 0) {
        const char *rest = s + 6;
        const char *colon = strchr(rest, ':');
        char cid[32];
        if (!colon || (size_t)(colon - rest) >= sizeof cid)
            return pl_fail(err, PL_ERR_USAGE,
                           "address %s: expected vsock:CID:PORT", s);
        memcpy(cid, rest, (size_t)(colon - rest));
        cid[colon - rest] = '\0';
        a->kind = PL_TRANSPORT_VSOCK;
        uint32_t any = VMADDR_CID_ANY;
        if (strcmp(cid, "any") == 0)
            memcpy(cid, "4294967295", sizeof "4294967295");
        if (parse_u32(cid, &a->cid) || parse_u32(colon + 1, &a->port))
            return pl_fail(err, PL_ERR_USAGE,
                           "address %s: CID and PORT must be numbers "
                           "0..4294967295 (CID may be \"any\" to listen)",
                           s);
        /* One spelling in logs and known_servers: vsock:any:PORT. */
        pl_address_vsock(a, a->cid == any ? any : a->cid, a->port);
        return 0;
    }
    if (strncmp(s, "tcp:", 4) == 0) {
        const char *rest = s + 4;
        const char *colon = strrchr(rest, ':');
        if (!colon || colon == rest)
            return pl_fail(err, PL_ERR_USAGE,
                           "address %s: expected tcp:HOST:PORT", s);
        size_t hl = (size_t)(colon - rest);
        if (rest[0] == '[' && hl >= 2 && rest[hl - 1] == ']') {
            rest++;
            hl -= 2;
        }
        if (hl == 0 || hl >= sizeof a->host)
            return pl_fail(err, PL_ERR_USAGE, "address %s: bad host", s);
        memcpy(a->host, rest, hl);
        a->host[hl] = '\0';
        a->kind = PL_TRANSPORT_TCP;
        if (parse_u32(colon + 1, &a->port) || a->port > 65535)
            return pl_fail(err, PL_ERR_USAGE,
                           "address %s: PORT must be a number 0..65535", s);
        return 0;
    }
    return pl_fail(err, PL_ERR_USAGE,
                   "address %s: expected vsock:CID:PORT, tcp:HOST:PORT or "
                   "unix:PATH",
                   s);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void tune_socket(int fd, int family)
{
    int one = 1;
    if (family == AF_INET || family == AF_INET6)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Bigger socket buffers let a 64 KiB frame go out in one write. */
    int sz = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

/* Resolved socket address for any transport. */
typedef struct sockaddr_any {
    union {
        struct sockaddr sa;
        struct sockaddr_un un;
        struct sockaddr_vm vm;
        struct sockaddr_storage ss;
    } u;
    socklen_t len;
    int family;
} sockaddr_any;

static int resolve(const pl_address *a, int passive, sockaddr_any *out,
                   pl_error *err)
{
    memset(out, 0, sizeof *out);
    switch (a->kind) {
    case PL_TRANSPORT_UNIX:
        out->u.un.sun_family = AF_UNIX;
        strcpy(out->u.un.sun_path, a->path);
        out->len = sizeof out->u.un;
        out->family = AF_UNIX;
        return 0;
    case PL_TRANSPORT_VSOCK:
        out->u.vm.svm_family = AF_VSOCK;
        out->u.vm.svm_cid = a->cid;
        out->u.vm.svm_port = a->port;
        out->len = sizeof out->u.vm;
        out->family = AF_VSOCK;
        return 0;
    case PL_TRANSPORT_TCP: {
        struct addrinfo hints = {0}, *res = NULL;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = passive ? AI_PASSIVE : 0;
        char port[16];
        snprintf(port, sizeof port, "%u", a->port);
        int rc = getaddrinfo(a->host, port, &hints, &res);
        if (rc != 0)
            return pl_fail(err, PL_ERR_CONNECT, "%s: cannot resolve %s: %s",
                           a->text, a->host, gai_strerror(rc));
        memcpy(&out->u.ss, res->ai_addr, res->ai_addrlen);
        out->len = res->ai_addrlen;
        out->family = res->ai_family;
        freeaddrinfo(res);
        return 0;
    }
    }
    return pl_fail(err, PL_ERR_INTERNAL, "unknown transport");
}

/* Connects one resolved address within timeout_ms; -1 with errno-ish
 * reason in *why (0 = timed out). */
static int connect_one(const struct sockaddr *sa, socklen_t len, int family,
                       int timeout_ms, int *why)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *why = errno;
        return -1;
    }
    tune_socket(fd, family);
    if (connect(fd, sa, len) == 0)
        return fd;
    /* A unix socket whose listen backlog is full answers EAGAIN at once,
     * with no connection in progress (poll would then report it writable
     * and the first write fail with ENOTCONN): try again until the
     * deadline, as TCP retries a SYN. */
    for (int waited = 0, step = 1; family == AF_UNIX && errno == EAGAIN;
         waited += step, step = step < 50 ? step * 2 : 50) {
        if (timeout_ms >= 0 && waited >= timeout_ms) {
            *why = EAGAIN;
            close(fd);
            return -1;
        }
        usleep((useconds_t)step * 1000);
        if (connect(fd, sa, len) == 0)
            return fd;
    }
    if (errno != EINPROGRESS && errno != EAGAIN) {
        *why = errno;
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (rc > 0)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (rc > 0 && !soerr)
        return fd;
    *why = rc == 0 ? 0 : rc < 0 ? errno : soerr;
    close(fd);
    return -1;
}

/* What a vsock connect error usually means on a Nitro parent instance. */
static const char *vsock_hint(int why, const pl_address *a)
{
    switch (why) {
    case ENODEV:
    case EHOSTUNREACH:
        return a->cid == VMADDR_CID_HOST || a->cid == 3
                   ? " (no enclave with this CID: is it running? "
                     "`nitro-cli describe-enclaves` shows its CID; CID 3 "
                     "is the parent instance itself)"
                   : " (no enclave with this CID: is it running? "
                     "`nitro-cli describe-enclaves` shows its CID)";
    case ECONNRESET:
    case ECONNREFUSED:
        return " (nothing listens on that port: is `pipeline listen` "
               "running in the enclave, on the same port?)";
    case EAFNOSUPPORT:
    case ENETUNREACH:
    case EADDRNOTAVAIL:
        return " (this machine has no vsock transport: load the vsock "
               "driver, or run on the enclave's parent instance)";
    default:
        return "";
    }
}

int pl_transport_connect(const pl_address *a, int timeout_ms, pl_error *err)
{
    int why = 0, fd = -1;
    if (a->kind == PL_TRANSPORT_TCP) {
        /* Try every address the name has (localhost may be ::1 first). */
        struct addrinfo hints = {0}, *res = NULL, *r;
        hints.ai_socktype = SOCK_STREAM;
        char port[16];
        snprintf(port, sizeof port, "%u", a->port);
        int rc = getaddrinfo(a->host, port, &hints, &res);
        if (rc != 0)
            return pl_fail(err, PL_ERR_CONNECT, "%s: cannot resolve %s: %s",
                           a->text, a->host, gai_strerror(rc));
        for (r = res; r && fd < 0; r = r->ai_next)
            fd = connect_one(r->ai_addr, r->ai_addrlen, r->ai_family,
                             timeout_ms, &why);
        freeaddrinfo(res);
    } else {
        sockaddr_any sa;
        if (resolve(a, 0, &sa, err))
            return -1;
        fd = connect_one(&sa.u.sa, sa.len, sa.family, timeout_ms, &why);
    }
    if (fd >= 0)
        return fd;
    if (why == 0)
        return pl_fail(err, PL_ERR_CONNECT,
                       "cannot connect to %s: no answer within %d ms%s",
                       a->text, timeout_ms,
                       a->kind == PL_TRANSPORT_VSOCK
                           ? " (is the enclave running with this CID? "
                             "`nitro-cli describe-enclaves` shows it)"
                           : "");
    if (a->kind == PL_TRANSPORT_VSOCK)
        return pl_fail(err, PL_ERR_CONNECT, "cannot connect to %s: %s%s",
                       a->text, strerror(why), vsock_hint(why, a));
    return pl_fail_errno(err, PL_ERR_CONNECT, why, "cannot connect to %s",
                         a->text);
}

/* A socket file at the path: replace it only when nobody answers on it
 * (a server that died), never when a server is alive there, and never a
 * file of another type (bind then fails with EADDRINUSE). */
static int unix_in_use(const sockaddr_any *sa, const pl_address *a,
                       pl_error *err)
{
    struct stat st;
    if (lstat(a->path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0)
        return pl_fail_errno(err, PL_ERR_CONNECT, errno, "cannot listen on %s",
                             a->text);
    int rc = connect(probe, &sa->u.sa, sa->len);
    int e = errno;
    close(probe);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
        return pl_fail(err, PL_ERR_CONNECT,
                       "cannot listen on %s: a server is already listening "
                       "there (stop it first, or choose another path)",
                       a->text);
    if (e == ECONNREFUSED)
        unlink(a->path); /* stale: its server is gone */
    return 0;
}

int pl_transport_listen(const pl_address *a, int backlog, pl_error *err)
{
    sockaddr_any sa;
    if (resolve(a, 1, &sa, err))
        return -1;
    int fd = socket(sa.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_CONNECT, errno, "cannot listen on %s",
                             a->text);
    int one = 1;
    if (sa.family != AF_UNIX && sa.family != AF_VSOCK)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa.family == AF_UNIX && unix_in_use(&sa, a, err)) {
        close(fd);
        return -1;
    }
    if (bind(fd, &sa.u.sa, sa.len) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return pl_fail_errno(err, PL_ERR_CONNECT, e, "cannot listen on %s",
                             a->text);
    }
    if (sa.family == AF_UNIX)
        chmod(a->path, 0600);
    return fd;
}

int pl_transport_accept(int lfd, char *peer, size_t peerlen)
{
    sockaddr_any sa;
    sa.len = sizeof sa.u;
    int fd = accept4(lfd, &sa.u.sa, &sa.len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return -1;
    char host[INET6_ADDRSTRLEN];
    switch (sa.u.sa.sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa.u.ss)->sin_addr, host,
                  sizeof host);
        snprintf(peer, peerlen, "tcp:%s:%u", host,
                 ntohs(((struct sockaddr_in *)&sa.u.ss)->sin_port));
        break;
    case AF_INET6:
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa.u.ss)->sin6_addr, host,
                  sizeof host);
        snprintf(peer, peerlen, "tcp:[%s]:%u", host,
                 ntohs(((struct sockaddr_in6 *)&sa.u.ss)->sin6_port));
        break;
    case AF_VSOCK:
        snprintf(peer, peerlen, "vsock:%u:%u", sa.u.vm.svm_cid,
                 sa.u.vm.svm_port);
        break;
    default:
        snprintf(peer, peerlen, "unix:fd%d", fd);
    }
    tune_socket(fd, sa.u.sa.sa_family);
    set_nonblock(fd);
    return fd;
}

int pl_address_is_loopback(const pl_address *a)
{
    if (a->kind != PL_TRANSPORT_TCP)
        return 1;
    struct addrinfo hints = {0}, *res = NULL, *r;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(a->host, NULL, &hints, &res) != 0)
        return 0;
    int loop = 1;
    for (r = res; r; r = r->ai_next) {
        if (r->ai_family == AF_INET) {
            uint32_t ip =
                ntohl(((struct sockaddr_in *)r->ai_addr)->sin_addr.s_addr);
            if ((ip >> 24) != 127)
                loop = 0;
        } else if (r->ai_family == AF_INET6) {
            if (!IN6_IS_ADDR_LOOPBACK(
                    &((struct sockaddr_in6 *)r->ai_addr)->sin6_addr))
                loop = 0;
        }
    }
    freeaddrinfo(res);
    return loop;
}
