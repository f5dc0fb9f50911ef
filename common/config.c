#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pl_config_set(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

static void defaults(pl_config *c)
{
    memset(c, 0, sizeof *c);
    c->connect_timeout_ms = 5000;
    c->max_connections = 64;
    c->max_execs = 64;
    c->handshake_timeout_ms = 10000;
    c->idle_timeout_ms = 0;
    c->allow_exec = 1;
    c->allow_tty = 1;
    c->allow_files = 1;
    c->read_only = 0;
    c->kill_grace_ms = 2000;
    c->attestation = 1;
    c->attestation_refresh_s = 3600;
    pl_config_set(&c->shell, "/bin/sh");
}

static int get_u32(config_t *cf, const char *name, uint32_t *out, int *has,
                   const char *file, pl_error *err)
{
    config_setting_t *s = config_lookup(cf, name);
    if (!s)
        return 0;
    long long v;
    if (config_setting_type(s) == CONFIG_TYPE_INT ||
        config_setting_type(s) == CONFIG_TYPE_INT64)
        v = config_setting_get_int64(s);
    else
        return pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s must be a whole number",
                       file, config_setting_source_line(s), name);
    if (v < 0 || v > UINT32_MAX)
        return pl_fail(err, PL_ERR_CONFIG,
                       "%s:%d: %s is out of range (0..4294967295)", file,
                       config_setting_source_line(s), name);
    *out = (uint32_t)v;
    if (has)
        *has = 1;
    return 0;
}

static int get_secs(config_t *cf, const char *name, int *ms, const char *file,
                    pl_error *err)
{
    uint32_t v;
    int has = 0;
    if (get_u32(cf, name, &v, &has, file, err))
        return -1;
    if (has) {
        /* The value is kept in int milliseconds: cap it below INT_MAX / 1000
         * seconds (about 24 days) rather than overflow. */
        if (v > INT_MAX / 1000)
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: %s is too large (at most %d seconds)", file,
                           config_setting_source_line(config_lookup(cf, name)),
                           name, INT_MAX / 1000);
        *ms = (int)v * 1000;
    }
    return 0;
}

static int get_int(config_t *cf, const char *name, int *out, const char *file,
                   pl_error *err)
{
    uint32_t v;
    int has = 0;
    if (get_u32(cf, name, &v, &has, file, err))
        return -1;
    if (has) {
        if (v > 1000000)
            return pl_fail(err, PL_ERR_CONFIG, "%s: %s is too large", file,
                           name);
        *out = (int)v;
    }
    return 0;
}

static int get_str(config_t *cf, const char *name, char **out, const char *file,
                   pl_error *err)
{
    config_setting_t *s = config_lookup(cf, name);
    if (!s)
        return 0;
    const char *v = config_setting_get_string(s);
    if (!v)
        return pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s must be a string", file,
                       config_setting_source_line(s), name);
    pl_config_set(out, v);
    return 0;
}

static int get_bool(config_t *cf, const char *name, int *out, const char *file,
                    pl_error *err)
{
    config_setting_t *s = config_lookup(cf, name);
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s must be true or false",
                       file, config_setting_source_line(s), name);
    *out = config_setting_get_bool(s);
    return 0;
}

int pl_config_load(pl_config *c, const char *path, int required, pl_error *err)
{
    defaults(c);
    snprintf(c->path, sizeof c->path, "%s", path);
    if (access(path, F_OK) != 0) {
        if (required || errno != ENOENT)
            return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                                 "cannot read configuration file %s", path);
        return 0;
    }
    config_t cf;
    config_init(&cf);
    if (!config_read_file(&cf, path)) {
        if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
            pl_fail_errno(err, PL_ERR_CONFIG, errno,
                          "cannot read configuration file %s", path);
        else
            pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s", path,
                    config_error_line(&cf), config_error_text(&cf));
        config_destroy(&cf);
        return -1;
    }
    int rc = -1;
    if (get_u32(&cf, "cid", &c->cid, &c->has_cid, path, err) ||
        get_u32(&cf, "port", &c->port, &c->has_port, path, err) ||
        get_str(&cf, "address", &c->address, path, err) ||
        get_str(&cf, "key_file", &c->key_file, path, err) ||
        get_str(&cf, "server_key", &c->server_key, path, err) ||
        get_str(&cf, "known_servers", &c->known_servers, path, err) ||
        get_secs(&cf, "connect_timeout", &c->connect_timeout_ms, path, err) ||
        get_str(&cf, "server.authorized_keys", &c->authorized_keys, path,
                err) ||
        get_int(&cf, "server.max_connections", &c->max_connections, path,
                err) ||
        get_int(&cf, "server.max_execs", &c->max_execs, path, err) ||
        get_secs(&cf, "server.handshake_timeout", &c->handshake_timeout_ms,
                 path, err) ||
        get_secs(&cf, "server.idle_timeout", &c->idle_timeout_ms, path, err) ||
        get_secs(&cf, "server.kill_grace", &c->kill_grace_ms, path, err) ||
        get_bool(&cf, "server.allow_exec", &c->allow_exec, path, err) ||
        get_bool(&cf, "server.allow_tty", &c->allow_tty, path, err) ||
        get_bool(&cf, "server.allow_files", &c->allow_files, path, err) ||
        get_bool(&cf, "server.read_only", &c->read_only, path, err) ||
        get_str(&cf, "server.root", &c->root, path, err) ||
        get_str(&cf, "server.shell", &c->shell, path, err) ||
        get_bool(&cf, "server.attestation", &c->attestation, path, err) ||
        get_str(&cf, "server.attestation_device", &c->attestation_device, path,
                err) ||
        get_int(&cf, "server.attestation_refresh", &c->attestation_refresh_s,
                path, err) ||
        get_str(&cf, "attestation.root", &c->attest_root, path, err) ||
        get_bool(&cf, "attestation.allow_debug", &c->attest_allow_debug, path,
                 err) ||
        get_int(&cf, "attestation.max_age", &c->attest_max_age_s, path, err))
        goto out;
    for (int i = 0; i < 32; i++) {
        char key[32];
        snprintf(key, sizeof key, "attestation.pcr%d", i);
        if (get_str(&cf, key, &c->attest_pcr[i], path, err))
            goto out;
    }
    if (c->has_port && c->port > 0xffffffffu)
        goto out;
    c->loaded = 1;
    rc = 0;
out:
    config_destroy(&cf);
    return rc;
}

void pl_config_free(pl_config *c)
{
    free(c->address);
    free(c->key_file);
    free(c->server_key);
    free(c->known_servers);
    free(c->authorized_keys);
    free(c->root);
    free(c->shell);
    free(c->attestation_device);
    free(c->attest_root);
    for (int i = 0; i < 32; i++)
        free(c->attest_pcr[i]);
    memset(c, 0, sizeof *c);
}

char *pl_config_sibling(const pl_config *c, const char *name)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", c->path[0] ? c->path : PL_DEFAULT_CONFIG);
    const char *dir = dirname(buf);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, name);
    return out;
}
