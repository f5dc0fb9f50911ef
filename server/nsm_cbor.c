/* CBOR encoding of the NSM's Attestation request and decoding of its
 * answer. Field names and shapes follow the public aws-nitro-enclaves-nsm-api
 * sources (src/api/mod.rs: Request::Attestation, Response::Attestation,
 * Response::Error). */
#include "nsm.h"

#include <cbor.h>
#include <stdlib.h>
#include <string.h>

static int add_pair(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    if (!value)
        return -1;
    cbor_item_t *k = cbor_build_string(key);
    if (!k) {
        cbor_decref(&value);
        return -1;
    }
    bool ok = cbor_map_add(map, (struct cbor_pair){.key = k, .value = value});
    cbor_decref(&k);
    cbor_decref(&value);
    return ok ? 0 : -1;
}

int pl_nsm_encode_attestation(const uint8_t *public_key, size_t key_len,
                              uint8_t *buf, size_t cap, size_t *out,
                              pl_error *err)
{
    cbor_item_t *inner = cbor_new_definite_map(3);
    cbor_item_t *outer = cbor_new_definite_map(1);
    int rc = -1;
    if (!inner || !outer ||
        add_pair(inner, "public_key",
                 cbor_build_bytestring(public_key, key_len)) ||
        add_pair(inner, "user_data", cbor_new_null()) ||
        add_pair(inner, "nonce", cbor_new_null()) ||
        add_pair(outer, "Attestation", cbor_incref(inner))) {
        pl_fail(err, PL_ERR_NOMEM, "out of memory encoding the NSM request");
        goto out;
    }
    size_t n = cbor_serialize(outer, buf, cap);
    if (n == 0) {
        pl_fail(err, PL_ERR_INTERNAL,
                "the NSM request does not fit in %zu bytes", cap);
        goto out;
    }
    *out = n;
    rc = 0;
out:
    if (inner)
        cbor_decref(&inner);
    if (outer)
        cbor_decref(&outer);
    return rc;
}

/* The value under a text key of a definite map, or NULL. */
static cbor_item_t *map_get(const cbor_item_t *map, const char *key)
{
    if (!cbor_isa_map(map) || !cbor_map_is_definite(map))
        return NULL;
    size_t n = cbor_map_size(map), klen = strlen(key);
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *k = p[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) &&
            cbor_string_length(k) == klen &&
            memcmp(cbor_string_handle(k), key, klen) == 0)
            return p[i].value;
    }
    return NULL;
}

int pl_nsm_decode_attestation(const uint8_t *buf, size_t len, uint8_t **doc,
                              size_t *doc_len, pl_error *err)
{
    *doc = NULL;
    *doc_len = 0;
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(buf, len, &res);
    if (!item)
        return pl_fail(err, PL_ERR_PROTOCOL,
                       "the NSM's answer is not valid CBOR");
    int rc = -1;
    if (res.read != len) {
        pl_fail(err, PL_ERR_PROTOCOL,
                "the NSM's answer has %zu stray bytes after its CBOR item",
                len - res.read);
        goto out;
    }
    if (!cbor_isa_map(item) || cbor_map_size(item) != 1) {
        pl_fail(err, PL_ERR_PROTOCOL,
                "the NSM's answer is not a one-entry CBOR map");
        goto out;
    }
    const cbor_item_t *e = map_get(item, "Error");
    if (e) {
        if (cbor_isa_string(e) && cbor_string_is_definite(e))
            pl_fail(err, PL_ERR_REMOTE, "the NSM refused to attest: %.*s",
                    (int)(cbor_string_length(e) > 200 ? 200
                                                      : cbor_string_length(e)),
                    (const char *)cbor_string_handle(e));
        else
            pl_fail(err, PL_ERR_REMOTE,
                    "the NSM refused to attest (no reason given)");
        goto out;
    }
    const cbor_item_t *a = map_get(item, "Attestation");
    const cbor_item_t *d = a ? map_get(a, "document") : NULL;
    if (!d || !cbor_isa_bytestring(d) || !cbor_bytestring_is_definite(d) ||
        cbor_bytestring_length(d) == 0) {
        pl_fail(err, PL_ERR_PROTOCOL,
                "the NSM's answer has no Attestation.document byte string");
        goto out;
    }
    size_t n = cbor_bytestring_length(d);
    *doc = malloc(n);
    if (!*doc) {
        pl_fail(err, PL_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(*doc, cbor_bytestring_handle(d), n);
    *doc_len = n;
    rc = 0;
out:
    cbor_decref(&item);
    return rc;
}
