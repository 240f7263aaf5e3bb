/* polling.c - select/pselect6 and poll/ppoll: readiness of pipes and files,
 * timeouts (and the remaining time select writes back), EINTR, the atomic
 * signal mask of pselect6/ppoll, POLLNVAL, negative fds, many fds. */
#include "ktest.h"
#include <sys/select.h>
#include <sys/resource.h>

static volatile int usr1;
static void on_usr1(int s)
{
    (void)s;
    usr1++;
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 0, "select: an empty pipe is not readable");
    CHECK(!FD_ISSET(p[0], &r), "select clears unready fds");
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    CHECK_EQ(select(p[1] + 1, NULL, &w, NULL, &tv), 1, "select: the write end is writable");
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    int maxfd = p[0] > p[1] ? p[0] : p[1];
    CHECK_EQ(select(maxfd + 1, &r, &w, NULL, &tv), 2, "select counts ready fds over both sets");
    CHECK(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "select sets both");
    char c;
    read(p[0], &c, 1);

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 150000;
    long long t0 = vt_now_ms();
    int n = select(p[0] + 1, &r, NULL, NULL, &tv);
    long long dt = vt_now_ms() - t0;
    CHECK_EQ(n, 0, "select times out");
    kt_check(dt >= 140 && dt < 10000, "select waits about its timeout (150 ms)", "%lld ms", dt);
    CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "select writes back the remaining time (0)");

    pid_t pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        write(p[1], "y", 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    n = select(p[0] + 1, &r, NULL, NULL, &tv);
    CHECK(n == 1 && FD_ISSET(p[0], &r), "select wakes when a child writes");
    CHECK(tv.tv_sec < 5 && tv.tv_sec >= 1, "select leaves the unused time in the timeval");
    vt_reap(pid);
    read(p[0], &c, 1);

    int f = open("/dev/null", O_RDWR);
    FD_ZERO(&r);
    FD_SET(f, &r);
    FD_ZERO(&w);
    FD_SET(f, &w);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    CHECK_EQ(select(f + 1, &r, &w, NULL, &tv), 2, "a character device/file is always ready");
    close(f);
    FD_ZERO(&r);
    FD_SET(f, &r);
    CHECK_ERR(select(f + 1, &r, NULL, NULL, &tv), EBADF, "select on a closed fd is EBADF");
    CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL, "select with nfds -1 is EINVAL");
    tv.tv_usec = -1;
    CHECK_ERR(select(0, NULL, NULL, NULL, &tv), EINVAL, "select with a negative timeout is EINVAL");

    /* EINTR */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    usr1 = 0;
    errno = 0;
    n = select(p[0] + 1, &r, NULL, NULL, &tv);
    CHECK(n == -1 && errno == EINTR && usr1 == 1, "a signal interrupts select with EINTR");
    vt_reap(pid);

    /* pselect6's mask: a pending blocked signal is delivered inside */
    sigset_t block, empty, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    CHECK_EQ(usr1, 1, "SIGUSR1 blocked: still pending");
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec ts = {5, 0};
    t0 = vt_now_ms();
    errno = 0;
    n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &empty);
    CHECK(n == -1 && errno == EINTR && usr1 == 2, "pselect with an empty mask takes the pending SIGUSR1 (EINTR)");
    CHECK(vt_now_ms() - t0 < 4000, "... at once");
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "the old mask (SIGUSR1 blocked) is back after pselect");
    ts.tv_sec = 0;
    ts.tv_nsec = 50000000;
    write(p[1], "z", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &block);
    CHECK_EQ(n, 1, "pselect with a mask still reports ready fds");
    read(p[0], &c, 1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    signal(SIGUSR1, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

static void polls(void)
{
    int p[2];
    pipe(p);
    struct pollfd pf[3];
    pf[0] = (struct pollfd){p[0], POLLIN, 0};
    pf[1] = (struct pollfd){p[1], POLLOUT, 0};
    pf[2] = (struct pollfd){-1, POLLIN, 77};
    CHECK_EQ(poll(pf, 3, 0), 1, "poll: only the write end is ready");
    CHECK(pf[0].revents == 0 && pf[1].revents == POLLOUT, "revents: 0 and POLLOUT");
    CHECK_EQ(pf[2].revents, 0, "a negative fd is ignored and its revents zeroed");
    int closed = dup(0);
    close(closed);
    struct pollfd bad = {closed, POLLIN, 0};
    CHECK(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "a closed fd gives POLLNVAL");
    write(p[1], "x", 1);
    struct pollfd z = {p[0], 0, 0};
    CHECK_EQ(poll(&z, 1, 0), 0, "events 0 on a readable pipe reports nothing");
    long long t0 = vt_now_ms();
    struct pollfd e = {p[1], POLLIN, 0};
    CHECK_EQ(poll(&e, 1, 120), 0, "poll times out");
    long long dt = vt_now_ms() - t0;
    kt_check(dt >= 110 && dt < 10000, "poll waits about its timeout (120 ms)", "%lld ms", dt);
    char c;
    read(p[0], &c, 1);

    pid_t pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        write(p[1], "y", 1);
        _exit(0);
    }
    pf[0].revents = 0;
    CHECK(poll(pf, 1, -1) == 1 && pf[0].revents == POLLIN, "poll(-1) wakes when a child writes");
    vt_reap(pid);
    read(p[0], &c, 1);

    /* ppoll's mask */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, empty, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    usr1 = 0;
    raise(SIGUSR1);
    struct timespec ts = {5, 0};
    errno = 0;
    int n = ppoll(pf, 1, &ts, &empty);
    CHECK(n == -1 && errno == EINTR && usr1 == 1, "ppoll with an empty mask takes the pending SIGUSR1 (EINTR)");
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "the old mask is back after ppoll");
    /* ppoll with the signal blocked sleeps through it */
    pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        vt_msleep(150);
        write(p[1], "w", 1);
        _exit(0);
    }
    usr1 = 0;
    n = ppoll(pf, 1, NULL, &block);
    CHECK(n == 1 && usr1 == 0, "ppoll with SIGUSR1 in its mask is not interrupted by it");
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    CHECK_EQ(usr1, 1, "the signal is delivered once unblocked");
    vt_reap(pid);
    read(p[0], &c, 1);
    signal(SIGUSR1, SIG_DFL);
    ts.tv_sec = 0;
    ts.tv_nsec = 20000000;
    t0 = vt_now_ms();
    CHECK_EQ(ppoll(pf, 1, &ts, NULL), 0, "ppoll times out (20 ms)");
    CHECK(vt_now_ms() - t0 >= 15, "... after about 20 ms");
    ts.tv_nsec = 1000000000;
    CHECK_ERR(ppoll(pf, 1, &ts, NULL), EINVAL, "ppoll with tv_nsec 1e9 is EINVAL");

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    static struct pollfd many[4096];
    if (rl.rlim_cur < 4096) {
        for (int i = 0; i < 4096; i++)
            many[i] = (struct pollfd){-1, 0, 0};
        CHECK_ERR(poll(many, rl.rlim_cur + 1, 0), EINVAL, "poll with nfds > RLIMIT_NOFILE is EINVAL");
    }
    close(p[0]);
    close(p[1]);

    /* 100 pipes, every 7th written */
    int r[100], w[100];
    for (int i = 0; i < 100; i++) {
        int q[2];
        pipe(q);
        r[i] = q[0];
        w[i] = q[1];
        many[i] = (struct pollfd){r[i], POLLIN, 0};
    }
    for (int i = 0; i < 100; i += 7)
        write(w[i], "m", 1);
    n = poll(many, 100, 0);
    int right = 1;
    for (int i = 0; i < 100; i++)
        if ((many[i].revents == POLLIN) != (i % 7 == 0))
            right = 0;
    CHECK(n == 15 && right, "poll over 100 pipes finds exactly the 15 written");
    for (int i = 0; i < 100; i++) {
        close(w[i]);
        many[i].revents = 0;
    }
    n = poll(many, 100, 0);
    right = 1;
    for (int i = 0; i < 100; i++)
        if (!(many[i].revents & POLLHUP))
            right = 0;
    CHECK(n == 100 && right, "after closing every writer all 100 report POLLHUP");
    for (int i = 0; i < 100; i++)
        close(r[i]);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    selects();
    polls();
    return kt_done();
}
