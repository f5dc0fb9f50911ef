/*
 * The attestation document inside the COSE payload: field names, CBOR
 * types and sizes exactly as AWS specifies them (aws-nitro-enclaves-nsm-api,
 * docs/attestation_process.md, "Syntactical validation"). Unknown or
 * repeated keys are refused: a verifier that skips what it does not know
 * could be shown a second, unsigned meaning of the same document.
 */
#include "attest_int.h"

#include <string.h>

enum field {
    F_MODULE_ID,
    F_DIGEST,
    F_TIMESTAMP,
    F_PCRS,
    F_CERTIFICATE,
    F_CABUNDLE,
    F_PUBLIC_KEY,
    F_USER_DATA,
    F_NONCE,
    F__COUNT
};

static const char *const field_names[F__COUNT] = {
    "module_id", "digest",     "timestamp", "pcrs",  "certificate",
    "cabundle",  "public_key", "user_data", "nonce",
};

static int bad_type(pl_error *err, const char *field, const char *want)
{
    return pl_fail(err, PL_ERR_AUTH, "attestation: field %s: expected %s",
                   field, want);
}

static int bad_size(pl_error *err, const char *field, size_t n, size_t lo,
                    size_t hi)
{
    return pl_fail(err, PL_ERR_AUTH,
                   "attestation: field %s: %zu bytes, expected %zu to %zu",
                   field, n, lo, hi);
}

/* A definite byte string of lo..hi bytes. */
static int get_bytes(cbor_item_t *it, const char *field, size_t lo, size_t hi,
                     pl_bytes *b, pl_error *err)
{
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return bad_type(err, field, "a byte string");
    b->p = cbor_bytestring_handle(it);
    b->n = cbor_bytestring_length(it);
    if (b->n < lo || b->n > hi)
        return bad_size(err, field, b->n, lo, hi);
    return 0;
}

static int get_text(cbor_item_t *it, const char *field, pl_bytes *b,
                    pl_error *err)
{
    if (!cbor_isa_string(it) || !cbor_string_is_definite(it))
        return bad_type(err, field, "a text string");
    b->p = cbor_string_handle(it);
    b->n = cbor_string_length(it);
    return 0;
}

static int decode_pcrs(cbor_item_t *it, pl_attest_info *info, pl_error *err)
{
    if (!cbor_isa_map(it))
        return bad_type(err, "pcrs", "a map of index to byte string");
    size_t n = cbor_map_size(it);
    if (n < 1 || n > PL_ATTEST_MAX_PCRS)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: field pcrs: %zu entries, expected 1 to "
                       "%d",
                       n, PL_ATTEST_MAX_PCRS);
    struct cbor_pair *pr = cbor_map_handle(it);
    for (size_t i = 0; i < n; i++) {
        if (!cbor_isa_uint(pr[i].key))
            return bad_type(err, "pcrs", "unsigned integer indexes");
        uint64_t idx = cbor_get_int(pr[i].key);
        if (idx >= PL_ATTEST_MAX_PCRS)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: field pcrs: index %llu, expected 0 "
                           "to %d",
                           (unsigned long long)idx, PL_ATTEST_MAX_PCRS - 1);
        if (info->pcr_mask & (1u << idx))
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: field pcrs: index %llu appears twice",
                           (unsigned long long)idx);
        char name[16];
        snprintf(name, sizeof name, "pcrs[%llu]", (unsigned long long)idx);
        pl_bytes v = {0};
        /* AWS allows 32/48/64-byte registers; with digest SHA384 only 48
         * is consistent. */
        if (get_bytes(pr[i].value, name, PL_ATTEST_PCR_LEN, PL_ATTEST_PCR_LEN,
                      &v, err))
            return -1;
        memcpy(info->pcr[idx], v.p, PL_ATTEST_PCR_LEN);
        info->pcr_mask |= 1u << idx;
    }
    return 0;
}

static int decode_cabundle(cbor_item_t *it, pl_attest_doc *d, pl_error *err)
{
    if (!cbor_isa_array(it))
        return bad_type(err, "cabundle", "an array of byte strings");
    size_t n = cbor_array_size(it);
    if (n < 1 || n > PL_ATTEST_MAX_CABUNDLE)
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: field cabundle: %zu certificates, "
                       "expected 1 to %d",
                       n, PL_ATTEST_MAX_CABUNDLE);
    cbor_item_t **v = cbor_array_handle(it);
    for (size_t i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "cabundle[%zu]", i);
        if (get_bytes(v[i], name, 1, PL_ATTEST_MAX_CERT, &d->cabundle[i], err))
            return -1;
    }
    d->cabundle_n = n;
    return 0;
}

/* public_key, user_data, nonce: a byte string, or null for "absent" (the
 * NSM encodes a field it was not given as null). */
static int decode_optional(cbor_item_t *it, const char *field, size_t lo,
                           size_t hi, uint8_t *dst, size_t *dst_len,
                           pl_error *err)
{
    if (cbor_is_null(it)) {
        *dst_len = 0;
        return 0;
    }
    pl_bytes b = {0};
    if (get_bytes(it, field, lo, hi, &b, err))
        return -1;
    memcpy(dst, b.p, b.n);
    *dst_len = b.n;
    return 0;
}

static int is_printable_ascii(const pl_bytes *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i] < 0x20 || b->p[i] > 0x7e)
            return 0;
    return 1;
}

static int decode_field(enum field f, cbor_item_t *v, pl_attest_doc *d,
                        pl_attest_info *info, pl_error *err)
{
    pl_bytes b = {0};
    switch (f) {
    case F_MODULE_ID:
        if (get_text(v, "module_id", &b, err))
            return -1;
        if (b.n < 1 || b.n >= sizeof info->module_id)
            return bad_size(err, "module_id", b.n, 1,
                            sizeof info->module_id - 1);
        /* It is printed to terminals and logs. */
        if (!is_printable_ascii(&b))
            return bad_type(err, "module_id", "printable ASCII");
        memcpy(info->module_id, b.p, b.n);
        info->module_id[b.n] = '\0';
        return 0;
    case F_DIGEST:
        if (get_text(v, "digest", &b, err))
            return -1;
        if (b.n != 6 || memcmp(b.p, "SHA384", 6) != 0)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: field digest: expected \"SHA384\", "
                           "document has another value");
        memcpy(info->digest, "SHA384", 7);
        return 0;
    case F_TIMESTAMP:
        if (!cbor_isa_uint(v))
            return bad_type(err, "timestamp", "an unsigned integer");
        info->timestamp_ms = cbor_get_int(v);
        /* Beyond year 292 million the seconds no longer fit a time_t. */
        if (info->timestamp_ms == 0 || info->timestamp_ms > (uint64_t)INT64_MAX)
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: field timestamp: %llu is out of "
                           "range",
                           (unsigned long long)info->timestamp_ms);
        return 0;
    case F_PCRS:
        return decode_pcrs(v, info, err);
    case F_CERTIFICATE:
        return get_bytes(v, "certificate", 1, PL_ATTEST_MAX_CERT,
                         &d->certificate, err);
    case F_CABUNDLE:
        return decode_cabundle(v, d, err);
    case F_PUBLIC_KEY:
        if (decode_optional(v, "public_key", 1, PL_ATTEST_MAX_PUBLIC_KEY,
                            info->public_key_raw, &info->public_key_len, err))
            return -1;
        if (info->public_key_len == sizeof info->public_key) {
            memcpy(info->public_key, info->public_key_raw,
                   sizeof info->public_key);
            info->has_public_key = 1;
        }
        return 0;
    case F_USER_DATA:
        return decode_optional(v, "user_data", 0, PL_ATTEST_MAX_USER_DATA,
                               info->user_data, &info->user_data_len, err);
    case F_NONCE:
        return decode_optional(v, "nonce", 0, PL_ATTEST_MAX_NONCE, info->nonce,
                               &info->nonce_len, err);
    default:
        return pl_fail(err, PL_ERR_INTERNAL, "attestation: unknown field");
    }
}

int pl_attest_payload_decode(pl_attest_doc *d, pl_attest_info *info,
                             pl_error *err)
{
    if (pl_attest_cbor_load(d->payload.p, d->payload.n, "payload",
                            &d->payload_item, err))
        return -1;
    cbor_item_t *m = d->payload_item;
    if (!cbor_isa_map(m))
        return pl_fail(err, PL_ERR_AUTH,
                       "attestation: payload: expected a map of fields");
    size_t n = cbor_map_size(m);
    struct cbor_pair *pr = cbor_map_handle(m);
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cbor_isa_string(pr[i].key) || !cbor_string_is_definite(pr[i].key))
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: payload: a key is not a text string");
        const uint8_t *k = cbor_string_handle(pr[i].key);
        size_t kn = cbor_string_length(pr[i].key);
        enum field f = F__COUNT;
        for (int j = 0; j < F__COUNT; j++)
            if (strlen(field_names[j]) == kn &&
                memcmp(field_names[j], k, kn) == 0)
                f = (enum field)j;
        if (f == F__COUNT) {
            pl_bytes kb = {k, kn};
            if (kn <= 32 && is_printable_ascii(&kb))
                return pl_fail(err, PL_ERR_AUTH,
                               "attestation: payload: unknown field \"%.*s\"",
                               (int)kn, (const char *)k);
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: payload: unknown field");
        }
        if (seen & (1u << f))
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: payload: field %s appears twice",
                           field_names[f]);
        seen |= 1u << f;
        if (decode_field(f, pr[i].value, d, info, err))
            return -1;
    }
    for (int j = 0; j <= F_CABUNDLE; j++) /* the mandatory ones */
        if (!(seen & (1u << j)))
            return pl_fail(err, PL_ERR_AUTH,
                           "attestation: payload: field %s is missing",
                           field_names[j]);
    info->debug = (info->pcr_mask & 7u) == 7u;
    for (int i = 0; i < 3 && info->debug; i++)
        for (int j = 0; j < PL_ATTEST_PCR_LEN; j++)
            if (info->pcr[i][j])
                info->debug = 0;
    return 0;
}
