/*
 * Hostile peers for the file calls, with hand-built frames: a client that
 * sends crafted PutDir entries ("../escape", absolute names, writes through
 * planted symlinks), lies about lengths and digests, breaks the protocol
 * mid-call or vanishes; and a fake server that sends crafted GetDir
 * entries to the real client library. The real server runs in a thread on
 * a unix socket in a temporary directory; every case runs with openat2 and
 * with the fallback resolver (PIPELINE_NO_OPENAT2=1).
 */
#include "beneath.h"
#include "client.h"
#include "dirstream.h"
#include "files.h"
#include "handshake.h"
#include "server.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_STREAM PIPELINE__V1__STREAM_ID__STREAM_FILE
#define DIR_STREAM PIPELINE__V1__STREAM_ID__STREAM_DIR
#define E_FILE PIPELINE__V1__ENTRY_TYPE__ENTRY_FILE
#define E_DIR PIPELINE__V1__ENTRY_TYPE__ENTRY_DIR
#define E_LINK PIPELINE__V1__ENTRY_TYPE__ENTRY_SYMLINK

static char top[256];                 /* the test's temporary directory */
static const char *top_base = "/tmp"; /* where it is made */
/* Each test's server runs until the process ends (check forks a process
 * per test); its state is on the heap so tests may also run unforked. */
static void *serve(void *arg)
{
    pl_error err;
    pl_server_run(arg, &err);
    return NULL;
}

static const char *at(const char *rel)
{
    static char buf[4][PATH_MAX];
    static int i;
    i = (i + 1) % 4;
    if ((size_t)snprintf(buf[i], sizeof buf[i], "%s/%s", top, rel) >=
        sizeof buf[i])
        abort();
    return buf[i];
}

static int exists(const char *rel)
{
    struct stat st;
    return lstat(at(rel), &st) == 0;
}

static void make_dir(const char *rel)
{
    ck_assert_int_eq(mkdir(at(rel), 0755), 0);
}

static void write_file(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int file_is(const char *rel, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(at(rel), "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

/* No ".incomplete" file anywhere under rel. */
static int no_temporaries(const char *rel)
{
    char cmd[PATH_MAX + 100];
    snprintf(cmd, sizeof cmd,
             "test -z \"$(find '%s' -name '*.incomplete' 2>/dev/null)\"",
             at(rel));
    return system(cmd) == 0;
}

/* Starts a server with an optional root ("" for none). */
static void start_server(const char *root, int read_only)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(top, sizeof top, "%s/pl-hostile.XXXXXX", top_base);
    ck_assert_ptr_nonnull(mkdtemp(top));
    pl_error err;
    pl_config *cfg = calloc(1, sizeof *cfg);
    pl_server *srv = calloc(1, sizeof *srv);
    ck_assert(cfg && srv);
    ck_assert_int_eq(pl_config_load(cfg, at("none.conf"), 0, &err), 0);
    if (root) {
        make_dir(root);
        pl_config_set(&cfg->root, at(root));
    }
    cfg->read_only = read_only;
    char text[PATH_MAX + 10];
    snprintf(text, sizeof text, "unix:%s", at("s.sock"));
    pl_address a;
    ck_assert_int_eq(pl_address_parse(text, &a, &err), 0);
    pl_keypair kp;
    pl_key_generate(&kp);
    ck_assert_msg(pl_server_open(srv, &a, &kp, cfg, &err) == 0, "%s", err.msg);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, serve, srv), 0);
    pthread_detach(t);
}

static void cleanup(void)
{
    char cmd[PATH_MAX + 20];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
}

static pl_client *connect_client_within(int io_timeout_ms)
{
    pl_client_opts *o = pl_client_opts_new();
    ck_assert_ptr_nonnull(o);
    pl_error err;
    char text[PATH_MAX + 10];
    snprintf(text, sizeof text, "unix:%s", at("s.sock"));
    ck_assert_int_eq(pl_client_opts_set_address(o, text, &err), 0);
    pl_client_opts_set_connect_timeout(o, 5000);
    pl_client_opts_set_io_timeout(o, io_timeout_ms);
    pl_client *c = NULL;
    ck_assert_msg(pl_client_connect(&c, o, &err) == 0, "%s", err.msg);
    pl_client_opts_free(o);
    return c;
}

static pl_client *connect_client(void)
{
    return connect_client_within(5000);
}

/* ---- hand-built frames ---- */

static void send_frame(pl_client *c, pl_frame *f)
{
    pl_error err;
    ck_assert_msg(pl_channel_send(&c->ch, f, &err) == 0, "%s", err.msg);
}

/* mtime may be NULL (no time given). */
static void put_file_full(pl_client *c, const char *path, size_t len,
                          int checksum, Pipeline__V1__FileTime *mtime)
{
    Pipeline__V1__PutFileRequest r = PIPELINE__V1__PUT_FILE_REQUEST__INIT;
    r.path.data = (uint8_t *)path;
    r.path.len = len;
    r.mode = 0644;
    r.checksum = checksum;
    r.mtime = mtime;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PUT_FILE;
    f.put_file = &r;
    send_frame(c, &f);
}

static void put_file_req(pl_client *c, const char *path, size_t len,
                         int checksum)
{
    put_file_full(c, path, len, checksum, NULL);
}

/* mtime may be NULL (no time given). */
static void put_dir_req_time(pl_client *c, const char *path,
                             Pipeline__V1__FileTime *mtime)
{
    Pipeline__V1__PutDirRequest r = PIPELINE__V1__PUT_DIR_REQUEST__INIT;
    r.path.data = (uint8_t *)path;
    r.path.len = strlen(path);
    r.mode = 0755;
    r.mtime = mtime;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PUT_DIR;
    f.put_dir = &r;
    send_frame(c, &f);
}

static void put_dir_req(pl_client *c, const char *path)
{
    put_dir_req_time(c, path, NULL);
}

static void get_file_req(pl_client *c, const char *path)
{
    Pipeline__V1__GetFileRequest r = PIPELINE__V1__GET_FILE_REQUEST__INIT;
    r.path.data = (uint8_t *)path;
    r.path.len = strlen(path);
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_GET_FILE;
    f.get_file = &r;
    send_frame(c, &f);
}

static int try_entry_time(pl_channel *ch, const char *name, int type,
                          const char *target, Pipeline__V1__FileTime *mtime)
{
    Pipeline__V1__DirEntry e = PIPELINE__V1__DIR_ENTRY__INIT;
    e.mtime = mtime;
    e.name.data = (uint8_t *)name;
    e.name.len = strlen(name);
    e.type = type;
    e.mode = type == E_DIR ? 0755 : 0644;
    if (target) {
        e.link_target.data = (uint8_t *)target;
        e.link_target.len = strlen(target);
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_DIR_ENTRY;
    f.dir_entry = &e;
    pl_error err;
    return pl_channel_send(ch, &f, &err);
}

static int try_entry(pl_channel *ch, const char *name, int type,
                     const char *target)
{
    return try_entry_time(ch, name, type, target, NULL);
}

static int try_data(pl_channel *ch, const char *text)
{
    pl_error err;
    return pl_channel_send_data(ch, FILE_STREAM, (const uint8_t *)text,
                                strlen(text), &err);
}

static int try_end(pl_channel *ch, int stream, uint64_t total,
                   const uint8_t *sha)
{
    Pipeline__V1__EndOfStream e = PIPELINE__V1__END_OF_STREAM__INIT;
    e.stream = stream;
    e.total_length = total;
    if (sha) {
        e.sha256.data = (uint8_t *)sha;
        e.sha256.len = 32;
    }
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_END;
    f.end = &e;
    pl_error err;
    return pl_channel_send(ch, &f, &err);
}

static void entry(pl_channel *ch, const char *name, int type,
                  const char *target)
{
    ck_assert_int_eq(try_entry(ch, name, type, target), 0);
}

static void data(pl_channel *ch, const char *text)
{
    ck_assert_int_eq(try_data(ch, text), 0);
}

static void end(pl_channel *ch, int stream, uint64_t total, const uint8_t *sha)
{
    ck_assert_int_eq(try_end(ch, stream, total, sha), 0);
}

/* A whole file entry: DirEntry, Data, EndOfStream. */
static void file_entry(pl_channel *ch, const char *name, const char *text)
{
    entry(ch, name, E_FILE, NULL);
    data(ch, text);
    end(ch, FILE_STREAM, strlen(text), NULL);
}

/* The next frame must be a Status with this code; returns its message. */
static char *expect_status(pl_client *c, int code)
{
    static char msg[1024];
    pl_frame *f = NULL;
    pl_error err;
    ck_assert_msg(pl_channel_recv(&c->ch, &f, &err) == 0, "%s", err.msg);
    ck_assert_msg(f->body_case == PIPELINE__V1__FRAME__BODY_STATUS,
                  "expected a Status, got %s", pl_frame_name(f->body_case));
    ck_assert_msg((int)f->status->code == code, "code %d, expected %d: %s",
                  (int)f->status->code, code, f->status->message);
    snprintf(msg, sizeof msg, "%s", f->status->message);
    pl_frame_free(f);
    return msg;
}

static void expect_result(pl_client *c)
{
    pl_frame *f = NULL;
    pl_error err;
    ck_assert_int_eq(pl_channel_recv(&c->ch, &f, &err), 0);
    ck_assert_msg(
        f->body_case == PIPELINE__V1__FRAME__BODY_TRANSFER_RESULT,
        "expected a TransferResult, got %s: %s", pl_frame_name(f->body_case),
        f->body_case == PIPELINE__V1__FRAME__BODY_STATUS ? f->status->message
                                                         : "");
    pl_frame_free(f);
}

/* The connection still carries calls. */
static void still_usable(pl_client *c)
{
    pl_error err;
    ck_assert_msg(pl_client_ping(c, NULL, &err) == 0, "%s", err.msg);
}

static void with_fallback(int on)
{
    if (on)
        setenv("PIPELINE_NO_OPENAT2", "1", 1);
    else
        unsetenv("PIPELINE_NO_OPENAT2");
}

/* ---- PutDir: names ---- */

/* One PutDir with a good entry, the bad one and another good one: the
 * call fails at the bad one and the connection stays usable. */
static void refuse_name(pl_client *c, const char *bad)
{
    put_dir_req(c, at("target"));
    entry(&c->ch, "ok", E_DIR, NULL);
    file_entry(&c->ch, bad, "pwned\n");
    entry(&c->ch, "later", E_DIR, NULL);
    end(&c->ch, DIR_STREAM, 3, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert_msg(strstr(msg, "refusing entry"), "%s", msg);
    ck_assert(exists("target/ok"));
    ck_assert(!exists("target/later"));
    ck_assert(!exists("escape"));
    ck_assert(!exists("outside/escape"));
    ck_assert(!exists("target/x"));
    ck_assert(no_temporaries(""));
    still_usable(c);
}

START_TEST(putdir_refuses_bad_names)
{
    with_fallback(_i);
    start_server(NULL, 0);
    make_dir("outside");
    pl_client *c = connect_client();
    refuse_name(c, "../escape");
    refuse_name(c, "ok/../../outside/escape");
    refuse_name(c, "..");
    refuse_name(c, "ok//x");
    refuse_name(c, "./x");
    refuse_name(c, "ok/./x");
    refuse_name(c, "ok/");
    refuse_name(c, "");
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putdir_refuses_absolute)
{
    with_fallback(_i);
    start_server(NULL, 0);
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s", at("escape"));
    pl_client *c = connect_client();
    put_dir_req(c, at("target"));
    file_entry(&c->ch, name, "pwned\n");
    end(&c->ch, DIR_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert(!exists("escape"));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- PutDir: planted symlinks ---- */

START_TEST(putdir_planted_symlink_cannot_redirect)
{
    with_fallback(_i);
    start_server(NULL, 0);
    make_dir("outside");
    write_file("outside/keep", "original\n");
    make_dir("target");
    ck_assert_int_eq(symlink(at("outside"), at("target/abs")), 0);
    ck_assert_int_eq(symlink("../outside", at("target/rel")), 0);
    ck_assert_int_eq(symlink(at("outside/keep"), at("target/file")), 0);
    pl_client *c = connect_client();

    /* Through an absolute symlink to a directory outside. */
    put_dir_req(c, at("target"));
    file_entry(&c->ch, "abs/pwn", "pwned\n");
    end(&c->ch, DIR_STREAM, 1, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert_msg(strstr(msg, "symbolic link"), "%s", msg);
    ck_assert(!exists("outside/pwn"));

    /* Through a relative one. */
    put_dir_req(c, at("target"));
    file_entry(&c->ch, "rel/pwn", "pwned\n");
    end(&c->ch, DIR_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert(!exists("outside/pwn"));

    /* A directory entry through it. */
    put_dir_req(c, at("target"));
    entry(&c->ch, "abs/sub", E_DIR, NULL);
    end(&c->ch, DIR_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert(!exists("outside/sub"));

    /* A file over a symlink to a file outside replaces the link. */
    put_dir_req(c, at("target"));
    file_entry(&c->ch, "file", "new\n");
    end(&c->ch, DIR_STREAM, 1, NULL);
    expect_result(c);
    ck_assert(file_is("outside/keep", "original\n"));
    ck_assert(file_is("target/file", "new\n"));
    struct stat st;
    ck_assert_int_eq(lstat(at("target/file"), &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert(no_temporaries(""));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putdir_own_symlink_cannot_redirect)
{
    with_fallback(_i);
    start_server(NULL, 0);
    make_dir("outside");
    pl_client *c = connect_client();
    put_dir_req(c, at("target"));
    entry(&c->ch, "evil", E_LINK, at("outside"));
    file_entry(&c->ch, "evil/pwn", "pwned\n");
    end(&c->ch, DIR_STREAM, 2, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert(!exists("outside/pwn"));
    /* The link itself is stored as is, never followed. */
    char buf[PATH_MAX];
    ssize_t n = readlink(at("target/evil"), buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, at("outside"));

    /* A directory entry over the link is refused too. */
    put_dir_req(c, at("target"));
    entry(&c->ch, "evil", E_DIR, NULL);
    entry(&c->ch, "evil/x", E_DIR, NULL);
    end(&c->ch, DIR_STREAM, 2, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_FAILED_PRECONDITION);
    ck_assert(!exists("outside/x"));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- PutFile: lies and broken calls ---- */

START_TEST(putfile_wrong_length)
{
    start_server(NULL, 0);
    write_file("dest", "old\n");
    pl_client *c = connect_client();
    put_file_req(c, at("dest"), strlen(at("dest")), 0);
    data(&c->ch, "new contents\n");
    end(&c->ch, FILE_STREAM, 14, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_DATA_LOSS);
    ck_assert_msg(strstr(msg, "incomplete"), "%s", msg);
    ck_assert(file_is("dest", "old\n"));
    ck_assert(no_temporaries(""));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putfile_wrong_digest)
{
    start_server(NULL, 0);
    write_file("dest", "old\n");
    pl_client *c = connect_client();
    uint8_t sha[32];
    crypto_hash_sha256(sha, (const uint8_t *)"something else", 14);
    put_file_req(c, at("dest"), strlen(at("dest")), 1);
    data(&c->ch, "new\n");
    end(&c->ch, FILE_STREAM, 4, sha);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_DATA_LOSS);
    ck_assert_msg(strstr(msg, "SHA-256"), "%s", msg);
    ck_assert(file_is("dest", "old\n"));
    ck_assert(no_temporaries(""));
    /* The right digest is accepted and echoed. */
    crypto_hash_sha256(sha, (const uint8_t *)"new\n", 4);
    put_file_req(c, at("dest"), strlen(at("dest")), 1);
    data(&c->ch, "new\n");
    end(&c->ch, FILE_STREAM, 4, sha);
    pl_frame *f = NULL;
    pl_error err;
    ck_assert_int_eq(pl_channel_recv(&c->ch, &f, &err), 0);
    ck_assert_int_eq(f->body_case, PIPELINE__V1__FRAME__BODY_TRANSFER_RESULT);
    ck_assert_int_eq(f->transfer_result->sha256.len, 32);
    ck_assert_int_eq(memcmp(f->transfer_result->sha256.data, sha, 32), 0);
    pl_frame_free(f);
    ck_assert(file_is("dest", "new\n"));
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putfile_nul_in_path)
{
    start_server(NULL, 0);
    pl_client *c = connect_client();
    char path[PATH_MAX + 8];
    size_t n = (size_t)snprintf(path, sizeof path, "%s", at("a"));
    memcpy(path + n, "\0b", 2);
    put_file_req(c, path, n + 2, 0);
    data(&c->ch, "x");
    end(&c->ch, FILE_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert(!exists("a"));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putfile_unexpected_frame_closes)
{
    start_server(NULL, 0);
    pl_client *c = connect_client();
    put_file_req(c, at("dest"), strlen(at("dest")), 0);
    data(&c->ch, "partial");
    Pipeline__V1__PingRequest p = PIPELINE__V1__PING_REQUEST__INIT;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_PING;
    f.ping = &p;
    send_frame(c, &f);
    expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    pl_frame *g = NULL;
    pl_error err;
    ck_assert_int_eq(pl_channel_recv(&c->ch, &g, &err), -1);
    ck_assert_int_eq(err.code, PL_ERR_CLOSED);
    ck_assert(!exists("dest"));
    ck_assert(no_temporaries(""));
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- PutDir: delayed modes ---- */

static int mode_at(const char *rel)
{
    struct stat st;
    return lstat(at(rel), &st) ? -1 : (int)(st.st_mode & 07777);
}

static void dir_entry_mode(pl_channel *ch, const char *name, uint32_t mode)
{
    Pipeline__V1__DirEntry e = PIPELINE__V1__DIR_ENTRY__INIT;
    e.name.data = (uint8_t *)name;
    e.name.len = strlen(name);
    e.type = E_DIR;
    e.mode = mode;
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_DIR_ENTRY;
    f.dir_entry = &e;
    pl_error err;
    ck_assert_msg(pl_channel_send(ch, &f, &err) == 0, "%s", err.msg);
}

/* One directory more than a receiver remembers delayed modes for: the
 * call fails with RESOURCE_EXHAUSTED, the one over the limit is not made,
 * and every one made has its mode (none is left at 0700). */
START_TEST(putdir_delayed_mode_limit)
{
    /* Each directory costs the server an fsync or two, twice: in memory
     * (where there is such a file system) those cost nothing. */
    struct stat shm;
    if (stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        top_base = "/dev/shm";
    start_server(NULL, 0);
    top_base = "/tmp";
    /* And on a busy disk the server may fall seconds behind the client. */
    pl_client *c = connect_client_within(50000);
    put_dir_req(c, at("target"));
    char name[32];
    for (int i = 0; i <= PL_DIR_MAX_DELAYED; i++) {
        snprintf(name, sizeof name, "d%d", i);
        dir_entry_mode(&c->ch, name, 0500);
    }
    end(&c->ch, DIR_STREAM, PL_DIR_MAX_DELAYED + 1, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_RESOURCE_EXHAUSTED);
    ck_assert_msg(strstr(msg, "without write permission"), "%s", msg);
    ck_assert_int_eq(mode_at("target"), 0755);
    for (int i = 0; i < PL_DIR_MAX_DELAYED; i++) {
        snprintf(name, sizeof name, "target/d%d", i);
        ck_assert_msg(mode_at(name) == 0500, "%s: mode %o", name,
                      mode_at(name));
    }
    snprintf(name, sizeof name, "target/d%d", PL_DIR_MAX_DELAYED);
    ck_assert_msg(!exists(name), "%s was made", name);
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(putfile_client_vanishes)
{
    start_server(NULL, 0);
    write_file("dest", "old\n");
    pl_client *c = connect_client();
    put_file_req(c, at("dest"), strlen(at("dest")), 0);
    data(&c->ch, "half of the new file");
    /* The temporary exists while the transfer is under way... */
    int seen = 0;
    for (int i = 0; i < 200 && !seen; i++) {
        seen = !no_temporaries("");
        if (!seen)
            usleep(10000);
    }
    ck_assert(seen);
    pl_client_close(c);
    /* ...and goes once the server notices the client is gone. */
    int gone = 0;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = no_temporaries("");
        if (!gone)
            usleep(10000);
    }
    ck_assert(gone);
    ck_assert(file_is("dest", "old\n"));
    cleanup();
}
END_TEST

START_TEST(putfile_read_only_answers_early)
{
    start_server(NULL, 1);
    pl_client *c = connect_client();
    put_file_req(c, at("dest"), strlen(at("dest")), 0);
    /* The refusal comes before we finished: nothing else was sent. */
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert_msg(strstr(msg, "read-only"), "%s", msg);
    data(&c->ch, "ignored");
    end(&c->ch, FILE_STREAM, 7, NULL);
    still_usable(c);
    ck_assert(!exists("dest"));
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- modification times ---- */

static Pipeline__V1__FileTime *ftime(Pipeline__V1__FileTime *ft, int64_t sec,
                                     uint32_t nsec)
{
    pipeline__v1__file_time__init(ft);
    ft->sec = sec;
    ft->nsec = nsec;
    return ft;
}

static void put_file_time(pl_client *c, const char *path,
                          Pipeline__V1__FileTime *mtime)
{
    put_file_full(c, path, strlen(path), 0, mtime);
}

/* rel's modification time is sec.nsec. */
static int time_is(const char *rel, int64_t sec, long nsec)
{
    struct stat st;
    return lstat(at(rel), &st) == 0 && st.st_mtim.tv_sec == sec &&
           st.st_mtim.tv_nsec == nsec;
}

START_TEST(times_putfile)
{
    start_server(NULL, 0);
    write_file("dest", "old\n");
    pl_client *c = connect_client();
    Pipeline__V1__FileTime ft;
    /* A second's worth of nanoseconds or more is nonsense: refused before
     * anything is written. */
    put_file_time(c, at("dest"), ftime(&ft, 981173106, 1000000000u));
    data(&c->ch, "new\n");
    end(&c->ch, FILE_STREAM, 4, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert_msg(strstr(msg, "invalid modification time"), "%s", msg);
    ck_assert(file_is("dest", "old\n"));
    ck_assert(no_temporaries(""));
    still_usable(c);
    put_file_time(c, at("dest"), ftime(&ft, 981173106, UINT32_MAX));
    end(&c->ch, FILE_STREAM, 0, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert(file_is("dest", "old\n"));
    /* A good one is set, to the nanosecond, before the rename. */
    put_file_time(c, at("dest"), ftime(&ft, 981173106, 123456789));
    data(&c->ch, "new\n");
    end(&c->ch, FILE_STREAM, 4, NULL);
    expect_result(c);
    ck_assert(file_is("dest", "new\n"));
    ck_assert(time_is("dest", 981173106, 123456789));
    /* Before 1970 too. */
    put_file_time(c, at("dest"), ftime(&ft, -1, 5));
    end(&c->ch, FILE_STREAM, 0, NULL);
    expect_result(c);
    ck_assert(time_is("dest", -1, 5));
    /* No time given (an older client, or no -p): the time it was written. */
    time_t before = time(NULL);
    put_file_time(c, at("dest"), NULL);
    end(&c->ch, FILE_STREAM, 0, NULL);
    expect_result(c);
    struct stat st;
    ck_assert_int_eq(stat(at("dest"), &st), 0);
    ck_assert_int_ge(st.st_mtim.tv_sec, before - 1);
    pl_client_close(c);
    cleanup();
}
END_TEST

/* The server says it keeps times; a client asked to keep them refuses a
 * server that does not (an older one would drop them silently). */
START_TEST(times_need_the_feature)
{
    start_server(NULL, 0);
    write_file("src", "x\n");
    pl_client *c = connect_client();
    ck_assert_int_eq(c->server_times, 1);
    c->server_times = 0; /* as if the server predated -p */
    pl_transfer_opts o = {.keep_times = 1};
    pl_transfer_result r;
    pl_error err;
    ck_assert_int_eq(pl_client_put_file(c, at("src"), at("dst"), &o, &r, &err),
                     -1);
    ck_assert_msg(err.code == PL_ERR_REMOTE &&
                      err.status == PIPELINE__V1__CODE__CODE_UNIMPLEMENTED &&
                      strstr(err.msg, "cannot keep modification times"),
                  "%d %s", err.code, err.msg);
    ck_assert_int_eq(pl_client_get_file(c, at("src"), at("got"), &o, &r, &err),
                     -1);
    ck_assert_int_eq(pl_client_put_dir(c, top, at("dirup"), &o, &r, &err), -1);
    ck_assert_int_eq(
        pl_client_get_dir(c, at("src"), at("dirdown"), &o, &r, &err), -1);
    ck_assert(!exists("dst") && !exists("got"));
    ck_assert(!exists("dirup") && !exists("dirdown"));
    /* Without keep_times the same server is fine. */
    o.keep_times = 0;
    ck_assert_int_eq(pl_client_put_file(c, at("src"), at("dst"), &o, &r, &err),
                     0);
    ck_assert(file_is("dst", "x\n"));
    pl_client_close(c);
    cleanup();
}
END_TEST

START_TEST(times_putdir)
{
    start_server(NULL, 0);
    pl_client *c = connect_client();
    Pipeline__V1__FileTime t[7];
    /* Depth first, as senders go: every directory gets its time once its
     * last entry arrived, the top one at the end. */
    put_dir_req_time(c, at("target"), ftime(&t[0], 1000000000, 1));
    ck_assert_int_eq(
        try_entry_time(&c->ch, "d", E_DIR, NULL, ftime(&t[1], 1000000001, 2)),
        0);
    ck_assert_int_eq(try_entry_time(&c->ch, "d/f", E_FILE, NULL,
                                    ftime(&t[2], 1000000002, 3)),
                     0);
    data(&c->ch, "f\n");
    end(&c->ch, FILE_STREAM, 2, NULL);
    ck_assert_int_eq(
        try_entry_time(&c->ch, "d/e", E_DIR, NULL, ftime(&t[3], 1000000003, 4)),
        0);
    ck_assert_int_eq(try_entry_time(&c->ch, "d/e/l", E_LINK, "../f",
                                    ftime(&t[4], 1000000004, 5)),
                     0);
    ck_assert_int_eq(
        try_entry_time(&c->ch, "d2", E_DIR, NULL, ftime(&t[5], 1000000005, 6)),
        0);
    ck_assert_int_eq(
        try_entry_time(&c->ch, "x", E_FILE, NULL, ftime(&t[6], 1000000006, 7)),
        0);
    end(&c->ch, FILE_STREAM, 0, NULL);
    end(&c->ch, DIR_STREAM, 6, NULL);
    expect_result(c);
    ck_assert(time_is("target", 1000000000, 1));
    ck_assert(time_is("target/d", 1000000001, 2));
    ck_assert(time_is("target/d/f", 1000000002, 3));
    ck_assert(time_is("target/d/e", 1000000003, 4));
    ck_assert(time_is("target/d/e/l", 1000000004, 5));
    ck_assert(time_is("target/d2", 1000000005, 6));
    ck_assert(time_is("target/x", 1000000006, 7));
    /* A bad time in an entry ends the call before the entry is made. */
    put_dir_req(c, at("target2"));
    entry(&c->ch, "ok", E_DIR, NULL);
    ck_assert_int_eq(try_entry_time(&c->ch, "bad", E_DIR, NULL,
                                    ftime(&t[1], 1, 2000000000u)),
                     0);
    file_entry(&c->ch, "later", "x\n");
    end(&c->ch, DIR_STREAM, 3, NULL);
    char *msg = expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert_msg(strstr(msg, "invalid modification time"), "%s", msg);
    ck_assert(exists("target2/ok"));
    ck_assert(!exists("target2/bad"));
    ck_assert(!exists("target2/later"));
    still_usable(c);
    /* So does a bad time for the top directory, before it is made. */
    put_dir_req_time(c, at("target3"), ftime(&t[0], 1, 1000000000u));
    file_entry(&c->ch, "f", "x\n");
    end(&c->ch, DIR_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_INVALID_ARGUMENT);
    ck_assert(!exists("target3"));
    still_usable(c);
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- root ---- */

START_TEST(root_refuses_escapes)
{
    with_fallback(_i);
    start_server("root", 0);
    write_file("secret", "secret\n");
    make_dir("root/sub");
    write_file("root/sub/inside", "inside\n");
    ck_assert_int_eq(symlink(top, at("root/abs")), 0);
    ck_assert_int_eq(symlink("..", at("root/rel")), 0);
    ck_assert_int_eq(symlink("../secret", at("root/file")), 0);
    pl_client *c = connect_client();

    get_file_req(c, "../secret");
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    get_file_req(c, "sub/../../secret");
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    get_file_req(c, "abs/secret");
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    get_file_req(c, "rel/secret");
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    get_file_req(c, "file");
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    /* Absolute paths are taken relative to the root. */
    get_file_req(c, "/etc/passwd");
    expect_status(c, PIPELINE__V1__CODE__CODE_NOT_FOUND);

    /* Writes: refused, and the call drains cleanly. */
    put_file_req(c, "../pwn", 6, 0);
    data(&c->ch, "x");
    end(&c->ch, FILE_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    put_file_req(c, "abs/pwn", 7, 0);
    data(&c->ch, "x");
    end(&c->ch, FILE_STREAM, 1, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert(!exists("pwn"));
    put_dir_req(c, "rel/tree");
    end(&c->ch, DIR_STREAM, 0, NULL);
    expect_status(c, PIPELINE__V1__CODE__CODE_PERMISSION_DENIED);
    ck_assert(!exists("tree"));

    /* Inside the root everything works, "/sub/inside" included. */
    pl_transfer_result r;
    pl_error err;
    char local[PATH_MAX];
    snprintf(local, sizeof local, "%s", at("got"));
    ck_assert_msg(pl_client_get_file(c, "/sub/inside", local, NULL, &r, &err) ==
                      0,
                  "%s", err.msg);
    ck_assert(file_is("got", "inside\n"));
    pl_client_close(c);
    cleanup();
}
END_TEST

/* ---- GetDir: a hostile server ---- */

typedef struct fake {
    int lfd;
    const char *bad; /* the entry name the fake server sends */
    int header;      /* answer a GetFile: a FileHeader with a bad time */
} fake;

/* A GetFile answer whose header has a nonsense time. */
static void bad_header(pl_channel *ch)
{
    Pipeline__V1__FileTime ft;
    Pipeline__V1__FileHeader h = PIPELINE__V1__FILE_HEADER__INIT;
    h.mode = 0644;
    h.mtime = ftime(&ft, 1, 1000000000u);
    pl_frame f = PIPELINE__V1__FRAME__INIT;
    f.body_case = PIPELINE__V1__FRAME__BODY_FILE_HEADER;
    f.file_header = &h;
    pl_error err;
    if (pl_channel_send(ch, &f, &err) == 0 && try_data(ch, "pwned\n") == 0)
        try_end(ch, FILE_STREAM, 6, NULL);
}

static void *fake_server(void *arg)
{
    fake *fk = arg;
    int fd = pl_transport_accept(fk->lfd, (char[64]){0}, 64);
    if (fd < 0)
        return NULL;
    pl_channel ch;
    pl_channel_init(&ch, fd, 5000);
    uint8_t priv[32];
    randombytes_buf(priv, sizeof priv);
    Pipeline__V1__Hello *hello = NULL;
    pl_error err;
    if (pl_handshake_server(&ch, priv, &hello, &err) == 0) {
        pipeline__v1__hello__free_unpacked(hello, NULL);
        pl_frame *req = NULL;
        if (pl_channel_recv(&ch, &req, &err) == 0) {
            pl_frame_free(req);
            /* The client may hang up half way: no asserts here. */
            if (fk->header)
                bad_header(&ch);
            else if (try_entry(&ch, "fine", E_DIR, NULL) == 0 &&
                     try_entry(&ch, fk->bad, E_FILE, NULL) == 0 &&
                     try_data(&ch, "pwned\n") == 0 &&
                     try_end(&ch, FILE_STREAM, 6, NULL) == 0)
                try_end(&ch, DIR_STREAM, 2, NULL);
        }
    }
    pl_channel_close(&ch);
    return NULL;
}

/* Starts the fake server (fk->lfd set here) and connects to it. */
static pl_client *fake_connect(fake *fk, pthread_t *t)
{
    char text[PATH_MAX + 10];
    snprintf(text, sizeof text, "unix:%s", at("fake.sock"));
    pl_address a;
    pl_error err;
    ck_assert_int_eq(pl_address_parse(text, &a, &err), 0);
    fk->lfd = pl_transport_listen(&a, 4, &err);
    ck_assert_int_ge(fk->lfd, 0);
    ck_assert_int_eq(pthread_create(t, NULL, fake_server, fk), 0);
    pl_client_opts *o = pl_client_opts_new();
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(pl_client_opts_set_address(o, text, &err), 0);
    pl_client_opts_set_connect_timeout(o, 5000);
    pl_client_opts_set_io_timeout(o, 5000);
    pl_client *c = NULL;
    ck_assert_int_eq(pl_client_connect(&c, o, &err), 0);
    pl_client_opts_free(o);
    return c;
}

START_TEST(times_client_refuses_bad_header)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(top, sizeof top, "%s/pl-hostile.XXXXXX", top_base);
    ck_assert_ptr_nonnull(mkdtemp(top));
    fake fk = {.header = 1};
    pthread_t t;
    pl_client *c = fake_connect(&fk, &t);
    pl_transfer_opts o = {.keep_times = 1};
    pl_transfer_result r;
    pl_error err;
    int rc = pl_client_get_file(c, "/whatever", at("got"), &o, &r, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(err.code == PL_ERR_PROTOCOL &&
                      strstr(err.msg, "invalid modification time"),
                  "%d %s", err.code, err.msg);
    pl_client_close(c);
    pthread_join(t, NULL);
    close(fk.lfd);
    ck_assert(!exists("got"));
    ck_assert(no_temporaries(""));
    cleanup();
}
END_TEST

static void hostile_getdir(const char *bad)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(top, sizeof top, "%s/pl-hostile.XXXXXX", top_base);
    ck_assert_ptr_nonnull(mkdtemp(top));
    make_dir("outside");
    fake fk = {.bad = bad};
    pthread_t t;
    pl_client *c = fake_connect(&fk, &t);
    pl_error err;
    make_dir("local");
    ck_assert_int_eq(symlink(at("outside"), at("local/link")), 0);
    pl_transfer_result r;
    int rc = pl_client_get_dir(c, "/whatever", at("local"), NULL, &r, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(err.code == PL_ERR_IO, "%d %s", err.code, err.msg);
    pl_client_close(c);
    pthread_join(t, NULL);
    close(fk.lfd);
    ck_assert(exists("local/fine"));
    ck_assert(!exists("escape"));
    ck_assert(!exists("outside/escape"));
    ck_assert(!exists("outside/pwn"));
    ck_assert(no_temporaries(""));
    cleanup();
}

START_TEST(client_refuses_hostile_entries)
{
    with_fallback(_i);
    hostile_getdir("../escape");
    hostile_getdir("link/pwn");
    hostile_getdir("fine/../../escape");
}
END_TEST

START_TEST(client_refuses_absolute_entry)
{
    with_fallback(_i);
    hostile_getdir("/tmp/pl-hostile-absolute-escape");
    ck_assert_int_ne(access("/tmp/pl-hostile-absolute-escape", F_OK), 0);
}
END_TEST

/* ---- beneath.c directly ---- */

START_TEST(beneath_names)
{
    const char *why;
    ck_assert_int_eq(pl_check_entry_name("a/b/c", 5, &why), 0);
    ck_assert_int_eq(pl_check_entry_name("..a/b..", 7, &why), 0);
    ck_assert_int_eq(pl_check_entry_name("", 0, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("/a", 2, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("a/../b", 6, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("..", 2, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("a/", 2, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("a//b", 4, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("a/./b", 5, &why), -1);
    ck_assert_int_eq(pl_check_entry_name("a\0b", 3, &why), -1);
    ck_assert_int_eq(pl_path_has_dotdot("a/../b"), 1);
    ck_assert_int_eq(pl_path_has_dotdot("a/..b"), 0);
}
END_TEST

START_TEST(beneath_open)
{
    with_fallback(_i);
    snprintf(top, sizeof top, "%s/pl-hostile.XXXXXX", top_base);
    ck_assert_ptr_nonnull(mkdtemp(top));
    make_dir("d");
    make_dir("d/in");
    write_file("d/in/f", "x");
    write_file("out", "x");
    ck_assert_int_eq(symlink("../out", at("d/up")), 0);
    ck_assert_int_eq(symlink(at("out"), at("d/abs")), 0);
    int dfd = open(at("d"), O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dfd, 0);
    int fd = pl_open_beneath(dfd, "in/f", O_RDONLY, 0, 1);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(pl_open_beneath(dfd, "../out", O_RDONLY, 0, 1), -1);
    ck_assert_int_eq(errno, EXDEV);
    ck_assert_int_eq(pl_open_beneath(dfd, "up", O_RDONLY, 0, 1), -1);
    ck_assert_int_eq(pl_open_beneath(dfd, "abs", O_RDONLY, 0, 1), -1);
    ck_assert_int_eq(pl_open_beneath(dfd, "/etc/passwd", O_RDONLY, 0, 1), -1);
    ck_assert_int_eq(pl_beneath_has_openat2(), !_i);
    /* mkdir -p beneath, refusing to create through a link. */
    int created = 0;
    fd = pl_mkdirs_beneath(dfd, "new/deeper", 0755, 1, &created);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(created, 1);
    close(fd);
    ck_assert(exists("d/new/deeper"));
    ck_assert_int_eq(pl_mkdirs_beneath(dfd, "abs/x", 0755, 1, NULL), -1);
    ck_assert_int_eq(pl_mkdirs_beneath(dfd, "../x", 0755, 1, NULL), -1);
    ck_assert(!exists("x"));
    close(dfd);
    cleanup();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("files_hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    /* _i = 0: openat2; _i = 1: the fallback resolver. */
    tcase_add_loop_test(tc, putdir_refuses_bad_names, 0, 2);
    tcase_add_loop_test(tc, putdir_refuses_absolute, 0, 2);
    tcase_add_loop_test(tc, putdir_planted_symlink_cannot_redirect, 0, 2);
    tcase_add_loop_test(tc, putdir_own_symlink_cannot_redirect, 0, 2);
    tcase_add_test(tc, putfile_wrong_length);
    tcase_add_test(tc, putfile_wrong_digest);
    tcase_add_test(tc, putfile_nul_in_path);
    tcase_add_test(tc, putfile_unexpected_frame_closes);
    tcase_add_test(tc, putdir_delayed_mode_limit);
    tcase_add_test(tc, putfile_client_vanishes);
    tcase_add_test(tc, putfile_read_only_answers_early);
    tcase_add_test(tc, times_putfile);
    tcase_add_test(tc, times_putdir);
    tcase_add_test(tc, times_need_the_feature);
    tcase_add_test(tc, times_client_refuses_bad_header);
    tcase_add_loop_test(tc, root_refuses_escapes, 0, 2);
    tcase_add_loop_test(tc, client_refuses_hostile_entries, 0, 2);
    tcase_add_loop_test(tc, client_refuses_absolute_entry, 0, 2);
    tcase_add_test(tc, beneath_names);
    tcase_add_loop_test(tc, beneath_open, 0, 2);
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
