/*
 * The client library inside a host program that leaves SIGPIPE at its
 * default (fatal) disposition: when the server is killed in the middle of
 * a transfer, the call must return an error, not kill the program.
 *
 * The server runs in a forked process (so it can be killed with SIGKILL)
 * on a unix socket in a temporary directory.
 */
#include "client.h"
#include "files.h"
#include "server.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char top[256];
static char sock[PATH_MAX];
static pid_t server_pid;

static void start_server(void)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(top, sizeof top, "/tmp/pl-sigpipe.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
    snprintf(sock, sizeof sock, "%s/s.sock", top);
    server_pid = fork();
    ck_assert_int_ge(server_pid, 0);
    if (server_pid == 0) {
        pl_error err;
        pl_config cfg;
        char none[PATH_MAX];
        snprintf(none, sizeof none, "%s/none.conf", top);
        if (pl_config_load(&cfg, none, 0, &err))
            _exit(3);
        char text[PATH_MAX + 10];
        snprintf(text, sizeof text, "unix:%s", sock);
        pl_address a;
        pl_keypair kp;
        pl_server srv;
        memset(&srv, 0, sizeof srv);
        pl_key_generate(&kp);
        if (pl_address_parse(text, &a, &err) ||
            pl_server_open(&srv, &a, &kp, &cfg, &err))
            _exit(4);
        pl_server_run(&srv, &err);
        _exit(0);
    }
    /* Wait until the server accepts connections (bound is not enough:
     * listen() comes after the socket file appears). */
    int up = 0;
    for (int i = 0; i < 3000 && !up; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        ck_assert_uint_lt(strlen(sock), sizeof sa.sun_path);
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (!up)
            usleep(10000);
    }
    ck_assert_msg(up, "the server never accepted on %s", sock);
}

static void stop_server(void)
{
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
    char cmd[PATH_MAX + 20];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
}

static pl_client *connect_client(void)
{
    pl_client_opts *o = pl_client_opts_new();
    ck_assert_ptr_nonnull(o);
    pl_error err;
    char text[PATH_MAX + 10];
    snprintf(text, sizeof text, "unix:%s", sock);
    ck_assert_int_eq(pl_client_opts_set_address(o, text, &err), 0);
    pl_client_opts_set_connect_timeout(o, 10000);
    pl_client_opts_set_io_timeout(o, 30000);
    pl_client *c = NULL;
    ck_assert_msg(pl_client_connect(&c, o, &err) == 0, "%s", err.msg);
    pl_client_opts_free(o);
    return c;
}

/* Kills the server once the transfer has moved a few MiB. */
static void kill_midway(void *arg, uint64_t done, uint64_t total)
{
    (void)total;
    int *killed = arg;
    if (!*killed && done > (4u << 20)) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        *killed = 1;
    }
}

static void default_sigpipe(void)
{
    /* A host program that never heard of SIGPIPE: make sure we did not
     * inherit "ignored" from whatever started the test, or it would prove
     * nothing. */
    signal(SIGPIPE, SIG_DFL);
}

START_TEST(upload_survives_server_kill)
{
    default_sigpipe();
    start_server();
    pl_client *c = connect_client();
    int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(zero, 0);
    int killed = 0;
    pl_transfer_opts o = {.progress = kill_midway, .arg = &killed};
    pl_transfer_result r;
    pl_error err;
    char remote[PATH_MAX];
    snprintf(remote, sizeof remote, "%s/endless", top);
    int rc = pl_client_put_fd(c, zero, 0644, 0, remote, &o, &r, &err);
    ck_assert_int_eq(killed, 1);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(err.code == PL_ERR_CLOSED || err.code == PL_ERR_IO, "%d %s",
                  err.code, err.msg);
    /* The connection is done for: a later call fails too, still alive. */
    pl_ping_info pi;
    ck_assert_int_eq(pl_client_ping(c, &pi, &err), -1);
    close(zero);
    pl_client_close(c);
    stop_server();
}
END_TEST

START_TEST(download_survives_server_kill)
{
    default_sigpipe();
    start_server();
    pl_client *c = connect_client();
    int killed = 0;
    pl_transfer_opts o = {.progress = kill_midway, .arg = &killed};
    pl_transfer_result r;
    pl_error err;
    int sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(sink, 0);
    /* A sparse file: large, cheap, and a type every server serves. */
    char remote[PATH_MAX];
    snprintf(remote, sizeof remote, "%s/big", top);
    int big = open(remote, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_int_ge(big, 0);
    ck_assert_int_eq(ftruncate(big, (off_t)1 << 32), 0);
    close(big);
    int rc = pl_client_get_fd(c, remote, sink, &o, &r, &err);
    ck_assert_int_eq(killed, 1);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(err.code == PL_ERR_CLOSED || err.code == PL_ERR_IO, "%d %s",
                  err.code, err.msg);
    pl_ping_info pi;
    ck_assert_int_eq(pl_client_ping(c, &pi, &err), -1);
    close(sink);
    pl_client_close(c);
    stop_server();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sigpipe");
    TCase *tc = tcase_create("sigpipe");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, upload_survives_server_kill);
    tcase_add_test(tc, download_survives_server_kill);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
