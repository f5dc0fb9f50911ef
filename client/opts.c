/* Connection options behind the opaque pl_client_opts: one setter per
 * option, so new options never change what programs compile against. */
#include "client.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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
