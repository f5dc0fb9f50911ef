/* pipeline listen: the server, run inside the enclave. */
#include "cli.h"
#include "server.h"

#include "log.h"
#include "nsm.h"

#include <linux/vm_sockets.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void listen_usage(void)
{
    printf("Usage: pipeline listen [--port PORT | --address ADDR] "
           "[OPTIONS]\n\n"
           "  --port PORT             listen on vsock port PORT, any CID "
           "(config: port)\n"
           "  --address ADDR          vsock:CID:PORT, tcp:HOST:PORT or "
           "unix:PATH (config: address)\n"
           "  --key-file FILE         server private key (config: key_file; "
           "default server.key\n"
           "                          beside the config file, created on "
           "first use)\n"
           "  --authorized-keys FILE  accept only these client keys (config: "
           "server.authorized_keys)\n"
           "  --max-connections N     (config: server.max_connections)\n"
           "  --root DIR              resolve file paths beneath DIR "
           "(config: server.root)\n"
           "  --attestation-device PATH  the Nitro Secure Module (config: "
           "server.attestation_device;\n"
           "                          default /dev/nsm when it exists). With "
           "it the server key\n"
           "                          lives in memory only and every client "
           "gets an attestation\n"
           "                          document binding it\n"
           "  --no-attestation        never attest; use the key file (config: "
           "server.attestation = false)\n");
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

int listen_main(cli_global *g, int argc, char **argv)
{
    enum {
        OPT_AUTH = OPT_SUB_BASE,
        OPT_MAXCONN,
        OPT_ROOT,
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
        {"attestation-device", required_argument, NULL, OPT_ATT_DEVICE},
        {"no-attestation", no_argument, NULL, OPT_NO_ATT},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *address = NULL, *key_file = NULL;
    long long port = -1, cid = -1, v;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
            pl_config_set(&g->cfg.authorized_keys, optarg);
            break;
        case OPT_MAXCONN:
            if (cli_parse_u32("listen", "--max-connections", optarg, &v))
                return EXIT_USAGE;
            g->cfg.max_connections = v < 1 ? 1 : v > 100000 ? 100000 : (int)v;
            break;
        case OPT_ROOT:
            pl_config_set(&g->cfg.root, optarg);
            break;
        case OPT_ATT_DEVICE:
            pl_config_set(&g->cfg.attestation_device, optarg);
            g->cfg.attestation = 1;
            break;
        case OPT_NO_ATT:
            g->cfg.attestation = 0;
            break;
        case 'h':
            listen_usage();
            return 0;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("listen", "unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    pl_address a;
    pl_error err;
    if (address) {
        if (pl_address_parse(address, &a, &err)) {
            cli_error("listen", "%s", err.msg);
            return EXIT_USAGE;
        }
    } else if (port >= 0 || (!g->cfg.address && g->cfg.has_port)) {
        /* The server accepts from any CID unless told otherwise. */
        pl_address_vsock(&a, cid >= 0 ? (uint32_t)cid : VMADDR_CID_ANY,
                         port >= 0 ? (uint32_t)port : g->cfg.port);
    } else if (g->cfg.address) {
        if (pl_address_parse(g->cfg.address, &a, &err)) {
            cli_error("listen", "config address: %s", err.msg);
            return EXIT_USAGE;
        }
    } else {
        cli_error("listen", "no address to listen on: give --port PORT or "
                            "--address ADDR (config keys: port, address)");
        return EXIT_USAGE;
    }
    const char *device = attestation_device(&g->cfg);
    if (device && (key_file || g->cfg.key_file)) {
        cli_error("listen",
                  "%s names a key file, but an attested server keeps its "
                  "key in memory only (attestation device %s). Drop the key "
                  "file, or set server.attestation = false (--no-attestation)",
                  key_file ? "--key-file" : "config key_file", device);
        return EXIT_USAGE;
    }
    pl_keypair kp;
    sodium_mlock(&kp, sizeof kp);
    if (device)
        pl_key_generate(&kp); /* never written anywhere */
    else if (cli_load_key(g, "listen", key_file, "server.key", &kp)) {
        sodium_munlock(&kp, sizeof kp);
        return 1;
    }
    pl_server srv;
    int rc = 1;
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
