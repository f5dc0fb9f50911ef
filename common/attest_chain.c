/*
 * The certificate chain of an attestation document, checked by OpenSSL:
 * leaf (the document's `certificate`) -> intermediates (`cabundle`, in any
 * order) -> the trusted root, at the document's own time.
 *
 * No partial chains: the chain must end at the trusted root itself (a
 * self-signed certificate), so trusting an intermediate is not possible and
 * a document whose bundle merely contains a copy of the root proves nothing
 * unless its chain also verifies up to our copy.
 */
#include "attest_int.h"

#include <openssl/core_names.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

static X509 *parse_cert(const pl_bytes *b)
{
    const unsigned char *p = b->p;
    X509 *x = d2i_X509(NULL, &p, (long)b->n);
    if (x && p != b->p + b->n) { /* stray bytes after the certificate */
        X509_free(x);
        return NULL;
    }
    return x;
}

/* The certificate's CN (or its whole subject when it has none). */
static void cert_name(X509 *x, char *out, size_t n)
{
    X509_NAME *nm = x ? X509_get_subject_name(x) : NULL;
    out[0] = '\0';
    if (!nm) {
        snprintf(out, n, "(no certificate)");
        return;
    }
    if (X509_NAME_get_text_by_NID(nm, NID_commonName, out, (int)n) <= 0)
        X509_NAME_oneline(nm, out, (int)n);
    /* Names come from the document: keep them printable. */
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
}

static void asn1_utc(const ASN1_TIME *t, char out[32])
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm)) {
        snprintf(out, 32, "(bad time)");
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fingerprint(X509 *x, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int mdlen = 0;
    if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != sizeof md) {
        snprintf(out, 65, "(unknown)");
        return;
    }
    pl_attest_hex(md, sizeof md, out);
}

static int chain_error(X509_STORE_CTX *ctx, X509 *root, int64_t at_s,
                       pl_error *err)
{
    int e = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
    char name[160], at[32], nb[32], na[32];
    cert_name(cur, name, sizeof name);
    pl_attest_utc(at_s, at);
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        asn1_utc(cur ? X509_get0_notBefore(cur) : NULL, nb);
        asn1_utc(cur ? X509_get0_notAfter(cur) : NULL, na);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: certificate chain: \"%s\" (depth %d) is "
                       "valid %s to %s, not at the document's time %s",
                       name, depth, nb, na, at);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED: {
        char rname[160], fp[65];
        cert_name(root, rname, sizeof rname);
        fingerprint(root, fp);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: certificate chain: \"%s\" (depth %d) "
                       "does not chain to the trusted root \"%s\" (SHA-256 "
                       "%s): %s",
                       name, depth, rname, fp,
                       X509_verify_cert_error_string(e));
    }
    default:
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: certificate chain: \"%s\" (depth %d): %s",
                       name, depth, X509_verify_cert_error_string(e));
    }
}

/* Every certificate of the verified chain must also be unexpired now: a
 * document outliving its certificates is refused even within max_age. */
static int check_unexpired(STACK_OF(X509) * chain, int64_t now_s,
                           int64_t *not_after, pl_error *err)
{
    time_t now = (time_t)now_s;
    *not_after = INT64_MAX;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        struct tm tm;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm)) {
            int64_t t = (int64_t)timegm(&tm);
            if (t < *not_after)
                *not_after = t;
        }
        if (X509_cmp_time(X509_get0_notAfter(x), &now) >= 0)
            continue;
        char name[160], na[32], at[32];
        cert_name(x, name, sizeof name);
        asn1_utc(X509_get0_notAfter(x), na);
        pl_attest_utc(now_s, at);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: certificate chain: \"%s\" (depth %d) "
                       "expired %s, now is %s",
                       name, i, na, at);
    }
    return 0;
}

static int check_leaf(X509 *leaf, EVP_PKEY **key, pl_error *err)
{
    if (X509_check_ca(leaf))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: leaf certificate: is a CA certificate, "
                       "expected an end-entity certificate");
    if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: leaf certificate: key usage does not "
                       "allow digital signatures");
    EVP_PKEY *k = X509_get_pubkey(leaf);
    char group[64] = "";
    size_t glen = 0;
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                        sizeof group, &glen) ||
        strcmp(group, "secp384r1") != 0) {
        EVP_PKEY_free(k);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: leaf certificate: expected an ECDSA "
                       "P-384 key (ES384), found %s",
                       group[0] ? group : "another key type");
    }
    *key = k;
    return 0;
}

int pl_attest_chain_verify(const pl_attest_doc *d, const uint8_t *root_der,
                           size_t root_len, int64_t at_s, int64_t now_s,
                           EVP_PKEY **leaf_key, int64_t *not_after,
                           pl_error *err)
{
    *leaf_key = NULL;
    if (pl_ossl_load())
        return pl_fail(err, PL_ERR_CONFIG, "attestation: %s", pl_ossl_error());
    int rc = -1;
    X509 *leaf = NULL, *root = NULL;
    STACK_OF(X509) *bundle = sk_X509_new_null();
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!bundle || !store || !ctx) {
        pl_fail(err, PL_ERR_NOMEM, "attestation: out of memory");
        goto out;
    }
    pl_bytes rb = {root_der, root_len};
    root = parse_cert(&rb);
    if (!root) {
        pl_fail(err, PL_ERR_CONFIG,
                "attestation: the trusted root is not a DER certificate");
        goto out;
    }
    leaf = parse_cert(&d->certificate);
    if (!leaf) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: field certificate: not a DER X.509 "
                "certificate");
        goto out;
    }
    for (size_t i = 0; i < d->cabundle_n; i++) {
        X509 *x = parse_cert(&d->cabundle[i]);
        if (!x) {
            pl_fail(err, PL_ERR_AUTH,
                    "attestation: field cabundle[%zu]: not a DER X.509 "
                    "certificate",
                    i);
            goto out;
        }
        if (!sk_X509_push(bundle, x)) {
            X509_free(x);
            pl_fail(err, PL_ERR_NOMEM, "attestation: out of memory");
            goto out;
        }
    }
    if (!X509_STORE_add_cert(store, root) ||
        !X509_STORE_CTX_init(ctx, store, leaf, bundle)) {
        pl_fail(err, PL_ERR_INTERNAL,
                "attestation: cannot set up certificate verification");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    /* set_time also turns on X509_V_FLAG_USE_CHECK_TIME. */
    X509_VERIFY_PARAM_set_time(param, (time_t)at_s);
    /* Intermediates below the leaf; the root does not count. */
    X509_VERIFY_PARAM_set_depth(param, PL_ATTEST_MAX_CABUNDLE);
    /* Not X509_V_FLAG_X509_STRICT: AWS's leaf certificates have no
     * Authority Key Identifier, which strict mode requires. */
    if (X509_verify_cert(ctx) != 1) {
        chain_error(ctx, root, at_s, err);
        goto out;
    }
    if (check_unexpired(X509_STORE_CTX_get0_chain(ctx), now_s, not_after, err))
        goto out;
    if (check_leaf(leaf, leaf_key, err))
        goto out;
    rc = 0;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(bundle, X509_free);
    X509_free(leaf);
    X509_free(root);
    return rc;
}
