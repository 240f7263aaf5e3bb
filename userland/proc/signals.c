/* signals.c - synchronous faults with ucontext inspection and modification
 * (SIGSEGV MAPERR/ACCERR, SIGILL, SIGTRAP), SA_SIGINFO from another process,
 * SA_RESTART vs EINTR, SA_NODEFER, SA_RESETHAND, sigaltstack (incl. stack
 * overflow), blocking/pending, sigsuspend, sigtimedwait, sigqueue/si_value,
 * RT queueing vs standard coalescing, process groups, stop/continue,
 * raise(SIGABRT), register and FP state preserved across handlers. */
#include "ktest.h"
#include <setjmp.h>
#include <sys/ucontext.h>

/* ---------------- faults ---------------- */

static volatile uintptr_t f_addr, f_pc;
static volatile int f_code, f_signo, f_len, f_count;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    uintptr_t pc = uc->uc_mcontext.__gregs[REG_PC];
    uint16_t lo = *(volatile uint16_t *)pc;
    int len = (lo & 3) == 3 ? 4 : 2;
    f_signo = sig;
    f_code = si->si_code;
    f_addr = (uintptr_t)si->si_addr;
    f_pc = pc;
    f_len = len;
    f_count++;
    uc->uc_mcontext.__gregs[15] = 0x1234 + len; /* a5: the "loaded" value seen after we resume */
    uc->uc_mcontext.__gregs[REG_PC] = pc + len;  /* skip the faulting instruction */
}

/* ld a5, 0(a4) as a 4-byte instruction */
static long __attribute__((noinline)) load4(const void *p)
{
    register long a4 asm("a4") = (long)p;
    register long a5 asm("a5") = 0;
    asm volatile(".option push\n.option norvc\nld a5, 0(a4)\n.option pop" : "+r"(a5) : "r"(a4) : "memory");
    return a5;
}

/* c.ld a5, 0(a4): a 2-byte compressed instruction */
static long __attribute__((noinline)) load2(const void *p)
{
    register long a4 asm("a4") = (long)p;
    register long a5 asm("a5") = 0;
    asm volatile("c.ld a5, 0(a4)" : "+r"(a5) : "r"(a4) : "memory");
    return a5;
}

/* sd a5, 0(a4) (4 bytes); returns a5 afterwards */
static long __attribute__((noinline)) store4(void *p, long v)
{
    register long a4 asm("a4") = (long)p;
    register long a5 asm("a5") = v;
    asm volatile(".option push\n.option norvc\nsd a5, 0(a4)\n.option pop" : "+r"(a5) : "r"(a4) : "memory");
    return a5;
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void set_plain(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void faults(void)
{
    set_action(SIGSEGV, on_fault, 0);
    set_action(SIGBUS, on_fault, 0);
    set_action(SIGILL, on_fault, 0);
    set_action(SIGTRAP, on_fault, 0);

    /* unmapped address, 4-byte load */
    f_count = 0;
    long v = load4((void *)0x1000);
    CHECK_EQ(f_count, 1, "SIGSEGV handler ran once for a load from an unmapped address");
    CHECK_EQ(f_signo, SIGSEGV, "signal is SIGSEGV");
    CHECK_EQ(f_code, SEGV_MAPERR, "si_code SEGV_MAPERR for an unmapped address");
    CHECK_EQ(f_addr, 0x1000, "si_addr is the faulting data address");
    kt_check(f_pc >= (uintptr_t)load4 && f_pc < (uintptr_t)load4 + 64, "uc_mcontext REG_PC points into the faulting function",
             "pc %#lx, load4 at %p", (unsigned long)f_pc, (void *)load4);
    CHECK_EQ(f_len, 4, "the faulting instruction is 4 bytes (uncompressed ld)");
    CHECK_EQ(v, 0x1234 + 4, "after the handler advanced REG_PC, execution resumed with the handler's a5");

    /* compressed load */
    f_count = 0;
    v = load2((void *)0x2008);
    CHECK_EQ(f_count, 1, "SIGSEGV for a compressed c.ld");
    CHECK_EQ(f_addr, 0x2008, "si_addr for c.ld");
    CHECK_EQ(f_len, 2, "the faulting c.ld is 2 bytes");
    CHECK_EQ(v, 0x1234 + 2, "resumed after the 2-byte instruction with the modified register");

    /* mprotect'ed page: store to a read-only page, load from PROT_NONE */
    char *pg = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pg[0] = 1;
    pg[4096] = 2;
    mprotect(pg, 4096, PROT_READ);
    mprotect(pg + 4096, 4096, PROT_NONE);
    f_count = 0;
    v = store4(pg + 8, 77);
    CHECK_EQ(f_count, 1, "SIGSEGV for a store to a PROT_READ page");
    CHECK_EQ(f_code, SEGV_ACCERR, "si_code SEGV_ACCERR for a write to a read-only page");
    CHECK_EQ(f_addr, (uintptr_t)(pg + 8), "si_addr is the store address");
    CHECK_EQ(pg[8], 0, "the store did not happen");
    CHECK_EQ(v, 0x1234 + 4, "resumed after the store");
    f_count = 0;
    load4(pg + 4096 + 16);
    CHECK_EQ(f_count, 1, "SIGSEGV for a load from a PROT_NONE page");
    CHECK_EQ(f_code, SEGV_ACCERR, "si_code SEGV_ACCERR for PROT_NONE");
    CHECK_EQ(f_addr, (uintptr_t)(pg + 4096 + 16), "si_addr for PROT_NONE");
    mprotect(pg, 2 * 4096, PROT_READ | PROT_WRITE);
    CHECK(store4(pg + 8, 77) == 77 && pg[8] == 77, "after mprotect RW the store works");
    munmap(pg, 2 * 4096);

    /* illegal instruction */
    f_count = 0;
    uintptr_t here;
    asm volatile(".option push\n.option norvc\n1: auipc %0, 0\n unimp\n.option pop" : "=r"(here)::"memory");
    CHECK_EQ(f_count, 1, "SIGILL for unimp");
    CHECK_EQ(f_signo, SIGILL, "signal is SIGILL");
    CHECK_EQ(f_code, ILL_ILLOPC, "si_code ILL_ILLOPC");
    CHECK_EQ(f_pc, here + 4, "REG_PC is the illegal instruction");
    CHECK_EQ(f_addr, here + 4, "si_addr is the illegal instruction");

    /* ebreak */
    f_count = 0;
    asm volatile(".option push\n.option norvc\n1: auipc %0, 0\n ebreak\n.option pop" : "=r"(here)::"memory");
    CHECK_EQ(f_count, 1, "SIGTRAP for ebreak");
    CHECK_EQ(f_signo, SIGTRAP, "signal is SIGTRAP");
    CHECK_EQ(f_code, TRAP_BRKPT, "si_code TRAP_BRKPT");
    CHECK_EQ(f_pc, here + 4, "REG_PC is the ebreak");

    /* a fault with the default action kills with SIGSEGV */
    pid_t c = fork();
    if (c == 0) {
        set_plain(SIGSEGV, SIG_DFL, 0);
        load4((void *)0x1000);
        _exit(0);
    }
    kt_check_killed(c, SIGSEGV, "an unhandled fault kills the process with SIGSEGV");
    /* a fault while SIGSEGV is blocked also kills (the kernel forces it) */
    c = fork();
    if (c == 0) {
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGSEGV);
        sigprocmask(SIG_BLOCK, &m, NULL);
        load4((void *)0x1000);
        _exit(0);
    }
    kt_check_killed(c, SIGSEGV, "a fault with SIGSEGV blocked still kills with SIGSEGV");
    c = fork();
    if (c == 0) {
        set_plain(SIGSEGV, SIG_IGN, 0);
        load4((void *)0x1000);
        _exit(0);
    }
    kt_check_killed(c, SIGSEGV, "a fault with SIGSEGV ignored still kills with SIGSEGV");
    set_plain(SIGSEGV, SIG_DFL, 0);
    set_plain(SIGBUS, SIG_DFL, 0);
    set_plain(SIGILL, SIG_DFL, 0);
    set_plain(SIGTRAP, SIG_DFL, 0);
}

/* ---------------- ucontext mask modification ---------------- */
static void on_block_usr2(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void uc_mask(void)
{
    set_action(SIGUSR1, on_block_usr2, 0);
    raise(SIGUSR1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR2), "a handler adding SIGUSR2 to uc_sigmask leaves it blocked after sigreturn");
    CHECK(!sigismember(&now, SIGUSR1), "and SIGUSR1 is unblocked again");
    sigprocmask(SIG_UNBLOCK, &now, NULL);
    set_plain(SIGUSR1, SIG_DFL, 0);
}

/* ---------------- siginfo from another process ---------------- */
static volatile int i_count, i_code, i_pid, i_uid, i_signo, i_val;
static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    i_signo = sig;
    i_code = si->si_code;
    i_pid = si->si_pid;
    i_uid = si->si_uid;
    i_val = si->si_value.sival_int;
    i_count++;
}

static void siginfo_kill(void)
{
    set_action(SIGUSR1, on_info, 0);
    i_count = 0;
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    KT_WAIT_FOR(i_count > 0, 3000);
    CHECK_EQ(i_count, 1, "SIGUSR1 from a child arrived");
    CHECK_EQ(i_code, SI_USER, "si_code SI_USER for kill()");
    CHECK_EQ(i_pid, c, "si_pid is the sending child");
    CHECK_EQ(i_uid, getuid(), "si_uid is the sender's real uid");
    kt_waitpid(c, NULL, 0);
    set_plain(SIGUSR1, SIG_DFL, 0);
}

static void rt_queue(void)
{
    int rt = SIGRTMIN + 2;
    set_action(rt, on_info, 0);
    i_count = 0;
    union sigval sv = {.sival_int = 4242};
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        sigqueue(parent, rt, sv);
        _exit(0);
    }
    KT_WAIT_FOR(i_count > 0, 3000);
    CHECK_EQ(i_signo, rt, "sigqueue delivered the RT signal");
    CHECK_EQ(i_code, SI_QUEUE, "si_code SI_QUEUE");
    CHECK_EQ(i_val, 4242, "si_value.sival_int carried through");
    CHECK_EQ(i_pid, c, "si_pid of sigqueue is the sender");
    kt_waitpid(c, NULL, 0);

    /* RT signals queue; standard ones coalesce */
    static volatile int vals[8];
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, rt);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    for (int i = 1; i <= 4; i++) {
        sv.sival_int = i * 10;
        sigqueue(getpid(), rt, sv);
    }
    set_action(SIGUSR2, on_info, 0);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, rt) && sigismember(&pend, SIGUSR2), "both signals pending while blocked");
    /* take the RT ones one at a time with sigwaitinfo: FIFO with their values */
    int order_ok = 1;
    for (int i = 1; i <= 4; i++) {
        siginfo_t si;
        sigset_t w;
        sigemptyset(&w);
        sigaddset(&w, rt);
        struct timespec ts = {0, 0};
        int s = sigtimedwait(&w, &si, &ts);
        vals[i - 1] = s == rt ? si.si_value.sival_int : -1;
        if (s != rt || si.si_value.sival_int != i * 10 || si.si_code != SI_QUEUE)
            order_ok = 0;
    }
    kt_check(order_ok, "4 queued instances of an RT signal are all pending, dequeued in order with their values",
             "values %d %d %d %d", vals[0], vals[1], vals[2], vals[3]);
    sigpending(&pend);
    CHECK(!sigismember(&pend, rt), "no more RT instances pending");
    i_count = 0;
    sigset_t u;
    sigemptyset(&u);
    sigaddset(&u, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    CHECK_EQ(i_count, 1, "3 kill(SIGUSR2) while blocked are delivered once (standard signals coalesce)");

    /* RT queue delivered through handlers */
    for (int i = 1; i <= 3; i++) {
        sv.sival_int = i;
        sigqueue(getpid(), rt, sv);
    }
    i_count = 0;
    sigemptyset(&u);
    sigaddset(&u, rt);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    CHECK_EQ(i_count, 3, "3 queued RT signals run the handler 3 times on unblock");
    CHECK_EQ(i_val, 3, "the last delivered carries the last value");

    /* lower-numbered RT signals first */
    static volatile int seq[4], nseq;
    sigprocmask(SIG_BLOCK, &m, NULL);
    set_action(SIGRTMIN + 3, on_info, 0);
    sigaddset(&u, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &u, NULL);
    sv.sival_int = 3;
    sigqueue(getpid(), SIGRTMIN + 3, sv);
    sv.sival_int = 2;
    sigqueue(getpid(), rt, sv);
    nseq = 0;
    for (int i = 0; i < 2; i++) {
        siginfo_t si;
        sigset_t w;
        sigemptyset(&w);
        sigaddset(&w, rt);
        sigaddset(&w, SIGRTMIN + 3);
        struct timespec ts = {0, 0};
        seq[nseq++] = sigtimedwait(&w, &si, &ts);
    }
    kt_check(seq[0] == rt && seq[1] == SIGRTMIN + 3, "pending RT signals are taken lowest number first",
             "got %d then %d", seq[0], seq[1]);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    set_plain(rt, SIG_DFL, 0);
    set_plain(SIGRTMIN + 3, SIG_DFL, 0);
    set_plain(SIGUSR2, SIG_DFL, 0);
}

/* ---------------- SA_RESTART vs EINTR ---------------- */
static volatile int h_count;
static void on_count(int s)
{
    (void)s;
    h_count++;
}

static pid_t signal_then_write(int wfd, int sig, int ms)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        kt_msleep(ms);
        kill(parent, sig);
        kt_msleep(ms);
        write(wfd, "x", 1);
        _exit(0);
    }
    return c;
}

static void restart(void)
{
    int p[2];
    pipe(p);
    char buf[4];
    set_plain(SIGUSR1, on_count, 0);
    h_count = 0;
    pid_t c = signal_then_write(p[1], SIGUSR1, 50);
    errno = 0;
    ssize_t r = read(p[0], buf, sizeof buf);
    int e = errno;
    kt_check(r == -1 && e == EINTR, "read on an empty pipe is interrupted (EINTR) by a handler without SA_RESTART",
             "got %zd errno %d", r, e);
    CHECK_EQ(h_count, 1, "the handler ran");
    kt_waitpid(c, NULL, 0);
    read(p[0], buf, sizeof buf); /* drain */

    set_plain(SIGUSR1, on_count, SA_RESTART);
    h_count = 0;
    c = signal_then_write(p[1], SIGUSR1, 50);
    r = read(p[0], buf, sizeof buf);
    CHECK_EQ(r, 1, "with SA_RESTART the read is restarted and returns the data written later");
    CHECK_EQ(h_count, 1, "the SA_RESTART handler ran");
    kt_waitpid(c, NULL, 0);

    /* wait4 is restarted too; nanosleep never is (covered in timers.c) */
    h_count = 0;
    pid_t parent = getpid();
    c = fork();
    if (c == 0) {
        kt_msleep(20);
        kill(parent, SIGUSR1);
        kt_msleep(20);
        _exit(8);
    }
    int st;
    CHECK_EQ(waitpid(c, &st, 0), c, "waitpid is restarted after an SA_RESTART handler");
    CHECK_EQ(h_count, 1, "handler ran during waitpid");
    close(p[0]);
    close(p[1]);
    set_plain(SIGUSR1, SIG_DFL, 0);
}

/* ---------------- SA_NODEFER / SA_RESETHAND ---------------- */
static volatile int depth, max_depth, n_calls;
static void on_nest(int s)
{
    depth++;
    n_calls++;
    if (depth > max_depth)
        max_depth = depth;
    if (n_calls == 1)
        raise(s);
    depth--;
}

static void nodefer_resethand(void)
{
    set_plain(SIGUSR1, on_nest, 0);
    depth = max_depth = n_calls = 0;
    raise(SIGUSR1);
    CHECK_EQ(n_calls, 2, "without SA_NODEFER the re-raised signal runs after the handler returns");
    CHECK_EQ(max_depth, 1, "without SA_NODEFER the handler does not nest");
    set_plain(SIGUSR1, on_nest, SA_NODEFER);
    depth = max_depth = n_calls = 0;
    raise(SIGUSR1);
    CHECK_EQ(n_calls, 2, "SA_NODEFER: two calls");
    CHECK_EQ(max_depth, 2, "SA_NODEFER: the re-raised signal nests inside the handler");

    set_plain(SIGUSR2, on_count, SA_RESETHAND);
    h_count = 0;
    raise(SIGUSR2);
    CHECK_EQ(h_count, 1, "SA_RESETHAND handler ran");
    struct sigaction sa;
    sigaction(SIGUSR2, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "SA_RESETHAND reset the disposition to SIG_DFL");
    pid_t c = fork();
    if (c == 0) {
        set_plain(SIGUSR2, on_count, SA_RESETHAND);
        raise(SIGUSR2);
        raise(SIGUSR2); /* default action now: terminate */
        _exit(0);
    }
    kt_check_killed(c, SIGUSR2, "the second SIGUSR2 after SA_RESETHAND terminates the process");
    set_plain(SIGUSR1, SIG_DFL, 0);
}

/* ---------------- sigaltstack ---------------- */
static char altstack[64 * 1024] __attribute__((aligned(16)));
static volatile uintptr_t alt_sp;
static volatile int alt_flags, alt_change_ret, alt_change_errno;
static void on_alt(int s)
{
    (void)s;
    volatile char local;
    alt_sp = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
    stack_t other = {.ss_sp = altstack, .ss_size = 8192, .ss_flags = 0};
    errno = 0;
    alt_change_ret = sigaltstack(&other, NULL);
    alt_change_errno = errno;
}

static sigjmp_buf overflow_jmp;
static void on_overflow(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)si;
    (void)uc;
    volatile char local;
    alt_sp = (uintptr_t)&local;
    siglongjmp(overflow_jmp, 1);
}
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int __attribute__((noinline)) recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

static void altstacks(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    CHECK_EQ(sigaltstack(&ss, NULL), 0, "sigaltstack installs a 64 KiB alternate stack");
    set_plain(SIGUSR1, on_alt, SA_ONSTACK);
    raise(SIGUSR1);
    kt_check(alt_sp >= (uintptr_t)altstack && alt_sp < (uintptr_t)altstack + sizeof altstack,
             "SA_ONSTACK: the handler's locals are inside the alternate stack", "handler local at %#lx, stack %p+%zu",
             (unsigned long)alt_sp, (void *)altstack, sizeof altstack);
    CHECK_EQ(alt_flags, SS_ONSTACK, "sigaltstack reports SS_ONSTACK inside the handler");
    kt_check(alt_change_ret == -1 && alt_change_errno == EPERM, "changing the alternate stack while on it is EPERM",
             "got %d errno %d", alt_change_ret, alt_change_errno);
    set_plain(SIGUSR1, on_alt, 0);
    volatile char here;
    raise(SIGUSR1);
    kt_check(!(alt_sp >= (uintptr_t)altstack && alt_sp < (uintptr_t)altstack + sizeof altstack) &&
                 alt_sp < (uintptr_t)&here,
             "without SA_ONSTACK the handler runs on the normal stack", "handler local at %#lx, caller at %p",
             (unsigned long)alt_sp, (void *)&here);
    CHECK_EQ(alt_flags, 0, "sigaltstack reports 0 flags outside the alternate stack");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    set_plain(SIGUSR1, SIG_DFL, 0);
}

static void overflow(void)
{
    /* stack overflow: the SIGSEGV handler can only run on the alternate stack */
    pid_t c = fork();
    if (c == 0) {
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_STACK, &rl); /* keep the overflow small: 1 MiB */
        set_action(SIGSEGV, on_overflow, SA_ONSTACK);
        if (sigsetjmp(overflow_jmp, 1) == 0) {
            recurse(0);
            _exit(1);
        }
        int in = alt_sp >= (uintptr_t)altstack && alt_sp < (uintptr_t)altstack + sizeof altstack;
        _exit(in ? 42 : 2);
    }
    kt_check_exit(c, 42, "stack overflow: SIGSEGV handler runs on the alternate stack and siglongjmps out");
}

/* ---------------- blocking, pending, sigsuspend, sigtimedwait ---------------- */
static void blocking(void)
{
    set_plain(SIGUSR1, on_count, 0);
    sigset_t m, old;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, &old);
    h_count = 0;
    raise(SIGUSR1);
    CHECK_EQ(h_count, 0, "a blocked signal is not delivered");
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR1), "sigpending shows it");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(h_count, 1, "unblocking delivers it");

    /* sigsuspend waits for a signal sent later by a child */
    sigprocmask(SIG_BLOCK, &m, &old);
    h_count = 0;
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        kt_msleep(20);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigset_t wait_mask = old;
    sigdelset(&wait_mask, SIGUSR1);
    CHECK_ERR(sigsuspend(&wait_mask), EINTR, "sigsuspend returns EINTR after the handler runs");
    CHECK_EQ(h_count, 1, "the handler ran during sigsuspend");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "sigsuspend restored the mask (SIGUSR1 blocked again)");
    kt_waitpid(c, NULL, 0);

    /* sigtimedwait */
    siginfo_t si;
    struct timespec ts = {0, 20 * 1000000};
    long long t0 = kt_now_ms();
    CHECK_ERR(sigtimedwait(&m, &si, &ts), EAGAIN, "sigtimedwait with nothing pending times out with EAGAIN");
    long long dt = kt_now_ms() - t0;
    kt_check(dt >= 18 && dt < 3000, "sigtimedwait waited ~20 ms", "waited %lld ms", dt);
    raise(SIGUSR1);
    memset(&si, 0, sizeof si);
    /* raw syscall: glibc's sigtimedwait folds SI_TKILL into SI_USER */
    CHECK_EQ(syscall(SYS_rt_sigtimedwait, &m, &si, &ts, 8), SIGUSR1, "rt_sigtimedwait returns a pending signal");
    kt_check(si.si_signo == SIGUSR1 && si.si_code == SI_TKILL && si.si_pid == getpid(),
             "rt_sigtimedwait siginfo: signo, SI_TKILL (raise), pid", "signo %d code %d pid %d", si.si_signo, si.si_code,
             si.si_pid);
    CHECK_EQ(h_count, 1, "the accepted signal did not run the handler");
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "and it is no longer pending");
    c = fork();
    if (c == 0) {
        kt_msleep(20);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec longts = {5, 0};
    memset(&si, 0, sizeof si);
    CHECK_EQ(sigtimedwait(&m, &si, &longts), SIGUSR1, "sigtimedwait blocks until a signal arrives");
    CHECK_EQ(si.si_pid, c, "from the child");
    kt_waitpid(c, NULL, 0);
    struct timespec bad = {0, 2000000000L};
    CHECK_ERR(sigtimedwait(&m, &si, &bad), EINVAL, "sigtimedwait with tv_nsec out of range is EINVAL");
    sigprocmask(SIG_SETMASK, &old, NULL);
    set_plain(SIGUSR1, SIG_DFL, 0);
}

/* ---------------- process groups, stop/continue, abort ---------------- */
static void on_term_exit(int s)
{
    _exit(100 + s);
}

static void groups_and_stops(void)
{
    int p[2];
    pipe(p);
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        set_plain(SIGUSR1, on_term_exit, 0);
        pid_t kids[2];
        for (int i = 0; i < 2; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                write(p[1], "k", 1);
                for (;;)
                    pause();
            }
        }
        h_count = 0;
        set_plain(SIGUSR1, on_count, 0);
        write(p[1], "l", 1);
        int ok = 1;
        for (int i = 0; i < 2; i++) {
            int st;
            if (kt_waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 100 + SIGUSR1)
                ok = 0;
        }
        KT_WAIT_FOR(h_count > 0, 3000);
        _exit(ok && h_count == 1 ? 50 : 51);
    }
    setpgid(leader, leader);
    char b[3];
    kt_read_full(p[0], b, 3);
    CHECK_EQ(kill(-leader, SIGUSR1), 0, "kill(-pgid) to a group of 3");
    kt_check_exit(leader, 50, "the group leader and both members got the signal");
    CHECK_ERR(kill(-leader, 0), ESRCH, "the whole group is gone (kill(-pgid, 0) is ESRCH)");
    CHECK_ERR(killpg(0x3ffffff, SIGUSR1), ESRCH, "killpg of a nonexistent group is ESRCH");
    CHECK_ERR(kill(getpid(), -1), EINVAL, "kill with a negative signal is EINVAL");
    close(p[0]);
    close(p[1]);

    /* SIGSTOP / SIGCONT observed with waitpid, SIGCONT handler runs */
    int back[2];
    pipe(p);
    pipe(back);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        close(back[1]);
        set_plain(SIGCONT, on_count, 0);
        h_count = 0;
        write(p[1], "r", 1);
        long long deadline = kt_now_ms() + 5000;
        while (h_count == 0 && kt_now_ms() < deadline)
            kt_msleep(1);
        write(p[1], h_count ? "c" : "n", 1);
        char y;
        kt_read_full(back[0], &y, 1); /* exit only after the parent has seen the continue */
        _exit(9);
    }
    close(p[1]);
    close(back[0]);
    char x;
    kt_read_full(p[0], &x, 1);
    int st;
    kill(c, SIGSTOP);
    CHECK_EQ(kt_waitpid(c, &st, WUNTRACED), c, "waitpid WUNTRACED sees the stop");
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "stopped by SIGSTOP");
    kill(c, SIGCONT);
    CHECK_EQ(kt_waitpid(c, &st, WCONTINUED), c, "waitpid WCONTINUED sees the continue");
    CHECK(WIFCONTINUED(st), "WIFCONTINUED");
    x = 0;
    kt_read_full(p[0], &x, 1);
    CHECK_EQ(x, 'c', "the child's SIGCONT handler ran after it was continued");
    write(back[1], "e", 1);
    kt_check_exit(c, 9, "the continued child exits normally");
    close(p[0]);
    close(back[1]);

    /* SIGTSTP (default action: stop). The child gets a process group of its
     * own, whose parent (us) is in another group of the same session, so the
     * group is not orphaned (see below). */
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(c, c);
    kill(c, SIGTSTP);
    long long deadline = kt_now_ms() + 3000;
    pid_t w;
    while ((w = waitpid(c, &st, WUNTRACED | WNOHANG)) == 0 && kt_now_ms() < deadline)
        kt_msleep(1);
    CHECK_EQ(w, c, "SIGTSTP default action stops (group not orphaned)");
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "WSTOPSIG is SIGTSTP");
    kill(c, SIGKILL);
    kt_check_killed(c, SIGKILL, "SIGKILL kills a stopped process");

    /* In an orphaned process group (a new session's group: the leader's parent
     * is in another session) SIGTSTP is discarded; SIGSTOP still stops. */
    c = fork();
    if (c == 0) {
        setsid();
        pid_t b = fork();
        if (b == 0) {
            for (;;)
                pause();
        }
        int bad = 0, bst;
        kill(b, SIGTSTP);
        kt_msleep(50);
        if (waitpid(b, &bst, WUNTRACED | WNOHANG) != 0)
            bad |= 1; /* must not have stopped */
        if (bad) { /* it was (wrongly) stopped: continue it and collect that report first */
            kill(b, SIGCONT);
            kt_waitpid(b, &bst, WCONTINUED);
        }
        kill(b, SIGSTOP);
        long long dl = kt_now_ms() + 3000;
        pid_t bw;
        while ((bw = waitpid(b, &bst, WUNTRACED | WNOHANG)) == 0 && kt_now_ms() < dl)
            kt_msleep(1);
        if (bw != b || !WIFSTOPPED(bst) || WSTOPSIG(bst) != SIGSTOP)
            bad |= 2;
        kill(b, SIGKILL);
        kt_waitpid(b, NULL, 0);
        _exit(bad);
    }
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "SIGTSTP to an orphaned process group is discarded; SIGSTOP still stops",
             "bits %#x (1 SIGTSTP stopped it, 2 SIGSTOP did not) [%s]", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
             kt_wstr(st));

    /* raise(SIGABRT), abort() with a returning handler */
    c = fork();
    if (c == 0) {
        raise(SIGABRT);
        _exit(0);
    }
    kt_check_killed(c, SIGABRT, "raise(SIGABRT) with the default action kills with SIGABRT");
    c = fork();
    if (c == 0) {
        set_plain(SIGABRT, on_count, 0);
        abort(); /* the handler returns: abort still terminates with SIGABRT */
        _exit(0);
    }
    kt_check_killed(c, SIGABRT, "abort() terminates with SIGABRT even when a handler returns");
}

/* ---------------- register state across a handler ---------------- */
static volatile int fp_handler_ran;
static void on_clobber(int s)
{
    (void)s;
    fp_handler_ran = 1;
    /* use FP in the handler: every f register and fcsr get other values */
    double junk[32];
    for (int i = 0; i < 32; i++)
        junk[i] = -1000.5 - i;
    asm volatile("fld f0, 0(%0)\n fld f1, 8(%0)\n fld f2, 16(%0)\n fld f3, 24(%0)\n fld f4, 32(%0)\n"
                 "fld f5, 40(%0)\n fld f6, 48(%0)\n fld f7, 56(%0)\n fld f8, 64(%0)\n fld f9, 72(%0)\n"
                 "fld f10, 80(%0)\n fld f11, 88(%0)\n fld f12, 96(%0)\n fld f13, 104(%0)\n fld f14, 112(%0)\n"
                 "fld f15, 120(%0)\n fld f16, 128(%0)\n fld f17, 136(%0)\n fld f18, 144(%0)\n fld f19, 152(%0)\n"
                 "fld f20, 160(%0)\n fld f21, 168(%0)\n fld f22, 176(%0)\n fld f23, 184(%0)\n fld f24, 192(%0)\n"
                 "fld f25, 200(%0)\n fld f26, 208(%0)\n fld f27, 216(%0)\n fld f28, 224(%0)\n fld f29, 232(%0)\n"
                 "fld f30, 240(%0)\n fld f31, 248(%0)\n"
                 "li t0, 3\n fsrm t0\n li t0, 0x1f\n fsflags t0\n"
                 :
                 : "r"(junk)
                 : "t0", "memory", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
                   "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26",
                   "f27", "f28", "f29", "f30", "f31");
    double x = 1.0;
    for (int i = 0; i < 10; i++)
        x = x * 1.5 + 0.25;
    junk[0] = x;
}

static void registers(void)
{
    set_plain(SIGUSR1, on_clobber, 0);
    double in[32], out[32];
    for (int i = 0; i < 32; i++)
        in[i] = 3.25 * (i + 1) + 0.0625;
    uint64_t fcsr_before, fcsr_after;
    long pid = getpid(), tid = gettid();
    long ivals_out[7];
    fp_handler_ran = 0;
    /* fcsr: rounding mode RTZ (1), flags NX (1) before the signal */
    asm volatile(
        "li t0, 1\n fsrm t0\n li t0, 1\n fsflags t0\n"
        "frcsr %[fb]\n"
        "fld f0, 0(%[in])\n fld f1, 8(%[in])\n fld f2, 16(%[in])\n fld f3, 24(%[in])\n fld f4, 32(%[in])\n"
        "fld f5, 40(%[in])\n fld f6, 48(%[in])\n fld f7, 56(%[in])\n fld f8, 64(%[in])\n fld f9, 72(%[in])\n"
        "fld f10, 80(%[in])\n fld f11, 88(%[in])\n fld f12, 96(%[in])\n fld f13, 104(%[in])\n fld f14, 112(%[in])\n"
        "fld f15, 120(%[in])\n fld f16, 128(%[in])\n fld f17, 136(%[in])\n fld f18, 144(%[in])\n fld f19, 152(%[in])\n"
        "fld f20, 160(%[in])\n fld f21, 168(%[in])\n fld f22, 176(%[in])\n fld f23, 184(%[in])\n fld f24, 192(%[in])\n"
        "fld f25, 200(%[in])\n fld f26, 208(%[in])\n fld f27, 216(%[in])\n fld f28, 224(%[in])\n fld f29, 232(%[in])\n"
        "fld f30, 240(%[in])\n fld f31, 248(%[in])\n"
        /* caller-saved integer registers with known values */
        "li t1, 0x1111\n li t2, 0x2222\n li t3, 0x3333\n li t4, 0x4444\n li t5, 0x5555\n li t6, 0x6666\n li a3, 0x7777\n"
        "mv a0, %[pid]\n mv a1, %[tid]\n li a2, %[sig]\n li a7, %[nr]\n ecall\n"
        "sd t1, 0(%[io])\n sd t2, 8(%[io])\n sd t3, 16(%[io])\n sd t4, 24(%[io])\n sd t5, 32(%[io])\n sd t6, 40(%[io])\n"
        "sd a3, 48(%[io])\n"
        "fsd f0, 0(%[out])\n fsd f1, 8(%[out])\n fsd f2, 16(%[out])\n fsd f3, 24(%[out])\n fsd f4, 32(%[out])\n"
        "fsd f5, 40(%[out])\n fsd f6, 48(%[out])\n fsd f7, 56(%[out])\n fsd f8, 64(%[out])\n fsd f9, 72(%[out])\n"
        "fsd f10, 80(%[out])\n fsd f11, 88(%[out])\n fsd f12, 96(%[out])\n fsd f13, 104(%[out])\n fsd f14, 112(%[out])\n"
        "fsd f15, 120(%[out])\n fsd f16, 128(%[out])\n fsd f17, 136(%[out])\n fsd f18, 144(%[out])\n fsd f19, 152(%[out])\n"
        "fsd f20, 160(%[out])\n fsd f21, 168(%[out])\n fsd f22, 176(%[out])\n fsd f23, 184(%[out])\n fsd f24, 192(%[out])\n"
        "fsd f25, 200(%[out])\n fsd f26, 208(%[out])\n fsd f27, 216(%[out])\n fsd f28, 224(%[out])\n fsd f29, 232(%[out])\n"
        "fsd f30, 240(%[out])\n fsd f31, 248(%[out])\n"
        "frcsr %[fa]\n"
        "fsrm zero\n fsflags zero\n"
        : [fb] "=&r"(fcsr_before), [fa] "=&r"(fcsr_after)
        : [in] "r"(in), [out] "r"(out), [io] "r"(ivals_out), [pid] "r"(pid), [tid] "r"(tid), [sig] "i"(SIGUSR1),
          [nr] "i"(SYS_tgkill)
        : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a7", "memory", "f0", "f1", "f2", "f3",
          "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19",
          "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31");
    CHECK_EQ(fp_handler_ran, 1, "the FP-clobbering handler ran during the tgkill ecall");
    int same = 1, first_bad = -1;
    for (int i = 0; i < 32; i++)
        if (memcmp(&in[i], &out[i], 8) != 0) {
            same = 0;
            if (first_bad < 0)
                first_bad = i;
        }
    kt_check(same, "all 32 FP registers are restored after a handler that used FP", "f%d differs (got %g want %g)",
             first_bad, first_bad >= 0 ? out[first_bad] : 0.0, first_bad >= 0 ? in[first_bad] : 0.0);
    CHECK_EQ(fcsr_after, fcsr_before, "fcsr (rounding mode and flags) restored after the handler");
    long want[7] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777};
    int iok = 1;
    for (int i = 0; i < 7; i++)
        if (ivals_out[i] != want[i])
            iok = 0;
    CHECK(iok, "caller-saved integer registers t1-t6, a3 restored after the handler");
    set_plain(SIGUSR1, SIG_DFL, 0);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    faults();
    uc_mask();
    siginfo_kill();
    rt_queue();
    restart();
    nodefer_resethand();
    altstacks();
    overflow();
    blocking();
    groups_and_stops();
    registers();
    return kt_done();
}
