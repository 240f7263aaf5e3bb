/* rw2.c - preadv2 and pwritev2: the offset -1 (the file's own position),
 * the per-call flags (RWF_APPEND, RWF_NOAPPEND, RWF_NOWAIT, RWF_SYNC,
 * RWF_DSYNC, RWF_HIPRI) and the errors, on the host directory (hostfs
 * under Ghost), a tmpfs, pipes and devices. */
#include "ktest.h"
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#endif
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

/* The raw calls: riscv64 passes the 64-bit offset in pos_l (pos_h unused). */
static long rv2(int fd, const struct iovec *iov, int cnt, long pos, int flags)
{
    return syscall(SYS_preadv2, fd, iov, cnt, pos, 0L, flags);
}
static long wv2(int fd, const struct iovec *iov, int cnt, long pos, int flags)
{
    return syscall(SYS_pwritev2, fd, iov, cnt, pos, 0L, flags);
}

static off_t cur(int fd) { return lseek(fd, 0, SEEK_CUR); }

static void files(const char *dir, const char *fs)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/rw2", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, D("%s: create", fs));
    char a[] = "hello ", b[] = "world";
    struct iovec w[2] = { { a, 6 }, { b, 5 } };
    CHECK_EQ(wv2(fd, w, 2, 0, 0), 11, D("%s: pwritev2 at 0 writes both vectors", fs));
    CHECK_EQ(cur(fd), 0, D("%s: pwritev2 with an offset leaves the position", fs));
    CHECK_EQ(wv2(fd, w, 1, -1, 0), 6, D("%s: pwritev2 at -1 writes at the position", fs));
    CHECK_EQ(cur(fd), 6, D("%s: ... and moves it", fs));
    char r1[4], r2[8];
    struct iovec r[2] = { { r1, 4 }, { r2, 8 } };
    memset(r1, 0, 4); memset(r2, 0, 8);
    CHECK_EQ(rv2(fd, r, 2, 2, 0), 9, D("%s: preadv2 at 2 reads to EOF across vectors", fs));
    CHECK(memcmp(r1, "llo ", 4) == 0 && memcmp(r2, "world", 5) == 0, D("%s: ... the right bytes", fs));
    CHECK_EQ(cur(fd), 6, D("%s: preadv2 with an offset leaves the position", fs));
    CHECK_EQ(rv2(fd, r, 1, -1, 0), 4, D("%s: preadv2 at -1 reads at the position", fs));
    CHECK(memcmp(r1, "worl", 4) == 0, D("%s: ... the bytes at 6", fs));
    CHECK_EQ(cur(fd), 10, D("%s: ... and moves it", fs));
    for (int fl = RWF_HIPRI; fl <= RWF_SYNC; fl <<= 1)
        CHECK_EQ(wv2(fd, w, 1, 0, fl), 6, D("%s: pwritev2 flag %#x is accepted", fs, fl));
    if (strcmp(fs, "tmpfs") == 0)
        CHECK_ERR(rv2(fd, r, 1, 0, RWF_NOWAIT), EOPNOTSUPP, D("%s: preadv2 RWF_NOWAIT (tmpfs files lack FMODE_NOWAIT)", fs));
    else
        CHECK_EQ(rv2(fd, r, 1, 0, RWF_NOWAIT), 4, D("%s: preadv2 RWF_NOWAIT on a cached file reads", fs));

    /* RWF_APPEND: at the end whatever the offset; the position stays. */
    lseek(fd, 3, SEEK_SET);
    CHECK_EQ(wv2(fd, w + 1, 1, 0, RWF_APPEND), 5, D("%s: pwritev2 RWF_APPEND", fs));
    struct stat st;
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 16, D("%s: RWF_APPEND wrote at the end, not at the offset", fs));
    CHECK_EQ(cur(fd), 3, D("%s: RWF_APPEND with an offset leaves the position", fs));
    char all[32] = { 0 };
    CHECK(pread(fd, all, sizeof all, 0) == 16 && memcmp(all, "hello worldworld", 16) == 0,
          D("%s: contents after RWF_APPEND (%.16s)", fs, all));
    CHECK_EQ(wv2(fd, w + 1, 1, -1, RWF_APPEND), 5, D("%s: pwritev2 RWF_APPEND at -1", fs));
    CHECK_EQ(cur(fd), 21, D("%s: ... moves the position to the new end", fs));
    close(fd);

    /* RWF_NOAPPEND: an O_APPEND file written at the given offset. */
    fd = open(path, O_RDWR | O_APPEND);
    CHECK_EQ(wv2(fd, w, 1, 0, 0), 6, D("%s: pwritev2 on O_APPEND", fs));
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 27, D("%s: ... appends (Linux's pwrite on O_APPEND)", fs));
    errno = 0;
    long n = wv2(fd, w + 1, 1, 0, RWF_NOAPPEND);
    if (n == -1 && errno == EOPNOTSUPP) {
        kt_skip(D("%s: RWF_NOAPPEND", fs), "the host kernel predates 6.9");
    } else {
        CHECK_EQ(n, 5, D("%s: pwritev2 RWF_NOAPPEND on O_APPEND", fs));
        fstat(fd, &st);
        CHECK_EQ(st.st_size, 27, D("%s: RWF_NOAPPEND wrote in place", fs));
        CHECK(pread(fd, all, 5, 0) == 5 && memcmp(all, "world", 5) == 0, D("%s: ... at offset 0", fs));
        CHECK_EQ(wv2(fd, w + 1, 1, 0, 0), 5, D("%s: the next pwritev2 appends again", fs));
        fstat(fd, &st);
        CHECK_EQ(st.st_size, 32, D("%s: ... O_APPEND is back", fs));
    }

    /* Errors, in Linux's order. */
    CHECK_ERR(rv2(fd, r, 1, -2, 0), EINVAL, D("%s: preadv2 offset -2", fs));
    CHECK_ERR(wv2(fd, w, 1, -5, 0), EINVAL, D("%s: pwritev2 offset -5", fs));
    CHECK_ERR(rv2(fd, r, 1, 0, 0x10000), EOPNOTSUPP, D("%s: preadv2 unknown flag", fs));
    CHECK_ERR(wv2(fd, w, 1, 0, 0x10000), EOPNOTSUPP, D("%s: pwritev2 unknown flag", fs));
    CHECK_EQ(rv2(fd, r, 0, 0, 0x10000), 0, D("%s: nothing to read: 0 whatever the flags", fs));
    struct iovec bad = { KT_BAD_PTR, 4 };
    CHECK_ERR(rv2(fd, &bad, 1, 0, 0), EFAULT, D("%s: preadv2 into a bad buffer", fs));
    CHECK_ERR(rv2(fd, (struct iovec *)KT_BAD_PTR, 1, 0, 0), EFAULT, D("%s: preadv2 bad iovec array", fs));
    CHECK_ERR(rv2(fd, r, -1, 0, 0), EINVAL, D("%s: preadv2 vlen -1", fs));
    CHECK_ERR(rv2(fd, r, 1025, 0, 0), EINVAL, D("%s: preadv2 vlen past UIO_MAXIOV", fs));
    close(fd);
    int ro = open(path, O_RDONLY);
    CHECK_ERR(wv2(ro, w, 1, 0, 0), EBADF, D("%s: pwritev2 on a read-only fd", fs));
    CHECK_ERR(wv2(ro, w, 1, 0, 0x10000), EBADF, D("%s: ... EBADF before the flags", fs));
    close(ro);
    int wo = open(path, O_WRONLY);
    CHECK_ERR(rv2(wo, r, 1, 0, 0), EBADF, D("%s: preadv2 on a write-only fd", fs));
    close(wo);
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_ERR(rv2(d, r, 1, 0, 0), EISDIR, D("%s: preadv2 on a directory", fs));
    close(d);
    unlink(path);
}

static void streams(void)
{
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    char c[8];
    struct iovec r = { c, sizeof c }, w = { "abc", 3 };
    CHECK_ERR(rv2(p[0], &r, 1, 0, 0), ESPIPE, "preadv2 on a pipe with an offset");
    CHECK_ERR(wv2(p[1], &w, 1, 0, 0), ESPIPE, "pwritev2 on a pipe with an offset");
    CHECK_ERR(rv2(p[0], &r, 1, -1, RWF_NOWAIT), EAGAIN, "preadv2 RWF_NOWAIT on an empty pipe");
    int fl = fcntl(p[0], F_GETFL);
    CHECK_EQ(fl & O_NONBLOCK, 0, "RWF_NOWAIT left the pipe blocking");
    CHECK_EQ(wv2(p[1], &w, 1, -1, 0), 3, "pwritev2 at -1 on a pipe");
    CHECK_EQ(rv2(p[0], &r, 1, -1, RWF_NOWAIT), 3, "preadv2 RWF_NOWAIT on a pipe with data");
    /* Fill the pipe: a RWF_NOWAIT write then returns EAGAIN. */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char big[65536];
    while (write(p[1], big, sizeof big) > 0) {
    }
    fcntl(p[1], F_SETFL, 0);
    struct iovec wb = { big, 4096 };
    CHECK_ERR(wv2(p[1], &wb, 1, -1, RWF_NOWAIT), EAGAIN, "pwritev2 RWF_NOWAIT on a full pipe");
    close(p[0]);
    close(p[1]);

    int z = open("/dev/zero", O_RDONLY);
    memset(c, 1, sizeof c);
    CHECK_EQ(rv2(z, &r, 1, -1, RWF_NOWAIT), 8, "preadv2 RWF_NOWAIT on /dev/zero");
    CHECK_EQ(c[0] | c[7], 0, "... zeros");
    close(z);
    int n = open("/dev/null", O_WRONLY);
    CHECK_EQ(wv2(n, &w, 1, -1, RWF_NOWAIT), 3, "pwritev2 RWF_NOWAIT on /dev/null");
    close(n);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    /* qemu-user 7.2 has no preadv2/pwritev2: the host's Linux checks this set natively. */
    if (kt_qemu() && syscall(SYS_preadv2, -1, NULL, 0, 0L, 0L, 0) == -1 && errno == ENOSYS) {
        kt_skip("preadv2 and pwritev2", "qemu-user does not implement them");
        return kt_done();
    }
    const char *host = kt_mktemp("rw2");
    vt_mkshm("rw2");
    files(host, "hostdir");
    files(vt_shmdir, "tmpfs");
    streams();
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
