/* A program outside the project that uses the installed client library
 * through <pipeline/client.h> only: the install and .deb tests build it
 * with pkg-config and with find_package(PipelineClient) and run it
 * against a server. Usage: client_program ADDRESS LOCAL REMOTE */
#include <pipeline/client.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s ADDRESS LOCAL REMOTE\n", argv[0]);
        return 2;
    }
    pl_error err;
    pl_client_opts *o = pl_client_opts_new();
    if (!o)
        return 1;
    /* A bad address is refused with a usage error and a message. */
    if (pl_client_opts_set_address(o, "carrier-pigeon:1", &err) == 0)
        return 1;
    printf("bad address: %s: %s\n", pl_strerror(err.code), err.msg);

    /* Keys as base64, through the key functions. */
    pl_keypair kp;
    char b64[PL_KEY_B64_LEN + 1];
    pl_key_generate(&kp);
    pl_key_to_base64(kp.priv, b64);
    if (pl_client_opts_set_address(o, argv[1], &err) ||
        pl_client_opts_set_key_base64(o, b64, &err) ||
        pl_client_opts_set_io_timeout(o, 20000)) {
        printf("options: %s\n", err.msg);
        return 1;
    }
    pl_client *c = NULL;
    if (pl_client_connect(&c, o, &err)) {
        printf("connect: %s\n", err.msg);
        return 1;
    }
    pl_client_opts_free(o);
    printf("library %s\n", pl_client_version());

    pl_ping_info info;
    if (pl_client_ping(c, &info, &err)) {
        printf("ping: %s\n", err.msg);
        return 1;
    }
    uint8_t key[32];
    pl_client_server_key(c, key);
    pl_key_to_base64(key, b64);
    printf("ping %s %s\n", info.software, b64);

    int out[2];
    if (pipe(out))
        return 1;
    pl_exec_request rq = {.command = "echo hello from the server; exit 3"};
    pl_exec_io io = {
        .stdin_fd = -1, .stdout_fd = out[1], .stderr_fd = 2, .signal_fd = -1};
    pl_exec_result res;
    if (pl_client_exec(c, &rq, &io, &res, &err)) {
        printf("exec: %s\n", err.msg);
        return 1;
    }
    close(out[1]);
    char buf[256] = {0};
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("exec exit=%d out=%s\n", res.exit_code, buf);

    pl_transfer_result r;
    if (pl_client_put_file(c, argv[2], argv[3], NULL, &r, &err)) {
        printf("put: %s\n", err.msg);
        return 1;
    }
    printf("put %llu bytes\n", (unsigned long long)r.bytes);
    char back[4096];
    snprintf(back, sizeof back, "%s.back", argv[2]);
    pl_transfer_opts to = {.checksum = 1};
    if (pl_client_get_file(c, argv[3], back, &to, &r, &err)) {
        printf("get: %s\n", err.msg);
        return 1;
    }
    printf("get %llu bytes sha256=%d\n", (unsigned long long)r.bytes,
           r.has_sha256);

    /* A refused call: the error carries the server's status code. */
    if (pl_client_get_file(c, "/nonexistent/pipeline-test", back, NULL, NULL,
                           &err) == 0)
        return 1;
    printf("missing: %s status=%d\n", pl_strerror(err.code), err.status);
    pl_client_close(c);
    return 0;
}
