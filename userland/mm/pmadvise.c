/* pmadvise.c - process_madvise(2): on the caller's own memory any advice
 * (6.13+: MADV_DONTNEED discards), the bytes of every range returned; on
 * another process only the non-destructive hints (EINVAL otherwise), with
 * CAP_SYS_NICE (EPERM without); flags, vlen, EBADF for a non-pidfd, EFAULT
 * and EINVAL for bad vectors, and the partial count when a later range fails. */
#include "ktest.h"
#include <sys/prctl.h>
#include <sys/uio.h>

#define PG 4096

static long pmadv(int pidfd, struct iovec *v, size_t n, int advice, unsigned flags)
{
    return syscall(440, pidfd, v, n, advice, flags);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    int self = syscall(434 /* pidfd_open */, getpid(), 0);
    char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct iovec v[2] = {{p, 2 * PG}, {p + 4 * PG, PG}};
    long r = pmadv(self, v, 2, MADV_WILLNEED, 0);
    if (r < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip("process_madvise", "qemu-user 7.2 lacks it");
        return kt_done();
    }
    CHECK_EQ(r, 3 * PG, "MADV_WILLNEED on two of our own ranges returns their total size");
    memset(p, 'x', 8 * PG);
    CHECK_EQ(pmadv(self, v, 2, MADV_DONTNEED, 0), 3 * PG, "MADV_DONTNEED on our own memory (6.13+)");
    CHECK(p[0] == 0 && p[4 * PG] == 0 && p[2 * PG] == 'x', "discarded exactly the advised ranges");
    CHECK_ERR(pmadv(self, v, 2, MADV_WILLNEED, 1), EINVAL, "nonzero flags are EINVAL");
    CHECK_ERR(pmadv(self, v, 1025, MADV_WILLNEED, 0), EINVAL, "vlen past UIO_MAXIOV is EINVAL");
    CHECK_ERR(pmadv(self, KT_BAD_PTR, 1, MADV_WILLNEED, 0), EFAULT, "a bad vector is EFAULT");
    CHECK_ERR(pmadv(self, v, 2, 9999, 0), EINVAL, "an unknown advice is EINVAL");
    CHECK_EQ(pmadv(self, v, 0, MADV_WILLNEED, 0), 0, "an empty vector advises 0 bytes");
    CHECK_ERR(pmadv(0, v, 2, MADV_WILLNEED, 0), EBADF, "a descriptor that is no pidfd is EBADF");
    struct iovec bad[2] = {{p, PG}, {p + 1, PG}};
    CHECK_EQ(pmadv(self, bad, 2, MADV_WILLNEED, 0), PG, "a later range that fails: the bytes done so far");
    CHECK_ERR(pmadv(self, bad + 1, 1, MADV_WILLNEED, 0), EINVAL, "an unaligned first range is EINVAL");

    int go[2];
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(go[0], &x, 1);
        _exit(p[2 * PG] == 'x' ? 0 : 1);
    }
    int child = syscall(434, c, 0);
    struct iovec cv = {p + 2 * PG, PG};
    CHECK_EQ(pmadv(child, &cv, 1, MADV_COLD, 0), PG, "MADV_COLD on a child's memory");
    CHECK_EQ(pmadv(child, &cv, 1, MADV_PAGEOUT, 0), PG, "MADV_PAGEOUT on a child's memory");
    CHECK_ERR(pmadv(child, &cv, 1, MADV_DONTNEED, 0), EINVAL, "MADV_DONTNEED on another process is EINVAL");
    pid_t u = fork();
    if (u == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        struct iovec gv = {p, PG};
        int res = 0;
        /* Changing uids made us undumpable (Linux's commit_creds): dumpable
         * again, our child is ptrace-readable, and only CAP_SYS_NICE is missing. */
        prctl(PR_SET_DUMPABLE, 1);
        pid_t gc = fork();
        if (gc == 0) {
            pause();
            _exit(0);
        }
        int fd = syscall(434, gc, 0);
        long rr = pmadv(fd, &gv, 1, MADV_COLD, 0);
        int e = errno;
        if (gc > 0)
            kill(gc, SIGKILL);
        waitpid(gc, NULL, 0);
        if (!(rr < 0 && e == EPERM))
            res = 1;
        _exit(res);
    }
    kt_check_exit(u, 0, "advising another process without CAP_SYS_NICE is EPERM");
    write(go[1], "g", 1);
    kt_check_exit(c, 0, "the child's memory is untouched");
    return kt_done();
}
