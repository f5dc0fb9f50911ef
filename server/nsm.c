/* The last step of an NSM request: the driver's ioctl on a character
 * device, or the length-framed exchange over a unix socket (the stand-in
 * that tests use). Everything before and after is nsm_cbor.c. */
#include "nsm.h"

#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* The Linux driver's raw request (include/uapi/linux/nsm.h): two buffers;
 * the driver sets response.iov_len to the answer's length. */
struct nsm_message {
    struct iovec request;
    struct iovec response;
};
#define PL_NSM_IOCTL _IOWR(0x0A, 0, struct nsm_message)

/* A stand-in that stops answering must not hold the server forever. */
#define NSM_SOCKET_TIMEOUT_MS 10000

static int ioctl_exchange(const char *device, const uint8_t *req, size_t n,
                          uint8_t *resp, size_t *resp_len, pl_error *err)
{
    int fd = open(device, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_IO, errno, "cannot open %s", device);
    struct nsm_message m = {
        .request = {.iov_base = (void *)req, .iov_len = n},
        .response = {.iov_base = resp, .iov_len = *resp_len},
    };
    int rc = ioctl(fd, PL_NSM_IOCTL, &m);
    int e = errno;
    close(fd);
    if (rc < 0)
        return pl_fail_errno(err, PL_ERR_IO, e, "NSM request on %s failed",
                             device);
    if (m.response.iov_len > *resp_len)
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "%s reported an answer longer than its buffer", device);
    *resp_len = m.response.iov_len;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, const char *device,
                     pl_error *err)
{
    while (n > 0) {
        if (pl_wait_fd(fd, POLLOUT, NSM_SOCKET_TIMEOUT_MS, NULL))
            return pl_fail(err, PL_ERR_TIMEOUT,
                           "the NSM at %s takes no request (waited %d s)",
                           device, NSM_SOCKET_TIMEOUT_MS / 1000);
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return pl_fail_errno(err, PL_ERR_IO, errno,
                                 "cannot write to the NSM at %s", device);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n, const char *device,
                    pl_error *err)
{
    while (n > 0) {
        if (pl_wait_fd(fd, POLLIN, NSM_SOCKET_TIMEOUT_MS, NULL))
            return pl_fail(err, PL_ERR_TIMEOUT,
                           "the NSM at %s did not answer within %d s", device,
                           NSM_SOCKET_TIMEOUT_MS / 1000);
        ssize_t r = read(fd, p, n);
        if (r == 0)
            return pl_fail(err, PL_ERR_CLOSED,
                           "the NSM at %s closed the connection mid-answer",
                           device);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return pl_fail_errno(err, PL_ERR_IO, errno,
                                 "cannot read from the NSM at %s", device);
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int socket_exchange(const char *device, const uint8_t *req, size_t n,
                           uint8_t *resp, size_t *resp_len, pl_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(device) >= sizeof sa.sun_path)
        return pl_fail(err, PL_ERR_CONFIG, "socket path too long: %s", device);
    strcpy(sa.sun_path, device);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_IO, errno, "socket");
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        pl_fail_errno(err, PL_ERR_IO, errno, "cannot connect to the NSM at %s",
                      device);
        goto out;
    }
    /* Non-blocking after the connect, so every later step has a timeout. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                      (uint8_t)n};
    if (write_all(fd, hdr, 4, device, err) ||
        write_all(fd, req, n, device, err) || read_all(fd, hdr, 4, device, err))
        goto out;
    size_t m = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
               (size_t)hdr[2] << 8 | hdr[3];
    if (m > *resp_len) {
        pl_fail(err, PL_ERR_PROTOCOL,
                "the NSM at %s announced a %zu-byte answer (at most %zu)",
                device, m, *resp_len);
        goto out;
    }
    if (read_all(fd, resp, m, device, err))
        goto out;
    *resp_len = m;
    rc = 0;
out:
    close(fd);
    return rc;
}

int pl_nsm_attest(const char *device, const uint8_t *public_key, size_t key_len,
                  uint8_t **doc, size_t *doc_len, pl_error *err)
{
    uint8_t req[PL_NSM_MAX_REQUEST];
    size_t n;
    if (pl_nsm_encode_attestation(public_key, key_len, req, sizeof req, &n,
                                  err))
        return -1;
    struct stat st;
    if (stat(device, &st) < 0)
        return pl_fail_errno(err, PL_ERR_IO, errno, "attestation device %s",
                             device);
    uint8_t *resp = malloc(PL_NSM_MAX_RESPONSE);
    if (!resp)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    size_t resp_len = PL_NSM_MAX_RESPONSE;
    int rc;
    if (S_ISSOCK(st.st_mode))
        rc = socket_exchange(device, req, n, resp, &resp_len, err);
    else if (S_ISCHR(st.st_mode))
        rc = ioctl_exchange(device, req, n, resp, &resp_len, err);
    else
        rc = pl_fail(err, PL_ERR_CONFIG,
                     "attestation device %s is neither a character device "
                     "nor a unix socket",
                     device);
    if (rc == 0)
        rc = pl_nsm_decode_attestation(resp, resp_len, doc, doc_len, err);
    free(resp);
    return rc;
}
