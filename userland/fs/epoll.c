/* epoll.c - epoll: level and edge triggered, EPOLLONESHOT and re-arming,
 * EPOLLEXCLUSIVE, nested epoll, EPOLL_CTL_MOD/DEL, the error cases,
 * EPOLLHUP, epoll_pwait's mask, and a server loop over 200 pipes fed by 50
 * writer children with every byte checked. */
#include "ktest.h"
#include <sys/epoll.h>
#include <sys/resource.h>

static volatile int usr1;
static void on_usr1(int s)
{
    (void)s;
    usr1++;
}

static int add(int ep, int fd, uint32_t ev, uint64_t data)
{
    struct epoll_event e = {.events = ev, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t ev, uint64_t data)
{
    struct epoll_event e = {.events = ev, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void basics(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK_OK(ep, "epoll_create1(EPOLL_CLOEXEC)");
    CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC, "the epoll fd has FD_CLOEXEC");
    int p[2];
    pipe(p);
    struct epoll_event ev[8];
    CHECK_OK(add(ep, p[0], EPOLLIN, 0x1122334455667788ull), "EPOLL_CTL_ADD a pipe (level triggered)");
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "nothing ready yet");
    write(p[1], "ab", 2);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "LT: ready after a write");
    CHECK(ev[0].events == EPOLLIN && ev[0].data.u64 == 0x1122334455667788ull, "events EPOLLIN and the 64-bit data kept");
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "LT: still reported while data remains");
    char b[16];
    read(p[0], b, 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "LT: reported after a partial read");
    read(p[0], b, 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "LT: quiet once drained");

    /* edge triggered */
    CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLET, 2), "EPOLL_CTL_MOD to EPOLLET");
    write(p[1], "abc", 3);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "ET: reported after a write");
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "ET: not reported again without new data");
    read(p[0], b, 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "ET: a partial read does not re-arm");
    write(p[1], "d", 1);
    CHECK(epoll_wait(ep, ev, 8, 0) == 1 && ev[0].data.u64 == 2, "ET: a new write is a new edge (with the new data)");
    read(p[0], b, sizeof b);

    /* one-shot */
    CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 3), "EPOLL_CTL_MOD to EPOLLONESHOT");
    write(p[1], "x", 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "ONESHOT: the first event");
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "ONESHOT: then disarmed (LT data still there)");
    write(p[1], "y", 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "ONESHOT: new data does not re-arm");
    CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 4), "EPOLL_CTL_MOD re-arms");
    CHECK(epoll_wait(ep, ev, 8, 0) == 1 && ev[0].data.u64 == 4, "ONESHOT: reported again after MOD");
    read(p[0], b, sizeof b);

    /* DEL and errors */
    CHECK_ERR(add(ep, p[0], EPOLLIN, 0), EEXIST, "ADD of a registered fd is EEXIST");
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), "EPOLL_CTL_DEL");
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT, "DEL of an unregistered fd is ENOENT");
    CHECK_ERR(mod(ep, p[0], EPOLLIN, 0), ENOENT, "MOD of an unregistered fd is ENOENT");
    write(p[1], "z", 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "a deleted fd is no longer reported");
    read(p[0], b, sizeof b);
    CHECK_ERR(add(ep, ep, EPOLLIN, 0), EINVAL, "adding an epoll fd to itself is EINVAL");
    int f = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(add(ep, f, EPOLLIN, 0), EPERM, "adding a directory (no poll support) is EPERM");
    close(f);
    CHECK_ERR(add(ep, 9999, EPOLLIN, 0), EBADF, "adding a bad fd is EBADF");
    CHECK_ERR(add(9999, p[0], EPOLLIN, 0), EBADF, "a bad epoll fd is EBADF");
    CHECK_ERR(add(p[0], p[1], EPOLLIN, 0), EINVAL, "epoll_ctl on a non-epoll fd is EINVAL");
    CHECK_ERR(epoll_wait(ep, ev, 0, 0), EINVAL, "epoll_wait with maxevents 0 is EINVAL");
    CHECK_ERR(epoll_wait(p[0], ev, 1, 0), EINVAL, "epoll_wait on a non-epoll fd is EINVAL");
    CHECK_ERR(epoll_create1(0x1234), EINVAL, "epoll_create1 with unknown flags is EINVAL");
    CHECK_ERR(epoll_ctl(ep, 99, p[0], ev), EINVAL, "an unknown epoll_ctl op is EINVAL");

    /* EPOLLEXCLUSIVE */
    CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 5), "ADD with EPOLLEXCLUSIVE is accepted");
    write(p[1], "e", 1);
    CHECK(epoll_wait(ep, ev, 8, 0) == 1 && ev[0].data.u64 == 5, "EPOLLEXCLUSIVE still reports events");
    CHECK_ERR(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 5), EINVAL, "MOD with EPOLLEXCLUSIVE is EINVAL");
    read(p[0], b, sizeof b);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);

    /* maxevents limits, several fds */
    int q[2];
    pipe(q);
    add(ep, p[0], EPOLLIN, 10);
    add(ep, q[0], EPOLLIN, 11);
    add(ep, q[1], EPOLLOUT, 12);
    write(p[1], "1", 1);
    write(q[1], "2", 1);
    CHECK_EQ(epoll_wait(ep, ev, 8, 0), 3, "three ready fds");
    CHECK_EQ(epoll_wait(ep, ev, 2, 0), 2, "maxevents 2 returns 2");
    int seen[3] = {0};
    for (int round = 0; round < 3; round++) {
        int n = epoll_wait(ep, ev, 1, 0);
        if (n == 1 && ev[0].data.u64 >= 10 && ev[0].data.u64 <= 12)
            seen[ev[0].data.u64 - 10]++;
    }
    CHECK(seen[0] && seen[1] && seen[2], "with maxevents 1, successive waits rotate through all ready fds");

    /* HUP */
    close(q[1]);
    int n = epoll_wait(ep, ev, 8, 0);
    int hup = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].data.u64 == 11 && (ev[i].events & EPOLLHUP))
            hup = 1;
    CHECK(hup, "closing the writer gives EPOLLHUP (not requested, always reported)");
    /* closing an fd removes it from the set */
    close(q[0]);
    n = epoll_wait(ep, ev, 8, 0);
    int stale = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].data.u64 == 11 || ev[i].data.u64 == 12)
            stale = 1;
    CHECK(!stale, "closed fds leave the interest list");

    /* blocking wait and timeout */
    read(p[0], b, sizeof b);
    long long t0 = vt_now_ms();
    CHECK_EQ(epoll_wait(ep, ev, 8, 100), 0, "epoll_wait times out");
    kt_check(vt_now_ms() - t0 >= 90, "... after about 100 ms", "%lld ms", vt_now_ms() - t0);
    pid_t pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        write(p[1], "w", 1);
        _exit(0);
    }
    CHECK(epoll_wait(ep, ev, 8, -1) == 1 && ev[0].data.u64 == 10, "epoll_wait(-1) wakes when a child writes");
    vt_reap(pid);
    read(p[0], b, sizeof b);

    /* epoll_pwait's mask */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, empty, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    errno = 0;
    n = epoll_pwait(ep, ev, 8, 5000, &empty);
    CHECK(n == -1 && errno == EINTR && usr1 == 1, "epoll_pwait with an empty mask takes the pending signal (EINTR)");
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "the old mask is back after epoll_pwait");
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    signal(SIGUSR1, SIG_DFL);

    /* nested epoll */
    int outer = epoll_create1(0);
    CHECK_OK(add(outer, ep, EPOLLIN, 99), "add an epoll fd to another epoll");
    CHECK_EQ(epoll_wait(outer, ev, 8, 0), 0, "outer: nothing while the inner is quiet");
    write(p[1], "n", 1);
    CHECK(epoll_wait(outer, ev, 8, 0) == 1 && ev[0].data.u64 == 99 && (ev[0].events & EPOLLIN),
          "outer reports EPOLLIN on the inner epoll fd");
    CHECK(epoll_wait(ep, ev, 8, 0) == 1 && ev[0].data.u64 == 10, "the inner reports the pipe");
    struct pollfd pf = {ep, POLLIN, 0};
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "poll on an epoll fd with ready events is POLLIN");
    CHECK_ERR(add(ep, outer, EPOLLIN, 0), ELOOP, "a cycle between two epoll fds is ELOOP");
    read(p[0], b, sizeof b);
    pf.revents = 0;
    CHECK_EQ(poll(&pf, 1, 0), 0, "poll on a quiet epoll fd is 0");
    close(outer);
    close(ep);
    close(p[0]);
    close(p[1]);
}

#define NPIPES 200
#define PER_CHILD 4

static unsigned char expect_byte(int pipe_i, long k)
{
    return (unsigned char)(pipe_i * 131 + k * 17 + (k >> 8));
}

static long stream_len(int i)
{
    return 2000 + (i * 7919L) % 30000;
}

static void server(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * NPIPES + 20) {
        rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int r[NPIPES], w[NPIPES];
    for (int i = 0; i < NPIPES; i++) {
        int q[2];
        if (pipe(q) != 0) {
            kt_fail("server: create 200 pipes", "pipe %d: %s", i, strerror(errno));
            return;
        }
        r[i] = q[0];
        w[i] = q[1];
    }
    long long t0 = vt_now_ms();
    pid_t kids[NPIPES / PER_CHILD];
    for (int c = 0; c < NPIPES / PER_CHILD; c++) {
        kids[c] = fork();
        if (kids[c] == 0) {
            vt_alarm(60);
            int first = c * PER_CHILD;
            for (int i = 0; i < NPIPES; i++) {
                close(r[i]);
                if (i < first || i >= first + PER_CHILD)
                    close(w[i]);
            }
            long pos[PER_CHILD] = {0};
            unsigned char buf[8192];
            int active = PER_CHILD;
            unsigned seed = (unsigned)c * 2654435761u + 1;
            while (active > 0) {
                active = 0;
                for (int j = 0; j < PER_CHILD; j++) {
                    int i = first + j;
                    long left = stream_len(i) - pos[j];
                    if (left <= 0)
                        continue;
                    active++;
                    seed = seed * 1103515245u + 12345u;
                    long n = 1 + (seed >> 8) % 6000;
                    if (n > left)
                        n = left;
                    for (long k = 0; k < n; k++)
                        buf[k] = expect_byte(i, pos[j] + k);
                    if (vt_write_full(w[i], buf, (size_t)n) != n)
                        _exit(1);
                    pos[j] += n;
                    if (pos[j] == stream_len(i))
                        close(w[i]);
                }
            }
            _exit(0);
        }
    }
    for (int i = 0; i < NPIPES; i++)
        close(w[i]);

    int ep = epoll_create1(0);
    int regs = 0;
    for (int i = 0; i < NPIPES; i++) {
        fcntl(r[i], F_SETFL, O_NONBLOCK);
        /* even pipes edge triggered, odd level triggered */
        if (add(ep, r[i], EPOLLIN | ((i & 1) ? 0 : EPOLLET), (uint64_t)i) == 0)
            regs++;
    }
    CHECK_EQ(regs, NPIPES, "server: 200 pipes registered (half ET, half LT)");
    long got[NPIPES] = {0};
    static unsigned long long h[NPIPES];
    int open_ = NPIPES, bad = 0, loops = 0;
    unsigned long long sum = 0, total = 0;
    struct epoll_event ev[32];
    unsigned char buf[4096];
    while (open_ > 0 && loops < 1000000) {
        loops++;
        int n = epoll_wait(ep, ev, 32, 10000);
        if (n <= 0) {
            kt_printf("# server: epoll_wait returned %d (%s) with %d pipes open\n", n, n < 0 ? strerror(errno) : "timeout", open_);
            break;
        }
        for (int k = 0; k < n; k++) {
            int i = (int)ev[k].data.u64;
            /* ET pipes must be drained; LT ones get a single read per event */
            for (;;) {
                ssize_t m = read(r[i], buf, sizeof buf);
                if (m > 0) {
                    for (ssize_t x = 0; x < m; x++) {
                        if (buf[x] != expect_byte(i, got[i] + x))
                            bad++;
                        h[i] = h[i] * 1099511628211ull + buf[x];
                    }
                    got[i] += m;
                    total += (unsigned long long)m;
                    if (i & 1)
                        break;
                    continue;
                }
                if (m == 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, r[i], NULL);
                    close(r[i]);
                    open_--;
                }
                break;
            }
        }
    }
    long long want_total = 0;
    unsigned long long want_sum = 0;
    int lens_ok = 1;
    for (int i = 0; i < NPIPES; i++) {
        unsigned long long hh = 0;
        for (long k = 0; k < stream_len(i); k++)
            hh = hh * 1099511628211ull + expect_byte(i, k);
        want_sum += hh;
        sum += h[i];
        want_total += stream_len(i);
        if (got[i] != stream_len(i))
            lens_ok = 0;
    }
    kt_check(total == (unsigned long long)want_total, "server: every byte of the 200 streams arrived", "got %llu want %lld",
             total, want_total);
    CHECK(lens_ok, "server: each stream has its exact length");
    CHECK_EQ(bad, 0, "server: every byte is the expected one, in order per stream");
    kt_check(sum == want_sum, "server: the checksum of everything received (sum of per-stream hashes) matches",
             "got %llx want %llx", sum, want_sum);
    CHECK_EQ(open_, 0, "server: every pipe reached EOF");
    int kids_ok = 1;
    for (int c = 0; c < NPIPES / PER_CHILD; c++)
        if (vt_reap(kids[c]) != 0)
            kids_ok = 0;
    CHECK(kids_ok, "server: all 50 writer children exited 0");
    kt_printf("# server: %llu bytes in %d wakeups, %lld ms, checksum %llx\n", total, loops, vt_now_ms() - t0, sum);
    close(ep);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 90);
    basics();
    server();
    return kt_done();
}
