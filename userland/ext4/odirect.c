/*
 * odirect DIR [DEV] - O_DIRECT on an ext4 file in DIR (and on the block
 * device DEV, which must hold nothing anyone needs), as Linux answers it:
 * the file offset, the length and the buffer's address must be aligned to
 * the device's logical block size (EINVAL otherwise; a buffer off by one
 * byte is misaligned on every disk); aligned I/O bypasses the page cache
 * coherently - a buffered write not yet written back is what an O_DIRECT
 * read sees, and an O_DIRECT write is what a buffered read sees next, even
 * of a page the cache held before; reads stop at the end of the file and
 * O_DIRECT writes may extend it.
 */
#include "ktest.h"

#define BS 4096

static char *aligned(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, BS, n + BS) == 0 ? p : NULL;
}

static void file_checks(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/odirect", dir);
    unlink(p);
    char *buf = aligned(4 * BS);
    CHECK(buf != NULL, "an aligned buffer");
    if (!buf) return;

    /* Buffered: 4 pages of 'a', kept in the page cache. */
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create the file");
    memset(buf, 'a', 4 * BS);
    CHECK_EQ(write(fd, buf, 4 * BS), 4 * BS, "buffered write of 16 KiB");
    char probe[16];
    CHECK_EQ(pread(fd, probe, 1, BS), 1, "buffered read caches page 1");

    int dfd = open(p, O_RDWR | O_DIRECT);
    CHECK(dfd >= 0, "open O_DIRECT");
    CHECK(fcntl(dfd, F_GETFL) & O_DIRECT, "F_GETFL shows O_DIRECT");

    /* Alignment: offset, length, buffer. */
    CHECK_ERR(pread(dfd, buf, BS, 100), EINVAL, "O_DIRECT read at an unaligned offset");
    CHECK_ERR(pread(dfd, buf, 100, 0), EINVAL, "O_DIRECT read of an unaligned length");
    CHECK_ERR(pread(dfd, buf + 1, BS, 0), EINVAL, "O_DIRECT read into an unaligned buffer");
    CHECK_ERR(pwrite(dfd, buf, BS, 100), EINVAL, "O_DIRECT write at an unaligned offset");
    CHECK_ERR(pwrite(dfd, buf, 100, 0), EINVAL, "O_DIRECT write of an unaligned length");
    CHECK_ERR(pwrite(dfd, buf + 1, BS, 0), EINVAL, "O_DIRECT write from an unaligned buffer");
    CHECK_EQ(pread(dfd, buf, 0, 0), 0, "a zero-length O_DIRECT read");

    /* Coherence: a buffered write not yet on the disk is what O_DIRECT reads. */
    memset(buf, 'b', BS);
    CHECK_EQ(pwrite(fd, buf, BS, 2 * BS), BS, "buffered write of page 2");
    memset(buf, 0, BS);
    CHECK_EQ(pread(dfd, buf, BS, 2 * BS), BS, "O_DIRECT read of page 2");
    CHECK(buf[0] == 'b' && buf[BS - 1] == 'b', "it sees the buffered write");

    /* An O_DIRECT write over a cached page: the buffered read sees it. */
    memset(buf, 'c', BS);
    CHECK_EQ(pwrite(dfd, buf, BS, BS), BS, "O_DIRECT write of page 1");
    CHECK_EQ(pread(fd, probe, 4, BS), 4, "buffered read of page 1");
    CHECK(memcmp(probe, "cccc", 4) == 0, "it sees the O_DIRECT write");

    /* The end of the file: a read stops there, a write extends it. */
    CHECK_EQ(pread(dfd, buf, 2 * BS, 3 * BS), BS, "O_DIRECT read across the end is short");
    CHECK_EQ(pread(dfd, buf, BS, 8 * BS), 0, "O_DIRECT read past the end is 0");
    memset(buf, 'd', 2 * BS);
    CHECK_EQ(pwrite(dfd, buf, 2 * BS, 4 * BS), 2 * BS, "O_DIRECT write extending the file");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 6 * BS, "the size grew to 24 KiB");
    CHECK_EQ(pread(fd, probe, 4, 5 * BS), 4, "buffered read of the new data");
    CHECK(memcmp(probe, "dddd", 4) == 0, "it is the O_DIRECT write's");

    /* A sequential O_DIRECT read with read(2) and the file offset. */
    CHECK(lseek(dfd, 0, SEEK_SET) == 0, "lseek to 0");
    CHECK_EQ(read(dfd, buf, 4 * BS), 4 * BS, "O_DIRECT read(2) of 16 KiB");
    CHECK(buf[0] == 'a' && buf[BS] == 'c' && buf[2 * BS] == 'b' && buf[3 * BS] == 'a', "pages a, c, b, a");
    CHECK(lseek(dfd, 0, SEEK_CUR) == 4 * BS, "the offset moved by 16 KiB");

    /* F_SETFL turns O_DIRECT off (and on). */
    CHECK(fcntl(dfd, F_SETFL, 0) == 0 && !(fcntl(dfd, F_GETFL) & O_DIRECT), "F_SETFL clears O_DIRECT");
    CHECK_EQ(pread(dfd, probe, 3, 1), 3, "then an unaligned read works");
    close(dfd);
    close(fd);
    free(buf);
}

static void device_checks(const char *dev)
{
    char *buf = aligned(2 * BS);
    int dfd = open(dev, O_RDWR | O_DIRECT);
    CHECK(dfd >= 0, "open the device O_DIRECT");
    if (dfd < 0 || !buf) return;
    CHECK_ERR(pread(dfd, buf, 512, 100), EINVAL, "device: O_DIRECT read at an unaligned offset");
    CHECK_ERR(pread(dfd, buf, 100, 0), EINVAL, "device: O_DIRECT read of an unaligned length");
    CHECK_ERR(pread(dfd, buf + 1, 512, 0), EINVAL, "device: O_DIRECT read into an unaligned buffer");
    CHECK_ERR(pwrite(dfd, buf, 100, 512), EINVAL, "device: O_DIRECT write of an unaligned length");
    memset(buf, 'x', 512);
    CHECK_EQ(pwrite(dfd, buf, 512, 512), 512, "device: a 512-byte O_DIRECT write");
    int fd = open(dev, O_RDONLY);
    char probe[4];
    CHECK_EQ(pread(fd, probe, 4, 512), 4, "device: buffered read");
    CHECK(memcmp(probe, "xxxx", 4) == 0, "device: it sees the O_DIRECT write");
    close(fd);
    close(dfd);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        kt_printf("usage: odirect DIR [DEV]\n");
        return 2;
    }
    file_checks(argv[1]);
    if (argc > 2) device_checks(argv[2]);
    return kt_done();
}
