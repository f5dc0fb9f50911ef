/* pipeline: drive a Nitro Enclave over vsock. Subcommand table and global
 * options; each subcommand lives in its own file. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    cli_main fn;
    const char *description;
} subcommands[] = {
    {"listen", listen_main, "serve calls (run this inside the enclave)"},
    {"run", run_main, "run a command in the enclave"},
    {"shell", shell_main, "an interactive shell in the enclave (run -t)"},
    {"send-file", send_file_main, "copy a file into the enclave"},
    {"recv-file", recv_file_main, "copy a file out of the enclave"},
    {"send-dir", send_dir_main, "copy a directory tree into the enclave"},
    {"recv-dir", recv_dir_main, "copy a directory tree out of the enclave"},
    {"ping", ping_main, "check the server: version, key and round trip"},
    {"attest", attest_main, "verify an enclave's attestation document"},
    {"forget", forget_main, "forget a server's recorded key (known_servers)"},
    {"keygen", keygen_main, "generate a private key"},
    {"pubkey", pubkey_main, "print a public key"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pipeline [OPTIONS] SUBCOMMAND [OPTIONS] [ARGS]\n"
            "       pipeline help [SUBCOMMAND]\n"
            "\n"
            "Run commands in an AWS Nitro Enclave and move files in and out, "
            "over an\nencrypted, authenticated channel (Noise XX).\n\n"
            "Subcommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name,
                subcommands[i].description);
    fprintf(f,
            "\nOptions (also accepted after the subcommand):\n"
            "  -c, --config PATH  configuration file (also $%s); default: "
            "the per-user\n"
            "                     file ~/.config/pipeline/config, then %s\n"
            "                     when it exists\n"
            "  --host NAME        a server from the config's hosts group\n"
            "  -v, --verbose      say what happens, step by step, on stderr\n"
            "  -h, --help         this help; `pipeline SUBCOMMAND --help` for "
            "more\n"
            "  -V, --version      print the version\n"
            "  -g, --george       meet George\n"
            "  -p, --pascal       meet Pascal\n",
            PL_CONFIG_ENV, PL_LEGACY_CONFIG);
}

/* Started by a careless init system with 0, 1 or 2 closed, the next
 * descriptors we open (sockets!) would take their numbers, and log lines or
 * command output would go to a peer. Hold them on /dev/null instead. */
static int keep_std_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The lowest free number: fd itself, as the lower ones are open. */
        int n = open("/dev/null", O_RDWR);
        if (n < 0)
            return -1;
        if (n != fd) {
            close(n);
            return -1;
        }
    }
    return 0;
}

/* pipeline help [SUBCOMMAND]: the same text as --help. */
static int help_main(int argc, char **argv, cli_global *g)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (argc > 2) {
        cli_usage_error("help", "expected at most one SUBCOMMAND");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
        if (strcmp(argv[1], subcommands[i].name) != 0)
            continue;
        char prog[64], help[] = "--help";
        snprintf(prog, sizeof prog, "pipeline %s", subcommands[i].name);
        char *sub_argv[] = {prog, help, NULL};
        optind = 0;
        return subcommands[i].fn(g, 2, sub_argv);
    }
    cli_usage_error("help", "unknown subcommand \"%s\"", argv[1]);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (keep_std_fds_open())
        return 1; /* nowhere safe to say so */
    if (sodium_init() < 0) {
        fprintf(stderr, "pipeline: cannot initialise libsodium\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    cli_global g;
    memset(&g, 0, sizeof g);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, OPT_HOST},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"george", no_argument, NULL, 'g'},
        {"pascal", no_argument, NULL, 'p'},
        {0},
    };
    /* The original's docs spell the cats as their faces, and getopt would
     * split those at their first '=': match them whole. */
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--=(^\">,.\xe2\x80\xa2.,<\"^)=") == 0) {
            cats_george();
            return 0;
        }
        if (strcmp(argv[i], "--=(^\",..,\"^)=") == 0) {
            cats_pascal();
            return 0;
        }
    }
    int opt;
    /* '+': stop at the subcommand; its options are its own. */
    while ((opt = getopt_long(argc, argv, "+c:vhVgp", opts, NULL)) != -1) {
        if (cli_global_option(&g, opt, optarg))
            continue;
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pipeline %s\n", PIPELINE_VERSION);
            return 0;
        case 'g':
            cats_george();
            return 0;
        case 'p':
            cats_pascal();
            return 0;
        default:
            fprintf(stderr, "Try 'pipeline --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0)
        return help_main(argc - optind, argv + optind, &g);
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
        if (strcmp(name, subcommands[i].name) != 0)
            continue;
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        /* getopt names the program in its messages: "pipeline run: ..." */
        char prog[64];
        snprintf(prog, sizeof prog, "pipeline %s", subcommands[i].name);
        sub_argv[0] = prog;
        optind = 0; /* 0, not 1: glibc then resets its whole scan state */
        int rc = subcommands[i].fn(&g, sub_argc, sub_argv);
        if (g.loaded)
            pl_config_free(&g.cfg);
        return rc;
    }
    cli_error(NULL, "unknown subcommand \"%s\" (see pipeline --help)", name);
    return EXIT_USAGE;
}
