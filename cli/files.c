/* pipeline send-file / recv-file. */
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char send_usage[] =
    "Usage: pipeline send-file [OPTIONS] --localpath LOCAL --remotepath "
    "REMOTE\n"
    "       pipeline send-file [OPTIONS] LOCAL... REMOTE\n\n"
    "Copy a file into the enclave, as cp does: an existing remote directory "
    "(or a\n"
    "REMOTE ending in '/') receives it under its local name, several LOCALs "
    "go into\n"
    "the directory REMOTE. LOCAL \"-\" reads stdin. The file appears under "
    "its name\n"
    "only once complete; its permission bits are kept (and its modification "
    "time with\n"
    "-p); missing directories are created.\n\n"
    "  --localpath LOCAL      the file to send\n"
    "  --remotepath REMOTE    where to put it in the enclave\n"
    "  -r, --recursive        a directory LOCAL goes as send-dir sends it\n"
    "  -p, --preserve         keep the modification time (without -p the copy "
    "gets\n"
    "                         the time it was written, as with cp and scp)\n"
    "  --checksum             compare a SHA-256 computed on both ends and "
    "print it\n"
    "                         (sha256sum format)\n"
    "On a terminal a progress bar shows on stderr; its final figure is the "
    "average\nrate over the whole call (connecting and the final fsync "
    "included).\n\n";

static const char recv_usage[] =
    "Usage: pipeline recv-file [OPTIONS] --remotepath REMOTE --localpath "
    "LOCAL\n"
    "       pipeline recv-file [OPTIONS] REMOTE... LOCAL\n\n"
    "Copy a file out of the enclave. LOCAL \"-\" writes to stdout; an "
    "existing local\n"
    "directory receives the file under its remote name. LOCAL is replaced "
    "only once\n"
    "the whole file arrived; on any failure it is left as it was.\n\n"
    "  --remotepath REMOTE    the file in the enclave\n"
    "  --localpath LOCAL      where to put it\n"
    "  -r, --recursive        a remote directory comes as recv-dir takes it\n"
    "  -p, --preserve         keep the modification time (without -p the copy "
    "gets\n"
    "                         the time it was written, as with cp and scp)\n"
    "  --checksum             compare a SHA-256 computed on both ends and "
    "print it\n"
    "                         (sha256sum format)\n"
    "On a terminal a progress bar shows on stderr; its final figure is the "
    "average\nrate over the whole call (connecting and the final fsync "
    "included).\n\n";

/* Checked before connecting so a typo does not cost a handshake. A
 * directory is fine with -r. */
static int check_source(const char *sub, const char *local, int recursive)
{
    if (strcmp(local, "-") == 0)
        return 0;
    struct stat st;
    if (stat(local, &st)) {
        cli_error(sub, "local: %s: %s", local, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode) && !recursive) {
        cli_error(sub,
                  "local: %s: %s (use send-file -r or send-dir for "
                  "directories)",
                  local, strerror(EISDIR));
        return -1;
    }
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int remote_is_dir(const pl_error *err)
{
    return err->code == PL_ERR_REMOTE && strstr(err->msg, "Is a directory");
}

/* dir + '/' + base name of path, malloc'd. */
static char *join(const char *dir, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash && slash[1] ? slash + 1 : path;
    size_t n = strlen(dir) + strlen(base) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", dir,
                 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", base);
    return out;
}

/* One source to its destination, cp style: into an existing remote
 * directory under the source's name; with -r a directory goes as
 * send-dir / recv-dir would take it. */
static int copy_one(cli_global *g, const char *sub, int sending, pl_client *c,
                    const cli_xfer_args *a, const char *local,
                    const char *remote)
{
    if (a->recursive && sending && is_dir(local)) {
        char *into = a->nsrc > 1 ? join(remote, local) : NULL;
        int rc = cli_dir_transfer(g, sub, 1, c, local, into ? into : remote, a);
        free(into);
        return rc;
    }
    cli_progress p;
    cli_progress_init(&p, sending ? local : remote, a->conn.quiet);
    pl_transfer_opts o = {0};
    o.checksum = a->checksum;
    o.keep_times = a->preserve;
    o.progress = cli_progress_update;
    o.arg = &p;
    pl_transfer_result r;
    pl_error err;
    int rc;
    if (sending) {
        rc = pl_client_put_file(c, local, remote, &o, &r, &err);
        /* An existing remote directory takes the file under its name. */
        if (rc && remote_is_dir(&err) && strcmp(local, "-") != 0 &&
            remote[strlen(remote) - 1] != '/') {
            char *into = join(remote, local);
            if (into)
                rc = pl_client_put_file(c, local, into, &o, &r, &err);
            free(into);
        }
    } else {
        rc = pl_client_get_file(c, remote, local, &o, &r, &err);
        if (rc && a->recursive && remote_is_dir(&err)) {
            cli_progress_finish(&p, 0);
            char *into =
                a->nsrc > 1 || is_dir(local) ? join(local, remote) : NULL;
            rc = cli_dir_transfer(g, sub, 0, c, into ? into : local, remote, a);
            free(into);
            return rc;
        }
    }
    cli_progress_finish(&p, rc == 0);
    if (rc) {
        if (!sending && remote_is_dir(&err))
            cli_error(sub,
                      "remote: %s (use recv-file -r or recv-dir for "
                      "directories)",
                      err.msg);
        else
            cli_call_error(sub, &err);
        return cli_exit_code(&err);
    }
    if (r.has_sha256) {
        /* Data on stdout must stay clean: the digest goes to stderr. */
        int to_stdout = !sending && strcmp(local, "-") == 0;
        cli_print_sha256(to_stdout ? stderr : stdout, r.sha256, NULL, r.local);
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
    if (sending)
        for (int i = 0; i < a.nsrc; i++)
            if (check_source(sub, a.srcs[i], a.recursive))
                return 1;
    /* Several sources go into a directory. */
    if (!sending && a.nsrc > 1 && !is_dir(a.local)) {
        cli_error(sub,
                  "local: %s: %s (several sources need an existing "
                  "directory)",
                  a.local, strerror(ENOTDIR));
        return 1;
    }
    /* Ctrl-C while receiving removes the temporary file. */
    pl_client_cleanup_on_signals();
    pl_client *c;
    int crc = cli_connect(g, sub, &a.conn, &c);
    if (crc)
        return crc;
    rc = 0;
    for (int i = 0; i < a.nsrc; i++) {
        const char *local = sending ? a.srcs[i] : a.local;
        const char *remote = sending ? a.remote : a.srcs[i];
        char *dst = NULL;
        if (a.nsrc > 1 && sending)
            remote = dst = join(a.remote, local);
        int one = copy_one(g, sub, sending, c, &a, local, remote);
        free(dst);
        /* Like cp: go on with the others, exit with the worst. */
        if (one > rc)
            rc = one;
        if (one == EXIT_CONNECTION)
            break;
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
