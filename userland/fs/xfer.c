/* xfer.c - in-kernel copies: sendfile, copy_file_range, splice and tee,
 * on the host directory (hostfs under Ghost) and on a tmpfs; FICLONE and
 * FICLONERANGE where extents cannot be shared (tmpfs: EOPNOTSUPP) and
 * their argument checks. */
#include "ktest.h"
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>

static void reflink(const char *shm, const char *host)
{
    char a[600], b[600], h[600];
    snprintf(a, sizeof a, "%s/clone-src", shm);
    snprintf(b, sizeof b, "%s/clone-dst", shm);
    snprintf(h, sizeof h, "%s/clone-host", host);
    int src = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int dst = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int hdst = open(h, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int wonly = open(a, O_WRONLY);
    int dir = open(shm, O_RDONLY | O_DIRECTORY);
    CHECK(src >= 0 && dst >= 0 && hdst >= 0 && wonly >= 0 && dir >= 0, "open the clone files");
    if (write(src, "reflink", 7) != 7)
        kt_fail("write the clone source", "short write");
    CHECK_ERR(ioctl(dst, FICLONE, src), EOPNOTSUPP, "FICLONE on tmpfs is EOPNOTSUPP");
    struct file_clone_range r = {.src_fd = src, .src_offset = 0, .src_length = 0, .dest_offset = 0};
    CHECK_ERR(ioctl(dst, FICLONERANGE, &r), EOPNOTSUPP, "FICLONERANGE on tmpfs is EOPNOTSUPP");
    CHECK_ERR(ioctl(dst, FICLONE, 999), EBADF, "FICLONE from a closed fd is EBADF");
    CHECK_ERR(ioctl(dst, FICLONE, wonly), EBADF, "FICLONE from a write-only fd is EBADF");
    CHECK_ERR(ioctl(dst, FICLONE, dir), EISDIR, "FICLONE from a directory is EISDIR");
    CHECK_ERR(ioctl(hdst, FICLONE, src), EXDEV, "FICLONE across mounts is EXDEV");
    close(src);
    close(dst);
    close(hdst);
    close(wonly);
    close(dir);
    unlink(a);
    unlink(b);
    unlink(h);
}

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

#define BIG (1 << 20)
static unsigned char big[BIG], back[BIG];

static void fill(void)
{
    uint32_t x = 12345;
    for (int i = 0; i < BIG; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
}

static off_t cur(int fd)
{
    return lseek(fd, 0, SEEK_CUR);
}

static void sendfile_(const char *dir, const char *fs)
{
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/sf-src", dir);
    snprintf(dst, sizeof dst, "%s/sf-dst", dir);
    int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
    vt_write_full(in, big, BIG);
    int out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
    lseek(in, 0, SEEK_SET);
    off_t off = 0;
    size_t total = 0;
    while (total < BIG) {
        ssize_t n = sendfile(out, in, &off, BIG - total);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    CHECK_EQ(total, BIG, D("%s: sendfile copies 1 MiB file to file", fs));
    CHECK_EQ(off, BIG, D("%s: sendfile advanced *offset", fs));
    CHECK_EQ(cur(in), 0, D("%s: sendfile with an offset leaves in_fd's position", fs));
    CHECK_EQ(cur(out), BIG, D("%s: sendfile advances out_fd's position", fs));
    memset(back, 0, BIG);
    CHECK(pread(out, back, BIG, 0) == BIG && memcmp(back, big, BIG) == 0, D("%s: sendfile copy is exact", fs));
    lseek(in, BIG - 100, SEEK_SET);
    ftruncate(out, 0);
    lseek(out, 0, SEEK_SET);
    CHECK_EQ(sendfile(out, in, NULL, 1000), 100, D("%s: sendfile(NULL offset) stops at EOF", fs));
    CHECK_EQ(cur(in), BIG, D("%s: sendfile(NULL offset) moves in_fd's position", fs));
    CHECK_EQ(sendfile(out, in, NULL, 1000), 0, D("%s: sendfile at EOF returns 0", fs));
    off = 10;
    int p[2];
    pipe(p);
    CHECK_EQ(sendfile(p[1], in, &off, 50), 50, D("%s: sendfile file to pipe", fs));
    unsigned char b[64];
    CHECK(read(p[0], b, 64) == 50 && memcmp(b, big + 10, 50) == 0, D("%s: the pipe holds the right bytes", fs));
    int ro = open(src, O_RDONLY);
    CHECK_ERR(sendfile(ro, in, NULL, 10), EBADF, D("%s: sendfile to a read-only fd is EBADF", fs));
    int wo = open(dst, O_WRONLY);
    CHECK_ERR(sendfile(out, wo, NULL, 10), EBADF, D("%s: sendfile from a write-only fd is EBADF", fs));
    int ap = open(dst, O_WRONLY | O_APPEND);
    CHECK_ERR(sendfile(ap, ro, NULL, 10), EINVAL, D("%s: sendfile to an O_APPEND file is EINVAL", fs));
    close(ap);
    close(wo);
    close(ro);
    close(p[0]);
    close(p[1]);
    close(in);
    close(out);
}

static void cfr(const char *dir, const char *fs)
{
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/cfr-src", dir);
    snprintf(dst, sizeof dst, "%s/cfr-dst", dir);
    int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
    vt_write_full(in, big, BIG);
    int out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t oi = 1000, oo = 5;
    ssize_t n = copy_file_range(in, &oi, out, &oo, 4096, 0);
    CHECK_EQ(n, 4096, D("%s: copy_file_range 4096 bytes with offsets", fs));
    CHECK(oi == 5096 && oo == 4101, D("%s: both offsets advanced", fs));
    CHECK(cur(in) == BIG && cur(out) == 0, D("%s: file positions untouched", fs));
    memset(back, 1, 8192);
    CHECK(pread(out, back, 8192, 0) == 4101 && memcmp(back, "\0\0\0\0\0", 5) == 0 && memcmp(back + 5, big + 1000, 4096) == 0,
          D("%s: copied data lands at the offset after a zero gap", fs));
    lseek(in, 0, SEEK_SET);
    lseek(out, 0, SEEK_SET);
    ftruncate(out, 0);
    size_t total = 0;
    while (total < BIG) {
        n = copy_file_range(in, NULL, out, NULL, BIG - total, 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    CHECK_EQ(total, BIG, D("%s: copy_file_range with NULL offsets copies everything", fs));
    CHECK(cur(in) == BIG && cur(out) == BIG, D("%s: ... moving both positions", fs));
    CHECK(pread(out, back, BIG, 0) == BIG && memcmp(back, big, BIG) == 0, D("%s: ... exactly", fs));
    CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 0, D("%s: copy_file_range at EOF returns 0", fs));
    oi = 0;
    oo = 100;
    CHECK_ERR(copy_file_range(in, &oi, in, &oo, 200, 0), EINVAL, D("%s: overlapping ranges in one file are EINVAL", fs));
    CHECK_ERR(copy_file_range(in, NULL, out, NULL, 10, 1), EINVAL, D("%s: nonzero flags are EINVAL", fs));
    /* len is a size_t: SIZE_MAX is a huge count, shortened to the source's end, not -1 */
    oi = 0;
    oo = 0;
    CHECK_EQ(copy_file_range(in, &oi, out, &oo, SIZE_MAX, 0), BIG, D("%s: copy_file_range of SIZE_MAX bytes copies to the source's end", fs));
    oi = 0;
    oo = 1;
    CHECK_ERR(copy_file_range(in, &oi, out, &oo, SIZE_MAX, 0), EOVERFLOW, D("%s: an output offset that would wrap past 2^64 is EOVERFLOW", fs));
    oi = 1;
    oo = 0;
    CHECK_ERR(copy_file_range(in, &oi, out, &oo, SIZE_MAX, 0), EOVERFLOW, D("%s: an input offset that would wrap past 2^64 is EOVERFLOW", fs));
    int ap = open(dst, O_WRONLY | O_APPEND);
    oi = 0;
    CHECK_ERR(copy_file_range(in, &oi, ap, NULL, 10, 0), EBADF, D("%s: copy_file_range to an O_APPEND fd is EBADF", fs));
    close(ap);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_ERR(copy_file_range(dfd, NULL, out, NULL, 10, 0), EISDIR, D("%s: copy_file_range from a directory is EISDIR", fs));
    close(dfd);
    close(in);
    close(out);
}

static void splice_(const char *dir, const char *fs)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/splice", dir);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    vt_write_full(f, big, 100000);
    int p[2];
    pipe(p);
    loff_t off = 500;
    CHECK_EQ(splice(f, &off, p[1], NULL, 1000, 0), 1000, D("%s: splice file -> pipe with an offset", fs));
    CHECK_EQ(off, 1500, D("%s: the offset advanced", fs));
    CHECK_EQ(cur(f), 100000, D("%s: the file position did not", fs));
    /* As do_splice: splicing a pipe into an append-only file is EINVAL (the bytes stay in the pipe). */
    int ap = open(path, O_WRONLY | O_APPEND);
    CHECK_ERR(splice(p[0], NULL, ap, NULL, 10, 0), EINVAL, D("%s: splice pipe -> O_APPEND file is EINVAL", fs));
    close(ap);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_ERR(splice(dfd, NULL, p[1], NULL, 10, 0), EINVAL, D("%s: splice from a directory is EINVAL (no splice_read)", fs));
    close(dfd);
    unsigned char b[2048];
    CHECK(read(p[0], b, 2048) == 1000 && memcmp(b, big + 500, 1000) == 0, D("%s: the pipe got the bytes", fs));
    write(p[1], "spliced!", 8);
    off = 10;
    CHECK_EQ(splice(p[0], NULL, f, &off, 100, 0), 8, D("%s: splice pipe -> file at an offset", fs));
    CHECK(pread(f, b, 8, 10) == 8 && memcmp(b, "spliced!", 8) == 0, D("%s: the file got the bytes", fs));
    lseek(f, 0, SEEK_SET);
    CHECK_EQ(splice(f, NULL, p[1], NULL, 4, 0), 4, D("%s: splice file -> pipe without offset", fs));
    CHECK_EQ(cur(f), 4, D("%s: ... moves the file position", fs));
    read(p[0], b, 4);
    int q[2];
    pipe(q);
    write(p[1], "pipe2pipe", 9);
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 64, 0), 9, D("%s: splice pipe -> pipe", fs));
    CHECK(read(q[0], b, 64) == 9 && memcmp(b, "pipe2pipe", 9) == 0, D("%s: pipe -> pipe data", fs));
    off = 0;
    CHECK_ERR(splice(p[0], &off, q[1], NULL, 1, 0), ESPIPE, D("%s: an offset for the pipe side is ESPIPE", fs));
    int g = open(path, O_RDWR);
    CHECK_ERR(splice(f, NULL, g, NULL, 1, 0), EINVAL, D("%s: splice between two files is EINVAL", fs));
    close(g);
    CHECK_ERR(splice(p[0], NULL, q[1], NULL, 1, SPLICE_F_NONBLOCK), EAGAIN, D("%s: SPLICE_F_NONBLOCK on an empty pipe is EAGAIN", fs));
    close(p[1]);
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 1, 0), 0, D("%s: splice from a pipe with no writers returns 0", fs));
    close(p[0]);
    close(q[0]);
    close(q[1]);

    /* tee */
    pipe(p);
    pipe(q);
    write(p[1], "teedata", 7);
    CHECK_EQ(tee(p[0], q[1], 100, 0), 7, D("%s: tee copies 7 bytes", fs));
    CHECK(read(q[0], b, 64) == 7 && memcmp(b, "teedata", 7) == 0, D("%s: the second pipe got them", fs));
    CHECK(read(p[0], b, 64) == 7 && memcmp(b, "teedata", 7) == 0, D("%s: tee did not consume the first pipe", fs));
    CHECK_ERR(tee(p[0], p[1], 10, 0), EINVAL, D("%s: tee of a pipe to itself is EINVAL", fs));
    CHECK_ERR(tee(f, q[1], 10, 0), EINVAL, D("%s: tee from a file is EINVAL", fs));
    CHECK_ERR(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK), EAGAIN, D("%s: tee SPLICE_F_NONBLOCK on an empty pipe is EAGAIN", fs));
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);

    /* a child streams 1 MiB through a pipe, spliced into a file */
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(vt_write_full(p[1], big, BIG) == BIG ? 0 : 1);
    }
    close(p[1]);
    ftruncate(f, 0);
    lseek(f, 0, SEEK_SET);
    size_t total = 0;
    for (;;) {
        ssize_t n = splice(p[0], NULL, f, NULL, 65536, SPLICE_F_MOVE);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    CHECK_EQ(total, BIG, D("%s: 1 MiB spliced from a pipe fed by a child", fs));
    CHECK(pread(f, back, BIG, 0) == BIG && memcmp(back, big, BIG) == 0, D("%s: ... exactly", fs));
    CHECK_EQ(vt_reap(pid), 0, D("%s: the feeding child finished", fs));
    close(p[0]);
    close(f);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    fill();
    const char *host = kt_mktemp("xfer");
    vt_mkshm("xfer");
    sendfile_(host, "hostdir");
    sendfile_(vt_shmdir, "tmpfs");
    cfr(host, "hostdir");
    cfr(vt_shmdir, "tmpfs");
    splice_(host, "hostdir");
    splice_(vt_shmdir, "tmpfs");
    reflink(vt_shmdir, host);
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
