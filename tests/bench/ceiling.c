/*
 * The throughput ceiling the file and exec benchmarks are compared with:
 * the simplest possible encrypted transfer. One process reads a file and
 * seals it in 64 KiB ChaCha20-Poly1305 messages (2-byte length prefix, as
 * our framing), a second process opens them and writes the output file,
 * over a unix socket pair. Nothing else: no protobuf, no handshake, no
 * atomic rename.
 *
 * usage: bench_ceiling INPUT OUTPUT   -> prints "bytes seconds MB/s"
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 65535
#define TAG crypto_aead_chacha20poly1305_ietf_ABYTES
#define PLAIN (MSG - TAG)

static int full_write(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int full_read(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void nonce_of(uint64_t n, uint8_t out[12])
{
    memset(out, 0, 4);
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(n >> (8 * i));
}

static int sender(int in, int sock, const uint8_t *key)
{
    static uint8_t buf[2 + MSG];
    uint64_t n = 0;
    for (;;) {
        ssize_t r = read(in, buf + 2, PLAIN);
        if (r < 0)
            return -1;
        uint8_t nonce[12];
        nonce_of(n++, nonce);
        unsigned long long clen;
        crypto_aead_chacha20poly1305_ietf_encrypt(
            buf + 2, &clen, buf + 2, (size_t)r, NULL, 0, NULL, nonce, key);
        buf[0] = (uint8_t)(clen >> 8);
        buf[1] = (uint8_t)clen;
        if (full_write(sock, buf, 2 + clen))
            return -1;
        if (r == 0)
            return 0; /* an empty sealed message marks the end */
    }
}

static int receiver(int sock, int out, const uint8_t *key)
{
    static uint8_t buf[MSG];
    uint64_t n = 0;
    for (;;) {
        uint8_t hdr[2];
        if (full_read(sock, hdr, 2))
            return -1;
        size_t len = ((size_t)hdr[0] << 8) | hdr[1];
        if (full_read(sock, buf, len))
            return -1;
        uint8_t nonce[12];
        nonce_of(n++, nonce);
        unsigned long long plen;
        if (crypto_aead_chacha20poly1305_ietf_decrypt(buf, &plen, NULL, buf,
                                                      len, NULL, 0, nonce, key))
            return -1;
        if (plen == 0)
            return fsync(out);
        if (full_write(out, buf, plen))
            return -1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_ceiling INPUT OUTPUT\n");
        return 2;
    }
    uint8_t key[32];
    randombytes_buf(key, sizeof key);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 1;
    int in = open(argv[1], O_RDONLY);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) {
        perror("open");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        _exit(receiver(sv[1], out, key) ? 1 : 0);
    }
    close(sv[1]);
    int rc = sender(in, sv[0], key);
    int st;
    waitpid(pid, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    off_t bytes = lseek(out, 0, SEEK_END);
    if (rc || !WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "bench_ceiling: transfer failed\n");
        return 1;
    }
    printf("%lld %.3f %.1f\n", (long long)bytes, secs, bytes / secs / 1e6);
    return 0;
}
