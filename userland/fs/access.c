/* access.c - faccessat. */
#include "ktest.h"

static long raw_faccessat(int dirfd, const void *path, int mode)
{
    return syscall(SYS_faccessat, dirfd, path, mode);
}

int main(void)
{
    kt_mktemp("access");
    const char *rw = kt_path("rw");
    const char *ro = kt_path("ro");
    const char *ex = kt_path("exec");
    const char *dir = kt_path("dir");
    umask(0);
    close(open(rw, O_WRONLY | O_CREAT, 0600));
    close(open(ro, O_WRONLY | O_CREAT, 0400));
    close(open(ex, O_WRONLY | O_CREAT, 0700));
    mkdir(dir, 0755);
    int root = geteuid() == 0;

    CHECK_EQ(raw_faccessat(AT_FDCWD, rw, F_OK), 0, "F_OK on an existing file");
    CHECK_EQ(raw_faccessat(AT_FDCWD, rw, R_OK | W_OK), 0, "R_OK|W_OK on a 0600 file");
    CHECK_ERR(raw_faccessat(AT_FDCWD, rw, X_OK), EACCES, "X_OK on a 0600 file is EACCES (even for root)");
    CHECK_EQ(raw_faccessat(AT_FDCWD, ex, X_OK), 0, "X_OK on a 0700 file");
    CHECK_EQ(raw_faccessat(AT_FDCWD, ro, R_OK), 0, "R_OK on a 0400 file");
    if (root)
        CHECK_EQ(raw_faccessat(AT_FDCWD, ro, W_OK), 0, "W_OK on a 0400 file as root succeeds");
    else
        CHECK_ERR(raw_faccessat(AT_FDCWD, ro, W_OK), EACCES, "W_OK on a 0400 file is EACCES");
    CHECK_EQ(raw_faccessat(AT_FDCWD, dir, R_OK | W_OK | X_OK), 0, "R_OK|W_OK|X_OK on an owned 0755 directory");
    CHECK_EQ(raw_faccessat(AT_FDCWD, "/", X_OK), 0, "X_OK on /");
    CHECK_EQ(raw_faccessat(AT_FDCWD, ".", F_OK), 0, "F_OK on .");

    int dfd = open(kt_tmpdir, O_RDONLY | O_DIRECTORY);
    CHECK_EQ(raw_faccessat(dfd, "rw", R_OK), 0, "faccessat relative to a dirfd");
    CHECK_ERR(raw_faccessat(dfd, "missing", F_OK), ENOENT, "dirfd-relative missing file is ENOENT");
    close(dfd);
    CHECK_ERR(raw_faccessat(9999, "rw", F_OK), EBADF, "bad dirfd is EBADF");

    CHECK_ERR(raw_faccessat(AT_FDCWD, kt_path("missing"), F_OK), ENOENT, "missing file is ENOENT");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/x", rw);
    CHECK_ERR(raw_faccessat(AT_FDCWD, sub, F_OK), ENOTDIR, "regular file used as a directory is ENOTDIR");
    CHECK_ERR(raw_faccessat(AT_FDCWD, rw, 0x100), EINVAL, "invalid mode bits are EINVAL");
    CHECK_ERR(raw_faccessat(AT_FDCWD, KT_BAD_PTR, F_OK), EFAULT, "bad path pointer is EFAULT");
    CHECK_ERR(raw_faccessat(AT_FDCWD, "", F_OK), ENOENT, "empty path is ENOENT");

    /* symlinks are followed */
    const char *lnk = kt_path("link");
    CHECK_EQ(symlink("rw", lnk), 0, "symlink");
    CHECK_EQ(raw_faccessat(AT_FDCWD, lnk, R_OK), 0, "faccessat follows symlinks");
    const char *dangling = kt_path("dangling");
    CHECK_EQ(symlink("nowhere", dangling), 0, "dangling symlink");
    CHECK_ERR(raw_faccessat(AT_FDCWD, dangling, F_OK), ENOENT, "dangling symlink is ENOENT");

    /* libc access() agrees */
    CHECK_EQ(access(rw, R_OK), 0, "access() R_OK");
    CHECK_ERR(access(kt_path("missing"), F_OK), ENOENT, "access() missing file");

    kt_cleanup();
    return kt_done();
}
