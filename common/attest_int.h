/*
 * Internals of the attestation verifier, shared by its files:
 * attest_cose.c (COSE_Sign1 envelope, Sig_structure), attest_payload.c (the
 * document's fields), attest_chain.c (X.509 chain), attest_sig.c (ES384
 * signature), attest_root.c (the built-in AWS root), attest.c (policy).
 */
#ifndef PIPELINE_ATTEST_INT_H
#define PIPELINE_ATTEST_INT_H

#include "attest.h"

#include "ossl.h"
#include <cbor.h>

/* Deepest nesting any valid document has is 3 (tag, array, map); room to
 * spare, and a bound that keeps libcbor's recursive free shallow. */
#define PL_ATTEST_MAX_DEPTH 8
#define PL_ATTEST_MAX_CERT 1024
#define PL_ATTEST_MAX_PAYLOAD 16384
#define PL_ATTEST_SIG_LEN 96 /* ES384: r || s, 48 bytes each */
/* How far the document's timestamp may be ahead of our clock. */
#define PL_ATTEST_FUTURE_SKEW_S 120

typedef struct pl_bytes {
    const uint8_t *p;
    size_t n;
} pl_bytes;

/* A decoded document. The byte views point into libcbor items owned by
 * outer and payload_item; pl_attest_doc_free releases them. */
typedef struct pl_attest_doc {
    cbor_item_t *outer;
    cbor_item_t *payload_item;
    pl_bytes protected_hdr; /* the serialized protected header */
    pl_bytes payload;       /* the serialized attestation document */
    pl_bytes signature;     /* PL_ATTEST_SIG_LEN bytes */
    pl_bytes certificate;   /* leaf, DER */
    size_t cabundle_n;
    pl_bytes cabundle[PL_ATTEST_MAX_CABUNDLE]; /* [0] root ... [n-1] issuer */
} pl_attest_doc;

/* Checks that buf holds exactly one CBOR item with definite lengths only,
 * nesting at most PL_ATTEST_MAX_DEPTH, every count plausible for its size,
 * then decodes it. what names the data in messages. */
int pl_attest_cbor_load(const uint8_t *buf, size_t len, const char *what,
                        cbor_item_t **out, pl_error *err);

/* Decodes the COSE_Sign1 envelope (tagged 18 or not) and checks the
 * protected header says ES384. Fills protected_hdr, payload, signature. */
int pl_attest_cose_decode(const uint8_t *doc, size_t len, pl_attest_doc *d,
                          pl_error *err);
/* Feeds the COSE Sig_structure for d to an EVP digest-verify context:
 * ["Signature1", protected, h'', payload], CBOR-encoded. */
int pl_attest_sig_structure_update(const pl_attest_doc *d, EVP_MD_CTX *ctx,
                                   pl_error *err);

/* Decodes and type-checks the payload; fills d's certificate views and
 * info (never NULL here). */
int pl_attest_payload_decode(pl_attest_doc *d, pl_attest_info *info,
                             pl_error *err);

/* Verifies the chain leaf -> cabundle -> root at time at_s and checks every
 * certificate of the chain is still unexpired at now_s. Returns the leaf's
 * public key (a P-384 EC key) in *leaf_key and the earliest end of
 * validity in the chain in *not_after. */
int pl_attest_chain_verify(const pl_attest_doc *d, const uint8_t *root_der,
                           size_t root_len, int64_t at_s, int64_t now_s,
                           EVP_PKEY **leaf_key, int64_t *not_after,
                           pl_error *err);

/* Verifies the ES384 signature of d with key. */
int pl_attest_sig_verify(const pl_attest_doc *d, EVP_PKEY *key, pl_error *err);

void pl_attest_doc_free(pl_attest_doc *d);

/* The verified-documents cache (attest_cache.c). key: PL_ATTEST_CACHE_KEY
 * bytes, one line of the file. */
#define PL_ATTEST_CACHE_KEY (64 + 1 + 128)
void pl_attest_cache_key(const uint8_t *doc, size_t len, const uint8_t *root,
                         size_t root_len, char key[PL_ATTEST_CACHE_KEY]);
/* 1 when key is in the file with every certificate of its chain valid
 * until not_after (set) beyond now_s; 0 otherwise. */
int pl_attest_cache_has(const char *path, const char key[PL_ATTEST_CACHE_KEY],
                        int64_t now_s);
void pl_attest_cache_add(const char *path, const char key[PL_ATTEST_CACHE_KEY],
                         int64_t not_after);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void pl_attest_hex(const uint8_t *p, size_t n, char *out);
/* "2024-09-17T00:47:59Z" (21 bytes with the NUL). */
void pl_attest_utc(int64_t t, char out[32]);

#endif
