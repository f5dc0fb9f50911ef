/*
 * The ES384 signature of a COSE_Sign1 document. COSE carries the signature
 * as the raw concatenation r || s (RFC 8152 section 8.1); OpenSSL verifies
 * DER-encoded ECDSA-Sig-Value, so the two halves are re-encoded first.
 */
#include "attest_int.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#define HALF (PL_ATTEST_SIG_LEN / 2)

int pl_attest_sig_verify(const pl_attest_doc *d, EVP_PKEY *key, pl_error *err)
{
    if (pl_ossl_load())
        return pl_fail(err, PL_ERR_CONFIG, "attestation: %s", pl_ossl_error());
    int rc = -1;
    unsigned char *der = NULL;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(d->signature.p, HALF, NULL);
    BIGNUM *s = BN_bin2bn(d->signature.p + HALF, HALF, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        pl_fail(err, PL_ERR_NOMEM, "attestation: out of memory");
        goto out;
    }
    int der_len = i2d_ECDSA_SIG(sig, &der);
    md = EVP_MD_CTX_new();
    if (der_len <= 0 || !md ||
        EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) != 1) {
        pl_fail(err, PL_ERR_INTERNAL,
                "attestation: cannot set up signature verification");
        goto out;
    }
    if (pl_attest_sig_structure_update(d, md, err))
        goto out;
    if (EVP_DigestVerifyFinal(md, der, (size_t)der_len) != 1) {
        pl_fail(err, PL_ERR_AUTH,
                "attestation: signature: the ES384 signature does not verify "
                "with the leaf certificate's key");
        goto out;
    }
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return rc;
}
