/* Connection flags, their precedence over the config file, and connecting. */
#include "cli.h"
#include "escape.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        fprintf(stderr, "pipeline: %s: %s\n", sub, msg);
    else
        fprintf(stderr, "pipeline: %s\n", msg);
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

void cli_conn_init(cli_conn *c)
{
    memset(c, 0, sizeof *c);
    c->cid = c->port = -1;
    c->connect_timeout_s = -1;
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
    case OPT_CONNECT_TIMEOUT:
        if (cli_parse_u32(sub, "--connect-timeout", arg, &v))
            return -1;
        c->connect_timeout_s = v > 3600 ? 3600 : (int)v;
        return 1;
    case 'q':
        c->quiet = 1;
        return 1;
    default:
        return 0;
    }
}

int cli_load_key(cli_global *g, const char *sub, const char *flag_path,
                 const char *default_name, pl_keypair *kp)
{
    char *def = NULL;
    const char *path = flag_path ? flag_path : g->cfg.key_file;
    if (!path)
        path = def = pl_config_sibling(&g->cfg, default_name);
    pl_error err;
    int rc = pl_key_load(path, 1, kp, &err);
    if (rc)
        cli_error(sub, "%s", err.msg);
    free(def);
    return rc;
}

static int resolve_address(cli_global *g, const char *sub, const cli_conn *c,
                           pl_address *a)
{
    pl_error err;
    const char *text = c->address;
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
        pl_address_vsock(a, (uint32_t)cid, (uint32_t)port);
        return 0;
    }
    if (!text)
        text = g->cfg.address;
    if (text) {
        if (pl_address_parse(text, a, &err)) {
            cli_error(sub, "%s", err.msg);
            return -1;
        }
        return 0;
    }
    if (g->cfg.has_cid && g->cfg.has_port) {
        pl_address_vsock(a, g->cfg.cid, g->cfg.port);
        return 0;
    }
    cli_error(sub,
              "no server address: give --address ADDR or --cid CID --port "
              "PORT (config keys: address, or cid and port in %s)",
              g->cfg.path);
    return -1;
}

int cli_connect(cli_global *g, const char *sub, const cli_conn *c,
                pl_client **out)
{
    pl_client_opts o;
    memset(&o, 0, sizeof o);
    pl_error err;
    if (resolve_address(g, sub, c, &o.address))
        return EXIT_USAGE;
    if (cli_load_key(g, sub, c->key_file, "client.key", &o.key))
        return EXIT_USAGE;
    const char *pin = c->server_key ? c->server_key : g->cfg.server_key;
    if (pin) {
        if (pl_key_from_base64(pin, o.pin, &err)) {
            cli_error(sub, "%s: %s",
                      c->server_key ? "--server-key" : "config server_key",
                      err.msg);
            return EXIT_USAGE;
        }
        o.has_pin = 1;
    }
    char *known_def = NULL;
    o.known_servers =
        c->known_servers ? c->known_servers : g->cfg.known_servers;
    if (!o.known_servers)
        o.known_servers = known_def =
            pl_config_sibling(&g->cfg, "known_servers");
    o.connect_timeout_ms = c->connect_timeout_s >= 0
                               ? c->connect_timeout_s * 1000
                               : g->cfg.connect_timeout_ms;
    if (o.connect_timeout_ms <= 0)
        o.connect_timeout_ms = 5000;
    o.io_timeout_ms = -1;
    int rc = pl_client_connect(out, &o, &err) ? EXIT_CONNECTION : 0;
    if (rc)
        cli_error(sub, "%s", err.msg);
    else if ((*out)->recorded_key && !c->quiet) {
        char k[PL_KEY_B64_LEN + 1];
        pl_key_to_base64((*out)->server_key, k);
        fprintf(stderr,
                "pipeline: first contact with %s: recorded its key "
                "%s in %s\n",
                o.address.text, k, o.known_servers);
    }
    free(known_def);
    sodium_memzero(&o.key, sizeof o.key);
    return rc;
}
