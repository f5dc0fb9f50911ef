/*
 * Unit tests for the attestation verifier (common/attest*.c): the real AWS
 * document in tests/vectors/nitro/ and its mutations, plus documents signed
 * at test time by a throwaway root made here with OpenSSL, to reach each
 * rule one by one.
 */
#include "attest.h"

#include <cbor.h>
#include <check.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Facts of the real document (tests/vectors/nitro/SOURCE.md). */
#define REAL_TS_MS 1726534079695ULL
#define REAL_AT 1726534080
static const char real_pcr3_hex[] =
    "671ca1e328f75015b2aeee60639cc5252bc835d8bb6"
    "90444d1f8e2bf4260f73dc1b71e07a14a770c7d0bec"
    "ac6eb3b53f";

static uint8_t *real_doc;
static size_t real_len;

static void load_real(void)
{
    const char *dir = getenv("PIPELINE_VECTORS");
    ck_assert_msg(dir != NULL, "PIPELINE_VECTORS is not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/nitro/debug-enclave-2024-09-17.b64", dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    real_doc = malloc(n);
    ck_assert_int_eq(sodium_base642bin(real_doc, n, text, n, " \r\n", &real_len,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    ck_assert_uint_eq(real_len, 4550);
}

static void hex2bin(const char *hex, uint8_t *out, size_t n)
{
    ck_assert_int_eq(sodium_hex2bin(out, n, hex, strlen(hex), NULL, NULL, NULL),
                     0);
}

static pl_attest_expect at(int64_t now)
{
    pl_attest_expect e;
    memset(&e, 0, sizeof e);
    e.now_s = now;
    return e;
}

/* Verifies and, when want is not NULL, expects a refusal whose message
 * holds want (and want2 when given). */
static void expect_refused(const uint8_t *doc, size_t len,
                           const pl_attest_expect *e, const uint8_t *key,
                           const char *want, const char *want2)
{
    pl_error err;
    pl_error_clear(&err);
    pl_attest_info info;
    int rc = pl_attest_verify(doc, len, e, key, &info, &err);
    ck_assert_msg(rc == -1, "accepted, expected refusal with \"%s\"", want);
    ck_assert_int_eq(err.code, PL_ERR_AUTH);
    ck_assert_msg(strstr(err.msg, want) != NULL, "\"%s\" not in: %s", want,
                  err.msg);
    if (want2)
        ck_assert_msg(strstr(err.msg, want2) != NULL, "\"%s\" not in: %s",
                      want2, err.msg);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}

static void expect_valid(const uint8_t *doc, size_t len,
                         const pl_attest_expect *e, const uint8_t *key,
                         pl_attest_info *info)
{
    pl_error err;
    pl_error_clear(&err);
    int rc = pl_attest_verify(doc, len, e, key, info, &err);
    ck_assert_msg(rc == 0, "refused: %s", err.msg);
}

START_TEST(real_document_valid_at_its_own_time)
{
    load_real();
    pl_attest_expect e = at(REAL_AT);
    pl_attest_info info;
    expect_valid(real_doc, real_len, &e, NULL, &info);
    ck_assert_str_eq(info.module_id, "i-0bbf1bfe232b8c2ce-enc0191fc27458c1d41");
    ck_assert_str_eq(info.digest, "SHA384");
    ck_assert_uint_eq(info.timestamp_ms, REAL_TS_MS);
    ck_assert_uint_eq(info.pcr_mask, 0xffff);
    uint8_t pcr3[48];
    hex2bin(real_pcr3_hex, pcr3, sizeof pcr3);
    ck_assert_mem_eq(info.pcr[3], pcr3, 48);
    ck_assert_int_eq(info.debug, 1);
    ck_assert_int_eq(info.has_public_key, 0); /* "dummy": 5 bytes */
    ck_assert_uint_eq(info.public_key_len, 5);
    ck_assert_mem_eq(info.public_key_raw, "dummy", 5);
    ck_assert_uint_eq(info.user_data_len, 68);
    ck_assert_uint_eq(info.nonce_len, 20);
    ck_assert_uint_eq(info.nonce[19], 1);
    /* Tagged form (COSE tag 18) is the same document. */
    uint8_t *tagged = malloc(real_len + 1);
    tagged[0] = 0xd2;
    memcpy(tagged + 1, real_doc, real_len);
    expect_valid(tagged, real_len + 1, &e, NULL, NULL);
    /* Expecting the right PCRs of a debug enclave, with allow_debug. */
    pl_attest_expect e2 = at(REAL_AT);
    ck_assert_int_eq(pl_attest_parse_pcr("3=671ca1e328f75015b2aeee60639cc5252bc"
                                         "835d8bb690444d1f8e2bf4260f73dc1b71e0"
                                         "7a14a770c7d0becac6eb3b53f",
                                         &e2, NULL),
                     0);
    e2.allow_debug = 1;
    expect_valid(real_doc, real_len, &e2, NULL, NULL);
    free(tagged);
    free(real_doc);
}
END_TEST

START_TEST(real_document_refused_today)
{
    load_real();
    pl_attest_expect e = at(time(NULL));
    expect_refused(real_doc, real_len, &e, NULL, "certificate chain",
                   "expired 2024-09-17T03:47:59Z");
    /* Within the certificates' life but older than max_age. */
    e = at(REAL_AT + 600);
    e.max_age_s = 300;
    expect_refused(real_doc, real_len, &e, NULL, "freshness",
                   "max age is 300 s");
    free(real_doc);
}
END_TEST

START_TEST(real_document_debug_refused_when_pcrs_expected)
{
    load_real();
    pl_attest_expect e = at(REAL_AT);
    char zeros[97];
    memset(zeros, '0', 96);
    zeros[96] = '\0';
    char arg[128];
    snprintf(arg, sizeof arg, "0=%s", zeros);
    ck_assert_int_eq(pl_attest_parse_pcr(arg, &e, NULL), 0);
    expect_refused(real_doc, real_len, &e, NULL, "debug mode", "PCR0");
    e.allow_debug = 1;
    expect_valid(real_doc, real_len, &e, NULL, NULL);
    free(real_doc);
}
END_TEST

START_TEST(real_document_mutations_refused)
{
    load_real();
    pl_attest_expect e = at(REAL_AT);
    uint8_t *m = malloc(real_len);
    /* The signature is the document's last 96 bytes. */
    memcpy(m, real_doc, real_len);
    m[real_len - 50] ^= 0x01;
    expect_refused(m, real_len, &e, NULL, "signature", "does not verify");
    /* One byte of PCR3, inside the signed payload. */
    uint8_t pcr3[48];
    hex2bin(real_pcr3_hex, pcr3, sizeof pcr3);
    memcpy(m, real_doc, real_len);
    uint8_t *p = memmem(m, real_len, pcr3, sizeof pcr3);
    ck_assert_ptr_nonnull(p);
    p[10] ^= 0x80;
    expect_refused(m, real_len, &e, NULL, "signature", NULL);
    /* Every truncation. */
    for (size_t n = 0; n < real_len; n++) {
        pl_error err;
        ck_assert_int_eq(pl_attest_verify(real_doc, n, &e, NULL, NULL, &err),
                         -1);
        ck_assert_int_eq(err.code, PL_ERR_AUTH);
    }
    expect_refused(real_doc, real_len - 1, &e, NULL, "truncated", NULL);
    /* A stray byte after the document. */
    uint8_t *longer = malloc(real_len + 1);
    memcpy(longer, real_doc, real_len);
    longer[real_len] = 0;
    expect_refused(longer, real_len + 1, &e, NULL, "stray", NULL);
    /* Oversized input never reaches the parser. */
    uint8_t *huge = calloc(1, PL_ATTEST_MAX_DOC + 1);
    expect_refused(huge, PL_ATTEST_MAX_DOC + 1, &e, NULL, "more than", NULL);
    free(huge);
    free(longer);
    free(m);
    free(real_doc);
}
END_TEST

START_TEST(wrong_expected_pcr_shows_both_values)
{
    load_real();
    pl_attest_expect e = at(REAL_AT);
    char want[97];
    memset(want, 'a', 96);
    want[96] = '\0';
    char arg[128];
    snprintf(arg, sizeof arg, "3=%s", want);
    ck_assert_int_eq(pl_attest_parse_pcr(arg, &e, NULL), 0);
    e.allow_debug = 1;
    expect_refused(real_doc, real_len, &e, NULL, want, real_pcr3_hex);
    expect_refused(real_doc, real_len, &e, NULL, "PCR3: expected", NULL);
    /* A PCR the document does not have. */
    pl_attest_expect e2 = at(REAL_AT);
    snprintf(arg, sizeof arg, "20=%s", want);
    ck_assert_int_eq(pl_attest_parse_pcr(arg, &e2, NULL), 0);
    expect_refused(real_doc, real_len, &e2, NULL, "document has no PCR20",
                   NULL);
    free(real_doc);
}
END_TEST

START_TEST(parse_pcr_forms)
{
    pl_attest_expect e;
    memset(&e, 0, sizeof e);
    pl_error err;
    char ok[130];
    memset(ok, 'F', sizeof ok);
    snprintf(ok, sizeof ok, "31=%.*s", 96,
             "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789"
             "abcdef0123456789abcdef0123456789abcdef");
    ck_assert_int_eq(pl_attest_parse_pcr(ok, &e, &err), 0);
    ck_assert_uint_eq(e.pcr_mask, 1u << 31);
    ck_assert_uint_eq(e.pcr[31][0], 0x01);
    ck_assert_uint_eq(e.pcr[31][10], 0xef);
    const char *bad[] = {"",     "=",     "3",      "32=00", "-1=00",
                         "x=00", "3=abc", "100=00", "3=zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(pl_attest_parse_pcr(bad[i], &e, &err), -1);
        ck_assert_int_eq(err.code, PL_ERR_USAGE);
    }
    /* 95 digits and a non-hex digit. */
    char shortv[100];
    snprintf(shortv, sizeof shortv, "1=%.*s", 95, ok + 3);
    ck_assert_int_eq(pl_attest_parse_pcr(shortv, &e, &err), -1);
    char nonhex[100];
    snprintf(nonhex, sizeof nonhex, "1=%.*sg", 95, ok + 3);
    ck_assert_int_eq(pl_attest_parse_pcr(nonhex, &e, &err), -1);
    ck_assert_uint_eq(e.pcr_mask, 1u << 31);
}
END_TEST

/* ---- documents made at test time, signed by a throwaway root ---- */

typedef struct forge {
    EVP_PKEY *root_key, *mid_key, *leaf_key;
    X509 *root, *mid, *leaf;
    uint8_t root_der[2048], mid_der[2048], leaf_der[2048];
    int root_len, mid_len, leaf_len;
} forge;

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, int ca, time_t nb, time_t na)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    X509_set_version(x, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    ASN1_TIME_set(X509_getm_notBefore(x), nb);
    ASN1_TIME_set(X509_getm_notAfter(x), na);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *bc =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                            ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    X509_EXTENSION *ku = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
                                             ca ? "critical,keyCertSign,cRLSign"
                                                : "critical,digitalSignature");
    ck_assert_ptr_nonnull(bc);
    ck_assert_ptr_nonnull(ku);
    X509_add_ext(x, bc, -1);
    X509_add_ext(x, ku, -1);
    X509_EXTENSION_free(bc);
    X509_EXTENSION_free(ku);
    ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha384()), 0);
    return x;
}

static int der(X509 *x, uint8_t *out)
{
    unsigned char *p = out;
    int n = i2d_X509(x, &p);
    ck_assert_int_gt(n, 0);
    ck_assert_int_le(n, 2048);
    return n;
}

#define FORGE_TS 1700000000 /* seconds; the forged documents' time */

static void forge_init(forge *f, const char *curve_leaf)
{
    memset(f, 0, sizeof *f);
    f->root_key = EVP_EC_gen("P-384");
    f->mid_key = EVP_EC_gen("P-384");
    f->leaf_key = EVP_EC_gen(curve_leaf);
    ck_assert_ptr_nonnull(f->root_key);
    ck_assert_ptr_nonnull(f->leaf_key);
    time_t t = FORGE_TS;
    f->root = make_cert("test root", f->root_key, NULL, f->root_key, 1,
                        t - 86400, t + 86400 * 365);
    f->mid = make_cert("test intermediate", f->mid_key, f->root, f->root_key, 1,
                       t - 86400, t + 86400);
    f->leaf = make_cert("test leaf", f->leaf_key, f->mid, f->mid_key, 0, t - 60,
                        t + 3 * 3600);
    f->root_len = der(f->root, f->root_der);
    f->mid_len = der(f->mid, f->mid_der);
    f->leaf_len = der(f->leaf, f->leaf_der);
}

static void forge_free(forge *f)
{
    X509_free(f->root);
    X509_free(f->mid);
    X509_free(f->leaf);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->mid_key);
    EVP_PKEY_free(f->leaf_key);
}

/* What to change in a forged document. */
typedef struct doc_opts {
    int64_t alg;           /* 0: -35 */
    uint64_t ts_ms;        /* 0: FORGE_TS */
    int tagged;            /* wrap in tag 18 */
    int extra_field;       /* add "extra": 1 */
    int dup_field;         /* "digest" twice */
    int bundle_copies;     /* cabundle entries (root, mid repeated); 0: 2 */
    const char *digest;    /* NULL: "SHA384" */
    int pcr_len;           /* 0: 48 */
    int unprotected_entry; /* put {4: h'01'} in the unprotected header */
    int no_public_key;
} doc_opts;

static uint8_t server_key[32];
static uint8_t pcr_val[4][48];

static cbor_item_t *pair_str(cbor_item_t *map, const char *k, cbor_item_t *v)
{
    struct cbor_pair p = {.key = cbor_move(cbor_build_string(k)),
                          .value = cbor_move(v)};
    ck_assert(cbor_map_add(map, p));
    return map;
}

static size_t forge_doc(const forge *f, const doc_opts *o, uint8_t **out)
{
    cbor_item_t *pl = cbor_new_definite_map(12);
    pair_str(pl, "module_id", cbor_build_string("i-test-enc0123"));
    pair_str(pl, "digest", cbor_build_string(o->digest ? o->digest : "SHA384"));
    if (o->dup_field)
        pair_str(pl, "digest", cbor_build_string("SHA384"));
    pair_str(pl, "timestamp",
             cbor_build_uint64(o->ts_ms ? o->ts_ms : FORGE_TS * 1000ULL));
    cbor_item_t *pcrs = cbor_new_definite_map(4);
    for (int i = 0; i < 4; i++) {
        struct cbor_pair p = {
            .key = cbor_move(cbor_build_uint8((uint8_t)i)),
            .value = cbor_move(cbor_build_bytestring(
                pcr_val[i], o->pcr_len ? (size_t)o->pcr_len : 48))};
        ck_assert(cbor_map_add(pcrs, p));
    }
    pair_str(pl, "pcrs", pcrs);
    pair_str(pl, "certificate",
             cbor_build_bytestring(f->leaf_der, (size_t)f->leaf_len));
    int copies = o->bundle_copies ? o->bundle_copies : 2;
    cbor_item_t *bundle = cbor_new_definite_array((size_t)copies);
    ck_assert(cbor_array_push(bundle, cbor_move(cbor_build_bytestring(
                                          f->root_der, (size_t)f->root_len))));
    for (int i = 1; i < copies; i++)
        ck_assert(cbor_array_push(
            bundle,
            cbor_move(cbor_build_bytestring(f->mid_der, (size_t)f->mid_len))));
    pair_str(pl, "cabundle", bundle);
    if (o->no_public_key)
        pair_str(pl, "public_key", cbor_new_null());
    else
        pair_str(pl, "public_key", cbor_build_bytestring(server_key, 32));
    pair_str(pl, "user_data", cbor_new_null());
    pair_str(pl, "nonce", cbor_build_bytestring((const uint8_t *)"n0nce", 5));
    if (o->extra_field)
        pair_str(pl, "extra", cbor_build_uint8(1));
    unsigned char *payload;
    size_t payload_cap,
        payload_len = cbor_serialize_alloc(pl, &payload, &payload_cap);
    ck_assert_uint_gt(payload_len, 0);
    cbor_decref(&pl);

    cbor_item_t *ph = cbor_new_definite_map(1);
    int64_t alg = o->alg ? o->alg : -35;
    struct cbor_pair ap = {
        .key = cbor_move(cbor_build_uint8(1)),
        .value = cbor_move(alg < 0 ? cbor_build_negint64((uint64_t)(-1 - alg))
                                   : cbor_build_uint64((uint64_t)alg))};
    ck_assert(cbor_map_add(ph, ap));
    unsigned char *prot;
    size_t prot_cap, prot_len = cbor_serialize_alloc(ph, &prot, &prot_cap);
    cbor_decref(&ph);

    /* Sig_structure, signed with the leaf key. */
    cbor_item_t *ss = cbor_new_definite_array(4);
    static const uint8_t nothing[1];
    ck_assert(cbor_array_push(ss, cbor_move(cbor_build_string("Signature1"))));
    ck_assert(
        cbor_array_push(ss, cbor_move(cbor_build_bytestring(prot, prot_len))));
    ck_assert(
        cbor_array_push(ss, cbor_move(cbor_build_bytestring(nothing, 0))));
    ck_assert(cbor_array_push(
        ss, cbor_move(cbor_build_bytestring(payload, payload_len))));
    unsigned char *tbs;
    size_t tbs_cap, tbs_len = cbor_serialize_alloc(ss, &tbs, &tbs_cap);
    cbor_decref(&ss);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ck_assert_int_eq(
        EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, f->leaf_key), 1);
    unsigned char sig_der[256];
    size_t sig_der_len = sizeof sig_der;
    ck_assert_int_eq(EVP_DigestSign(md, sig_der, &sig_der_len, tbs, tbs_len),
                     1);
    EVP_MD_CTX_free(md);
    free(tbs);
    const unsigned char *sp = sig_der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &sp, (long)sig_der_len);
    ck_assert_ptr_nonnull(es);
    uint8_t raw[96];
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 48, 48);
    ECDSA_SIG_free(es);

    cbor_item_t *cose = cbor_new_definite_array(4);
    ck_assert(cbor_array_push(
        cose, cbor_move(cbor_build_bytestring(prot, prot_len))));
    cbor_item_t *unprot = cbor_new_definite_map(1);
    if (o->unprotected_entry) {
        struct cbor_pair up = {
            .key = cbor_move(cbor_build_uint8(4)),
            .value = cbor_move(cbor_build_bytestring((const uint8_t *)"k", 1))};
        ck_assert(cbor_map_add(unprot, up));
    }
    ck_assert(cbor_array_push(cose, cbor_move(unprot)));
    ck_assert(cbor_array_push(
        cose, cbor_move(cbor_build_bytestring(payload, payload_len))));
    ck_assert(cbor_array_push(cose, cbor_move(cbor_build_bytestring(raw, 96))));
    free(payload);
    free(prot);
    cbor_item_t *top = cose;
    if (o->tagged) {
        top = cbor_new_tag(18);
        cbor_tag_set_item(top, cose);
        cbor_decref(&cose);
    }
    unsigned char *doc;
    size_t doc_cap, doc_len = cbor_serialize_alloc(top, &doc, &doc_cap);
    cbor_decref(&top);
    *out = doc;
    return doc_len;
}

static pl_attest_expect forged_expect(const forge *f)
{
    pl_attest_expect e = at(FORGE_TS + 10);
    e.root_der = f->root_der;
    e.root_der_len = (size_t)f->root_len;
    return e;
}

START_TEST(forged_valid_with_its_root_only)
{
    forge f;
    forge_init(&f, "P-384");
    randombytes_buf(server_key, sizeof server_key);
    for (int i = 0; i < 4; i++)
        randombytes_buf(pcr_val[i], 48);
    doc_opts o = {0};
    uint8_t *doc;
    size_t len = forge_doc(&f, &o, &doc);
    pl_attest_expect e = forged_expect(&f);
    e.pcr_mask = 0xf;
    memcpy(e.pcr, pcr_val, sizeof pcr_val);
    pl_attest_info info;
    expect_valid(doc, len, &e, server_key, &info);
    ck_assert_int_eq(info.has_public_key, 1);
    ck_assert_mem_eq(info.public_key, server_key, 32);
    ck_assert_int_eq(info.debug, 0);
    /* The same document against the built-in AWS root: another root. */
    pl_attest_expect aws = at(FORGE_TS + 10);
    expect_refused(doc, len, &aws, NULL, "does not chain to the trusted root",
                   "aws.nitro-enclaves");
    /* The real AWS document against the throwaway root. */
    load_real();
    pl_attest_expect other = at(REAL_AT);
    other.root_der = f.root_der;
    other.root_der_len = (size_t)f.root_len;
    expect_refused(real_doc, real_len, &other, NULL, "does not chain",
                   "test root");
    free(real_doc);
    /* Key binding. */
    uint8_t other_key[32];
    memcpy(other_key, server_key, 32);
    other_key[0] ^= 1;
    expect_refused(doc, len, &e, other_key, "public key",
                   "expected the "
                   "server's key");
    /* Nonce, when the caller set one. */
    e.nonce = (const uint8_t *)"n0nce";
    e.nonce_len = 5;
    expect_valid(doc, len, &e, server_key, NULL);
    e.nonce = (const uint8_t *)"other";
    expect_refused(doc, len, &e, NULL, "nonce", "6e306e6365");
    e.nonce = NULL;
    /* Freshness, both ways. */
    e.now_s = FORGE_TS + 4 * 3600;
    expect_refused(doc, len, &e, NULL, "certificate chain", "expired");
    e.now_s = FORGE_TS + 2 * 3600;
    e.max_age_s = 3600;
    expect_refused(doc, len, &e, NULL, "freshness", "max age is 3600 s");
    e.max_age_s = 0;
    e.now_s = FORGE_TS - 600;
    expect_refused(doc, len, &e, NULL, "freshness", "after now");
    e.now_s = FORGE_TS - 30; /* small clock skew is fine */
    expect_valid(doc, len, &e, NULL, NULL);
    free(doc);
    forge_free(&f);
}
END_TEST

START_TEST(forged_structure_rules)
{
    forge f;
    forge_init(&f, "P-384");
    pl_attest_expect e = forged_expect(&f);
    uint8_t *doc;
    size_t len;
    struct {
        doc_opts o;
        const char *want;
    } cases[] = {
        {{.alg = -7}, "expected ES384 (-35), document has -7"},
        {{.alg = -36}, "document has -36"},
        {{.extra_field = 1}, "unknown field \"extra\""},
        {{.dup_field = 1}, "field digest appears twice"},
        {{.bundle_copies = 9}, "cabundle: 9 certificates"},
        {{.digest = "SHA256"}, "field digest: expected \"SHA384\""},
        {{.pcr_len = 32}, "pcrs[0]: 32 bytes"},
        {{.unprotected_entry = 1}, "unprotected header has 1 entries"},
        {{.ts_ms = (FORGE_TS + 86400 * 400) * 1000ULL}, "certificate chain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        len = forge_doc(&f, &cases[i].o, &doc);
        expect_refused(doc, len, &e, NULL, cases[i].want, NULL);
        free(doc);
    }
    /* Accepted variations: tag 18, a repeated intermediate, null key. */
    doc_opts ok[] = {{.tagged = 1}, {.bundle_copies = 3}, {.no_public_key = 1}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        len = forge_doc(&f, &ok[i], &doc);
        expect_valid(doc, len, &e, NULL, NULL);
        free(doc);
    }
    /* A null public key never matches a server key. */
    doc_opts nk = {.no_public_key = 1};
    len = forge_doc(&f, &nk, &doc);
    expect_refused(doc, len, &e, server_key, "public key", "binds none");
    free(doc);
    forge_free(&f);
    /* A leaf on another curve. */
    forge_init(&f, "P-256");
    doc_opts o = {0};
    len = forge_doc(&f, &o, &doc);
    e = forged_expect(&f);
    expect_refused(doc, len, &e, NULL, "expected an ECDSA P-384 key",
                   "prime256v1");
    free(doc);
    forge_free(&f);
}
END_TEST

START_TEST(hostile_cbor_refused)
{
    pl_attest_expect e = at(REAL_AT);
    /* Indefinite-length array; an array claiming 2^32 items; deep nesting;
     * a tag of a tag; a map that is not an array. */
    static const uint8_t indef[] = {0x9f, 0x40, 0xa0, 0x40, 0x40, 0xff};
    expect_refused(indef, sizeof indef, &e, NULL, "indefinite-length", NULL);
    static const uint8_t huge[] = {0x9a, 0xff, 0xff, 0xff, 0xff, 0x40};
    expect_refused(huge, sizeof huge, &e, NULL, "count larger", NULL);
    static const uint8_t hugemap[] = {0xbb, 0x7f, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff};
    expect_refused(hugemap, sizeof hugemap, &e, NULL, "count larger", NULL);
    uint8_t deep[64];
    memset(deep, 0x81, sizeof deep);
    deep[63] = 0x40;
    expect_refused(deep, sizeof deep, &e, NULL, "nesting too deep", NULL);
    uint8_t tags[64];
    for (int i = 0; i < 31; i++) /* tag 18 in its two-byte form */
        tags[2 * i] = 0xd8, tags[2 * i + 1] = 0x12;
    tags[62] = tags[63] = 0x40;
    expect_refused(tags, sizeof tags, &e, NULL, "tag of a tag", NULL);
    static const uint8_t tag18s[] = {0xd2, 0xd2, 0x80};
    expect_refused(tag18s, sizeof tag18s, &e, NULL, "a tag inside tag 18",
                   NULL);
    static const uint8_t innertag[] = {0x84, 0xc1, 0x40, 0xa0, 0x40, 0x40};
    expect_refused(innertag, sizeof innertag, &e, NULL, "a tag inside", NULL);
    static const uint8_t tag7[] = {0xc7, 0x80};
    expect_refused(tag7, sizeof tag7, &e, NULL, "document has tag 7", NULL);
    static const uint8_t notarray[] = {0xa0};
    expect_refused(notarray, sizeof notarray, &e, NULL, "array of 4", NULL);
    static const uint8_t wrongtag[] = {0xd8, 0x62, 0x80};
    expect_refused(wrongtag, sizeof wrongtag, &e, NULL, "tag 98", NULL);
    static const uint8_t badsig[] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x22,
                                     0xa0, 0x41, 0xa0, 0x41, 0x00};
    expect_refused(badsig, sizeof badsig, &e, NULL, "expected 96 bytes", NULL);
}
END_TEST

START_TEST(load_root_pem_and_der)
{
    forge f;
    forge_init(&f, "P-384");
    char dir[] = "/tmp/pl-attest.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char pem[256], derp[256], junk[256];
    snprintf(pem, sizeof pem, "%s/root.pem", dir);
    snprintf(derp, sizeof derp, "%s/root.der", dir);
    snprintf(junk, sizeof junk, "%s/junk", dir);
    FILE *fp = fopen(pem, "w");
    PEM_write_X509(fp, f.root);
    fclose(fp);
    fp = fopen(derp, "wb");
    fwrite(f.root_der, 1, (size_t)f.root_len, fp);
    fclose(fp);
    fp = fopen(junk, "w");
    fputs("not a certificate\n", fp);
    fclose(fp);
    uint8_t *d;
    size_t n;
    pl_error err;
    ck_assert_int_eq(pl_attest_load_root(pem, &d, &n, &err), 0);
    ck_assert_uint_eq(n, (size_t)f.root_len);
    ck_assert_mem_eq(d, f.root_der, n);
    free(d);
    ck_assert_int_eq(pl_attest_load_root(derp, &d, &n, &err), 0);
    ck_assert_mem_eq(d, f.root_der, n);
    free(d);
    ck_assert_int_eq(pl_attest_load_root(junk, &d, &n, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a PEM or DER"));
    ck_assert_int_eq(pl_attest_load_root("/nonexistent/x", &d, &n, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
    unlink(pem);
    unlink(derp);
    unlink(junk);
    rmdir(dir);
    forge_free(&f);
    /* The built-in root is the one AWS publishes. */
    size_t rl;
    const uint8_t *r = pl_attest_aws_root(&rl);
    ck_assert_ptr_nonnull(r);
    uint8_t md[32];
    EVP_Digest(r, rl, md, NULL, EVP_sha256(), NULL);
    uint8_t want[32];
    hex2bin("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b",
            want, 32);
    ck_assert_mem_eq(md, want, 32);
}
END_TEST

START_TEST(cache_skips_only_what_was_verified)
{
    load_real();
    char dir[] = "/tmp/pl-attest-cache.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/sub/attested", dir);
    pl_attest_expect e = at(REAL_AT);
    e.cache_path = path;
    pl_attest_info info;
    expect_valid(real_doc, real_len, &e, NULL, &info);
    ck_assert_int_eq(info.from_cache, 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 215);
    expect_valid(real_doc, real_len, &e, NULL, &info);
    ck_assert_int_eq(info.from_cache, 1);
    ck_assert_uint_eq(info.timestamp_ms, REAL_TS_MS);
    /* The clock and the expectations still count on a hit. */
    e.now_s = time(NULL);
    expect_refused(real_doc, real_len, &e, NULL, "expired", NULL);
    e.now_s = REAL_AT;
    uint8_t k[32] = {0};
    expect_refused(real_doc, real_len, &e, k, "public key", NULL);
    e.pcr_mask = 1;
    expect_refused(real_doc, real_len, &e, NULL, "debug mode", NULL);
    e.pcr_mask = 0;
    /* Another byte, another document: verified in full. */
    uint8_t *m = malloc(real_len);
    memcpy(m, real_doc, real_len);
    m[real_len - 50] ^= 1;
    expect_refused(m, real_len, &e, NULL, "signature", NULL);
    free(m);
    /* Another trusted root never hits what the AWS root verified. */
    forge f;
    forge_init(&f, "P-384");
    pl_attest_expect o = e;
    o.root_der = f.root_der;
    o.root_der_len = (size_t)f.root_len;
    expect_refused(real_doc, real_len, &o, NULL, "does not chain", NULL);
    forge_free(&f);
    /* A cache file others may write is ignored. */
    ck_assert_int_eq(chmod(path, 0620), 0);
    expect_valid(real_doc, real_len, &e, NULL, &info);
    ck_assert_int_eq(info.from_cache, 0);
    /* Bounded: PL_ATTEST_CACHE_MAX lines at most. */
    ck_assert_int_eq(chmod(path, 0600), 0);
    for (int i = 0; i < PL_ATTEST_CACHE_MAX + 3; i++) {
        uint8_t *t = malloc(real_len + 1);
        t[0] = 0xd2; /* tagged: same document, other bytes */
        memcpy(t + 1, real_doc, real_len);
        pl_attest_expect e2 = e;
        e2.max_age_s = 1000 + i; /* nothing to do with the cache */
        expect_valid(t, real_len + 1, &e2, NULL, NULL);
        free(t);
    }
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_le(st.st_size, PL_ATTEST_CACHE_MAX * 215);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    free(real_doc);
}
END_TEST

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    Suite *s = suite_create("attest");
    TCase *tc = tcase_create("attest");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, real_document_valid_at_its_own_time);
    tcase_add_test(tc, real_document_refused_today);
    tcase_add_test(tc, real_document_debug_refused_when_pcrs_expected);
    tcase_add_test(tc, real_document_mutations_refused);
    tcase_add_test(tc, wrong_expected_pcr_shows_both_values);
    tcase_add_test(tc, parse_pcr_forms);
    tcase_add_test(tc, forged_valid_with_its_root_only);
    tcase_add_test(tc, forged_structure_rules);
    tcase_add_test(tc, hostile_cbor_refused);
    tcase_add_test(tc, load_root_pem_and_der);
    tcase_add_test(tc, cache_skips_only_what_was_verified);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
