/* rlimits.c - RLIMIT_NOFILE (EMFILE), RLIMIT_NPROC against a fork bomb
 * after setuid, RLIMIT_FSIZE (SIGXFSZ/EFBIG), RLIMIT_STACK, RLIMIT_AS,
 * RLIMIT_CPU (SIGXCPU), prlimit on a child, getrusage/times monotonicity. */
#include "ktest.h"
#include <pthread.h>
#include <sys/times.h>

extern char **environ;

static long long cpu_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mode_main(int argc, char **argv)
{
    if (strcmp(argv[1], "stack") == 0 && argc == 3) { /* use argv[2] KiB of stack */
        long kib = atol(argv[2]);
        volatile char *p = alloca((size_t)kib * 1024);
        for (long i = 0; i < kib * 1024; i += 1024)
            p[i] = 1;
        return p[0] == 1 ? 0 : 1;
    }
    return 99;
}

static void nofile(void)
{
    struct rlimit saved, rl;
    getrlimit(RLIMIT_NOFILE, &saved);
    rl.rlim_cur = 16;
    rl.rlim_max = saved.rlim_max;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "RLIMIT_NOFILE soft 16");
    int last = -1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    CHECK_EQ(errno, EMFILE, "open past the limit is EMFILE");
    CHECK_EQ(last, 15, "fds 0..15 usable");
    int p[2];
    CHECK_ERR(pipe(p), EMFILE, "pipe at the limit is EMFILE");
    CHECK_ERR(dup(0), EMFILE, "dup at the limit is EMFILE");
    CHECK_ERR(dup2(0, 16), EBADF, "dup2 to an fd >= the limit is EBADF");
    CHECK_ERR(fcntl(0, F_DUPFD, 16), EINVAL, "F_DUPFD at >= the limit is EINVAL");
    close(15);
    CHECK_EQ(dup(0), 15, "closing one frees exactly one slot");
    rl.rlim_cur = 8;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "lowering the limit below open fds is allowed");
    CHECK(fcntl(12, F_GETFD) >= 0, "fds above the new limit stay open");
    CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE, "but no new fd can be opened");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        _exit(r.rlim_cur == 8 ? 0 : 1);
    }
    kt_check_exit(c, 0, "a forked child inherits the lowered limit");
    for (fd = 3; fd <= 15; fd++)
        close(fd);
    setrlimit(RLIMIT_NOFILE, &saved);
    rl.rlim_cur = rl.rlim_max = saved.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : saved.rlim_max + 1;
    if (saved.rlim_max != RLIM_INFINITY) {
        /* raising the hard limit needs CAP_SYS_RESOURCE: fine as root, EPERM after dropping it */
        c = fork();
        if (c == 0) {
            setuid(4321);
            _exit(setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EPERM ? 0 : 1);
        }
        kt_check_exit(c, 0, "an unprivileged process cannot raise its hard limit (EPERM)");
    }
}

/* ---- fork bomb under RLIMIT_NPROC ---- */
static volatile int *release; /* shared: set to 1 when everyone may exit */

/* Every process tries to fork two children (which do the same) until fork
 * fails; reports 'E' for EAGAIN, 'X' for other errors; then waits for the
 * release, reaps its children and exits with the count of processes in its
 * subtree (itself included). */
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* bomb() always ends in _exit */
static void bomb(int report, int depth)
{
    int mine = 1;
    pid_t kids[2];
    int nk = 0;
    for (int i = 0; i < 2 && depth < 12; i++) {
        pid_t c = fork();
        if (c == 0) {
            nk = 0;
            bomb(report, depth + 1);
        }
        if (c < 0) {
            write(report, errno == EAGAIN ? "E" : "X", 1);
            break;
        }
        kids[nk++] = c;
    }
    while (!*release)
        kt_msleep(2);
    for (int i = 0; i < nk; i++) {
        int st;
        if (kt_waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st))
            mine += WEXITSTATUS(st);
        else
            write(report, "L", 1);
    }
    _exit(mine);
}

static void nproc(void)
{
    if (kt_qemu()) {
        kt_skip("RLIMIT_NPROC fork bomb", "qemu-user's own helper threads count against RLIMIT_NPROC and qemu aborts "
                                          "when it cannot create them");
        return;
    }
    release = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *release = 0;
    int rep[2];
    pipe(rep);
    pid_t top = fork();
    if (top == 0) {
        close(rep[0]);
        struct rlimit rl = {12, 12};
        if (setrlimit(RLIMIT_NPROC, &rl) != 0)
            _exit(200);
        if (setgid(54321) != 0 || setuid(54321) != 0)
            _exit(201);
        bomb(rep[1], 0);
    }
    close(rep[1]);
    /* wait until the bomb has hit the limit: fork failures stop arriving */
    char buf[256];
    int e = 0, x = 0, l = 0;
    long long deadline = kt_now_ms() + 20000;
    fcntl(rep[0], F_SETFL, O_NONBLOCK);
    long long quiet_since = kt_now_ms();
    while (kt_now_ms() < deadline) {
        ssize_t n = read(rep[0], buf, sizeof buf);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++)
                e += buf[i] == 'E', x += buf[i] == 'X';
            quiet_since = kt_now_ms();
        } else if (e > 0 && kt_now_ms() - quiet_since > 300) {
            break;
        } else {
            kt_msleep(5);
        }
    }
    *release = 1;
    int st;
    CHECK_EQ(kt_waitpid(top, &st, 0), top, "the bomb's top process is reaped");
    fcntl(rep[0], F_SETFL, 0);
    ssize_t n;
    while ((n = read(rep[0], buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            e += buf[i] == 'E', x += buf[i] == 'X', l += buf[i] == 'L';
    close(rep[0]);
    CHECK(e > 0, "fork fails with EAGAIN once RLIMIT_NPROC (12) is reached for the uid");
    CHECK_EQ(x, 0, "no fork failed with another errno");
    CHECK_EQ(l, 0, "every process reaped all its children with an exit status");
    int total = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    kt_check(total == 12, "exactly 12 processes of that uid existed at the peak", "%d processes (%s)", total,
                 kt_wstr(st));
    CHECK_ERR(kt_waitpid(-1, NULL, WNOHANG), ECHILD, "the test survived and nothing is left to reap");

    /* root is not limited by RLIMIT_NPROC */
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {1, 1};
        setrlimit(RLIMIT_NPROC, &rl);
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        if (g < 0)
            _exit(1);
        kt_waitpid(g, NULL, 0);
        _exit(0);
    }
    kt_check_exit(c, 0, "root can fork past RLIMIT_NPROC");
    munmap((void *)release, 4096);
}

static volatile int xfsz_count;
static void on_xfsz(int s)
{
    (void)s;
    xfsz_count++;
}

static void fsize(void)
{
    kt_mktemp("rlimits");
    const char *path = kt_path("big");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {10000, 10000};
        setrlimit(RLIMIT_FSIZE, &rl);
        signal(SIGXFSZ, on_xfsz);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        static char data[8192];
        int bad = 0;
        if (write(fd, data, 8192) != 8192)
            bad |= 1;
        if (write(fd, data, 8192) != 10000 - 8192)
            bad |= 2; /* partial write up to the limit */
        errno = 0;
        if (write(fd, data, 10) != -1 || errno != EFBIG)
            bad |= 4;
        if (xfsz_count != 1)
            bad |= 8;
        if (pwrite(fd, data, 1, 20000) != -1 || errno != EFBIG)
            bad |= 16;
        if (xfsz_count != 2)
            bad |= 32;
        if (ftruncate(fd, 50000) != -1 || errno != EFBIG)
            bad |= 64;
        close(fd);
        _exit(bad);
    }
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "RLIMIT_FSIZE 10000: partial write to the limit, then EFBIG + SIGXFSZ (write, pwrite, ftruncate)",
             "%s (bits: 1 first write, 2 partial, 4 EFBIG, 8 SIGXFSZ, 16 pwrite, 32 2nd SIGXFSZ, 64 ftruncate)",
             kt_wstr(st));
    struct stat sb;
    sb.st_size = -1;
    stat(path, &sb);
    CHECK_EQ(sb.st_size, 10000, "the file stopped at exactly 10000 bytes");

    c = fork();
    if (c == 0) {
        struct rlimit rl = {100, 100};
        setrlimit(RLIMIT_FSIZE, &rl);
        int fd = open(path, O_WRONLY | O_TRUNC);
        static char data[200];
        write(fd, data, 200); /* partial: 100 */
        write(fd, data, 1);   /* SIGXFSZ default action */
        _exit(0);
    }
    kt_check_killed(c, SIGXFSZ, "SIGXFSZ's default action terminates the writer");
    kt_cleanup();
}

static void stack_limit(void)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {512 * 1024, 512 * 1024};
        setrlimit(RLIMIT_STACK, &rl);
        char *argv[] = {kt_self, (char *)"stack", (char *)"128", NULL};
        kt_exec(kt_self, argv, environ);
        _exit(127);
    }
    kt_check_exit(c, 0, "RLIMIT_STACK 512 KiB: 128 KiB of stack is fine");
    c = fork();
    if (c == 0) {
        struct rlimit rl = {512 * 1024, 512 * 1024};
        setrlimit(RLIMIT_STACK, &rl);
        char *argv[] = {kt_self, (char *)"stack", (char *)"4096", NULL};
        kt_exec(kt_self, argv, environ);
        _exit(127);
    }
    if (kt_qemu()) {
        kt_waitpid(c, NULL, 0);
        kt_skip("RLIMIT_STACK 512 KiB: using 4 MiB of stack dies with SIGSEGV",
                "qemu-user ignores RLIMIT_STACK below its 8 MiB default guest stack");
    } else {
        kt_check_killed(c, SIGSEGV, "RLIMIT_STACK 512 KiB: using 4 MiB of stack dies with SIGSEGV");
    }
    c = fork();
    if (c == 0) {
        struct rlimit rl = {16 << 20, 16 << 20};
        setrlimit(RLIMIT_STACK, &rl);
        char *argv[] = {kt_self, (char *)"stack", (char *)"4096", NULL};
        kt_exec(kt_self, argv, environ);
        _exit(127);
    }
    kt_check_exit(c, 0, "RLIMIT_STACK 16 MiB: 4 MiB of stack is fine");
}

static void as_cpu(void)
{
    pid_t c = kt_qemu() ? -1 : fork();
    if (c == 0) {
        struct rlimit rl = {256 << 20, 256 << 20};
        setrlimit(RLIMIT_AS, &rl);
        void *big = mmap(NULL, 512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (big != MAP_FAILED || errno != ENOMEM)
            _exit(2);
        void *small = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (small == MAP_FAILED)
            _exit(3);
        if (malloc(400 << 20) != NULL)
            _exit(4);
        _exit(0);
    }
    if (c < 0)
        kt_skip("RLIMIT_AS 256 MiB: a 512 MiB mmap is ENOMEM, 16 MiB works, malloc(400 MiB) fails",
                "qemu-user silently ignores setrlimit(RLIMIT_AS)");
    else
        kt_check_exit(c, 0, "RLIMIT_AS 256 MiB: a 512 MiB mmap is ENOMEM, 16 MiB works, malloc(400 MiB) fails");

    c = fork();
    if (c == 0) {
        struct rlimit rl = {1, 2};
        setrlimit(RLIMIT_CPU, &rl);
        volatile unsigned long x = 0;
        long long t0 = kt_now_ms();
        while (cpu_ms(CLOCK_PROCESS_CPUTIME_ID) < 3000 && kt_now_ms() - t0 < 10000)
            for (int i = 0; i < 100000; i++)
                x += i;
        _exit(0);
    }
    kt_check_killed(c, SIGXCPU, "RLIMIT_CPU 1 s: a busy loop gets SIGXCPU");

    /* prlimit on a child */
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        char x;
        close(p[1]);
        read(p[0], &x, 1);
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        _exit(r.rlim_cur == 20 ? 0 : 1);
    }
    close(p[0]);
    struct rlimit nl, ol;
    getrlimit(RLIMIT_NOFILE, &nl);
    nl.rlim_cur = 20;
    CHECK_EQ(prlimit(c, RLIMIT_NOFILE, &nl, &ol), 0, "prlimit sets a child's limit");
    close(p[1]);
    kt_check_exit(c, 0, "the child sees the limit set by prlimit");
}

static long long tv_us(struct timeval tv)
{
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Burn 40 ms of this thread's CPU time (at most 3 s of wall time). */
static void *burn(void *arg)
{
    volatile unsigned long x = 0;
    long long t0 = kt_now_ms(), c0 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    while (cpu_ms(CLOCK_THREAD_CPUTIME_ID) - c0 < 40 && kt_now_ms() - t0 < 3000)
        for (int i = 0; i < 10000; i++)
            x += i;
    return arg;
}

static void usage(void)
{
    struct rusage prev, cur;
    struct tms tprev, tcur;
    getrusage(RUSAGE_SELF, &prev);
    clock_t cprev = times(&tprev), ccur;
    int mono = 1, tmono = 1;
    volatile unsigned long x = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 50000; i++)
            x += i;
        getrusage(RUSAGE_SELF, &cur);
        ccur = times(&tcur);
        if (tv_us(cur.ru_utime) < tv_us(prev.ru_utime) || tv_us(cur.ru_stime) < tv_us(prev.ru_stime))
            mono = 0;
        if (ccur < cprev || tcur.tms_utime < tprev.tms_utime || tcur.tms_stime < tprev.tms_stime)
            tmono = 0;
        prev = cur;
        tprev = tcur;
        cprev = ccur;
    }
    CHECK(mono, "getrusage(RUSAGE_SELF) user and system times never decrease");
    CHECK(tmono, "times() return value and tms_utime/tms_stime never decrease");
    struct rusage before;
    getrusage(RUSAGE_SELF, &before);
    clock_t c0 = times(&tprev);
    burn(NULL);
    getrusage(RUSAGE_SELF, &cur);
    clock_t c1 = times(&tcur);
    long long used = tv_us(cur.ru_utime) + tv_us(cur.ru_stime) - tv_us(before.ru_utime) - tv_us(before.ru_stime);
    kt_check(used >= 30000, "40 ms of CPU-bound loop shows up in getrusage", "%lld us", used);
    kt_check(c1 - c0 >= 2, "times() elapsed ticks advance (>= 2 ticks for 40 ms at 100 Hz)", "%ld ticks",
             (long)(c1 - c0));
    CHECK(cur.ru_maxrss > 0, "ru_maxrss is positive");

    /* threads count for RUSAGE_SELF; RUSAGE_THREAD is per thread */
    struct rusage th0, th1, s0, s1;
    getrusage(RUSAGE_THREAD, &th0);
    getrusage(RUSAGE_SELF, &s0);
    pthread_t t;
    pthread_create(&t, NULL, burn, NULL);
    pthread_join(t, NULL);
    getrusage(RUSAGE_THREAD, &th1);
    getrusage(RUSAGE_SELF, &s1);
    long long self_d = tv_us(s1.ru_utime) + tv_us(s1.ru_stime) - tv_us(s0.ru_utime) - tv_us(s0.ru_stime);
    long long thr_d = tv_us(th1.ru_utime) + tv_us(th1.ru_stime) - tv_us(th0.ru_utime) - tv_us(th0.ru_stime);
    kt_check(self_d >= 30000, "a joined thread's CPU time counts in RUSAGE_SELF", "+%lld us", self_d);
    kt_check(thr_d < self_d / 2, "RUSAGE_THREAD of the (sleeping) main thread does not include it",
             "thread +%lld us, self +%lld us", thr_d, self_d);

    /* children */
    struct rusage ch0, ch1;
    getrusage(RUSAGE_CHILDREN, &ch0);
    times(&tprev);
    pid_t c = fork();
    if (c == 0) {
        burn(NULL);
        _exit(0);
    }
    kt_waitpid(c, NULL, 0);
    getrusage(RUSAGE_CHILDREN, &ch1);
    times(&tcur);
    long long ch_d = tv_us(ch1.ru_utime) + tv_us(ch1.ru_stime) - tv_us(ch0.ru_utime) - tv_us(ch0.ru_stime);
    kt_check(ch_d >= 30000, "RUSAGE_CHILDREN grows by a reaped child's CPU time", "+%lld us", ch_d);
    kt_check(tcur.tms_cutime + tcur.tms_cstime > tprev.tms_cutime + tprev.tms_cstime,
             "times() tms_cutime/tms_cstime grow after reaping", "%ld+%ld -> %ld+%ld", (long)tprev.tms_cutime,
             (long)tprev.tms_cstime, (long)tcur.tms_cutime, (long)tcur.tms_cstime);
    CHECK_ERR(getrusage(5, &cur), EINVAL, "getrusage with a bad who is EINVAL");
}

int main(int argc, char **argv)
{
    if (argc >= 2)
        return mode_main(argc, argv);
    kt_init(argc, argv);
    kt_watchdog(60);
    nofile();
    nproc();
    fsize();
    stack_limit();
    as_cpu();
    usage();
    return kt_done();
}
