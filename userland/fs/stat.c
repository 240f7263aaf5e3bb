/* stat.c - fstat, newfstatat and statx fields. */
#include "ktest.h"
#include <sys/sysmacros.h>
#include <time.h>

static long raw_newfstatat(int dirfd, const void *path, void *st, int flags)
{
    return syscall(SYS_newfstatat, dirfd, path, st, flags);
}

static long raw_statx(int dirfd, const void *path, int flags, unsigned mask, void *stx)
{
    return syscall(SYS_statx, dirfd, path, flags, mask, stx);
}

int main(void)
{
    kt_mktemp("stat");
    const char *file = kt_path("file");
    const char *dir = kt_path("dir");
    const char *lnk = kt_path("link");
    struct stat st, st2;
    struct timespec before, after;

    umask(0);
    clock_gettime(CLOCK_REALTIME, &before);
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0640);
    static char data[1234];
    memset(data, 'x', sizeof data);
    CHECK_EQ(write(fd, data, sizeof data), (long)sizeof data, "write 1234 bytes");
    clock_gettime(CLOCK_REALTIME, &after);

    /* fstat */
    memset(&st, 0xa5, sizeof st);
    CHECK_EQ(fstat(fd, &st), 0, "fstat succeeds");
    CHECK(S_ISREG(st.st_mode), "fstat: S_ISREG");
    CHECK_EQ(st.st_mode & 07777, 0640, "fstat: permission bits");
    CHECK_EQ(st.st_size, 1234, "fstat: st_size");
    CHECK_EQ(st.st_nlink, 1, "fstat: st_nlink");
    CHECK_EQ(st.st_uid, geteuid(), "fstat: st_uid is the effective uid");
    CHECK(st.st_ino != 0, "fstat: st_ino nonzero");
    CHECK(st.st_blksize > 0, "fstat: st_blksize positive");
    kt_check(st.st_mtim.tv_sec >= before.tv_sec - 2 && st.st_mtim.tv_sec <= after.tv_sec + 2,
             "fstat: st_mtime is the write time", "got %lld, wrote between %lld and %lld",
             (long long)st.st_mtim.tv_sec, (long long)before.tv_sec, (long long)after.tv_sec);
    CHECK(st.st_mtim.tv_nsec >= 0 && st.st_mtim.tv_nsec < 1000000000, "fstat: st_mtim.tv_nsec in range");
    CHECK_ERR(fstat(9999, &st2), EBADF, "fstat of a bad fd is EBADF");
    CHECK_ERR(syscall(SYS_fstat, fd, KT_BAD_PTR), EFAULT, "fstat into a bad pointer is EFAULT");

    /* newfstatat */
    memset(&st2, 0, sizeof st2);
    CHECK_EQ(raw_newfstatat(AT_FDCWD, file, &st2, 0), 0, "newfstatat by path");
    CHECK(st2.st_dev == st.st_dev && st2.st_ino == st.st_ino, "newfstatat: same dev/ino as fstat");
    CHECK_EQ(st2.st_size, 1234, "newfstatat: st_size");
    CHECK_EQ(st2.st_mode, st.st_mode, "newfstatat: st_mode matches fstat");
    memset(&st2, 0, sizeof st2);
    CHECK_EQ(raw_newfstatat(fd, "", &st2, AT_EMPTY_PATH), 0, "newfstatat AT_EMPTY_PATH on fd");
    CHECK_EQ(st2.st_ino, st.st_ino, "AT_EMPTY_PATH: same inode");
    CHECK_ERR(raw_newfstatat(fd, "", &st2, 0), ENOENT, "empty path without AT_EMPTY_PATH is ENOENT");
    CHECK_ERR(raw_newfstatat(AT_FDCWD, file, &st2, 0x12345678), EINVAL, "newfstatat bad flags is EINVAL");

    CHECK_EQ(mkdir(dir, 0751), 0, "mkdir");
    CHECK_EQ(raw_newfstatat(AT_FDCWD, dir, &st2, 0), 0, "newfstatat on a directory");
    CHECK(S_ISDIR(st2.st_mode), "directory: S_ISDIR");
    CHECK_EQ(st2.st_mode & 07777, 0751, "directory: permission bits");
    CHECK(st2.st_nlink >= 2, "directory: st_nlink >= 2");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_EQ(raw_newfstatat(dfd, "..", &st2, 0), 0, "newfstatat relative to dirfd");
    struct stat tmpst;
    stat(kt_tmpdir, &tmpst);
    CHECK(st2.st_ino == tmpst.st_ino && st2.st_dev == tmpst.st_dev, "dirfd/.. is the parent directory");
    close(dfd);

    CHECK_EQ(symlink("file", lnk), 0, "symlink");
    CHECK_EQ(raw_newfstatat(AT_FDCWD, lnk, &st2, AT_SYMLINK_NOFOLLOW), 0, "lstat of symlink");
    CHECK(S_ISLNK(st2.st_mode), "AT_SYMLINK_NOFOLLOW: S_ISLNK");
    CHECK_EQ(st2.st_size, 4, "symlink st_size is the target length");
    CHECK_EQ(raw_newfstatat(AT_FDCWD, lnk, &st2, 0), 0, "stat through symlink");
    CHECK(S_ISREG(st2.st_mode) && st2.st_ino == st.st_ino, "stat follows the symlink");

    CHECK_ERR(raw_newfstatat(AT_FDCWD, kt_path("missing"), &st2, 0), ENOENT, "missing path is ENOENT");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/x", file);
    CHECK_ERR(raw_newfstatat(AT_FDCWD, sub, &st2, 0), ENOTDIR, "file as directory is ENOTDIR");
    CHECK_ERR(raw_newfstatat(AT_FDCWD, KT_BAD_PTR, &st2, 0), EFAULT, "bad path pointer is EFAULT");
    CHECK_ERR(raw_newfstatat(AT_FDCWD, file, KT_BAD_PTR, 0), EFAULT, "bad stat buffer is EFAULT");

    /* a character device */
    if (stat("/dev/null", &st2) == 0) {
        CHECK(S_ISCHR(st2.st_mode), "/dev/null is a character device");
        CHECK(major(st2.st_rdev) == 1 && minor(st2.st_rdev) == 3, "/dev/null rdev is 1:3");
    } else {
        kt_fail("stat /dev/null", "errno %d", errno);
    }

    /* statx */
    struct statx stx;
    memset(&stx, 0xa5, sizeof stx);
    CHECK_EQ(raw_statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, &stx), 0, "statx by path");
    CHECK_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS, "statx: basic stats in stx_mask");
    CHECK_EQ(stx.stx_size, 1234, "statx: stx_size");
    CHECK_EQ(stx.stx_mode, st.st_mode, "statx: stx_mode");
    CHECK_EQ(stx.stx_ino, st.st_ino, "statx: stx_ino");
    CHECK_EQ(stx.stx_nlink, 1, "statx: stx_nlink");
    CHECK_EQ(stx.stx_uid, st.st_uid, "statx: stx_uid");
    CHECK_EQ(stx.stx_gid, st.st_gid, "statx: stx_gid");
    CHECK_EQ(stx.stx_blksize, st.st_blksize, "statx: stx_blksize");
    CHECK(makedev(stx.stx_dev_major, stx.stx_dev_minor) == st.st_dev, "statx: dev major/minor match st_dev");
    CHECK(stx.stx_mtime.tv_sec == st.st_mtim.tv_sec && stx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec,
          "statx: stx_mtime matches st_mtim");
    CHECK_EQ(raw_statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx), 0, "statx AT_EMPTY_PATH");
    CHECK_EQ(stx.stx_size, 1234, "statx AT_EMPTY_PATH: stx_size");
    CHECK_EQ(raw_statx(AT_FDCWD, lnk, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx), 0, "statx nofollow");
    CHECK(S_ISLNK(stx.stx_mode), "statx AT_SYMLINK_NOFOLLOW: S_ISLNK");
    CHECK_ERR(raw_statx(AT_FDCWD, kt_path("missing"), 0, STATX_BASIC_STATS, &stx), ENOENT,
              "statx missing path is ENOENT");
    CHECK_ERR(raw_statx(AT_FDCWD, file, 0, 0x80000000u, &stx), EINVAL, "statx reserved mask bit is EINVAL");
    CHECK_ERR(raw_statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, KT_BAD_PTR), EFAULT,
              "statx bad buffer is EFAULT");

    /* fstat sees writes through the same fd */
    CHECK_EQ(write(fd, "y", 1), 1, "write");
    CHECK_EQ(fstat(fd, &st2), 0, "fstat");
    CHECK_EQ(st2.st_size, 1235, "write updates st_size");

    close(fd);
    kt_cleanup();
    return kt_done();
}
