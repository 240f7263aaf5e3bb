/* sleeps.c - sleeps and timeouts end on time, as Linux's hrtimers make them:
 * a 1 ms nanosleep, clock_nanosleep, select, poll, ppoll, epoll_wait,
 * futex wait and sigtimedwait never return early and (generous bound, a
 * loaded machine must not flake it) their median overshoot stays under
 * 5 ms, or under SLEEPS_BOUND_US microseconds when set (Ghost's virtual
 * clock, where the figure is exact: test/kernel/time/sleeps.test.ts);
 * the timer slack (PR_SET_TIMERSLACK) and its inheritance; select
 * under personality(STICKY_TIMEOUTS) leaves the timeout alone.
 *
 *   sleeps                   the checks
 *   sleeps bench [N] [HOGS]  percentiles of N 1 ms nanosleeps beside HOGS
 *                            busy child processes (figures, no checks)
 */
#include "ktest.h"
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/syscall.h>

#define REQ_NS 1000000L
#define NSLEEPS 41

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int futex_word;

/* One 1 ms sleep of kind `k`; returns how long it really took (ns), or -1. */
static long long sleep_once(int k, int epfd)
{
    long long t0 = now_ns();
    struct timespec ts = {0, REQ_NS};
    struct timeval tv = {0, REQ_NS / 1000};
    sigset_t none, usr2;
    int r = 0;
    switch (k) {
    case 0:
        r = nanosleep(&ts, NULL);
        break;
    case 1: {
        struct timespec abs;
        clock_gettime(CLOCK_MONOTONIC, &abs);
        abs.tv_nsec += REQ_NS;
        if (abs.tv_nsec >= 1000000000L) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000L;
        }
        r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
        t0 = abs.tv_sec * 1000000000LL + abs.tv_nsec - REQ_NS;
        break;
    }
    case 2:
        r = select(0, NULL, NULL, NULL, &tv);
        break;
    case 3:
        r = poll(NULL, 0, REQ_NS / 1000000);
        break;
    case 4:
        sigemptyset(&none);
        r = ppoll(NULL, 0, &ts, &none);
        break;
    case 5: {
        struct epoll_event ev;
        r = epoll_wait(epfd, &ev, 1, REQ_NS / 1000000);
        break;
    }
    case 6:
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
        if (r == -1 && errno == ETIMEDOUT)
            r = 0;
        break;
    case 7:
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        r = sigtimedwait(&usr2, NULL, &ts);
        if (r == -1 && errno == EAGAIN)
            r = 0;
        break;
    }
    if (r != 0)
        return -1;
    return now_ns() - t0;
}

static const char *kinds[] = {"nanosleep", "clock_nanosleep(ABSTIME)", "select", "poll", "ppoll", "epoll_wait",
                              "FUTEX_WAIT", "sigtimedwait"};

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void check_kind(int k, int epfd)
{
    long long got[NSLEEPS];
    int early = 0, failed = 0;
    for (int i = 0; i < NSLEEPS; i++) {
        got[i] = sleep_once(k, epfd);
        if (got[i] < 0)
            failed++;
        else if (got[i] < REQ_NS)
            early++;
    }
    char desc[128];
    snprintf(desc, sizeof desc, "%s(1 ms): every sleep succeeds and none ends early", kinds[k]);
    kt_check(!failed && !early, desc, "%d failed, %d ended early", failed, early);
    qsort(got, NSLEEPS, sizeof got[0], cmp_ll);
    long long med = got[NSLEEPS / 2] - REQ_NS;
    const char *bound = getenv("SLEEPS_BOUND_US");
    long long max_us = bound ? atoll(bound) : 5000;
    snprintf(desc, sizeof desc, "%s(1 ms): median overshoot under %lld us", kinds[k], max_us);
    kt_check(med < max_us * 1000, desc, "median overshoot %lld us (max %lld us)", med / 1000,
             (got[NSLEEPS - 1] - REQ_NS) / 1000);
}

/* Timer slack: default 50 us, a child (process or thread) starts with its
 * creator's value, and PR_SET_TIMERSLACK 0 restores the value it started
 * with (Linux's default_timer_slack_ns), not 50 us. */
static void *thread_slack(void *arg)
{
    long *out = arg;
    out[0] = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, 777000, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
    out[1] = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    return NULL;
}

static void check_slack(void)
{
    CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 50000, "PR_GET_TIMERSLACK: 50 us by default");
    CHECK_EQ(prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0), 0, "PR_SET_TIMERSLACK 123456");
    CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 123456, "PR_GET_TIMERSLACK reads it back");
    char buf[64] = "";
    int fd = open("/proc/self/timerslack_ns", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        close(fd);
    }
    CHECK_STR(buf, "123456\n", "/proc/self/timerslack_ns shows it");

    pid_t pid = fork();
    if (pid == 0) {
        int bad = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != 123456;
        prctl(PR_SET_TIMERSLACK, 999000, 0, 0, 0);
        prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
        bad |= (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != 123456) << 1;
        _exit(bad);
    }
    kt_check_exit(pid, 0, "a forked child inherits the slack; PR_SET_TIMERSLACK 0 restores the inherited value");

    long out[2] = {0, 0};
    pthread_t th;
    prctl(PR_SET_TIMERSLACK, 200000, 0, 0, 0);
    pthread_create(&th, NULL, thread_slack, out);
    pthread_join(th, NULL);
    CHECK_EQ(out[0], 200000, "a new thread starts with its creator's slack");
    CHECK_EQ(out[1], 200000, "a thread's PR_SET_TIMERSLACK 0 restores the slack it started with");
    prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
    CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 50000, "PR_SET_TIMERSLACK 0 in the first thread: 50 us again");
}

/* select writes the time left back, unless personality(STICKY_TIMEOUTS). */
static void check_sticky(void)
{
    struct timeval tv = {0, 20000};
    select(0, NULL, NULL, NULL, &tv);
    kt_check(tv.tv_sec == 0 && tv.tv_usec == 0, "select writes the time left back (0 after a timeout)",
             "timeout now %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    int old = personality(0xffffffff);
    personality(old | STICKY_TIMEOUTS);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    select(0, NULL, NULL, NULL, &tv);
    kt_check(tv.tv_sec == 0 && tv.tv_usec == 20000, "select under STICKY_TIMEOUTS leaves the timeout unchanged",
             "timeout now %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    struct timespec ts = {0, 20000000};
    sigset_t none;
    sigemptyset(&none);
    pselect(0, NULL, NULL, NULL, &ts, &none);
    kt_check(ts.tv_sec == 0 && ts.tv_nsec == 20000000, "pselect6 under STICKY_TIMEOUTS leaves the timeout unchanged",
             "timeout now %ld.%09ld", (long)ts.tv_sec, (long)ts.tv_nsec);
    personality(old);
}

static void bench(int n, int hogs)
{
    pid_t pids[16];
    if (hogs > 16)
        hogs = 16;
    for (int i = 0; i < hogs; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            alarm(120);
            for (volatile unsigned long x = 0;; x++)
                ;
        }
    }
    long long *got = calloc(n, sizeof *got);
    for (int i = 0; i < n; i++)
        got[i] = sleep_once(0, -1) - REQ_NS;
    for (int i = 0; i < hogs; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
    }
    qsort(got, n, sizeof *got, cmp_ll);
    printf("nanosleep(1 ms) x%d beside %d hogs: overshoot us p50 %lld p90 %lld p99 %lld max %lld\n", n, hogs,
           got[n / 2] / 1000, got[n * 9 / 10] / 1000, got[n * 99 / 100] / 1000, got[n - 1] / 1000);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        bench(argc > 2 ? atoi(argv[2]) : 200, argc > 3 ? atoi(argv[3]) : 0);
        return 0;
    }
    alarm(60);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    int epfd = epoll_create1(0);
    for (int k = 0; k < 8; k++)
        check_kind(k, epfd);
    close(epfd);
    check_slack();
    check_sticky();
    return kt_done();
}
