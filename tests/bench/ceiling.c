/*
 * The throughput ceiling the file and exec benchmarks are compared with:
 * the simplest possible encrypted transfer. One process reads a file and
 * seals it in 64 KiB AEAD messages (2-byte length prefix, as our framing),
 * a second process opens them and writes the output file, over a unix
 * socket pair. Nothing else: no protobuf, no handshake, no atomic rename.
 *
 * MODE picks the AEAD the same way a Pipeline build does:
 *   sodium-chachapoly  libsodium ChaCha20-Poly1305 (the fallback backend)
 *   sodium-aesgcm      libsodium AES-256-GCM (hardware AES only)
 *   openssl-chachapoly OpenSSL EVP ChaCha20-Poly1305 (the default backend)
 *   openssl-aesgcm     OpenSSL EVP AES-256-GCM
 *   none               no encryption: the I/O limit
 * Both sides reuse one cipher context and encrypt in place, as we do.
 *
 * usage: bench_ceiling [MODE] INPUT OUTPUT
 *   -> prints "bytes seconds MB/s cpu_seconds" (CPU of both processes)
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 65535
#define TAG 16
#define PLAIN (MSG - TAG)

enum lib { LIB_NONE, LIB_SODIUM, LIB_OPENSSL };
static enum lib lib;
static int aes; /* AES-256-GCM, else ChaCha20-Poly1305 */
static uint8_t key[32];
static EVP_CIPHER_CTX *evp;
static crypto_aead_aes256gcm_state gcm;

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

static void setup(int enc)
{
    if (lib == LIB_OPENSSL) {
        evp = EVP_CIPHER_CTX_new();
        if (!evp || EVP_CipherInit_ex(
                        evp, aes ? EVP_aes_256_gcm() : EVP_chacha20_poly1305(),
                        NULL, key, NULL, enc) != 1)
            abort();
    } else if (lib == LIB_SODIUM && aes) {
        crypto_aead_aes256gcm_beforenm(&gcm, key);
    }
}

/* Seals buf[0..len) in place; returns the sealed length. */
static size_t seal(uint8_t *buf, size_t len, uint64_t n)
{
    uint8_t nonce[12];
    unsigned long long clen = len;
    int outl, fin;
    nonce_of(n, nonce);
    switch (lib) {
    case LIB_NONE:
        return len;
    case LIB_SODIUM:
        if (aes)
            crypto_aead_aes256gcm_encrypt_afternm(buf, &clen, buf, len, NULL, 0,
                                                  NULL, nonce, &gcm);
        else
            crypto_aead_chacha20poly1305_ietf_encrypt(
                buf, &clen, buf, len, NULL, 0, NULL, nonce, key);
        return (size_t)clen;
    case LIB_OPENSSL:
        if (EVP_CipherInit_ex(evp, NULL, NULL, NULL, nonce, 1) != 1 ||
            (len && EVP_CipherUpdate(evp, buf, &outl, buf, (int)len) != 1) ||
            EVP_CipherFinal_ex(evp, buf + len, &fin) != 1 ||
            EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_GET_TAG, TAG, buf + len) !=
                1)
            abort();
        return len + TAG;
    }
    return 0;
}

/* Opens buf[0..len) in place; returns the plaintext length or -1. */
static long open_(uint8_t *buf, size_t len, uint64_t n)
{
    uint8_t nonce[12];
    unsigned long long mlen;
    int outl, fin;
    nonce_of(n, nonce);
    switch (lib) {
    case LIB_NONE:
        return (long)len;
    case LIB_SODIUM:
        if (aes ? crypto_aead_aes256gcm_decrypt_afternm(
                      buf, &mlen, NULL, buf, len, NULL, 0, nonce, &gcm)
                : crypto_aead_chacha20poly1305_ietf_decrypt(
                      buf, &mlen, NULL, buf, len, NULL, 0, nonce, key))
            return -1;
        return (long)mlen;
    case LIB_OPENSSL:
        if (len < TAG ||
            EVP_CipherInit_ex(evp, NULL, NULL, NULL, nonce, 0) != 1 ||
            EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, TAG,
                                buf + len - TAG) != 1 ||
            (len > TAG &&
             EVP_CipherUpdate(evp, buf, &outl, buf, (int)(len - TAG)) != 1) ||
            EVP_CipherFinal_ex(evp, buf, &fin) != 1)
            return -1;
        return (long)(len - TAG);
    }
    return -1;
}

static int sender(int in, int sock)
{
    static uint8_t buf[2 + MSG];
    uint64_t n = 0;
    setup(1);
    for (;;) {
        ssize_t r = read(in, buf + 2, PLAIN);
        if (r < 0)
            return -1;
        size_t clen = seal(buf + 2, (size_t)r, n++);
        /* An empty message marks the end; with no encryption it would be
         * zero bytes, so the length alone carries it. */
        buf[0] = (uint8_t)(clen >> 8);
        buf[1] = (uint8_t)clen;
        if (full_write(sock, buf, 2 + clen))
            return -1;
        if (r == 0)
            return 0;
    }
}

static int receiver(int sock, int out)
{
    static uint8_t buf[MSG];
    uint64_t n = 0;
    setup(0);
    for (;;) {
        uint8_t hdr[2];
        if (full_read(sock, hdr, 2))
            return -1;
        size_t len = ((size_t)hdr[0] << 8) | hdr[1];
        if (full_read(sock, buf, len))
            return -1;
        long plen = open_(buf, len, n++);
        if (plen < 0)
            return -1;
        if (plen == 0)
            return fsync(out);
        if (full_write(out, buf, (size_t)plen))
            return -1;
    }
}

static double cpu_of(const struct rusage *r)
{
    return r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 + r->ru_stime.tv_sec +
           r->ru_stime.tv_usec / 1e6;
}

static int parse_mode(const char *m)
{
    if (!strcmp(m, "none"))
        lib = LIB_NONE;
    else if (!strncmp(m, "sodium-", 7))
        lib = LIB_SODIUM, m += 7;
    else if (!strncmp(m, "openssl-", 8))
        lib = LIB_OPENSSL, m += 8;
    else
        return -1;
    if (lib == LIB_NONE)
        return 0;
    if (!strcmp(m, "aesgcm"))
        aes = 1;
    else if (strcmp(m, "chachapoly"))
        return -1;
    if (lib == LIB_SODIUM && aes && !crypto_aead_aes256gcm_is_available())
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc == 4 ? argv[1] : "sodium-chachapoly";
    if ((argc != 3 && argc != 4) || sodium_init() < 0 || parse_mode(mode)) {
        fprintf(stderr, "usage: bench_ceiling [sodium-chachapoly|sodium-aesgcm|"
                        "openssl-chachapoly|openssl-aesgcm|none] INPUT "
                        "OUTPUT\n");
        return 2;
    }
    const char *inpath = argv[argc - 2], *outpath = argv[argc - 1];
    randombytes_buf(key, sizeof key);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 1;
    int in = open(inpath, O_RDONLY);
    int out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) {
        perror("open");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        _exit(receiver(sv[1], out) ? 1 : 0);
    }
    close(sv[1]);
    int rc = sender(in, sv[0]);
    int st;
    waitpid(pid, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    off_t bytes = lseek(out, 0, SEEK_END);
    if (rc || !WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "bench_ceiling: transfer failed\n");
        return 1;
    }
    printf("%lld %.3f %.1f %.3f\n", (long long)bytes, secs, bytes / secs / 1e6,
           cpu_of(&self) + cpu_of(&kids));
    return 0;
}
