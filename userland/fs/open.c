/* open.c - openat, close, O_ flags and the common errnos. */
#include "ktest.h"

static long raw_openat(int dirfd, const void *path, int flags, int mode)
{
    return syscall(SYS_openat, dirfd, path, flags, mode);
}

int main(void)
{
    kt_mktemp("open");
    const char *file = kt_path("file");
    const char *dir = kt_path("dir");
    char buf[64];
    struct stat st;

    umask(022);

    /* creation */
    int fd = raw_openat(AT_FDCWD, file, O_WRONLY | O_CREAT | O_EXCL, 0666);
    CHECK(fd >= 0, "openat O_CREAT|O_EXCL creates a new file");
    CHECK_EQ(write(fd, "0123456789", 10), 10, "write to new file");
    CHECK_EQ(fstat(fd, &st), 0, "fstat new file");
    CHECK_EQ(st.st_mode & 07777, 0644, "O_CREAT mode is filtered by umask 022");
    CHECK_EQ(close(fd), 0, "close returns 0");
    CHECK_ERR(close(fd), EBADF, "closing a closed fd is EBADF");
    CHECK_ERR(close(-1), EBADF, "close(-1) is EBADF");
    CHECK_ERR(close(100000), EBADF, "close(100000) is EBADF");

    CHECK_ERR(raw_openat(AT_FDCWD, file, O_WRONLY | O_CREAT | O_EXCL, 0666), EEXIST,
              "O_CREAT|O_EXCL on an existing file is EEXIST");
    fd = raw_openat(AT_FDCWD, file, O_RDONLY | O_CREAT, 0600);
    CHECK(fd >= 0, "O_CREAT without O_EXCL opens an existing file");
    CHECK_EQ(fstat(fd, &st), 0, "fstat");
    CHECK_EQ(st.st_mode & 07777, 0644, "O_CREAT on an existing file keeps its mode");
    CHECK_EQ(st.st_size, 10, "O_CREAT without O_TRUNC keeps contents");
    close(fd);

    /* nonexistent paths */
    CHECK_ERR(raw_openat(AT_FDCWD, kt_path("missing"), O_RDONLY, 0), ENOENT,
              "opening a missing file is ENOENT");
    CHECK_ERR(raw_openat(AT_FDCWD, kt_path("nodir/x"), O_RDONLY | O_CREAT, 0644), ENOENT,
              "O_CREAT under a missing directory is ENOENT");
    CHECK_ERR(raw_openat(AT_FDCWD, "", O_RDONLY, 0), ENOENT, "opening the empty path is ENOENT");

    /* ENOTDIR / EISDIR */
    CHECK_EQ(mkdir(dir, 0755), 0, "mkdir");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/x", file);
    CHECK_ERR(raw_openat(AT_FDCWD, sub, O_RDONLY, 0), ENOTDIR,
              "a regular file used as a directory is ENOTDIR");
    CHECK_ERR(raw_openat(AT_FDCWD, file, O_RDONLY | O_DIRECTORY, 0), ENOTDIR,
              "O_DIRECTORY on a regular file is ENOTDIR");
    CHECK_ERR(raw_openat(AT_FDCWD, dir, O_WRONLY, 0), EISDIR, "O_WRONLY on a directory is EISDIR");
    CHECK_ERR(raw_openat(AT_FDCWD, dir, O_RDWR, 0), EISDIR, "O_RDWR on a directory is EISDIR");
    CHECK_ERR(raw_openat(AT_FDCWD, dir, O_WRONLY | O_CREAT, 0644), EISDIR,
              "O_CREAT on a directory is EISDIR");
    fd = raw_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
    CHECK(fd >= 0, "O_RDONLY|O_DIRECTORY on a directory succeeds");
    CHECK_ERR(read(fd, buf, sizeof buf), EISDIR, "read on a directory fd is EISDIR");

    /* dirfd-relative opens */
    int rel = raw_openat(fd, "inner", O_RDWR | O_CREAT | O_EXCL, 0640);
    CHECK(rel >= 0, "openat relative to a directory fd");
    close(rel);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/inner", dir);
    CHECK_EQ(stat(inner, &st), 0, "file created via dirfd exists at dir/inner");
    CHECK_EQ(st.st_mode & 0777, 0640, "file created via dirfd has the asked mode");
    CHECK_ERR(raw_openat(9999, "inner", O_RDONLY, 0), EBADF, "openat with a bad dirfd is EBADF");
    int filefd = open(file, O_RDONLY);
    CHECK_ERR(raw_openat(filefd, "inner", O_RDONLY, 0), ENOTDIR,
              "openat relative to a non-directory fd is ENOTDIR");
    char cwd[512];
    if (getcwd(cwd, sizeof cwd)) {
        char abs[1200];
        snprintf(abs, sizeof abs, "%s/%s", cwd, file);
        rel = raw_openat(9999, abs, O_RDONLY, 0);
        CHECK(rel >= 0, "openat ignores dirfd for an absolute path");
        if (rel >= 0)
            close(rel);
    }
    close(filefd);
    close(fd);

    /* O_TRUNC, O_APPEND */
    fd = raw_openat(AT_FDCWD, file, O_RDWR | O_TRUNC, 0);
    CHECK(fd >= 0, "open with O_TRUNC");
    CHECK_EQ(fstat(fd, &st), 0, "fstat");
    CHECK_EQ(st.st_size, 0, "O_TRUNC empties the file");
    CHECK_EQ(write(fd, "abc", 3), 3, "write");
    close(fd);
    fd = raw_openat(AT_FDCWD, file, O_WRONLY | O_APPEND, 0);
    CHECK(fd >= 0, "open with O_APPEND");
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "lseek to 0 on O_APPEND fd");
    CHECK_EQ(write(fd, "def", 3), 3, "write on O_APPEND fd");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "O_APPEND write leaves offset at end");
    close(fd);
    fd = raw_openat(AT_FDCWD, file, O_RDONLY, 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(fd, buf, sizeof buf), 6, "read back");
    CHECK_STR(buf, "abcdef", "O_APPEND wrote at the end");
    close(fd);

    /* O_CLOEXEC */
    fd = raw_openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC, 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "O_CLOEXEC sets FD_CLOEXEC");
    close(fd);
    fd = raw_openat(AT_FDCWD, file, O_RDONLY, 0);
    CHECK_EQ(fcntl(fd, F_GETFD), 0, "without O_CLOEXEC FD_CLOEXEC is clear");
    close(fd);

    /* lowest free descriptor */
    int a = open(file, O_RDONLY), b = open(file, O_RDONLY), c = open(file, O_RDONLY);
    CHECK(a >= 3 && b == a + 1 && c == b + 1, "descriptors are allocated in ascending order");
    close(b);
    int d = open(file, O_RDONLY);
    CHECK_EQ(d, b, "open reuses the lowest free descriptor");
    close(a);
    close(c);
    close(d);

    /* O_NOFOLLOW, symlinks */
    const char *link = kt_path("link");
    CHECK_EQ(symlink("file", link), 0, "symlink");
    fd = raw_openat(AT_FDCWD, link, O_RDONLY, 0);
    CHECK(fd >= 0, "open follows a symlink");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(fd, buf, sizeof buf), 6, "read through symlink");
    close(fd);
    CHECK_ERR(raw_openat(AT_FDCWD, link, O_RDONLY | O_NOFOLLOW, 0), ELOOP,
              "O_NOFOLLOW on a symlink is ELOOP");
    const char *dangling = kt_path("dangling");
    CHECK_EQ(symlink("nowhere", dangling), 0, "dangling symlink");
    CHECK_ERR(raw_openat(AT_FDCWD, dangling, O_RDONLY, 0), ENOENT,
              "opening a dangling symlink is ENOENT");

    /* name too long */
    char longname[400];
    memset(longname, 'n', 300);
    longname[300] = 0;
    CHECK_ERR(raw_openat(AT_FDCWD, kt_path(longname), O_RDONLY | O_CREAT, 0644), ENAMETOOLONG,
              "a 300-byte path component is ENAMETOOLONG");

    /* bad pointers and flags */
    CHECK_ERR(raw_openat(AT_FDCWD, KT_BAD_PTR, O_RDONLY, 0), EFAULT, "bad path pointer is EFAULT");
    CHECK_ERR(raw_openat(AT_FDCWD, NULL, O_RDONLY, 0), EFAULT, "NULL path is EFAULT");

    /* O_EXCL | O_CREAT with a symlink at the path must not follow it */
    CHECK_ERR(raw_openat(AT_FDCWD, dangling, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST,
              "O_CREAT|O_EXCL on a dangling symlink is EEXIST");

    kt_cleanup();
    return kt_done();
}
