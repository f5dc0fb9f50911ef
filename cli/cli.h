/* Shared pieces of the `pipeline` subcommands. */
#ifndef PIPELINE_CLI_H
#define PIPELINE_CLI_H

#include "cli_attest.h"
#include "config.h"

#include <pipeline/client.h>

#include <getopt.h>

/* Exit codes, as ssh and timeout(1) use them. */
#define EXIT_USAGE 2
#define EXIT_CONNECTION 255

typedef struct cli_global {
    const char *config_path;
    int config_given;
    pl_config cfg;
} cli_global;

typedef int (*cli_main)(cli_global *g, int argc, char **argv);

/* Connection flags every client subcommand accepts. */
typedef struct cli_conn {
    const char *address;
    long long cid, port; /* -1 when not given */
    const char *server_key;
    const char *known_servers;
    const char *key_file;
    int connect_timeout_s;
    int quiet;
    /* Attestation flags (the PCRs given here win over the config's). */
    cli_attest attest;
    int require_attestation; /* verify even with no PCR expected (attest) */
} cli_conn;

enum {
    OPT_CID = 1000,
    OPT_PORT,
    OPT_ADDRESS,
    OPT_SERVER_KEY,
    OPT_KNOWN_SERVERS,
    OPT_KEY_FILE,
    OPT_CONNECT_TIMEOUT,
    OPT_SUB_BASE = 1100, /* subcommands number their own options from here */
};

#define CLI_CONN_OPTIONS                                                       \
    {"cid", required_argument, NULL, OPT_CID},                                 \
        {"port", required_argument, NULL, OPT_PORT},                           \
        {"address", required_argument, NULL, OPT_ADDRESS},                     \
        {"server-key", required_argument, NULL, OPT_SERVER_KEY},               \
        {"known-servers", required_argument, NULL, OPT_KNOWN_SERVERS},         \
        {"key-file", required_argument, NULL, OPT_KEY_FILE},                   \
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},     \
        {"quiet", no_argument, NULL, 'q'}, CLI_ATTEST_OPTIONS,                 \
    {                                                                          \
        "help", no_argument, NULL, 'h'                                         \
    }

#define CLI_CONN_HELP                                                          \
    "  --address ADDR         server address: vsock:CID:PORT, tcp:HOST:PORT "  \
    "or unix:PATH\n"                                                           \
    "                         (config key: address)\n"                         \
    "  --cid CID --port PORT  vsock address of the enclave (config keys: "     \
    "cid, port)\n"                                                             \
    "  --server-key KEY       expect this server public key (config: "         \
    "server_key)\n"                                                            \
    "  --known-servers FILE   known servers file (config: known_servers)\n"    \
    "  --key-file FILE        this client's private key (config: key_file)\n"  \
    "  --connect-timeout SECS give up connecting after SECS (config: "         \
    "connect_timeout)\n"                                                       \
    "  -q, --quiet            no progress output\n"                            \
    "  --expect-pcr N=HEX     the server must be a Nitro Enclave attesting "   \
    "PCR N = HEX\n"                                                            \
    "                         (repeatable; config: attestation.pcrN)\n"        \
    "  --attestation-root FILE  trust this root certificate, PEM or DER "      \
    "(config:\n"                                                               \
    "                         attestation.root; default: AWS Nitro root)\n"    \
    "  --allow-debug          accept a debug-mode enclave (PCR0..2 zero; "     \
    "config:\n"                                                                \
    "                         attestation.allow_debug)\n"                      \
    "  --attestation-max-age SECS  refuse older documents (config: "           \
    "attestation.max_age;\n"                                                   \
    "                         default 10800)\n"

void cli_conn_init(cli_conn *c);
/* Handles a connection option; 1 when it was one, 0 when not, -1 on a bad
 * value (message printed). */
int cli_conn_option(cli_conn *c, const char *sub, int opt, const char *arg);
/* Resolves flags and config into client options and connects. On failure
 * prints the error and returns the exit code to use: EXIT_USAGE when the
 * user's setup is wrong (no or bad address, bad pinned key, unusable key
 * file), EXIT_CONNECTION when connecting or the handshake failed. */
int cli_connect(cli_global *g, const char *sub, const cli_conn *c,
                pl_client **out);

/* Prints "pipeline: SUB: message" to stderr. */
void cli_error(const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Exit code for a failed client call. */
int cli_exit_code(const pl_error *err);
int cli_parse_u32(const char *sub, const char *flag, const char *arg,
                  long long *out);
/* Loads this side's key (creating it on first use). */
int cli_load_key(cli_global *g, const char *sub, const char *flag_path,
                 const char *default_name, pl_keypair *kp);

int listen_main(cli_global *g, int argc, char **argv);
int run_main(cli_global *g, int argc, char **argv);
int shell_main(cli_global *g, int argc, char **argv);
int send_file_main(cli_global *g, int argc, char **argv);
int recv_file_main(cli_global *g, int argc, char **argv);
int send_dir_main(cli_global *g, int argc, char **argv);
int recv_dir_main(cli_global *g, int argc, char **argv);
int keygen_main(cli_global *g, int argc, char **argv);
int pubkey_main(cli_global *g, int argc, char **argv);
int ping_main(cli_global *g, int argc, char **argv);
int attest_main(cli_global *g, int argc, char **argv);
void cats_george(void);
void cats_pascal(void);

#endif
