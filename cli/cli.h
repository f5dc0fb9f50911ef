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
/* run: the server's policy refused to run the command (allow_exec). */
#define EXIT_REFUSED 126

typedef struct cli_global {
    const char *config_path; /* -c/--config, or NULL */
    const char *host;        /* --host NAME: a `hosts` entry */
    int verbose;             /* -v/--verbose */
    int loaded;              /* cfg holds the files' settings */
    double call_t0;          /* -v: when the call started (ms) */
    pl_config cfg;
} cli_global;

typedef int (*cli_main)(cli_global *g, int argc, char **argv);

/* Connection flags every client subcommand accepts. */
typedef struct cli_conn {
    cli_global *g; /* takes -c, -v and --host met among these options */
    const char *address;
    long long cid, port; /* -1 when not given */
    const char *server_key;
    const char *known_servers;
    const char *key_file;
    int connect_timeout_s;
    const char *cipher;
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
    OPT_HOST,
    OPT_CIPHER,
    OPT_SUB_BASE = 1100, /* subcommands number their own options from here */
};

/* Accepted before and after the subcommand name. */
#define CLI_GLOBAL_OPTIONS                                                     \
    {"config", required_argument, NULL, 'c'},                                  \
        {"verbose", no_argument, NULL, 'v'},                                   \
    {                                                                          \
        "help", no_argument, NULL, 'h'                                         \
    }

#define CLI_GLOBAL_HELP                                                        \
    "  -c, --config PATH      configuration file (also $PIPELINE_CONFIG)\n"    \
    "  -v, --verbose          say what happens, step by step, on stderr\n"     \
    "  -h, --help             this help\n"

#define CLI_CONN_OPTIONS                                                       \
    CLI_GLOBAL_OPTIONS, {"host", required_argument, NULL, OPT_HOST},           \
        {"cid", required_argument, NULL, OPT_CID},                             \
        {"port", required_argument, NULL, OPT_PORT},                           \
        {"address", required_argument, NULL, OPT_ADDRESS},                     \
        {"server-key", required_argument, NULL, OPT_SERVER_KEY},               \
        {"known-servers", required_argument, NULL, OPT_KNOWN_SERVERS},         \
        {"key-file", required_argument, NULL, OPT_KEY_FILE},                   \
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},     \
        {"cipher", required_argument, NULL, OPT_CIPHER}, CLI_ATTEST_OPTIONS,   \
    {                                                                          \
        "quiet", no_argument, NULL, 'q'                                        \
    }

#define CLI_CONN_HELP                                                          \
    "  --host NAME            a server from the hosts group of the config "    \
    "file\n"                                                                   \
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
    "  --cipher NAME          aesgcm or chachapoly (config: cipher; default: " \
    "aesgcm,\n"                                                                \
    "                         then chachapoly if the server lacks it)\n"       \
    "  -q, --quiet            no progress bar or notes on stderr (ping: no "   \
    "output)\n"                                                                \
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
    "                         default 10800)\n" CLI_GLOBAL_HELP

/* Handles -c, -v, --host (not -h); 1 when it was one, else 0. */
int cli_global_option(cli_global *g, int opt, const char *arg);
/* Reads the configuration files once (after the options were parsed, so
 * --config and --host may come anywhere). Prints the error and returns -1
 * on failure (exit EXIT_USAGE). */
int cli_load_config(cli_global *g, const char *sub);

void cli_conn_init(cli_conn *c, cli_global *g);
/* Handles a connection option; 1 when it was one, 0 when not, -1 on a bad
 * value (message printed; for an option getopt did not know, a pointer to
 * --help). */
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
/* Monotonic milliseconds. */
double cli_now_ms(void);
/* -v: the call's duration, after it ended with exit code rc. */
void cli_verbose_done(cli_global *g, const char *sub, int rc);
/* Prints a failed call's error saying which side failed: "remote: " for
 * what the server answered, "local: " for our own files and pipes. */
void cli_call_error(const char *sub, const pl_error *err);
/* A usage error: the message and a pointer to SUB --help, one line. */
void cli_usage_error(const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Exit code for a failed client call. */
int cli_exit_code(const pl_error *err);
int cli_parse_u32(const char *sub, const char *flag, const char *arg,
                  long long *out);
/* Loads the client's key: flag_path, config key_file, or client.key in
 * the per-user directory, created on first use. */
int cli_load_client_key(cli_global *g, const char *sub, const char *flag_path,
                        pl_keypair *kp);
/* The server key's path: flag_path, config server.key_file, or server.key
 * in the per-user directory. Caller frees. NULL (message printed) when no
 * home directory is known. */
char *cli_server_key_path(cli_global *g, const char *sub,
                          const char *flag_path);

int listen_main(cli_global *g, int argc, char **argv);
int run_main(cli_global *g, int argc, char **argv);
int shell_main(cli_global *g, int argc, char **argv);
int send_file_main(cli_global *g, int argc, char **argv);
int recv_file_main(cli_global *g, int argc, char **argv);
int send_dir_main(cli_global *g, int argc, char **argv);
int recv_dir_main(cli_global *g, int argc, char **argv);
int keygen_main(cli_global *g, int argc, char **argv);
int forget_main(cli_global *g, int argc, char **argv);
int pubkey_main(cli_global *g, int argc, char **argv);
int ping_main(cli_global *g, int argc, char **argv);
int attest_main(cli_global *g, int argc, char **argv);
void cats_george(void);
void cats_pascal(void);

#endif
