/*
 * seccomp: prctl(PR_SET_SECCOMP) and seccomp(2) as Linux gives them.
 * Strict mode (read/write/exit/rt_sigreturn only, SIGKILL otherwise), classic
 * BPF filters over struct seccomp_data (nr, arch, args), every return action
 * (ERRNO with its clamp, TRAP's SIGSYS siginfo, TRACE and USER_NOTIF without a
 * tracer or listener, LOG, ALLOW, KILL_THREAD, KILL_PROCESS, an unknown action),
 * precedence between filters, NO_NEW_PRIVS, the checks that make a filter
 * EINVAL, inheritance over fork and execve, TSYNC, GET_ACTION_AVAIL,
 * GET_NOTIF_SIZES and /proc/self/status's Seccomp lines.
 *
 * Architecture-neutral (syscall numbers by name, the audit arch of the build):
 * the runner also compiles it for the host and runs it natively, because
 * qemu-user does not pass seccomp through (it answers EINVAL/ENOSYS).
 */
#include "ktest.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#if defined(__riscv) && __riscv_xlen == 64
#define ARCH_NR AUDIT_ARCH_RISCV64
#elif defined(__x86_64__)
#define ARCH_NR AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH_NR AUDIT_ARCH_AARCH64
#else
#error "unknown architecture"
#endif

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

static long install(struct sock_filter *f, unsigned short n, unsigned flags)
{
    struct sock_fprog p = { .len = n, .filter = f };
    return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter giving `action` for syscall `nr`, ALLOW for everything else (and killing a foreign arch). */
static long on_nr(long nr, unsigned action, unsigned flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return install(f, sizeof f / sizeof f[0], flags);
}

static void quiet_child(void)
{
    /* A child killed by SIGSYS must not dump core on the host. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static int status_line(const char *path, const char *key)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -2;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -2;
    buf[n] = 0;
    char *p = strstr(buf, key);
    return p ? atoi(p + strlen(key)) : -1;
}

static int expect_errno(long r, int e) { return r == -1 && errno == e; }

static void check_invalid(void)
{
    struct sock_filter ok1[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter noret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF) };
    struct sock_filter far[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter ja[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter big[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter odd[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter half[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter shift[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter slot[] = { BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter ind[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter bogus[] = { { 0xffff, 0, 0, 0 }, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    /* A slot stored on one path only, then read where both paths meet. */
    struct sock_filter onepath[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),   BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
        BPF_STMT(BPF_ST, 2),                          BPF_STMT(BPF_LDX | BPF_MEM, 2),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    IN_CHILD("invalid filters are EINVAL, bad pointers EFAULT", {
        quiet_child();
        EXPECT(0x01, expect_errno(install(ok1, 0, 0), EINVAL));
        EXPECT(0x01, expect_errno(install(ok1, 4097, 0), EINVAL));
        EXPECT(0x02, expect_errno(install(noret, 1, 0), EINVAL));
        EXPECT(0x02, expect_errno(install(far, 2, 0), EINVAL) && expect_errno(install(ja, 2, 0), EINVAL));
        EXPECT(0x04, expect_errno(install(big, 2, 0), EINVAL) && expect_errno(install(odd, 2, 0), EINVAL));
        EXPECT(0x04, expect_errno(install(half, 2, 0), EINVAL) && expect_errno(install(ind, 2, 0), EINVAL));
        EXPECT(0x08, expect_errno(install(mod, 2, 0), EINVAL) && expect_errno(install(div0, 2, 0), EINVAL));
        EXPECT(0x08, expect_errno(install(shift, 2, 0), EINVAL) && expect_errno(install(bogus, 2, 0), EINVAL));
        EXPECT(0x10, expect_errno(install(mem, 2, 0), EINVAL) && expect_errno(install(slot, 2, 0), EINVAL));
        EXPECT(0x10, expect_errno(install(onepath, 5, 0), EINVAL));
        EXPECT(0x20, expect_errno(install((struct sock_filter *)KT_BAD_PTR, 1, 0), EFAULT));
        EXPECT(0x20, expect_errno(sc(SECCOMP_SET_MODE_FILTER, 0, KT_BAD_PTR), EFAULT));
        EXPECT(0x40, expect_errno(install(ok1, 1, 0x80000000u), EINVAL));
        EXPECT(0x40, expect_errno(sc(99, 0, NULL), EINVAL) && expect_errno(sc(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL));
        EXPECT(0x40, expect_errno(prctl(PR_SET_SECCOMP, 7, 0, 0, 0), EINVAL));
        /* None of that attached anything. */
        EXPECT(0x80, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0);
    });
}

static void check_avail(void)
{
    unsigned known[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
                         SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW };
    int good = 1;
    for (unsigned i = 0; i < sizeof known / sizeof known[0]; i++)
        if (sc(SECCOMP_GET_ACTION_AVAIL, 0, &known[i]) != 0)
            good = 0;
    CHECK(good, "SECCOMP_GET_ACTION_AVAIL knows the eight actions");
    unsigned bad = 0x00010000, errno5 = SECCOMP_RET_ERRNO | 5;
    CHECK(expect_errno(sc(SECCOMP_GET_ACTION_AVAIL, 0, &bad), EOPNOTSUPP), "an unknown action is EOPNOTSUPP");
    CHECK(expect_errno(sc(SECCOMP_GET_ACTION_AVAIL, 0, &errno5), EOPNOTSUPP), "an action with data is EOPNOTSUPP");
    CHECK(expect_errno(sc(SECCOMP_GET_ACTION_AVAIL, 1, &bad), EINVAL), "GET_ACTION_AVAIL with flags is EINVAL");
    CHECK(expect_errno(sc(SECCOMP_GET_ACTION_AVAIL, 0, KT_BAD_PTR), EFAULT), "GET_ACTION_AVAIL of a bad pointer is EFAULT");
    struct seccomp_notif_sizes sz = { 0 };
    CHECK(sc(SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0 && sz.seccomp_notif == 80 && sz.seccomp_notif_resp == 24 &&
              sz.seccomp_data == 64,
          "SECCOMP_GET_NOTIF_SIZES");
    CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "PR_GET_SECCOMP is 0 before any filter");
    CHECK_EQ(status_line("/proc/self/status", "Seccomp:"), 0, "/proc/self/status Seccomp: 0");
}

static void check_nnp(void)
{
    struct sock_filter ok1[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    IN_CHILD("without no_new_privs or CAP_SYS_ADMIN a filter is EACCES", {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
            EXPECT(1, 0);
        EXPECT(2, expect_errno(install(ok1, 1, 0), EACCES));
        EXPECT(4, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && install(ok1, 1, 0) == 0);
        EXPECT(8, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
    });
    if (geteuid() == 0) {
        IN_CHILD("root (CAP_SYS_ADMIN) may attach without no_new_privs", {
            prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            EXPECT(1, install(ok1, 1, 0) == 0);
            EXPECT(2, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
        });
    }
}

static void check_errno_actions(void)
{
    IN_CHILD("ERRNO: the filtered call fails with the data, others run", {
        quiet_child();
        pid_t pp = getppid();
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 42, 0) == 0);
        EXPECT(2, expect_errno(syscall(SYS_getppid), 42));
        EXPECT(4, syscall(SYS_getpid) == getpid() && pp > 0);
        EXPECT(8, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
        EXPECT(16, status_line("/proc/self/status", "Seccomp:") == 2);
        EXPECT(32, status_line("/proc/self/status", "Seccomp_filters:") == 1);
        EXPECT(64, expect_errno(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), EINVAL));
    });
    IN_CHILD("ERRNO data above 4095 is clamped; ERRNO 0 returns 0 without the call", {
        quiet_child();
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 0xffff, 0) == 0);
        EXPECT(2, expect_errno(syscall(SYS_getppid), 4095));
        EXPECT(4, on_nr(SYS_getpid, SECCOMP_RET_ERRNO | 0, 0) == 0);
        EXPECT(8, syscall(SYS_getpid) == 0);
    });
    IN_CHILD("TRACE and USER_NOTIF without tracer or listener are ENOSYS; LOG runs the call", {
        quiet_child();
        pid_t me = getpid();
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_TRACE, 0) == 0);
        EXPECT(2, expect_errno(syscall(SYS_getppid), ENOSYS));
        EXPECT(4, on_nr(SYS_getuid, SECCOMP_RET_USER_NOTIF, 0) == 0);
        EXPECT(8, expect_errno(syscall(SYS_getuid), ENOSYS));
        EXPECT(16, on_nr(SYS_getpid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG) == 0);
        EXPECT(32, syscall(SYS_getpid) == me);
        EXPECT(64, status_line("/proc/self/status", "Seccomp_filters:") == 3);
    });
    IN_CHILD("the most restrictive result wins; between equal actions the newest filter's", {
        quiet_child();
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 5, 0) == 0);
        EXPECT(2, on_nr(SYS_getppid, SECCOMP_RET_ALLOW, 0) == 0);
        EXPECT(4, expect_errno(syscall(SYS_getppid), 5));
        EXPECT(8, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 6, 0) == 0);
        EXPECT(16, expect_errno(syscall(SYS_getppid), 6));
        EXPECT(32, on_nr(SYS_getppid, SECCOMP_RET_TRACE, 0) == 0);
        EXPECT(64, expect_errno(syscall(SYS_getppid), 6));
    });
    IN_CHILD("filters see the arguments' low and high words", {
        quiet_child();
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 8),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1000, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 7),
            /* ALU and scratch memory: A = (A * 2 + 1) stored, reloaded through X. */
            BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),
            BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
            BPF_STMT(BPF_ST, 4),
            BPF_STMT(BPF_LDX | BPF_MEM, 4),
            BPF_STMT(BPF_MISC | BPF_TXA, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2003, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 9),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        EXPECT(1, install(f, sizeof f / sizeof f[0], 0) == 0);
        EXPECT(2, expect_errno(syscall(SYS_dup, 1000L), 7));
        EXPECT(4, expect_errno(syscall(SYS_dup, 0x100000000L | 1000L), 8));
        EXPECT(8, expect_errno(syscall(SYS_dup, 1001L), 9));
        EXPECT(16, expect_errno(syscall(SYS_dup, 1002L), EBADF));
    });
}

static volatile sig_atomic_t trap_ok;
static volatile long trap_nr, trap_err, trap_code;
static volatile unsigned trap_arch;
static volatile void *trap_addr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    trap_ok = sig == SIGSYS;
    trap_nr = si->si_syscall;
    trap_arch = si->si_arch;
    trap_err = si->si_errno;
    trap_code = si->si_code;
    trap_addr = si->si_call_addr;
}

static void *call_getppid(void *arg)
{
    (void)arg;
    syscall(SYS_getppid);
    return (void *)1;
}

static void check_trap_and_kill(void)
{
    IN_CHILD("TRAP: SIGSYS with si_syscall, si_arch, si_errno and SYS_SECCOMP, then the program goes on", {
        quiet_child();
        struct sigaction sa = { 0 };
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &sa, NULL);
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_TRAP | 77, 0) == 0);
        syscall(SYS_getppid);
        EXPECT(2, trap_ok);
        EXPECT(4, trap_nr == SYS_getppid && trap_arch == ARCH_NR);
        EXPECT(8, trap_err == 77 && trap_code == 1 /* SYS_SECCOMP */);
        EXPECT(16, trap_addr != NULL);
    });
    pid_t c = fork();
    if (c == 0) {
        quiet_child();
        signal(SIGSYS, SIG_IGN);
        on_nr(SYS_getppid, SECCOMP_RET_TRAP, 0);
        syscall(SYS_getppid);
        _exit(0);
    }
    kt_check_killed(c, SIGSYS, "TRAP with SIGSYS ignored kills with SIGSYS");
    unsigned actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, 0x00010000 };
    const char *names[] = { "KILL_PROCESS kills the process with SIGSYS", "KILL_THREAD of the only thread kills with SIGSYS",
                            "an unknown action kills with SIGSYS" };
    for (int i = 0; i < 3; i++) {
        c = fork();
        if (c == 0) {
            quiet_child();
            on_nr(SYS_getppid, actions[i], 0);
            syscall(SYS_getppid);
            _exit(0);
        }
        kt_check_killed(c, SIGSYS, names[i]);
    }
    c = fork();
    if (c == 0) {
        quiet_child();
        on_nr(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
        pthread_t th;
        void *res = NULL;
        if (pthread_create(&th, NULL, call_getppid, NULL) != 0)
            _exit(10);
        pthread_join(th, &res);
        _exit(res == NULL ? 3 : 11);
    }
    kt_check_exit(c, 3, "KILL_THREAD ends only the calling thread");
    c = fork();
    if (c == 0) {
        quiet_child();
        on_nr(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0);
        pthread_t th;
        pthread_create(&th, NULL, call_getppid, NULL);
        pthread_join(th, NULL);
        _exit(0);
    }
    kt_check_killed(c, SIGSYS, "KILL_PROCESS from a thread kills the whole process");
}

static void check_strict(void)
{
    pid_t c = fork();
    if (c == 0) {
        quiet_child();
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
            _exit(1);
        static const char m[] = "";
        if (write(1, m, 0) != 0)
            syscall(SYS_exit, 2);
        syscall(SYS_exit, 7);
    }
    kt_check_exit(c, 7, "strict mode allows write and exit");
    c = fork();
    if (c == 0) {
        quiet_child();
        if (sc(SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
            _exit(1);
        syscall(SYS_getpid);
        syscall(SYS_exit, 0);
    }
    kt_check_killed(c, SIGKILL, "strict mode kills any other syscall with SIGKILL");
    c = fork();
    if (c == 0) {
        quiet_child();
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
        syscall(SYS_exit_group, 0);
        syscall(SYS_exit, 0);
    }
    kt_check_killed(c, SIGKILL, "strict mode does not allow exit_group");
}

static void check_inherit(const char *self)
{
    IN_CHILD("filters are inherited by fork and kept over execve", {
        quiet_child();
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 33, 0) == 0);
        pid_t g = fork();
        if (g == 0)
            _exit(syscall(SYS_getppid) == -1 && errno == 33 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
        int st;
        waitpid(g, &st, 0);
        EXPECT(2, WIFEXITED(st) && WEXITSTATUS(st) == 0);
        g = fork();
        if (g == 0) {
            char *argv[] = { (char *)self, "getppid", NULL };
            execv(self, argv);
            _exit(99);
        }
        waitpid(g, &st, 0);
        EXPECT(4, WIFEXITED(st) && WEXITSTATUS(st) == 33);
    });
}

static pthread_barrier_t bar;
static volatile long thread_errno;
static pid_t thread_tid;

static void *tsync_thread(void *arg)
{
    thread_tid = (pid_t)syscall(SYS_gettid);
    if (arg)
        on_nr(SYS_getuid, SECCOMP_RET_ERRNO | 3, 0); /* a filter of its own: TSYNC must refuse */
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    thread_errno = syscall(SYS_getppid) == -1 ? errno : 0;
    return NULL;
}

static void check_tsync(void)
{
    IN_CHILD("TSYNC puts the filter on every thread", {
        quiet_child();
        pthread_t th;
        pthread_barrier_init(&bar, NULL, 2);
        pthread_create(&th, NULL, tsync_thread, NULL);
        pthread_barrier_wait(&bar);
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 21, SECCOMP_FILTER_FLAG_TSYNC) == 0);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)thread_tid);
        EXPECT(2, status_line(path, "Seccomp:") == 2 && status_line(path, "Seccomp_filters:") == 1);
        pthread_barrier_wait(&bar);
        pthread_join(th, NULL);
        EXPECT(4, thread_errno == 21);
    });
    IN_CHILD("TSYNC fails with the tid of a thread on a diverging filter (ESRCH with TSYNC_ESRCH)", {
        quiet_child();
        pthread_t th;
        pthread_barrier_init(&bar, NULL, 2);
        pthread_create(&th, NULL, tsync_thread, (void *)1);
        pthread_barrier_wait(&bar);
        EXPECT(1, on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 21, SECCOMP_FILTER_FLAG_TSYNC) == thread_tid);
        EXPECT(2, expect_errno(on_nr(SYS_getppid, SECCOMP_RET_ERRNO | 21,
                                     SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH),
                               ESRCH));
        EXPECT(4, prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0);
        pthread_barrier_wait(&bar);
        pthread_join(th, NULL);
        EXPECT(8, thread_errno == 0);
    });
}

static void check_limits(void)
{
    IN_CHILD("filters are limited to 32768 instructions along the chain, as Linux counts them: ENOMEM", {
        quiet_child();
        static struct sock_filter f[4096];
        for (int i = 0; i < 4096; i++)
            f[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        /* Linux counts each filter after its conversion to eBPF (a RET is two instructions, three more
         * for the prologue) plus 4: three filters of 4096 RETs fit, a fourth does not. */
        for (int i = 0; i < 3; i++)
            if (install(f, 4096, 0) != 0)
                EXPECT(1, 0);
        EXPECT(2, expect_errno(install(f, 4096, 0), ENOMEM));
        EXPECT(4, install(f, 4084, 0) == 0);
        EXPECT(8, status_line("/proc/self/status", "Seccomp_filters:") == 4);
        EXPECT(16, expect_errno(install(f, 1, 0), ENOMEM));
    });
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "getppid") == 0)
        return syscall(SYS_getppid) == -1 ? errno : 0;
    if (kt_qemu()) {
        kt_skip("seccomp", "qemu-user does not pass seccomp through; the runner runs this natively");
        return kt_done();
    }
    kt_watchdog(60);
    check_avail();
    check_invalid();
    check_nnp();
    check_errno_actions();
    check_trap_and_kill();
    check_strict();
    check_inherit("/proc/self/exe");
    check_tsync();
    check_limits();
    return kt_done();
}
