/*
 * falloc DIR - fallocate(2)'s modes and files past 4 GiB on the ext4
 * filesystem mounted at DIR (as Linux's ext4 answers them): preallocation
 * with and without FALLOC_FL_KEEP_SIZE (unwritten blocks read as zeros),
 * PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE, the mode checks of
 * vfs_fallocate and ext4_fallocate, and a sparse write at 5 GiB.
 * Leaves its files for the host's e2fsck and debugfs.
 */
#include "ktest.h"
#include <linux/falloc.h>
#include <sys/statvfs.h>

static const char *dir;
static long bs;

static int mk(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

/* A file of n blocks, block i filled with the byte 'A' + i. */
static int pattern(const char *name, int n)
{
    int fd = mk(name);
    char *b = malloc(bs);
    for (int i = 0; i < n; i++) {
        memset(b, 'A' + i, bs);
        if (pwrite(fd, b, bs, (off_t)i * bs) != bs)
            kt_fail(name, "pwrite block %d: %s", i, strerror(errno));
    }
    free(b);
    return fd;
}

/* Whether bytes [off, off+len) of fd all equal c. */
static int all(int fd, off_t off, long len, int c)
{
    char *b = malloc(len);
    ssize_t r = pread(fd, b, len, off);
    int ok = r == len;
    for (long i = 0; ok && i < len; i++)
        ok = b[i] == (char)c;
    free(b);
    return ok;
}

static long long size_of(int fd) { struct stat st; fstat(fd, &st); return st.st_size; }
static long long blocks_of(int fd) { struct stat st; fstat(fd, &st); return st.st_blocks; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        kt_printf("usage: falloc DIR\n");
        return 2;
    }
    dir = argv[1];
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0) {
        kt_fail("statvfs", "%s", strerror(errno));
        return kt_done();
    }
    bs = sv.f_bsize;
    long per = bs / 512; /* st_blocks per block */

    /* Plain preallocation: the size grows, the new bytes read as zeros. */
    int fd = mk("pre");
    CHECK_EQ(write(fd, "0123456789", 10), 10, "pre: ten bytes");
    CHECK_OK(fallocate(fd, 0, 0, 10 * bs), "pre: fallocate 10 blocks");
    CHECK_EQ(size_of(fd), 10 * bs, "pre: the size is the range's end");
    CHECK_EQ(blocks_of(fd), 10 * per, "pre: ten blocks allocated");
    CHECK(all(fd, 10, 10 * bs - 10, 0), "pre: the preallocated bytes read as zeros");
    CHECK(all(fd, 0, 1, '0'), "pre: the written bytes stay");
    CHECK_EQ(pwrite(fd, "xy", 2, 5 * bs + 3), 2, "pre: a write into an unwritten block");
    CHECK(all(fd, 5 * bs, 3, 0) && all(fd, 5 * bs + 5, bs - 5, 0), "pre: the rest of that block reads as zeros");
    CHECK_EQ(blocks_of(fd), 10 * per, "pre: the write allocated nothing more");
    close(fd);

    /* KEEP_SIZE: blocks past the end, the size unchanged. */
    fd = mk("keep");
    CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * bs), "keep: fallocate KEEP_SIZE 8 blocks");
    CHECK_EQ(size_of(fd), 0, "keep: the size stays 0");
    CHECK_EQ(blocks_of(fd), 8 * per, "keep: eight blocks allocated past the end");
    CHECK_EQ(pwrite(fd, "hello", 5, 3 * bs + 5), 5, "keep: a write inside them");
    CHECK_EQ(size_of(fd), 3 * bs + 10, "keep: the size follows the write");
    CHECK(all(fd, 0, 3 * bs + 5, 0), "keep: the bytes before read as zeros");
    CHECK_EQ(blocks_of(fd), 8 * per, "keep: still eight blocks");
    close(fd);

    /* PUNCH_HOLE: whole blocks freed, the partial ones zeroed. */
    fd = pattern("punch", 16);
    CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, bs, bs), EOPNOTSUPP, "punch: without KEEP_SIZE is EOPNOTSUPP");
    CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, bs + 100, 4 * bs + 100), "punch: a hole over blocks 1-5 in part");
    CHECK(all(fd, bs, 100, 'B'), "punch: the bytes before the hole stay");
    CHECK(all(fd, bs + 100, 4 * bs + 100, 0), "punch: the hole reads as zeros");
    CHECK(all(fd, 5 * bs + 200, bs - 200, 'F'), "punch: the bytes after the hole stay");
    CHECK_EQ(size_of(fd), 16 * bs, "punch: the size stays");
    CHECK_EQ(blocks_of(fd), 13 * per, "punch: the three whole blocks are freed");
    CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 20 * bs, bs), "punch: past the end does nothing");
    CHECK_EQ(size_of(fd), 16 * bs, "punch: the size still stays");
    close(fd);

    /* ZERO_RANGE: zeros, the blocks still allocated; past the end the size grows. */
    fd = pattern("zero", 16);
    CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, bs / 2, 3 * bs), "zero: ZERO_RANGE over blocks 0-3 in part");
    CHECK(all(fd, 0, bs / 2, 'A'), "zero: the bytes before stay");
    CHECK(all(fd, bs / 2, 3 * bs, 0), "zero: the range reads as zeros");
    CHECK(all(fd, 3 * bs + bs / 2, bs / 2, 'D'), "zero: the bytes after stay");
    CHECK_EQ(blocks_of(fd), 16 * per, "zero: every block still allocated");
    CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 15 * bs, 4 * bs), "zero: KEEP_SIZE past the end");
    CHECK_EQ(size_of(fd), 16 * bs, "zero: KEEP_SIZE keeps the size");
    CHECK(all(fd, 15 * bs, bs, 0), "zero: the last block reads as zeros");
    CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 20 * bs, bs), "zero: past the end without KEEP_SIZE");
    CHECK_EQ(size_of(fd), 21 * bs, "zero: the size grows to the range's end");
    CHECK(all(fd, 16 * bs, 5 * bs, 0), "zero: the new part reads as zeros");
    close(fd);

    /* COLLAPSE_RANGE: blocks 2-4 go, what follows moves down. */
    fd = pattern("collapse", 16);
    CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 2 * bs + 1, bs), EINVAL, "collapse: an unaligned offset is EINVAL");
    CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 14 * bs, 2 * bs), EINVAL, "collapse: a range reaching the end is EINVAL");
    CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 2 * bs, bs), EOPNOTSUPP, "collapse: with KEEP_SIZE is EOPNOTSUPP");
    CHECK_OK(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 2 * bs, 3 * bs), "collapse: blocks 2-4");
    CHECK_EQ(size_of(fd), 13 * bs, "collapse: the size shrinks by the range");
    CHECK(all(fd, bs, bs, 'B') && all(fd, 2 * bs, bs, 'F') && all(fd, 12 * bs, bs, 'P'), "collapse: later blocks moved down");
    CHECK_EQ(blocks_of(fd), 13 * per, "collapse: three blocks freed");
    close(fd);

    /* INSERT_RANGE: a two-block hole at block 2. */
    fd = pattern("insert", 8);
    CHECK_ERR(fallocate(fd, FALLOC_FL_INSERT_RANGE, 8 * bs, bs), EINVAL, "insert: at the end is EINVAL");
    CHECK_ERR(fallocate(fd, FALLOC_FL_INSERT_RANGE, bs, 100), EINVAL, "insert: an unaligned length is EINVAL");
    CHECK_OK(fallocate(fd, FALLOC_FL_INSERT_RANGE, 2 * bs, 2 * bs), "insert: two blocks at block 2");
    CHECK_EQ(size_of(fd), 10 * bs, "insert: the size grows by the range");
    CHECK(all(fd, bs, bs, 'B') && all(fd, 2 * bs, 2 * bs, 0) && all(fd, 4 * bs, bs, 'C') && all(fd, 9 * bs, bs, 'H'),
          "insert: a hole, then the later blocks moved up");
    CHECK_EQ(blocks_of(fd), 8 * per, "insert: nothing allocated");
    close(fd);

    /* The mode checks. */
    fd = mk("modes");
    CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, bs), EOPNOTSUPP,
              "modes: PUNCH_HOLE with ZERO_RANGE is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 0, bs), EOPNOTSUPP, "modes: INSERT_RANGE with KEEP_SIZE is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE, 0, bs), EOPNOTSUPP, "modes: two operations at once are EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_NO_HIDE_STALE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, bs), EOPNOTSUPP, "modes: NO_HIDE_STALE is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, 0x40 /* FALLOC_FL_UNSHARE_RANGE */, 0, bs), EOPNOTSUPP, "modes: UNSHARE_RANGE is EOPNOTSUPP on ext4");
    CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL, "modes: a zero length is EINVAL");
    CHECK_ERR(fallocate(fd, 0, (off_t)1 << 62, bs), EFBIG, "modes: past ext4's largest file is EFBIG");
    close(fd);

    /* Past 4 GiB: a sparse write at 5 GiB, read back, and truncated further. */
    fd = mk("huge");
    off_t at = (off_t)5 << 30;
    CHECK_EQ(pwrite(fd, "far away", 8, at + 7), 8, "huge: a write at 5 GiB + 7");
    CHECK_EQ(size_of(fd), at + 15, "huge: the size is past 5 GiB");
    CHECK_EQ(blocks_of(fd), per, "huge: one block allocated");
    char buf[16] = { 0 };
    CHECK_EQ(pread(fd, buf, 8, at + 7), 8, "huge: read back");
    CHECK_STR(buf, "far away", "huge: the same bytes");
    CHECK(all(fd, at - 4096, 4096, 0), "huge: the hole before reads as zeros");
    CHECK_OK(ftruncate(fd, (off_t)6 << 30), "huge: ftruncate to 6 GiB");
    CHECK(all(fd, ((off_t)6 << 30) - 100, 100, 0), "huge: the new end reads as zeros");
    CHECK_EQ(lseek(fd, 0, SEEK_END), (off_t)6 << 30, "huge: SEEK_END is 6 GiB");
    CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, ((off_t)6 << 30) + bs, bs), "huge: fallocate past 6 GiB");
    close(fd);
    return kt_done();
}
