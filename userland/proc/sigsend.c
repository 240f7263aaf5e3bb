/*
 * sigsend.c - what sending a signal checks.
 *
 * Which task a signal's pid names. As Linux's kill_pid_info, a
 * positive pid given to kill(2) or rt_sigqueueinfo(2) may be the id of any
 * thread, not only of a thread-group leader: the signal then goes to that
 * thread's whole process. rt_sigqueueinfo's "to itself" exemption (a forged
 * si_code >= 0) compares the pid with the caller's own task id.
 *
 * tgkill refuses a tgid <= 0 (EINVAL). RLIMIT_SIGPENDING: past the limit a
 * real-time signal queued by tgkill or sigqueue fails with EAGAIN, while
 * kill() (SI_USER) and standard signals still leave the signal pending.
 */
#include "ktest.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

static int has_pending(int sig)
{
    sigset_t p;
    sigemptyset(&p);
    sigpending(&p);
    return sigismember(&p, sig);
}

static void tgkill_args(void)
{
    pid_t me = (pid_t)syscall(SYS_gettid);
    CHECK_ERR(syscall(SYS_tgkill, -1, me, 0), EINVAL, "tgkill with tgid -1 is EINVAL");
    CHECK_ERR(syscall(SYS_tgkill, 0, me, 0), EINVAL, "tgkill with tgid 0 is EINVAL");
    CHECK_ERR(syscall(SYS_tgkill, getpid(), 0, 0), EINVAL, "tgkill with tid 0 is EINVAL");
    CHECK_OK(syscall(SYS_tgkill, getpid(), me, 0), "tgkill(getpid(), gettid(), 0) probes");
    CHECK_OK(syscall(SYS_tkill, me, 0), "tkill(gettid(), 0) probes");
}

static void sigpending_limit(void)
{
    IN_CHILD("RLIMIT_SIGPENDING 0: queued RT signals are EAGAIN, kill() and standard signals stay pending", {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGRTMIN);
        sigaddset(&set, SIGRTMIN + 1);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        struct rlimit rl = {0, 0};
        EXPECT(1, setrlimit(RLIMIT_SIGPENDING, &rl) == 0);
        pid_t me = (pid_t)syscall(SYS_gettid);
        errno = 0;
        EXPECT(2, syscall(SYS_tgkill, getpid(), me, SIGRTMIN) == -1 && errno == EAGAIN);
        EXPECT(4, !has_pending(SIGRTMIN));
        union sigval v = {.sival_int = 5};
        errno = 0;
        EXPECT(8, sigqueue(getpid(), SIGRTMIN, v) == -1 && errno == EAGAIN);
        EXPECT(16, kill(getpid(), SIGRTMIN + 1) == 0 && has_pending(SIGRTMIN + 1));
        EXPECT(32, syscall(SYS_tgkill, getpid(), me, SIGUSR1) == 0 && has_pending(SIGUSR1));
        /* Nothing was queued by the refused calls. */
        EXPECT(64, !has_pending(SIGRTMIN));
    });
}

static volatile sig_atomic_t got_sig, got_value, got_code;
static volatile pid_t worker_tid;
static int hold[2];

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_value = si->si_value.sival_int;
    got_code = si->si_code;
}

static int queueinfo(pid_t pid, int sig, int code, int value)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return (int)syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static volatile int self_errno = -1;

/* A non-leader thread: publishes its id, checks the self exemption, then waits on the pipe. */
static void *worker(void *arg)
{
    (void)arg;
    errno = 0;
    /* getpid() is the leader's id, not this task's: a forged SI_USER code is refused. */
    int r = queueinfo(getpid(), SIGUSR2, SI_USER, 0);
    self_errno = r == -1 ? errno : 0;
    worker_tid = (pid_t)syscall(SYS_gettid);
    char c;
    while (read(hold[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argc;
    kt_set_self(argv[0]);
    kt_watchdog(60);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    if (pipe(hold) != 0)
        return 1;
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    KT_WAIT_FOR(worker_tid != 0, 20000);
    CHECK(worker_tid != 0 && worker_tid != getpid(), "the worker thread has its own task id");
    CHECK_EQ(self_errno, EPERM, "rt_sigqueueinfo(getpid(), SI_USER) from a non-leader thread is EPERM");

    got_sig = 0;
    got_code = -100;
    CHECK_OK(kill(worker_tid, SIGUSR1), "kill(tid of a non-leader thread) succeeds");
    KT_WAIT_FOR(got_sig != 0, 20000);
    CHECK_EQ(got_sig, SIGUSR1, "the process received the signal sent to its thread's id");
    CHECK_EQ(got_code, SI_USER, "its si_code is SI_USER");

    got_sig = 0;
    CHECK_OK(queueinfo(worker_tid, SIGUSR1, SI_QUEUE, 777), "rt_sigqueueinfo(tid of a non-leader thread) succeeds");
    KT_WAIT_FOR(got_sig != 0, 20000);
    CHECK_EQ(got_sig, SIGUSR1, "the queued signal arrived");
    CHECK_EQ(got_value, 777, "with its si_value");

    CHECK_OK(kill(worker_tid, 0), "kill(tid, 0) probes a live thread");

    tgkill_args();
    sigpending_limit();

    char c = 0;
    if (write(hold[1], &c, 1) != 1)
        return 1;
    pthread_join(th, NULL);
    /* The thread is gone: its id names nothing once the exiting task is released
       (on Linux, shortly after pthread_join returns; ids are not reused this soon). */
    KT_WAIT_FOR(kill(worker_tid, 0) == -1, 20000);
    CHECK_ERR(kill(worker_tid, 0), ESRCH, "kill(tid of an exited thread, 0) is ESRCH");
    CHECK_ERR(queueinfo(worker_tid, SIGUSR1, SI_QUEUE, 1), ESRCH, "rt_sigqueueinfo(tid of an exited thread) is ESRCH");
    return kt_done();
}
