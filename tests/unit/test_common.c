/* Unit tests for the common layer below the calls: addresses, config,
 * keys and trust files, and the channel over a socket pair (no server). */
#include "channel.h"
#include "config.h"
#include "handshake.h"
#include "keys.h"
#include "transport.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/pl-unit.XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(address_forms)
{
    pl_address a;
    pl_error e;
    ck_assert_int_eq(pl_address_parse("vsock:3:5000", &a, &e), 0);
    ck_assert_int_eq(a.kind, PL_TRANSPORT_VSOCK);
    ck_assert_uint_eq(a.cid, 3);
    ck_assert_uint_eq(a.port, 5000);
    ck_assert_int_eq(pl_address_parse("vsock:4294967295:1", &a, &e), 0);
    ck_assert_uint_eq(a.cid, 4294967295u);
    ck_assert_int_eq(pl_address_parse("tcp:127.0.0.1:80", &a, &e), 0);
    ck_assert_str_eq(a.host, "127.0.0.1");
    ck_assert_int_eq(pl_address_parse("tcp:[::1]:80", &a, &e), 0);
    ck_assert_str_eq(a.host, "::1");
    ck_assert_int_eq(pl_address_parse("unix:/tmp/x.sock", &a, &e), 0);
    ck_assert_str_eq(a.path, "/tmp/x.sock");
    const char *bad[] = {
        "vsock:3",           "vsock:x:1", "vsock:1:-2", "tcp:host",
        "tcp:h:70000",       "unix:",     "http://x",   "",
        "vsock:4294967296:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(pl_address_parse(bad[i], &a, &e), -1);
        ck_assert_int_eq(e.code, PL_ERR_USAGE);
        ck_assert_ptr_nonnull(strstr(e.msg, bad[i]));
    }
}
END_TEST

START_TEST(config_original_flat_file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/flat.toml", tmpdir);
    write_file(path, "# Default VSOCK Context Identifier\n"
                     "# This is the CID of the enclave\n"
                     "cid = 3\n\n"
                     "# Default VSOCK port number\n"
                     "port = 5000\n");
    pl_config c;
    pl_error e;
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), 0);
    ck_assert(c.has_cid && c.has_port);
    ck_assert_uint_eq(c.cid, 3);
    ck_assert_uint_eq(c.port, 5000);
    ck_assert_int_eq(c.allow_exec, 1);
    pl_config_free(&c);
}
END_TEST

START_TEST(config_groups_and_errors)
{
    char path[256];
    pl_config c;
    pl_error e;
    snprintf(path, sizeof path, "%s/full.conf", tmpdir);
    write_file(path, "address = \"unix:/x\";\n"
                     "server = { allow_exec = false; root = \"/srv\";\n"
                     "  max_connections = 3; idle_timeout = 7; };\n");
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), 0);
    ck_assert_str_eq(c.address, "unix:/x");
    ck_assert_int_eq(c.allow_exec, 0);
    ck_assert_str_eq(c.root, "/srv");
    ck_assert_int_eq(c.max_connections, 3);
    ck_assert_int_eq(c.idle_timeout_ms, 7000);
    pl_config_free(&c);

    write_file(path, "cid = 3\nport = = 4\n");
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, path));
    ck_assert_ptr_nonnull(strstr(e.msg, ":2:"));
    pl_config_free(&c);

    write_file(path, "port = \"five\"\n");
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "port"));
    pl_config_free(&c);

    write_file(path, "cid = -1\n");
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), -1);
    pl_config_free(&c);

    snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
    ck_assert_int_eq(pl_config_load(&c, path, 0, &e), 0);
    ck_assert_int_eq(c.loaded, 0);
    pl_config_free(&c);
    ck_assert_int_eq(pl_config_load(&c, path, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
    pl_config_free(&c);
}
END_TEST

START_TEST(keys_files_and_trust)
{
    char path[256], known[256], auth[256];
    pl_keypair a, b, c2;
    pl_error e;
    snprintf(path, sizeof path, "%s/sub/dir/k.key", tmpdir);
    ck_assert_int_eq(pl_key_load(path, 1, &a, &e), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(pl_key_load(path, 0, &b, &e), 0);
    ck_assert_mem_eq(a.pub, b.pub, 32);
    char b64[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(a.pub, b64);
    ck_assert_uint_eq(strlen(b64), 44);
    uint8_t back[32];
    ck_assert_int_eq(pl_key_from_base64(b64, back, &e), 0);
    ck_assert_mem_eq(back, a.pub, 32);
    ck_assert_int_eq(pl_key_from_base64("not a key", back, &e), -1);
    chmod(path, 0644);
    ck_assert_int_eq(pl_key_load(path, 0, &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));

    pl_key_generate(&b);
    pl_key_generate(&c2);
    snprintf(known, sizeof known, "%s/known", tmpdir);
    int rec;
    ck_assert_int_eq(pl_known_servers_check(known, "unix:/a", a.pub, &rec, &e),
                     0);
    ck_assert_int_eq(rec, 1);
    ck_assert_int_eq(pl_known_servers_check(known, "unix:/a", a.pub, &rec, &e),
                     0);
    ck_assert_int_eq(rec, 0);
    ck_assert_int_eq(pl_known_servers_check(known, "unix:/b", b.pub, &rec, &e),
                     0);
    ck_assert_int_eq(pl_known_servers_check(known, "unix:/a", b.pub, &rec, &e),
                     -1);
    ck_assert_int_eq(e.code, PL_ERR_AUTH);
    char bb64[PL_KEY_B64_LEN + 1];
    pl_key_to_base64(b.pub, bb64);
    ck_assert_ptr_nonnull(strstr(e.msg, b64));  /* recorded */
    ck_assert_ptr_nonnull(strstr(e.msg, bb64)); /* received */

    snprintf(auth, sizeof auth, "%s/authorized", tmpdir);
    char text[256];
    snprintf(text, sizeof text, "# operators\n\n  %s  laptop\n", bb64);
    write_file(auth, text);
    ck_assert_int_eq(pl_authorized_keys_contains(auth, b.pub, &e), 1);
    ck_assert_int_eq(pl_authorized_keys_contains(auth, c2.pub, &e), 0);
    ck_assert_int_eq(pl_authorized_keys_contains("/nonexistent/x", b.pub, &e),
                     -1);
}
END_TEST

/* A connected pair of channels with matching keys, as after a handshake. */
static void channel_pair(pl_channel *x, pl_channel *y)
{
    int sv[2];
    ck_assert_int_eq(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    pl_channel_init(x, sv[0], 2000);
    pl_channel_init(y, sv[1], 2000);
    uint8_t k1[32], k2[32];
    randombytes_buf(k1, sizeof k1);
    randombytes_buf(k2, sizeof k2);
    noise_cs_init_key(&x->tx, k1);
    noise_cs_init_key(&y->rx, k1);
    noise_cs_init_key(&y->tx, k2);
    noise_cs_init_key(&x->rx, k2);
}

START_TEST(channel_round_trip)
{
    pl_channel x, y;
    channel_pair(&x, &y);
    pl_error e;
    static uint8_t big[PL_CHUNK_MAX];
    randombytes_buf(big, sizeof big);
    ck_assert_int_eq(pl_channel_send_data(&x,
                                          PIPELINE__V1__STREAM_ID__STREAM_FILE,
                                          big, sizeof big, &e),
                     0);
    pl_frame *f = NULL;
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), 0);
    ck_assert_int_eq(f->body_case, PIPELINE__V1__FRAME__BODY_DATA);
    ck_assert_uint_eq(f->data->data.len, sizeof big);
    ck_assert_mem_eq(f->data->data.data, big, sizeof big);
    pl_frame_free(f);
    ck_assert_int_eq(pl_channel_send_status(
                         &y, PIPELINE__V1__CODE__CODE_NOT_FOUND, "%s", "gone"),
                     0);
    ck_assert_int_eq(pl_channel_recv(&x, &f, &e), 0);
    ck_assert_int_eq(f->status->code, PIPELINE__V1__CODE__CODE_NOT_FOUND);
    ck_assert_str_eq(f->status->message, "gone");
    pl_frame_free(f);
    pl_channel_close(&x);
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_CLOSED);
    pl_channel_close(&y);
}
END_TEST

/* Reads one raw message from fd (blocking with poll) into buf. */
static size_t read_message_raw(int fd, uint8_t *buf)
{
    size_t have = 0, want = 2;
    while (have < want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, 2000), 1);
        ssize_t r = read(fd, buf + have, want - have);
        ck_assert_int_gt(r, 0);
        have += (size_t)r;
        if (have == 2)
            want = 2 + (((size_t)buf[0] << 8) | buf[1]);
    }
    return want - 2;
}

/* Data frames built in place carry exactly protobuf-c's bytes, and the
 * in-place parser on the other end gives back what was sent. */
START_TEST(channel_data_in_place)
{
    static const size_t lens[] = {0,     1,     127,   128,
                                  16383, 16384, 65000, PL_CHUNK_MAX};
    static const int streams[] = {0, 1, 4};
    static uint8_t payload[PL_CHUNK_MAX], raw[2 + 65535], want[65535];
    pl_channel x, y;
    pl_error e;
    channel_pair(&x, &y);
    randombytes_buf(payload, sizeof payload);
    for (size_t si = 0; si < 3; si++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t len = lens[li];
            /* the message as sent, opened with a copy of y's key */
            memcpy(pl_channel_room(&x), payload, len);
            ck_assert_int_eq(pl_channel_queue_room(&x, streams[si], len, &e),
                             0);
            ck_assert_int_eq(pl_channel_drain(&x, &e), 0);
            size_t n = read_message_raw(y.fd, raw), plen;
            noise_cipherstate rx = y.rx; /* unprepared: a copy is fine */
            ck_assert_int_eq(
                noise_cs_decrypt(&rx, NULL, 0, raw + 2, n, raw + 2, &plen), 0);
            Pipeline__V1__Data d = PIPELINE__V1__DATA__INIT;
            d.stream = streams[si];
            d.data.data = payload;
            d.data.len = len;
            pl_frame f = PIPELINE__V1__FRAME__INIT;
            f.body_case = PIPELINE__V1__FRAME__BODY_DATA;
            f.data = &d;
            size_t wlen = pipeline__v1__frame__pack(&f, want);
            ck_assert_uint_eq(plen, wlen);
            ck_assert_mem_eq(raw + 2, want, wlen);
            /* the same again through y's reader (its nonce is behind) */
            y.rx.n++;
            memcpy(pl_channel_room(&x), payload, len);
            ck_assert_int_eq(pl_channel_queue_room(&x, streams[si], len, &e),
                             0);
            pl_frame *g = NULL;
            ck_assert_int_eq(pl_channel_recv(&y, &g, &e), 0);
            ck_assert_int_eq(g->body_case, PIPELINE__V1__FRAME__BODY_DATA);
            ck_assert_int_eq(g->data->stream, streams[si]);
            ck_assert_uint_eq(g->data->data.len, len);
            if (len) {
                ck_assert_mem_eq(g->data->data.data, payload, len);
                /* no copy: the payload is read where it was decrypted */
                ck_assert(g->data->data.data > y.in &&
                          g->data->data.data < y.in + sizeof y.in);
            }
            pl_frame_free(g);
        }
    }
    /* Another shape of Data (an unknown field after the payload) goes
     * through protobuf-c and still arrives. */
    /* Frame.data = {stream 4, data "hi", field 3 = 1} */
    static const uint8_t odd[10] = {0x12, 0x08, 0x08, 0x04, 0x12,
                                    0x02, 'h',  'i',  0x18, 0x01};
    static uint8_t msg[2 + 64];
    size_t clen;
    memcpy(msg + 2, odd, 10);
    ck_assert_int_eq(
        noise_cs_encrypt(&x.tx, NULL, 0, msg + 2, 10, msg + 2, &clen), 0);
    msg[0] = 0;
    msg[1] = (uint8_t)clen;
    ck_assert_int_eq(write(x.fd, msg, 2 + clen), (ssize_t)(2 + clen));
    pl_frame *g = NULL;
    ck_assert_int_eq(pl_channel_recv(&y, &g, &e), 0);
    ck_assert_int_eq(g->body_case, PIPELINE__V1__FRAME__BODY_DATA);
    ck_assert_int_eq(g->data->stream, 4);
    ck_assert_uint_eq(g->data->data.len, 2);
    ck_assert_mem_eq(g->data->data.data, "hi", 2);
    pl_frame_free(g);
    pl_channel_close(&x);
    pl_channel_close(&y);
}
END_TEST

START_TEST(channel_rejects_bad_input)
{
    pl_channel x, y;
    pl_frame *f = NULL;
    pl_error e;
    /* zero length */
    channel_pair(&x, &y);
    uint8_t zero[2] = {0, 0};
    ck_assert_int_eq(write(x.fd, zero, 2), 2);
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_PROTOCOL);
    pl_channel_close(&x);
    pl_channel_close(&y);
    /* max-length junk: fails authentication */
    channel_pair(&x, &y);
    static uint8_t junk[2 + 65535];
    randombytes_buf(junk, sizeof junk);
    junk[0] = 0xff;
    junk[1] = 0xff;
    ck_assert_int_eq(pl_channel_write_raw(&x, junk + 2, 65535, &e), 0);
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_PROTOCOL);
    pl_channel_close(&x);
    pl_channel_close(&y);
    /* authentic bytes that are not a Frame */
    channel_pair(&x, &y);
    uint8_t msg[64] = {0xff, 0xff, 0xff, 0xff, 0xff};
    size_t clen;
    ck_assert_int_eq(noise_cs_encrypt(&x.tx, NULL, 0, msg, 5, msg, &clen), 0);
    ck_assert_int_eq(pl_channel_write_raw(&x, msg, clen, &e), 0);
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_PROTOCOL);
    pl_channel_close(&x);
    pl_channel_close(&y);
    /* peer closes in the middle of a message */
    channel_pair(&x, &y);
    uint8_t half[10] = {0x01, 0x00, 1, 2, 3};
    ck_assert_int_eq(write(x.fd, half, sizeof half), (ssize_t)sizeof half);
    pl_channel_close(&x);
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_CLOSED);
    pl_channel_close(&y);
    /* silence: the blocking helper gives up */
    channel_pair(&x, &y);
    y.timeout_ms = 100;
    ck_assert_int_eq(pl_channel_recv(&y, &f, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_TIMEOUT);
    pl_channel_close(&x);
    pl_channel_close(&y);
}
END_TEST

typedef struct hs_side {
    pl_channel ch;
    pl_keypair kp;
    int rc;
    pl_error err;
} hs_side;

static void *server_side(void *p)
{
    hs_side *s = p;
    Pipeline__V1__Hello *h = NULL;
    s->rc = pl_handshake_server(&s->ch, s->kp.priv, &h, &s->err);
    if (h)
        pipeline__v1__hello__free_unpacked(h, NULL);
    return NULL;
}

static int refuse_all(const uint8_t key[32], const Pipeline__V1__Hello *hello,
                      void *arg, pl_error *err)
{
    return pl_fail(err, PL_ERR_AUTH, "refused");
}

START_TEST(handshake_over_socketpair)
{
    int sv[2];
    ck_assert_int_eq(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    hs_side srv, cli;
    pl_channel_init(&srv.ch, sv[0], 2000);
    pl_channel_init(&cli.ch, sv[1], 2000);
    pl_key_generate(&srv.kp);
    pl_key_generate(&cli.kp);
    pthread_t t;
    pthread_create(&t, NULL, server_side, &srv);
    Pipeline__V1__Hello *h = NULL;
    /* Loop run 0: the default suite; run 1: AESGCM. */
    int want = _i ? NOISE_CIPHER_AESGCM : NOISE_CIPHER_CHACHAPOLY;
    cli.ch.cipher = _i ? NOISE_CIPHER_AESGCM : 0;
    ck_assert_int_eq(
        pl_handshake_client(&cli.ch, cli.kp.priv, NULL, NULL, &h, &cli.err), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(srv.rc, 0);
    ck_assert_int_eq(cli.ch.cipher, want);
    ck_assert_int_eq(srv.ch.cipher, want);
    ck_assert_int_eq(srv.ch.tx.cipher, want);
    /* the channel's directions hold a backend context each */
    ck_assert_ptr_nonnull(cli.ch.tx.ctx);
    ck_assert_ptr_nonnull(cli.ch.rx.ctx);
    ck_assert_str_eq(h->software, "pipeline " PIPELINE_VERSION);
    ck_assert_uint_eq(h->protocol_version, 1);
    pipeline__v1__hello__free_unpacked(h, NULL);
    ck_assert_mem_eq(cli.ch.remote_key, srv.kp.pub, 32);
    ck_assert_mem_eq(srv.ch.remote_key, cli.kp.pub, 32);
    /* transport keys agree both ways */
    pl_error e;
    pl_frame *f;
    ck_assert_int_eq(pl_channel_send_status(&cli.ch, 0, "%s", "hi"), 0);
    ck_assert_int_eq(pl_channel_recv(&srv.ch, &f, &e), 0);
    ck_assert_str_eq(f->status->message, "hi");
    pl_frame_free(f);
    ck_assert_int_eq(pl_channel_send_status(&srv.ch, 0, "%s", "back"), 0);
    ck_assert_int_eq(pl_channel_recv(&cli.ch, &f, &e), 0);
    ck_assert_str_eq(f->status->message, "back");
    pl_frame_free(f);
    pl_channel_close(&cli.ch);
    pl_channel_close(&srv.ch);

    /* a client that refuses the server key stops before message 3 */
    ck_assert_int_eq(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    pl_channel_init(&srv.ch, sv[0], 500);
    pl_channel_init(&cli.ch, sv[1], 2000);
    pthread_create(&t, NULL, server_side, &srv);
    ck_assert_int_eq(pl_handshake_client(&cli.ch, cli.kp.priv, refuse_all, NULL,
                                         &h, &cli.err),
                     -1);
    ck_assert_int_eq(cli.err.code, PL_ERR_AUTH);
    pl_channel_close(&cli.ch);
    pthread_join(t, NULL);
    ck_assert_int_eq(srv.rc, -1);
    pl_channel_close(&srv.ch);
}
END_TEST

START_TEST(handshake_wrong_protocol_line)
{
    int sv[2];
    ck_assert_int_eq(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    hs_side srv;
    pl_channel cli;
    pl_channel_init(&srv.ch, sv[0], 2000);
    pl_channel_init(&cli, sv[1], 2000);
    pl_key_generate(&srv.kp);
    pthread_t t;
    pthread_create(&t, NULL, server_side, &srv);
    pl_error e;
    const char *line = "pipeline/9 Noise_XX_448_AESGCM_BLAKE2b";
    ck_assert_int_eq(
        pl_channel_write_raw(&cli, (const uint8_t *)line, strlen(line), &e), 0);
    uint8_t buf[1024];
    size_t n;
    ck_assert_int_eq(pl_channel_read_raw(&cli, buf, sizeof buf, &n, &e), 0);
    ck_assert_int_ge(n, 7);
    ck_assert_int_eq(memcmp(buf, "error: ", 7), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(srv.rc, -1);
    ck_assert_int_eq(srv.err.code, PL_ERR_HANDSHAKE);
    pl_channel_close(&cli);
    pl_channel_close(&srv.ch);
}
END_TEST

int main(void)
{
    if (sodium_init() < 0 || !mkdtemp(tmpdir))
        return 1;
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("common");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, address_forms);
    tcase_add_test(tc, config_original_flat_file);
    tcase_add_test(tc, config_groups_and_errors);
    tcase_add_test(tc, keys_files_and_trust);
    tcase_add_test(tc, channel_round_trip);
    tcase_add_test(tc, channel_data_in_place);
    tcase_add_test(tc, channel_rejects_bad_input);
    tcase_add_loop_test(tc, handshake_over_socketpair, 0, 2);
    tcase_add_test(tc, handshake_wrong_protocol_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        failed++;
    return failed ? 1 : 0;
}
