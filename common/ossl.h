/*
 * OpenSSL's libcrypto, reached through a table of function pointers.
 *
 * Two things need libcrypto: the attestation verifier (X.509, ECDSA) and
 * the fast AEAD backend once a direction carries bulk data. A short
 * command needs neither, yet a `pipeline` linked with libcrypto paid for
 * it at every start: relocating and copying in its ~360 KiB of pointer
 * tables cost more than a third of a `pipeline run -- true`. So the table
 * is filled one of two ways, chosen at link time like the AEAD backends:
 *
 *   ossl_direct.c (in pipeline_common): the functions themselves; the
 *     program links libcrypto as before (tests, libraries, static builds).
 *   ossl_dlopen.c (the `pipeline` executable): libcrypto.so.3 is opened
 *     on first use, so a run that needs no OpenSSL never loads it.
 *
 * A file that calls OpenSSL includes this header after its OpenSSL headers;
 * the macros at the end send each call through the table. Every function
 * called must be listed here: the executable links no libcrypto, so a
 * missing one is a link error, not a silent direct call.
 */
#ifndef PL_OSSL_H
#define PL_OSSL_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PL_OSSL_FUNCS(X)                                                       \
    X(ASN1_TIME_to_tm)                                                         \
    X(BN_bin2bn)                                                               \
    X(BN_free)                                                                 \
    X(CRYPTO_free)                                                             \
    X(ECDSA_SIG_free)                                                          \
    X(ECDSA_SIG_new)                                                           \
    X(ECDSA_SIG_set0)                                                          \
    X(ERR_clear_error)                                                         \
    X(EVP_CIPHER_CTX_ctrl)                                                     \
    X(EVP_CIPHER_CTX_free)                                                     \
    X(EVP_CIPHER_CTX_new)                                                      \
    X(EVP_CipherFinal_ex)                                                      \
    X(EVP_CipherInit_ex)                                                       \
    X(EVP_CipherUpdate)                                                        \
    X(EVP_DigestVerifyFinal)                                                   \
    X(EVP_DigestVerifyInit)                                                    \
    X(EVP_DigestVerifyUpdate)                                                  \
    X(EVP_MD_CTX_free)                                                         \
    X(EVP_MD_CTX_new)                                                          \
    X(EVP_PKEY_free)                                                           \
    X(EVP_PKEY_get_base_id)                                                    \
    X(EVP_PKEY_get_utf8_string_param)                                          \
    X(EVP_aes_256_gcm)                                                         \
    X(EVP_chacha20_poly1305)                                                   \
    X(EVP_sha256)                                                              \
    X(EVP_sha384)                                                              \
    X(OPENSSL_sk_new_null)                                                     \
    X(OPENSSL_sk_num)                                                          \
    X(OPENSSL_sk_pop_free)                                                     \
    X(OPENSSL_sk_push)                                                         \
    X(OPENSSL_sk_value)                                                        \
    X(X509_NAME_get_text_by_NID)                                               \
    X(X509_NAME_oneline)                                                       \
    X(X509_STORE_CTX_free)                                                     \
    X(X509_STORE_CTX_get0_chain)                                               \
    X(X509_STORE_CTX_get0_param)                                               \
    X(X509_STORE_CTX_get_current_cert)                                         \
    X(X509_STORE_CTX_get_error)                                                \
    X(X509_STORE_CTX_get_error_depth)                                          \
    X(X509_STORE_CTX_init)                                                     \
    X(X509_STORE_CTX_new)                                                      \
    X(X509_STORE_add_cert)                                                     \
    X(X509_STORE_free)                                                         \
    X(X509_STORE_new)                                                          \
    X(X509_VERIFY_PARAM_set_depth)                                             \
    X(X509_VERIFY_PARAM_set_time)                                              \
    X(X509_check_ca)                                                           \
    X(X509_cmp_time)                                                           \
    X(X509_digest)                                                             \
    X(X509_free)                                                               \
    X(X509_get0_notAfter)                                                      \
    X(X509_get0_notBefore)                                                     \
    X(X509_get_extension_flags)                                                \
    X(X509_get_key_usage)                                                      \
    X(X509_get_pubkey)                                                         \
    X(X509_get_subject_name)                                                   \
    X(X509_verify_cert)                                                        \
    X(X509_verify_cert_error_string)                                           \
    X(d2i_X509)                                                                \
    X(i2d_ECDSA_SIG)

typedef struct pl_ossl_table {
#define PL_OSSL_SLOT(f) __typeof__(f) *f;
    PL_OSSL_FUNCS(PL_OSSL_SLOT)
#undef PL_OSSL_SLOT
} pl_ossl_table;

extern pl_ossl_table pl_ossl;

/* 0 once the table is usable (at once for the direct table; the first
 * call opens the library, thread-safely), -1 when it cannot be: then
 * pl_ossl_error() says why in words a user can act on. */
int pl_ossl_load(void);
/* 1 when the table has been filled: callers that only clean up after
 * OpenSSL (its error queue) skip that when it was never used. */
int pl_ossl_loaded(void);
const char *pl_ossl_error(void);

#ifndef PL_OSSL_REAL_NAMES
#define ASN1_TIME_to_tm (pl_ossl.ASN1_TIME_to_tm)
#define BN_bin2bn (pl_ossl.BN_bin2bn)
#define BN_free (pl_ossl.BN_free)
#define CRYPTO_free (pl_ossl.CRYPTO_free)
#define ECDSA_SIG_free (pl_ossl.ECDSA_SIG_free)
#define ECDSA_SIG_new (pl_ossl.ECDSA_SIG_new)
#define ECDSA_SIG_set0 (pl_ossl.ECDSA_SIG_set0)
#define ERR_clear_error (pl_ossl.ERR_clear_error)
#define EVP_CIPHER_CTX_ctrl (pl_ossl.EVP_CIPHER_CTX_ctrl)
#define EVP_CIPHER_CTX_free (pl_ossl.EVP_CIPHER_CTX_free)
#define EVP_CIPHER_CTX_new (pl_ossl.EVP_CIPHER_CTX_new)
#define EVP_CipherFinal_ex (pl_ossl.EVP_CipherFinal_ex)
#define EVP_CipherInit_ex (pl_ossl.EVP_CipherInit_ex)
#define EVP_CipherUpdate (pl_ossl.EVP_CipherUpdate)
#define EVP_DigestVerifyFinal (pl_ossl.EVP_DigestVerifyFinal)
#define EVP_DigestVerifyInit (pl_ossl.EVP_DigestVerifyInit)
#define EVP_DigestVerifyUpdate (pl_ossl.EVP_DigestVerifyUpdate)
#define EVP_MD_CTX_free (pl_ossl.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (pl_ossl.EVP_MD_CTX_new)
#define EVP_PKEY_free (pl_ossl.EVP_PKEY_free)
#define EVP_PKEY_get_base_id (pl_ossl.EVP_PKEY_get_base_id)
#define EVP_PKEY_get_utf8_string_param (pl_ossl.EVP_PKEY_get_utf8_string_param)
#define EVP_aes_256_gcm (pl_ossl.EVP_aes_256_gcm)
#define EVP_chacha20_poly1305 (pl_ossl.EVP_chacha20_poly1305)
#define EVP_sha256 (pl_ossl.EVP_sha256)
#define EVP_sha384 (pl_ossl.EVP_sha384)
#define OPENSSL_sk_new_null (pl_ossl.OPENSSL_sk_new_null)
#define OPENSSL_sk_num (pl_ossl.OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (pl_ossl.OPENSSL_sk_pop_free)
#define OPENSSL_sk_push (pl_ossl.OPENSSL_sk_push)
#define OPENSSL_sk_value (pl_ossl.OPENSSL_sk_value)
#define X509_NAME_get_text_by_NID (pl_ossl.X509_NAME_get_text_by_NID)
#define X509_NAME_oneline (pl_ossl.X509_NAME_oneline)
#define X509_STORE_CTX_free (pl_ossl.X509_STORE_CTX_free)
#define X509_STORE_CTX_get0_chain (pl_ossl.X509_STORE_CTX_get0_chain)
#define X509_STORE_CTX_get0_param (pl_ossl.X509_STORE_CTX_get0_param)
#define X509_STORE_CTX_get_current_cert                                        \
    (pl_ossl.X509_STORE_CTX_get_current_cert)
#define X509_STORE_CTX_get_error (pl_ossl.X509_STORE_CTX_get_error)
#define X509_STORE_CTX_get_error_depth (pl_ossl.X509_STORE_CTX_get_error_depth)
#define X509_STORE_CTX_init (pl_ossl.X509_STORE_CTX_init)
#define X509_STORE_CTX_new (pl_ossl.X509_STORE_CTX_new)
#define X509_STORE_add_cert (pl_ossl.X509_STORE_add_cert)
#define X509_STORE_free (pl_ossl.X509_STORE_free)
#define X509_STORE_new (pl_ossl.X509_STORE_new)
#define X509_VERIFY_PARAM_set_depth (pl_ossl.X509_VERIFY_PARAM_set_depth)
#define X509_VERIFY_PARAM_set_time (pl_ossl.X509_VERIFY_PARAM_set_time)
#define X509_check_ca (pl_ossl.X509_check_ca)
#define X509_cmp_time (pl_ossl.X509_cmp_time)
#define X509_digest (pl_ossl.X509_digest)
#define X509_free (pl_ossl.X509_free)
#define X509_get0_notAfter (pl_ossl.X509_get0_notAfter)
#define X509_get0_notBefore (pl_ossl.X509_get0_notBefore)
#define X509_get_extension_flags (pl_ossl.X509_get_extension_flags)
#define X509_get_key_usage (pl_ossl.X509_get_key_usage)
#define X509_get_pubkey (pl_ossl.X509_get_pubkey)
#define X509_get_subject_name (pl_ossl.X509_get_subject_name)
#define X509_verify_cert (pl_ossl.X509_verify_cert)
#define X509_verify_cert_error_string (pl_ossl.X509_verify_cert_error_string)
#define d2i_X509 (pl_ossl.d2i_X509)
#define i2d_ECDSA_SIG (pl_ossl.i2d_ECDSA_SIG)
#endif

#endif
