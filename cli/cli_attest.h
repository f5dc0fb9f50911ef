/* Attestation pieces of the CLI shared by `pipeline attest` and the
 * connecting subcommands: the expectation flags and the printing. */
#ifndef PIPELINE_CLI_CLI_ATTEST_H
#define PIPELINE_CLI_CLI_ATTEST_H

#include "attest.h"

#include <getopt.h>
#include <stdio.h>

typedef struct cli_attest {
    pl_attest_expect exp;
    const char *root_path; /* --attestation-root; NULL: built-in AWS root */
    uint8_t *root_der;     /* loaded by cli_attest_finish */
    size_t root_len;
} cli_attest;

enum {
    OPT_EXPECT_PCR = 1050,
    OPT_ATTEST_ROOT,
    OPT_ALLOW_DEBUG,
    OPT_ATTEST_MAX_AGE,
};

#define CLI_ATTEST_OPTIONS                                                     \
    {"expect-pcr", required_argument, NULL, OPT_EXPECT_PCR},                   \
        {"attestation-root", required_argument, NULL, OPT_ATTEST_ROOT},        \
        {"allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG},                   \
    {                                                                          \
        "attestation-max-age", required_argument, NULL, OPT_ATTEST_MAX_AGE     \
    }

#define CLI_ATTEST_HELP                                                        \
    "  --expect-pcr N=HEX     the enclave's PCR N must be HEX (96 hex "        \
    "digits);\n"                                                               \
    "                         repeatable\n"                                    \
    "  --attestation-root FILE  trusted root certificate, PEM or DER "         \
    "(default:\n"                                                              \
    "                         the AWS Nitro Enclaves root, built in)\n"        \
    "  --allow-debug          accept a debug-mode enclave (PCR0..2 all "       \
    "zero)\n"                                                                  \
    "  --attestation-max-age SECS  oldest document accepted (default "         \
    "10800)\n"

void cli_attest_init(cli_attest *a);
/* Handles an attestation option: 1 when it was one, 0 when not, -1 on a
 * bad value (message printed). */
int cli_attest_option(cli_attest *a, const char *sub, int opt, const char *arg);
/* Loads the root file when one was named; -1 (message printed) on error. */
int cli_attest_finish(cli_attest *a, const char *sub);
void cli_attest_free(cli_attest *a);

/* The verified fields, one "name: value" line each. */
void cli_attest_print_text(FILE *f, const pl_attest_info *info);
/* One JSON object: "valid", and "error" when failure is given; the fields
 * when decoded is set (the document parsed far enough to have them). */
void cli_attest_print_json(FILE *f, const pl_attest_info *info, int decoded,
                           const pl_error *failure);

#endif
