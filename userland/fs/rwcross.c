/*
 * rwcross - read and write between user pages and a pipe or a tmpfs file
 * (/tmp) copy the right bytes at any alignment, and a buffer that runs into
 * an unmapped page gives what Linux gives: the bytes up to the guard for a
 * tmpfs file (EFAULT when none), EFAULT with the pipe's bytes kept when
 * nothing fits, and the whole of a pipe's bytes when they fit before the
 * guard. (Ghost copies these straight between its frames and the user's
 * pages, with no buffer between: issue #9.)
 *
 * qemu-user checks a syscall's whole buffer up front (EFAULT where Linux
 * gives a short count): those checks are skipped under qemu (GHOST_TEST_QEMU=1).
 */
#include "ktest.h"
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PG 4096L

static void fill(char *p, long n, unsigned seed)
{
    for (long i = 0; i < n; i++)
        p[i] = (char)((i * 131 + seed) >> 3);
}

static int same(const char *a, const char *b, long n) { return memcmp(a, b, (size_t)n) == 0; }

static int pending(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

static void tmpfs_file(void)
{
    int q = kt_qemu();
    char path[64];
    snprintf(path, sizeof path, "/tmp/rwcross-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "tmpfs: open a file in /tmp");

    /* Unaligned on both sides: 3 pages from user offset 100 to file offset 3000. */
    static char src[5 * PG], dst[5 * PG];
    fill(src, sizeof src, 7);
    CHECK_EQ(pwrite(fd, src + 100, 3 * PG, 3000), 3 * PG, "tmpfs: unaligned pwrite of 3 pages");
    memset(dst, 0x55, sizeof dst);
    CHECK_EQ(pread(fd, dst + 777, 3 * PG + 3000, 0), 3 * PG + 3000, "tmpfs: unaligned pread of the whole file");
    long zeros = 0;
    for (long i = 0; i < 3000; i++)
        zeros += dst[777 + i] == 0;
    CHECK_EQ(zeros, 3000, "tmpfs: the hole before offset 3000 reads as zeros");
    CHECK(same(dst + 777 + 3000, src + 100, 3 * PG), "tmpfs: the bytes read back are those written");
    CHECK(dst[776] == 0x55 && dst[777 + 3 * PG + 3000] == 0x55, "tmpfs: nothing past the buffer was touched");

    /* A sparse stretch (ftruncate past the end) reads as zeros into a dirty buffer. */
    CHECK_OK(ftruncate(fd, 8 * PG), "tmpfs: ftruncate to 8 pages");
    memset(dst, 0x55, sizeof dst);
    CHECK_EQ(pread(fd, dst + 5, 2 * PG, 5 * PG + 9), 2 * PG, "tmpfs: pread of the hole");
    zeros = 0;
    for (long i = 0; i < 2 * PG; i++)
        zeros += dst[5 + i] == 0;
    CHECK_EQ(zeros, 2 * PG, "tmpfs: the hole reads as zeros");

    /* A buffer of 100 mapped bytes, then the guard. */
    char *g = kt_guarded(PG);
    char *edge = g + PG - 100;
    fill(g, PG, 3);
    if (q) {
        kt_skip("tmpfs: write from 100 mapped bytes + guard is 100", "qemu-user checks the whole buffer");
        kt_skip("tmpfs: read into 100 mapped bytes + guard is 100", "qemu-user checks the whole buffer");
    } else {
        CHECK_EQ(pwrite(fd, edge, 2 * PG, 10), 100, "tmpfs: write from 100 mapped bytes + guard is 100");
        CHECK_EQ(pread(fd, dst, 100, 10) == 100 && same(dst, edge, 100), 1, "... and those 100 bytes reached the file");
        memset(edge, 0, 100);
        CHECK_EQ(pread(fd, edge, 2 * PG, 10), 100, "tmpfs: read into 100 mapped bytes + guard is 100");
        CHECK(same(edge, dst, 100), "... the bytes of the file");
        CHECK_EQ(lseek(fd, 10, SEEK_SET), 10, "lseek");
        CHECK_EQ(read(fd, edge, 2 * PG), 100, "tmpfs: read(2) likewise is 100");
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), 110, "... and the offset moved by 100");
    }
    off_t size = lseek(fd, 0, SEEK_END);
    CHECK_ERR(pwrite(fd, g + PG, 10, 0), EFAULT, "tmpfs: write from the guard page is EFAULT");
    CHECK_ERR(pread(fd, g + PG, 10, 0), EFAULT, "tmpfs: read into the guard page is EFAULT");
    CHECK_EQ(lseek(fd, 0, SEEK_END), size, "... and the file kept its size");

    /* O_APPEND from an unaligned buffer lands at the end. */
    int fa = open(path, O_WRONLY | O_APPEND);
    CHECK_EQ(write(fa, src + 33, 5000), 5000, "tmpfs: O_APPEND write of 5000 bytes");
    CHECK_EQ(lseek(fd, 0, SEEK_END), size + 5000, "... the file grew by 5000");
    CHECK_EQ(pread(fd, dst + 1, 5000, size) == 5000 && same(dst + 1, src + 33, 5000), 1, "... the bytes are at the old end");
    close(fa);
    munmap(g, 2 * PG);
    close(fd);
    unlink(path);
}

static void pipe_io(void)
{
    int q = kt_qemu();
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    static char src[80000], dst[80000];
    fill(src, sizeof src, 11);

    /* Around the ring: 60000 in, 30000 out, 5000 more in (wraps), the rest out, all unaligned. */
    CHECK_EQ(write(p[1], src + 3, 60000), 60000, "pipe: write 60000 bytes");
    CHECK_EQ(read(p[0], dst + 5, 30000), 30000, "pipe: read 30000");
    CHECK_EQ(write(p[1], src + 3 + 60000, 5000), 5000, "pipe: 5000 more (around the ring)");
    long got = 30000;
    while (got < 65000) {
        ssize_t r = read(p[0], dst + 5 + got, 65000 - got);
        if (r <= 0)
            break;
        got += r;
    }
    CHECK_EQ(got, 65000, "pipe: the rest read back");
    CHECK(same(dst + 5, src + 3, 65000), "pipe: the bytes came through in order");

    /* Reads and writes that run into a guard page. */
    char *g = kt_guarded(PG);
    char *edge = g + PG - 200;
    CHECK_EQ(write(p[1], "0123456789", 10), 10, "pipe: 10 bytes in");
    CHECK_ERR(read(p[0], g + PG, 10), EFAULT, "pipe: read into the guard page is EFAULT");
    CHECK_EQ(pending(p[0]), 10, "... and the 10 bytes stay in the pipe");
    if (q)
        kt_skip("pipe: read of 10 bytes into 200 mapped + guard is 10", "qemu-user checks the whole buffer");
    else {
        CHECK_EQ(read(p[0], edge, 2 * PG), 10, "pipe: read of 10 bytes into 200 mapped + guard is 10");
        CHECK(memcmp(edge, "0123456789", 10) == 0, "... the bytes");
    }
    while (pending(p[0]) > 0)
        read(p[0], dst, sizeof dst);
    CHECK_ERR(write(p[1], g + PG, 10), EFAULT, "pipe: write from the guard page is EFAULT");
    CHECK_EQ(pending(p[0]), 0, "... and nothing reached the pipe");
    fill(g, PG, 5);
    if (q)
        kt_skip("pipe: write from 1 mapped page + guard is 4096", "qemu-user checks the whole buffer");
    else {
        CHECK_EQ(write(p[1], g, 2 * PG), PG, "pipe: write from 1 mapped page + guard is 4096");
        CHECK_EQ(read(p[0], dst, 2 * PG) == PG && same(dst, g, PG), 1, "... and the pipe holds that page");
    }
    munmap(g, 2 * PG);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    tmpfs_file();
    pipe_io();
    return kt_done();
}
