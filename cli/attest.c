/*
 * pipeline attest: verify an AWS Nitro Enclaves attestation document and
 * print its fields. `--document FILE` checks a saved document offline
 * (base64 or raw CBOR), with `--at` standing in for the clock. Without it,
 * connects to the server (the connection flags of every subcommand) and
 * verifies the document its handshake carries, bound to its key.
 *
 * Exit codes: 0 valid, 1 verification failed (reason on stderr), 2 usage;
 * live: 255 when connecting or verification failed, like every
 * connecting subcommand.
 */
#include "cli.h"
#include "cli_attest.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_INVALID 1
/* A base64 document of PL_ATTEST_MAX_DOC bytes with line breaks fits. */
#define DOC_FILE_MAX (2 * PL_ATTEST_MAX_DOC + 4096)

enum { OPT_DOCUMENT = OPT_SUB_BASE, OPT_AT, OPT_JSON };

void cli_attest_init(cli_attest *a)
{
    memset(a, 0, sizeof *a);
}

int cli_attest_option(cli_attest *a, const char *sub, int opt, const char *arg)
{
    pl_error err;
    long long v;
    switch (opt) {
    case OPT_EXPECT_PCR:
        if (pl_attest_parse_pcr(arg, &a->exp, &err)) {
            cli_error(sub, "--expect-pcr: %s", err.msg);
            return -1;
        }
        return 1;
    case OPT_ATTEST_ROOT:
        a->root_path = arg;
        return 1;
    case OPT_ALLOW_DEBUG:
        a->exp.allow_debug = 1;
        return 1;
    case OPT_ATTEST_MAX_AGE:
        if (cli_parse_u32(sub, "--attestation-max-age", arg, &v))
            return -1;
        if (v == 0) {
            cli_error(sub, "--attestation-max-age: must be at least 1 second");
            return -1;
        }
        a->exp.max_age_s = v;
        return 1;
    default:
        return 0;
    }
}

int cli_attest_finish(cli_attest *a, const char *sub)
{
    if (!a->root_path)
        return 0;
    pl_error err;
    if (pl_attest_load_root(a->root_path, &a->root_der, &a->root_len, &err)) {
        cli_error(sub, "%s", err.msg);
        return -1;
    }
    a->exp.root_der = a->root_der;
    a->exp.root_der_len = a->root_len;
    return 0;
}

void cli_attest_free(cli_attest *a)
{
    free(a->root_der);
    a->root_der = NULL;
}

/* Reads FILE ("-": stdin) whole, bounded. */
static int read_document_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("attest", "%s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *b = malloc(DOC_FILE_MAX + 1);
    size_t n = b ? fread(b, 1, DOC_FILE_MAX + 1, f) : 0;
    int failed = !b || ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed) {
        free(b);
        cli_error("attest", "%s: cannot read the document", path);
        return -1;
    }
    if (n > DOC_FILE_MAX) {
        free(b);
        cli_error("attest",
                  "%s: larger than %d bytes: not an attestation document", path,
                  DOC_FILE_MAX);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* A saved document is raw CBOR (a COSE_Sign1 array or tag 18) or base64 of
 * it; base64 text never starts with those bytes (0x84, 0xd2). */
static void maybe_base64(uint8_t *buf, size_t *len)
{
    if (*len == 0 || buf[0] == 0x84 || buf[0] == 0xd2)
        return;
    uint8_t *out = malloc(*len);
    size_t n = 0;
    const char *end = NULL;
    /* Into a separate buffer: a failed decode leaves the input as it was. */
    if (out &&
        sodium_base642bin(out, *len, (const char *)buf, *len, " \t\r\n", &n,
                          &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
        end == (const char *)buf + *len) {
        memcpy(buf, out, n);
        *len = n;
    }
    free(out);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pipeline attest [CONNECTION OPTIONS] [--json]\n"
            "       pipeline attest --document FILE [--at UNIX_SECONDS] "
            "[OPTIONS]\n"
            "\n"
            "Verify an AWS Nitro Enclaves attestation document and print its "
            "fields:\n"
            "module id, time, digest, PCR0/1/2/3/4/8, debug mode, public "
            "key.\n"
            "Live (no --document): connect to the server and verify the "
            "document its\n"
            "handshake carries, which must bind the server's key.\n"
            "Exit status: 0 valid, 1 verification failed (--document), 255 "
            "connection\n"
            "or verification failed (live), 2 usage error.\n\n"
            "  --document FILE        a saved document, base64 or raw CBOR "
            "(- for stdin)\n"
            "  --at UNIX_SECONDS      with --document: check validity as of "
            "this time\n"
            "  --json                 print one JSON object\n" CLI_CONN_HELP);
}

/* The library's public fields in the printer's form. */
static void from_public(const pl_attestation_info *p, pl_attest_info *info)
{
    memset(info, 0, sizeof *info);
    memcpy(info->module_id, p->module_id, sizeof info->module_id);
    memcpy(info->digest, p->digest, sizeof info->digest);
    info->timestamp_ms = p->timestamp_ms;
    info->pcr_mask = p->pcr_mask;
    memcpy(info->pcr, p->pcr, sizeof info->pcr);
    info->debug = p->debug;
    info->has_public_key = 1;
    memcpy(info->public_key, p->public_key, 32);
    info->public_key_len = 32;
    memcpy(info->public_key_raw, p->public_key, 32);
    info->user_data_len = p->user_data_len;
    memcpy(info->user_data, p->user_data, p->user_data_len);
    info->nonce_len = p->nonce_len;
    memcpy(info->nonce, p->nonce, p->nonce_len);
}

/* Live: the handshake carries the document; the library verifies it before
 * our key is revealed and keeps the verified fields. */
static int attest_live(cli_global *g, cli_conn *c, int json)
{
    c->require_attestation = 1;
    pl_client *cl;
    int rc = cli_connect(g, "attest", c, &cl);
    if (rc)
        return rc;
    pl_attestation_info *pub = malloc(sizeof *pub);
    pl_attest_info *info = malloc(sizeof *info);
    if (!pub || !info || pl_client_attestation(cl, pub)) {
        cli_error("attest", "no verified attestation document");
        free(pub);
        free(info);
        pl_client_close(cl);
        return EXIT_CONNECTION;
    }
    from_public(pub, info);
    if (json)
        cli_attest_print_json(stdout, info, 1, NULL);
    else
        cli_attest_print_text(stdout, info);
    free(pub);
    free(info);
    pl_client_close(cl);
    if (fflush(stdout) != 0) {
        cli_error("attest", "cannot write the output: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static int attest_document(const char *document, cli_attest *a, long long at,
                           int json)
{
    if (cli_attest_finish(a, "attest"))
        return EXIT_USAGE;
    uint8_t *doc;
    size_t len;
    if (read_document_file(document, &doc, &len)) {
        cli_attest_free(a);
        return EXIT_USAGE;
    }
    maybe_base64(doc, &len);
    a->exp.now_s = at;
    pl_attest_info *info = malloc(sizeof *info);
    pl_error err;
    int rc = info ? pl_attest_verify(doc, len, &a->exp, NULL, info, &err)
                  : pl_fail(&err, PL_ERR_NOMEM, "out of memory");
    int code = 0;
    if (rc) {
        cli_error("attest", "%s: %s", document, err.msg);
        code = err.code == PL_ERR_AUTH ? EXIT_INVALID : EXIT_USAGE;
        if (json)
            cli_attest_print_json(stdout, info, 0, &err);
    } else if (json)
        cli_attest_print_json(stdout, info, 1, NULL);
    else
        cli_attest_print_text(stdout, info);
    free(info);
    free(doc);
    cli_attest_free(a);
    if (fflush(stdout) != 0 && code == 0) {
        cli_error("attest", "cannot write the output: %s", strerror(errno));
        code = EXIT_INVALID;
    }
    return code;
}

int attest_main(cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"document", required_argument, NULL, OPT_DOCUMENT},
        {"at", required_argument, NULL, OPT_AT},
        {"json", no_argument, NULL, OPT_JSON},
        CLI_CONN_OPTIONS,
        {0},
    };
    cli_conn c;
    cli_conn_init(&c, g);
    const char *document = NULL;
    int json = 0;
    long long at = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "hqc:v", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case OPT_DOCUMENT:
            document = optarg;
            continue;
        case OPT_AT: {
            char *end;
            errno = 0;
            at = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg || at <= 0) {
                cli_error("attest",
                          "--at: \"%s\" is not a positive number of seconds "
                          "since 1970",
                          optarg);
                return EXIT_USAGE;
            }
            continue;
        }
        case OPT_JSON:
            json = 1;
            continue;
        }
        int rc = cli_conn_option(&c, "attest", opt, optarg);
        if (rc <= 0) {
            if (rc == 0)
                usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("attest", "unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    if (document)
        return attest_document(document, &c.attest, at, json);
    if (at) {
        cli_error("attest", "--document FILE is required with --at (a "
                            "live server is checked against the clock)");
        return EXIT_USAGE;
    }
    return attest_live(g, &c, json);
}
