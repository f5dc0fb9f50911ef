/*
 * The attestation verifier's CBOR steps for a static build without
 * libcbor (Debian 12 ships no libcbor.a; see cmake/Static.cmake). They
 * replace attest_cose.c and attest_payload.c at link time, so every
 * verification fails with a message saying why, and nothing else of
 * pipeline changes. Not compiled into normal builds.
 */
#include "attest_int.h"

#define NO_CBOR                                                                \
    "attestation documents need libcbor, and this static pipeline was built "  \
    "without it (no libcbor.a); use a build with libcbor "                     \
    "(-DPIPELINE_CBOR_STATIC=/path/to/libcbor.a, or a normal build)"

#include <string.h>

int pl_attest_cbor_load(const uint8_t *buf, size_t len, const char *what,
                        cbor_item_t **out, pl_error *err)
{
    (void)buf, (void)len, (void)what;
    *out = NULL;
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}

int pl_attest_cose_decode(const uint8_t *doc, size_t len, pl_attest_doc *d,
                          pl_error *err)
{
    (void)doc, (void)len;
    memset(d, 0, sizeof *d);
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}

int pl_attest_sig_structure_update(const pl_attest_doc *d, EVP_MD_CTX *ctx,
                                   pl_error *err)
{
    (void)d, (void)ctx;
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}

int pl_attest_payload_decode(pl_attest_doc *d, pl_attest_info *info,
                             pl_error *err)
{
    (void)d, (void)info;
    return pl_fail(err, PL_ERR_INTERNAL, NO_CBOR);
}

/* Nothing was ever decoded, so nothing is held. */
void pl_attest_doc_free(pl_attest_doc *d)
{
    (void)d;
}
