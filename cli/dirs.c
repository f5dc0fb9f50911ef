/* pipeline send-dir / recv-dir. */
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The options both directions take. */
#define DIR_OPTIONS                                                            \
    "  -p, --preserve         keep the modification times of files, links "    \
    "and\n"                                                                    \
    "                         directories (without -p everything gets the\n"   \
    "                         time it was written, as with cp -r and scp "     \
    "-r)\n"                                                                    \
    "  --checksum             compare a SHA-256 of every file on both ends;\n" \
    "                         print them (sha256sum format)\n"

static const char send_usage[] =
    "Usage: pipeline send-dir [OPTIONS] --localdir LOCAL --remotedir "
    "REMOTE\n"
    "       pipeline send-dir [OPTIONS] LOCAL REMOTE\n\n"
    "Copy the tree under LOCAL into REMOTE in the enclave (created as "
    "needed):\n"
    "regular files, directories and symbolic links (sent as links, never "
    "followed)\n"
    "with their permission bits; other file types are skipped with a "
    "warning.\n\n"
    "  --localdir LOCAL       the directory to send\n"
    "  --remotedir REMOTE     where its contents go in the "
    "enclave\n" DIR_OPTIONS;

static const char recv_usage[] =
    "Usage: pipeline recv-dir [OPTIONS] --remotedir REMOTE --localdir "
    "LOCAL\n"
    "       pipeline recv-dir [OPTIONS] REMOTE LOCAL\n\n"
    "Copy the tree under REMOTE in the enclave into LOCAL (created as "
    "needed).\n"
    "Entry names that are absolute or contain \"..\" are refused, and "
    "nothing is\n"
    "written through a symbolic link.\n\n"
    "  --remotedir REMOTE     the directory in the enclave\n"
    "  --localdir LOCAL       where its contents go\n" DIR_OPTIONS;

typedef struct ui {
    const char *sub;
    const char *local;
    cli_progress progress;
} ui;

static void on_warning(void *arg, const char *msg)
{
    ui *u = arg;
    cli_progress_clear(&u->progress);
    cli_error(u->sub, "warning: %s", msg);
}

static void on_file(void *arg, const char *name, const uint8_t *sha)
{
    ui *u = arg;
    if (!sha)
        return;
    cli_progress_clear(&u->progress);
    cli_print_sha256(stdout, sha, u->local, name);
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
    ui *u = arg;
    cli_progress_update(&u->progress, done, total);
}

static int transfer(cli_global *g, const char *sub, int sending, int argc,
                    char **argv)
{
    cli_xfer_args a;
    int rc = cli_xfer_parse(g, sub, sending, "localdir", "remotedir",
                            sending ? send_usage : recv_usage, argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (sending) {
        struct stat st;
        if (stat(a.local, &st)) {
            cli_error(sub, "local: %s: %s", a.local, strerror(errno));
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            cli_error(sub, "local: %s: %s (use send-file for files)", a.local,
                      strerror(ENOTDIR));
            return 1;
        }
    }
    pl_client_cleanup_on_signals();
    pl_client *c;
    int crc = cli_connect(g, sub, &a.conn, &c);
    if (crc)
        return crc;
    rc = cli_dir_transfer(g, sub, sending, c, a.local, a.remote, &a);
    cli_verbose_done(g, sub, rc);
    pl_client_close(c);
    return rc;
}

int cli_dir_transfer(cli_global *g, const char *sub, int sending, pl_client *c,
                     const char *local, const char *remote,
                     const cli_xfer_args *a)
{
    (void)g;
    int rc;
    ui u = {.sub = sub, .local = local};
    cli_progress_init(&u.progress, sending ? local : remote, a->conn.quiet);
    pl_transfer_opts o = {0};
    o.checksum = a->checksum;
    o.keep_times = a->preserve;
    o.progress = on_progress;
    o.warn = on_warning;
    o.file_done = on_file;
    o.arg = &u;
    pl_transfer_result r;
    pl_error err;
    if (sending)
        rc = pl_client_put_dir(c, local, remote, &o, &r, &err);
    else
        rc = pl_client_get_dir(c, remote, local, &o, &r, &err);
    cli_progress_finish(&u.progress, rc == 0);
    if (rc) {
        cli_call_error(sub, &err);
        rc = cli_exit_code(&err);
    }
    return rc;
}

int send_dir_main(cli_global *g, int argc, char **argv)
{
    return transfer(g, "send-dir", 1, argc, argv);
}

int recv_dir_main(cli_global *g, int argc, char **argv)
{
    return transfer(g, "recv-dir", 0, argc, argv);
}
