/*
 * Attestation policy: the order of the checks and what the caller expects
 * (docs/ATTESTATION.md is the rule book; keep both in step).
 *
 *   1. COSE_Sign1 envelope, ES384              (attest_cose.c)
 *   2. payload fields, types, sizes             (attest_payload.c)
 *   3. chain to the trusted root at the document's time, and unexpired now
 *                                               (attest_chain.c)
 *   4. ES384 signature with the leaf's key      (attest_sig.c)
 *   5. freshness, key binding, nonce, PCRs, debug mode (here)
 */
#include "attest_int.h"

#include "keys.h"

#include <ctype.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void pl_attest_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void pl_attest_utc(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "@%lld", (long long)t);
}

static int check_freshness(const pl_attest_info *info, int64_t now_s,
                           int64_t max_age_s, pl_error *err)
{
    int64_t ts = (int64_t)(info->timestamp_ms / 1000);
    char doc_t[32], now_t[32];
    pl_attest_utc(ts, doc_t);
    pl_attest_utc(now_s, now_t);
    if (ts > now_s && ts - now_s > PL_ATTEST_FUTURE_SKEW_S)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: freshness: document is from %s, %lld s "
                       "after now (%s); at most %d s of clock skew is allowed",
                       doc_t, (long long)(ts - now_s), now_t,
                       PL_ATTEST_FUTURE_SKEW_S);
    if (now_s > ts && now_s - ts > max_age_s)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: freshness: document is from %s, %lld s "
                       "before now (%s); max age is %lld s",
                       doc_t, (long long)(now_s - ts), now_t,
                       (long long)max_age_s);
    return 0;
}

static void show_key(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    if (n == 0) {
        snprintf(out, outlen, "none");
        return;
    }
    size_t shown = n > 64 ? 64 : n;
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, p, shown,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, outlen, "%s%s (%zu bytes)", b64, shown < n ? "..." : "", n);
}

static int check_key(const pl_attest_info *info, const uint8_t *server_key,
                     pl_error *err)
{
    if (info->has_public_key &&
        sodium_memcmp(info->public_key, server_key, 32) == 0)
        return 0;
    char want[PL_KEY_B64_LEN + 1], got[160];
    pl_key_to_base64(server_key, want);
    show_key(info->public_key_raw, info->public_key_len, got, sizeof got);
    return pl_fail(err, PL_ERR_AUTH,
                   "attestation: public key: expected the server's key %s, "
                   "document binds %s",
                   want, got);
}

static int check_nonce(const pl_attest_info *info, const uint8_t *nonce,
                       size_t len, pl_error *err)
{
    if (info->nonce_len == len &&
        (len == 0 || sodium_memcmp(info->nonce, nonce, len) == 0))
        return 0;
    char want[2 * 64 + 4], got[2 * 64 + 4];
    pl_attest_hex(nonce, len > 64 ? 64 : len, want);
    pl_attest_hex(info->nonce, info->nonce_len > 64 ? 64 : info->nonce_len,
                  got);
    return pl_fail(err, PL_ERR_AUTH,
                   "attestation: nonce: expected %s (%zu bytes), document has "
                   "%s (%zu bytes)",
                   len ? want : "none", len, info->nonce_len ? got : "none",
                   info->nonce_len);
}

static int check_pcrs(const pl_attest_info *info, const pl_attest_expect *exp,
                      pl_error *err)
{
    for (int i = 0; i < PL_ATTEST_MAX_PCRS; i++) {
        if (!(exp->pcr_mask & (1u << i)))
            continue;
        char want[2 * PL_ATTEST_PCR_LEN + 1], got[2 * PL_ATTEST_PCR_LEN + 1];
        pl_attest_hex(exp->pcr[i], PL_ATTEST_PCR_LEN, want);
        if (!(info->pcr_mask & (1u << i)))
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: PCR%d: expected %s, document has no "
                           "PCR%d",
                           i, want, i);
        if (memcmp(info->pcr[i], exp->pcr[i], PL_ATTEST_PCR_LEN) == 0)
            continue;
        pl_attest_hex(info->pcr[i], PL_ATTEST_PCR_LEN, got);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: PCR%d: expected %s, document has %s", i,
                       want, got);
    }
    return 0;
}

static int verify(const uint8_t *doc, size_t len, const pl_attest_expect *exp,
                  const uint8_t *server_key, pl_attest_info *info,
                  pl_error *err)
{
    int64_t now_s = exp->now_s ? exp->now_s : (int64_t)time(NULL);
    int64_t max_age =
        exp->max_age_s ? exp->max_age_s : PL_ATTEST_DEFAULT_MAX_AGE_S;
    if (max_age < 0)
        return pl_fail(err, PL_ERR_USAGE,
                       "attestation: max age must not be negative");
    size_t root_len = exp->root_der_len;
    const uint8_t *root = exp->root_der;
    if (!root) {
        root = pl_attest_aws_root(&root_len);
        if (!root)
            return pl_fail(err, PL_ERR_INTERNAL,
                           "attestation: the built-in AWS root certificate "
                           "does not match its SHA-256 fingerprint");
    }

    pl_attest_doc d;
    EVP_PKEY *leaf_key = NULL;
    int rc = -1;
    if (pl_attest_cose_decode(doc, len, &d, err) ||
        pl_attest_payload_decode(&d, info, err))
        goto out;
    int64_t ts = (int64_t)(info->timestamp_ms / 1000);
    char key[PL_ATTEST_CACHE_KEY];
    if (exp->cache_path) {
        pl_attest_cache_key(doc, len, root, root_len, key);
        /* Same bytes, same root: the chain at the document's time and the
         * signature verified before, and no certificate has expired since.
         * What depends on the caller's expectations is redone below. */
        info->from_cache = pl_attest_cache_has(exp->cache_path, key, now_s);
    }
    if (!info->from_cache) {
        int64_t not_after;
        if (pl_attest_chain_verify(&d, root, root_len, ts, now_s, &leaf_key,
                                   &not_after, err) ||
            pl_attest_sig_verify(&d, leaf_key, err))
            goto out;
        if (exp->cache_path)
            pl_attest_cache_add(exp->cache_path, key, not_after);
    }
    if (check_freshness(info, now_s, max_age, err))
        goto out;
    if (server_key && check_key(info, server_key, err))
        goto out;
    if (exp->nonce && check_nonce(info, exp->nonce, exp->nonce_len, err))
        goto out;
    if (check_pcrs(info, exp, err))
        goto out;
    /* Only meaningful when the caller trusts PCR values: a debug enclave's
     * memory is open to its host, whatever its PCR3/4/8 say. */
    if (exp->pcr_mask && info->debug && !exp->allow_debug) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: debug mode: PCR0, PCR1 and PCR2 are all zero "
                "(an enclave in debug mode, whose memory its host can read); "
                "allow_debug (--allow-debug) accepts it");
        goto out;
    }
    rc = 0;
out:
    if (leaf_key)
        EVP_PKEY_free(leaf_key);
    pl_attest_doc_free(&d);
    return rc;
}

int pl_attest_verify(const uint8_t *doc, size_t len,
                     const pl_attest_expect *exp, const uint8_t *server_key,
                     pl_attest_info *info, pl_error *err)
{
    pl_attest_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    int rc = verify(doc, len, exp, server_key, info, err);
    /* OpenSSL queues its reasons per thread; ours are in err. A cache hit
     * never touched OpenSSL: do not start it up just to clear nothing. */
    if (!info->from_cache && pl_ossl_loaded())
        ERR_clear_error();
    return rc;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int pl_attest_parse_pcr(const char *arg, pl_attest_expect *exp, pl_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || eq - arg > 2)
        return pl_fail(err, PL_ERR_USAGE,
                       "expected PCR as N=HEX (N 0 to %d, HEX %d hex digits), "
                       "not \"%.40s\"",
                       PL_ATTEST_MAX_PCRS - 1, 2 * PL_ATTEST_PCR_LEN, arg);
    int idx = 0;
    for (const char *p = arg; p < eq; p++) {
        if (*p < '0' || *p > '9')
            return pl_fail(err, PL_ERR_USAGE,
                           "PCR index in \"%.40s\" is not a number 0 to %d",
                           arg, PL_ATTEST_MAX_PCRS - 1);
        idx = idx * 10 + (*p - '0');
    }
    if (idx >= PL_ATTEST_MAX_PCRS)
        return pl_fail(err, PL_ERR_USAGE,
                       "PCR index %d is out of range (0 to %d)", idx,
                       PL_ATTEST_MAX_PCRS - 1);
    const char *hex = eq + 1;
    size_t n = strlen(hex);
    if (n != 2 * PL_ATTEST_PCR_LEN)
        return pl_fail(err, PL_ERR_USAGE,
                       "PCR%d value has %zu hex digits, expected %d (a "
                       "SHA-384 value)",
                       idx, n, 2 * PL_ATTEST_PCR_LEN);
    uint8_t v[PL_ATTEST_PCR_LEN];
    for (size_t i = 0; i < PL_ATTEST_PCR_LEN; i++) {
        int hi = hexval((unsigned char)hex[2 * i]);
        int lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return pl_fail(err, PL_ERR_USAGE, "PCR%d value is not hexadecimal",
                           idx);
        v[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(exp->pcr[idx], v, sizeof v);
    exp->pcr_mask |= 1u << idx;
    return 0;
}
