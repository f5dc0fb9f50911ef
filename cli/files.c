/* pipeline send-file / recv-file. */
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char send_usage[] =
    "Usage: pipeline send-file [OPTIONS] --localpath LOCAL --remotepath "
    "REMOTE\n"
    "       pipeline send-file [OPTIONS] LOCAL REMOTE\n\n"
    "Copy a file into the enclave. LOCAL \"-\" reads stdin; a REMOTE ending "
    "in '/'\n"
    "receives the file under its local name. The file appears under its "
    "name only\n"
    "once complete; its permission bits are kept; missing directories are "
    "created.\n\n"
    "  --localpath LOCAL      the file to send\n"
    "  --remotepath REMOTE    where to put it in the enclave\n"
    "  --checksum             compare a SHA-256 computed on both ends and "
    "print it\n"
    "                         (sha256sum format)\n"
    "On a terminal a progress bar shows on stderr; its final figure is the "
    "average\nrate over the whole call (connecting and the final fsync "
    "included).\n\n";

static const char recv_usage[] =
    "Usage: pipeline recv-file [OPTIONS] --remotepath REMOTE --localpath "
    "LOCAL\n"
    "       pipeline recv-file [OPTIONS] REMOTE LOCAL\n\n"
    "Copy a file out of the enclave. LOCAL \"-\" writes to stdout; an "
    "existing local\n"
    "directory receives the file under its remote name. LOCAL is replaced "
    "only once\n"
    "the whole file arrived; on any failure it is left as it was.\n\n"
    "  --remotepath REMOTE    the file in the enclave\n"
    "  --localpath LOCAL      where to put it\n"
    "  --checksum             compare a SHA-256 computed on both ends and "
    "print it\n"
    "                         (sha256sum format)\n"
    "On a terminal a progress bar shows on stderr; its final figure is the "
    "average\nrate over the whole call (connecting and the final fsync "
    "included).\n\n";

/* Checked before connecting so a typo does not cost a handshake. */
static int check_source(const char *sub, const char *local)
{
    if (strcmp(local, "-") == 0)
        return 0;
    struct stat st;
    if (stat(local, &st)) {
        cli_error(sub, "local: %s: %s", local, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error(sub, "local: %s: %s (use send-dir for directories)", local,
                  strerror(EISDIR));
        return -1;
    }
    return 0;
}

static int transfer(cli_global *g, const char *sub, int sending, int argc,
                    char **argv)
{
    cli_xfer_args a;
    int rc = cli_xfer_parse(g, sub, sending, "localpath", "remotepath",
                            sending ? send_usage : recv_usage, argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (sending && check_source(sub, a.local))
        return 1;
    /* Ctrl-C while receiving removes the temporary file. */
    pl_client_cleanup_on_signals();
    pl_client *c;
    int crc = cli_connect(g, sub, &a.conn, &c);
    if (crc)
        return crc;
    cli_progress p;
    cli_progress_init(&p, sending ? a.local : a.remote, a.conn.quiet);
    pl_transfer_opts o = {0};
    o.checksum = a.checksum;
    o.progress = cli_progress_update;
    o.arg = &p;
    pl_transfer_result r;
    pl_error err;
    if (sending)
        rc = pl_client_put_file(c, a.local, a.remote, &o, &r, &err);
    else
        rc = pl_client_get_file(c, a.remote, a.local, &o, &r, &err);
    cli_progress_finish(&p, rc == 0);
    if (rc) {
        if (!sending && err.code == PL_ERR_REMOTE &&
            strstr(err.msg, "Is a directory"))
            cli_error(sub, "remote: %s (use recv-dir for directories)",
                      err.msg);
        else
            cli_call_error(sub, &err);
        rc = cli_exit_code(&err);
    } else if (r.has_sha256) {
        /* Data on stdout must stay clean: the digest goes to stderr. */
        int to_stdout = !sending && strcmp(a.local, "-") == 0;
        cli_print_sha256(to_stdout ? stderr : stdout, r.sha256, NULL, r.local);
    }
    cli_verbose_done(g, sub, rc);
    pl_client_close(c);
    return rc;
}

int send_file_main(cli_global *g, int argc, char **argv)
{
    return transfer(g, "send-file", 1, argc, argv);
}

int recv_file_main(cli_global *g, int argc, char **argv)
{
    return transfer(g, "recv-file", 0, argc, argv);
}
