/* pipeline ping: the server's version, key and round-trip time. */
#include "cli.h"

#include <stdio.h>

int ping_main(cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {CLI_CONN_OPTIONS, {0}};
    cli_conn conn;
    cli_conn_init(&conn, g);
    int opt;
    while ((opt = getopt_long(argc, argv, "qhc:v", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("Usage: pipeline ping [OPTIONS]\n\n" CLI_CONN_HELP);
            return 0;
        }
        int rc = cli_conn_option(&conn, "ping", opt, optarg);
        if (rc <= 0)
            return EXIT_USAGE;
    }
    if (optind < argc) {
        cli_error("ping", "unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    pl_client *c;
    int crc = cli_connect(g, "ping", &conn, &c);
    if (crc)
        return crc;
    pl_ping_info info;
    pl_error err;
    int rc = pl_client_ping(c, &info, &err);
    if (rc) {
        cli_call_error("ping", &err);
        rc = cli_exit_code(&err);
    } else {
        uint8_t raw[32];
        char key[PL_KEY_B64_LEN + 1];
        pl_client_server_key(c, raw);
        pl_key_to_base64(raw, key);
        if (!conn.quiet)
            printf("pong from %s: %s, key %s, %.3f ms\n", pl_client_address(c),
                   info.software, key, info.rtt_ms);
    }
    cli_verbose_done(g, "ping", rc);
    pl_client_close(c);
    return rc;
}
