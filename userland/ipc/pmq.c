/* pmq.c - POSIX message queues: mq_open/mq_unlink, priorities and order,
 * full and empty queues (O_NONBLOCK, timeouts, blocking across processes),
 * mq_getattr/mq_setattr, mq_notify with a signal, poll, reading the
 * descriptor, RLIMIT_MSGQUEUE, and the errors in Linux's order. */
#include "ktest.h"
#include <mqueue.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

static char qname[64], qname2[64];

static struct timespec in_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static volatile sig_atomic_t got_sig, got_code, got_val;
static volatile int thread_value;
static void on_thread(union sigval sv)
{
    thread_value = sv.sival_int;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_val = si->si_value.sival_int;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    snprintf(qname, sizeof qname, "/ghost-pmq-%d", (int)getpid());
    snprintf(qname2, sizeof qname2, "/ghost-pmq2-%d", (int)getpid());
    mq_unlink(qname);
    mq_unlink(qname2);

    struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
    mqd_t q = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
    CHECK(q >= 0, D("mq_open creates a queue (errno %d)", errno));
    if (q < 0)
        return kt_done();
    CHECK_EQ(fcntl(q, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "a queue descriptor is close-on-exec");
    struct mq_attr g;
    CHECK_OK(mq_getattr(q, &g), "mq_getattr");
    CHECK(g.mq_maxmsg == 4 && g.mq_msgsize == 64 && g.mq_curmsgs == 0 && g.mq_flags == 0,
          D("mq_getattr: maxmsg %ld msgsize %ld curmsgs %ld flags %ld", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs, g.mq_flags));

    CHECK_ERR(mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &a), EEXIST, "mq_open O_EXCL of an existing queue");
    CHECK_ERR(mq_open(qname2, O_RDWR), ENOENT, "mq_open of a missing queue without O_CREAT");
    CHECK_ERR(mq_open("/a/b", O_CREAT | O_RDWR, 0600, NULL), EACCES, "mq_open of a name with a slash");
    CHECK_ERR(mq_open("noslash", O_CREAT | O_RDWR, 0600, NULL), EINVAL, "mq_open of a name without the leading slash (glibc)");
    struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = 64 };
    CHECK_ERR(mq_open(qname2, O_CREAT | O_RDWR, 0600, &bad), EINVAL, "mq_open with mq_maxmsg 0");
    bad.mq_maxmsg = 4; bad.mq_msgsize = -1;
    CHECK_ERR(mq_open(qname2, O_CREAT | O_RDWR, 0600, &bad), EINVAL, "mq_open with a negative mq_msgsize");
    bad.mq_msgsize = 64 * 1024 * 1024;
    CHECK_ERR(mq_open(qname2, O_CREAT | O_RDWR, 0600, &bad), EINVAL, "mq_open past the hard message size");
    CHECK_ERR(syscall(SYS_mq_open, qname + 1, O_CREAT | O_RDWR, 0600, KT_BAD_PTR), EFAULT, "mq_open with a bad attr pointer");

    CHECK_OK(mq_send(q, "a", 1, 1), "mq_send prio 1");
    CHECK_OK(mq_send(q, "bb", 2, 5), "mq_send prio 5");
    CHECK_OK(mq_send(q, "ccc", 3, 1), "mq_send prio 1 again");
    char text[128];
    memset(text, 0, sizeof text);
    lseek(q, 0, SEEK_SET);
    ssize_t n = read(q, text, sizeof text - 1);
    CHECK_STR(n > 0 ? text : "", "QSIZE:6          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n", "reading the descriptor tells the queue's state");
    CHECK_OK(mq_send(q, "dddd", 4, 5), "mq_send prio 5 again");
    /* Full: a timed send times out, a non-blocking one is EAGAIN. */
    struct timespec soon = in_ms(50);
    CHECK_ERR(mq_timedsend(q, "e", 1, 0, &soon), ETIMEDOUT, "mq_timedsend on a full queue times out");
    struct timespec past = { 0, 0 };
    CHECK_ERR(mq_timedsend(q, "e", 1, 0, &past), ETIMEDOUT, "mq_timedsend with a past deadline on a full queue");
    struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
    CHECK_OK(mq_setattr(q, &nb, &old), "mq_setattr O_NONBLOCK");
    CHECK_EQ(old.mq_curmsgs, 4, "mq_setattr returns the old attributes (4 messages)");
    CHECK_ERR(mq_send(q, "e", 1, 0), EAGAIN, "mq_send on a full non-blocking queue");
    struct mq_attr badflags = { .mq_flags = O_NONBLOCK | O_APPEND };
    CHECK_ERR(mq_setattr(q, &badflags, NULL), EINVAL, "mq_setattr with a flag other than O_NONBLOCK");
    badflags.mq_flags = (1L << 40) | O_NONBLOCK;
    CHECK_ERR(mq_setattr(q, &badflags, NULL), EINVAL, "mq_setattr with a flag past 32 bits");
    CHECK_ERR(mq_send(q, "e", 1, 32768), EINVAL, "mq_send with a priority past MQ_PRIO_MAX");
    char big[65] = { 0 };
    CHECK_ERR(mq_send(q, big, 65, 0), EMSGSIZE, "mq_send of a message over mq_msgsize");
    struct timespec badts = { 0, 1000000000L };
    CHECK_ERR(mq_timedreceive(q, text, sizeof text, NULL, &badts), EINVAL, "mq_timedreceive with tv_nsec out of range");
    CHECK_ERR(mq_receive(q, text, 63, NULL), EMSGSIZE, "mq_receive into a buffer under mq_msgsize");

    struct pollfd pfd = { .fd = q, .events = POLLIN | POLLOUT };
    CHECK_EQ(poll(&pfd, 1, 0), 1, "poll on a full queue");
    CHECK_EQ(pfd.revents, POLLIN, "... readable, not writable");

    /* Highest priority first, arrival order within one. */
    const char *want[] = { "bb", "dddd", "a", "ccc" };
    unsigned wantp[] = { 5, 5, 1, 1 };
    for (int i = 0; i < 4; i++) {
        unsigned prio = 99;
        memset(text, 0, sizeof text);
        ssize_t r = mq_receive(q, text, sizeof text, &prio);
        CHECK(r == (ssize_t)strlen(want[i]) && strcmp(text, want[i]) == 0 && prio == wantp[i],
              D("mq_receive %d gives \"%s\" prio %u (got \"%s\" prio %u, %zd)", i, want[i], wantp[i], text, prio, r));
    }
    CHECK_ERR(mq_receive(q, text, sizeof text, NULL), EAGAIN, "mq_receive on an empty non-blocking queue");
    pfd.revents = 0;
    CHECK_EQ(poll(&pfd, 1, 0), 1, "poll on an empty queue");
    CHECK_EQ(pfd.revents, POLLOUT, "... writable, not readable");
    nb.mq_flags = 0;
    mq_setattr(q, &nb, NULL);
    soon = in_ms(50);
    CHECK_ERR(mq_timedreceive(q, text, sizeof text, NULL, &soon), ETIMEDOUT, "mq_timedreceive on an empty queue times out");

    /* A receiver blocked in another process gets the message. */
    int sync[2];
    pipe(sync);
    pid_t ch = fork();
    if (ch == 0) {
        mqd_t c = mq_open(qname, O_RDONLY);
        write(sync[1], "r", 1);
        char m[64] = { 0 };
        ssize_t r = mq_receive(c, m, sizeof m, NULL);
        _exit(r == 5 && strcmp(m, "hello") == 0 ? 0 : 1);
    }
    if (ch > 0) {
        char x;
        read(sync[0], &x, 1);
        kt_msleep(100);
        CHECK_OK(mq_send(q, "hello", 5, 3), "mq_send to a queue a child waits on");
        kt_check_exit(ch, 0, "the blocked receiver in the child got the message");
    }

    /* Notification: a signal when a message reaches the empty queue, once. */
    if (kt_qemu() && mq_notify(q, NULL) == -1 && errno == ENOSYS) {
        kt_skip("mq_notify", "qemu-user 7.2 does not implement it");
        goto unlink;
    }
    struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 4242 };
    CHECK_OK(mq_notify(q, &ev), "mq_notify SIGEV_SIGNAL");
    CHECK_ERR(mq_notify(q, &ev), EBUSY, "mq_notify when this queue already has a registration");
    memset(text, 0, sizeof text);
    lseek(q, 0, SEEK_SET);
    n = read(q, text, sizeof text - 1);
    char wantline[128];
    snprintf(wantline, sizeof wantline, "QSIZE:0          NOTIFY:0     SIGNO:%-5d NOTIFY_PID:%-6d\n", SIGUSR1, (int)getpid());
    CHECK_STR(n > 0 ? text : "", wantline, "the descriptor shows the registration");
    CHECK_OK(mq_send(q, "x", 1, 0), "mq_send to the empty queue");
    for (int i = 0; i < 100 && !got_sig; i++)
        kt_msleep(5);
    CHECK(got_sig == SIGUSR1 && got_code == SI_MESGQ && got_val == 4242,
          D("the notification signal came with SI_MESGQ and the value (sig %d code %d value %d)", (int)got_sig, (int)got_code, (int)got_val));
    got_sig = 0;
    mq_receive(q, text, sizeof text, NULL);
    mq_send(q, "y", 1, 0);
    kt_msleep(20);
    CHECK_EQ(got_sig, 0, "a notification fires once");
    mq_receive(q, text, sizeof text, NULL);
    struct sigevent bad_ev = { .sigev_notify = 77 };
    CHECK_ERR(mq_notify(q, &bad_ev), EINVAL, "mq_notify with an unknown sigev_notify");
    bad_ev.sigev_notify = SIGEV_SIGNAL;
    bad_ev.sigev_signo = 65;
    CHECK_ERR(mq_notify(q, &bad_ev), EINVAL, "mq_notify with an invalid signal");
    CHECK_OK(mq_notify(q, &ev), "mq_notify again");
    CHECK_OK(mq_notify(q, NULL), "mq_notify(NULL) removes it");
    CHECK_OK(mq_notify(q, &ev), "... so registering again succeeds");
    mqd_t q2 = mq_open(qname, O_RDWR);
    mq_close(q2);
    CHECK_OK(mq_notify(q, &ev), "closing another descriptor of the queue removed the registration");
    CHECK_ERR(mq_notify(0, NULL), EBADF, "mq_notify on a descriptor that is not a queue");

unlink:
    /* Unlink: the name goes, the open queue stays. */
    CHECK_OK(mq_unlink(qname), "mq_unlink");
    CHECK_ERR(mq_unlink(qname), ENOENT, "mq_unlink again");
    CHECK_OK(mq_send(q, "z", 1, 0), "an unlinked queue still works through its descriptor");
    CHECK_EQ(mq_receive(q, text, sizeof text, NULL), 1, "... both ways");
    mq_close(q);

    /* RLIMIT_MSGQUEUE: a queue bigger than what the user may have is EMFILE. */
    struct rlimit rl = { 4096, 4096 };
    pid_t lim = fork();
    if (lim == 0) {
        setrlimit(RLIMIT_MSGQUEUE, &rl);
        struct mq_attr m = { .mq_maxmsg = 10, .mq_msgsize = 1024 };
        mqd_t r = mq_open(qname2, O_CREAT | O_RDWR, 0600, &m);
        int e = errno;
        if (r >= 0)
            mq_unlink(qname2);
        _exit(r == -1 && e == EMFILE ? 0 : 1);
    }
    if (lim > 0)
        kt_check_exit(lim, 0, "mq_open past RLIMIT_MSGQUEUE is EMFILE");

    /* SIGEV_THREAD: glibc hands the kernel a netlink socket and a cookie;
     * the cookie comes back when a message arrives and glibc's helper thread
     * runs the function with sigev_value (LTP mq_notify01). */
    mqd_t tq = mq_open(qname2, O_CREAT | O_RDWR, 0600, NULL);
    if (kt_qemu()) {
        kt_skip("mq_notify SIGEV_THREAD", "qemu-user 7.2 does not implement mq_notify (the native run checks it)");
        goto queues_max;
    }
    struct sigevent te = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_thread, .sigev_value.sival_int = 77 };
    CHECK_OK(mq_notify(tq, &te), "mq_notify SIGEV_THREAD registers");
    CHECK_ERR(mq_notify(tq, &te), EBUSY, "a second SIGEV_THREAD registration is EBUSY");
    CHECK_OK(mq_send(tq, "t", 1, 0), "a message to the empty queue");
    KT_WAIT_FOR(thread_value != 0, 10000);
    CHECK_EQ(thread_value, 77, "the SIGEV_THREAD function runs with sigev_value");
    CHECK_OK(mq_notify(tq, &te), "the registration was used up: SIGEV_THREAD registers again");
    CHECK_OK(mq_notify(tq, NULL), "and is removed");
queues_max:
    mq_close(tq);
    mq_unlink(qname2);

    /* fs.mqueue.queues_max (machine-wide: only under Ghost): root may lower
     * it; past it a new queue is ENOSPC without CAP_SYS_RESOURCE (LTP mq_open01). */
    if (!kt_ghost()) {
        kt_skip("fs.mqueue.queues_max", "machine-wide: only under Ghost");
        return kt_done();
    }
    const char *qm = "/proc/sys/fs/mqueue/queues_max";
    int qfd = open(qm, O_RDWR);
    char was[32] = {0};
    CHECK(qfd >= 0 && read(qfd, was, sizeof was - 1) > 0, "queues_max opens for writing and reads");
    mqd_t keep = mq_open(qname2, O_CREAT | O_RDWR, 0600, NULL);
    CHECK(keep >= 0, "one queue exists");
    CHECK_EQ(pwrite(qfd, "1", 1, 0), 1, "root sets queues_max to 1");
    pid_t nq = fork();
    if (nq == 0) {
        if (setuid(65534) != 0)
            _exit(2);
        mqd_t r = mq_open("/pmq-over", O_CREAT | O_RDWR, 0600, NULL);
        _exit(r == -1 && errno == ENOSPC ? 0 : 1);
    }
    if (nq > 0)
        kt_check_exit(nq, 0, "a queue past queues_max is ENOSPC without CAP_SYS_RESOURCE");
    CHECK_EQ(pwrite(qfd, was, strlen(was), 0), (long long)strlen(was), "queues_max restored");
    close(qfd);
    mq_close(keep);
    mq_unlink(qname2);
    return kt_done();
}
