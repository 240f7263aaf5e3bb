/*
 * ptrace(2): a tracer and its tracees, checked against the man page and the
 * host's Linux (the file also builds natively for x86-64: the register
 * layouts are the only architecture-specific parts, guarded below).
 * qemu-user has no ptrace: under it every check is skipped.
 *
 * Checked: PTRACE_TRACEME and TracerPid, signal-delivery-stop with the
 * signal suppressed, injected or replaced; PEEKDATA/POKEDATA; syscall stops
 * with PTRACE_O_TRACESYSGOOD and PTRACE_GET_SYSCALL_INFO; a syscall skipped
 * (nr -1, result set at exit) and one changed at entry; GETREGSET/SETREGSET;
 * GETSIGINFO, GETSIGMASK/SETSIGMASK, GETEVENTMSG; PTRACE_EVENT_FORK with the
 * child auto-attached, PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT; ATTACH, SEIZE,
 * INTERRUPT, DETACH; PTRACE_O_EXITKILL; the errors of the man page.
 */
#include "ktest.h"
#include <elf.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <linux/ptrace.h>

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

static volatile long g_word = 0x1122334455667788L;
static volatile int g_usr1;
static volatile long g_word2 = 1;
static volatile const long g_ro = 5; /* read-only data: written through /proc/PID/mem (FOLL_FORCE) */

static void on_usr1(int s) { (void)s; g_usr1++; }

static long pt(int req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

/* Waits for pid (a tracee: __WALL) and returns its status, or -1. */
static int wait_st(pid_t pid)
{
    int st = 0;
    if (kt_waitpid(pid, &st, __WALL) != pid)
        return -1;
    return st;
}

/* PTRACE_CONT, then the next stop that is not the delivery of a SIGCHLD (passed on). */
static int cont_wait(pid_t pid)
{
    pt(PTRACE_CONT, pid, 0, 0);
    for (;;) {
        int st = wait_st(pid);
        if (st < 0 || !WIFSTOPPED(st) || (st >> 8) != SIGCHLD)
            return st;
        pt(PTRACE_CONT, pid, 0, SIGCHLD);
    }
}

/* The syscall number and result registers, for the parts that write them. */
#if defined(__riscv)
#define UREG_NR(r) ((r).a7)
#define UREG_RET(r) ((r).a0)
#define UREG_PC(r) ((r).pc)
#define FPREGS_SIZE (33 * 8)
#elif defined(__x86_64__)
#define UREG_NR(r) ((r).orig_rax)
#define UREG_RET(r) ((r).rax)
#define UREG_PC(r) ((r).rip)
#define FPREGS_SIZE sizeof(struct user_fpregs_struct)
#endif

static int get_regs(pid_t pid, struct user_regs_struct *r)
{
    struct iovec iov = {r, sizeof *r};
    return (int)pt(PTRACE_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov);
}

static int set_regs(pid_t pid, struct user_regs_struct *r)
{
    struct iovec iov = {r, sizeof *r};
    return (int)pt(PTRACE_SETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov);
}

/* Runs pid from stop to syscall stop until the entry of syscall nr; returns its info, or op 0. */
static struct ptrace_syscall_info next_entry(pid_t pid, long nr)
{
    struct ptrace_syscall_info si;
    for (int i = 0; i < 200; i++) {
        memset(&si, 0, sizeof si);
        if (pt(PTRACE_SYSCALL, pid, 0, 0) < 0)
            break;
        int st = wait_st(pid);
        if (st < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80))
            break;
        pt(PTRACE_GET_SYSCALL_INFO, pid, sizeof si, (unsigned long)&si);
        if (si.op == PTRACE_SYSCALL_INFO_ENTRY && (long)si.entry.nr == nr)
            return si;
    }
    memset(&si, 0, sizeof si);
    return si;
}

/* The traced child: what it checks itself comes back as failure bits in its exit status. */
static void tracee_main(void)
{
    int bad = 0;
    if (pt(PTRACE_TRACEME, 0, 0, 0) != 0)
        _exit(100);
    signal(SIGUSR1, on_usr1);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    pid_t pp = getppid(), self = getpid();
    raise(SIGSTOP); /* 1: the tracer looks around */
    EXPECT(1, g_word == 0x0102030405060708L); /* poked meanwhile */
    EXPECT(128, g_word2 == 2 && g_ro == 6);   /* written through /proc/PID/mem */
    EXPECT(2, syscall(SYS_getppid, 0x1234, 0x5678) == pp);
    EXPECT(4, syscall(SYS_getppid) == 4242); /* skipped; result set by the tracer */
    EXPECT(8, syscall(SYS_getppid) == self); /* turned into getpid */
    raise(SIGUSR1); /* suppressed */
    EXPECT(16, g_usr1 == 0);
    raise(SIGUSR1); /* delivered */
    EXPECT(32, g_usr1 == 1);
    raise(SIGTERM); /* replaced by SIGUSR1 */
    EXPECT(64, g_usr1 == 2);
    _exit(bad);
}

static void test_traceme(void)
{
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0)
        tracee_main();
    int st = wait_st(c);
    if (!CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "TRACEME child's raise(SIGSTOP) is a signal-delivery-stop"))
        goto kill;

    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)c);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    char want[64];
    snprintf(want, sizeof want, "TracerPid:\t%d\n", (int)me);
    CHECK(strstr(buf, want) != NULL, "/proc/PID/status TracerPid is the tracer");

    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_OK(pt(PTRACE_GETSIGINFO, c, 0, (unsigned long)&si), "PTRACE_GETSIGINFO");
    CHECK_EQ(si.si_signo, SIGSTOP, "siginfo of the stop names SIGSTOP");
    CHECK_ERR(pt(PTRACE_SETOPTIONS, c, 0, 0x80000000UL | PTRACE_O_TRACESYSGOOD), EINVAL, "unknown option bit is EINVAL");
    CHECK_OK(pt(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD), "PTRACE_SETOPTIONS TRACESYSGOOD");

    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, c, (void *)&g_word, NULL);
    CHECK(w == 0x1122334455667788L && errno == 0, "PTRACE_PEEKDATA reads the tracee's word");
    CHECK_OK(pt(PTRACE_POKEDATA, c, (unsigned long)&g_word, 0x0102030405060708UL), "PTRACE_POKEDATA");
    errno = 0;
    CHECK(ptrace(PTRACE_PEEKDATA, c, (void *)8, NULL) == -1 && errno == EIO, "PEEKDATA of an unmapped address is EIO");

    snprintf(path, sizeof path, "/proc/%d/mem", (int)c);
    fd = open(path, O_RDWR);
    CHECK(fd >= 0, "the tracer opens /proc/PID/mem");
    if (fd >= 0) {
        long v = 0, two = 2, six = 6;
        CHECK(pread(fd, &v, sizeof v, (off_t)(uintptr_t)&g_word) == sizeof v && v == 0x0102030405060708L, "/proc/PID/mem reads the tracee's word");
        CHECK(pwrite(fd, &two, sizeof two, (off_t)(uintptr_t)&g_word2) == sizeof two, "/proc/PID/mem writes data");
        CHECK(pwrite(fd, &six, sizeof six, (off_t)(uintptr_t)&g_ro) == sizeof six, "/proc/PID/mem writes read-only data");
        errno = 0;
        CHECK(pread(fd, &v, sizeof v, 8) == -1 && errno == EIO, "/proc/PID/mem at an unmapped address is EIO");
        close(fd);
    }

    uint64_t mask = 0;
    CHECK_OK(pt(PTRACE_GETSIGMASK, c, sizeof mask, (unsigned long)&mask), "PTRACE_GETSIGMASK");
    CHECK(mask & (1ULL << (SIGUSR2 - 1)), "the tracee's mask holds SIGUSR2");
    CHECK_ERR(pt(PTRACE_GETSIGMASK, c, 4, (unsigned long)&mask), EINVAL, "GETSIGMASK with a wrong size is EINVAL");
    CHECK_OK(pt(PTRACE_SETSIGMASK, c, sizeof mask, (unsigned long)&mask), "PTRACE_SETSIGMASK");

    struct user_regs_struct r;
    struct iovec iov = {&r, 3};
    CHECK_ERR(pt(PTRACE_GETREGSET, c, NT_PRSTATUS, (unsigned long)&iov), EINVAL, "GETREGSET with a length not a multiple of 8 is EINVAL");
    iov.iov_len = sizeof r;
    CHECK_OK(pt(PTRACE_GETREGSET, c, NT_PRSTATUS, (unsigned long)&iov), "GETREGSET NT_PRSTATUS");
    CHECK_EQ((long)iov.iov_len, (long)sizeof r, "NT_PRSTATUS is a whole user_regs_struct");
    unsigned char fp[1024];
    iov.iov_base = fp;
    iov.iov_len = sizeof fp;
    CHECK_OK(pt(PTRACE_GETREGSET, c, NT_PRFPREG, (unsigned long)&iov), "GETREGSET NT_PRFPREG");
    CHECK_EQ((long)iov.iov_len, (long)FPREGS_SIZE, "NT_PRFPREG's size");
#if defined(__riscv)
    CHECK_ERR(pt(PTRACE_SINGLESTEP, c, 0, 0), EIO, "PTRACE_SINGLESTEP is EIO on riscv");
#endif
    CHECK_ERR(pt(PTRACE_CONT, c, 0, 99), EIO, "restart with an invalid signal is EIO");

    /* getppid(0x1234, 0x5678): its entry and exit as GET_SYSCALL_INFO shows them. */
    struct ptrace_syscall_info info = next_entry(c, SYS_getppid);
    CHECK(info.op == PTRACE_SYSCALL_INFO_ENTRY, "syscall-enter-stop of getppid");
    CHECK(info.entry.args[0] == 0x1234 && info.entry.args[1] == 0x5678, "entry args");
    CHECK(get_regs(c, &r) == 0 && UREG_PC(r) == info.instruction_pointer, "regset pc is the syscall info's pc");
    pt(PTRACE_SYSCALL, c, 0, 0);
    st = wait_st(c);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80), "syscall-exit-stop is SIGTRAP|0x80");
    memset(&info, 0, sizeof info);
    long size = pt(PTRACE_GET_SYSCALL_INFO, c, sizeof info, (unsigned long)&info);
    CHECK(size >= 33 && info.op == PTRACE_SYSCALL_INFO_EXIT, "GET_SYSCALL_INFO at exit");
    CHECK(info.exit.rval == me && info.exit.is_error == 0, "exit rval is the result");
    unsigned long ev = 99;
    CHECK(pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&ev) == 0 && ev == PTRACE_EVENTMSG_SYSCALL_EXIT, "GETEVENTMSG at a syscall-exit-stop");

    /* getppid skipped: nr -1 at entry, 4242 set as its result at exit. */
    next_entry(c, SYS_getppid);
    get_regs(c, &r);
    UREG_NR(r) = (unsigned long)-1;
    CHECK_OK(set_regs(c, &r), "SETREGSET NT_PRSTATUS");
    pt(PTRACE_SYSCALL, c, 0, 0);
    wait_st(c);
    get_regs(c, &r);
    UREG_RET(r) = 4242;
    set_regs(c, &r);

    /* getppid turned into getpid at entry. */
    next_entry(c, SYS_getppid);
    get_regs(c, &r);
    UREG_NR(r) = SYS_getpid;
    set_regs(c, &r);

    /* Signals: SIGUSR1 suppressed, SIGUSR1 delivered, SIGTERM replaced by SIGUSR1. */
    int stops = 0;
    int seen[3] = {0, 0, 0};
    for (;;) {
        if (pt(PTRACE_CONT, c, 0, 0) != 0)
            break;
        st = wait_st(c);
        while (WIFSTOPPED(st) && stops < 3) {
            seen[stops] = WSTOPSIG(st);
            int inject = stops == 0 ? 0 : SIGUSR1;
            stops++;
            pt(PTRACE_CONT, c, 0, inject);
            st = wait_st(c);
        }
        break;
    }
    CHECK(seen[0] == SIGUSR1 && seen[1] == SIGUSR1 && seen[2] == SIGTERM, "signal-delivery-stops for SIGUSR1, SIGUSR1, SIGTERM");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the tracee saw every change (failure bits in its exit status)");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        kt_printf("# tracee %s\n", kt_wstr(st));
    return;
kill:
    kill(c, SIGKILL);
    wait_st(c);
}

/* fork, exec and exit events; the forked child auto-attached. */
static void test_events(void)
{
    pid_t c = fork();
    if (c == 0) {
        pt(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        pid_t g = fork();
        if (g == 0)
            _exit(5);
        int gst;
        if (waitpid(g, &gst, 0) != g || !WIFEXITED(gst) || WEXITSTATUS(gst) != 5)
            _exit(40);
        pid_t v = vfork();
        if (v == 0)
            _exit(6);
        if (v < 0 || waitpid(v, &gst, 0) != v || !WIFEXITED(gst) || WEXITSTATUS(gst) != 6)
            _exit(42);
        execl(kt_self, kt_self, "exit-code", "3", (char *)NULL);
        _exit(41);
    }
    int st = wait_st(c);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "events: initial stop");
    pt(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT);
    pt(PTRACE_CONT, c, 0, 0);
    st = wait_st(c);
    CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_FORK << 8)), "PTRACE_EVENT_FORK stop");
    unsigned long g = 0;
    pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&g);
    CHECK(g > 0, "GETEVENTMSG names the new child");
    if (g > 0) {
        int gst = wait_st((pid_t)g);
        CHECK(WIFSTOPPED(gst) && WSTOPSIG(gst) == SIGSTOP, "the auto-attached child starts with SIGSTOP");
        pt(PTRACE_CONT, (pid_t)g, 0, 0);
        gst = wait_st((pid_t)g);
        CHECK(WIFSTOPPED(gst) && (gst >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)), "the child's PTRACE_EVENT_EXIT");
        pt(PTRACE_CONT, (pid_t)g, 0, 0);
        gst = wait_st((pid_t)g);
        CHECK(WIFEXITED(gst) && WEXITSTATUS(gst) == 5, "the tracer (not the parent) sees the child's exit");
    }
    st = cont_wait(c);
    CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_VFORK << 8)), "PTRACE_EVENT_VFORK stop");
    unsigned long v = 0;
    pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&v);
    if (v > 0) {
        int vst = wait_st((pid_t)v);
        CHECK(WIFSTOPPED(vst) && WSTOPSIG(vst) == SIGSTOP, "the vfork child is auto-attached");
        vst = cont_wait((pid_t)v);
        if (WIFSTOPPED(vst)) /* its PTRACE_EVENT_EXIT */
            vst = cont_wait((pid_t)v);
        CHECK(WIFEXITED(vst) && WEXITSTATUS(vst) == 6, "the vfork child exits 6");
    }
    st = cont_wait(c);
    CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_VFORK_DONE << 8)), "PTRACE_EVENT_VFORK_DONE stop");
    unsigned long vd = 0;
    pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&vd);
    CHECK(v > 0 && vd == v, "VFORK_DONE's message is the child");
    st = cont_wait(c);
    CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)), "PTRACE_EVENT_EXEC stop");
    unsigned long former = 0;
    pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&former);
    CHECK_EQ((long)former, (long)c, "EVENT_EXEC's message is the former thread id");
    st = cont_wait(c);
    CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)), "PTRACE_EVENT_EXIT stop");
    unsigned long code = 0;
    pt(PTRACE_GETEVENTMSG, c, 0, (unsigned long)&code);
    CHECK_EQ((long)code, 3L << 8, "EVENT_EXIT's message is the exit status");
    pt(PTRACE_CONT, c, 0, 0);
    st = wait_st(c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the exec'd tracee exits 3");
}

static void reap_killed(pid_t c);
static volatile int g_usr2;
static void on_usr2(int s) { (void)s; g_usr2++; }

/* Under PTRACE_SYSCALL throughout, two signals unblocked at once: the second
 * is delivered right after the first handler's rt_sigreturn, whose registers
 * must survive (the sigreturn is no syscall to restart or interrupt). */
static void test_syscall_signals(void)
{
    pid_t c = fork();
    if (c == 0) {
        pt(PTRACE_TRACEME, 0, 0, 0);
        signal(SIGUSR1, on_usr1);
        signal(SIGUSR2, on_usr2);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGUSR1);
        sigaddset(&m, SIGUSR2);
        sigprocmask(SIG_BLOCK, &m, NULL);
        raise(SIGSTOP);
        g_usr1 = 0;
        raise(SIGUSR1);
        raise(SIGUSR2);
        sigprocmask(SIG_UNBLOCK, &m, NULL);
        _exit(g_usr1 == 1 && g_usr2 == 1 ? 0 : 1);
    }
    int st = wait_st(c);
    int sig = 0, n = 0;
    pt(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD);
    while (WIFSTOPPED(st) && n++ < 1000) {
        pt(PTRACE_SYSCALL, c, 0, sig);
        st = wait_st(c);
        sig = WIFSTOPPED(st) && WSTOPSIG(st) != (SIGTRAP | 0x80) ? WSTOPSIG(st) : 0;
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "under PTRACE_SYSCALL, a signal delivered after rt_sigreturn keeps the restored registers");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        kt_printf("# tracee %s\n", kt_wstr(st));
        reap_killed(WIFSTOPPED(st) ? c : 0);
    }
}

static void on_alrm(int s) { (void)s; }

/* A read parked on an empty pipe, cut short by a handled SIGALRM: the tracer
 * sees its syscall-exit-stop with -ERESTARTSYS (512) before the signal's. */
static void test_interrupted(void)
{
    pid_t c = fork();
    if (c == 0) {
        int fds[2];
        char ch;
        pt(PTRACE_TRACEME, 0, 0, 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alrm;
        sigaction(SIGALRM, &sa, NULL);
        if (pipe(fds) != 0)
            _exit(2);
        raise(SIGSTOP);
        struct itimerval it = {{0, 0}, {0, 100000}};
        setitimer(ITIMER_REAL, &it, NULL);
        _exit(read(fds[0], &ch, 1) == -1 && errno == EINTR ? 0 : 1);
    }
    int st = wait_st(c);
    pt(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD);
    struct ptrace_syscall_info info = next_entry(c, SYS_read);
    CHECK(info.op == PTRACE_SYSCALL_INFO_ENTRY, "interrupted: the read's entry");
    pt(PTRACE_SYSCALL, c, 0, 0);
    st = wait_st(c);
    memset(&info, 0, sizeof info);
    pt(PTRACE_GET_SYSCALL_INFO, c, sizeof info, (unsigned long)&info);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80) && info.op == PTRACE_SYSCALL_INFO_EXIT &&
          info.exit.rval == -512 && info.exit.is_error == 1,
          "interrupted: syscall-exit-stop with -ERESTARTSYS before the signal");
    pt(PTRACE_SYSCALL, c, 0, 0);
    st = wait_st(c);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGALRM, "interrupted: then the SIGALRM's signal-delivery-stop");
    pt(PTRACE_DETACH, c, 0, SIGALRM);
    kt_check_exit(c, 0, "interrupted: the read returns EINTR once the handler ran");
}

static pid_t sleeper(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    return c;
}

static void reap_killed(pid_t c)
{
    if (c > 0) {
        kill(c, SIGKILL);
        wait_st(c);
    }
}

static void test_attach(void)
{
    CHECK_ERR(pt(PTRACE_ATTACH, getpid(), 0, 0), EPERM, "ATTACH to oneself is EPERM");
    pid_t c = sleeper();
    if (c < 0)
        return;
    CHECK_ERR(pt(PTRACE_CONT, c, 0, 0), ESRCH, "a request on a task one does not trace is ESRCH");
    CHECK_OK(pt(PTRACE_ATTACH, c, 0, 0), "PTRACE_ATTACH");
    CHECK_ERR(pt(PTRACE_ATTACH, c, 0, 0), EPERM, "ATTACH to a tracee is EPERM");
    int st = wait_st(c);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "ATTACH: the tracee stops with SIGSTOP");
    CHECK_OK(pt(PTRACE_DETACH, c, 0, 0), "PTRACE_DETACH");
    CHECK_ERR(pt(PTRACE_CONT, c, 0, 0), ESRCH, "after DETACH the task is no tracee");

    CHECK_ERR(pt(PTRACE_SEIZE, c, 1, 0), EIO, "SEIZE with addr != 0 is EIO");
    CHECK_OK(pt(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD), "PTRACE_SEIZE");
    CHECK_ERR(pt(PTRACE_CONT, c, 0, 0), ESRCH, "a running tracee takes no restart (ESRCH)");
    CHECK_OK(pt(PTRACE_INTERRUPT, c, 0, 0), "PTRACE_INTERRUPT");
    st = wait_st(c);
    CHECK(WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP && WSTOPSIG(st) == SIGTRAP, "INTERRUPT: PTRACE_EVENT_STOP with SIGTRAP");
    /* A SIGUSR1 sent to the stopped tracee is seen at its next stop. */
    kill(c, SIGUSR1);
    pt(PTRACE_CONT, c, 0, 0);
    st = wait_st(c);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGUSR1, "SEIZE: signal-delivery-stop for SIGUSR1");
    CHECK_OK(pt(PTRACE_DETACH, c, 0, 0), "DETACH suppressing the signal");
    reap_killed(c);

    /* PTRACE_O_EXITKILL: the tracer's death kills the tracee (reparented to us, a subreaper). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int p[2];
    if (pipe(p) != 0)
        return;
    pid_t tracer = fork();
    if (tracer == 0) {
        pid_t x = sleeper();
        if (x < 0 || pt(PTRACE_SEIZE, x, 0, PTRACE_O_EXITKILL) != 0)
            _exit(1);
        if (write(p[1], &x, sizeof x) != sizeof x)
            _exit(1);
        _exit(0);
    }
    pid_t x = 0;
    close(p[1]);
    if (read(p[0], &x, sizeof x) != sizeof x)
        x = 0;
    close(p[0]);
    kt_check_exit(tracer, 0, "EXITKILL: the tracer seized its child and exited");
    if (x > 0) {
        st = wait_st(x);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "EXITKILL: the tracee died of SIGKILL");
        if (!WIFSIGNALED(st))
            reap_killed(x);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exit-code") == 0)
        return atoi(argv[2]);
    kt_init(argc, argv);
    kt_watchdog(120);
    if (kt_qemu()) {
        kt_skip("ptrace", "qemu-user has no ptrace");
        return kt_done();
    }
    test_traceme();
    test_events();
    test_syscall_signals();
    test_interrupted();
    test_attach();
    return kt_done();
}
