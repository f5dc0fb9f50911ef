/* Unit tests for the one escaping rule (escape.h) and the places that must
 * use it: log lines and Status messages. */
#include "channel.h"
#include "escape.h"
#include "log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *esc(const char *in, size_t len)
{
    static char out[512];
    return pl_escape(in, len, out, sizeof out);
}

START_TEST(keeps_printable_and_utf8)
{
    ck_assert_str_eq(esc("plain /path-1_2", 15), "plain /path-1_2");
    /* é, €, 😀: valid UTF-8 is shown as is. */
    const char *u = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    ck_assert_str_eq(esc(u, strlen(u)), u);
}
END_TEST

START_TEST(escapes_controls_and_bad_bytes)
{
    ck_assert_str_eq(esc("a\nb\r\x1b[2J\x07\x7f", 10),
                     "a\\x0ab\\x0d\\x1b[2J\\x07\\x7f");
    ck_assert_str_eq(esc("x\0y", 3), "x\\x00y");
    /* C1 controls (U+009B is CSI to some terminals), stray continuation
     * bytes, overlong forms, surrogates, past U+10FFFF, cut sequences. */
    ck_assert_str_eq(esc("\xc2\x9b"
                         "1m",
                         4),
                     "\\xc2\\x9b1m");
    ck_assert_str_eq(esc("\x80", 1), "\\x80");
    ck_assert_str_eq(esc("\xc0\xaf", 2), "\\xc0\\xaf");
    ck_assert_str_eq(esc("\xed\xa0\x80", 3), "\\xed\\xa0\\x80");
    ck_assert_str_eq(esc("\xf4\x90\x80\x80", 4), "\\xf4\\x90\\x80\\x80");
    ck_assert_str_eq(esc("\xe2\x82", 2), "\\xe2\\x82");
    ck_assert(pl_utf8_valid("caf\xc3\xa9", 5));
    ck_assert(!pl_utf8_valid("\xff", 1));
}
END_TEST

START_TEST(idempotent_and_bounded)
{
    char raw[256], once[1024], twice[1024];
    for (int i = 0; i < 256; i++)
        raw[i] = (char)i;
    pl_escape(raw, sizeof raw, once, sizeof once);
    ck_assert(pl_utf8_valid(once, strlen(once)));
    for (const char *p = once; *p; p++)
        ck_assert((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
    pl_escape_str(once, twice, sizeof twice);
    ck_assert_str_eq(once, twice);
    /* Too small: cut with "...", never past cap, never half a sequence. */
    char small[16];
    memset(small, 'Z', sizeof small);
    pl_escape("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 12, small,
              sizeof small);
    ck_assert(strlen(small) < sizeof small);
    ck_assert(pl_utf8_valid(small, strlen(small)));
    ck_assert(strstr(small, "...") != NULL);
    char s[64] = "ok\n\x1b";
    pl_escape_inplace(s, sizeof s);
    ck_assert_str_eq(s, "ok\\x0a\\x1b");
}
END_TEST

/* Status.message is made valid UTF-8 however the message was built. */
START_TEST(status_message_is_utf8)
{
    int sv[2];
    ck_assert_int_eq(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    pl_channel a, b;
    pl_channel_init(&a, sv[0], 2000);
    pl_channel_init(&b, sv[1], 2000);
    /* Same keys both ways, so b can open what a seals. */
    uint8_t k[32] = {1};
    noise_cs_init_key(&a.tx, k);
    noise_cs_init_key(&b.rx, k);
    ck_assert_int_eq(
        pl_channel_send_status(&a, 3, "bad \"%s\"", "\xff\xfe\n\x1b[31m"), 0);
    pl_frame *f = NULL;
    pl_error err;
    ck_assert_int_eq(pl_channel_recv(&b, &f, &err), 0);
    ck_assert_int_eq(f->body_case, PIPELINE__V1__FRAME__BODY_STATUS);
    ck_assert_str_eq(f->status->message, "bad \"\\xff\\xfe\\x0a\\x1b[31m\"");
    pl_frame_free(f);
    pl_channel_close(&a);
    pl_channel_close(&b);
}
END_TEST

/* One log line per event, whatever the arguments hold. */
START_TEST(log_line_is_escaped)
{
    char path[] = "/tmp/pl-unit-log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int saved = dup(2);
    dup2(fd, 2);
    pl_log("hello from %s",
           "evil\n2026-01-01T00:00:00.000Z pipeline: forged\x1b[2J\xff");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[1024] = {0};
    ck_assert_int_gt(pread(fd, buf, sizeof buf - 1, 0), 0);
    close(fd);
    unlink(path);
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
    ck_assert_ptr_null(strchr(buf, '\x1b'));
    ck_assert_ptr_nonnull(
        strstr(buf, "hello from evil\\x0a2026-01-01T00:00:00.000Z pipeline: "
                    "forged\\x1b[2J\\xff\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, keeps_printable_and_utf8);
    tcase_add_test(tc, escapes_controls_and_bad_bytes);
    tcase_add_test(tc, idempotent_and_bounded);
    tcase_add_test(tc, status_message_is_utf8);
    tcase_add_test(tc, log_line_is_escaped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
