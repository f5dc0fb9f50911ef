/* Connection options behind the opaque pl_client_opts: one setter per
 * option, so new options never change what programs compile against. */
#include "client.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pl_client_opts *pl_client_opts_new(void)
{
    /* Keys and nonces need libsodium set up; it is idempotent. */
    if (sodium_init() < 0)
        return NULL;
    pl_client_opts *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->connect_timeout_ms = 5000;
    o->io_timeout_ms = -1;
    return o;
}

void pl_client_opts_free(pl_client_opts *o)
{
    if (!o)
        return;
    free(o->known_servers);
    free(o->root_der);
    free(o->attest_cache);
    sodium_memzero(o, sizeof *o);
    free(o);
}

int pl_client_opts_set_address(pl_client_opts *o, const char *addr,
                               pl_error *err)
{
    if (!addr)
        return pl_fail(err, PL_ERR_USAGE, "no server address given");
    pl_address a;
    if (pl_address_parse(addr, &a, err))
        return -1;
    o->addr = a;
    o->has_address = 1;
    return 0;
}

int pl_client_opts_set_key(pl_client_opts *o, const uint8_t priv[32])
{
    memcpy(o->keys.priv, priv, 32);
    pl_key_public(o->keys.priv, o->keys.pub);
    o->has_key = 1;
    return 0;
}

int pl_client_opts_set_key_base64(pl_client_opts *o, const char *b64,
                                  pl_error *err)
{
    uint8_t k[32];
    if (pl_key_from_base64(b64, k, err))
        return -1;
    pl_client_opts_set_key(o, k);
    sodium_memzero(k, sizeof k);
    return 0;
}

int pl_client_opts_set_key_file(pl_client_opts *o, const char *path, int create,
                                pl_error *err)
{
    pl_keypair kp;
    if (pl_key_load(path, create, &kp, err))
        return -1;
    o->keys = kp;
    o->has_key = 1;
    sodium_memzero(&kp, sizeof kp);
    return 0;
}

int pl_client_opts_set_server_key(pl_client_opts *o, const uint8_t pub[32])
{
    memcpy(o->pin, pub, 32);
    o->has_pin = 1;
    return 0;
}

int pl_client_opts_set_server_key_base64(pl_client_opts *o, const char *b64,
                                         pl_error *err)
{
    uint8_t k[32];
    if (pl_key_from_base64(b64, k, err))
        return -1;
    return pl_client_opts_set_server_key(o, k);
}

int pl_client_opts_set_known_servers(pl_client_opts *o, const char *path,
                                     pl_error *err)
{
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    free(o->known_servers);
    o->known_servers = copy;
    return 0;
}

int pl_client_opts_set_connect_timeout(pl_client_opts *o, int ms)
{
    if (ms <= 0)
        return -1;
    o->connect_timeout_ms = ms;
    return 0;
}

int pl_client_opts_set_io_timeout(pl_client_opts *o, int ms)
{
    if (ms < -1 || ms == 0)
        return -1;
    o->io_timeout_ms = ms;
    return 0;
}

/* ---- attestation ---- */

int pl_client_opts_expect_pcr(pl_client_opts *o, unsigned index,
                              const uint8_t value[PL_PCR_LEN], pl_error *err)
{
    if (index >= PL_ATTEST_MAX_PCRS || !value)
        return pl_fail(err, PL_ERR_USAGE,
                       "PCR index %u is out of range (0..31)", index);
    memcpy(o->expect.pcr[index], value, PL_ATTEST_PCR_LEN);
    o->expect.pcr_mask |= 1u << index;
    o->attest = 1;
    return 0;
}

int pl_client_opts_expect_pcr_text(pl_client_opts *o, const char *spec,
                                   pl_error *err)
{
    if (!spec)
        return pl_fail(err, PL_ERR_USAGE, "no PCR given");
    if (pl_attest_parse_pcr(spec, &o->expect, err))
        return -1;
    o->attest = 1;
    return 0;
}

static void set_root(pl_client_opts *o, uint8_t *der, size_t len)
{
    free(o->root_der);
    o->root_der = der;
    o->expect.root_der = der;
    o->expect.root_der_len = der ? len : 0;
}

int pl_client_opts_set_attestation_root(pl_client_opts *o, const uint8_t *der,
                                        size_t len, pl_error *err)
{
    if (!der || len == 0)
        return pl_fail(err, PL_ERR_USAGE, "empty root certificate");
    uint8_t *copy = malloc(len);
    if (!copy)
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    memcpy(copy, der, len);
    set_root(o, copy, len);
    return 0;
}

int pl_client_opts_set_attestation_root_file(pl_client_opts *o,
                                             const char *path, pl_error *err)
{
    uint8_t *der;
    size_t len;
    if (!path)
        return pl_fail(err, PL_ERR_USAGE, "no root certificate file given");
    if (pl_attest_load_root(path, &der, &len, err))
        return -1;
    set_root(o, der, len);
    return 0;
}

int pl_client_opts_set_allow_debug(pl_client_opts *o, int allow)
{
    o->expect.allow_debug = allow != 0;
    return 0;
}

int pl_client_opts_set_attestation_max_age(pl_client_opts *o, int64_t seconds)
{
    if (seconds <= 0)
        return -1;
    o->expect.max_age_s = seconds;
    return 0;
}

int pl_client_opts_require_attestation(pl_client_opts *o, int require)
{
    /* Expected PCRs always require it; this adds the no-PCR case. */
    o->attest = require || o->expect.pcr_mask;
    return 0;
}

int pl_client_opts_set_cipher(pl_client_opts *o, const char *name,
                              pl_error *err)
{
    PL_CLIENT_ERR(err);
    int cipher = 0;
    if (name && *name) {
        if (strcasecmp(name, "aesgcm") == 0)
            cipher = NOISE_CIPHER_AESGCM;
        else if (strcasecmp(name, "chachapoly") == 0)
            cipher = NOISE_CIPHER_CHACHAPOLY;
        else
            return pl_fail(err, PL_ERR_USAGE,
                           "unknown cipher \"%s\" (use aesgcm or chachapoly)",
                           name);
        if (!noise_cipher_available(cipher))
            return pl_fail(err, PL_ERR_USAGE,
                           "the %s cipher is not available in this build (%s "
                           "backend on this CPU)",
                           noise_cipher_name(cipher),
                           noise_aead_backend_name());
    }
    o->cipher = cipher;
    return 0;
}

int pl_client_opts_set_attestation_cache(pl_client_opts *o, const char *path,
                                         pl_error *err)
{
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return pl_fail(err, PL_ERR_NOMEM, "out of memory");
    free(o->attest_cache);
    o->attest_cache = copy;
    o->attest_cache_set = 1;
    return 0;
}
