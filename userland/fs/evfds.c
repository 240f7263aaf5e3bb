/* evfds.c - eventfd (counter, semaphore mode, EAGAIN, overflow, blocking),
 * timerfd (monotonic and realtime, TFD_TIMER_ABSTIME, interval expiration
 * counts, gettime, disarm) and signalfd (ssi_pid, ssi_code, sigqueue values,
 * several signals in one read, mask updates). */
#include "ktest.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

static int readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void eventfds(void)
{
    int e = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK_OK(e, "eventfd(5, NONBLOCK|CLOEXEC)");
    uint64_t v = 0;
    CHECK(read(e, &v, 8) == 8 && v == 5, "reading returns the initial count 5");
    CHECK_ERR(read(e, &v, 8), EAGAIN, "then EAGAIN: the counter was reset to 0");
    v = 3;
    write(e, &v, 8);
    v = 4;
    write(e, &v, 8);
    CHECK(read(e, &v, 8) == 8 && v == 7, "writes add up (3 + 4 = 7)");
    CHECK_ERR(read(e, &v, 4), EINVAL, "a read buffer smaller than 8 bytes is EINVAL");
    v = 0xffffffffffffffffull;
    CHECK_ERR(write(e, &v, 8), EINVAL, "writing 2^64-1 is EINVAL");
    CHECK_ERR(write(e, &v, 4), EINVAL, "a 4-byte write is EINVAL");
    v = 0xfffffffffffffffeull;
    CHECK_EQ(write(e, &v, 8), 8, "the counter can reach 2^64-2");
    v = 1;
    CHECK_ERR(write(e, &v, 8), EAGAIN, "a write that would overflow is EAGAIN (nonblocking)");
    struct pollfd p = {e, POLLIN | POLLOUT, 0};
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "at the maximum: POLLIN but not POLLOUT");
    read(e, &v, 8);
    p.revents = 0;
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "at zero: POLLOUT but not POLLIN");
    v = 0;
    CHECK_EQ(write(e, &v, 8), 8, "writing 0 is allowed");
    CHECK_ERR(read(e, &v, 8), EAGAIN, "... and does not make it readable");
    close(e);

    e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    int ones = 0;
    for (int i = 0; i < 3; i++)
        if (read(e, &v, 8) == 8 && v == 1)
            ones++;
    CHECK_EQ(ones, 3, "EFD_SEMAPHORE: three reads of 1 from a count of 3");
    CHECK_ERR(read(e, &v, 8), EAGAIN, "EFD_SEMAPHORE: then EAGAIN");
    close(e);
    CHECK_ERR(eventfd(0, 0x12345), EINVAL, "eventfd with unknown flags is EINVAL");

    /* blocking */
    e = eventfd(0, 0);
    long long t0 = vt_now_ms(); /* before the fork: the child sleeps 100 ms after it */
    pid_t pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        uint64_t x = 42;
        write(e, &x, 8);
        vt_msleep(100);
        /* unblocks the parent's overflowing write */
        read(e, &x, 8);
        _exit(0);
    }
    CHECK(read(e, &v, 8) == 8 && v == 42 && vt_now_ms() - t0 >= 95, "a blocking read waits for a child's write");
    v = 0xfffffffffffffffeull;
    write(e, &v, 8);
    v = 5;
    /* had it not waited for the child's read, the counter would have overflowed (checked below) */
    CHECK_EQ(write(e, &v, 8), 8, "a blocking overflowing write waits for a read");
    vt_reap(pid);
    CHECK(read(e, &v, 8) == 8 && v == 5, "... then adds its value");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
    v = 1;
    write(e, &v, 8);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u32 == 7, "eventfd works with epoll");
    close(ep);
    close(e);
}

static long long ts_ms(struct timespec t)
{
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void timerfds(void)
{
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK_OK(t, "timerfd_create(CLOCK_MONOTONIC)");
    uint64_t n = 0;
    CHECK_ERR(read(t, &n, 8), EAGAIN, "an unarmed timerfd reads EAGAIN");
    struct itimerspec its = {{0, 0}, {0, 60000000}}, cur;
    long long t0 = vt_now_ms();
    CHECK_OK(timerfd_settime(t, 0, &its, NULL), "arm 60 ms one-shot");
    timerfd_gettime(t, &cur);
    CHECK(ts_ms(cur.it_value) <= 60 && ts_ms(cur.it_value) > 0 && cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0,
          "timerfd_gettime shows the remaining time");
    CHECK_ERR(read(t, &n, 8), EAGAIN, "not expired yet: EAGAIN");
    CHECK(readable(t, 2000), "poll reports it readable on expiry");
    long long dt = vt_now_ms() - t0;
    kt_check(dt >= 55, "... not before 60 ms", "%lld ms", dt);
    CHECK(read(t, &n, 8) == 8 && n == 1, "one expiration");
    CHECK_ERR(read(t, &n, 8), EAGAIN, "reading resets the count");
    timerfd_gettime(t, &cur);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "an expired one-shot shows zero");

    /* interval */
    struct itimerspec iv = {{0, 20000000}, {0, 20000000}};
    struct timespec a0, a1, a2;
    clock_gettime(CLOCK_MONOTONIC, &a0);
    timerfd_settime(t, 0, &iv, NULL);
    vt_msleep(210);
    clock_gettime(CLOCK_MONOTONIC, &a1);
    read(t, &n, 8);
    clock_gettime(CLOCK_MONOTONIC, &a2);
    /* the count must match the time that really passed (the host may be loaded) */
    long long lo = (ts_ms(a1) - ts_ms(a0)) / 20 - 1, hi = (ts_ms(a2) - ts_ms(a0)) / 20 + 1;
    kt_check((long long)n >= lo && (long long)n <= hi, "a 20 ms interval timer counts one expiration per 20 ms elapsed",
             "got %llu want %lld..%lld", (unsigned long long)n, lo, hi);
    struct itimerspec old;
    struct itimerspec off = {{0, 0}, {0, 0}};
    CHECK_OK(timerfd_settime(t, 0, &off, &old), "disarm, getting the old value");
    CHECK(old.it_interval.tv_nsec == 20000000, "the old value has the 20 ms interval");
    vt_msleep(50);
    CHECK_ERR(read(t, &n, 8), EAGAIN, "a disarmed timer does not fire");
    CHECK_ERR(read(t, &n, 4), EINVAL, "a read buffer smaller than 8 is EINVAL");
    struct itimerspec badv = {{0, 0}, {0, 1000000000}};
    CHECK_ERR(timerfd_settime(t, 0, &badv, NULL), EINVAL, "tv_nsec 1e9 is EINVAL");
    CHECK_ERR(timerfd_settime(t, 0x100, &its, NULL), EINVAL, "unknown settime flags are EINVAL");
    close(t);

    /* absolute, realtime */
    t = timerfd_create(CLOCK_REALTIME, 0);
    CHECK_OK(t, "timerfd_create(CLOCK_REALTIME)");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec abs_ = {{0, 0}, {now.tv_sec, now.tv_nsec}};
    abs_.it_value.tv_nsec += 80000000;
    if (abs_.it_value.tv_nsec >= 1000000000) {
        abs_.it_value.tv_sec++;
        abs_.it_value.tv_nsec -= 1000000000;
    }
    CHECK_OK(timerfd_settime(t, TFD_TIMER_ABSTIME, &abs_, NULL), "arm REALTIME with TFD_TIMER_ABSTIME now+80ms");
    CHECK(read(t, &n, 8) == 8 && n == 1, "a blocking read returns one expiration");
    struct timespec after;
    clock_gettime(CLOCK_REALTIME, &after);
    CHECK(after.tv_sec > abs_.it_value.tv_sec || (after.tv_sec == abs_.it_value.tv_sec && after.tv_nsec >= abs_.it_value.tv_nsec - 2000000),
          "... not before the absolute time");
    abs_.it_value.tv_sec = now.tv_sec - 10;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &abs_, NULL);
    CHECK(readable(t, 500) && read(t, &n, 8) == 8 && n == 1, "an absolute time in the past fires at once");
    close(t);

    t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec am = {{0, 10000000}, {now.tv_sec, now.tv_nsec}};
    timerfd_settime(t, TFD_TIMER_ABSTIME, &am, NULL);
    vt_msleep(105);
    clock_gettime(CLOCK_MONOTONIC, &a1);
    read(t, &n, 8);
    clock_gettime(CLOCK_MONOTONIC, &a2);
    lo = (ts_ms(a1) - ts_ms(now)) / 10; /* first expiry at `now`, then every 10 ms */
    hi = (ts_ms(a2) - ts_ms(now)) / 10 + 2;
    kt_check((long long)n >= lo && (long long)n <= hi,
             "MONOTONIC ABSTIME starting now, 10 ms interval: one expiration at start plus one per 10 ms",
             "got %llu want %lld..%lld", (unsigned long long)n, lo, hi);
    close(t);
    CHECK_ERR(timerfd_create(12345, 0), EINVAL, "timerfd_create with a bad clock is EINVAL");
    if (kt_qemu())
        kt_skip("timerfd_create with unknown flags is EINVAL", "qemu-user drops unknown flags");
    else
        CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x4), EINVAL, "timerfd_create with unknown flags is EINVAL");
}

static void signalfds(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    int s = signalfd(-1, &only1, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK_OK(s, "signalfd for SIGUSR1");
    struct signalfd_siginfo si[2];
    CHECK_ERR(read(s, si, sizeof si[0]), EAGAIN, "nothing pending: EAGAIN");
    pid_t pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    vt_reap(pid);
    CHECK(readable(s, 2000), "a pending SIGUSR1 makes it readable");
    memset(si, 0, sizeof si);
    CHECK_EQ(read(s, si, sizeof si[0]), sizeof si[0], "read one signalfd_siginfo (128 bytes)");
    CHECK_EQ(si[0].ssi_signo, SIGUSR1, "ssi_signo is SIGUSR1");
    CHECK_EQ(si[0].ssi_pid, pid, "ssi_pid is the sending child");
    CHECK_EQ(si[0].ssi_uid, getuid(), "ssi_uid is the sender's uid");
    CHECK_EQ(si[0].ssi_code, SI_USER, "ssi_code is SI_USER for kill()");
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "reading consumed the signal");
    CHECK_ERR(read(s, si, 64), EINVAL, "a read buffer smaller than 128 is EINVAL");

    union sigval val = {.sival_int = 0x5eed};
    sigqueue(getpid(), SIGUSR1, val);
    memset(si, 0, sizeof si);
    CHECK(read(s, si, sizeof si[0]) == sizeof si[0] && si[0].ssi_code == SI_QUEUE && si[0].ssi_int == 0x5eed &&
              si[0].ssi_pid == (uint32_t)getpid(),
          "sigqueue: ssi_code SI_QUEUE, ssi_int and ssi_pid");

    raise(SIGUSR2);
    CHECK_ERR(read(s, si, sizeof si[0]), EAGAIN, "a signal outside the mask is not read");
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR2), "... and stays pending");
    CHECK_EQ(signalfd(s, &m, 0), s, "signalfd(fd, new mask) updates the same fd");
    kill(getpid(), SIGUSR1);
    memset(si, 0, sizeof si);
    ssize_t n = read(s, si, sizeof si);
    CHECK_EQ(n, 2 * (ssize_t)sizeof si[0], "one read returns both pending signals");
    CHECK((si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == SIGUSR2) || (si[0].ssi_signo == SIGUSR2 && si[1].ssi_signo == SIGUSR1),
          "... SIGUSR1 and SIGUSR2");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0, "epoll: a quiet signalfd");
    raise(SIGUSR1);
    CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1, "epoll: readable with a pending signal");
    read(s, si, sizeof si);
    close(ep);

    /* a blocking read waits for a signal from a child */
    int b = signalfd(-1, &only1, 0);
    pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    memset(si, 0, sizeof si);
    CHECK(read(b, si, sizeof si[0]) == sizeof si[0] && si[0].ssi_pid == (uint32_t)pid, "a blocking signalfd read gets the child's signal");
    vt_reap(pid);
    close(b);
    CHECK_ERR(signalfd(-1, &only1, 0x1), EINVAL, "signalfd with unknown flags is EINVAL");
    int p[2];
    pipe(p);
    CHECK_ERR(signalfd(p[0], &only1, 0), EINVAL, "signalfd on a non-signalfd fd is EINVAL");
    close(p[0]);
    close(p[1]);
    close(s);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    eventfds();
    timerfds();
    signalfds();
    return kt_done();
}
