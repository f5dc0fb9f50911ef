/*
 * The NSM request's CBOR steps for a static build without libcbor (Debian
 * 12 ships no libcbor.a; see cmake/Static.cmake). They replace nsm_cbor.c
 * at link time: asking the NSM for a document fails with a message saying
 * why, and `pipeline listen` then tells to run unattested
 * (server.attestation = false). Not compiled into normal builds.
 */
#include "nsm.h"

#define NO_CBOR                                                                \
    "NSM requests need libcbor, and this static pipeline was built without "   \
    "it (no libcbor.a); build it with -DPIPELINE_CBOR_STATIC="                 \
    "/path/to/libcbor.a to attest"

int pl_nsm_encode_attestation(const uint8_t *public_key, size_t key_len,
                              uint8_t *buf, size_t cap, size_t *out,
                              pl_error *err)
{
    (void)public_key, (void)key_len, (void)buf, (void)cap;
    *out = 0;
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}

int pl_nsm_decode_attestation(const uint8_t *buf, size_t len, uint8_t **doc,
                              size_t *doc_len, pl_error *err)
{
    (void)buf, (void)len;
    *doc = NULL;
    *doc_len = 0;
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}
