/* pipeline keygen / pubkey, in the manner of `wg genkey` / `wg pubkey`. */
#include "cli.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int keygen_main(cli_global *g, int argc, char **argv)
{
    (void)g;
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: pipeline keygen [FILE]\n\n"
               "Without FILE, prints a new private key (base64) on stdout.\n"
               "With FILE, writes it there with mode 0600 (never "
               "overwrites).\n");
        return 0;
    }
    if (argc > 2) {
        cli_error("keygen", "expected at most one FILE");
        return EXIT_USAGE;
    }
    pl_keypair kp;
    pl_key_generate(&kp);
    int rc = 0;
    if (argc == 2) {
        pl_error err;
        if (pl_key_save(argv[1], &kp, &err)) {
            cli_error("keygen", "%s", err.msg);
            rc = 1;
        }
    } else {
        char b64[PL_KEY_B64_LEN + 1];
        pl_key_to_base64(kp.priv, b64);
        printf("%s\n", b64);
        sodium_memzero(b64, sizeof b64);
    }
    sodium_memzero(&kp, sizeof kp);
    return rc;
}

int pubkey_main(cli_global *g, int argc, char **argv)
{
    enum { OPT_SERVER = OPT_SUB_BASE, OPT_CLIENT };
    static const struct option opts[] = {
        {"server", no_argument, NULL, OPT_SERVER},
        {"client", no_argument, NULL, OPT_CLIENT},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        CLI_GLOBAL_OPTIONS,
        {0},
    };
    const char *which = NULL, *file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "hc:v", opts, NULL)) != -1) {
        if (cli_global_option(g, opt, optarg))
            continue;
        switch (opt) {
        case OPT_SERVER:
            which = "server";
            break;
        case OPT_CLIENT:
            which = "client";
            break;
        case OPT_KEY_FILE:
            file = optarg;
            break;
        case 'h':
            printf("Usage: pipeline pubkey [--server | --client | --key-file "
                   "FILE]\n\n"
                   "Without options, reads a private key on stdin and prints "
                   "its public key.\n\n"
                   "  --client          this user's client key (config "
                   "key_file, default\n"
                   "                    ~/.config/pipeline/client.key, "
                   "created on first use)\n"
                   "  --server          the server key `pipeline listen` "
                   "uses (config\n"
                   "                    server.key_file, default "
                   "~/.config/pipeline/server.key);\n"
                   "                    never created here: listen creates "
                   "it\n"
                   "  --key-file FILE   the key in FILE\n" CLI_GLOBAL_HELP);
            return 0;
        default:
            return EXIT_USAGE;
        }
    }
    pl_keypair kp;
    pl_error err;
    if (which || file) {
        if (cli_load_config(g, "pubkey"))
            return EXIT_USAGE;
    }
    if (which && !file && !strcmp(which, "client")) {
        if (cli_load_client_key(g, "pubkey", NULL, &kp))
            return 1;
    } else if (which || file) {
        /* Read only: a key made here would not be the one a running
         * server uses. */
        char *path =
            which ? cli_server_key_path(g, "pubkey", file) : strdup(file);
        if (!path)
            return 1;
        int rc = pl_key_load(path, 0, &kp, &err);
        if (rc && access(path, F_OK) != 0)
            cli_error("pubkey",
                      "no key at %s yet: `pipeline listen` creates the "
                      "server key there on first start (or: pipeline "
                      "keygen %s)",
                      path, path);
        else if (rc)
            cli_error("pubkey", "%s", err.msg);
        free(path);
        if (rc)
            return 1;
    } else {
        char line[256];
        if (!fgets(line, sizeof line, stdin)) {
            cli_error("pubkey", "expected a private key on stdin");
            return 1;
        }
        int rc = pl_key_from_base64(line, kp.priv, &err);
        sodium_memzero(line, sizeof line);
        if (rc) {
            cli_error("pubkey", "%s", err.msg);
            return 1;
        }
        pl_key_public(kp.priv, kp.pub);
    }
    char b64[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(kp.pub, b64);
    printf("%s\n", b64);
    sodium_memzero(&kp, sizeof kp);
    return 0;
}

/* pipeline forget ADDRESS: like ssh-keygen -R, for a server whose key
 * changed on purpose. */
int forget_main(cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"known-servers", required_argument, NULL, OPT_KNOWN_SERVERS},
        CLI_GLOBAL_OPTIONS,
        {0},
    };
    const char *file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "hc:v", opts, NULL)) != -1) {
        if (cli_global_option(g, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KNOWN_SERVERS:
            file = optarg;
            break;
        case 'h':
            printf("Usage: pipeline forget [--known-servers FILE] ADDRESS\n\n"
                   "Removes the key recorded for ADDRESS (as written in "
                   "messages: vsock:CID:PORT,\n"
                   "tcp:HOST:PORT or unix:PATH) from the known servers file, "
                   "so the next\n"
                   "connection records the server's new key.\n\n"
                   "  --known-servers FILE   the file (config: "
                   "known_servers; default\n"
                   "                         "
                   "~/.config/pipeline/known_servers)\n" CLI_GLOBAL_HELP);
            return 0;
        default:
            fprintf(stderr, "Try 'pipeline forget --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_usage_error("forget", "expected one ADDRESS");
        return EXIT_USAGE;
    }
    if (cli_load_config(g, "forget"))
        return EXIT_USAGE;
    char *path = file                   ? strdup(file)
                 : g->cfg.known_servers ? strdup(g->cfg.known_servers)
                                        : pl_config_user_path("known_servers");
    if (!path) {
        cli_error("forget", "no home directory: give --known-servers FILE");
        return 1;
    }
    pl_error err;
    int removed = 0;
    int rc = pl_known_servers_forget(path, argv[optind], &removed, &err);
    if (rc)
        cli_error("forget", "%s", err.msg);
    else if (!removed)
        cli_error("forget", "%s has no key for %s", path, argv[optind]);
    else
        fprintf(stderr, "pipeline forget: removed the key of %s from %s\n",
                argv[optind], path);
    free(path);
    return rc ? 1 : removed ? 0 : 1;
}
