/* clocks.c - clock_gettime, clock_getres, gettimeofday, nanosleep, clock_nanosleep. */
#include "ktest.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long raw_clock_gettime(long clk, void *ts)
{
    return syscall(SYS_clock_gettime, clk, ts);
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
    struct timespec ts, ts2, res;
    struct timeval tv;

    /* realtime */
    CHECK_EQ(raw_clock_gettime(CLOCK_REALTIME, &ts), 0, "clock_gettime CLOCK_REALTIME (raw)");
    CHECK(ts.tv_sec > 1577836800, "CLOCK_REALTIME is after 2020-01-01");
    CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, "tv_nsec in [0, 1e9)");
    CHECK_EQ(gettimeofday(&tv, NULL), 0, "gettimeofday");
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec in [0, 1e6)");
    kt_check(tv.tv_sec >= ts.tv_sec && tv.tv_sec - ts.tv_sec <= 2, "gettimeofday agrees with CLOCK_REALTIME",
             "gettimeofday %lld clock_gettime %lld", (long long)tv.tv_sec, (long long)ts.tv_sec);
    struct timezone tz;
    CHECK_EQ(syscall(SYS_gettimeofday, &tv, &tz), 0, "gettimeofday with a timezone pointer (raw)");
    CHECK_EQ(syscall(SYS_gettimeofday, NULL, NULL), 0, "gettimeofday(NULL, NULL) (raw)");
    time_t t = time(NULL);
    CHECK(t >= ts.tv_sec && t - ts.tv_sec <= 2, "time() agrees with CLOCK_REALTIME");

    /* monotonic */
    int ok = 1;
    raw_clock_gettime(CLOCK_MONOTONIC, &ts);
    for (int i = 0; i < 2000; i++) {
        raw_clock_gettime(CLOCK_MONOTONIC, &ts2);
        if (ns(&ts2) < ns(&ts) || ts2.tv_nsec < 0 || ts2.tv_nsec >= 1000000000)
            ok = 0;
        ts = ts2;
    }
    CHECK(ok, "CLOCK_MONOTONIC never goes backwards over 2000 reads");
    ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    for (int i = 0; i < 2000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts2);
        if (ns(&ts2) < ns(&ts))
            ok = 0;
        ts = ts2;
    }
    CHECK(ok, "libc clock_gettime(CLOCK_MONOTONIC) never goes backwards");

    static const struct {
        clockid_t id;
        const char *name;
    } clocks[] = {
        {CLOCK_REALTIME, "CLOCK_REALTIME"},
        {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
        {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
        {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
        {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
        {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
        {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
        {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        char desc[128];
        snprintf(desc, sizeof desc, "clock_gettime %s", clocks[i].name);
        CHECK_EQ(raw_clock_gettime(clocks[i].id, &ts), 0, desc);
        snprintf(desc, sizeof desc, "clock_getres %s", clocks[i].name);
        memset(&res, 0, sizeof res);
        CHECK_EQ(syscall(SYS_clock_getres, clocks[i].id, &res), 0, desc);
        snprintf(desc, sizeof desc, "clock_getres %s is in (0, 10ms]", clocks[i].name);
        kt_check(ns(&res) > 0 && ns(&res) <= 10000000, desc, "got %lld ns", ns(&res));
    }
    CHECK_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0, "clock_getres with a NULL result pointer");
    CHECK_ERR(raw_clock_gettime(100, &ts), EINVAL, "clock_gettime of an unknown clock is EINVAL");
    CHECK_ERR(syscall(SYS_clock_getres, 100, &res), EINVAL, "clock_getres of an unknown clock is EINVAL");
    CHECK_ERR(raw_clock_gettime(CLOCK_MONOTONIC, KT_BAD_PTR), EFAULT, "clock_gettime into a bad pointer is EFAULT");

    /* CPU time advances with work */
    struct timespec c0, c1;
    raw_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned long sink = 0;
    for (unsigned long i = 0; i < 5000000; i++)
        sink += i * i;
    raw_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    kt_check(ns(&c1) > ns(&c0), "CLOCK_PROCESS_CPUTIME_ID advances during a busy loop", "%lld -> %lld", ns(&c0),
             ns(&c1));

    /* nanosleep */
    struct timespec req = {.tv_sec = 0, .tv_nsec = 50 * 1000000}, rem = {99, 99};
    raw_clock_gettime(CLOCK_MONOTONIC, &ts);
    CHECK_EQ(nanosleep(&req, &rem), 0, "nanosleep 50ms");
    raw_clock_gettime(CLOCK_MONOTONIC, &ts2);
    kt_check(ns(&ts2) - ns(&ts) >= 50000000LL, "nanosleep slept at least 50ms", "slept %lld ns",
             ns(&ts2) - ns(&ts));
    kt_check(ns(&ts2) - ns(&ts) < 5000000000LL, "nanosleep 50ms returned within 5s", "slept %lld ns",
             ns(&ts2) - ns(&ts));
    req.tv_nsec = 0;
    CHECK_EQ(nanosleep(&req, NULL), 0, "nanosleep of zero time");
    req.tv_nsec = 1000000000;
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with tv_nsec = 1e9 is EINVAL");
    req.tv_nsec = -1;
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with negative tv_nsec is EINVAL");
    req.tv_sec = -1;
    req.tv_nsec = 0;
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with negative tv_sec is EINVAL");
    if (kt_qemu()) /* qemu-user 7.2 reports EINVAL here */
        kt_skip("nanosleep with a bad pointer is EFAULT", "qemu-user returns EINVAL");
    else
        CHECK_ERR(syscall(SYS_nanosleep, KT_BAD_PTR, NULL), EFAULT, "nanosleep with a bad pointer is EFAULT");

    /* clock_nanosleep: relative and absolute */
    req.tv_sec = 0;
    req.tv_nsec = 20 * 1000000;
    raw_clock_gettime(CLOCK_MONOTONIC, &ts);
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0, "clock_nanosleep relative 20ms");
    raw_clock_gettime(CLOCK_MONOTONIC, &ts2);
    kt_check(ns(&ts2) - ns(&ts) >= 20000000LL, "clock_nanosleep slept at least 20ms", "slept %lld ns",
             ns(&ts2) - ns(&ts));
    struct timespec target;
    raw_clock_gettime(CLOCK_MONOTONIC, &target);
    target.tv_nsec += 30 * 1000000;
    if (target.tv_nsec >= 1000000000) {
        target.tv_sec++;
        target.tv_nsec -= 1000000000;
    }
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL), 0, "clock_nanosleep TIMER_ABSTIME");
    raw_clock_gettime(CLOCK_MONOTONIC, &ts2);
    kt_check(ns(&ts2) >= ns(&target), "TIMER_ABSTIME sleep wakes at or after the target", "woke %lld ns early",
             ns(&target) - ns(&ts2));
    target.tv_sec = 0;
    target.tv_nsec = 1;
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL), 0,
             "TIMER_ABSTIME in the past returns at once");
    req.tv_nsec = 1000000000;
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL, "clock_nanosleep with bad tv_nsec returns EINVAL");

    /* The thread CPU clock cannot be slept on: EOPNOTSUPP from the syscall (glibc turns it into EINVAL). */
    struct timespec tiny = {0, 1000};
    errno = 0;
    CHECK(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &tiny, NULL) == -1 && errno == EOPNOTSUPP,
          "clock_nanosleep(CLOCK_THREAD_CPUTIME_ID) syscall is EOPNOTSUPP");

    /* An interrupted sleep writes the time left at once: to a bad pointer, EFAULT (nanosleep_copyout). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    struct timespec five = {5, 0}, left = {0, 0};
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    CHECK(syscall(SYS_nanosleep, &five, &left) == -1 && errno == EINTR && left.tv_sec < 5 && (left.tv_sec > 0 || left.tv_nsec > 0),
          "nanosleep interrupted by a handled signal: EINTR, the time left written");
    if (kt_qemu()) { /* qemu-user 7.2 drops nanosleep's copy-out error; Linux 6.18 natively gives EFAULT */
        kt_skip("nanosleep interrupted with a bad remaining-time pointer is EFAULT", "qemu-user returns EINTR");
    } else {
        setitimer(ITIMER_REAL, &it, NULL);
        errno = 0;
        CHECK(syscall(SYS_nanosleep, &five, KT_BAD_PTR) == -1 && errno == EFAULT,
              "nanosleep interrupted with a bad remaining-time pointer is EFAULT");
    }
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    CHECK(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &five, KT_BAD_PTR) == -1 && errno == EFAULT,
          "clock_nanosleep likewise");

    /* clock_settime of a CPU clock: the fixed ids have no clock_set in Linux (EINVAL), a clock made by
     * clock_getcpuclockid is the CPU-clock family's, which never sets (EPERM). Nothing is ever set here. */
    struct timespec one = {1, 0};
    CHECK_ERR(syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &one), EINVAL, "clock_settime(CLOCK_PROCESS_CPUTIME_ID) is EINVAL");
    CHECK_ERR(syscall(SYS_clock_settime, CLOCK_THREAD_CPUTIME_ID, &one), EINVAL, "clock_settime(CLOCK_THREAD_CPUTIME_ID) is EINVAL");
    clockid_t cpuclk;
    CHECK_EQ(clock_getcpuclockid(getpid(), &cpuclk), 0, "clock_getcpuclockid of oneself");
    CHECK_ERR(syscall(SYS_clock_settime, cpuclk, &one), EPERM, "clock_settime of a process's CPU clock is EPERM");

    return kt_done();
}
