/* sigwaits.c - waiting for signals as Linux does: sigwaitinfo/sigtimedwait
 * interrupted by a handled signal return EINTR even under SA_RESTART, a
 * waited-for signal that has a handler is taken without running it, pause
 * and ppoll return EINTR; rt_sigqueueinfo's si_code rules (no exemption for
 * root), SA_RESETHAND keeping the other flags, pidfd waits and signals.
 * Every check that could hang runs in a child with its own alarm. */
#include "ktest.h"
#include <poll.h>
#include <pthread.h>
#include <sched.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile int handled;
static void on_usr(int s)
{
    (void)s;
    handled++;
}

static void set_handler(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

/* Fork a child that sends `sig` to us after `ms` milliseconds. */
static pid_t send_later(int sig, int ms)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        kt_msleep(ms);
        kill(parent, sig);
        _exit(0);
    }
    return pid;
}

/* Fork a child that sends `sig` to us every `ms` milliseconds until it is
 * killed (stop_sender). For the checks of an interruption: qemu-user loses a
 * signal that lands just before it enters the host's syscall (it restarts the
 * wait under SA_RESTART), so one signal could leave the oracle's side waiting
 * until its alarm; a second one interrupts it. Linux needs only the first. */
static pid_t send_until_killed(int sig, int ms)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            kt_msleep(ms);
            kill(parent, sig);
        }
    }
    return pid;
}

static void stop_sender(pid_t c)
{
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

/* Run fn in a child with a 20 s alarm; returns its exit code or 1000+signal. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        _exit(fn());
    }
    int st = 0;
    if (kt_waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* sigwaitinfo on an empty set, a handled SA_RESTART signal arrives: EINTR. */
static int wait_empty_restart(void)
{
    set_handler(SIGUSR1, SA_RESTART);
    sigset_t none;
    sigemptyset(&none);
    pid_t c = send_until_killed(SIGUSR1, 200);
    int r = sigwaitinfo(&none, NULL);
    int e = errno;
    stop_sender(c);
    return r == -1 && e == EINTR && handled >= 1 ? 0 : 2;
}

/* sigtimedwait for an unblocked, handled signal: it is taken, no handler. */
static int wait_unblocked_matching(void)
{
    set_handler(SIGUSR1, SA_RESTART);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pid_t c = send_later(SIGUSR1, 200);
    struct timespec ts = {15, 0};
    siginfo_t si;
    int r = sigtimedwait(&s, &si, &ts);
    waitpid(c, NULL, 0);
    if (r != SIGUSR1)
        return 2;
    return si.si_pid == c && si.si_code == SI_USER && handled == 0 ? 0 : 3;
}

/* A blocked signal sent while waiting for another: the wait goes on; the
 * wanted one ends it. */
static int wait_other_then_wanted(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pid_t c1 = send_later(SIGUSR2, 100);
    pid_t c2 = send_later(SIGUSR1, 400);
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGUSR1);
    int r = sigwaitinfo(&want, NULL);
    waitpid(c1, NULL, 0);
    waitpid(c2, NULL, 0);
    sigset_t pend;
    sigpending(&pend);
    return r == SIGUSR1 && sigismember(&pend, SIGUSR2) ? 0 : 2;
}

/* sigtimedwait with a timeout and no signal: EAGAIN. */
static int wait_timeout(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct timespec zero = {0, 0}, short_ = {0, 50000000}, bad = {0, 1000000000};
    if (sigtimedwait(&s, NULL, &zero) != -1 || errno != EAGAIN)
        return 2;
    if (sigtimedwait(&s, NULL, &short_) != -1 || errno != EAGAIN)
        return 3;
    if (sigtimedwait(&s, NULL, &bad) != -1 || errno != EINVAL)
        return 4;
    return 0;
}

/* pause() with an SA_RESTART handler: EINTR once the handler ran. */
static int pause_restart(void)
{
    set_handler(SIGUSR1, SA_RESTART);
    pid_t c = send_until_killed(SIGUSR1, 200);
    int r = pause();
    int e = errno;
    stop_sender(c);
    return r == -1 && e == EINTR && handled >= 1 ? 0 : 2;
}

/* ppoll with no fds, interrupted by a handled signal: EINTR. */
static int ppoll_eintr(void)
{
    set_handler(SIGUSR1, SA_RESTART);
    pid_t c = send_until_killed(SIGUSR1, 200);
    struct timespec ts = {15, 0};
    int r = ppoll(NULL, 0, &ts, NULL);
    int e = errno;
    stop_sender(c);
    if (!(r == -1 && e == EINTR && handled >= 1))
        return 2;
    /* A pending blocked signal that ppoll's mask unblocks: EINTR at once. */
    sigset_t s, none;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int before = handled;
    raise(SIGUSR1);
    sigemptyset(&none);
    int fds[2];
    pipe(fds);
    struct pollfd pfd = {fds[0], POLLIN, 0};
    r = ppoll(&pfd, 1, &ts, &none);
    e = errno;
    return r == -1 && e == EINTR && handled == before + 1 ? 0 : 3;
}

static int qinfo(pid_t pid, int sig, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_value.sival_int = 77;
    return (int)syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static void *thread_queue(void *arg)
{
    (void)arg;
    return (void *)(long)(qinfo(getpid(), SIGUSR2, SI_QUEUE) == 0 ? 0 : errno);
}

static volatile pid_t waiter_tid;
static int waiter_pipe[2];
static void *thread_wait(void *arg)
{
    (void)arg;
    char c;
    waiter_tid = (pid_t)syscall(SYS_gettid);
    while (read(waiter_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static volatile int q_value;
static void on_q(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    q_value = si->si_value.sival_int;
}

static void sigqueue_checks(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_q;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    CHECK_OK(qinfo(getpid(), SIGUSR2, SI_QUEUE), "rt_sigqueueinfo(SI_QUEUE) to our own thread group");
    CHECK_EQ(q_value, 77, "the handler sees si_value 77");
    pthread_t th;
    void *ret = (void *)1;
    pthread_create(&th, NULL, thread_queue, NULL);
    pthread_join(th, &ret);
    CHECK_EQ((long)ret, 0, "rt_sigqueueinfo to our own thread group from a second thread");
    /* A second thread's id names its process too (kill_proc_info finds the task, signals its group). */
    pipe(waiter_pipe);
    waiter_tid = 0;
    pthread_create(&th, NULL, thread_wait, NULL);
    while (!waiter_tid)
        sched_yield();
    q_value = 0;
    CHECK_OK(qinfo(waiter_tid, SIGUSR2, SI_QUEUE), "rt_sigqueueinfo to a second thread's id");
    CHECK_OK(kill(waiter_tid, 0), "kill(second thread's id, 0)");
    write(waiter_pipe[1], "x", 1);
    pthread_join(th, NULL);
    close(waiter_pipe[0]);
    close(waiter_pipe[1]);
    CHECK_EQ(q_value, 77, "and the process got the signal");
    CHECK_OK(qinfo(getpid(), SIGUSR2, SI_USER), "a positive si_code is allowed towards ourselves");
    CHECK_ERR(qinfo(getppid(), 0, SI_USER), EPERM, "si_code SI_USER towards another process is EPERM, even for root");
    CHECK_ERR(qinfo(getppid(), 0, SI_KERNEL), EPERM, "si_code SI_KERNEL towards another process is EPERM");
    CHECK_ERR(qinfo(getppid(), 0, SI_TKILL), EPERM, "si_code SI_TKILL towards another process is EPERM");
    CHECK_ERR(qinfo(getpid(), 65, SI_QUEUE), EINVAL, "signal 65 is EINVAL");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_USER;
    CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getppid(), getppid(), 0, &si), EPERM,
              "rt_tgsigqueueinfo with si_code SI_USER towards another process is EPERM");
    si.si_code = SI_QUEUE;
    CHECK_OK(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, &si), "rt_tgsigqueueinfo(SI_QUEUE) to ourselves");
}

static volatile int rh_count;
static void on_rh(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)si;
    (void)uc;
    rh_count++;
}

static void resethand(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_rh;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_RESTART;
    sigaction(SIGURG, &sa, NULL);
    raise(SIGURG);
    sigaction(SIGURG, NULL, &old);
    CHECK_EQ(rh_count, 1, "SA_RESETHAND: the handler ran once");
    CHECK(old.sa_handler == SIG_DFL, "SA_RESETHAND: the action is SIG_DFL afterwards");
    CHECK((old.sa_flags & (SA_SIGINFO | SA_RESETHAND | SA_RESTART)) == (SA_SIGINFO | SA_RESETHAND | SA_RESTART),
          "SA_RESETHAND keeps sa_flags (SA_SIGINFO, SA_RESTART) as Linux does");
}

static void pidfds(void)
{
    /* our parent is not our child: P_PIDFD on it is ECHILD */
    int pfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
    CHECK(pfd >= 0, "pidfd_open on our parent");
    siginfo_t si;
    CHECK_ERR(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED | WNOHANG), ECHILD, "waitid(P_PIDFD) on a non-child is ECHILD");
    CHECK_OK(syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0), "pidfd_send_signal(sig 0) on our parent's pidfd");
    close(pfd);

    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    pfd = (int)syscall(SYS_pidfd_open, c, 0);
    CHECK_OK(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0), "pidfd_send_signal(SIGTERM) on a child's pidfd");
    memset(&si, 0, sizeof si);
    CHECK_OK(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED), "waitid(P_PIDFD) on the child");
    CHECK(si.si_pid == c && si.si_code == CLD_KILLED && si.si_status == SIGTERM, "the child was killed by SIGTERM");
    CHECK_ERR(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0), ESRCH, "pidfd_send_signal to a reaped child is ESRCH");
    CHECK_ERR(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0x1000), EINVAL, "pidfd_send_signal with unknown flags is EINVAL");
    close(pfd);
    int fd = open("/", O_RDONLY);
    CHECK_ERR(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0), EBADF, "pidfd_send_signal on a non-pidfd is EBADF");
    close(fd);
    /* an open /proc/[pid] directory is a pidfd to pidfd_send_signal (Linux's pidfd_to_pid) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_q;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    q_value = 0;
    fd = open("/proc/self", O_DIRECTORY | O_CLOEXEC);
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR2;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_value.sival_int = 99;
    CHECK_OK(syscall(SYS_pidfd_send_signal, fd, SIGUSR2, &si, 0), "pidfd_send_signal through an open /proc/self with a SI_QUEUE siginfo");
    CHECK_EQ(q_value, 99, "the handler sees the siginfo's si_value");
    si.si_signo = SIGUSR1;
    CHECK_ERR(syscall(SYS_pidfd_send_signal, fd, SIGUSR2, &si, 0), EINVAL, "a siginfo whose si_signo is not the signal is EINVAL");
    close(fd);
    fd = open("/proc/self/task", O_DIRECTORY | O_CLOEXEC);
    CHECK_ERR(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0), EBADF, "pidfd_send_signal through /proc/self/task is EBADF");
    close(fd);
    CHECK_ERR(waitpid(-99999, NULL, WNOHANG), ECHILD, "waitpid(-pgid) of a group with no child in it is ECHILD");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(120);
    CHECK_EQ(in_child(wait_empty_restart), 0, "sigwaitinfo(empty set) interrupted by an SA_RESTART handler is EINTR");
    CHECK_EQ(in_child(wait_unblocked_matching), 0, "sigtimedwait takes an unblocked, handled signal of its set without running the handler");
    CHECK_EQ(in_child(wait_other_then_wanted), 0, "sigwaitinfo ignores a blocked signal outside its set and returns the wanted one");
    CHECK_EQ(in_child(wait_timeout), 0, "sigtimedwait: EAGAIN after a zero or short timeout, EINVAL for tv_nsec 1e9");
    CHECK_EQ(in_child(pause_restart), 0, "pause() interrupted by an SA_RESTART handler is EINTR");
    CHECK_EQ(in_child(ppoll_eintr), 0, "ppoll interrupted by a handled signal is EINTR (also through its sigmask)");
    sigqueue_checks();
    resethand();
    pidfds();
    return kt_done();
}
