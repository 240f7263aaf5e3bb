/* readlink.c - readlinkat on symlinks, /proc/self/exe, and its errnos. */
#include "ktest.h"

static long raw_readlinkat(int dirfd, const void *path, void *buf, long size)
{
    return syscall(SYS_readlinkat, dirfd, path, buf, size);
}

int main(int argc, char **argv)
{
    (void)argc;
    kt_mktemp("readlink");
    const char *file = kt_path("target-file");
    const char *lnk = kt_path("link");
    char buf[512];

    close(open(file, O_WRONLY | O_CREAT, 0644));
    CHECK_EQ(symlink("target-file", lnk), 0, "symlink");

    memset(buf, '#', sizeof buf);
    CHECK_EQ(raw_readlinkat(AT_FDCWD, lnk, buf, sizeof buf), 11, "readlinkat returns the target length");
    kt_check(memcmp(buf, "target-file", 11) == 0, "readlinkat returns the target", "got \"%.11s\"", buf);
    CHECK_EQ(buf[11], '#', "readlinkat does not NUL-terminate");

    memset(buf, '#', sizeof buf);
    CHECK_EQ(raw_readlinkat(AT_FDCWD, lnk, buf, 6), 6, "a short buffer truncates to its size");
    kt_check(memcmp(buf, "target#", 7) == 0, "truncated result holds the first bytes", "got \"%.7s\"", buf);

    int dfd = open(kt_tmpdir, O_RDONLY | O_DIRECTORY);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(raw_readlinkat(dfd, "link", buf, sizeof buf), 11, "readlinkat relative to a dirfd");
    CHECK_STR(buf, "target-file", "dirfd-relative readlinkat result");
    close(dfd);

    /* an absolute, long target */
    char target[300];
    memset(target, 'a', sizeof target);
    target[0] = '/';
    target[sizeof target - 1] = 0;
    for (int i = 50; i < 290; i += 50)
        target[i] = '/';
    const char *lnk2 = kt_path("long");
    CHECK_EQ(symlink(target, lnk2), 0, "symlink to a long absolute target");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(readlink(lnk2, buf, sizeof buf), (long)strlen(target), "readlink long target length");
    CHECK_STR(buf, target, "readlink long target contents");

    /* a symlink chain: readlink reads only one level */
    const char *lnk3 = kt_path("chain");
    CHECK_EQ(symlink("link", lnk3), 0, "symlink to a symlink");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(readlink(lnk3, buf, sizeof buf), 4, "readlink reads one level only");
    CHECK_STR(buf, "link", "readlink of a chain returns the first target");

    /* errors */
    CHECK_ERR(raw_readlinkat(AT_FDCWD, file, buf, sizeof buf), EINVAL, "readlink of a regular file is EINVAL");
    CHECK_ERR(raw_readlinkat(AT_FDCWD, kt_tmpdir, buf, sizeof buf), EINVAL, "readlink of a directory is EINVAL");
    CHECK_ERR(raw_readlinkat(AT_FDCWD, kt_path("missing"), buf, sizeof buf), ENOENT, "readlink of a missing path is ENOENT");
    /* do_readlinkat: a non-link named by the empty path is ENOENT, not EINVAL */
    CHECK_ERR(raw_readlinkat(AT_FDCWD, "", buf, sizeof buf), ENOENT, "readlink(\"\") (the cwd, no link) is ENOENT");
    int ffd = open(file, O_RDONLY);
    CHECK_ERR(raw_readlinkat(ffd, "", buf, sizeof buf), ENOENT, "readlinkat(file fd, \"\") is ENOENT");
    close(ffd);
    CHECK_ERR(raw_readlinkat(AT_FDCWD, lnk, buf, 0), EINVAL, "bufsiz 0 is EINVAL");
    if (kt_qemu()) /* qemu-user tries to lock a huge buffer first and returns EFAULT */
        kt_skip("negative bufsiz is EINVAL", "qemu-user returns EFAULT");
    else
        CHECK_ERR(raw_readlinkat(AT_FDCWD, lnk, buf, -1), EINVAL, "negative bufsiz is EINVAL");
    CHECK_ERR(raw_readlinkat(AT_FDCWD, KT_BAD_PTR, buf, sizeof buf), EFAULT, "bad path pointer is EFAULT");
    CHECK_ERR(raw_readlinkat(AT_FDCWD, lnk, KT_BAD_PTR, sizeof buf), EFAULT, "bad buffer pointer is EFAULT");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/x", file);
    CHECK_ERR(raw_readlinkat(AT_FDCWD, sub, buf, sizeof buf), ENOTDIR, "file used as a directory is ENOTDIR");

    /* /proc/self/exe names this program */
    memset(buf, 0, sizeof buf);
    long n = raw_readlinkat(AT_FDCWD, "/proc/self/exe", buf, sizeof buf - 1);
    CHECK(n > 0, "readlink /proc/self/exe succeeds");
    if (n > 0) {
        CHECK_EQ(buf[0], '/', "/proc/self/exe is an absolute path");
        const char *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        const char *got = strrchr(buf, '/');
        CHECK_STR(got ? got + 1 : buf, base, "/proc/self/exe ends with the program name");
        struct stat a, b;
        kt_check(stat(buf, &a) == 0 && stat(argv[0], &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev,
                 "/proc/self/exe is the same file as argv[0]", "exe \"%s\" argv[0] \"%s\"", buf, argv[0]);
    }

    kt_cleanup();
    return kt_done();
}
