/* pipeline listen: the server, run inside the enclave. */
#include "cli.h"
#include "log.h"
#include "nsm.h"
#include "server.h"

#include <linux/vm_sockets.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void listen_usage(void)
{
    printf(
        "Usage: pipeline listen [--port PORT | --address ADDR] [OPTIONS]\n\n"
        "Serves calls until SIGTERM or SIGINT. SIGHUP reopens the --log-file "
        "(for\n"
        "logrotate); without a log file it stops the server like SIGTERM.\n\n"
        "  --port PORT             listen on vsock port PORT, any CID (config: "
        "port)\n"
        "  --cid CID               with --port: accept on this CID only\n"
        "  --address ADDR          vsock:CID:PORT (CID may be any), "
        "tcp:HOST:PORT or\n"
        "                          unix:PATH (config: address)\n"
        "  --key-file FILE         server private key, created on first use "
        "(config:\n"
        "                          server.key_file; default "
        "~/.config/pipeline/server.key)\n"
        "  --authorized-keys FILE  accept only these client keys (config: "
        "server.authorized_keys)\n"
        "  --max-connections N     (config: server.max_connections)\n"
        "  --root DIR              resolve file paths beneath DIR (config: "
        "server.root)\n"
        "  --log-file FILE         append the log (and detached commands' "
        "output) to FILE\n"
        "                          instead of stderr (config: "
        "server.log_file)\n"
        "  --attestation-device PATH  the Nitro Secure Module (config: "
        "server.attestation_device;\n"
        "                          default /dev/nsm when it exists). With "
        "it the server key\n"
        "                          lives in memory only and every client "
        "gets an attestation\n"
        "                          document binding it\n"
        "  --no-attestation        never attest; use the key file (config: "
        "server.attestation = false)\n" CLI_GLOBAL_HELP);
}

/* The attestation device to use, or NULL: a configured one always (it must
 * then work), the default only when it exists. */
static const char *attestation_device(const pl_config *cfg)
{
    if (!cfg->attestation)
        return NULL;
    if (cfg->attestation_device)
        return cfg->attestation_device;
    return access(PL_NSM_DEFAULT_DEVICE, F_OK) == 0 ? PL_NSM_DEFAULT_DEVICE
                                                    : NULL;
}

/* Where to listen: flag, then config. Prints the error. */
static int listen_address(cli_global *g, const char *address, long long cid,
                          long long port, pl_address *a)
{
    pl_error err;
    if (address && (cid >= 0 || port >= 0)) {
        cli_error("listen", "give either --address or --port/--cid, not "
                            "both (see pipeline listen --help)");
        return -1;
    }
    if (address) {
        if (pl_address_parse(address, a, &err)) {
            cli_error("listen", "%s", err.msg);
            return -1;
        }
    } else if (port >= 0 || (!g->cfg.address && g->cfg.has_port)) {
        /* The server accepts from any CID unless told otherwise. */
        pl_address_vsock(a, cid >= 0 ? (uint32_t)cid : VMADDR_CID_ANY,
                         port >= 0 ? (uint32_t)port : g->cfg.port);
    } else if (g->cfg.address) {
        if (pl_address_parse(g->cfg.address, a, &err)) {
            cli_error("listen", "config address: %s", err.msg);
            return -1;
        }
    } else {
        cli_error("listen", "no address to listen on: give --port PORT or "
                            "--address ADDR (config keys: port, address)");
        return -1;
    }
    /* Port 0 (and vsock's "any port") would pick a port no client knows. */
    if (a->kind != PL_TRANSPORT_UNIX &&
        (a->port == 0 ||
         (a->kind == PL_TRANSPORT_VSOCK && a->port == VMADDR_PORT_ANY))) {
        cli_error("listen",
                  "%s: port %u would make the system pick a port that no "
                  "client knows; give a fixed port (1-%u)",
                  a->text, a->port,
                  a->kind == PL_TRANSPORT_TCP ? 65535u : 4294967294u);
        return -1;
    }
    return 0;
}

int listen_main(cli_global *g, int argc, char **argv)
{
    pl_server_block_signals(); /* before anything is created */
    enum {
        OPT_AUTH = OPT_SUB_BASE,
        OPT_MAXCONN,
        OPT_ROOT,
        OPT_LOG,
        OPT_ATT_DEVICE,
        OPT_NO_ATT
    };
    static const struct option opts[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"cid", required_argument, NULL, OPT_CID},
        {"address", required_argument, NULL, OPT_ADDRESS},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {"authorized-keys", required_argument, NULL, OPT_AUTH},
        {"max-connections", required_argument, NULL, OPT_MAXCONN},
        {"root", required_argument, NULL, OPT_ROOT},
        {"log-file", required_argument, NULL, OPT_LOG},
        {"attestation-device", required_argument, NULL, OPT_ATT_DEVICE},
        {"no-attestation", no_argument, NULL, OPT_NO_ATT},
        CLI_GLOBAL_OPTIONS,
        {0},
    };
    const char *address = NULL, *key_file = NULL, *auth = NULL, *root = NULL,
               *log_file = NULL, *att_device = NULL;
    int no_att = 0;
    long long port = -1, cid = -1, maxconn = -1;
    int opt;
    while ((opt = getopt_long(argc, argv, "hc:v", opts, NULL)) != -1) {
        if (cli_global_option(g, opt, optarg))
            continue;
        switch (opt) {
        case OPT_PORT:
            if (cli_parse_u32("listen", "--port", optarg, &port))
                return EXIT_USAGE;
            break;
        case OPT_CID:
            if (cli_parse_u32("listen", "--cid", optarg, &cid))
                return EXIT_USAGE;
            break;
        case OPT_ADDRESS:
            address = optarg;
            break;
        case OPT_KEY_FILE:
            key_file = optarg;
            break;
        case OPT_AUTH:
            auth = optarg;
            break;
        case OPT_MAXCONN:
            if (cli_parse_u32("listen", "--max-connections", optarg, &maxconn))
                return EXIT_USAGE;
            break;
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_LOG:
            log_file = optarg;
            break;
        case OPT_ATT_DEVICE:
            att_device = optarg;
            break;
        case OPT_NO_ATT:
            no_att = 1;
            break;
        case 'h':
            listen_usage();
            return 0;
        default:
            fprintf(stderr, "Try 'pipeline listen --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("listen", "unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    if (g->host) {
        cli_error("listen", "--host names a server to connect to; listen "
                            "takes --port or --address");
        return EXIT_USAGE;
    }
    if (cli_load_config(g, "listen"))
        return EXIT_USAGE;
    if (auth)
        pl_config_set(&g->cfg.authorized_keys, auth);
    if (root)
        pl_config_set(&g->cfg.root, root);
    if (log_file)
        pl_config_set(&g->cfg.log_file, log_file);
    if (att_device) {
        pl_config_set(&g->cfg.attestation_device, att_device);
        g->cfg.attestation = 1;
    }
    if (no_att)
        g->cfg.attestation = 0;
    if (maxconn >= 0)
        g->cfg.max_connections = maxconn < 1        ? 1
                                 : maxconn > 100000 ? 100000
                                                    : (int)maxconn;
    pl_address a;
    if (listen_address(g, address, cid, port, &a))
        return EXIT_USAGE;
    pl_error err;
    if (g->cfg.log_file && pl_log_open(g->cfg.log_file, &err)) {
        cli_error("listen", "%s", err.msg);
        return 1;
    }
    const char *device = attestation_device(&g->cfg);
    if (device && (key_file || g->cfg.server_key_file)) {
        cli_error("listen",
                  "%s names a key file, but an attested server keeps its "
                  "key in memory only (attestation device %s). Drop the key "
                  "file, or set server.attestation = false (--no-attestation)",
                  key_file ? "--key-file" : "config server.key_file", device);
        return EXIT_USAGE;
    }
    pl_keypair kp;
    sodium_mlock(&kp, sizeof kp);
    int rc = 0;
    if (device) {
        pl_key_generate(&kp); /* never written anywhere */
    } else {
        char *path = cli_server_key_path(g, "listen", key_file);
        rc = !path || pl_key_load(path, 1, &kp, &err);
        if (path && rc)
            cli_error("listen", "%s", err.msg);
        free(path);
    }
    if (rc) {
        sodium_munlock(&kp, sizeof kp);
        return 1;
    }
    pl_server srv;
    rc = 1;
    pl_attestation att;
    int att_started = 0;
    if (pl_server_open(&srv, &a, &kp, &g->cfg, &err)) {
        cli_error("listen", "%s", err.msg);
        goto out;
    }
    sodium_mlock(&srv.key, sizeof srv.key);
    if (device) {
        att_started = 1;
        if (pl_attestation_start(&att, device, kp.pub,
                                 g->cfg.attestation_refresh_s, &err)) {
            cli_error("listen",
                      "cannot get an attestation document: %s (set "
                      "server.attestation = false, or --no-attestation, to "
                      "run unattested with a key file)",
                      err.msg);
            goto out;
        }
        srv.attestation = &att;
        pl_log("attestation: server key in memory only, attested by %s, "
               "refreshed every %d s",
               device, att.refresh_s);
    }
    rc = pl_server_run(&srv, &err) ? 1 : 0;
out:
    pl_server_close(&srv);
    if (att_started)
        pl_attestation_stop(&att);
    /* Unlocking zeroes the memory. */
    sodium_munlock(&srv.key, sizeof srv.key);
    sodium_munlock(&kp, sizeof kp);
    return rc;
}
