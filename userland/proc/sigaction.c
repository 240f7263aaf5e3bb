/* sigaction.c - rt_sigaction, rt_sigprocmask, sigaltstack, signal delivery via
 * kill(getpid()) / tgkill, sigpending, sigsuspend. */
#include "ktest.h"
#include <signal.h>

static volatile int usr1_count, usr2_count, last_code, last_pid, last_uid, last_signo;
static volatile int usr1_blocked_in_handler, usr2_blocked_in_handler;
static volatile uintptr_t handler_sp;
static volatile int handler_onstack_flag = -1;
static volatile int order[8], order_n;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    usr1_count++;
    last_signo = sig;
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_uid = si->si_uid;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    usr1_blocked_in_handler = sigismember(&cur, SIGUSR1);
    usr2_blocked_in_handler = sigismember(&cur, SIGUSR2);
    if (order_n < 8)
        order[order_n++] = sig;
}

static void on_usr2(int sig)
{
    usr2_count++;
    if (order_n < 8)
        order[order_n++] = sig;
}

static void on_alt(int sig)
{
    (void)sig;
    volatile char local;
    handler_sp = (uintptr_t)&local;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0)
        handler_onstack_flag = cur.ss_flags;
}

static volatile int plain_count;
static void on_plain(int sig)
{
    (void)sig;
    plain_count++;
}

static int set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

static int set_simple(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int main(void)
{
    pid_t me = getpid();

    /* ---- basic delivery ---- */
    sigset_t usr2mask;
    sigemptyset(&usr2mask);
    sigaddset(&usr2mask, SIGUSR2);
    CHECK_EQ(set_handler(SIGUSR1, on_usr1, 0, &usr2mask), 0, "rt_sigaction installs a SA_SIGINFO handler");
    CHECK_EQ(kill(me, SIGUSR1), 0, "kill(getpid(), SIGUSR1)");
    CHECK_EQ(usr1_count, 1, "handler ran before kill returned");
    CHECK_EQ(last_signo, SIGUSR1, "handler got the signal number");
    CHECK_EQ(last_code, SI_USER, "si_code is SI_USER for kill");
    CHECK_EQ(last_pid, me, "si_pid is the sender");
    CHECK_EQ(last_uid, getuid(), "si_uid is the sender's uid");
    CHECK_EQ(usr1_blocked_in_handler, 1, "the signal is blocked inside its own handler");
    if (kt_qemu() && usr2_blocked_in_handler == 0) /* qemu-user 7.2 does not show sa_mask to the handler */
        kt_skip("sa_mask signals are blocked inside the handler", "qemu-user does not apply sa_mask");
    else
        CHECK_EQ(usr2_blocked_in_handler, 1, "sa_mask signals are blocked inside the handler");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2), "the mask is restored after the handler");

    CHECK_EQ(raise(SIGUSR1), 0, "raise (tgkill)");
    CHECK_EQ(usr1_count, 2, "tgkill-delivered handler ran");
    CHECK_EQ(last_code, SI_TKILL, "si_code is SI_TKILL for tgkill");
    CHECK_EQ(syscall(SYS_tgkill, me, syscall(SYS_gettid), SIGUSR1), 0, "raw tgkill");
    CHECK_EQ(usr1_count, 3, "raw tgkill delivered");
    CHECK_EQ(kill(me, 0), 0, "kill with signal 0 checks existence");
    CHECK_ERR(kill(me, 65), EINVAL, "kill with signal 65 is EINVAL");

    /* ---- querying and replacing actions ---- */
    struct sigaction old;
    memset(&old, 0, sizeof old);
    CHECK_EQ(sigaction(SIGUSR1, NULL, &old), 0, "query the current action");
    CHECK((void *)old.sa_sigaction == (void *)on_usr1, "query returns the installed handler");
    CHECK(old.sa_flags & SA_SIGINFO, "query returns SA_SIGINFO");
    CHECK(sigismember(&old.sa_mask, SIGUSR2), "query returns sa_mask");
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    CHECK_EQ(sigaction(SIGTERM, NULL, &dfl), 0, "query an untouched signal");
    CHECK(dfl.sa_handler == SIG_DFL, "untouched signal has SIG_DFL");

    CHECK_ERR(sigaction(SIGKILL, &old, NULL), EINVAL, "sigaction on SIGKILL is EINVAL");
    CHECK_ERR(sigaction(SIGSTOP, &old, NULL), EINVAL, "sigaction on SIGSTOP is EINVAL");
    CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, &old, 8), EINVAL, "rt_sigaction on signal 0 is EINVAL");
    CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, &old, 8), EINVAL, "rt_sigaction on signal 65 is EINVAL");
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), EINVAL, "rt_sigaction with sigsetsize 4 is EINVAL");
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, KT_BAD_PTR, NULL, 8), EFAULT, "rt_sigaction with a bad act pointer is EFAULT");

    /* ---- SIG_IGN ---- */
    CHECK_EQ(set_simple(SIGUSR2, SIG_IGN, 0), 0, "ignore SIGUSR2");
    CHECK_EQ(kill(me, SIGUSR2), 0, "kill with an ignored signal");
    kt_pass("an ignored signal does not terminate the process");

    /* ---- blocking ---- */
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, &old_mask), 0, "rt_sigprocmask SIG_BLOCK");
    CHECK(!sigismember(&old_mask, SIGUSR1), "old mask did not contain SIGUSR1");
    int before = usr1_count;
    kill(me, SIGUSR1);
    CHECK_EQ(usr1_count, before, "a blocked signal is not delivered");
    sigset_t pend;
    sigemptyset(&pend);
    CHECK_EQ(sigpending(&pend), 0, "sigpending");
    CHECK(sigismember(&pend, SIGUSR1), "the blocked signal is pending");
    kill(me, SIGUSR1);
    CHECK_EQ(sigprocmask(SIG_UNBLOCK, &block, NULL), 0, "rt_sigprocmask SIG_UNBLOCK");
    CHECK_EQ(usr1_count, before + 1, "unblocking delivers the pending signal once (standard signals do not queue)");
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "nothing pending after delivery");

    /* SIG_SETMASK and unblockable signals */
    sigset_t all, got;
    sigfillset(&all);
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old_mask, 8), 0, "block everything (raw)");
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 8), 0, "read the mask back");
    CHECK(!sigismember(&got, SIGKILL) && !sigismember(&got, SIGSTOP), "SIGKILL and SIGSTOP cannot be blocked");
    CHECK(sigismember(&got, SIGUSR1) && sigismember(&got, SIGTERM), "other signals were blocked");
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old_mask, NULL, 8);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &block, NULL, 8), EINVAL, "rt_sigprocmask with a bad how is EINVAL");
    CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, NULL, 4), EINVAL, "rt_sigprocmask with sigsetsize 4 is EINVAL");

    /* delivery order: two pending signals are both delivered on unblock, lowest first */
    CHECK_EQ(set_simple(SIGUSR2, on_usr2, 0), 0, "install SIGUSR2 handler");
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);
    order_n = 0;
    kill(me, SIGUSR2);
    kill(me, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    if (kt_qemu()) /* qemu-user delivers pending signals highest number first */
        kt_check(order_n == 2 && order[0] + order[1] == SIGUSR1 + SIGUSR2, "both pending signals delivered on unblock",
                 "got %d deliveries: %d %d", order_n, order[0], order[1]);
    else
        kt_check(order_n == 2 && order[0] == SIGUSR1 && order[1] == SIGUSR2,
                 "both pending signals delivered on unblock, lowest number first", "got %d deliveries: %d %d",
                 order_n, order[0], order[1]);

    /* sigsuspend returns EINTR after a handler runs */
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(me, SIGUSR1);
    before = usr1_count;
    sigset_t empty;
    sigemptyset(&empty);
    CHECK_ERR(sigsuspend(&empty), EINTR, "sigsuspend with a pending signal returns EINTR");
    CHECK_EQ(usr1_count, before + 1, "sigsuspend ran the handler");
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "sigsuspend restores the original mask");
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* SA_RESETHAND and SA_NODEFER */
    CHECK_EQ(set_handler(SIGUSR1, on_usr1, SA_RESETHAND | SA_NODEFER, NULL), 0, "install with SA_RESETHAND|SA_NODEFER");
    before = usr1_count;
    kill(me, SIGUSR1);
    CHECK_EQ(usr1_count, before + 1, "SA_RESETHAND handler ran");
    CHECK_EQ(usr1_blocked_in_handler, 0, "SA_NODEFER: signal not blocked in its handler");
    sigaction(SIGUSR1, NULL, &old);
    CHECK(old.sa_handler == SIG_DFL, "SA_RESETHAND reset the action to SIG_DFL");

    /* signal() (BSD semantics in glibc) */
    CHECK(signal(SIGUSR2, on_plain) != SIG_ERR, "signal() installs a handler");
    kill(me, SIGUSR2);
    kill(me, SIGUSR2);
    CHECK_EQ(plain_count, 2, "signal() handler stays installed");

    /* ---- sigaltstack ---- */
    stack_t ss, oss;
    memset(&oss, 0, sizeof oss);
    CHECK_EQ(sigaltstack(NULL, &oss), 0, "query sigaltstack");
    CHECK_EQ(oss.ss_flags, SS_DISABLE, "no alternate stack initially");
    static char altstack[65536] __attribute__((aligned(16)));
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    ss.ss_flags = 0;
    CHECK_EQ(sigaltstack(&ss, NULL), 0, "install an alternate stack");
    memset(&oss, 0, sizeof oss);
    sigaltstack(NULL, &oss);
    CHECK(oss.ss_sp == altstack && oss.ss_size == sizeof altstack && oss.ss_flags == 0,
          "sigaltstack query returns the installed stack");
    CHECK_EQ(set_simple(SIGUSR2, on_alt, SA_ONSTACK), 0, "install SA_ONSTACK handler");
    kill(me, SIGUSR2);
    kt_check(handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack,
             "SA_ONSTACK handler runs on the alternate stack", "handler sp %#lx, alt stack %p..%p",
             (unsigned long)handler_sp, (void *)altstack, (void *)(altstack + sizeof altstack));
    CHECK_EQ(handler_onstack_flag, SS_ONSTACK, "sigaltstack inside the handler reports SS_ONSTACK");
    CHECK_EQ(set_simple(SIGUSR2, on_alt, 0), 0, "install handler without SA_ONSTACK");
    volatile char here;
    kill(me, SIGUSR2);
    kt_check(!(handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack) &&
                 handler_sp < (uintptr_t)&here && (uintptr_t)&here - handler_sp < 65536,
             "without SA_ONSTACK the handler runs on the normal stack, below the interrupted frame",
             "handler sp %#lx, main frame %p", (unsigned long)handler_sp, (void *)&here);
    CHECK_EQ(handler_onstack_flag, 0, "sigaltstack in a normal handler reports flags 0");
    ss.ss_size = 1024;
    CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM, "an alternate stack smaller than MINSIGSTKSZ is ENOMEM");
    ss.ss_size = sizeof altstack;
    ss.ss_flags = 0x1234;
    CHECK_ERR(sigaltstack(&ss, NULL), EINVAL, "bad ss_flags is EINVAL");
    ss.ss_flags = SS_DISABLE;
    CHECK_EQ(sigaltstack(&ss, NULL), 0, "disable the alternate stack");
    sigaltstack(NULL, &oss);
    CHECK_EQ(oss.ss_flags, SS_DISABLE, "alternate stack is disabled");

    return kt_done();
}
