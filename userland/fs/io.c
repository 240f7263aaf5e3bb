/* io.c - read, write, readv, writev, pread64, pwrite64, lseek. */
#include "ktest.h"
#include <sys/uio.h>

int main(void)
{
    kt_mktemp("io");
    const char *path = kt_path("data");
    char buf[256];

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!kt_check(fd >= 0, "open scratch file", "open: %s", strerror(errno)))
        return kt_done();

    /* write / read / lseek */
    CHECK_EQ(write(fd, "hello world", 11), 11, "write returns byte count");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11, "lseek SEEK_CUR after write is 11");
    CHECK_EQ(write(fd, "", 0), 0, "write of 0 bytes returns 0");
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "lseek SEEK_SET 0");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(fd, buf, sizeof buf), 11, "read returns bytes available");
    CHECK_STR(buf, "hello world", "read data matches written data");
    CHECK_EQ(read(fd, buf, sizeof buf), 0, "read at EOF returns 0");
    CHECK_EQ(lseek(fd, 3, SEEK_SET), 3, "lseek SEEK_SET 3");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(fd, buf, 4), 4, "short read returns requested count");
    CHECK_STR(buf, "lo w", "read from offset 3");
    CHECK_EQ(lseek(fd, -2, SEEK_CUR), 5, "lseek SEEK_CUR negative");
    CHECK_EQ(lseek(fd, -5, SEEK_END), 6, "lseek SEEK_END negative");
    CHECK_ERR(lseek(fd, -100, SEEK_SET), EINVAL, "lseek to negative offset is EINVAL");
    CHECK_ERR(lseek(fd, 0, 42), EINVAL, "lseek with bad whence is EINVAL");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "failed lseek leaves offset alone");

    /* pwrite64 / pread64 do not move the file offset */
    CHECK_EQ(pwrite(fd, "WORLD", 5, 6), 5, "pwrite64 returns byte count");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "pwrite64 leaves offset unchanged");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 11, "pread64 returns bytes to EOF");
    CHECK_STR(buf, "hello WORLD", "pread64 sees pwrite64 data");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "pread64 leaves offset unchanged");
    CHECK_EQ(pread(fd, buf, sizeof buf, 1000), 0, "pread64 past EOF returns 0");
    CHECK_ERR(syscall(SYS_pread64, fd, buf, 4, -1L), EINVAL, "pread64 negative offset is EINVAL");
    CHECK_ERR(syscall(SYS_pwrite64, fd, "x", 1, -1L), EINVAL, "pwrite64 negative offset is EINVAL");

    /* writev / readv, on a fresh file */
    close(fd);
    fd = open(kt_path("data2"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open a second scratch file");
    struct iovec wv[3] = {
        {.iov_base = "abc", .iov_len = 3},
        {.iov_base = "", .iov_len = 0},
        {.iov_base = "defgh", .iov_len = 5},
    };
    CHECK_EQ(writev(fd, wv, 3), 8, "writev returns total length");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8, "writev advances offset");
    lseek(fd, 0, SEEK_SET);
    char a[2] = {0}, b[10];
    memset(b, 0, sizeof b);
    struct iovec rv[2] = {{.iov_base = a, .iov_len = 2}, {.iov_base = b, .iov_len = 9}};
    CHECK_EQ(readv(fd, rv, 2), 8, "readv returns total read");
    kt_check(memcmp(a, "ab", 2) == 0 && memcmp(b, "cdefgh", 6) == 0,
             "readv scatters into buffers in order", "got \"%.2s\" \"%.6s\"", a, b);
    CHECK_EQ(readv(fd, rv, 0), 0, "readv with iovcnt 0 returns 0");
    CHECK_ERR(syscall(SYS_readv, fd, rv, -1), EINVAL, "readv with negative iovcnt is EINVAL");
    CHECK_ERR(syscall(SYS_writev, fd, wv, 1025), EINVAL, "writev with iovcnt > IOV_MAX is EINVAL");
    CHECK_ERR(syscall(SYS_preadv, fd, rv, 2, -1L, 0L), EINVAL, "preadv negative offset is EINVAL");

    /* preadv / pwritev */
    struct iovec pv[2] = {{.iov_base = "XY", .iov_len = 2}, {.iov_base = "Z", .iov_len = 1}};
    CHECK_EQ(pwritev(fd, pv, 2, 1), 3, "pwritev returns total length");
    memset(buf, 0, sizeof buf);
    struct iovec prv[1] = {{.iov_base = buf, .iov_len = 5}};
    CHECK_EQ(preadv(fd, prv, 1, 0), 5, "preadv returns length");
    CHECK_STR(buf, "aXYZe", "preadv sees pwritev data");

    /* holes read back as zeros */
    CHECK_EQ(lseek(fd, 4096, SEEK_SET), 4096, "lseek past EOF");
    CHECK_EQ(write(fd, "!", 1), 1, "write past EOF extends file");
    memset(buf, 'q', sizeof buf);
    CHECK_EQ(pread(fd, buf, 16, 100), 16, "pread64 inside hole");
    int zeros = 1;
    for (int i = 0; i < 16; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros, "hole reads as zero bytes");
    CHECK_EQ(lseek(fd, 0, SEEK_END), 4097, "SEEK_END is new size");

    /* large transfer */
    static char big[300000], big2[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7 + i / 251);
    CHECK_EQ(pwrite(fd, big, sizeof big, 0), (long)sizeof big, "large pwrite64");
    CHECK_EQ(pread(fd, big2, sizeof big2, 0), (long)sizeof big2, "large pread64");
    CHECK(memcmp(big, big2, sizeof big) == 0, "large transfer round-trips");

    /* errors */
    CHECK_ERR(read(9999, buf, 1), EBADF, "read from unopened fd is EBADF");
    CHECK_ERR(write(-1, buf, 1), EBADF, "write to fd -1 is EBADF");
    CHECK_ERR(lseek(9999, 0, SEEK_SET), EBADF, "lseek on unopened fd is EBADF");
    CHECK_ERR(syscall(SYS_read, fd, KT_BAD_PTR, 10), EFAULT, "read into bad pointer is EFAULT");
    lseek(fd, 0, SEEK_SET);
    CHECK_ERR(syscall(SYS_write, fd, KT_BAD_PTR, 10), EFAULT, "write from bad pointer is EFAULT");
    CHECK_ERR(syscall(SYS_readv, fd, KT_BAD_PTR, 1), EFAULT, "readv with bad iovec pointer is EFAULT");

    int ro = open(path, O_RDONLY);
    CHECK_ERR(write(ro, "x", 1), EBADF, "write to O_RDONLY fd is EBADF");
    close(ro);
    int wo = open(path, O_WRONLY);
    CHECK_ERR(read(wo, buf, 1), EBADF, "read from O_WRONLY fd is EBADF");
    close(wo);

    /* /dev/null and /dev/zero */
    int dn = open("/dev/null", O_RDWR);
    CHECK(dn >= 0, "open /dev/null");
    CHECK_EQ(write(dn, "abc", 3), 3, "write to /dev/null");
    CHECK_EQ(read(dn, buf, 10), 0, "read from /dev/null is EOF");
    close(dn);
    int dz = open("/dev/zero", O_RDONLY);
    CHECK(dz >= 0, "open /dev/zero");
    memset(buf, 1, 32);
    CHECK_EQ(read(dz, buf, 32), 32, "read from /dev/zero");
    zeros = 1;
    for (int i = 0; i < 32; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros, "/dev/zero reads zeros");
    close(dz);

    CHECK_EQ(close(fd), 0, "close");
    kt_cleanup();
    return kt_done();
}
