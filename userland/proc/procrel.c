/* procrel.c - one process looking at another and process-wide operations:
 * kcmp, process_vm_readv/writev, pidfd_getfd, membarrier, the protection-key
 * calls (riscv64 has no keys), mprotect's argument order, fchmodat2.
 * qemu-user 7.2 lacks most of these (ENOSYS: skipped there); the test suite
 * also runs this program natively on the host's Linux. */
#include "ktest.h"
#include <linux/kcmp.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* the same number on every architecture */
#endif

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

/* Whether a syscall exists here (qemu-user 7.2 lacks many): skips with a note if not. */
static int have(long nr, const char *what)
{
    errno = 0;
    long r = syscall(nr, -1L, -1L, -1L, 0L, 0L, 0L);
    if (r == -1 && errno == ENOSYS) {
        kt_skip(what, "not implemented by this kernel (qemu-user)");
        return 0;
    }
    return 1;
}

/* Reap a child: its exit code, or 1000 + the signal that killed it. */
static int vt_reap_(pid_t pid)
{
    int st = 0;
    if (kt_waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static long kcmp_(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static void *thread_main(void *arg)
{
    *(pid_t *)arg = (pid_t)syscall(SYS_gettid);
    pause();
    return NULL;
}

static void kcmp_checks(void)
{
    if (!have(SYS_kcmp, "kcmp"))
        return;
    pid_t me = getpid();
    int a = open("/dev/null", O_RDONLY), b = dup(a), c = open("/dev/null", O_RDONLY);
    CHECK_EQ(kcmp_(me, me, KCMP_VM, 0, 0), 0, "kcmp: a process's VM equals itself");
    CHECK_EQ(kcmp_(me, me, KCMP_FILE, a, b), 0, "kcmp: a dup names the same file");
    long ab = kcmp_(me, me, KCMP_FILE, a, c), ba = kcmp_(me, me, KCMP_FILE, c, a);
    CHECK((ab == 1 && ba == 2) || (ab == 2 && ba == 1), D("kcmp: two opens differ, in a consistent order (%ld, %ld)", ab, ba));
    CHECK_ERR(kcmp_(me, me, KCMP_FILE, a, 999), EBADF, "kcmp: KCMP_FILE of a closed fd");
    CHECK_ERR(kcmp_(me, me, 99, 0, 0), EINVAL, "kcmp: an unknown type");
    CHECK_ERR(kcmp_(me, 0x3ffffff, KCMP_VM, 0, 0), ESRCH, "kcmp: no such process");

    pid_t tid = 0;
    pthread_t th;
    pthread_create(&th, NULL, thread_main, &tid);
    while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
        sched_yield();
    CHECK_EQ(kcmp_(me, tid, KCMP_VM, 0, 0), 0, "kcmp: a thread shares the VM");
    CHECK_EQ(kcmp_(me, tid, KCMP_FILES, 0, 0), 0, "kcmp: ... the fd table");
    CHECK_EQ(kcmp_(me, tid, KCMP_FS, 0, 0), 0, "kcmp: ... the fs context");
    CHECK_EQ(kcmp_(me, tid, KCMP_SIGHAND, 0, 0), 0, "kcmp: ... the signal handlers");
    pthread_cancel(th);
    pthread_join(th, NULL);

    int p[2];
    pipe(p);
    pid_t ch = fork();
    if (ch == 0) {
        char x;
        read(p[0], &x, 1);
        _exit(0);
    }
    if (ch > 0) {
        CHECK(kcmp_(me, ch, KCMP_VM, 0, 0) > 0, "kcmp: a forked child has its own VM");
        CHECK(kcmp_(me, ch, KCMP_FILES, 0, 0) > 0, "kcmp: ... its own fd table");
        CHECK(kcmp_(me, ch, KCMP_FS, 0, 0) > 0, "kcmp: ... its own fs context");
        CHECK(kcmp_(me, ch, KCMP_SIGHAND, 0, 0) > 0, "kcmp: ... its own handlers");
        CHECK_EQ(kcmp_(me, ch, KCMP_FILE, a, a), 0, "kcmp: an inherited fd is the same file");
        CHECK(kcmp_(me, ch, KCMP_FILE, a, c) > 0, "kcmp: ... and differs from another");
        write(p[1], "x", 1);
        CHECK_EQ(vt_reap_(ch), 0, "kcmp: child exits");
    }
    close(p[0]);
    close(p[1]);

    int ep = epoll_create1(0), q[2];
    pipe(q);
    int q2 = dup(q[0]);
    struct epoll_event ev = { .events = EPOLLIN };
    epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
    struct kcmp_epoll_slot slot = { .efd = (unsigned)ep, .tfd = (unsigned)q[0], .toff = 0 };
    CHECK_EQ(kcmp_(me, me, KCMP_EPOLL_TFD, q2, (unsigned long)&slot), 0, "kcmp: KCMP_EPOLL_TFD finds the registered file");
    CHECK(kcmp_(me, me, KCMP_EPOLL_TFD, q[1], (unsigned long)&slot) > 0, "kcmp: ... and tells another apart");
    slot.toff = 1;
    CHECK_ERR(kcmp_(me, me, KCMP_EPOLL_TFD, q2, (unsigned long)&slot), ENOENT, "kcmp: KCMP_EPOLL_TFD past the registrations");
    slot.toff = 0;
    slot.tfd = (unsigned)q[1];
    CHECK_ERR(kcmp_(me, me, KCMP_EPOLL_TFD, q2, (unsigned long)&slot), ENOENT, "kcmp: KCMP_EPOLL_TFD of an fd not registered");
    slot.efd = (unsigned)c;
    CHECK_ERR(kcmp_(me, me, KCMP_EPOLL_TFD, q2, (unsigned long)&slot), EINVAL, "kcmp: KCMP_EPOLL_TFD on a non-epoll fd");
    CHECK_ERR(kcmp_(me, me, KCMP_EPOLL_TFD, q2, (unsigned long)KT_BAD_PTR), EFAULT, "kcmp: KCMP_EPOLL_TFD bad slot pointer");
    close(ep); close(q[0]); close(q[1]); close(q2);
    close(a);
    close(b);
    close(c);
}

static char remote_buf[64] = "remote-data-in-the-child";
static char remote_in[64];

static long vmr(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r, unsigned long rn, unsigned long fl)
{
    return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, fl);
}
static long vmw(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r, unsigned long rn, unsigned long fl)
{
    return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, fl);
}

static void vm_checks(void)
{
    if (!have(SYS_process_vm_readv, "process_vm_readv"))
        return;
    int to[2], from[2];
    pipe(to);
    pipe(from);
    pid_t ch = fork();
    if (ch == 0) {
        strcpy(remote_buf, "changed-after-fork-xyz");
        write(from[1], "r", 1);
        char x;
        read(to[0], &x, 1);
        _exit(strcmp(remote_in, "written by the parent") == 0 ? 0 : 1);
    }
    if (ch < 0)
        return;
    char x;
    read(from[0], &x, 1);
    char got[64] = { 0 };
    struct iovec l = { got, 22 }, r = { remote_buf, 22 };
    CHECK_EQ(vmr(ch, &l, 1, &r, 1, 0), 22, "process_vm_readv reads the child's memory");
    CHECK_STR(got, "changed-after-fork-xyz", "... the child's bytes, not ours");
    char part1[8], part2[16];
    struct iovec l2[2] = { { part1, 8 }, { part2, 14 } };
    memset(got, 0, sizeof got);
    CHECK_EQ(vmr(ch, l2, 2, &r, 1, 0), 22, "process_vm_readv scatters into two local vectors");
    CHECK(memcmp(part1, "changed-", 8) == 0 && memcmp(part2, "after-fork-xyz", 14) == 0, "... in order");
    char msg[] = "written by the parent";
    struct iovec wl = { msg, sizeof msg }, wr[2] = { { remote_in, 10 }, { remote_in + 10, sizeof msg - 10 } };
    CHECK_EQ(vmw(ch, &wl, 1, wr, 2, 0), (long)sizeof msg, "process_vm_writev gathers into two remote vectors");
    struct iovec rbad[2] = { { remote_buf, 8 }, { (void *)16, 8 } };
    l.iov_len = 16;
    CHECK_EQ(vmr(ch, &l, 1, rbad, 2, 0), 8, "process_vm_readv stops at an unmapped remote vector");
    struct iovec ronly = { (void *)16, 8 };
    CHECK_ERR(vmr(ch, &l, 1, &ronly, 1, 0), EFAULT, "process_vm_readv of only unmapped memory");
    CHECK_ERR(vmr(ch, &l, 1, &r, 1, 1), EINVAL, "process_vm_readv flags");
    CHECK_ERR(vmr(ch, &l, 1, &r, 1025, 0), EINVAL, "process_vm_readv riovcnt past UIO_MAXIOV");
    CHECK_ERR(vmr(ch, (struct iovec *)KT_BAD_PTR, 1, &r, 1, 0), EFAULT, "process_vm_readv bad local iovec array");
    CHECK_ERR(vmr(0x3ffffff, &l, 1, &r, 1, 0), ESRCH, "process_vm_readv no such process");
    CHECK_EQ(vmr(0x3ffffff, &l, 0, &r, 1, 0), 0, "process_vm_readv moves nothing before looking up the process");
    write(to[1], "w", 1);
    CHECK_EQ(vt_reap_(ch), 0, "process_vm_writev: the child saw the parent's bytes");
    l.iov_len = 6;
    memset(got, 0, sizeof got);
    struct iovec self = { remote_buf, 6 };
    CHECK_EQ(vmr(getpid(), &l, 1, &self, 1, 0), 6, "process_vm_readv of oneself");
    close(to[0]); close(to[1]); close(from[0]); close(from[1]);
}

static void pidfd_checks(void)
{
    if (!have(SYS_pidfd_getfd, "pidfd_getfd"))
        return;
    int p[2];
    pipe(p);
    int mine = open("/dev/null", O_RDONLY);
    pid_t ch = fork();
    if (ch == 0) {
        char x;
        read(p[0], &x, 1);
        _exit(0);
    }
    if (ch < 0)
        return;
    int pfd = (int)syscall(SYS_pidfd_open, ch, 0);
    int fd = (int)syscall(SYS_pidfd_getfd, pfd, mine, 0);
    CHECK(fd >= 0, D("pidfd_getfd duplicates the child's fd (%d, errno %d)", fd, errno));
    if (fd >= 0) {
        CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "pidfd_getfd: the new fd is close-on-exec");
        if (have(SYS_kcmp, "kcmp for pidfd_getfd"))
            CHECK_EQ(kcmp_(getpid(), getpid(), KCMP_FILE, fd, mine), 0, "pidfd_getfd: the same open file");
        close(fd);
    }
    CHECK_ERR(syscall(SYS_pidfd_getfd, pfd, 999, 0), EBADF, "pidfd_getfd: a closed fd in the target");
    CHECK_ERR(syscall(SYS_pidfd_getfd, pfd, mine, 1), EINVAL, "pidfd_getfd: flags");
    CHECK_ERR(syscall(SYS_pidfd_getfd, mine, 0, 0), EBADF, "pidfd_getfd: not a pidfd");
    write(p[1], "x", 1);
    CHECK_EQ(vt_reap_(ch), 0, "pidfd_getfd: child exits");
    close(pfd); close(mine); close(p[0]); close(p[1]);
}

static long mb(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

static void membarrier_checks(void)
{
    if (!have(SYS_membarrier, "membarrier"))
        return;
    long q = mb(MEMBARRIER_CMD_QUERY, 0);
    long basic = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |
                 MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    CHECK(q >= 0 && (q & basic) == basic, D("membarrier QUERY offers the global and private commands (%#lx)", q));
    CHECK_ERR(mb(MEMBARRIER_CMD_QUERY, 1), EINVAL, "membarrier: flags on QUERY");
    CHECK_ERR(mb(1 << 12, 0), EINVAL, "membarrier: an unknown command");
    CHECK_EQ(mb(MEMBARRIER_CMD_GLOBAL, 0), 0, "membarrier GLOBAL");
    CHECK_EQ(mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0), 0, "membarrier GLOBAL_EXPEDITED needs no registration");
    CHECK_ERR(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), EPERM, "membarrier PRIVATE_EXPEDITED before registering");
    CHECK_EQ(mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0), 0, "membarrier REGISTER_PRIVATE_EXPEDITED");
    CHECK_EQ(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0, "membarrier PRIVATE_EXPEDITED after registering");
    CHECK_ERR(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0), EPERM, "membarrier SYNC_CORE needs its own registration");
    if (q & MEMBARRIER_CMD_GET_REGISTRATIONS)
        CHECK_EQ(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0), MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, "membarrier GET_REGISTRATIONS");
    pid_t ch = fork();
    if (ch == 0)
        _exit(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0 ? 0 : 1);
    if (ch > 0)
        CHECK_EQ(vt_reap_(ch), 0, "membarrier: a forked child keeps the registration");
}

static void pkey_checks(void)
{
    if (!have(SYS_pkey_alloc, "pkey_alloc"))
        return;
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR(syscall(SYS_pkey_alloc, 1, 0), EINVAL, "pkey_alloc: flags");
    CHECK_ERR(syscall(SYS_pkey_alloc, 0, 4), EINVAL, "pkey_alloc: unknown access rights");
#if defined(__riscv)
    /* riscv64 has no protection keys (Linux's generic include/linux/pkeys.h):
     * no key is ever free, only key 0 is allocated. x86 differs. */
    CHECK_ERR(syscall(SYS_pkey_alloc, 0, 0), ENOSPC, "pkey_alloc: no keys on riscv64 (ENOSPC)");
    CHECK_ERR(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, 1), EINVAL, "pkey_mprotect: an unallocated key");
    CHECK_EQ(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, 0), 0, "pkey_mprotect with the default key 0");
#endif
    CHECK_ERR(syscall(SYS_pkey_free, 9), EINVAL, "pkey_free: an unallocated key");
    CHECK_EQ(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ | PROT_WRITE, -1), 0, "pkey_mprotect with key -1 is mprotect");
    CHECK_EQ(mprotect(m, 0, 0xffff), 0, "mprotect: a zero length succeeds before prot is checked");
    CHECK_ERR(mprotect(m + 1, 4096, PROT_READ), EINVAL, "mprotect: unaligned start");
    CHECK_ERR(mprotect(m, 4096, PROT_GROWSDOWN | PROT_GROWSUP), EINVAL, "mprotect: GROWSDOWN and GROWSUP together");
    munmap(m, 8192);
}

static void fchmodat2_checks(void)
{
    if (!have(SYS_fchmodat2, "fchmodat2"))
        return;
    const char *dir = kt_mktemp("procrel");
    char f[600], l[600];
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(l, sizeof l, "%s/link", dir);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    symlink("file", l);
    struct stat st;
    CHECK_EQ(syscall(SYS_fchmodat2, AT_FDCWD, f, 0600, 0), 0, "fchmodat2 on a file");
    stat(f, &st);
    CHECK_EQ(st.st_mode & 07777, 0600, "fchmodat2: the mode changed");
    CHECK_EQ(syscall(SYS_fchmodat2, AT_FDCWD, l, 0640, 0), 0, "fchmodat2 follows a symlink by default");
    stat(f, &st);
    CHECK_EQ(st.st_mode & 07777, 0640, "fchmodat2: the target's mode changed");
    CHECK_ERR(syscall(SYS_fchmodat2, AT_FDCWD, l, 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, "fchmodat2 AT_SYMLINK_NOFOLLOW on a symlink");
    CHECK_EQ(syscall(SYS_fchmodat2, AT_FDCWD, f, 0604, AT_SYMLINK_NOFOLLOW), 0, "fchmodat2 AT_SYMLINK_NOFOLLOW on a file");
    CHECK_ERR(syscall(SYS_fchmodat2, AT_FDCWD, f, 0600, 0x40000), EINVAL, "fchmodat2: an unknown flag");
    int fd = open(f, O_RDONLY);
    CHECK_EQ(syscall(SYS_fchmodat2, fd, "", 0611, AT_EMPTY_PATH), 0, "fchmodat2 AT_EMPTY_PATH on an fd");
    fstat(fd, &st);
    CHECK_EQ(st.st_mode & 07777, 0611, "fchmodat2 AT_EMPTY_PATH: the mode changed");
    close(fd);
    kt_cleanup();
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    kcmp_checks();
    vm_checks();
    pidfd_checks();
    membarrier_checks();
    pkey_checks();
    fchmodat2_checks();
    return kt_done();
}
