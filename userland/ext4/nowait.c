/* preadv2(RWF_NOWAIT) on an ext4 file (argv[1]: a directory on ext4): a
 * read whose first page is not in the page cache fails with EAGAIN rather
 * than wait for the disk; once a plain read has brought the page in, the
 * same call returns the data; at the end of the file it returns 0. The
 * cache is emptied with vm.drop_caches, so only under Ghost (under
 * qemu-user that is the host's). LTP preadv203. */
#include "ktest.h"
#include <sys/uio.h>

static ssize_t nowait_read(int fd, char *buf, size_t n, off_t off)
{
    struct iovec iov = {buf, n};
    return preadv2(fd, &iov, 1, off, RWF_NOWAIT);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        kt_fail("usage", "nowait DIR");
    if (!kt_ghost()) {
        kt_skip("RWF_NOWAIT after drop_caches", "vm.drop_caches is the host's under qemu-user");
        return kt_done();
    }
    char path[400], buf[4096];
    snprintf(path, sizeof path, "%s/nowait", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create a file on ext4");
    memset(buf, 'n', sizeof buf);
    for (int i = 0; i < 16; i++)
        CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write 64 KiB");
    CHECK_OK(fsync(fd), "fsync: the pages are clean");
    int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
    CHECK(dc >= 0 && write(dc, "1", 1) == 1, "echo 1 > /proc/sys/vm/drop_caches");
    if (dc >= 0)
        close(dc);
    CHECK_ERR(nowait_read(fd, buf, 100, 8192), EAGAIN, "RWF_NOWAIT on a page not in the cache: EAGAIN");
    CHECK_EQ(pread(fd, buf, 1, 8192), 1, "a plain read brings the page in");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(nowait_read(fd, buf, 100, 8192), 100, "RWF_NOWAIT on a cached page reads it");
    CHECK(buf[0] == 'n' && buf[99] == 'n', "the file's bytes");
    CHECK_EQ(nowait_read(fd, buf, 100, 65536), 0, "RWF_NOWAIT at the end of the file: 0");
    close(fd);
    unlink(path);
    return kt_done();
}
