/*
 * Unit tests for common/noise: the Noise_XX_25519_ChaChaPoly_SHA256 and
 * Noise_XX_25519_AESGCM_SHA256 vectors from cacophony and snow
 * (tests/vectors/SOURCE.md), plus the failure paths the vectors cannot
 * show (tampering, truncation, turn order, nonce handling). Most tests
 * loop over both ciphers; the file is built once per AEAD backend.
 */
#include "aead/aead.h"
#include "noise.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* ------------------------------------------------------------------ */
/* A minimal JSON reader, just enough for the cacophony vector format.  */
/* The whole document is validated once up front (json_skip_value), so  */
/* the lookup helpers below can walk it knowing it is well formed.      */
/* ------------------------------------------------------------------ */

#define JSON_MAX_DEPTH 32

typedef struct {
    const char *p;   /* first byte */
    const char *end; /* one past the last byte */
} json_doc;

static const char *json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"'; returns one past the closing quote, or NULL. */
static const char *json_skip_string(const char *p, const char *end)
{
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (p + 1 >= end)
                return NULL;
            p++; /* the escaped char cannot close the string */
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *json_skip_value(const char *p, const char *end, int depth);

/* p at '{' or '['; returns one past the matching close, or NULL. */
static const char *json_skip_container(const char *p, const char *end,
                                       int depth)
{
    char close = *p == '{' ? '}' : ']';
    int is_obj = *p == '{';

    p = json_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (is_obj) {
            p = json_skip_string(p, end);
            if (p == NULL)
                return NULL;
            p = json_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = json_ws(p + 1, end);
        }
        p = json_skip_value(p, end, depth + 1);
        if (p == NULL)
            return NULL;
        p = json_ws(p, end);
        if (p < end && *p == close)
            return p + 1;
        if (p >= end || *p != ',')
            return NULL;
        p = json_ws(p + 1, end);
    }
}

static const char *json_skip_value(const char *p, const char *end, int depth)
{
    const char *start = p;

    if (p >= end || depth > JSON_MAX_DEPTH)
        return NULL;
    if (*p == '"')
        return json_skip_string(p, end);
    if (*p == '{' || *p == '[')
        return json_skip_container(p, end, depth);
    /* number / true / false / null: we never need their value */
    while (p < end && strchr(",]} \t\r\n", *p) == NULL)
        p++;
    return p > start ? p : NULL;
}

/* Raw string contents (between the quotes) of the string value at v. The
 * vectors hold only hex and protocol names, so escapes are rejected. */
static int json_string(const char *v, const char *end, const char **s,
                       size_t *len)
{
    const char *close = json_skip_string(v, end);

    if (close == NULL || memchr(v + 1, '\\', (size_t)(close - v - 2)))
        return -1;
    *s = v + 1;
    *len = (size_t)(close - v - 2);
    return 0;
}

/* Value of key in the object at obj, or NULL. */
static const char *json_get(const char *obj, const char *end, const char *key)
{
    const char *p, *k;
    size_t klen;

    if (obj >= end || *obj != '{')
        return NULL;
    p = json_ws(obj + 1, end);
    while (p < end && *p == '"') {
        if (json_string(p, end, &k, &klen) != 0)
            return NULL;
        p = json_ws(json_skip_string(p, end), end);
        p = json_ws(p + 1, end); /* past ':' (validated earlier) */
        if (klen == strlen(key) && memcmp(k, key, klen) == 0)
            return p;
        p = json_ws(json_skip_value(p, end, 0), end);
        if (p >= end || *p != ',')
            return NULL;
        p = json_ws(p + 1, end);
    }
    return NULL;
}

/* Array iteration: first element of the array at arr, or NULL if empty. */
static const char *json_first(const char *arr, const char *end)
{
    const char *p;

    if (arr >= end || *arr != '[')
        return NULL;
    p = json_ws(arr + 1, end);
    return (p < end && *p != ']') ? p : NULL;
}

static const char *json_next(const char *elem, const char *end)
{
    const char *p = json_ws(json_skip_value(elem, end, 0), end);

    return (p < end && *p == ',') ? json_ws(p + 1, end) : NULL;
}

static int json_string_is(const char *v, const char *end, const char *want)
{
    const char *s;
    size_t len;

    return v != NULL && json_string(v, end, &s, &len) == 0 &&
           len == strlen(want) && memcmp(s, want, len) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the hex string value at v into out (capacity cap). */
static int json_hex(const char *v, const char *end, uint8_t *out, size_t cap,
                    size_t *outlen)
{
    const char *s;
    size_t len;

    if (v == NULL || json_string(v, end, &s, &len) != 0 || len % 2 != 0 ||
        len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = len / 2;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (n == cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Loop tests run once per cipher: _i 0 is ChaChaPoly, 1 is AESGCM. */
static const int ciphers[] = {NOISE_CIPHER_CHACHAPOLY, NOISE_CIPHER_AESGCM};
#define N_CIPHERS 2
static int cur_cipher = NOISE_CIPHER_CHACHAPOLY;

/* ------------------------------------------------------------------ */
/* Test vectors                                                         */
/* ------------------------------------------------------------------ */

#define TV_MAX_MSGS 16
#define TV_MAX_BYTES 1024

typedef struct {
    uint8_t payload[TV_MAX_BYTES];
    size_t plen;
    uint8_t ct[TV_MAX_BYTES];
    size_t clen;
} tv_msg;

typedef struct {
    uint8_t init_prologue[TV_MAX_BYTES], resp_prologue[TV_MAX_BYTES];
    size_t init_prologue_len, resp_prologue_len;
    uint8_t init_static[32], resp_static[32];
    uint8_t init_ephemeral[32], resp_ephemeral[32];
    uint8_t hash[NOISE_HASHLEN];
    int has_hash;
    tv_msg msgs[TV_MAX_MSGS];
    size_t nmsgs;
} tv_vector;

static void hex_key(const char *obj, const char *end, const char *key,
                    uint8_t out[32])
{
    size_t len = 0;

    ck_assert_msg(json_hex(json_get(obj, end, key), end, out, 32, &len) == 0,
                  "bad field %s", key);
    ck_assert_msg(len == 32, "field %s is %zu bytes", key, len);
}

static void load_messages(const char *obj, const char *end, tv_vector *tv)
{
    const char *m;

    tv->nmsgs = 0;
    for (m = json_first(json_get(obj, end, "messages"), end); m != NULL;
         m = json_next(m, end)) {
        tv_msg *msg;

        ck_assert_uint_lt(tv->nmsgs, TV_MAX_MSGS);
        msg = &tv->msgs[tv->nmsgs++];
        ck_assert_int_eq(json_hex(json_get(m, end, "payload"), end,
                                  msg->payload, sizeof(msg->payload),
                                  &msg->plen),
                         0);
        ck_assert_int_eq(json_hex(json_get(m, end, "ciphertext"), end, msg->ct,
                                  sizeof(msg->ct), &msg->clen),
                         0);
    }
}

static void fill_vector(const char *obj, const char *end, tv_vector *tv)
{
    const char *hv;
    size_t hlen = 0;

    ck_assert_int_eq(json_hex(json_get(obj, end, "init_prologue"), end,
                              tv->init_prologue, sizeof(tv->init_prologue),
                              &tv->init_prologue_len),
                     0);
    ck_assert_int_eq(json_hex(json_get(obj, end, "resp_prologue"), end,
                              tv->resp_prologue, sizeof(tv->resp_prologue),
                              &tv->resp_prologue_len),
                     0);
    hex_key(obj, end, "init_static", tv->init_static);
    hex_key(obj, end, "resp_static", tv->resp_static);
    hex_key(obj, end, "init_ephemeral", tv->init_ephemeral);
    hex_key(obj, end, "resp_ephemeral", tv->resp_ephemeral);
    hv = json_get(obj, end, "handshake_hash");
    tv->has_hash = hv != NULL;
    if (tv->has_hash) {
        ck_assert_int_eq(json_hex(hv, end, tv->hash, sizeof(tv->hash), &hlen),
                         0);
        ck_assert_uint_eq(hlen, NOISE_HASHLEN);
    }
    load_messages(obj, end, tv);
}

/* Loads the one vector for protocol name from $PIPELINE_VECTORS/file. */
static void load_vector(const char *file, const char *name, tv_vector *tv)
{
    const char *dir = getenv("PIPELINE_VECTORS");
    char path[4096];
    size_t len = 0;
    char *text;
    const char *end, *v;
    int found = 0;

    ck_assert_msg(dir != NULL, "PIPELINE_VECTORS is not set");
    ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, file),
                     (int)sizeof(path));
    text = read_file(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    end = text + len;
    ck_assert_msg(json_ws(json_skip_value(json_ws(text, end), end, 0), end) ==
                      end,
                  "%s is not valid JSON", path);

    for (v = json_first(json_get(json_ws(text, end), end, "vectors"), end);
         v != NULL; v = json_next(v, end)) {
        if (!json_string_is(json_get(v, end, "protocol_name"), end, name))
            continue;
        found++;
        fill_vector(v, end, tv);
    }
    free(text);
    ck_assert_msg(found == 1, "%s: %d vectors for %s", file, found, name);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

#define XX_HANDSHAKE_MSGS 3

typedef struct {
    noise_handshake ini, resp;
    uint8_t ini_s[32], resp_s[32];
} hs_pair;

static void pair_init(hs_pair *p)
{
    static const uint8_t prologue[] = "test prologue";

    randombytes_buf(p->ini_s, sizeof(p->ini_s));
    randombytes_buf(p->resp_s, sizeof(p->resp_s));
    ck_assert_int_eq(noise_hs_init(&p->ini, cur_cipher, 1, prologue,
                                   sizeof(prologue), p->ini_s, NULL),
                     0);
    ck_assert_int_eq(noise_hs_init(&p->resp, cur_cipher, 0, prologue,
                                   sizeof(prologue), p->resp_s, NULL),
                     0);
}

/* Sender and receiver of handshake message i. */
static noise_handshake *sender(hs_pair *p, int i)
{
    return i % 2 == 0 ? &p->ini : &p->resp;
}

static noise_handshake *receiver(hs_pair *p, int i)
{
    return i % 2 == 0 ? &p->resp : &p->ini;
}

/* Runs handshake message i through unchanged, with a short payload. */
static void pair_step(hs_pair *p, int i)
{
    uint8_t msg[256], pl[64];
    size_t len, plen;

    ck_assert_int_eq(noise_hs_write(sender(p, i), (const uint8_t *)"hi", 2, msg,
                                    sizeof(msg), &len),
                     0);
    ck_assert_int_eq(
        noise_hs_read(receiver(p, i), msg, len, pl, sizeof(pl), &plen), 0);
    ck_assert_uint_eq(plen, 2);
    ck_assert_mem_eq(pl, "hi", 2);
}

static void pair_finish(hs_pair *p, noise_cipherstate *isend,
                        noise_cipherstate *irecv, noise_cipherstate *rsend,
                        noise_cipherstate *rrecv)
{
    for (int i = 0; i < XX_HANDSHAKE_MSGS; i++)
        pair_step(p, i);
    ck_assert(noise_hs_done(&p->ini));
    ck_assert(noise_hs_done(&p->resp));
    noise_hs_split(&p->ini, isend, irecv);
    noise_hs_split(&p->resp, rsend, rrecv);
}

static void assert_remote_static(const noise_handshake *hs,
                                 const uint8_t peer_priv[32])
{
    uint8_t pub[32];
    const uint8_t *rs = noise_hs_remote_static(hs);

    ck_assert_ptr_nonnull(rs);
    ck_assert_int_eq(crypto_scalarmult_base(pub, peer_priv), 0);
    ck_assert_mem_eq(rs, pub, 32);
}

/* Encrypts pt with tx (in place), checks against expect if given, then
 * decrypts with rx (in place) and checks the round trip. */
static void transport_roundtrip(noise_cipherstate *tx, noise_cipherstate *rx,
                                const uint8_t *pt, size_t plen,
                                const uint8_t *expect, size_t expect_len)
{
    uint8_t buf[TV_MAX_BYTES + NOISE_TAGLEN];
    size_t clen, outlen;

    ck_assert_uint_le(plen, TV_MAX_BYTES);
    memcpy(buf, pt, plen);
    ck_assert_int_eq(noise_cs_encrypt(tx, NULL, 0, buf, plen, buf, &clen), 0);
    ck_assert_uint_eq(clen, plen + NOISE_TAGLEN);
    if (expect != NULL) {
        ck_assert_uint_eq(clen, expect_len);
        ck_assert_mem_eq(buf, expect, clen);
    }
    ck_assert_int_eq(noise_cs_decrypt(rx, NULL, 0, buf, clen, buf, &outlen), 0);
    ck_assert_uint_eq(outlen, plen);
    ck_assert_mem_eq(buf, pt, plen);
}

/* ------------------------------------------------------------------ */
/* Vector tests                                                         */
/* ------------------------------------------------------------------ */

static void vector_handshake(const tv_vector *tv, hs_pair *p)
{
    for (int i = 0; i < XX_HANDSHAKE_MSGS; i++) {
        const tv_msg *m = &tv->msgs[i];
        uint8_t out[TV_MAX_BYTES], pl[TV_MAX_BYTES];
        size_t len, plen;

        ck_assert_int_eq(noise_hs_write(sender(p, i), m->payload, m->plen, out,
                                        sizeof(out), &len),
                         0);
        ck_assert_uint_eq(len, m->clen);
        ck_assert_msg(memcmp(out, m->ct, len) == 0,
                      "handshake message %d differs", i);
        ck_assert_int_eq(
            noise_hs_read(receiver(p, i), out, len, pl, sizeof(pl), &plen), 0);
        ck_assert_uint_eq(plen, m->plen);
        ck_assert_mem_eq(pl, m->payload, plen);
    }
}

static void run_vector(const char *file, int cipher, int expect_hash)
{
    static tv_vector tv; /* large; keep it off the stack */
    hs_pair p;
    noise_cipherstate isend, irecv, rsend, rrecv;

    load_vector(file, noise_protocol_name(cipher), &tv);
    ck_assert_int_eq(tv.has_hash, expect_hash);
    ck_assert_uint_gt(tv.nmsgs, XX_HANDSHAKE_MSGS);

    memcpy(p.ini_s, tv.init_static, 32);
    memcpy(p.resp_s, tv.resp_static, 32);
    ck_assert_int_eq(noise_hs_init(&p.ini, cipher, 1, tv.init_prologue,
                                   tv.init_prologue_len, tv.init_static,
                                   tv.init_ephemeral),
                     0);
    ck_assert_int_eq(noise_hs_init(&p.resp, cipher, 0, tv.resp_prologue,
                                   tv.resp_prologue_len, tv.resp_static,
                                   tv.resp_ephemeral),
                     0);
    vector_handshake(&tv, &p);

    ck_assert(noise_hs_done(&p.ini) && noise_hs_done(&p.resp));
    ck_assert_mem_eq(noise_hs_hash(&p.ini), noise_hs_hash(&p.resp),
                     NOISE_HASHLEN);
    if (tv.has_hash)
        ck_assert_mem_eq(noise_hs_hash(&p.ini), tv.hash, NOISE_HASHLEN);
    assert_remote_static(&p.ini, tv.resp_static);
    assert_remote_static(&p.resp, tv.init_static);

    noise_hs_split(&p.ini, &isend, &irecv);
    noise_hs_split(&p.resp, &rsend, &rrecv);
    /* The initiator's states get a backend context (as the channel's do),
     * the responder's stay one-off: each direction then runs one of each
     * path against the vector. */
    ck_assert_int_eq(noise_cs_prepare(&isend), 0);
    ck_assert_int_eq(noise_cs_prepare(&irecv), 0);
    /* h must survive Split (channel binding). */
    if (tv.has_hash)
        ck_assert_mem_eq(noise_hs_hash(&p.ini), tv.hash, NOISE_HASHLEN);

    /* Even indexes: initiator -> responder (c1); odd: the reverse (c2). */
    for (size_t i = XX_HANDSHAKE_MSGS; i < tv.nmsgs; i++) {
        const tv_msg *m = &tv.msgs[i];

        if (i % 2 == 0)
            transport_roundtrip(&isend, &rrecv, m->payload, m->plen, m->ct,
                                m->clen);
        else
            transport_roundtrip(&rsend, &irecv, m->payload, m->plen, m->ct,
                                m->clen);
    }
    noise_cs_clear(&isend);
    noise_cs_clear(&irecv);
    noise_cs_clear(&rsend);
    noise_cs_clear(&rrecv);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}

START_TEST(test_vector_cacophony)
{
    run_vector("cacophony-subset.json", ciphers[_i], 1);
}
END_TEST

START_TEST(test_vector_snow)
{
    run_vector("snow-subset.json", ciphers[_i], 0);
}
END_TEST

/* The binary runs on the backend its build says (so the two test binaries
 * really cover both), and both ciphers are there on this hardware. */
START_TEST(test_backend)
{
    const char *want = getenv("PIPELINE_EXPECT_AEAD");
    const char *have = noise_aead_backend_name();

    ck_assert_ptr_nonnull(want);
    ck_assert_str_eq(have, strcmp(want, "sodium") == 0 ? "libsodium" : want);
    ck_assert(noise_cipher_available(NOISE_CIPHER_CHACHAPOLY));
    /* libsodium has AES-GCM only with hardware AES, which CI has. */
    ck_assert(noise_cipher_available(NOISE_CIPHER_AESGCM));
    ck_assert(!noise_cipher_available(0) && !noise_cipher_available(3));
    ck_assert_int_eq(
        noise_cipher_of_protocol("Noise_XX_25519_AESGCM_SHA256", 28),
        NOISE_CIPHER_AESGCM);
    ck_assert_int_eq(noise_cipher_of_protocol(NOISE_PROTOCOL_NAME, 32),
                     NOISE_CIPHER_CHACHAPOLY);
    ck_assert_int_eq(noise_cipher_of_protocol(NOISE_PROTOCOL_NAME, 31), 0);
    ck_assert_int_eq(
        noise_cipher_of_protocol("Noise_XX_25519_AESGCM_SHA512", 28), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CipherState / SymmetricState                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_cs_no_key_passthrough)
{
    noise_cipherstate cs;
    uint8_t buf[] = "plain";
    size_t len;

    memset(&cs, 0, sizeof(cs));
    ck_assert_int_eq(noise_cs_encrypt(&cs, NULL, 0, buf, 5, buf, &len), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(buf, "plain", 5);
    ck_assert_int_eq(noise_cs_decrypt(&cs, NULL, 0, buf, 5, buf, &len), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(buf, "plain", 5);
    ck_assert(cs.n == 0);
}
END_TEST

/* Section 12.3: 4 zero bytes, then n little-endian. */
START_TEST(test_cs_nonce_layout)
{
    static const uint8_t nonce[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
    uint8_t key[32], ours[64], ref[64];
    unsigned long long reflen;
    noise_cipherstate cs;
    size_t len;

    randombytes_buf(key, sizeof(key));
    noise_cs_init_key_cipher(&cs, NOISE_CIPHER_CHACHAPOLY, key);
    cs.n = 0x0102030405060708ULL;
    ck_assert_int_eq(noise_cs_encrypt(&cs, (const uint8_t *)"ad", 2,
                                      (const uint8_t *)"message", 7, ours,
                                      &len),
                     0);
    crypto_aead_chacha20poly1305_ietf_encrypt(
        ref, &reflen, (const uint8_t *)"message", 7, (const uint8_t *)"ad", 2,
        NULL, nonce, key);
    ck_assert_uint_eq(len, (size_t)reflen);
    ck_assert_mem_eq(ours, ref, len);
    ck_assert(cs.n == 0x0102030405060709ULL);
}
END_TEST

/* Section 12.4: 4 zero bytes, then n big-endian; prepared or not. */
START_TEST(test_cs_nonce_layout_aesgcm)
{
    static const uint8_t nonce[12] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t key[32], ours[64], ref[64];
    unsigned long long reflen;
    noise_cipherstate cs;
    size_t len;

    ck_assert(crypto_aead_aes256gcm_is_available());
    randombytes_buf(key, sizeof(key));
    crypto_aead_aes256gcm_encrypt(ref, &reflen, (const uint8_t *)"message", 7,
                                  (const uint8_t *)"ad", 2, NULL, nonce, key);
    for (int prepared = 0; prepared < 2; prepared++) {
        noise_cs_init_key_cipher(&cs, NOISE_CIPHER_AESGCM, key);
        if (prepared)
            ck_assert_int_eq(noise_cs_prepare(&cs), 0);
        cs.n = 0x0102030405060708ULL;
        ck_assert_int_eq(noise_cs_encrypt(&cs, (const uint8_t *)"ad", 2,
                                          (const uint8_t *)"message", 7, ours,
                                          &len),
                         0);
        ck_assert_uint_eq(len, (size_t)reflen);
        ck_assert_mem_eq(ours, ref, len);
        ck_assert(cs.n == 0x0102030405060709ULL);
        noise_cs_clear(&cs);
    }
}
END_TEST

/* A prepared direction starts on its cheap path and moves to the bulk one
 * (OpenSSL: libsodium, then EVP after 256 KiB) without a visible seam: its
 * messages match a one-off state's byte for byte on both sides of it. */
START_TEST(test_cs_warmup_switch)
{
    static uint8_t a[65535], b[65535];
    uint8_t key[32];
    noise_cipherstate prep, once, rx;
    size_t alen, blen, plen;

    noise_aead_set_warmup(256 * 1024);
    randombytes_buf(key, sizeof(key));
    noise_cs_init_key_cipher(&prep, ciphers[_i], key);
    noise_cs_init_key_cipher(&once, ciphers[_i], key);
    noise_cs_init_key_cipher(&rx, ciphers[_i], key);
    ck_assert_int_eq(noise_cs_prepare(&prep), 0);
    ck_assert_int_eq(noise_cs_prepare(&rx), 0);
    for (int i = 0; i < 12; i++) { /* 12 x 60000 bytes: past the switch */
        randombytes_buf(a, 60000);
        memcpy(b, a, 60000);
        ck_assert_int_eq(noise_cs_encrypt(&prep, NULL, 0, a, 60000, a, &alen),
                         0);
        ck_assert_int_eq(noise_cs_encrypt(&once, NULL, 0, b, 60000, b, &blen),
                         0);
        ck_assert_uint_eq(alen, blen);
        ck_assert_mem_eq(a, b, alen);
        ck_assert_int_eq(noise_cs_decrypt(&rx, NULL, 0, a, alen, a, &plen), 0);
        ck_assert_uint_eq(plen, 60000);
    }
    /* After the switch a tampered message still fails and leaves the
     * nonce where it was. */
    ck_assert_int_eq(noise_cs_encrypt(&prep, NULL, 0, a, 100, a, &alen), 0);
    a[3] ^= 1;
    ck_assert_int_eq(noise_cs_decrypt(&rx, NULL, 0, a, alen, a, &plen), -1);
    ck_assert(rx.n == 12);
    noise_cs_clear(&prep);
    noise_cs_clear(&rx);
    noise_aead_set_warmup(0);
}
END_TEST

START_TEST(test_cs_nonce_exhausted)
{
    uint8_t key[32] = {1}, buf[64] = {0};
    noise_cipherstate tx, rx;
    size_t len, outlen;

    noise_cs_init_key_cipher(&tx, ciphers[_i], key);
    noise_cs_init_key_cipher(&rx, ciphers[_i], key);
    ck_assert_int_eq(noise_cs_prepare(&rx), 0);
    tx.n = rx.n = UINT64_MAX - 1;
    ck_assert_int_eq(noise_cs_encrypt(&tx, NULL, 0, buf, 3, buf, &len), 0);
    ck_assert_int_eq(noise_cs_decrypt(&rx, NULL, 0, buf, len, buf, &outlen), 0);
    /* 2^64-1 is reserved: both directions must refuse it. */
    ck_assert(tx.n == UINT64_MAX && rx.n == UINT64_MAX);
    ck_assert_int_eq(noise_cs_encrypt(&tx, NULL, 0, buf, 3, buf, &len), -1);
    ck_assert_int_eq(noise_cs_decrypt(&rx, NULL, 0, buf, 19, buf, &outlen), -1);
    ck_assert(tx.n == UINT64_MAX);
    noise_cs_clear(&rx);
}
END_TEST

START_TEST(test_cs_short_ciphertext)
{
    uint8_t key[32] = {2}, buf[NOISE_TAGLEN] = {0};
    noise_cipherstate cs;
    size_t outlen;

    noise_cs_init_key_cipher(&cs, ciphers[_i], key);
    for (size_t len = 0; len < NOISE_TAGLEN; len++)
        ck_assert_int_eq(noise_cs_decrypt(&cs, NULL, 0, buf, len, buf, &outlen),
                         -1);
    ck_assert(cs.n == 0);
}
END_TEST

START_TEST(test_ss_protocol_name)
{
    static const char *long_name = "Noise_XXpsk3_25519_ChaChaPoly_SHA256";
    noise_symmetricstate ss;
    uint8_t want[NOISE_HASHLEN] = {0};

    /* Exactly 32 bytes: used as is. */
    noise_ss_init(&ss, NOISE_PROTOCOL_NAME, NOISE_CIPHER_CHACHAPOLY);
    ck_assert_mem_eq(ss.h, NOISE_PROTOCOL_NAME, NOISE_HASHLEN);
    ck_assert_mem_eq(ss.ck, ss.h, NOISE_HASHLEN);
    ck_assert_int_eq(ss.cs.has_key, 0);

    /* Shorter: zero padded. */
    noise_ss_init(&ss, "Noise_NN_448", NOISE_CIPHER_CHACHAPOLY);
    memcpy(want, "Noise_NN_448", 12);
    ck_assert_mem_eq(ss.h, want, NOISE_HASHLEN);

    /* Longer: hashed. */
    noise_ss_init(&ss, long_name, NOISE_CIPHER_CHACHAPOLY);
    crypto_hash_sha256(want, (const uint8_t *)long_name, strlen(long_name));
    ck_assert_mem_eq(ss.h, want, NOISE_HASHLEN);
    ck_assert_mem_eq(ss.ck, want, NOISE_HASHLEN);
}
END_TEST

/* HKDF with an all-zero ck is RFC 5869 HKDF with an empty salt (HMAC pads
 * short keys with zeros), so MixKey must reproduce RFC 5869 test case 3:
 * ck = OKM[0..32]; the first 10 bytes of k are OKM[32..42]. */
START_TEST(test_ss_hkdf_rfc5869)
{
    static const uint8_t okm1[32] = {
        0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80,
        0x2a, 0x06, 0x3c, 0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1,
        0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73, 0x8d, 0x2d};
    static const uint8_t okm2[32] = {
        0x9d, 0x20, 0x13, 0x95, 0xfa, 0xa4, 0xb6, 0x1a, 0x96, 0xc8, 0xb2,
        0xfb, 0x61, 0x05, 0x72, 0x44, 0xb3, 0x6c, 0x6d, 0xdd, 0x28, 0x7f,
        0x63, 0x47, 0x95, 0xe7, 0xd8, 0x0d, 0x5f, 0xe2, 0x6b, 0xfc};
    uint8_t ikm[22];
    noise_symmetricstate ss;

    memset(ikm, 0x0b, sizeof(ikm));
    noise_ss_init(&ss, NOISE_PROTOCOL_NAME, NOISE_CIPHER_CHACHAPOLY);
    memset(ss.ck, 0, sizeof(ss.ck));
    noise_ss_mix_key(&ss, ikm, sizeof(ikm));
    ck_assert_mem_eq(ss.ck, okm1, 32);
    ck_assert_mem_eq(ss.cs.k, okm2, 32);
    ck_assert_int_eq(ss.cs.has_key, 1);
    ck_assert(ss.cs.n == 0);
    noise_ss_clear(&ss);
}
END_TEST

/* EncryptAndHash/DecryptAndHash in place must leave both sides with the
 * same h, which means h absorbs the ciphertext, not the plaintext. */
START_TEST(test_ss_in_place_roundtrip)
{
    noise_symmetricstate a, b;
    uint8_t buf[64], want_h[NOISE_HASHLEN];
    crypto_hash_sha256_state st;
    size_t len, outlen;

    noise_ss_init(&a, noise_protocol_name(ciphers[_i]), ciphers[_i]);
    noise_ss_mix_key(&a, (const uint8_t *)"ikm", 3);
    b = a;
    memcpy(buf, "payload", 7);
    ck_assert_int_eq(noise_ss_encrypt_and_hash(&a, buf, 7, buf, &len), 0);
    ck_assert_uint_eq(len, 7 + NOISE_TAGLEN);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, b.h, NOISE_HASHLEN);
    crypto_hash_sha256_update(&st, buf, len);
    crypto_hash_sha256_final(&st, want_h);
    ck_assert_int_eq(noise_ss_decrypt_and_hash(&b, buf, len, buf, &outlen), 0);
    ck_assert_uint_eq(outlen, 7);
    ck_assert_mem_eq(buf, "payload", 7);
    ck_assert_mem_eq(a.h, want_h, NOISE_HASHLEN);
    ck_assert_mem_eq(b.h, want_h, NOISE_HASHLEN);
}
END_TEST

START_TEST(test_ss_decrypt_failure_keeps_h)
{
    noise_symmetricstate a, b;
    uint8_t buf[64], h_before[NOISE_HASHLEN];
    size_t len, outlen;

    noise_ss_init(&a, noise_protocol_name(ciphers[_i]), ciphers[_i]);
    noise_ss_mix_key(&a, (const uint8_t *)"ikm", 3);
    b = a;
    memcpy(buf, "payload", 7);
    ck_assert_int_eq(noise_ss_encrypt_and_hash(&a, buf, 7, buf, &len), 0);
    buf[0] ^= 1;
    memcpy(h_before, b.h, NOISE_HASHLEN);
    ck_assert_int_eq(noise_ss_decrypt_and_hash(&b, buf, len, buf, &outlen), -1);
    ck_assert_mem_eq(b.h, h_before, NOISE_HASHLEN);
    ck_assert(b.cs.n == 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Handshake failure paths                                              */
/* ------------------------------------------------------------------ */

/* Flips one bit of handshake message msg_i at pos; the receiver must
 * reject it (msg 1 and 2 are authenticated) and stay unusable. */
static void tamper_one(int msg_i, size_t pos, uint8_t mask)
{
    hs_pair p;
    uint8_t msg[256], pl[64];
    size_t len, plen;

    pair_init(&p);
    for (int i = 0; i < msg_i; i++)
        pair_step(&p, i);
    ck_assert_int_eq(noise_hs_write(sender(&p, msg_i), (const uint8_t *)"hi", 2,
                                    msg, sizeof(msg), &len),
                     0);
    ck_assert_uint_lt(pos, len);
    msg[pos] ^= mask;
    ck_assert_msg(noise_hs_read(receiver(&p, msg_i), msg, len, pl, sizeof(pl),
                                &plen) == -1,
                  "tampered msg %d byte %zu mask %02x accepted", msg_i, pos,
                  mask);
    ck_assert_uint_eq(plen, 0);
    msg[pos] ^= mask;
    ck_assert_int_eq(
        noise_hs_read(receiver(&p, msg_i), msg, len, pl, sizeof(pl), &plen),
        -1);
    ck_assert(!noise_hs_done(receiver(&p, msg_i)));
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}

START_TEST(test_tampered_handshake)
{
    cur_cipher = ciphers[_i];
    /* Message sizes with a 2-byte payload: e+s+tags, s+tags. */
    static const size_t lens[XX_HANDSHAKE_MSGS] = {32 + 2, 32 + 48 + 2 + 16,
                                                   48 + 2 + 16};

    for (int m = 1; m < XX_HANDSHAKE_MSGS; m++) {
        for (size_t pos = 0; pos < lens[m]; pos++) {
            tamper_one(m, pos, 0x01);
            tamper_one(m, pos, 0x80);
        }
    }
}
END_TEST

/* Message 0 carries no MAC; tampering with it must surface when the
 * initiator reads message 1, because the two transcripts differ. */
START_TEST(test_tampered_first_message)
{
    cur_cipher = ciphers[_i];
    static const size_t positions[] = {0, 31, 32, 33};

    for (size_t k = 0; k < sizeof(positions) / sizeof(positions[0]); k++) {
        hs_pair p;
        uint8_t msg[256], pl[64];
        size_t len, plen;

        pair_init(&p);
        ck_assert_int_eq(noise_hs_write(&p.ini, (const uint8_t *)"hi", 2, msg,
                                        sizeof(msg), &len),
                         0);
        msg[positions[k]] ^= 0x80;
        ck_assert_int_eq(
            noise_hs_read(&p.resp, msg, len, pl, sizeof(pl), &plen), 0);
        ck_assert_int_eq(
            noise_hs_write(&p.resp, NULL, 0, msg, sizeof(msg), &len), 0);
        ck_assert_int_eq(noise_hs_read(&p.ini, msg, len, pl, sizeof(pl), &plen),
                         -1);
        noise_hs_clear(&p.ini);
        noise_hs_clear(&p.resp);
    }
}
END_TEST

/* Reads exactly len bytes from a heap copy, so ASan/valgrind see any
 * read past the end. */
static int read_exact(noise_handshake *hs, const uint8_t *msg, size_t len,
                      uint8_t *pl, size_t cap, size_t *plen)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    ck_assert_ptr_nonnull(copy);
    if (len > 0)
        memcpy(copy, msg, len);
    rc = noise_hs_read(hs, copy, len, pl, cap, plen);
    free(copy);
    return rc;
}

START_TEST(test_truncated_handshake)
{
    cur_cipher = ciphers[_i];
    /* Fixed part of each message: e; e + enc(s) + tag; enc(s) + tag. */
    static const size_t fixed[XX_HANDSHAKE_MSGS] = {32, 32 + 48 + 16, 48 + 16};

    for (int m = 0; m < XX_HANDSHAKE_MSGS; m++) {
        hs_pair p;
        uint8_t msg[256], pl[64], h_before[NOISE_HASHLEN];
        size_t len, plen;
        noise_handshake *rx;

        pair_init(&p);
        for (int i = 0; i < m; i++)
            pair_step(&p, i);
        rx = receiver(&p, m);
        ck_assert_int_eq(noise_hs_write(sender(&p, m), (const uint8_t *)"hi", 2,
                                        msg, sizeof(msg), &len),
                         0);
        ck_assert_uint_eq(len, fixed[m] + 2);
        memcpy(h_before, noise_hs_hash(rx), NOISE_HASHLEN);
        /* Too short to hold the fixed fields: rejected up front, and the
         * receiver is untouched, so the real message still goes through. */
        for (size_t cut = 0; cut < fixed[m]; cut++)
            ck_assert_int_eq(read_exact(rx, msg, cut, pl, sizeof(pl), &plen),
                             -1);
        ck_assert_mem_eq(noise_hs_hash(rx), h_before, NOISE_HASHLEN);
        /* Payload buffer too small: likewise rejected without damage. */
        ck_assert_int_eq(read_exact(rx, msg, len, pl, 1, &plen), -1);
        ck_assert_int_eq(read_exact(rx, msg, len, pl, sizeof(pl), &plen), 0);
        ck_assert_uint_eq(plen, 2);
        noise_hs_clear(&p.ini);
        noise_hs_clear(&p.resp);
    }
}
END_TEST

/* Cutting into the payload of an authenticated message breaks its tag. */
START_TEST(test_truncated_payload)
{
    cur_cipher = ciphers[_i];
    for (int m = 1; m < XX_HANDSHAKE_MSGS; m++) {
        hs_pair p;
        uint8_t msg[256], pl[64];
        size_t len, plen;

        pair_init(&p);
        for (int i = 0; i < m; i++)
            pair_step(&p, i);
        ck_assert_int_eq(noise_hs_write(sender(&p, m), (const uint8_t *)"hi", 2,
                                        msg, sizeof(msg), &len),
                         0);
        ck_assert_int_eq(
            read_exact(receiver(&p, m), msg, len - 1, pl, sizeof(pl), &plen),
            -1);
        noise_hs_clear(&p.ini);
        noise_hs_clear(&p.resp);
    }
}
END_TEST

START_TEST(test_oversized_handshake)
{
    cur_cipher = ciphers[_i];
    hs_pair p;
    uint8_t *in = calloc(1, NOISE_MAX_MSG + 1);
    uint8_t *msg = calloc(1, NOISE_MAX_MSG + 1);
    uint8_t *pl = calloc(1, NOISE_MAX_MSG + 1);
    size_t len, plen;

    ck_assert(in != NULL && msg != NULL && pl != NULL);
    pair_init(&p);
    /* Writer: one payload byte more would push message 0 (32-byte e plus
     * plaintext payload) past 65535 bytes. */
    ck_assert_int_eq(noise_hs_write(&p.ini, in, NOISE_MAX_MSG - 31, msg,
                                    NOISE_MAX_MSG + 1, &len),
                     -1);
    ck_assert_int_eq(noise_hs_write(&p.ini, in, NOISE_MAX_MSG - 32, msg,
                                    NOISE_MAX_MSG + 1, &len),
                     0);
    ck_assert_uint_eq(len, NOISE_MAX_MSG);
    /* Reader: one byte over the limit, or nothing at all, is refused
     * without touching the state; the real message then goes through. */
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, NOISE_MAX_MSG + 1, pl,
                                   NOISE_MAX_MSG + 1, &plen),
                     -1);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, 0, pl, NOISE_MAX_MSG, &plen),
                     -1);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, len, pl, NOISE_MAX_MSG, &plen),
                     0);
    ck_assert_uint_eq(plen, NOISE_MAX_MSG - 32);
    free(in);
    free(msg);
    free(pl);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}
END_TEST

START_TEST(test_out_of_turn)
{
    cur_cipher = ciphers[_i];
    hs_pair p;
    uint8_t msg[256] = {0}, pl[64];
    size_t len, plen;

    pair_init(&p);
    ck_assert_int_eq(noise_hs_read(&p.ini, msg, 64, pl, sizeof(pl), &plen), -1);
    ck_assert_int_eq(noise_hs_write(&p.resp, NULL, 0, msg, sizeof(msg), &len),
                     -1);
    /* Too small an output buffer is refused without consuming the turn. */
    ck_assert_int_eq(noise_hs_write(&p.ini, NULL, 0, msg, 31, &len), -1);
    ck_assert_int_eq(noise_hs_write(&p.ini, NULL, 0, msg, sizeof(msg), &len),
                     0);
    ck_assert_int_eq(noise_hs_write(&p.ini, NULL, 0, msg, sizeof(msg), &len),
                     -1);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, 32, pl, sizeof(pl), &plen), 0);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, 32, pl, sizeof(pl), &plen),
                     -1);
    pair_step(&p, 1);
    pair_step(&p, 2);
    ck_assert(noise_hs_done(&p.ini) && noise_hs_done(&p.resp));
    ck_assert_int_eq(noise_hs_write(&p.ini, NULL, 0, msg, sizeof(msg), &len),
                     -1);
    ck_assert_int_eq(noise_hs_write(&p.resp, NULL, 0, msg, sizeof(msg), &len),
                     -1);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, 64, pl, sizeof(pl), &plen),
                     -1);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}
END_TEST

/* Split before the end must not hand out usable (or pass-through) keys. */
START_TEST(test_split_too_early)
{
    cur_cipher = ciphers[_i];
    hs_pair p;
    noise_cipherstate tx, rx;
    uint8_t buf[64] = {0};
    size_t len;

    pair_init(&p);
    pair_step(&p, 0);
    noise_hs_split(&p.ini, &tx, &rx);
    ck_assert_int_eq(noise_cs_encrypt(&tx, NULL, 0, buf, 4, buf, &len), -1);
    ck_assert_int_eq(noise_cs_decrypt(&rx, NULL, 0, buf, 20, buf, &len), -1);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}
END_TEST

START_TEST(test_low_order_ephemeral)
{
    cur_cipher = ciphers[_i];
    /* u = 0 is a low-order point; X25519 with it yields all zeros. */
    hs_pair p;
    uint8_t msg[64] = {0}, pl[8], out[256];
    size_t len, plen;

    pair_init(&p);
    ck_assert_int_eq(noise_hs_read(&p.resp, msg, 32, pl, sizeof(pl), &plen), 0);
    /* The responder's first DH (ee) must refuse it. */
    ck_assert_int_eq(noise_hs_write(&p.resp, NULL, 0, out, sizeof(out), &len),
                     -1);
    ck_assert(!noise_hs_done(&p.resp));
    ck_assert_int_eq(noise_hs_write(&p.resp, NULL, 0, out, sizeof(out), &len),
                     -1);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Random-key handshakes and transport                                  */
/* ------------------------------------------------------------------ */

START_TEST(test_random_handshakes)
{
    cur_cipher = ciphers[_i];
    uint8_t hashes[2][NOISE_HASHLEN];

    for (int run = 0; run < 2; run++) {
        hs_pair p;
        noise_cipherstate isend, irecv, rsend, rrecv;
        static const uint8_t ping[] = "ping", pong[] = "pong!";
        uint8_t buf[64];
        size_t len;

        pair_init(&p);
        pair_finish(&p, &isend, &irecv, &rsend, &rrecv);
        ck_assert_mem_eq(noise_hs_hash(&p.ini), noise_hs_hash(&p.resp),
                         NOISE_HASHLEN);
        memcpy(hashes[run], noise_hs_hash(&p.ini), NOISE_HASHLEN);
        assert_remote_static(&p.ini, p.resp_s);
        assert_remote_static(&p.resp, p.ini_s);

        ck_assert(isend.has_key && irecv.has_key);
        ck_assert_mem_eq(isend.k, rrecv.k, NOISE_KEYLEN);
        ck_assert_mem_eq(rsend.k, irecv.k, NOISE_KEYLEN);
        ck_assert(memcmp(isend.k, rsend.k, NOISE_KEYLEN) != 0);

        for (int i = 0; i < 3; i++) {
            transport_roundtrip(&isend, &rrecv, ping, sizeof(ping), NULL, 0);
            transport_roundtrip(&rsend, &irecv, pong, sizeof(pong), NULL, 0);
        }
        ck_assert(isend.n == 3 && rrecv.n == 3);

        /* Split wiped the private keys and ck but kept h. */
        ck_assert(sodium_is_zero(p.ini.s_priv, 32));
        ck_assert(sodium_is_zero(p.ini.e_priv, 32));
        ck_assert(sodium_is_zero(p.ini.ss.ck, NOISE_HASHLEN));
        ck_assert(sodium_is_zero(p.resp.s_priv, 32));
        ck_assert(sodium_is_zero(p.resp.e_priv, 32));
        ck_assert(!sodium_is_zero(noise_hs_hash(&p.ini), NOISE_HASHLEN));

        /* A second split must not reissue keys. */
        noise_hs_split(&p.ini, &isend, &irecv);
        ck_assert_int_eq(noise_cs_encrypt(&isend, NULL, 0, ping, 4, buf, &len),
                         -1);

        noise_cs_clear(&isend);
        noise_cs_clear(&irecv);
        noise_cs_clear(&rsend);
        noise_cs_clear(&rrecv);
        noise_hs_clear(&p.ini);
        noise_hs_clear(&p.resp);
    }
    ck_assert(memcmp(hashes[0], hashes[1], NOISE_HASHLEN) != 0);
}
END_TEST

START_TEST(test_tampered_transport)
{
    cur_cipher = ciphers[_i];
    hs_pair p;
    noise_cipherstate isend, irecv, rsend, rrecv;
    uint8_t ct[64], bad[64], pt[64];
    size_t clen, len;

    pair_init(&p);
    pair_finish(&p, &isend, &irecv, &rsend, &rrecv);
    /* The channel's path: a prepared receiver must refuse just the same,
     * leave no plaintext behind and keep its nonce. */
    ck_assert_int_eq(noise_cs_prepare(&rrecv), 0);
    ck_assert_int_eq(noise_cs_encrypt(&isend, NULL, 0,
                                      (const uint8_t *)"secret", 6, ct, &clen),
                     0);
    for (size_t pos = 0; pos < clen; pos++) {
        memcpy(bad, ct, clen);
        bad[pos] ^= 0x01;
        ck_assert_int_eq(
            noise_cs_decrypt(&rrecv, NULL, 0, bad, clen, bad, &len), -1);
        ck_assert(rrecv.n == 0);
        ck_assert(memcmp(bad, "secret", 6) != 0);
    }
    /* Wrong associated data fails too. */
    ck_assert_int_eq(
        noise_cs_decrypt(&rrecv, (const uint8_t *)"x", 1, ct, clen, pt, &len),
        -1);
    ck_assert(rrecv.n == 0);
    ck_assert_int_eq(noise_cs_decrypt(&rrecv, NULL, 0, ct, clen, pt, &len), 0);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(pt, "secret", 6);
    ck_assert(rrecv.n == 1);
    /* Replaying it now fails: the nonce has moved on. */
    ck_assert_int_eq(noise_cs_decrypt(&rrecv, NULL, 0, ct, clen, pt, &len), -1);
    noise_cs_clear(&rrecv);
    noise_hs_clear(&p.ini);
    noise_hs_clear(&p.resp);
}
END_TEST

static Suite *noise_suite(void)
{
    Suite *s = suite_create("noise");
    TCase *vec = tcase_create("vectors");
    TCase *prim = tcase_create("primitives");
    TCase *fail = tcase_create("failures");
    TCase *live = tcase_create("random");

    tcase_add_loop_test(vec, test_vector_cacophony, 0, N_CIPHERS);
    tcase_add_loop_test(vec, test_vector_snow, 0, N_CIPHERS);
    suite_add_tcase(s, vec);

    tcase_add_test(prim, test_cs_no_key_passthrough);
    tcase_add_test(prim, test_cs_nonce_layout);
    tcase_add_test(prim, test_cs_nonce_layout_aesgcm);
    tcase_add_test(prim, test_backend);
    tcase_add_loop_test(prim, test_cs_nonce_exhausted, 0, N_CIPHERS);
    tcase_add_loop_test(prim, test_cs_warmup_switch, 0, N_CIPHERS);
    tcase_add_loop_test(prim, test_cs_short_ciphertext, 0, N_CIPHERS);
    tcase_add_test(prim, test_ss_protocol_name);
    tcase_add_test(prim, test_ss_hkdf_rfc5869);
    tcase_add_loop_test(prim, test_ss_in_place_roundtrip, 0, N_CIPHERS);
    tcase_add_loop_test(prim, test_ss_decrypt_failure_keeps_h, 0, N_CIPHERS);
    suite_add_tcase(s, prim);

    /* The byte-by-byte tamper loop runs many handshakes; give valgrind
     * room (the timeout only applies in fork mode). */
    tcase_set_timeout(fail, 120);
    tcase_add_loop_test(fail, test_tampered_handshake, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_tampered_first_message, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_truncated_handshake, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_truncated_payload, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_oversized_handshake, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_out_of_turn, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_split_too_early, 0, N_CIPHERS);
    tcase_add_loop_test(fail, test_low_order_ephemeral, 0, N_CIPHERS);
    suite_add_tcase(s, fail);

    tcase_add_loop_test(live, test_random_handshakes, 0, N_CIPHERS);
    tcase_add_loop_test(live, test_tampered_transport, 0, N_CIPHERS);
    suite_add_tcase(s, live);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    /* Prepared states run the backend's bulk path (EVP for OpenSSL) from
     * the first message, so the vectors cover it. */
    noise_aead_set_warmup(0);
    sr = srunner_create(noise_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
