#!/bin/bash
# Exec through the C client library (the shared libpipeline-client built
# from the public headers only), without the CLI: pl_client_exec with
# descriptors for the three streams, several calls on one connection (the
# connection stays usable when the client ended its stdin), a connection
# that cannot be reused, a failed start and an oversized request.
. "$(dirname "$0")/lib.sh"

# After stop_server: a sanitizer build reports errors and leaks in the log.
sanitizer_clean() { ! grep -qE 'Sanitizer|runtime error' "$T/server.log"; }
not() { ! "$@"; }

BUILD=$(dirname "$PIPELINE_BIN")
HARNESS=$TESTROOT/exec_harness
cat >"$TESTROOT/harness.c" <<'EOF'
#include <pipeline/client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show(const char *label, int rc, const pl_exec_result *res,
                 const pl_error *err, int out)
{
    char buf[512];
    ssize_t n = read(out, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = '|';
    printf("%s rc=%d exit=%d signal=%d reusable=%d pid=%s out=%s", label, rc,
           res->exit_code, res->signal, res->reusable,
           res->pid > 0 ? "yes" : "no", buf);
    if (res->spawn_error[0])
        printf(" spawn_error=%s", res->spawn_error);
    if (rc)
        printf(" error=%s", err->msg);
    printf("\n");
}

/* Runs rq with stdin from in_fd (-1: none); stdout+stderr into a pipe. */
static int run(pl_client *c, const char *label, pl_exec_request *rq,
               int in_fd)
{
    int out[2];
    if (pipe(out))
        return -1;
    pl_exec_io io = {.stdin_fd = in_fd,
                     .stdout_fd = out[1],
                     .stderr_fd = out[1],
                     .signal_fd = -1};
    pl_exec_result res;
    pl_error err;
    int rc = pl_client_exec(c, rq, &io, &res, &err);
    close(out[1]);
    show(label, rc, &res, &err, out[0]);
    close(out[0]);
    return rc;
}

static pl_client *connect_to(const char *addr)
{
    pl_error err;
    pl_client_opts *o = pl_client_opts_new();
    if (!o || pl_client_opts_set_address(o, addr, &err))
        return NULL;
    pl_client_opts_set_connect_timeout(o, 5000);
    pl_client_opts_set_io_timeout(o, 20000);
    pl_client *c;
    int rc = pl_client_connect(&c, o, &err);
    pl_client_opts_free(o);
    if (rc) {
        printf("connect: %s\n", err.msg);
        return NULL;
    }
    return c;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    pl_client *c = connect_to(argv[1]);
    if (!c)
        return 1;

    char *echo[] = {"echo", "one"};
    pl_exec_request a = {.argv = echo, .argc = 2};
    run(c, "a", &a, -1);

    int in[2];
    if (pipe(in) || write(in[1], "in\n", 3) != 3)
        return 1;
    close(in[1]);
    char *env[] = {"WHO=two"};
    pl_exec_request b = {.command = "cat; echo $WHO >&2; exit 5",
                         .env = env,
                         .nenv = 1};
    run(c, "b", &b, in[0]);
    close(in[0]);

    pl_ping_info info;
    pl_error err;
    int prc = pl_client_ping(c, &info, &err);
    printf("ping rc=%d\n", prc);

    /* stdin never ends: the result still comes, the connection is spent */
    if (pipe(in))
        return 1;
    char *tru[] = {"true"};
    pl_exec_request d = {.argv = tru, .argc = 1};
    run(c, "c", &d, in[0]);
    close(in[0]);
    close(in[1]);
    pl_client_close(c);

    c = connect_to(argv[1]);
    if (!c)
        return 1;
    char *missing[] = {"no-such-program-lib"};
    pl_exec_request e = {.argv = missing, .argc = 1};
    run(c, "d", &e, -1);

    size_t big = 70000;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = 0;
    char *bigv[] = {"echo", huge};
    pl_exec_request f = {.argv = bigv, .argc = 2};
    run(c, "e", &f, -1);
    free(huge);

    /* 8 KiB+ commands crashed the original */
    char *long_cmd = malloc(20001);
    memset(long_cmd, ' ', 20000);
    memcpy(long_cmd + 19990, "echo long", 10);
    pl_exec_request g = {.command = long_cmd};
    run(c, "f", &g, -1);
    free(long_cmd);
    pl_client_close(c);
    return 0;
}
EOF

cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I$PIPELINE_SRC/include"
if ldd "$PIPELINE_BIN" 2>/dev/null | grep -q libasan; then
    cflags="$cflags -fsanitize=address,undefined"
fi
# shellcheck disable=SC2086
if ! cc $cflags -o "$HARNESS" "$TESTROOT/harness.c" -L"$BUILD" \
    -lpipeline-client -Wl,-rpath,"$BUILD" 2>"$TESTROOT/cc.err"; then
    cat "$TESTROOT/cc.err" >&2
    fail "the library harness does not build"
    finish
fi
check "the harness runs on the shared library" \
    grep -q "libpipeline-client.so.1 => $BUILD/" <(ldd "$HARNESS")

for transport in unix tcp; do
    start_server "$transport"
    hrc=0
    out=$("$HARNESS" "$ADDR" 2>"$T/harness.err") || hrc=$?
    echo "$out" | sed 's/^/     /'
    check "the harness exits 0 (got $hrc)" [ "$hrc" = 0 ]
    check "the harness (client library) has no sanitizer report" \
        not grep -qE 'Sanitizer|runtime error' "$T/harness.err"
    line() { grep "^$1 " <<<"$out"; }
    check "argv, no stdin: output and a reusable connection" \
        [ "$(line a)" = "a rc=0 exit=0 signal=0 reusable=1 pid=yes out=one|" ]
    check "second call on the same connection: stdin, env, stderr, exit 5" \
        [ "$(line b)" = "b rc=0 exit=5 signal=0 reusable=1 pid=yes out=in|two|" ]
    check "a third call (ping) on the same connection" [ "$(line ping)" = "ping rc=0" ]
    check "stdin never ended: result, connection not reusable" \
        [ "$(line c)" = "c rc=0 exit=0 signal=0 reusable=0 pid=yes out=" ]
    check "missing program: exit 127 with spawn_error, no pid" \
        [ "$(line d)" = "d rc=0 exit=127 signal=0 reusable=1 pid=no out= spawn_error=no-such-program-lib: No such file or directory" ]
    check "a request over the frame limit is refused locally" \
        grep -q '^e rc=-1 .*exceed' <<<"$out"
    check "a 20 KB command works" \
        [ "$(line f)" = "f rc=0 exit=0 signal=0 reusable=1 pid=yes out=long|" ]
    check "the server survived" server_alive
    stop_server
    check "no sanitizer report in the server log" sanitizer_clean
done

finish
