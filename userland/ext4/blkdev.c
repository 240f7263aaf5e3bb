/*
 * blkdev DEV MNT - the block-device ioctls and file operations mkfs and
 * fsck tools use, as Linux answers them for a virtio disk that offers
 * discard and write zeroes (block/ioctl.c, block/fops.c). DEV must hold an
 * ext4 filesystem nobody has mounted; it is mounted on MNT once, and its
 * last mebibytes are zeroed (the filesystem is not used again).
 *  - unknown ioctls are ENOTTY; the topology ioctls answer (alignment 0,
 *    discard does not zero, not rotational, not zoned, a disk sequence);
 *    BLKRASET/BLKRAGET keep the readahead in whole pages;
 *  - BLKDISCARD and BLKZEROOUT take a byte range on whole sectors inside
 *    the device (EINVAL otherwise), need the file open for writing (EBADF);
 *    BLKZEROOUT's range reads as zeros; BLKSECDISCARD is EOPNOTSUPP;
 *  - fallocate on the device: ZERO_RANGE and PUNCH_HOLE|KEEP_SIZE zero,
 *    KEEP_SIZE trims a range past the end, other modes EOPNOTSUPP;
 *  - O_EXCL holds the device: a second O_EXCL open and mount are EBUSY,
 *    and a mounted device cannot be opened O_EXCL, discarded or zeroed,
 *    nor mounted again on top of itself (do_add_mount);
 *  - fsync on the device succeeds;
 *  - after BLKROSET a read-write mount is EACCES, a read-only one works
 *    (setup_bdev_super; LTP ioctl04), and the device still opens O_RDWR.
 */
#include "ktest.h"
#include <linux/fs.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#define MiB (1024 * 1024)
/* linux/blkzoned.h's, not included by every cross toolchain's headers. */
#ifndef BLKGETZONESZ
#define BLKGETZONESZ _IOR(0x12, 132, __u32)
#define BLKGETNRZONES _IOR(0x12, 133, __u32)
#endif

static int range_ioctl(int fd, unsigned long cmd, uint64_t start, uint64_t len)
{
    uint64_t r[2] = { start, len };
    return ioctl(fd, cmd, r);
}

static int all_zero(int fd, off_t at, size_t n)
{
    static char buf[65536];
    while (n > 0) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        if (pread(fd, buf, k, at) != (ssize_t)k) return 0;
        for (size_t i = 0; i < k; i++)
            if (buf[i]) return 0;
        at += k;
        n -= k;
    }
    return 1;
}

static void fill(int fd, off_t at, size_t n, char c)
{
    static char buf[65536];
    memset(buf, c, sizeof buf);
    while (n > 0) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        if (pwrite(fd, buf, k, at) != (ssize_t)k) return;
        at += k;
        n -= k;
    }
}

static void exclusive(const char *dev, const char *mnt)
{
    int x = open(dev, O_RDONLY | O_EXCL);
    CHECK(x >= 0, "open O_EXCL");
    CHECK_ERR(open(dev, O_RDONLY | O_EXCL), EBUSY, "a second O_EXCL open is EBUSY");
    int plain = open(dev, O_RDONLY);
    CHECK(plain >= 0, "an open without O_EXCL is not refused");
    close(plain);
    CHECK_ERR(mount(dev, mnt, "ext4", 0, NULL), EBUSY, "mount while held with O_EXCL is EBUSY");
    close(x);
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "mount once the O_EXCL holder closed");
    CHECK_ERR(mount(dev, mnt, "ext4", 0, NULL), EBUSY, "the same filesystem again on its own mount point is EBUSY");
    CHECK_ERR(open(dev, O_RDWR | O_EXCL), EBUSY, "O_EXCL open of a mounted device is EBUSY");
    int w = open(dev, O_RDWR);
    CHECK(w >= 0, "the mounted device opens for writing without O_EXCL");
    CHECK_ERR(range_ioctl(w, BLKDISCARD, 0, 4096), EBUSY, "BLKDISCARD of a mounted device is EBUSY");
    CHECK_ERR(range_ioctl(w, BLKZEROOUT, 0, 4096), EBUSY, "BLKZEROOUT of a mounted device is EBUSY");
    CHECK_ERR(fallocate(w, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096), EBUSY, "fallocate ZERO_RANGE of a mounted device is EBUSY");
    close(w);
    CHECK_OK(umount(mnt), "umount");
    x = open(dev, O_RDONLY | O_EXCL);
    CHECK(x >= 0, "O_EXCL again after umount");
    close(x);
}

/* statx of the device: its direct I/O alignment (bdev_statx), one sector
   for buffers and offsets, as /sys/block/<disk>/queue/dma_alignment (511)
   says (LTP statx11); and on ext4 the attributes mask of ext4_getattr
   (LTP statx04). */
static void statx_checks(const char *dev, const char *mnt)
{
    struct statx sx;
    memset(&sx, 0, sizeof sx);
    CHECK_OK(statx(AT_FDCWD, dev, 0, STATX_DIOALIGN, &sx), "statx STATX_DIOALIGN of the device");
    CHECK(sx.stx_mask & STATX_DIOALIGN, "the device reports STATX_DIOALIGN");
    CHECK(sx.stx_dio_mem_align == 512 && sx.stx_dio_offset_align == 512, "dio_mem_align and dio_offset_align are 512");
    char buf[32] = {0};
    int q = open("/sys/block/vda/queue/dma_alignment", O_RDONLY);
    CHECK(q >= 0 && read(q, buf, sizeof buf - 1) > 0 && strcmp(buf, "511\n") == 0, "/sys/block/vda/queue/dma_alignment is 511");
    if (q >= 0)
        close(q);
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "mount for statx");
    memset(&sx, 0, sizeof sx);
    CHECK_OK(statx(AT_FDCWD, mnt, 0, 0, &sx), "statx of an ext4 directory");
    unsigned long long want = STATX_ATTR_COMPRESSED | STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP |
                              STATX_ATTR_ENCRYPTED | STATX_ATTR_VERITY;
    CHECK((sx.stx_attributes_mask & want) == want, "ext4's attributes mask has compressed, immutable, append, nodump, encrypted, verity");

    /* sync_file_range(WRITE): the file's dirty data reaches the disk now,
       as the device's sectors-written counter shows (LTP sync_file_range02) */
    char path[256];
    snprintf(path, sizeof path, "%s/sfr", mnt);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    static char data[256 * 1024];
    memset(data, 'd', sizeof data);
    CHECK(fd >= 0 && write(fd, data, sizeof data) == (ssize_t)sizeof data, "write 256 KiB to an ext4 file");
    unsigned long before = 0, after = 0;
    char st[512];
    int s1 = open("/sys/block/vda/stat", O_RDONLY);
    ssize_t n = s1 >= 0 ? read(s1, st, sizeof st - 1) : -1;
    if (n > 0) { st[n] = 0; sscanf(st, "%*s %*s %*s %*s %*s %*s %lu", &before); }
    if (s1 >= 0) close(s1);
    CHECK_OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER), "sync_file_range WRITE");
    s1 = open("/sys/block/vda/stat", O_RDONLY);
    n = s1 >= 0 ? read(s1, st, sizeof st - 1) : -1;
    if (n > 0) { st[n] = 0; sscanf(st, "%*s %*s %*s %*s %*s %*s %lu", &after); }
    if (s1 >= 0) close(s1);
    CHECK(after - before >= sizeof data / 512, "sync_file_range wrote the file's 512 sectors to the device");
    close(fd);
    CHECK_OK(umount(mnt), "umount after statx");
}

/* The new mount API's holds on the device (LTP fsmount02, move_mount02):
   an fsopen context that created the filesystem and closes without fsmount
   ends it, and so does closing an fsmount file whose mount was never
   attached: O_EXCL works again after each. */
static void mount_api_release(const char *dev)
{
    int fc = syscall(SYS_fsopen, "ext4", 0);
    if (fc < 0 && errno == ENOSYS) {
        kt_skip("fsopen holds on the device", "no fsopen (qemu-user)");
        return;
    }
    CHECK_OK(syscall(SYS_fsconfig, fc, 1 /* FSCONFIG_SET_STRING */, "source", dev, 0), "fsconfig source");
    CHECK_OK(syscall(SYS_fsconfig, fc, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0), "fsconfig CMD_CREATE");
    CHECK_ERR(open(dev, O_RDONLY | O_EXCL), EBUSY, "the created filesystem holds the device");
    close(fc);
    int x = open(dev, O_RDONLY | O_EXCL);
    CHECK(x >= 0, "closing the context without fsmount frees the device");
    close(x);
    fc = syscall(SYS_fsopen, "ext4", 0);
    syscall(SYS_fsconfig, fc, 1, "source", dev, 0);
    syscall(SYS_fsconfig, fc, 6, NULL, NULL, 0);
    int mfd = syscall(SYS_fsmount, fc, 0, 0);
    CHECK(mfd >= 0, "fsmount");
    close(fc);
    CHECK_ERR(open(dev, O_RDONLY | O_EXCL), EBUSY, "the detached mount holds the device");
    close(mfd);
    x = open(dev, O_RDONLY | O_EXCL);
    CHECK(x >= 0, "closing the never-attached mount frees the device");
    close(x);
}

/* A lazy unmount with a file still open: the instance lives on for the
   file (what is written through it reaches the disk when it closes), and a
   mount of the device meanwhile finds the same instance, as Linux's sget
   (LTP umount2_01). */
static void lazy_detach(const char *dev, const char *mnt)
{
    char path[256];
    snprintf(path, sizeof path, "%s/lazy", mnt);
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "mount for a lazy unmount");
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0, "a file created on it");
    CHECK_OK(umount2(mnt, MNT_DETACH), "umount2 MNT_DETACH with the file open");
    CHECK_ERR(access(path, F_OK), ENOENT, "the file is no longer reachable by name");
    CHECK(write(fd, "detached\n", 9) == 9, "a write through the open file after the detach");
    close(fd);
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "mount again after the last close");
    char buf[16] = {0};
    int r = open(path, O_RDONLY);
    CHECK(r >= 0 && read(r, buf, sizeof buf) == 9 && !memcmp(buf, "detached\n", 9),
          "what was written after the detach is on the disk");
    if (r >= 0)
        close(r);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "the file opened again");
    CHECK_OK(umount2(mnt, MNT_DETACH), "a second lazy unmount");
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "mount while the detached instance has a file open");
    CHECK(write(fd, "again\n", 6) == 6, "an append through the older file");
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 15, "the new mount sees the append: one instance");
    close(fd);
    unlink(path);
    CHECK_OK(umount(mnt), "umount");
}

static void ioctls(int fd, int rdonly, uint64_t size)
{
    int v = -1;
    unsigned short us = 7;
    unsigned int u = 7;
    uint64_t seq = 0;
    CHECK_ERR(ioctl(fd, _IO(0x12, 200)), ENOTTY, "an unknown block ioctl is ENOTTY");
    CHECK_ERR(ioctl(fd, _IOR(0x02, 0x15, 32), &v), ENOTTY, "the floppy FDGETPRM is ENOTTY");
    CHECK_OK(ioctl(fd, BLKALIGNOFF, &v), "BLKALIGNOFF");
    CHECK_EQ(v, 0, "alignment offset 0");
    v = -1;
    CHECK_OK(ioctl(fd, BLKDISCARDZEROES, &v), "BLKDISCARDZEROES");
    CHECK_EQ(v, 0, "discarded sectors are not said to read as zeros");
    CHECK_OK(ioctl(fd, BLKROTATIONAL, &us), "BLKROTATIONAL");
    CHECK_EQ(us, 0, "not rotational");
    CHECK_OK(ioctl(fd, BLKGETZONESZ, &u), "BLKGETZONESZ");
    CHECK_EQ(u, 0, "no zones");
    u = 7;
    CHECK_OK(ioctl(fd, BLKGETNRZONES, &u), "BLKGETNRZONES");
    CHECK_EQ(u, 0, "zero zones");
    CHECK_OK(ioctl(fd, BLKGETDISKSEQ, &seq), "BLKGETDISKSEQ");
    unsigned long ra = 0;
    CHECK_OK(ioctl(rdonly, BLKRAGET, &ra), "BLKRAGET");
    CHECK_EQ(ra, 256UL, "the default readahead is 128 KiB (256 sectors)");
    CHECK_OK(ioctl(rdonly, BLKRASET, 1001UL), "BLKRASET 1001 (LTP ioctl06)");
    CHECK_OK(ioctl(rdonly, BLKFRAGET, &ra), "BLKFRAGET");
    CHECK_EQ(ra, 1000UL, "BLKRASET's value reads back in whole pages");
    CHECK_ERR(ioctl(rdonly, BLKRAGET, NULL), EINVAL, "BLKRAGET to NULL is EINVAL");
    CHECK_OK(ioctl(rdonly, BLKRASET, 256UL), "BLKRASET back to 256");
    CHECK(seq > 0, "a disk sequence number");
    CHECK_ERR(range_ioctl(rdonly, BLKDISCARD, 0, 4096), EBADF, "BLKDISCARD on a read-only descriptor is EBADF");
    CHECK_ERR(range_ioctl(rdonly, BLKZEROOUT, 0, 4096), EBADF, "BLKZEROOUT on a read-only descriptor is EBADF");
    CHECK_ERR(range_ioctl(fd, BLKDISCARD, 100, 4096), EINVAL, "BLKDISCARD at an unaligned start");
    CHECK_ERR(range_ioctl(fd, BLKDISCARD, 0, 100), EINVAL, "BLKDISCARD of an unaligned length");
    CHECK_ERR(range_ioctl(fd, BLKDISCARD, 0, 0), EINVAL, "BLKDISCARD of nothing");
    CHECK_ERR(range_ioctl(fd, BLKDISCARD, size - 512, 1024), EINVAL, "BLKDISCARD past the end");
    CHECK_ERR(ioctl(fd, BLKDISCARD, KT_BAD_PTR), EFAULT, "BLKDISCARD with a bad range pointer");
    CHECK_OK(range_ioctl(fd, BLKDISCARD, size - 2 * MiB, MiB), "BLKDISCARD of a mebibyte");
    CHECK_ERR(range_ioctl(fd, BLKSECDISCARD, size - 2 * MiB, MiB), EOPNOTSUPP, "BLKSECDISCARD is EOPNOTSUPP");
    CHECK_ERR(range_ioctl(fd, BLKZEROOUT, 100, 4096), EINVAL, "BLKZEROOUT at an unaligned start");
    CHECK_ERR(range_ioctl(fd, BLKZEROOUT, size - 512, 1024), EINVAL, "BLKZEROOUT past the end");
    fill(fd, size - MiB, MiB, 'z');
    CHECK_OK(range_ioctl(fd, BLKZEROOUT, size - MiB + 512, 4096), "BLKZEROOUT of 4 KiB");
    CHECK(all_zero(fd, size - MiB + 512, 4096), "the range reads as zeros");
    char c = 0;
    CHECK_EQ(pread(fd, &c, 1, size - MiB + 511), 1, "read the byte before");
    CHECK_EQ(c, 'z', "the byte before the range is kept");
    CHECK_EQ(pread(fd, &c, 1, size - MiB + 512 + 4096), 1, "read the byte after");
    CHECK_EQ(c, 'z', "the byte after the range is kept");
    CHECK_OK(fsync(fd), "fsync on the device");
    CHECK_OK(fdatasync(fd), "fdatasync on the device");
}

static void falloc(int fd, int rdonly, uint64_t size)
{
    fill(fd, size - MiB, MiB, 'f');
    CHECK_ERR(fallocate(rdonly, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, size - MiB, 4096), EBADF, "fallocate on a read-only descriptor is EBADF");
    CHECK_ERR(fallocate(fd, 0, size - MiB, 4096), EOPNOTSUPP, "fallocate mode 0 on a device is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_KEEP_SIZE, size - MiB, 4096), EOPNOTSUPP, "fallocate KEEP_SIZE alone is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, size - MiB, 4096), EOPNOTSUPP, "COLLAPSE_RANGE is EOPNOTSUPP");
    CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, size - MiB + 100, 4096), EINVAL, "ZERO_RANGE at an unaligned offset");
    CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, size, 4096), EINVAL, "ZERO_RANGE at the end");
    CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, size - 4096, 8192), EINVAL, "ZERO_RANGE past the end without KEEP_SIZE");
    CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, size - MiB, 4096), "ZERO_RANGE of 4 KiB");
    CHECK(all_zero(fd, size - MiB, 4096), "ZERO_RANGE reads as zeros");
    CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size - MiB + 8192, 4096), "PUNCH_HOLE|KEEP_SIZE of 4 KiB");
    CHECK(all_zero(fd, size - MiB + 8192, 4096), "the punched range reads as zeros");
    char c = 0;
    CHECK_EQ(pread(fd, &c, 1, size - MiB + 4096), 1, "read between the ranges");
    CHECK_EQ(c, 'f', "bytes between the ranges are kept");
    CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, size - 4096, 8192), "ZERO_RANGE|KEEP_SIZE past the end is trimmed");
    CHECK(all_zero(fd, size - 4096, 4096), "the device's last 4 KiB read as zeros");
    CHECK_EQ(lseek(fd, 0, SEEK_END), (off_t)size, "the device's size is unchanged");
}

/* A device made read-only with BLKROSET: mounting it read-write is EACCES
   (setup_bdev_super), read-only works; opening it O_RDWR still works (the
   "legacy" setup_bdev_super's comment speaks of). */
static void ro_device(const char *dev, const char *mnt)
{
    int fd = open(dev, O_RDONLY);
    int ro = 1;
    CHECK_OK(ioctl(fd, BLKROSET, &ro), "BLKROSET 1");
    ro = 0;
    CHECK_OK(ioctl(fd, BLKROGET, &ro), "BLKROGET");
    CHECK_EQ(ro, 1, "BLKROGET after BLKROSET 1");
    CHECK_ERR(mount(dev, mnt, "ext4", 0, NULL), EACCES, "a read-write mount of a read-only device is EACCES");
    CHECK_OK(mount(dev, mnt, "ext4", MS_RDONLY, NULL), "a read-only mount of a read-only device");
    umount(mnt);
    int w = open(dev, O_RDWR);
    CHECK(w >= 0, "a read-only device still opens O_RDWR");
    if (w >= 0) close(w);
    ro = 0;
    CHECK_OK(ioctl(fd, BLKROSET, &ro), "BLKROSET 0");
    CHECK_OK(mount(dev, mnt, "ext4", 0, NULL), "a read-write mount once the device is writable again");
    umount(mnt);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        kt_printf("usage: blkdev DEV MNT\n");
        return 2;
    }
    const char *dev = argv[1];
    exclusive(dev, argv[2]);
    mount_api_release(dev);
    statx_checks(dev, argv[2]);
    lazy_detach(dev, argv[2]);
    ro_device(dev, argv[2]);
    int fd = open(dev, O_RDWR);
    int rdonly = open(dev, O_RDONLY);
    uint64_t size = 0;
    CHECK(fd >= 0 && rdonly >= 0, "open the device");
    CHECK_OK(ioctl(fd, BLKGETSIZE64, &size), "BLKGETSIZE64");
    if (fd < 0 || rdonly < 0 || size < 4 * MiB) return kt_done();
    ioctls(fd, rdonly, size);
    falloc(fd, rdonly, size);
    close(fd);
    close(rdonly);
    return kt_done();
}
