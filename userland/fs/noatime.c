/* O_NOATIME in the working directory's filesystem (tmpfs, or a host
 * directory in vfs.test's hostfs re-run): a read through an O_NOATIME
 * descriptor leaves the atime, where a plain read (relatime: the atime is
 * not newer than the mtime) sets it; neither read changes the ctime.
 * LTP open12 found hostfs's reads setting the host file's atime. */
#include "ktest.h"

static struct stat st_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        kt_fail("stat", "%s: %s", path, strerror(errno));
    return st;
}

static int read_one(const char *path, int flags)
{
    char c;
    int fd = open(path, O_RDONLY | flags);
    int ok = fd >= 0 && read(fd, &c, 1) == 1;
    if (fd >= 0)
        close(fd);
    return ok;
}

int main(void)
{
    kt_mktemp("noatime");
    const char *f = kt_path("f");
    int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "data", 4) == 4, "create a file");
    if (fd >= 0)
        close(fd);
    struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
    CHECK_OK(utimensat(AT_FDCWD, f, ts, 0), "set its atime and mtime far in the past");
    struct stat before = st_of(f);

    CHECK(read_one(f, O_NOATIME), "read a byte through an O_NOATIME descriptor");
    struct stat after = st_of(f);
    CHECK_EQ(after.st_atim.tv_sec, 1000000, "O_NOATIME: the read leaves the atime");
    CHECK(after.st_ctim.tv_sec == before.st_ctim.tv_sec && after.st_ctim.tv_nsec == before.st_ctim.tv_nsec,
          "O_NOATIME: the read leaves the ctime");

    CHECK(read_one(f, 0), "read a byte through a plain descriptor");
    struct stat plain = st_of(f);
    CHECK(plain.st_atim.tv_sec > 1000000, "a plain read sets the atime (relatime: it was not newer than the mtime)");
    CHECK(plain.st_ctim.tv_sec == before.st_ctim.tv_sec && plain.st_ctim.tv_nsec == before.st_ctim.tv_nsec,
          "a plain read leaves the ctime");
    kt_cleanup();
    return kt_done();
}
