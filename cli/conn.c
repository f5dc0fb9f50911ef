/* Connection flags, their precedence over the config file, and connecting. */
#include "cli.h"
#include "escape.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_error(const char *sub, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote what the server said (Status texts, entry names,
     * spawn errors): a malicious server must not reach the terminal with
     * escape sequences, so every message goes through pl_escape. */
    pl_escape_inplace(msg, sizeof msg);
    if (sub)
        fprintf(stderr, "pipeline %s: %s\n", sub, msg);
    else
        fprintf(stderr, "pipeline: %s\n", msg);
}

void cli_usage_error(const char *sub, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pl_escape_inplace(msg, sizeof msg);
    if (sub)
        fprintf(stderr, "pipeline %s: %s (see pipeline %s --help)\n", sub, msg,
                sub);
    else
        fprintf(stderr, "pipeline: %s (see pipeline --help)\n", msg);
}

void cli_call_error(const char *sub, const pl_error *err)
{
    const char *side = err->code == PL_ERR_REMOTE ? "remote: "
                       : err->code == PL_ERR_IO   ? "local: "
                                                  : "";
    cli_error(sub, "%s%s", side, err->msg);
}

int cli_exit_code(const pl_error *err)
{
    switch (err->code) {
    case PL_ERR_USAGE:
        return EXIT_USAGE;
    case PL_ERR_CONNECT:
    case PL_ERR_TIMEOUT:
    case PL_ERR_CLOSED:
    case PL_ERR_HANDSHAKE:
    case PL_ERR_AUTH:
    case PL_ERR_PROTOCOL:
        return EXIT_CONNECTION;
    default:
        return 1;
    }
}

int cli_global_option(cli_global *g, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        g->config_path = arg;
        return 1;
    case 'v':
        g->verbose = 1;
        return 1;
    case OPT_HOST:
        g->host = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_load_config(cli_global *g, const char *sub)
{
    if (g->loaded)
        return 0;
    pl_error err;
    if (pl_config_load_all(&g->cfg, g->config_path, g->host, &err)) {
        cli_error(sub, "%s", err.msg);
        pl_config_free(&g->cfg);
        return -1;
    }
    g->loaded = 1;
    return 0;
}

void cli_conn_init(cli_conn *c, cli_global *g)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    c->cid = c->port = -1;
    c->connect_timeout_s = -1;
    cli_attest_init(&c->attest);
}

int cli_parse_u32(const char *sub, const char *flag, const char *arg,
                  long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || *end || end == arg || v < 0 || v > 0xffffffffLL) {
        cli_error(sub, "%s: \"%s\" is not a number from 0 to 4294967295", flag,
                  arg);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_conn_option(cli_conn *c, const char *sub, int opt, const char *arg)
{
    long long v;
    if (c->g && cli_global_option(c->g, opt, arg))
        return 1;
    switch (opt) {
    case OPT_CID:
        return cli_parse_u32(sub, "--cid", arg, &c->cid) ? -1 : 1;
    case OPT_PORT:
        return cli_parse_u32(sub, "--port", arg, &c->port) ? -1 : 1;
    case OPT_ADDRESS:
        c->address = arg;
        return 1;
    case OPT_SERVER_KEY:
        c->server_key = arg;
        return 1;
    case OPT_KNOWN_SERVERS:
        c->known_servers = arg;
        return 1;
    case OPT_KEY_FILE:
        c->key_file = arg;
        return 1;
    case OPT_CIPHER:
        c->cipher = arg;
        return 1;
    case OPT_CONNECT_TIMEOUT:
        if (cli_parse_u32(sub, "--connect-timeout", arg, &v))
            return -1;
        c->connect_timeout_s = v > 3600 ? 3600 : (int)v;
        return 1;
    case 'q':
        c->quiet = 1;
        return 1;
    case '?':
        /* getopt said what; say where to look. */
        fprintf(stderr, "Try 'pipeline %s --help'.\n", sub);
        return -1;
    default:
        return cli_attest_option(&c->attest, sub, opt, arg);
    }
}

/* flag, then config, then NAME in the per-user directory. */
static char *user_file(const char *sub, const char *flag, const char *cfg,
                       const char *name, const char *key)
{
    if (flag || cfg)
        return strdup(flag ? flag : cfg);
    char *p = pl_config_user_path(name);
    if (!p)
        cli_error(sub,
                  "no home directory to keep %s in: set HOME or "
                  "XDG_CONFIG_HOME, or config key %s",
                  name, key);
    return p;
}

int cli_load_client_key(cli_global *g, const char *sub, const char *flag_path,
                        pl_keypair *kp)
{
    char *path =
        user_file(sub, flag_path, g->cfg.key_file, "client.key", "key_file");
    if (!path)
        return -1;
    pl_error err;
    int rc = pl_key_load(path, 1, kp, &err);
    if (rc)
        cli_error(sub, "%s", err.msg);
    free(path);
    return rc;
}

char *cli_server_key_path(cli_global *g, const char *sub, const char *flag_path)
{
    return user_file(sub, flag_path, g->cfg.server_key_file, "server.key",
                     "server.key_file");
}

/* The server address as text (vsock:CID:PORT, tcp:HOST:PORT, unix:PATH),
 * from the flags first, then the config file. */
static int resolve_address(cli_global *g, const char *sub, const cli_conn *c,
                           char *out, size_t cap)
{
    const char *text = c->address;
    if (text && (c->cid >= 0 || c->port >= 0)) {
        cli_usage_error(sub, "give either --address or --cid/--port, not "
                             "both");
        return -1;
    }
    if (!text && (c->cid >= 0 || c->port >= 0)) {
        long long cid = c->cid >= 0      ? c->cid
                        : g->cfg.has_cid ? (long long)g->cfg.cid
                                         : -1;
        long long port = c->port >= 0      ? c->port
                         : g->cfg.has_port ? (long long)g->cfg.port
                                           : -1;
        if (cid < 0 || port < 0) {
            cli_error(sub, "missing %s: give --%s (config key: %s)",
                      cid < 0 ? "enclave CID" : "port",
                      cid < 0 ? "cid" : "port", cid < 0 ? "cid" : "port");
            return -1;
        }
        snprintf(out, cap, "vsock:%lld:%lld", cid, port);
        return 0;
    }
    if (!text)
        text = g->cfg.address;
    if (text) {
        snprintf(out, cap, "%s", text);
        return 0;
    }
    if (g->cfg.has_cid && g->cfg.has_port) {
        snprintf(out, cap, "vsock:%u:%u", (unsigned)g->cfg.cid,
                 (unsigned)g->cfg.port);
        return 0;
    }
    cli_error(sub,
              "no server address: give --address ADDR, --cid CID --port "
              "PORT or --host NAME (config keys: address, or cid and port; "
              "read: %s)",
              g->cfg.files[0] ? g->cfg.files : "no configuration file");
    return -1;
}

/* What an attested server must prove: each flag wins over its config key
 * (a PCR given on the command line over the same PCR in the file). */
static int attestation_opts(cli_global *g, const char *sub, const cli_conn *c,
                            pl_client_opts *o)
{
    pl_error err;
    const pl_attest_expect *flags = &c->attest.exp;
    for (unsigned i = 0; i < PL_ATTEST_MAX_PCRS; i++) {
        if ((flags->pcr_mask >> i) & 1)
            pl_client_opts_expect_pcr(o, i, flags->pcr[i], &err);
        else if (g->cfg.attest_pcr[i]) {
            char spec[16 + 2 * PL_ATTEST_PCR_LEN + 8];
            snprintf(spec, sizeof spec, "%u=%s", i, g->cfg.attest_pcr[i]);
            if (pl_client_opts_expect_pcr_text(o, spec, &err)) {
                cli_error(sub, "config attestation.pcr%u in %s: %s", i,
                          g->cfg.path, err.msg);
                return EXIT_USAGE;
            }
        }
    }
    pl_client_opts_set_allow_debug(o, flags->allow_debug ||
                                          g->cfg.attest_allow_debug);
    int64_t age = flags->max_age_s ? flags->max_age_s : g->cfg.attest_max_age_s;
    if (age > 0)
        pl_client_opts_set_attestation_max_age(o, age);
    const char *root =
        c->attest.root_path ? c->attest.root_path : g->cfg.attest_root;
    if (root && pl_client_opts_set_attestation_root_file(o, root, &err)) {
        cli_error(sub, "%s: %s",
                  c->attest.root_path ? "--attestation-root"
                                      : "config attestation.root",
                  err.msg);
        return EXIT_USAGE;
    }
    pl_client_opts_require_attestation(o, c->require_attestation);
    /* Verified documents are remembered next to known_servers (the
     * library's default) unless attestation.cache names another file or
     * is "" (none). */
    if (g->cfg.attest_cache &&
        pl_client_opts_set_attestation_cache(
            o, g->cfg.attest_cache[0] ? g->cfg.attest_cache : NULL, &err)) {
        cli_error(sub, "%s", err.msg);
        return EXIT_USAGE;
    }
    return 0;
}

/* Flags and config into client options; EXIT_USAGE (message printed) when
 * a value is unusable. */
static int build_opts(cli_global *g, const char *sub, const cli_conn *c,
                      pl_client_opts *o, char **known)
{
    pl_error err;
    char addr[1024];
    if (cli_load_config(g, sub) ||
        resolve_address(g, sub, c, addr, sizeof addr))
        return EXIT_USAGE;
    if (g->verbose)
        fprintf(stderr, "pipeline %s: connecting to %s (config: %s)\n", sub,
                addr, g->cfg.files[0] ? g->cfg.files : "none");
    if (strlen(addr) >= sizeof addr - 1) {
        cli_error(sub, "the server address is too long");
        return EXIT_USAGE;
    }
    if (pl_client_opts_set_address(o, addr, &err)) {
        cli_error(sub, "%s", err.msg);
        return EXIT_USAGE;
    }
    pl_keypair kp;
    if (cli_load_client_key(g, sub, c->key_file, &kp))
        return EXIT_USAGE;
    pl_client_opts_set_key(o, kp.priv);
    sodium_memzero(&kp, sizeof kp);
    const char *pin = c->server_key ? c->server_key : g->cfg.server_key;
    if (pin && pl_client_opts_set_server_key_base64(o, pin, &err)) {
        cli_error(sub, "%s: %s",
                  c->server_key ? "--server-key" : "config server_key",
                  err.msg);
        return EXIT_USAGE;
    }
    *known = user_file(sub, c->known_servers, g->cfg.known_servers,
                       "known_servers", "known_servers");
    if (!*known)
        return EXIT_USAGE;
    if (pl_client_opts_set_known_servers(o, *known, &err)) {
        cli_error(sub, "%s", err.msg);
        return EXIT_USAGE;
    }
    int ms = c->connect_timeout_s >= 0 ? c->connect_timeout_s * 1000
                                       : g->cfg.connect_timeout_ms;
    pl_client_opts_set_connect_timeout(o, ms > 0 ? ms : 5000);
    pl_client_opts_set_io_timeout(o, -1);
    const char *cipher = c->cipher ? c->cipher : g->cfg.cipher;
    if (cipher && pl_client_opts_set_cipher(o, cipher, &err)) {
        cli_error(sub, "%s: %s", c->cipher ? "--cipher" : "config cipher",
                  err.msg);
        return EXIT_USAGE;
    }
    return attestation_opts(g, sub, c, o);
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* -v: what was agreed with whom, and how the server's key was trusted. */
static void verbose_connected(cli_global *g, const char *sub, const cli_conn *c,
                              pl_client *cl, const char *known, double ms)
{
    uint8_t key[32];
    char k[PL_KEY_B64_LEN + 1];
    pl_client_server_key(cl, key);
    pl_key_to_base64(key, k);
    pl_attestation_info *info = calloc(1, sizeof *info);
    int attested = info && pl_client_attestation(cl, info) == 0;
    const char *how = attested ? "proven by its attestation document"
                      : (c->server_key || g->cfg.server_key)
                          ? "matches the pinned key"
                      : pl_client_recorded_server_key(cl) ? "first contact: "
                                                            "recorded in"
                                                          : "matches";
    int with_file = !attested && !c->server_key && !g->cfg.server_key;
    fprintf(stderr,
            "pipeline %s: connected to %s in %.1f ms (connect and "
            "handshake): %s, server %s\n",
            sub, pl_client_address(cl), ms, pl_client_protocol(cl),
            pl_client_server_software(cl));
    fprintf(stderr, "pipeline %s: server key %s %s%s%s\n", sub, k, how,
            with_file ? " " : "", with_file ? known : "");
    if (attested)
        fprintf(stderr,
                "pipeline %s: attestation: verified (module %s, document "
                "%s)\n",
                sub, info->module_id, "checked before our key was sent");
    else
        fprintf(stderr, "pipeline %s: attestation: none (not requested)\n",
                sub);
    free(info);
}

void cli_verbose_done(cli_global *g, const char *sub, int rc)
{
    if (g->verbose)
        fprintf(stderr, "pipeline %s: call ended in %.1f ms (exit %d)\n", sub,
                cli_now_ms() - g->call_t0, rc);
}

int cli_connect(cli_global *g, const char *sub, const cli_conn *c,
                pl_client **out)
{
    *out = NULL;
    pl_client_opts *o = pl_client_opts_new();
    if (!o) {
        cli_error(sub, "out of memory");
        return EXIT_CONNECTION;
    }
    char *known = NULL;
    int rc = build_opts(g, sub, c, o, &known);
    pl_error err;
    double t0 = cli_now_ms();
    if (rc == 0 && pl_client_connect(out, o, &err)) {
        cli_error(sub, "%s", err.msg);
        rc = EXIT_CONNECTION;
    }
    if (rc == 0 && g->verbose)
        verbose_connected(g, sub, c, *out, known, cli_now_ms() - t0);
    g->call_t0 = cli_now_ms();
    if (rc == 0 && pl_client_recorded_server_key(*out) && !c->quiet) {
        uint8_t key[32];
        char k[PL_KEY_B64_LEN + 1];
        pl_client_server_key(*out, key);
        pl_key_to_base64(key, k);
        fprintf(stderr,
                "pipeline: first contact with %s: recorded its key "
                "%s in %s\n",
                pl_client_address(*out), k, known);
    }
    free(known);
    pl_client_opts_free(o);
    return rc;
}
