/*
 * The COSE_Sign1 envelope of an attestation document (RFC 8152 section 4.2)
 * and its Sig_structure (section 4.4), with libcbor doing all CBOR work.
 *
 * Documents are hostile input, and libcbor's cbor_load trusts the counts it
 * reads (it allocates a declared array size before reading the items) and
 * frees nested items recursively. So every buffer first goes through
 * libcbor's streaming decoder with a small state machine that refuses
 * indefinite lengths, deep nesting and counts larger than the bytes left.
 */
#include "attest_int.h"

#include <string.h>

#define COSE_SIGN1_TAG 18
#define COSE_HDR_ALG 1
#define COSE_ALG_ES384 (-35)

typedef struct scan {
    uint64_t remaining[PL_ATTEST_MAX_DEPTH]; /* items left per open container */
    int depth;
    int items_done; /* top-level items completed */
    size_t left;    /* bytes not yet consumed, an upper bound for counts */
    int tagged;     /* a tag waits for its item: tags may not nest */
    const char *bad;
} scan;

/* One complete item (or a container header) was read. */
static void scan_item(scan *s)
{
    s->tagged = 0;
    if (s->depth == 0) {
        s->items_done++;
        return;
    }
    /* Closing a container completes an item of its parent in turn. */
    while (s->depth > 0 && --s->remaining[s->depth - 1] == 0) {
        s->depth--;
        if (s->depth == 0)
            s->items_done++;
    }
}

static void scan_container(scan *s, uint64_t count)
{
    if (s->bad)
        return;
    s->tagged = 0;
    if (count > s->left) {
        s->bad = "a count larger than the data";
        return;
    }
    if (count == 0) {
        scan_item(s);
        return;
    }
    if (s->depth >= PL_ATTEST_MAX_DEPTH) {
        s->bad = "nesting too deep";
        return;
    }
    s->remaining[s->depth++] = count;
}

static void on_scalar(void *ctx)
{
    scan_item(ctx);
}
static void on_u8(void *ctx, uint8_t v)
{
    (void)v, scan_item(ctx);
}
static void on_u16(void *ctx, uint16_t v)
{
    (void)v, scan_item(ctx);
}
static void on_u32(void *ctx, uint32_t v)
{
    (void)v, scan_item(ctx);
}
static void on_u64(void *ctx, uint64_t v)
{
    (void)v, scan_item(ctx);
}
static void on_f(void *ctx, float v)
{
    (void)v, scan_item(ctx);
}
static void on_d(void *ctx, double v)
{
    (void)v, scan_item(ctx);
}
static void on_b(void *ctx, bool v)
{
    (void)v, scan_item(ctx);
}
static void on_str(void *ctx, cbor_data p, size_t n)
{
    (void)p, (void)n, scan_item(ctx);
}
static void on_array(void *ctx, size_t n)
{
    scan_container(ctx, n);
}
static void on_map(void *ctx, size_t n)
{
    scan *s = ctx;
    if (n > s->left / 2) { /* also keeps 2n from overflowing */
        s->bad = "a count larger than the data";
        return;
    }
    scan_container(s, 2 * (uint64_t)n);
}
/* A tag is one item together with the item it wraps: nothing to count, but
 * a tag of a tag of ... would nest without bound. */
static void on_tag(void *ctx, uint64_t v)
{
    scan *s = ctx;
    (void)v;
    if (s->tagged)
        s->bad = "a tag of a tag";
    else if (s->depth > 0) /* only COSE's own tag, outside everything */
        s->bad = "a tag inside the document";
    s->tagged = 1;
}
static void on_indefinite(void *ctx)
{
    ((scan *)ctx)->bad = "an indefinite-length item";
}

static const struct cbor_callbacks scan_callbacks = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint8 = on_u8,
    .negint16 = on_u16,
    .negint32 = on_u32,
    .negint64 = on_u64,
    .byte_string_start = on_indefinite,
    .byte_string = on_str,
    .string = on_str,
    .string_start = on_indefinite,
    .indef_array_start = on_indefinite,
    .array_start = on_array,
    .indef_map_start = on_indefinite,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_f,
    .float4 = on_f,
    .float8 = on_d,
    .undefined = on_scalar,
    .null = on_scalar,
    .boolean = on_b,
    .indef_break = on_indefinite,
};

int pl_attest_cbor_load(const uint8_t *buf, size_t len, const char *what,
                        cbor_item_t **out, pl_error *err)
{
    *out = NULL;
    scan s = {.depth = 0};
    size_t pos = 0;
    while (pos < len && s.items_done == 0) {
        s.left = len - pos;
        struct cbor_decoder_result r =
            cbor_stream_decode(buf + pos, len - pos, &scan_callbacks, &s);
        if (r.status == CBOR_DECODER_NEDATA)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: %s: truncated CBOR (%zu bytes)", what,
                           len);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: %s: malformed CBOR at byte %zu", what,
                           pos);
        if (s.bad)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: %s: refused CBOR at byte %zu: %s",
                           what, pos, s.bad);
        pos += r.read;
    }
    if (s.items_done == 0)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: %s: truncated CBOR (%zu bytes)", what,
                       len);
    if (pos != len)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: %s: %zu stray bytes after the CBOR item",
                       what, len - pos);
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(buf, len, &res);
    if (!item || res.error.code != CBOR_ERR_NONE || res.read != len) {
        if (item)
            cbor_decref(&item);
        if (res.error.code == CBOR_ERR_MEMERROR)
            return pl_fail(err, PL_ERR_NOMEM, "attestation: %s: out of memory",
                           what);
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: %s: malformed CBOR at byte %zu", what,
                       res.error.position);
    }
    *out = item;
    return 0;
}

/* A definite byte string's bytes, or -1. */
static int bytes_of(cbor_item_t *it, pl_bytes *b)
{
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return -1;
    b->p = cbor_bytestring_handle(it);
    b->n = cbor_bytestring_length(it);
    return 0;
}

/* The protected header must be exactly {1: -35}: ES384 is the only
 * algorithm AWS uses, and an unknown header could be a critical one. */
static int check_protected(const pl_bytes *hdr, pl_error *err)
{
    cbor_item_t *m;
    if (pl_attest_cbor_load(hdr->p, hdr->n, "protected header", &m, err))
        return -1;
    int rc = -1;
    if (!cbor_isa_map(m) || cbor_map_size(m) != 1) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: protected header: expected a map holding only "
                "the algorithm {1: -35}");
        goto out;
    }
    struct cbor_pair *pr = cbor_map_handle(m);
    if (!cbor_isa_uint(pr->key) || cbor_get_int(pr->key) != COSE_HDR_ALG) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: protected header: expected only the algorithm "
                "label 1, found another label");
        goto out;
    }
    int64_t alg;
    if (cbor_isa_negint(pr->value) && cbor_get_int(pr->value) < INT64_MAX)
        alg = -1 - (int64_t)cbor_get_int(pr->value);
    else if (cbor_isa_uint(pr->value) && cbor_get_int(pr->value) < INT64_MAX)
        alg = (int64_t)cbor_get_int(pr->value);
    else {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: algorithm: expected ES384 (-35), found a "
                "non-integer algorithm");
        goto out;
    }
    if (alg != COSE_ALG_ES384) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: algorithm: expected ES384 (-35), document has "
                "%lld",
                (long long)alg);
        goto out;
    }
    rc = 0;
out:
    cbor_decref(&m);
    return rc;
}

int pl_attest_cose_decode(const uint8_t *doc, size_t len, pl_attest_doc *d,
                          pl_error *err)
{
    memset(d, 0, sizeof *d);
    if (len == 0)
        return pl_fail(err, PL_ERR_AUTH, "attestation: document is empty");
    if (len > PL_ATTEST_MAX_DOC)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: document is %zu bytes, more than the "
                       "%d allowed",
                       len, PL_ATTEST_MAX_DOC);
    /* libcbor 0.8 refuses tags 6..20 in their one-byte form as
     * "unassigned", and COSE's tag 18 is 0xd2 in that form: take that one
     * byte off here. Every other form of every tag goes to libcbor. */
    if (doc[0] >= 0xc0 && doc[0] <= 0xd7 && doc[0] != 0xc0 + COSE_SIGN1_TAG)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: expected tag 18 or no tag, "
                       "document has tag %d",
                       doc[0] - 0xc0);
    int short_tag = doc[0] == 0xc0 + COSE_SIGN1_TAG;
    if (short_tag && len > 1 && doc[1] >= 0xc0 && doc[1] <= 0xdb)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: a tag inside tag 18");
    if (pl_attest_cbor_load(doc + short_tag, len - (size_t)short_tag,
                            "document", &d->outer, err))
        return -1;
    cbor_item_t *arr = d->outer;
    if (short_tag && cbor_isa_tag(arr))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: a tag inside tag 18");
    if (cbor_isa_tag(arr)) {
        if (cbor_tag_value(arr) != COSE_SIGN1_TAG)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: COSE_Sign1: expected tag 18 or no "
                           "tag, document has tag %llu",
                           (unsigned long long)cbor_tag_value(arr));
        /* cbor_tag_item adds a reference; outer keeps the item alive. */
        arr = cbor_tag_item(d->outer);
        cbor_item_t *extra = arr;
        cbor_decref(&extra);
    }
    if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: expected an array of 4 "
                       "(protected, unprotected, payload, signature)");
    cbor_item_t **f = cbor_array_handle(arr);
    if (bytes_of(f[0], &d->protected_hdr))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: protected header is not a "
                       "byte string");
    if (!cbor_isa_map(f[1]))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: unprotected header is not a "
                       "map");
    /* Nothing unsigned may steer verification: AWS sends it empty. */
    if (cbor_map_size(f[1]) != 0)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: unprotected header has %zu "
                       "entries, expected none",
                       cbor_map_size(f[1]));
    if (bytes_of(f[2], &d->payload))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: payload is not a byte string");
    if (d->payload.n == 0 || d->payload.n > PL_ATTEST_MAX_PAYLOAD)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: payload is %zu bytes, "
                       "expected 1 to %d",
                       d->payload.n, PL_ATTEST_MAX_PAYLOAD);
    if (bytes_of(f[3], &d->signature))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: COSE_Sign1: signature is not a byte "
                       "string");
    if (d->signature.n != PL_ATTEST_SIG_LEN)
        return pl_fail(
            err, PL_ERR_AUTH,
            "attestation: signature: expected %d bytes (ES384 r||s), "
            "document has %zu",
            PL_ATTEST_SIG_LEN, d->signature.n);
    return check_protected(&d->protected_hdr, err);
}

int pl_attest_sig_structure_update(const pl_attest_doc *d, EVP_MD_CTX *ctx,
                                   pl_error *err)
{
    /* The Sig_structure is hashed in pieces: libcbor encodes each header and
     * the two large byte strings go to the digest in place. */
    static const char context[] = "Signature1";
    unsigned char h[16];
    size_t n;
    int ok = 1;
    n = cbor_encode_array_start(4, h, sizeof h);
    ok &= n && EVP_DigestVerifyUpdate(ctx, h, n);
    n = cbor_encode_string_start(sizeof context - 1, h, sizeof h);
    ok &= n && EVP_DigestVerifyUpdate(ctx, h, n);
    ok &= EVP_DigestVerifyUpdate(ctx, context, sizeof context - 1);
    n = cbor_encode_bytestring_start(d->protected_hdr.n, h, sizeof h);
    ok &= n && EVP_DigestVerifyUpdate(ctx, h, n);
    ok &= EVP_DigestVerifyUpdate(ctx, d->protected_hdr.p, d->protected_hdr.n);
    n = cbor_encode_bytestring_start(0, h, sizeof h); /* external_aad */
    ok &= n && EVP_DigestVerifyUpdate(ctx, h, n);
    n = cbor_encode_bytestring_start(d->payload.n, h, sizeof h);
    ok &= n && EVP_DigestVerifyUpdate(ctx, h, n);
    ok &= EVP_DigestVerifyUpdate(ctx, d->payload.p, d->payload.n);
    if (!ok)
        return pl_fail(err, PL_ERR_INTERNAL,
                       "attestation: cannot hash the Sig_structure");
    return 0;
}

void pl_attest_doc_free(pl_attest_doc *d)
{
    if (d->payload_item)
        cbor_decref(&d->payload_item);
    if (d->outer)
        cbor_decref(&d->outer);
}
