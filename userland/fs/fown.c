/* fown.c - file owners and signal-driven I/O: F_SETOWN/F_GETOWN,
 * F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG, O_ASYNC through F_SETFL and
 * FIOASYNC, FIOSETOWN/SIOCGPGRP on sockets; SIGIO (or the F_SETSIG signal
 * with si_code, si_band and si_fd) when a pipe, a socket or an inotify fd
 * becomes readable or writable; SIGURG on TCP urgent data; the sender's
 * credentials checked as Linux's sigio_perm. */
#include "ktest.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#define SIGFD (SIGRTMIN + 2)

/* Takes a pending `sig` within `ms`; returns 1 and fills *si, or 0. */
static int take(int sig, siginfo_t *si, int ms)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    siginfo_t tmp;
    if (!si)
        si = &tmp;
    memset(si, 0, sizeof *si);
    for (;;) {
        int r = sigtimedwait(&s, si, &ts);
        if (r == sig)
            return 1;
        if (r < 0 && errno == EINTR)
            continue;
        return 0;
    }
}

/* Drops every pending instance of sig. */
static void drain(int sig)
{
    while (take(sig, NULL, 0))
        ;
}

static void owners(void)
{
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    CHECK_EQ(fcntl(p[0], F_GETOWN), 0, "a new file has no owner (F_GETOWN 0)");
    struct f_owner_ex ox = {99, 99};
    CHECK_OK(fcntl(p[0], F_GETOWN_EX, &ox), "F_GETOWN_EX with no owner");
    CHECK(ox.type == F_OWNER_TID && ox.pid == 0, "no owner: type F_OWNER_TID, pid 0");
    CHECK_OK(fcntl(p[0], F_SETOWN, getpid()), "F_SETOWN getpid()");
    CHECK_EQ(fcntl(p[0], F_GETOWN), getpid(), "F_GETOWN returns the process");
    CHECK_OK(fcntl(p[0], F_GETOWN_EX, &ox), "F_GETOWN_EX");
    CHECK(ox.type == F_OWNER_PID && ox.pid == getpid(), "F_GETOWN_EX: F_OWNER_PID and the pid");
    CHECK_OK(fcntl(p[0], F_SETOWN, -getpgrp()), "F_SETOWN -pgrp");
    CHECK_EQ(fcntl(p[0], F_GETOWN), -getpgrp(), "F_GETOWN returns the negated process group");
    CHECK_OK(fcntl(p[0], F_GETOWN_EX, &ox), "F_GETOWN_EX of a group owner");
    CHECK(ox.type == F_OWNER_PGRP && ox.pid == getpgrp(), "F_GETOWN_EX: F_OWNER_PGRP and the group");
    ox.type = F_OWNER_TID;
    ox.pid = gettid();
    CHECK_OK(fcntl(p[0], F_SETOWN_EX, &ox), "F_SETOWN_EX F_OWNER_TID");
    CHECK_EQ(fcntl(p[0], F_GETOWN), gettid(), "F_GETOWN returns the thread");
    ox.type = 7;
    CHECK_ERR(fcntl(p[0], F_SETOWN_EX, &ox), EINVAL, "F_SETOWN_EX with an unknown type is EINVAL");
    ox.type = F_OWNER_PID;
    ox.pid = 0x3ffffff0;
    CHECK_ERR(fcntl(p[0], F_SETOWN_EX, &ox), ESRCH, "F_SETOWN_EX to a pid nobody has is ESRCH");
    CHECK_ERR(fcntl(p[0], F_SETOWN, 0x3ffffff0), ESRCH, "F_SETOWN to a pid nobody has is ESRCH");
    CHECK_ERR(fcntl(p[0], F_GETOWN_EX, KT_BAD_PTR), EFAULT, "F_GETOWN_EX to a bad pointer is EFAULT");
    CHECK_OK(fcntl(p[0], F_SETOWN, 0), "F_SETOWN 0 clears the owner");
    CHECK_EQ(fcntl(p[0], F_GETOWN), 0, "... F_GETOWN 0");

    CHECK_EQ(fcntl(p[0], F_GETSIG), 0, "F_GETSIG is 0 by default");
    CHECK_ERR(fcntl(p[0], F_SETSIG, 65), EINVAL, "F_SETSIG 65 is EINVAL");
    CHECK_ERR(fcntl(p[0], F_SETSIG, -1), EINVAL, "F_SETSIG -1 is EINVAL");
    CHECK_OK(fcntl(p[0], F_SETSIG, SIGFD), "F_SETSIG SIGRTMIN+2");
    CHECK_EQ(fcntl(p[0], F_GETSIG), SIGFD, "F_GETSIG returns it");
    int d = dup(p[0]);
    CHECK_EQ(fcntl(d, F_GETSIG), SIGFD, "the signal belongs to the open file (seen through a dup)");

    /* A child that exits leaves a dead owner: F_GETOWN reads 0 (f_getown's pid_task check). */
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    if (c > 0) {
        CHECK_OK(fcntl(p[0], F_SETOWN, c), "F_SETOWN to a child");
        vt_reap(c);
        CHECK_EQ(fcntl(p[0], F_GETOWN), 0, "F_GETOWN of a reaped owner is 0");
    }
    close(d);
    close(p[0]);
    close(p[1]);
}

static void pipe_sigio(void)
{
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    char b[8];
    fcntl(p[0], F_SETOWN, getpid());
    write(p[1], "a", 1);
    CHECK(!take(SIGIO, NULL, 0), "no SIGIO without O_ASYNC");
    read(p[0], b, 1);
    CHECK_OK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC), "F_SETFL O_ASYNC on the read end");
    CHECK((fcntl(p[0], F_GETFL) & O_ASYNC) != 0, "F_GETFL shows O_ASYNC");
    CHECK(!take(SIGIO, NULL, 0), "turning O_ASYNC on sends nothing");
    write(p[1], "b", 1);
    siginfo_t si;
    CHECK(take(SIGIO, &si, 2000), "a write to the pipe sends SIGIO to the reader's owner");
    CHECK_EQ(si.si_code, SI_KERNEL, "plain SIGIO: si_code SI_KERNEL");
    write(p[1], "c", 1);
    CHECK(take(SIGIO, NULL, 2000), "each write sends SIGIO again, though the pipe was readable");
    read(p[0], b, 2);

    /* F_SETSIG: the chosen signal with POLL_IN, si_band and si_fd. */
    int d = dup(p[0]);
    CHECK_OK(fcntl(d, F_SETFL, fcntl(d, F_GETFL) | O_ASYNC), "O_ASYNC again through a dup (si_fd follows)");
    fcntl(p[0], F_SETSIG, SIGIO);
    write(p[1], "d", 1);
    CHECK(take(SIGIO, &si, 2000), "F_SETSIG SIGIO: SIGIO on a write");
    CHECK_EQ(si.si_code, POLL_IN, "si_code POLL_IN");
    if (kt_qemu()) {
        kt_skip("si_band and si_fd of SIGIO", "qemu-user 7.2 misplaces them");
    } else {
        CHECK_EQ(si.si_band, POLLIN | POLLRDNORM, "si_band POLLIN|POLLRDNORM");
        CHECK_EQ(si.si_fd, p[0], "si_fd is the descriptor O_ASYNC was first turned on with");
    }
    read(p[0], b, 1);

    /* The write end: room made by a reader sends POLL_OUT. */
    fcntl(p[1], F_SETOWN, getpid());
    fcntl(p[1], F_SETSIG, SIGIO);
    CHECK_OK(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_ASYNC | O_NONBLOCK), "O_ASYNC on the write end");
    static char big[65536];
    ssize_t n = write(p[1], big, sizeof big);
    CHECK(n > 0, "fill the pipe");
    drain(SIGIO);
    read(p[0], big, 4096);
    CHECK(take(SIGIO, &si, 2000), "reading from a full pipe sends SIGIO to the writer's owner");
    CHECK_EQ(si.si_code, POLL_OUT, "si_code POLL_OUT");
    if (!kt_qemu()) {
        CHECK_EQ(si.si_band, POLLOUT | POLLWRNORM | POLLWRBAND, "si_band POLLOUT|POLLWRNORM|POLLWRBAND");
        CHECK_EQ(si.si_fd, p[1], "si_fd is the write end");
    }
    drain(SIGIO);

    /* Turned off: nothing. */
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) & ~O_ASYNC);
    read(p[0], big, sizeof big);
    write(p[1], "e", 1);
    CHECK(!take(SIGIO, NULL, 0), "O_ASYNC off: no SIGIO");
    close(d);
    close(p[0]);
    close(p[1]);
}

/* The F_SETSIG real-time signal queues one per event, with its siginfo. */
static void rt_signal(void)
{
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETOWN, getpid());
    fcntl(p[0], F_SETSIG, SIGFD);
    fcntl(p[0], F_SETFL, O_ASYNC);
    write(p[1], "x", 1);
    write(p[1], "y", 1);
    siginfo_t si;
    int got = take(SIGFD, &si, 2000);
    CHECK(got, "F_SETSIG SIGRTMIN+2 arrives on a write");
    if (kt_qemu())
        kt_skip("the real-time signal's si_code, si_band and si_fd", "qemu-user does not convert them");
    else
        CHECK(si.si_code == POLL_IN && si.si_fd == p[0] && si.si_band == (POLLIN | POLLRDNORM),
              "the real-time signal carries POLL_IN, si_band and si_fd");
    CHECK(take(SIGFD, NULL, 2000), "a second write queued a second real-time signal");
    CHECK(!take(SIGIO, NULL, 0), "no plain SIGIO beside it");
    close(p[0]);
    close(p[1]);
}

static void sockets(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
    int me = getpid(), on = 1, off = 0, who = 0;
    CHECK_OK(ioctl(sv[0], FIOSETOWN, &me), "FIOSETOWN on a socket");
    CHECK_OK(ioctl(sv[0], SIOCGPGRP, &who), "SIOCGPGRP");
    CHECK_EQ(who, me, "SIOCGPGRP returns the owner FIOSETOWN set");
    CHECK_EQ(fcntl(sv[0], F_GETOWN), me, "F_GETOWN agrees");
    CHECK_OK(ioctl(sv[0], FIOASYNC, &on), "FIOASYNC on");
    CHECK((fcntl(sv[0], F_GETFL) & O_ASYNC) != 0, "FIOASYNC sets O_ASYNC in F_GETFL");
    drain(SIGIO);
    write(sv[1], "hello", 5);
    CHECK(take(SIGIO, NULL, 2000), "data arriving on a unix socket sends SIGIO");
    char b[8];
    read(sv[0], b, sizeof b);
    CHECK_OK(ioctl(sv[0], FIOASYNC, &off), "FIOASYNC off");
    CHECK((fcntl(sv[0], F_GETFL) & O_ASYNC) == 0, "... clears O_ASYNC");
    write(sv[1], "x", 1);
    CHECK(!take(SIGIO, NULL, 0), "and no SIGIO follows");

    int p[2];
    pipe(p);
    CHECK_ERR(ioctl(p[0], FIOSETOWN, &me), ENOTTY, "FIOSETOWN on a pipe is ENOTTY (sockets only)");
    int e = eventfd(0, 0);
    CHECK_ERR(ioctl(e, FIOASYNC, &on), ENOTTY, "FIOASYNC on an eventfd (no fasync) is ENOTTY");
    CHECK_OK(fcntl(e, F_SETFL, O_ASYNC), "F_SETFL O_ASYNC on an eventfd is accepted");
    CHECK((fcntl(e, F_GETFL) & O_ASYNC) == 0, "... but not stored (only a file type's fasync sets it)");
    int r = open("/proc/self/exe", O_RDONLY);
    fcntl(r, F_SETFL, O_ASYNC);
    CHECK((fcntl(r, F_GETFL) & O_ASYNC) == 0, "nor on a regular file");
    close(r);
    close(e);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void pty_sigio(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
        kt_fail("a pty pair", "errno %d", errno);
        return;
    }
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    CHECK(s >= 0, "open the pty's slave");
    fcntl(m, F_SETOWN, getpid());
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_ASYNC);
    CHECK((fcntl(m, F_GETFL) & O_ASYNC) != 0, "a pty master takes O_ASYNC");
    drain(SIGIO);
    write(s, "x", 1);
    CHECK(take(SIGIO, NULL, 2000), "output written on the slave sends SIGIO to the master's owner");
    close(s);
    close(m);
}

static void inotify_sigio(void)
{
    int in = inotify_init1(IN_NONBLOCK);
    const char *dir = kt_path("fown-dir");
    mkdir(dir, 0755);
    CHECK(inotify_add_watch(in, dir, IN_CREATE) >= 0, "inotify watch");
    fcntl(in, F_SETOWN, getpid());
    fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_ASYNC);
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    unlink(path);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK(take(SIGIO, NULL, 2000), "an inotify event sends SIGIO");
    close(fd);
    close(in);
}

static void tcp_urgent(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0) {
        kt_fail("tcp listener on loopback", "errno %d", errno);
        return;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof a), "connect");
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0, "accept");
    CHECK_OK(fcntl(s, F_SETOWN, getpid()), "F_SETOWN on the accepted socket");
    drain(SIGURG);
    CHECK_EQ(send(c, "!", 1, MSG_OOB), 1, "send one urgent byte");
    CHECK(take(SIGURG, NULL, 5000), "urgent data sends SIGURG to the owner (without O_ASYNC)");
    close(s);
    close(c);
    close(l);
}

/* sigio_perm: the owner acts with the uids of whoever set it. A child at
 * uid 0 waits; a process at uid 65534 sets the owner to it and writes. */
static void permissions(void)
{
    int p[2], go[2];
    pipe(p);
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        vt_alarm(20);
        char x;
        read(go[0], &x, 1); /* the owner is set and the write made */
        _exit(take(SIGIO, NULL, 300) ? 1 : 0);
    }
    if (c < 0) {
        kt_fail("fork", "errno %d", errno);
        return;
    }
    pid_t s = fork();
    if (s == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        if (fcntl(p[0], F_SETOWN, c) < 0)
            _exit(3);
        fcntl(p[0], F_SETFL, O_ASYNC);
        write(p[1], "z", 1);
        write(go[1], "g", 1);
        _exit(0);
    }
    CHECK_EQ(vt_reap(s), 0, "an unprivileged process sets a root child as owner and writes");
    CHECK_EQ(vt_reap(c), 0, "the child got no SIGIO (sigio_perm: no uid of the setter matches)");

    /* Root as setter: any target. */
    pid_t c2 = fork();
    if (c2 == 0) {
        vt_alarm(20);
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        char x;
        read(go[0], &x, 1);
        _exit(take(SIGIO, NULL, 5000) ? 0 : 1);
    }
    /* The child blocks SIGIO before it waits: it inherits our mask (blocked). */
    fcntl(p[0], F_SETOWN, c2);
    write(p[1], "z", 1);
    write(go[1], "g", 1);
    CHECK_EQ(vt_reap(c2), 0, "a root setter's SIGIO reaches a uid-65534 owner");
    close(p[0]);
    close(p[1]);
    close(go[0]);
    close(go[1]);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGIO);
    sigaddset(&s, SIGURG);
    sigaddset(&s, SIGFD);
    sigprocmask(SIG_BLOCK, &s, NULL);
    owners();
    pipe_sigio();
    rt_signal();
    sockets();
    pty_sigio();
    inotify_sigio();
    tcp_urgent();
    permissions();
    return kt_done();
}
