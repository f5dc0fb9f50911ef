/*
 * Verification of AWS Nitro Enclaves attestation documents (COSE_Sign1,
 * ES384, certificate chain to the AWS Nitro root). docs/ATTESTATION.md
 * states every rule; a client in another language follows that text.
 *
 * Every refusal is PL_ERR_AUTH with one line naming the failed check and,
 * where there are some, the expected and actual values.
 */
#ifndef PIPELINE_ATTEST_H
#define PIPELINE_ATTEST_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define PL_ATTEST_MAX_PCRS 32
#define PL_ATTEST_PCR_LEN 48
/* Whole documents above this are refused before parsing: AWS bounds the
 * payload to 16 KiB, 1 KiB more covers the envelope. Real ones are about
 * 4.5 KiB; the NSM response buffer is 12 KiB. */
#define PL_ATTEST_MAX_DOC (17 * 1024)
/* AWS's bounds on the optional byte fields. */
#define PL_ATTEST_MAX_PUBLIC_KEY 1024
#define PL_ATTEST_MAX_USER_DATA 512
#define PL_ATTEST_MAX_NONCE 512
/* Certificates in cabundle (root + intermediates); AWS uses 4. */
#define PL_ATTEST_MAX_CABUNDLE 8
/* Documents the verification cache remembers. */
#define PL_ATTEST_CACHE_MAX 32
/* Default freshness window: the NSM's certificates live about 3 hours. */
#define PL_ATTEST_DEFAULT_MAX_AGE_S (3 * 3600)

typedef struct pl_attest_expect {
    uint32_t pcr_mask; /* bit N set: pcr[N] must match */
    uint8_t pcr[PL_ATTEST_MAX_PCRS][PL_ATTEST_PCR_LEN];
    const uint8_t *root_der; /* NULL: built-in AWS Nitro root */
    size_t root_der_len;
    int allow_debug;   /* accept PCR0..2 all zero */
    int64_t max_age_s; /* 0: default 3 hours */
    int64_t now_s;     /* 0: time(NULL) */
    /* Optional: the document's nonce must equal these bytes (a challenge
     * the verifier chose). NULL: not checked. */
    const uint8_t *nonce;
    size_t nonce_len;
    /* Optional: a file remembering documents whose chain and signature
     * verified (docs/ATTESTATION.md, "Cache"), so the same document seen
     * again costs no ECDSA work; the clock-dependent and expectation
     * checks always run. NULL: no cache. */
    const char *cache_path;
} pl_attest_expect;

typedef struct pl_attest_info {
    char module_id[128]; /* NUL-terminated */
    char digest[16];     /* "SHA384" */
    uint64_t timestamp_ms;
    uint32_t pcr_mask; /* which pcr[] the document carried */
    uint8_t pcr[PL_ATTEST_MAX_PCRS][PL_ATTEST_PCR_LEN];
    int debug;          /* PCR0..2 all zero */
    int has_public_key; /* public_key present and 32 bytes (a Noise key) */
    uint8_t public_key[32];
    /* The fields as the document has them, whatever their length
     * (0 when absent). */
    size_t public_key_len;
    uint8_t public_key_raw[PL_ATTEST_MAX_PUBLIC_KEY];
    size_t user_data_len;
    uint8_t user_data[PL_ATTEST_MAX_USER_DATA];
    size_t nonce_len;
    uint8_t nonce[PL_ATTEST_MAX_NONCE];
    int from_cache; /* chain and signature were verified earlier */
} pl_attest_info;

/* Reads a PEM or DER certificate file into DER bytes (malloc'd; free()). */
int pl_attest_load_root(const char *path, uint8_t **der, size_t *len,
                        pl_error *err);

/* Verifies doc (COSE_Sign1, tagged or not). server_key: 32 bytes the
 * document's public_key must equal, or NULL to skip that check. Fills info
 * (may be NULL) with the document's fields once they are known, also when
 * a later check fails. */
int pl_attest_verify(const uint8_t *doc, size_t len,
                     const pl_attest_expect *exp, const uint8_t *server_key,
                     pl_attest_info *info, pl_error *err);

/* Parses "N=HEX" (N 0..31, HEX 96 hex digits) for --expect-pcr. */
int pl_attest_parse_pcr(const char *arg, pl_attest_expect *exp, pl_error *err);

/* The built-in AWS Nitro Enclaves root certificate (DER). */
const uint8_t *pl_attest_aws_root(size_t *len);

#endif
