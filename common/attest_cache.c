/*
 * A small file remembering documents whose chain and signature verified,
 * so a client connecting again to a server that still presents the same
 * document (servers refresh theirs every few hours, not per connection)
 * skips the five ECDSA P-384 verifications (about 1 ms each with OpenSSL
 * 3.0) and redoes only the cheap checks that depend on the clock and on
 * the caller's expectations.
 *
 * One line per document: the SHA-256 of the trusted root's DER, a space,
 * the SHA-512 of the whole document, both in hex (libsodium's hashes, so a
 * hit needs no OpenSSL at all and skips its start-up), a space, and the time
 * (Unix seconds, 20 digits) the first certificate of its chain expires:
 * after that the line no longer counts and the full check, which names
 * the expired certificate, runs again. At most
 * PL_ATTEST_CACHE_MAX lines; the oldest go first. The file belongs to the
 * user like known_servers: it is ignored unless owned by us and writable
 * by nobody else, and written 0600 through a temporary and rename. Any
 * trouble with it only costs the full verification, never a failure.
 */
#include "attest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_LEN (PL_ATTEST_CACHE_KEY + 1 + 20 + 1) /* with the newline */

void pl_attest_cache_key(const uint8_t *doc, size_t len, const uint8_t *root,
                         size_t root_len, char key[PL_ATTEST_CACHE_KEY])
{
    uint8_t rh[crypto_hash_sha256_BYTES], dh[crypto_hash_sha512_BYTES];
    crypto_hash_sha256(rh, root, root_len);
    crypto_hash_sha512(dh, doc, len);
    pl_attest_hex(rh, sizeof rh, key);
    key[64] = ' ';
    char hex[2 * sizeof dh + 1];
    pl_attest_hex(dh, sizeof dh, hex);
    memcpy(key + 65, hex, 2 * sizeof dh);
}

/* Reads the whole cache (at most PL_ATTEST_CACHE_MAX lines) into buf;
 * returns its length, 0 when absent or not trusted. */
static size_t load(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022)) {
        close(fd);
        return 0;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return n - n % LINE_LEN; /* whole lines only */
}

int pl_attest_cache_has(const char *path, const char key[PL_ATTEST_CACHE_KEY],
                        int64_t now_s)
{
    char buf[PL_ATTEST_CACHE_MAX * LINE_LEN];
    size_t n = load(path, buf, sizeof buf);
    for (size_t i = 0; i + LINE_LEN <= n; i += LINE_LEN) {
        if (memcmp(buf + i, key, PL_ATTEST_CACHE_KEY) != 0)
            continue;
        char digits[21];
        memcpy(digits, buf + i + PL_ATTEST_CACHE_KEY + 1, 20);
        digits[20] = '\0';
        char *end;
        long long not_after = strtoll(digits, &end, 10);
        return *end == '\0' && not_after >= now_s;
    }
    return 0;
}

void pl_attest_cache_add(const char *path, const char key[PL_ATTEST_CACHE_KEY],
                         int64_t not_after)
{
    char line[LINE_LEN + 1];
    snprintf(line, sizeof line, "%.*s %020lld\n", PL_ATTEST_CACHE_KEY, key,
             (long long)not_after);
    char buf[PL_ATTEST_CACHE_MAX * LINE_LEN];
    size_t n = load(path, buf, sizeof buf);
    /* Keep the newest PL_ATTEST_CACHE_MAX - 1 and append. */
    size_t keep = (PL_ATTEST_CACHE_MAX - 1) * LINE_LEN;
    size_t from = n > keep ? n - keep : 0;
    char dir[4096], tmp[4200];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return;
    if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST)
        return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd =
        open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    int ok = write(fd, buf + from, n - from) == (ssize_t)(n - from) &&
             write(fd, line, LINE_LEN) == LINE_LEN;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) < 0)
        unlink(tmp);
}
