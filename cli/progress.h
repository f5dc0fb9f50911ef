/* What the transfer subcommands share: a one-line progress display on
 * stderr (bytes, rate, ETA; drawn only when stderr is a terminal and -q
 * was not given), their argument parsing and sha256sum-style lines. */
#ifndef PIPELINE_CLI_PROGRESS_H
#define PIPELINE_CLI_PROGRESS_H

#include "cli.h"

#include <stdint.h>
#include <stdio.h>

typedef struct cli_progress {
    int on;
    char label[64];
    double t0, last;
    uint64_t done, total;
    int drawn, finished;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label, int quiet);
/* A pl_transfer_opts progress callback; arg is the cli_progress. */
void cli_progress_update(void *arg, uint64_t done, uint64_t total);
/* Erases the line so another message can be printed. */
void cli_progress_clear(cli_progress *p);
/* Draws the final state (when ok) and ends the line. */
void cli_progress_finish(cli_progress *p, int ok);

/* Arguments of send-file, recv-file, send-dir and recv-dir. */
typedef struct cli_xfer_args {
    cli_conn conn;
    const char *local, *remote;
    int checksum;
    int recursive; /* -r (send-file/recv-file): directories too */
    int preserve;  /* -p: keep modification times */
    /* cp style: SRC... DST. srcs[0..nsrc) are local when sending, remote
     * when receiving; with one source it is also local/remote. */
    const char *const *srcs;
    int nsrc;
} cli_xfer_args;

/* Parses connection options, --LFLAG, --RFLAG, --checksum, -p and the
 * positional SRC DST (local remote when sending, remote local when
 * receiving). Returns -1 to go on, or the exit code (0 after --help). */
int cli_xfer_parse(cli_global *g, const char *sub, int sending,
                   const char *lflag, const char *rflag, const char *usage,
                   int argc, char **argv, cli_xfer_args *a);

/* send-dir / recv-dir on an open connection, with a's --checksum, -p and
 * -q; the exit code. */
int cli_dir_transfer(cli_global *g, const char *sub, int sending, pl_client *c,
                     const char *local, const char *remote,
                     const cli_xfer_args *a);

/* One line in sha256sum's format: "HEX  NAME" (names with a backslash or
 * newline escaped the way sha256sum does). dir, when not NULL, is
 * prefixed to name with a '/'. */
void cli_print_sha256(FILE *f, const uint8_t sha[32], const char *dir,
                      const char *name);

#endif
