/* Unit tests for the NSM client (CBOR request and answer, the unix-socket
 * seam's framing) and the server's attestation document refresh. A thread
 * here plays the NSM with canned answers. */
#include "attestation.h"
#include "handshake.h"
#include "nsm.h"

#include <cbor.h>
#include <check.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/pl-nsm.XXXXXX";

/* {"Attestation": {"document": doc}} or {"Error": text}, serialized. */
static size_t build_answer(const char *error, const uint8_t *doc, size_t n,
                           uint8_t *buf, size_t cap)
{
    cbor_item_t *outer = cbor_new_definite_map(1);
    if (error) {
        cbor_map_add(outer, (struct cbor_pair){
                                .key = cbor_move(cbor_build_string("Error")),
                                .value = cbor_move(cbor_build_string(error))});
    } else {
        cbor_item_t *inner = cbor_new_definite_map(1);
        cbor_map_add(inner,
                     (struct cbor_pair){
                         .key = cbor_move(cbor_build_string("document")),
                         .value = cbor_move(cbor_build_bytestring(doc, n))});
        cbor_map_add(outer,
                     (struct cbor_pair){
                         .key = cbor_move(cbor_build_string("Attestation")),
                         .value = cbor_move(inner)});
    }
    size_t len = cbor_serialize(outer, buf, cap);
    cbor_decref(&outer);
    return len;
}

START_TEST(request_encoding)
{
    uint8_t key[32], buf[PL_NSM_MAX_REQUEST];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    size_t n;
    pl_error e;
    ck_assert_int_eq(
        pl_nsm_encode_attestation(key, 32, buf, sizeof buf, &n, &e), 0);
    struct cbor_load_result r;
    cbor_item_t *it = cbor_load(buf, n, &r);
    ck_assert_ptr_nonnull(it);
    ck_assert_uint_eq(r.read, n);
    ck_assert(cbor_isa_map(it));
    ck_assert_uint_eq(cbor_map_size(it), 1);
    struct cbor_pair *p = cbor_map_handle(it);
    ck_assert_uint_eq(cbor_string_length(p[0].key), 11);
    ck_assert_mem_eq(cbor_string_handle(p[0].key), "Attestation", 11);
    cbor_item_t *inner = p[0].value;
    ck_assert_uint_eq(cbor_map_size(inner), 3);
    struct cbor_pair *q = cbor_map_handle(inner);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        size_t kl = cbor_string_length(q[i].key);
        const char *k = (const char *)cbor_string_handle(q[i].key);
        if (kl == 10 && memcmp(k, "public_key", 10) == 0) {
            ck_assert(cbor_isa_bytestring(q[i].value));
            ck_assert_uint_eq(cbor_bytestring_length(q[i].value), 32);
            ck_assert_mem_eq(cbor_bytestring_handle(q[i].value), key, 32);
            seen |= 1;
        } else if ((kl == 9 && memcmp(k, "user_data", 9) == 0) ||
                   (kl == 5 && memcmp(k, "nonce", 5) == 0)) {
            ck_assert(cbor_is_null(q[i].value));
            seen |= kl == 9 ? 2 : 4;
        }
    }
    ck_assert_int_eq(seen, 7);
    cbor_decref(&it);
    /* Too small a buffer is an error, not an overflow. */
    ck_assert_int_eq(pl_nsm_encode_attestation(key, 32, buf, 10, &n, &e), -1);
}
END_TEST

START_TEST(answer_decoding)
{
    uint8_t buf[1024], *doc;
    size_t n, dl;
    pl_error e;
    const uint8_t body[] = "a document";
    n = build_answer(NULL, body, sizeof body, buf, sizeof buf);
    ck_assert_int_eq(pl_nsm_decode_attestation(buf, n, &doc, &dl, &e), 0);
    ck_assert_uint_eq(dl, sizeof body);
    ck_assert_mem_eq(doc, body, sizeof body);
    free(doc);
    /* Stray bytes after the item. */
    buf[n] = 0;
    ck_assert_int_eq(pl_nsm_decode_attestation(buf, n + 1, &doc, &dl, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_PROTOCOL);
    /* Truncated. */
    ck_assert_int_eq(pl_nsm_decode_attestation(buf, n - 3, &doc, &dl, &e), -1);
    ck_assert_ptr_null(doc);
    /* The NSM's refusal reaches the user with its reason. */
    n = build_answer("InvalidArgument", NULL, 0, buf, sizeof buf);
    ck_assert_int_eq(pl_nsm_decode_attestation(buf, n, &doc, &dl, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_REMOTE);
    ck_assert_ptr_nonnull(strstr(e.msg, "InvalidArgument"));
    /* Wrong shapes: a text document, an array, an empty document. */
    const uint8_t text_doc[] = {0xa1, 0x6b, 'A', 't', 't',  'e',  's', 't', 'a',
                                't',  'i',  'o', 'n', 0xa1, 0x68, 'd', 'o', 'c',
                                'u',  'm',  'e', 'n', 't',  0x61, 'x'};
    ck_assert_int_eq(
        pl_nsm_decode_attestation(text_doc, sizeof text_doc, &doc, &dl, &e),
        -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "document"));
    const uint8_t arr[] = {0x82, 0x01, 0x02};
    ck_assert_int_eq(pl_nsm_decode_attestation(arr, sizeof arr, &doc, &dl, &e),
                     -1);
    n = build_answer(NULL, body, 0, buf, sizeof buf);
    ck_assert_int_eq(pl_nsm_decode_attestation(buf, n, &doc, &dl, &e), -1);
}
END_TEST

/* A stand-in NSM on a unix socket: answers each connection with the
 * current canned bytes (length-framed unless raw), counting requests. */
typedef struct fake_nsm {
    char path[100];
    int fd;
    pthread_t t;
    pthread_mutex_t lock;
    int requests;
    int fail;      /* answer {"Error": ...} */
    int bad_frame; /* announce a length above the limit */
    int serial;    /* documents differ by this byte */
} fake_nsm;

static void *fake_nsm_run(void *p)
{
    fake_nsm *f = p;
    for (;;) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        uint8_t hdr[4], req[PL_NSM_MAX_REQUEST];
        if (read(c, hdr, 4) != 4) {
            close(c);
            continue;
        }
        size_t n = (size_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
        size_t got = 0;
        while (got < n && n <= sizeof req) {
            ssize_t r = read(c, req + got, n - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        pthread_mutex_lock(&f->lock);
        f->requests++;
        uint8_t doc[64], out[256];
        memset(doc, f->serial, sizeof doc);
        size_t m = build_answer(f->fail ? "InternalError" : NULL, doc,
                                sizeof doc, out, sizeof out);
        uint32_t len = f->bad_frame ? PL_NSM_MAX_RESPONSE + 1 : (uint32_t)m;
        pthread_mutex_unlock(&f->lock);
        uint8_t h[4] = {len >> 24, len >> 16, len >> 8, len};
        if (send(c, h, 4, MSG_NOSIGNAL) != 4 ||
            send(c, out, m, MSG_NOSIGNAL) != (ssize_t)m) {
            /* the client may have given up: nothing to do */
        }
        close(c);
    }
}

static void fake_nsm_start(fake_nsm *f, const char *name)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s/%s", tmpdir, name);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
    ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(f->fd, 8), 0);
    pthread_create(&f->t, NULL, fake_nsm_run, f);
}

static void fake_nsm_stop(fake_nsm *f)
{
    shutdown(f->fd, SHUT_RDWR);
    close(f->fd);
    pthread_join(f->t, NULL);
    unlink(f->path);
}

START_TEST(socket_seam)
{
    fake_nsm f;
    fake_nsm_start(&f, "nsm1.sock");
    uint8_t key[32] = {1}, *doc;
    size_t n;
    pl_error e;
    f.serial = 7;
    ck_assert_int_eq(pl_nsm_attest(f.path, key, 32, &doc, &n, &e), 0);
    ck_assert_uint_eq(n, 64);
    ck_assert_uint_eq(doc[0], 7);
    free(doc);
    f.fail = 1;
    ck_assert_int_eq(pl_nsm_attest(f.path, key, 32, &doc, &n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "InternalError"));
    f.fail = 0;
    f.bad_frame = 1;
    ck_assert_int_eq(pl_nsm_attest(f.path, key, 32, &doc, &n, &e), -1);
    ck_assert_int_eq(e.code, PL_ERR_PROTOCOL);
    fake_nsm_stop(&f);
    /* A device that is neither a socket nor a character device, and one
     * that does not exist. */
    char reg[256];
    snprintf(reg, sizeof reg, "%s/regular", tmpdir);
    FILE *fp = fopen(reg, "w");
    fclose(fp);
    ck_assert_int_eq(pl_nsm_attest(reg, key, 32, &doc, &n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "neither"));
    ck_assert_int_eq(pl_nsm_attest("/nonexistent/nsm", key, 32, &doc, &n, &e),
                     -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/nsm"));
    /* A character device that is not the NSM: the ioctl is refused. */
    ck_assert_int_eq(pl_nsm_attest("/dev/null", key, 32, &doc, &n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/dev/null"));
}
END_TEST

static int requests(fake_nsm *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->requests;
    pthread_mutex_unlock(&f->lock);
    return n;
}

START_TEST(refresh_keeps_old_document_on_failure)
{
    fake_nsm f;
    fake_nsm_start(&f, "nsm2.sock");
    f.serial = 1;
    pl_attestation a;
    pl_error e;
    uint8_t key[32] = {9};
    ck_assert_int_eq(pl_attestation_start(&a, f.path, key, 1, &e), 0);
    pl_attest_doc *d = pl_attestation_get(&a);
    ck_assert_uint_eq(d->data[0], 1);
    /* A handshake holding the old document keeps it valid across a
     * refresh. */
    pthread_mutex_lock(&f.lock);
    f.serial = 2;
    pthread_mutex_unlock(&f.lock);
    for (int i = 0; i < 100 && requests(&f) < 2; i++)
        usleep(50000);
    ck_assert_int_ge(requests(&f), 2);
    pl_attest_doc *d2 = NULL;
    for (int i = 0; i < 100; i++) {
        d2 = pl_attestation_get(&a);
        if (d2->data[0] == 2)
            break;
        pl_attestation_put(&a, d2);
        d2 = NULL;
        usleep(20000);
    }
    ck_assert_ptr_nonnull(d2);
    ck_assert_uint_eq(d->data[0], 1); /* still readable */
    pl_attestation_put(&a, d);
    pl_attestation_put(&a, d2);
    /* Failures keep serving the last good document. */
    pthread_mutex_lock(&f.lock);
    f.fail = 1;
    f.serial = 3;
    int before = f.requests;
    pthread_mutex_unlock(&f.lock);
    for (int i = 0; i < 100 && requests(&f) < before + 2; i++)
        usleep(50000);
    ck_assert_int_ge(requests(&f), before + 2);
    d = pl_attestation_get(&a);
    ck_assert_uint_eq(d->data[0], 2);
    pl_attestation_put(&a, d);
    /* On demand. */
    pthread_mutex_lock(&f.lock);
    f.fail = 0;
    f.serial = 4;
    pthread_mutex_unlock(&f.lock);
    ck_assert_int_eq(pl_attestation_refresh(&a, &e), 0);
    d = pl_attestation_get(&a);
    ck_assert_uint_eq(d->data[0], 4);
    pl_attestation_put(&a, d);
    pl_attestation_stop(&a);
    /* No NSM at start: the server cannot start attested. */
    fake_nsm_stop(&f);
    ck_assert_int_eq(pl_attestation_start(&a, f.path, key, 1, &e), -1);
    pl_attestation_stop(&a);
}
END_TEST

/* The server's document reaches the client's check in message 2, before
 * the client sends message 3. */
typedef struct hs_side {
    pl_channel ch;
    uint8_t priv[32];
    int rc;
    pl_error err;
} hs_side;

static void *serve_attested(void *p)
{
    hs_side *s = p;
    Pipeline__V1__Hello *h = NULL;
    static const uint8_t doc[5000] = {0x42};
    s->rc = pl_handshake_server_attested(&s->ch, s->priv, doc, sizeof doc, &h,
                                         &s->err);
    if (h)
        pipeline__v1__hello__free_unpacked(h, NULL);
    return NULL;
}

static int saw_len;
static int look_at_hello(const uint8_t key[32], const Pipeline__V1__Hello *h,
                         void *arg, pl_error *err)
{
    saw_len = (int)h->attestation_document.len;
    return h->attestation_document.data[0] == 0x42
               ? 0
               : pl_fail(err, PL_ERR_AUTH, "wrong document");
}

START_TEST(hello_carries_document)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    hs_side srv = {0}, cli = {0};
    srv.priv[0] = 1;
    cli.priv[0] = 2;
    pl_channel_init(&srv.ch, sv[0], 5000);
    pl_channel_init(&cli.ch, sv[1], 5000);
    pthread_t t;
    pthread_create(&t, NULL, serve_attested, &srv);
    Pipeline__V1__Hello *h = NULL;
    ck_assert_int_eq(pl_handshake_client(&cli.ch, cli.priv, look_at_hello, NULL,
                                         &h, &cli.err),
                     0);
    pthread_join(t, NULL);
    ck_assert_int_eq(srv.rc, 0);
    ck_assert_int_eq(saw_len, 5000);
    pipeline__v1__hello__free_unpacked(h, NULL);
    pl_channel_close(&srv.ch);
    pl_channel_close(&cli.ch);
}
END_TEST

int main(void)
{
    if (sodium_init() < 0 || !mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("nsm");
    TCase *tc = tcase_create("nsm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, request_encoding);
    tcase_add_test(tc, answer_decoding);
    tcase_add_test(tc, socket_seam);
    tcase_add_test(tc, refresh_keeps_old_document_on_failure);
    tcase_add_test(tc, hello_carries_document);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed ? 1 : 0;
}
