/* FS_IOC_FIEMAP on an ext4 file (argv[1]: a directory on ext4): unknown
 * flags are EBADR, fm_flags written back naming them; an empty file has no
 * extents; blocks written at 0, 2 and 4 (block size) are three extents of
 * one block, the last marked FIEMAP_EXTENT_LAST; fm_extent_count 0 counts
 * them; fm_length 0 is EINVAL. LTP ioctl_fiemap01. */
#include "ktest.h"
#include <linux/fs.h>
#include <linux/fiemap.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>

static struct {
    struct fiemap fm;
    struct fiemap_extent fe[8];
} m;

static int map(int fd, unsigned flags, unsigned count, unsigned long long len)
{
    memset(&m, 0, sizeof m);
    m.fm.fm_start = 0;
    m.fm.fm_length = len;
    m.fm.fm_flags = flags;
    m.fm.fm_extent_count = count;
    return ioctl(fd, FS_IOC_FIEMAP, &m);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        kt_fail("usage", "fiemap DIR");
    char path[400];
    snprintf(path, sizeof path, "%s/fiemap", argv[1]);
    struct statvfs vfs;
    CHECK_OK(statvfs(argv[1], &vfs), "statvfs");
    size_t bs = vfs.f_bsize;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create a file on ext4");

    CHECK_ERR(map(fd, 0x80000000u | FIEMAP_FLAG_SYNC, 1, ~0ULL), EBADR, "an unknown flag: EBADR");
    CHECK(m.fm.fm_flags & 0x80000000u, "fm_flags names the unknown flag");
    CHECK_ERR(map(fd, 0, 1, 0), EINVAL, "fm_length 0: EINVAL");
    CHECK_OK(map(fd, 0, 1, ~0ULL), "FIEMAP of an empty file");
    CHECK_EQ(m.fm.fm_mapped_extents, 0, "an empty file has no extents");

    char *buf = calloc(1, bs);
    memset(buf, 'f', bs);
    CHECK(pwrite(fd, buf, bs, 0) == (ssize_t)bs, "write block 0");
    CHECK_OK(map(fd, FIEMAP_FLAG_SYNC, 1, ~0ULL), "FIEMAP_FLAG_SYNC of one block");
    CHECK_EQ(m.fm.fm_mapped_extents, 1, "one extent");
    CHECK(m.fe[0].fe_logical == 0 && m.fe[0].fe_length == bs && m.fe[0].fe_physical >= bs, "at 0, one block long, on the disk");
    CHECK_EQ(m.fe[0].fe_flags & (FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_UNWRITTEN), FIEMAP_EXTENT_LAST, "the last, written");

    CHECK(pwrite(fd, buf, bs, 2 * bs) == (ssize_t)bs && pwrite(fd, buf, bs, 4 * bs) == (ssize_t)bs, "write blocks 2 and 4");
    CHECK_OK(map(fd, FIEMAP_FLAG_SYNC, 0, ~0ULL), "fm_extent_count 0");
    CHECK_EQ(m.fm.fm_mapped_extents, 3, "counts three extents");
    CHECK_OK(map(fd, FIEMAP_FLAG_SYNC, 8, ~0ULL), "FIEMAP of three blocks apart");
    CHECK_EQ(m.fm.fm_mapped_extents, 3, "three extents");
    for (int i = 0; i < 3; i++)
        kt_check(m.fe[i].fe_logical == 2 * i * bs && m.fe[i].fe_length == bs &&
                     (m.fe[i].fe_flags & FIEMAP_EXTENT_LAST) == (i == 2 ? FIEMAP_EXTENT_LAST : 0),
                 "extent at 0, 2, 4 blocks, one block each, LAST on the third", "extent %d: logical %llu length %llu flags %#x", i,
                 (unsigned long long)m.fe[i].fe_logical, (unsigned long long)m.fe[i].fe_length, m.fe[i].fe_flags);
    CHECK_OK(map(fd, FIEMAP_FLAG_SYNC, 1, ~0ULL), "fm_extent_count 1 of three");
    CHECK_EQ(m.fm.fm_mapped_extents, 1, "fills one");
    close(fd);
    unlink(path);
    free(buf);

    /* FS_IOC_FIEMAP is the VFS's for every file (do_vfs_ioctl): a file whose
     * filesystem has no fiemap (a pipe here; tmpfs too) is EOPNOTSUPP, not ENOTTY. */
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    CHECK_ERR(map(p[0], 0, 1, ~0ULL), EOPNOTSUPP, "FIEMAP of a pipe: EOPNOTSUPP");
    close(p[0]);
    close(p[1]);
    return kt_done();
}
