/*
 * oops.c - one syscall each with a guest value that once crashed Ghost's
 * kernel (an "oops": a JavaScript exception escaping a handler, the task
 * killed with SIGSEGV): u64 fields past 2^53 in msghdr, iovec, itimerval and
 * flock, and negative or huge lengths. Each case runs in a child, so a crash
 * is reported as such; the result must be what Linux gives (qemu-riscv64,
 * which forwards these to the host's Linux, checks the expectations).
 *
 * Later cases are regressions found by the syscall fuzzer (userland/fuzz/fuzz.c).
 */
#include "ktest.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>

#define BIG53P1 ((1ULL << 53) + 1) /* the first integer a double cannot hold */
#define BIG60 (1ULL << 60)
#define BIG63 (1ULL << 63)
#define NR_RISCV_HWPROBE 258

static char *page;       /* one read-write page, the next one unmapped */
static int sv[2];        /* a connected AF_UNIX datagram pair */
static int file_fd;      /* a regular file in the temp dir, holding "hello" */

/* Runs fn in a child; returns its result (a raw syscall result: value or -errno), or 1000+signal. */
static long in_child(long (*fn)(void))
{
    int p[2];
    if (pipe(p) != 0)
        return -9999;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        long r = fn();
        if (write(p[1], &r, sizeof r) != sizeof r)
            _exit(2);
        _exit(0);
    }
    close(p[1]);
    long r = -9998;
    int st = 0;
    ssize_t n = read(p[0], &r, sizeof r);
    close(p[0]);
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        return 1000 + WTERMSIG(st);
    if (n != sizeof r)
        return -9997;
    return r;
}

static long raw(long r) { return r < 0 ? -errno : r; }

/* Checks that fn's result is one of the `n` wanted values. */
static void expect(const char *desc, long (*fn)(void), int n, ...)
{
    long got = in_child(fn);
    va_list ap;
    va_start(ap, n);
    int ok = 0;
    char wants[200] = "";
    for (int i = 0; i < n; i++) {
        long w = va_arg(ap, long);
        if (got == w)
            ok = 1;
        snprintf(wants + strlen(wants), sizeof wants - strlen(wants), "%s%ld", i ? " or " : "", w);
    }
    va_end(ap);
    if (got >= 1000 && got < 1100)
        kt_check(0, desc, "killed by signal %ld (an oops?)", got - 1000);
    else
        kt_check(ok, desc, "got %ld want %s", got, wants);
}

/* ---- msghdr and iovec fields past 2^53 ---- */

static long sendmsg_iovlen(void)
{
    struct iovec iov = { page, 4 };
    struct msghdr m = { .msg_iov = &iov };
    *(uint64_t *)&m.msg_iovlen = BIG53P1;
    return raw(sendmsg(sv[0], &m, MSG_DONTWAIT));
}

static long sendmsg_iovbase(void)
{
    struct iovec iov = { (void *)BIG63, 4 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    return raw(sendmsg(sv[0], &m, MSG_DONTWAIT));
}

static long recvmsg_iovlen(void)
{
    struct iovec iov = { page, 4 };
    struct msghdr m = { .msg_iov = &iov };
    *(uint64_t *)&m.msg_iovlen = BIG60;
    return raw(recvmsg(sv[1], &m, MSG_DONTWAIT));
}

static long recvmsg_controllen(void)
{
    struct iovec iov = { page, 4 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = page + 64 };
    *(uint64_t *)&m.msg_controllen = BIG53P1;
    if (send(sv[0], "ping", 4, 0) != 4)
        return -9000;
    return raw(recvmsg(sv[1], &m, MSG_DONTWAIT));
}

static long sendmmsg_iovlen(void)
{
    struct iovec iov = { page, 4 };
    struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov } };
    *(uint64_t *)&mm.msg_hdr.msg_iovlen = BIG63;
    return raw(sendmmsg(sv[0], &mm, 1, MSG_DONTWAIT));
}

static long readv_len(void)
{
    struct iovec iov = { page, (size_t)BIG63 };
    return raw(readv(file_fd, &iov, 1));
}

static long writev_len(void)
{
    struct iovec iov[2] = { { page, 4 }, { page, (size_t)BIG53P1 } };
    return raw(writev(file_fd, iov, 2));
}

static long preadv_base(void)
{
    struct iovec iov = { (void *)(BIG53P1 | 0xff0), 4 };
    return raw(preadv(file_fd, &iov, 1, 0));
}

static long pwritev_base(void)
{
    struct iovec iov = { (void *)BIG63, 4 };
    return raw(pwritev(file_fd, &iov, 1, 0));
}

/* ---- itimerval and flock ---- */

static long setitimer_huge(void)
{
    struct itimerval v = { .it_value = { .tv_sec = (time_t)BIG60 }, .it_interval = { .tv_sec = (time_t)BIG53P1 } };
    long r = raw(setitimer(ITIMER_REAL, &v, NULL));
    struct itimerval off = { 0 };
    setitimer(ITIMER_REAL, &off, NULL);
    return r;
}

static long setitimer_virtual_huge(void)
{
    struct itimerval v = { .it_value = { .tv_sec = (time_t)BIG53P1, .tv_usec = 5 } };
    return raw(setitimer(ITIMER_VIRTUAL, &v, NULL));
}

static long fcntl_setlk_huge(void)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)BIG53P1, .l_len = (off_t)BIG53P1 };
    return raw(fcntl(file_fd, F_SETLK, &fl));
}

static long fcntl_setlk_overflow(void)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)(1ULL << 62), .l_len = (off_t)((1ULL << 62) + 1) };
    return raw(fcntl(file_fd, F_SETLK, &fl));
}

static long fcntl_getlk_negative(void)
{
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = (off_t)BIG63, .l_len = 1 };
    return raw(fcntl(file_fd, F_GETLK, &fl));
}

/* ---- negative or huge lengths ---- */

static long pwrite64_huge(void)
{
    return raw(syscall(SYS_pwrite64, file_fd, KT_BAD_PTR, (size_t)-1, 0));
}

static long pwrite64_negoff(void)
{
    return raw(syscall(SYS_pwrite64, file_fd, page, 4, (long)BIG63));
}

static long sendto_huge(void)
{
    return raw(sendto(sv[0], KT_BAD_PTR, (size_t)-1, MSG_DONTWAIT, NULL, 0));
}

static long recvfrom_huge(void)
{
    if (send(sv[0], "hello", 5, 0) != 5)
        return -9000;
    return raw(recvfrom(sv[1], page, (size_t)BIG63 + 77, MSG_DONTWAIT, NULL, NULL));
}

static long getrandom_huge(void)
{
    return raw(syscall(SYS_getrandom, KT_BAD_PTR, (size_t)-5, 0));
}

static long mincore_huge(void)
{
    unsigned char vec[8];
    return raw(syscall(SYS_mincore, page, (size_t)-67106554L * 4096, vec));
}

static long mincore_past(void)
{
    unsigned char vec[8];
    return raw(syscall(SYS_mincore, page, (size_t)BIG53P1, vec));
}

static long setxattr_huge(void)
{
    return raw(syscall(SYS_setxattr, kt_path("data"), "user.x", page, (size_t)-1, 0));
}

static long fsetxattr_huge(void)
{
    return raw(syscall(SYS_fsetxattr, file_fd, "user.x", page, (size_t)BIG53P1, 0));
}

static long hwprobe_pairs(void)
{
    return raw(syscall(NR_RISCV_HWPROBE, page, (size_t)-1, 0, NULL, 0));
}

static long hwprobe_cpusetsize(void)
{
    return raw(syscall(NR_RISCV_HWPROBE, page, 1, (size_t)BIG53P1, page + 256, 0));
}

static long hwprobe_cpus_ptr(void)
{
    return raw(syscall(NR_RISCV_HWPROBE, page, 1, 8, (void *)BIG63, 0));
}

static const char *big_path;

static long ftruncate_8g(void)
{
    int fd = open(big_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -9000;
    long r = raw(ftruncate(fd, 8LL << 30));
    struct stat st;
    if (r == 0 && (fstat(fd, &st) != 0 || st.st_size != (8LL << 30)))
        r = -9001;
    if (r == 0 && (pwrite(fd, "x", 1, (8LL << 30) - 1) != 1))
        r = -9002;
    char c = 0;
    if (r == 0 && (pread(fd, &c, 1, 1LL << 32) != 1 || c != 0))
        r = -9003;
    /* Sparse, as Linux's tmpfs and disk filesystems: the hole takes no blocks (nor host memory). */
    if (r == 0 && (fstat(fd, &st) != 0 || st.st_blocks > 64))
        r = -9004;
    /* Punching the whole 8 GiB gives the written page back and leaves zeros
     * (on tmpfs: a host directory has no hole punching through Node, only writes). */
    if (r == 0 && strncmp(big_path, "/tmp/", 5) == 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8LL << 30) != 0)
        r = -9005;
    if (r == 0 && strncmp(big_path, "/tmp/", 5) == 0 &&
        (pread(fd, &c, 1, (8LL << 30) - 1) != 1 || c != 0 || fstat(fd, &st) != 0 || st.st_size != (8LL << 30)))
        r = -9006;
    ftruncate(fd, 0);
    close(fd);
    unlink(big_path);
    return r;
}

static long truncate_8g(void)
{
    int fd = open(kt_path("big2"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -9000;
    close(fd);
    long r = raw(truncate(kt_path("big2"), 8LL << 30));
    truncate(kt_path("big2"), 0);
    return r;
}

/* ---- registers past 2^53 ---- */

/* An `unsigned int fd` argument is the register's low 32 bits: 2^62 + fd rounded as a double would be fd 0. */
static long lseek_fd_high_bits(void)
{
    long want = lseek(file_fd, 0, SEEK_END);
    long got = raw(syscall(SYS_lseek, (1ULL << 62) + (uint64_t)file_fd, 0, SEEK_END));
    return got == want ? 0 : got;
}

/* ---- found by the fuzzer ---- */

static volatile int handled;
static void on_usr1(int sig) { (void)sig; handled = 1; }

/* A huge ss_size once crashed the whole kernel when the next signal frame recorded it (seed 2, batch 159). */
static long sigaltstack_huge_then_signal(void)
{
    static char alt[65536];
    stack_t ss = { .ss_sp = alt, .ss_size = (size_t)0x6da4d7b9e3c8c4e8ULL, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0)
        return -errno;
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    stack_t old;
    if (sigaltstack(NULL, &old) != 0)
        return -errno;
    if (!handled)
        return -9000;
    return old.ss_size > (1ULL << 52) ? 0 : -9001; /* Ghost keeps sizes past 2^53 only approximately */
}

/* A signal handler that writes a uc_stack sigaltstack would refuse (size
 * 100, under MINSIGSTKSZ, at an unmapped address); rt_sigreturn ignores it
 * (do_sigaltstack's ENOMEM, squashed by restore_altstack), so the next
 * SA_ONSTACK signal runs on the normal stack. Ghost once took the size as
 * it came and wrote that frame to address 0x1000 (structured fuzzer, sig). */
static void corrupt_uc_stack(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = uc_;
    uc->uc_stack.ss_sp = (void *)0x1000;
    uc->uc_stack.ss_size = 100;
    uc->uc_stack.ss_flags = 0;
}

static long sigreturn_small_altstack(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = corrupt_uc_stack;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    handled = 0;
    raise(SIGUSR2);
    stack_t old;
    if (sigaltstack(NULL, &old) != 0)
        return -errno;
    if (!handled)
        return -9000;
    return old.ss_flags == SS_DISABLE ? 0 : -9001;
}

/* An unknown ss_flags mode (EINVAL in do_sigaltstack) leaves the alternate stack set up before. */
static void bad_uc_stack_flags(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = uc_;
    uc->uc_stack.ss_sp = (void *)0x1000;
    uc->uc_stack.ss_size = 65536;
    uc->uc_stack.ss_flags = 7;
}

static long sigreturn_bad_altstack_flags(void)
{
    static char alt[65536];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0)
        return -errno;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = bad_uc_stack_flags;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    stack_t old;
    if (sigaltstack(NULL, &old) != 0)
        return -errno;
    return old.ss_sp == alt && old.ss_flags == 0 ? 0 : -9001;
}

int main(void)
{
    kt_mktemp("oops");
    page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || munmap(page + 4096, 4096) != 0) {
        kt_check(0, "setup: a page followed by a hole", "mmap/munmap failed");
        return kt_done();
    }
    memset(page, 'a', 4096);
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
        kt_check(0, "setup: socketpair", "errno %d", errno);
        return kt_done();
    }
    file_fd = open(kt_path("data"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file_fd < 0 || write(file_fd, "hello", 5) != 5) {
        kt_check(0, "setup: data file", "errno %d", errno);
        return kt_done();
    }

    expect("sendmsg: msg_iovlen 2^53+1 is EMSGSIZE", sendmsg_iovlen, 1, (long)-EMSGSIZE);
    expect("sendmsg: iov_base 2^63 is EFAULT", sendmsg_iovbase, 1, (long)-EFAULT);
    expect("recvmsg: msg_iovlen 2^60 is EMSGSIZE", recvmsg_iovlen, 1, (long)-EMSGSIZE);
    if (kt_qemu())
        kt_skip("recvmsg: msg_controllen 2^53+1 still receives", "qemu-user 7.2 crashes on it");
    else
        expect("recvmsg: msg_controllen 2^53+1 still receives", recvmsg_controllen, 1, 4L);
    expect("sendmmsg: msg_iovlen 2^63 is EMSGSIZE", sendmmsg_iovlen, 1, (long)-EMSGSIZE);
    expect("readv: iov_len 2^63 is EINVAL", readv_len, 1, (long)-EINVAL);
    /* Linux's import_iovec checks access_ok on each whole segment; qemu-user writes what it could lock. */
    expect("writev: iov_len 2^53+1 is EFAULT", writev_len, 1, kt_qemu() ? 4L : (long)-EFAULT);
    expect("preadv: iov_base past 2^53 is EFAULT", preadv_base, 1, (long)-EFAULT);
    expect("pwritev: iov_base 2^63 is EFAULT", pwritev_base, 1, (long)-EFAULT);
    expect("setitimer: ITIMER_REAL of 2^60 s is accepted", setitimer_huge, 1, 0L);
    expect("setitimer: ITIMER_VIRTUAL of 2^53+1 s is accepted", setitimer_virtual_huge, 1, 0L);
    expect("fcntl F_SETLK: l_start and l_len 2^53+1", fcntl_setlk_huge, 1, 0L);
    expect("fcntl F_SETLK: l_start+l_len past 2^63 is EOVERFLOW", fcntl_setlk_overflow, 1, (long)-EOVERFLOW);
    expect("fcntl F_GETLK: l_start -2^63 is EINVAL", fcntl_getlk_negative, 1, (long)-EINVAL);
    expect("pwrite64: count -1 from a bad pointer is EFAULT", pwrite64_huge, 1, (long)-EFAULT);
    expect("pwrite64: offset -2^63 is EINVAL", pwrite64_negoff, 1, (long)-EINVAL);
    expect("sendto: len -1 from a bad pointer", sendto_huge, 2, (long)-EFAULT, (long)-EMSGSIZE);
    /* Linux clamps len to INT_MAX; qemu-user fails to lock that much and says EFAULT. */
    expect("recvfrom: len 2^63+77 receives the datagram", recvfrom_huge, 1, kt_qemu() ? (long)-EFAULT : 5L);
    expect("getrandom: count -5 into a bad pointer is EFAULT", getrandom_huge, 1, (long)-EFAULT);
    expect("mincore: a huge length is ENOMEM", mincore_huge, 2, (long)-ENOMEM, (long)-EINVAL);
    expect("mincore: length 2^53+1 is ENOMEM", mincore_past, 2, (long)-ENOMEM, (long)-EINVAL);
    expect("setxattr: size -1 is E2BIG", setxattr_huge, 2, (long)-E2BIG, (long)-EFAULT);
    expect("fsetxattr: size 2^53+1 is E2BIG", fsetxattr_huge, 2, (long)-E2BIG, (long)-EFAULT);
    if (kt_qemu()) {
        kt_skip("riscv_hwprobe: pair_count -1", "qemu-user 7.2 has no riscv_hwprobe");
        kt_skip("riscv_hwprobe: cpusetsize 2^53+1", "qemu-user 7.2 has no riscv_hwprobe");
        kt_skip("riscv_hwprobe: cpus 2^63", "qemu-user 7.2 has no riscv_hwprobe");
    } else {
        expect("riscv_hwprobe: pair_count -1 over one page is EFAULT", hwprobe_pairs, 1, (long)-EFAULT);
        expect("riscv_hwprobe: cpusetsize 2^53+1 is clamped", hwprobe_cpusetsize, 1, 0L);
        expect("riscv_hwprobe: cpus at 2^63 is EFAULT", hwprobe_cpus_ptr, 1, (long)-EFAULT);
    }
    big_path = kt_path("big");
    expect("ftruncate: 8 GiB, sparse (host directory)", ftruncate_8g, 1, 0L);
    big_path = "/tmp/ghost-oops-big";
    expect("ftruncate: 8 GiB, sparse (/tmp)", ftruncate_8g, 1, 0L);
    expect("truncate: 8 GiB", truncate_8g, 1, 0L);

    expect("lseek: fd 2^62 + fd is fd (the low 32 bits)", lseek_fd_high_bits, 1, 0L);
    expect("sigaltstack: ss_size 0x6da4d7b9e3c8c4e8, then a signal", sigaltstack_huge_then_signal, 1, 0L);
    expect("rt_sigreturn: a uc_stack of 100 bytes is ignored", sigreturn_small_altstack, 1, 0L);
    expect("rt_sigreturn: a uc_stack with ss_flags 7 keeps the alternate stack", sigreturn_bad_altstack_flags, 1, 0L);

    unlink(kt_path("data"));
    unlink(kt_path("big2"));
    return kt_done();
}
