#include "keys.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void pl_key_public(const uint8_t priv[32], uint8_t pub[32])
{
    crypto_scalarmult_base(pub, priv);
}

void pl_key_generate(pl_keypair *kp)
{
    randombytes_buf(kp->priv, sizeof kp->priv);
    /* Clamp as X25519 would, so the stored key is canonical. */
    kp->priv[0] &= 248;
    kp->priv[31] &= 127;
    kp->priv[31] |= 64;
    pl_key_public(kp->priv, kp->pub);
}

void pl_key_to_base64(const uint8_t key[32], char *out)
{
    sodium_bin2base64(out, PL_KEY_B64_LEN + 1, key, 32,
                      sodium_base64_VARIANT_ORIGINAL);
}

int pl_key_from_base64(const char *s, uint8_t key[32], pl_error *err)
{
    size_t len = 0;
    const char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t slen = strcspn(s, " \t\r\n");
    if (sodium_base642bin(key, 32, s, slen, NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != 32 || end != s + slen)
        return pl_fail(err, PL_ERR_CONFIG,
                       "\"%.*s\" is not a key (expected 44 characters of "
                       "base64, as printed by `pipeline pubkey`)",
                       (int)(slen > 60 ? 60 : slen), s);
    return 0;
}

/* mkdir -p for the directory holding path, mode 0700 for new parts. */
static int make_parent(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return -1;
    strcpy(buf, path);
    char *dir = dirname(buf);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int pl_key_save(const char *path, const pl_keypair *kp, pl_error *err)
{
    if (make_parent(path))
        return pl_fail_errno(err, PL_ERR_IO, errno,
                             "cannot create the directory for %s", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_IO, errno, "cannot create %s", path);
    char b64[PL_KEY_B64_LEN + 2];
    pl_key_to_base64(kp->priv, b64);
    strcat(b64, "\n");
    ssize_t n = write(fd, b64, strlen(b64));
    int e = errno;
    sodium_memzero(b64, sizeof b64);
    if (n != PL_KEY_B64_LEN + 1) {
        close(fd);
        unlink(path);
        return pl_fail_errno(err, PL_ERR_IO, e, "cannot write %s", path);
    }
    if (fsync(fd) || close(fd))
        return pl_fail_errno(err, PL_ERR_IO, errno, "cannot write %s", path);
    return 0;
}

int pl_key_load(const char *path, int create, pl_keypair *kp, pl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        pl_key_generate(kp);
        if (pl_key_save(path, kp, err) == 0)
            return 0;
        /* Another process may have created it first: read theirs. */
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
    }
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                             "cannot read key file %s", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
        close(fd);
        return pl_fail(err, PL_ERR_CONFIG,
                       "key file %s is readable by others (mode %03o); run "
                       "chmod 600 %s",
                       path, (unsigned)(st.st_mode & 0777), path);
    }
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return pl_fail_errno(err, PL_ERR_CONFIG, errno, "cannot read %s", path);
    buf[n] = '\0';
    int rc = pl_key_from_base64(buf, kp->priv, err);
    sodium_memzero(buf, sizeof buf);
    if (rc)
        return pl_fail(err, PL_ERR_CONFIG,
                       "key file %s does not hold a base64 private key", path);
    pl_key_public(kp->priv, kp->pub);
    return 0;
}

/* Calls fn for each non-comment line; stops when fn returns nonzero. */
static int each_line(FILE *f, int (*fn)(char *line, void *arg), void *arg)
{
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        p[strcspn(p, "\r\n")] = '\0';
        int rc = fn(p, arg);
        if (rc)
            return rc;
    }
    return 0;
}

static int match_key(char *line, void *arg)
{
    uint8_t k[32];
    /* Lines may carry a trailing comment after the key. */
    if (pl_key_from_base64(line, k, NULL) != 0)
        return 0;
    return sodium_memcmp(k, arg, 32) == 0;
}

int pl_authorized_keys_contains(const char *path, const uint8_t key[32],
                                pl_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        pl_fail_errno(err, PL_ERR_CONFIG, e,
                      "cannot read authorized keys file %s", path);
        errno = e; /* the caller tells "too many open files" apart */
        return -1;
    }
    int rc = each_line(f, match_key, (void *)key);
    fclose(f);
    return rc;
}

typedef struct known_lookup {
    const char *address;
    uint8_t found[32];
    int have;
} known_lookup;

static int match_address(char *line, void *arg)
{
    known_lookup *k = arg;
    size_t alen = strcspn(line, " \t");
    if (alen != strlen(k->address) || memcmp(line, k->address, alen) != 0)
        return 0;
    k->have = pl_key_from_base64(line + alen, k->found, NULL) == 0 ? 1 : -1;
    return 1;
}

int pl_known_servers_check(const char *path, const char *address,
                           const uint8_t key[32], int *recorded, pl_error *err)
{
    *recorded = 0;
    if (make_parent(path))
        return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                             "cannot create the directory for %s", path);
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                             "cannot open known servers file %s", path);
    /* Concurrent first contacts must not both append. */
    flock(fd, LOCK_EX);
    FILE *f = fdopen(fd, "r+");
    if (!f) {
        close(fd);
        return pl_fail_errno(err, PL_ERR_NOMEM, errno, "fdopen");
    }
    known_lookup k = {.address = address};
    each_line(f, match_address, &k);
    int rc = 0;
    char want[PL_KEY_B64_LEN + 1], got[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(key, got);
    if (k.have < 0) {
        rc = pl_fail(err, PL_ERR_AUTH,
                     "%s has a damaged line for %s (not a base64 key); fix "
                     "or remove it",
                     path, address);
    } else if (k.have) {
        if (sodium_memcmp(k.found, key, 32) != 0) {
            pl_key_to_base64(k.found, want);
            /* The exact command; --known-servers only when not the
             * default file. */
            char *def = pl_config_user_path("known_servers");
            int is_def = def && strcmp(def, path) == 0;
            free(def);
            rc = pl_fail(err, PL_ERR_AUTH,
                         "the server at %s presented key %s, but %s records "
                         "%s for it. Someone may be impersonating the "
                         "server; if its key was changed on purpose, forget "
                         "the old one with: pipeline forget %s%s%s%s",
                         address, got, path, want,
                         is_def ? "" : "--known-servers '", is_def ? "" : path,
                         is_def ? "" : "' ", address);
        }
    } else {
        fseek(f, 0, SEEK_END);
        fprintf(f, "%s %s\n", address, got);
        if (fflush(f) != 0 || fsync(fd) != 0)
            rc = pl_fail_errno(err, PL_ERR_CONFIG, errno, "cannot write %s",
                               path);
        else
            *recorded = 1;
    }
    fclose(f);
    return rc;
}

int pl_known_servers_forget(const char *path, const char *address, int *removed,
                            pl_error *err)
{
    *removed = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                             "cannot open known servers file %s", path);
    }
    /* The same lock as first contacts take. */
    flock(fd, LOCK_EX);
    FILE *in = fdopen(fd, "r");
    if (!in) {
        close(fd);
        return pl_fail_errno(err, PL_ERR_NOMEM, errno, "fdopen");
    }
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        fclose(in);
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, n, "%s.forget", path);
    int out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = out_fd >= 0 ? fdopen(out_fd, "w") : NULL;
    int rc = 0;
    if (!out) {
        rc = pl_fail_errno(err, PL_ERR_CONFIG, errno, "cannot write %s", tmp);
        if (out_fd >= 0)
            close(out_fd);
    } else {
        char *line = NULL;
        size_t cap = 0;
        size_t alen = strlen(address);
        while (getline(&line, &cap, in) > 0) {
            if (strncmp(line, address, alen) == 0 &&
                (line[alen] == ' ' || line[alen] == '\t')) {
                (*removed)++;
                continue;
            }
            fputs(line, out);
        }
        free(line);
        if (fflush(out) || fsync(fileno(out)))
            rc = pl_fail_errno(err, PL_ERR_CONFIG, errno, "cannot write %s",
                               tmp);
        fclose(out);
        if (rc == 0 && *removed && rename(tmp, path))
            rc = pl_fail_errno(err, PL_ERR_CONFIG, errno, "cannot replace %s",
                               path);
        if (rc || !*removed)
            unlink(tmp);
    }
    free(tmp);
    fclose(in);
    return rc;
}
