/*
 * Path resolution that cannot leave a directory.
 *
 * Used by the server to keep every request path beneath its configured
 * root, and by both ends to keep the entries of a directory transfer
 * beneath the target directory. With beneath set, resolution uses
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); on kernels without
 * openat2 (ENOSYS) or when PIPELINE_NO_OPENAT2=1 is set, it walks the path
 * one component at a time with O_NOFOLLOW, refusing ".." and every
 * symbolic link. Either way an escape fails with EXDEV (openat2) or ELOOP
 * (a refused symlink); nothing is ever opened outside the directory.
 *
 * Without beneath the functions behave like plain openat/mkdir -p: the
 * server without a root runs as the enclave's operator.
 */
#ifndef PIPELINE_BENEATH_H
#define PIPELINE_BENEATH_H

#include <stddef.h>
#include <sys/types.h>

/* openat() relative to dirfd; with beneath, never outside dirfd. O_CLOEXEC
 * is always added. Returns a descriptor, or -1 with errno set. */
int pl_open_beneath(int dirfd, const char *path, int flags, mode_t mode,
                    int beneath);

/* Opens directory path relative to dirfd (O_RDONLY | O_DIRECTORY),
 * creating missing components with mode mkmode like mkdir -p. *created
 * (may be NULL) tells whether the last component was created here. Each
 * new directory's parent is synced (pl_sync_dir), so what is reported
 * created survives a crash. An empty path opens dirfd itself. -1 with
 * errno on failure. */
int pl_mkdirs_beneath(int dirfd, const char *path, mode_t mkmode, int beneath,
                      int *created);

/* Makes the entries of directory dirfd durable (fsync through a real
 * descriptor: dirfd may be O_PATH). 0, or -1 with errno; file systems
 * that cannot sync a directory (EINVAL, EROFS) count as success. */
int pl_sync_dir(int dirfd);

/* 1 when beneath-resolution currently uses openat2, 0 for the fallback. */
int pl_beneath_has_openat2(void);

/* Checks a relative '/'-separated name from a directory transfer: not
 * empty, not absolute, no empty, "." or ".." component, no NUL byte.
 * Returns 0, or -1 with *why set to a short reason. */
int pl_check_entry_name(const char *name, size_t len, const char **why);

/* 1 when some component of path is "..". */
int pl_path_has_dotdot(const char *path);

#endif
