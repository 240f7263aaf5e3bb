/* sched_api.c - the scheduling and clock syscalls as Linux defines them:
 * policies and priorities, sched_setattr/getattr, nice values and their
 * permission rules, affinity, sched_rr_get_interval, /proc/[pid]/sched,
 * /proc/[pid]/stat, /proc/loadavg, the BORE sysctls, clock_settime,
 * settimeofday, clock resolutions and CPU clocks.
 *
 *   sched_api bore|eevdf     (which fair scheduler the kernel runs) */
#include "../../../userland/include/ktest.h"
#include <pthread.h>
#include <sched.h>
#include "../../../userland/include/sched_attr.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <time.h>


static long sys_setattr(pid_t pid, void *a, unsigned flags) { return syscall(SYS_sched_setattr, pid, a, flags); }
static long sys_getattr(pid_t pid, void *a, unsigned size, unsigned flags) { return syscall(SYS_sched_getattr, pid, a, size, flags); }

static int bore;

/* A child that runs fn and reports failures through its exit status. */
static void in_child(const char *what, void (*fn)(void))
{
    pid_t c = fork();
    if (c == 0) {
        kt_total = kt_failed = 0;
        fn();
        _exit(kt_failed ? 1 : 0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what, "child status %#x", st);
}

static char *read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t r = fread(buf, 1, n - 1, f);
    buf[r] = 0;
    fclose(f);
    return buf;
}

static long sched_field(const char *name)
{
    char buf[4096];
    if (!read_file("/proc/self/sched", buf, sizeof buf))
        return -999;
    char *p = strstr(buf, name);
    if (!p)
        return -998;
    p = strchr(p, ':');
    return p ? atol(p + 1) : -997;
}

static void policies(void)
{
    CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99, "priority max FIFO");
    CHECK_EQ(sched_get_priority_min(SCHED_RR), 1, "priority min RR");
    CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0, "priority max OTHER");
    CHECK_EQ(sched_get_priority_min(SCHED_IDLE), 0, "priority min IDLE");
    CHECK_ERR(sched_get_priority_max(4), EINVAL, "policy 4 is not a policy");
    CHECK_ERR(sched_get_priority_min(-1), EINVAL, "negative policy");
    CHECK_EQ(sched_getscheduler(0), SCHED_OTHER, "a new process is SCHED_OTHER");
    struct sched_param sp = {.sched_priority = 7};
    CHECK_OK(sched_getparam(0, &sp), "sched_getparam");
    CHECK_EQ(sp.sched_priority, 0, "a fair task's priority is 0");
    sp.sched_priority = 0;
    CHECK_ERR(sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL, "FIFO with priority 0");
    sp.sched_priority = 100;
    CHECK_ERR(sched_setscheduler(0, SCHED_RR, &sp), EINVAL, "RR with priority 100");
    sp.sched_priority = 1;
    CHECK_ERR(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL, "OTHER with priority 1");
    CHECK_ERR(sched_setscheduler(0, 4, &sp), EINVAL, "policy 4");
    CHECK_ERR(sched_setscheduler(-1, SCHED_OTHER, &sp), EINVAL, "negative pid");
    CHECK_ERR(sched_setscheduler(0x3fffffff, SCHED_OTHER, &sp), ESRCH, "no such pid");
    CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL, "NULL param");
    CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL, "getparam NULL");
    CHECK_ERR(sched_getscheduler(-5), EINVAL, "getscheduler negative pid");

    struct timespec ts;
    CHECK_OK(sched_rr_get_interval(0, &ts), "sched_rr_get_interval");
    CHECK_EQ(ts.tv_sec * 1000000000LL + ts.tv_nsec, bore ? 2000000 : 0, "a fair task's interval: its slice in whole ticks (BORE 2 ms, EEVDF 0.7 ms → 0)");

    sp.sched_priority = 10;
    CHECK_OK(sched_setscheduler(0, SCHED_FIFO, &sp), "root may become SCHED_FIFO");
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO, "now FIFO");
    sp.sched_priority = 0;
    sched_getparam(0, &sp);
    CHECK_EQ(sp.sched_priority, 10, "priority 10");
    CHECK_EQ(sched_field("policy"), 1, "/proc/self/sched policy");
    CHECK_EQ(sched_field("prio"), 89, "/proc/self/sched prio is 99 - rt_priority");
    CHECK_OK(sched_rr_get_interval(0, &ts), "rr interval of FIFO");
    CHECK_EQ(ts.tv_sec * 1000000000LL + ts.tv_nsec, 0, "a FIFO task has no quantum");
    sp.sched_priority = 20;
    CHECK_OK(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp), "RR with reset-on-fork");
    CHECK_EQ(sched_getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK, "getscheduler shows the flag");
    CHECK_OK(sched_rr_get_interval(0, &ts), "rr interval of RR");
    CHECK_EQ(ts.tv_sec * 1000000000LL + ts.tv_nsec, 100000000, "the RR quantum is 100 ms");
    pid_t c = fork();
    if (c == 0)
        _exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child of a reset-on-fork RR task is SCHED_OTHER");
    sp.sched_priority = 5;
    CHECK_OK(sched_setparam(0, &sp), "sched_setparam keeps the policy");
    CHECK_EQ(sched_getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK, "still RR");
    sp.sched_priority = 0;
    CHECK_OK(sched_setscheduler(0, SCHED_OTHER, &sp), "back to SCHED_OTHER");
    CHECK_EQ(sched_field("prio"), 120, "prio 120 again");
}

static void attrs(void)
{
    struct sched_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    CHECK_OK(sys_getattr(0, &a, sizeof a, 0), "sched_getattr");
    CHECK_EQ(a.size, 56, "size is the kernel's struct");
    CHECK_EQ(a.sched_policy, SCHED_OTHER, "policy");
    CHECK_EQ(a.sched_runtime, bore ? 2000000 : 700000, "sched_runtime reports the slice");
    CHECK_ERR(sys_getattr(0, &a, 47, 0), EINVAL, "getattr size below VER0");
    CHECK_ERR(sys_getattr(0, &a, sizeof a, 1), EINVAL, "getattr flags");
    memset(&a, 0xee, sizeof a);
    CHECK_OK(sys_getattr(0, &a, 48, 0), "getattr with a VER0 struct");
    CHECK_EQ(a.size, 48, "size is the caller's");
    CHECK_EQ(a.sched_util_min, 0xeeeeeeee, "nothing written beyond it");

    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_runtime = 5000;
    CHECK_OK(sys_setattr(0, &a, 0), "sched_runtime 5 us");
    sys_getattr(0, &a, sizeof a, 0);
    CHECK_EQ(a.sched_runtime, 100000, "clamped to 0.1 ms");
    CHECK_EQ(sched_field("se.custom_slice"), 1, "a custom slice");
    a.sched_runtime = 1000000000;
    CHECK_OK(sys_setattr(0, &a, 0), "sched_runtime 1 s");
    sys_getattr(0, &a, sizeof a, 0);
    CHECK_EQ(a.sched_runtime, 100000000, "clamped to 100 ms");
    a.sched_runtime = 0;
    CHECK_OK(sys_setattr(0, &a, 0), "sched_runtime 0");
    sys_getattr(0, &a, sizeof a, 0);
    CHECK_EQ(a.sched_runtime, bore ? 2000000 : 700000, "back to the base slice");

    memset(&a, 0, sizeof a);
    a.size = 0; /* ABI quirk: 0 means VER0 */
    a.sched_nice = 30;
    CHECK_OK(sys_setattr(0, &a, 0), "size 0 is VER0; nice 30 is clamped");
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19, "nice 19");
    a.size = 40;
    CHECK_ERR(sys_setattr(0, &a, 0), E2BIG, "size 40 is E2BIG");
    CHECK_EQ(a.size, 56, "and the kernel's size is written back");
    static unsigned char big[4096];
    memset(big, 0, sizeof big);
    ((struct sched_attr *)big)->size = sizeof big;
    CHECK_OK(sys_setattr(0, big, 0), "a larger struct with zeroes beyond is accepted");
    big[100] = 1;
    CHECK_ERR(sys_setattr(0, big, 0), E2BIG, "a larger struct with unknown fields set is E2BIG");
    CHECK_ERR(sys_setattr(0, &a, 1), EINVAL, "setattr flags");
    CHECK_ERR(sys_setattr(0, NULL, 0), EINVAL, "setattr NULL");
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = SCHED_IDLE;
    CHECK_OK(sys_setattr(0, &a, 0), "SCHED_IDLE");
    CHECK_EQ(sched_getscheduler(0), SCHED_IDLE, "now SCHED_IDLE");
    CHECK_EQ(sched_field("se.load.weight"), 3 * 1024, "the idle weight");
    a.sched_policy = SCHED_BATCH;
    CHECK_OK(sys_setattr(0, &a, 0), "root may leave SCHED_IDLE");
    a.sched_policy = SCHED_OTHER;
    a.sched_flags = 0x08; /* SCHED_FLAG_KEEP_POLICY */
    a.sched_nice = 3;
    CHECK_OK(sys_setattr(0, &a, 0), "KEEP_POLICY changes only the parameters");
    CHECK_EQ(sched_getscheduler(0), SCHED_BATCH, "still BATCH");
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 3, "nice 3");
    a.sched_flags = 0;
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = 0;
    sys_setattr(0, &a, 0);
}

static void unprivileged_nice(void)
{
    struct rlimit rl = {5, 5};
    setrlimit(RLIMIT_RTPRIO, &rl);
    setpriority(PRIO_PROCESS, 0, 6);
    if (setuid(65534) != 0) {
        kt_fail("setuid", "errno %d", errno);
        return;
    }
    CHECK_ERR(setpriority(PRIO_PROCESS, 0, 0), EACCES, "raising priority beyond RLIMIT_NICE is EACCES");
    errno = 0;
    CHECK_EQ(nice(-1), -1, "nice(-1) fails");
    CHECK_EQ(errno, EPERM, "with EPERM (glibc's nice)");
    CHECK_OK(setpriority(PRIO_PROCESS, 0, 10), "lowering priority is allowed");
    CHECK_ERR(setpriority(PRIO_PROCESS, getppid(), 5), EPERM, "another user's process is EPERM");
    struct sched_param sp = {.sched_priority = 5};
    CHECK_OK(sched_setscheduler(0, SCHED_FIFO, &sp), "RLIMIT_RTPRIO 5 allows FIFO 5");
    sp.sched_priority = 6;
    CHECK_ERR(sched_setscheduler(0, SCHED_FIFO, &sp), EPERM, "but not FIFO 6");
    sp.sched_priority = 0;
    CHECK_OK(sched_setscheduler(0, SCHED_OTHER, &sp), "back to SCHED_OTHER");
    struct sched_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = 5;
    CHECK_ERR(sys_setattr(0, &a, 0), EPERM, "sched_setattr with a lower nice than the task's (5 < 10) needs RLIMIT_NICE");
    a.sched_policy = SCHED_IDLE;
    CHECK_OK(sys_setattr(0, &a, 0), "an unprivileged task may go SCHED_IDLE (its nice is not set)");
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = 10;
    CHECK_ERR(sys_setattr(0, &a, 0), EPERM, "but not come back without RLIMIT_NICE");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CHECK_ERR(sched_setaffinity(getppid(), sizeof set, &set), EPERM, "another user's affinity is EPERM");
}

static void nice_values(void)
{
    CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20, "the raw getpriority is 20 - nice");
    CHECK_OK(setpriority(PRIO_PROCESS, 0, 5), "setpriority 5");
    CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 15, "raw 15");
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5, "libc 5");
    errno = 0;
    CHECK_EQ(nice(1), 6, "nice(1) is 6");
    CHECK_OK(setpriority(PRIO_PROCESS, 0, -30), "root may raise priority; -30 is clamped");
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20, "nice -20");
    CHECK_EQ(sched_field("se.load.weight"), 88761 * 1024, "nice -20's weight");
    CHECK_ERR(setpriority(3, 0, 0), EINVAL, "which 3");
    CHECK_ERR(getpriority(PRIO_PROCESS, 0x3fffffff), ESRCH, "getpriority of no one");
    CHECK_ERR(setpriority(PRIO_PROCESS, 0x3fffffff, 0), ESRCH, "setpriority of no one");
    CHECK_OK(setpriority(PRIO_PGRP, 0, 2), "PRIO_PGRP");
    CHECK_EQ(getpriority(PRIO_PGRP, 0), 2, "the group's best");
    CHECK_OK(setpriority(PRIO_USER, 0, 0), "PRIO_USER");
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "nice 0 again");
    in_child("unprivileged: EACCES, EPERM, RLIMIT_RTPRIO, SCHED_IDLE", unprivileged_nice);
    struct rlimit rl = {30, 30};
    pid_t c = fork();
    if (c == 0) {
        setrlimit(RLIMIT_NICE, &rl);
        setuid(65534);
        int ok = setpriority(PRIO_PROCESS, 0, -10) == 0 && setpriority(PRIO_PROCESS, 0, -11) == -1 && errno == EACCES;
        _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_NICE 30 allows nice -10, not -11");
}

static void affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(syscall(SYS_sched_getaffinity, 0, sizeof set, &set), 8, "getaffinity returns one long");
    CHECK(CPU_ISSET(0, &set) && CPU_COUNT(&set) == 1, "one CPU");
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL, "a 4-byte mask");
    CHECK_OK(sched_setaffinity(0, sizeof set, &set), "setaffinity to CPU 0");
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    CHECK_ERR(sched_setaffinity(0, sizeof set, &set), EINVAL, "no CPU 1");
    CHECK_ERR(sched_setaffinity(0x3fffffff, sizeof set, &set), ESRCH, "no such task");
    CHECK_OK(sched_yield(), "sched_yield");
}

static void procfiles(void)
{
    char buf[4096];
    CHECK(read_file("/proc/loadavg", buf, sizeof buf) != NULL, "/proc/loadavg");
    double l1, l5, l15;
    int run, all, last;
    CHECK_EQ(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last), 6, "its six fields");
    CHECK(run >= 1 && all >= run && last >= getpid(), "running/total and the last pid");
    CHECK(read_file("/proc/self/sched", buf, sizeof buf) != NULL, "/proc/self/sched");
    CHECK(strstr(buf, "se.vruntime") && strstr(buf, "se.sum_exec_runtime") && strstr(buf, "nr_switches"), "its fields");
    if (bore) {
        CHECK_STR(read_file("/proc/sys/kernel/sched_bore", buf, sizeof buf), "1\n", "kernel.sched_bore is 1");
        CHECK_STR(read_file("/proc/sys/kernel/sched_burst_penalty_offset", buf, sizeof buf), "24\n", "penalty offset 24");
        CHECK_STR(read_file("/proc/sys/kernel/sched_burst_penalty_scale", buf, sizeof buf), "1280\n", "penalty scale 1280");
        CHECK_STR(read_file("/proc/sys/kernel/sched_burst_cache_lifetime", buf, sizeof buf), "75000000\n", "cache lifetime");
        FILE *f = fopen("/proc/sys/kernel/sched_burst_penalty_offset", "w");
        CHECK(f && fputs("20\n", f) >= 0 && fclose(f) == 0, "write the penalty offset");
        CHECK_STR(read_file("/proc/sys/kernel/sched_burst_penalty_offset", buf, sizeof buf), "20\n", "it reads back");
        int fd = open("/proc/sys/kernel/sched_bore", O_WRONLY);
        CHECK_ERR(write(fd, "7\n", 2), EINVAL, "sched_bore 7 is out of range");
        close(fd);
        f = fopen("/proc/sys/kernel/sched_burst_penalty_offset", "w");
        fputs("24", f);
        fclose(f);
    } else {
        CHECK(access("/proc/sys/kernel/sched_bore", F_OK) != 0, "no BORE sysctls under EEVDF");
    }
    CHECK_STR(read_file("/proc/sys/kernel/sched_rr_timeslice_ms", buf, sizeof buf), "100\n", "sched_rr_timeslice_ms");
}

static long long ts_ns(struct timespec ts) { return ts.tv_sec * 1000000000LL + ts.tv_nsec; }

static volatile int spun;

static void *spin_thread(void *arg)
{
    volatile long *stop = arg;
    while (!*stop) {
    }
    spun = 1;
    return NULL;
}

static void clocks_unprivileged(void)
{
    setuid(65534);
    struct timespec ts = {1800000000, 0};
    CHECK_ERR(clock_settime(CLOCK_REALTIME, &ts), EPERM, "clock_settime needs privilege");
    struct timeval tv = {1800000000, 0};
    CHECK_ERR(settimeofday(&tv, NULL), EPERM, "settimeofday needs privilege");
}

static void clocks(void)
{
    struct timespec ts, res;
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res), "getres MONOTONIC");
    CHECK_EQ(ts_ns(res), 1, "1 ns");
    CHECK_OK(clock_getres(CLOCK_MONOTONIC_COARSE, &res), "getres MONOTONIC_COARSE");
    CHECK_EQ(ts_ns(res), 1000000, "a tick: 1 ms");
    CHECK_OK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res), "getres PROCESS_CPUTIME_ID");
    CHECK_EQ(ts_ns(res), 1, "1 ns");
    struct timespec c, m;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &c);
    clock_gettime(CLOCK_MONOTONIC, &m);
    CHECK(ts_ns(c) <= ts_ns(m) && ts_ns(c) % 1000000 == 0, "the coarse clock is the last tick");
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    CHECK(ts_ns(ts) >= ts_ns(m), "MONOTONIC_RAW");
    clock_gettime(CLOCK_BOOTTIME, &ts);
    CHECK(ts_ns(ts) >= ts_ns(m), "BOOTTIME");

    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    CHECK_ERR(clock_settime(CLOCK_MONOTONIC, &ts), EINVAL, "MONOTONIC cannot be set");
    /* The process and thread CPU clocks have no clock_set (EINVAL); a clock
       id from clock_getcpuclockid is refused with EPERM (posix_cpu_clock_set). */
    CHECK_ERR(clock_settime(CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL, "a CPU clock cannot be set");
    CHECK_ERR(clock_settime(99, &ts), EINVAL, "no clock 99");
    ts.tv_sec = 1800000000;
    ts.tv_nsec = 1000000000;
    CHECK_ERR(clock_settime(CLOCK_REALTIME, &ts), EINVAL, "tv_nsec out of range");
    ts.tv_nsec = 0;
    clock_gettime(CLOCK_MONOTONIC, &m);
    CHECK_OK(clock_settime(CLOCK_REALTIME, &ts), "root sets CLOCK_REALTIME");
    struct timespec r, m2;
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    CHECK(r.tv_sec == 1800000000 && ts_ns(m2) >= ts_ns(m), "the wall clock moved; the monotonic clock did not");
    /* An absolute REALTIME sleep ends at its wall time. */
    struct timespec when = r;
    when.tv_nsec += 30000000;
    if (when.tv_nsec >= 1000000000) {
        when.tv_sec++;
        when.tv_nsec -= 1000000000;
    }
    CHECK_OK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &when, NULL), "clock_nanosleep REALTIME ABSTIME");
    clock_gettime(CLOCK_REALTIME, &r);
    CHECK(ts_ns(r) >= ts_ns(when), "woke at or after the wall time");
    struct timeval tv = {1700000000, 0};
    struct timezone tz = {-60, 0};
    CHECK_OK(settimeofday(&tv, NULL), "settimeofday");
    CHECK_OK(settimeofday(NULL, &tz), "settimeofday of the zone (glibc wants them apart)");
    struct timeval tv2;
    struct timezone tz2 = {0, 0};
    syscall(SYS_gettimeofday, &tv2, &tz2); /* glibc zeroes the zone itself */
    CHECK(tv2.tv_sec == 1700000000 && tz2.tz_minuteswest == -60, "gettimeofday sees the new time and zone");
    tz.tz_minuteswest = 1000;
    CHECK_ERR(settimeofday(NULL, &tz), EINVAL, "a zone beyond 15 hours");
    tv.tv_usec = 1000001;
    CHECK_ERR(settimeofday(&tv, NULL), EINVAL, "tv_usec out of range");
    in_child("unprivileged clock_settime and settimeofday are EPERM", clocks_unprivileged);

    /* CPU clocks of a thread and of the process. */
    volatile long stop = 0;
    pthread_t th;
    pthread_create(&th, NULL, spin_thread, (void *)&stop);
    clockid_t tc;
    CHECK_OK(pthread_getcpuclockid(th, &tc), "pthread_getcpuclockid");
    struct timespec a, b;
    clock_gettime(tc, &a);
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    clock_gettime(tc, &b);
    CHECK(ts_ns(b) > ts_ns(a), "another thread's CPU clock advances while it runs");
    stop = 1;
    while (!spun)
        sched_yield();
    pthread_detach(th);
    clockid_t pc;
    CHECK_OK(clock_getcpuclockid(getppid() > 1 ? getpid() : getpid(), &pc), "clock_getcpuclockid");
    CHECK_OK(clock_gettime(pc, &a), "the process CPU clock by pid");
    CHECK_ERR(clock_gettime(((~(clockid_t)1) << 3) | 6, &a), EINVAL, "a thread clock of another process's thread (pid 1) is EINVAL");
}

/* Setting the clock: an absolute REALTIME timerfd with TFD_TIMER_CANCEL_ON_SET
 * is canceled (ECANCELED once, then nothing until set again); an absolute
 * REALTIME POSIX timer follows the wall clock, a relative one does not. */
static volatile sig_atomic_t timer_fired;
static void on_timer(int sig) { (void)sig; timer_fired = 1; }
static void clock_set_events(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    struct itimerspec far = {{0, 0}, {now.tv_sec + 100, 0}};
    CHECK_OK(timerfd_settime(tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL), "arm a CANCEL_ON_SET timerfd 100 s ahead");
    int plain = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    CHECK_OK(timerfd_settime(plain, TFD_TIMER_ABSTIME, &far, NULL), "and one without CANCEL_ON_SET");
    uint64_t n;
    CHECK_ERR(read(tfd, &n, 8), EAGAIN, "nothing to read before the clock is set");

    signal(SIGALRM, on_timer);
    timer_t tid;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    CHECK_OK(timer_create(CLOCK_REALTIME, &ev, &tid), "timer_create REALTIME");
    struct itimerspec at = {{0, 0}, {now.tv_sec + 50, 0}};
    CHECK_OK(timer_settime(tid, TIMER_ABSTIME, &at, NULL), "arm an absolute REALTIME POSIX timer 50 s ahead");
    timer_t rel;
    CHECK_OK(timer_create(CLOCK_REALTIME, &ev, &rel), "timer_create REALTIME (relative)");
    struct itimerspec in50 = {{0, 0}, {50, 0}};
    timer_settime(rel, 0, &in50, NULL);

    struct timespec later = {now.tv_sec + 60, now.tv_nsec};
    CHECK_OK(clock_settime(CLOCK_REALTIME, &later), "set the clock 60 s ahead");
    struct pollfd p = {tfd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "the CANCEL_ON_SET timerfd is readable at once");
    CHECK_ERR(read(tfd, &n, 8), ECANCELED, "... and its read is ECANCELED");
    CHECK_ERR(read(tfd, &n, 8), EAGAIN, "... once");
    CHECK_ERR(read(plain, &n, 8), EAGAIN, "the other timerfd is not canceled (its time is still ahead)");
    struct timespec nap = {0, 20000000};
    for (int i = 0; i < 50 && !timer_fired; i++)
        nanosleep(&nap, NULL);
    CHECK(timer_fired, "the absolute POSIX timer fired: its wall time passed");
    struct itimerspec left;
    timer_gettime(rel, &left);
    CHECK(left.it_value.tv_sec >= 45, "the relative one still has its ~50 s to go");
    timer_delete(tid);
    timer_delete(rel);
    CHECK_OK(timerfd_settime(tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL), "re-arming the timerfd");
    CHECK_ERR(read(tfd, &n, 8), EAGAIN, "clears the cancel");
    close(tfd);
    close(plain);
}

int main(int argc, char **argv)
{
    bore = argc > 1 && strcmp(argv[1], "bore") == 0;
    policies();
    attrs();
    nice_values();
    affinity();
    procfiles();
    clocks();
    clock_set_events();
    return kt_done();
}
