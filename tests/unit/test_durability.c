/* Durability: what a call reports done survives a crash, so every new
 * directory entry is followed by an fsync of its directory. fsync is
 * wrapped at link time (-Wl,--wrap=fsync, tests/CMakeLists.txt) to record
 * which inodes were synced. */
#include "atomic_file.h"
#include "beneath.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static struct {
    dev_t dev;
    ino_t ino;
} synced[256];
static int nsynced;

int __wrap_fsync(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && nsynced < 256) {
        synced[nsynced].dev = st.st_dev;
        synced[nsynced].ino = st.st_ino;
        nsynced++;
    }
    return __real_fsync(fd);
}

static int was_synced(const char *path)
{
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    for (int i = 0; i < nsynced; i++)
        if (synced[i].dev == st.st_dev && synced[i].ino == st.st_ino)
            return 1;
    return 0;
}

static char dir[] = "/tmp/pl-durable.XXXXXX";

static void setup(void)
{
    strcpy(dir, "/tmp/pl-durable.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    nsynced = 0;
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
        /* best effort */
    }
}

static const char *at(const char *rel)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, rel);
    return p[k];
}

/* mkdir -p syncs the parent of every directory it creates. */
START_TEST(new_parents_are_synced)
{
    int root = open(dir, O_PATH | O_DIRECTORY);
    ck_assert_int_ge(root, 0);
    mkdir(at("a"), 0755); /* exists already: not ours to sync */
    int created = 0;
    int fd = pl_mkdirs_beneath(root, "a/b/c/d", 0755, 1, &created);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(created, 1);
    ck_assert_msg(was_synced(at("a")), "a, parent of new b, not synced");
    ck_assert_msg(was_synced(at("a/b")), "a/b, parent of new c, not synced");
    ck_assert_msg(was_synced(at("a/b/c")), "a/b/c, parent of d, not synced");
    close(fd);
    close(root);
}
END_TEST

/* A file placed by rename: its directory is synced after the rename. */
START_TEST(renamed_file_is_synced)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    pl_atomic_file af;
    pl_error err;
    ck_assert_int_eq(pl_atomic_open(&af, d, "f", "f", &err), 0);
    ck_assert_int_eq(pl_atomic_write(&af, (const uint8_t *)"data", 4, &err), 0);
    nsynced = 0;
    ck_assert_int_eq(pl_atomic_commit(&af, 0644, &err), 0);
    ck_assert_msg(was_synced(at("f")), "the file's data not synced");
    ck_assert_msg(was_synced(dir), "the directory not synced after rename");
    close(d);
}
END_TEST

/* A symlink placed by rename (directory transfers) likewise. */
START_TEST(renamed_symlink_is_synced)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    pl_error err;
    ck_assert_int_eq(pl_atomic_symlink(d, "l", "target", "l", &err), 0);
    ck_assert_msg(was_synced(dir), "the directory not synced after rename");
    close(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("durability");
    TCase *tc = tcase_create("durability");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, new_parents_are_synced);
    tcase_add_test(tc, renamed_file_is_synced);
    tcase_add_test(tc, renamed_symlink_is_synced);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
