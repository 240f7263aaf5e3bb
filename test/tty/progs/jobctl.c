/*
 * jobctl.c - controlling terminals and job control on a pty: acquiring a
 * controlling terminal, /dev/tty, TIOCSCTTY/TIOCNOTTY, TIOCGPGRP/TIOCSPGRP,
 * TIOCGSID, SIGTTIN/SIGTTOU for background process groups (and EIO when the
 * signal is ignored or the group is orphaned), TOSTOP, hangups when the
 * session leader exits or the master closes. Compared between qemu-riscv64
 * (Linux) and Ghost. Only the session leader prints; children report
 * through their exit status or a pipe.
 */
#include "ttytest.h"

static char buf[4096];
static char ptsname_[64];

static const char *how(int status)
{
    static char s[64];
    if (WIFEXITED(status))
        snprintf(s, sizeof s, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(s, sizeof s, "killed by %s", sigabbrev_np(WTERMSIG(status)));
    else if (WIFSTOPPED(status))
        snprintf(s, sizeof s, "stopped by %s", sigabbrev_np(WSTOPSIG(status)));
    else
        snprintf(s, sizeof s, "?");
    return s;
}

/* Runs fn in a child in its own (background) process group; reports how it ended or stopped. */
static pid_t bg(int (*fn)(int), int arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL); /* the leader ignores it, as a shell does */
        _exit(fn(arg));
    }
    setpgid(pid, pid);
    return pid;
}

static void report(const char *name, pid_t pid)
{
    int status;
    waitpid(pid, &status, WUNTRACED);
    printf("%s: %s\n", name, how(status));
    if (WIFSTOPPED(status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
}

/* Exit codes: 0 ok, 100+errno on failure. */
static int do_read(int fd)
{
    ssize_t n = read(fd, buf, sizeof buf);
    return n < 0 ? 100 + errno : 0;
}
/* Waits to be put in the foreground, then reads. */
static int do_fg_read(int fd)
{
    for (int i = 0; i < 1000 && tcgetpgrp(fd) != getpgrp(); i++)
        usleep(5000);
    return do_read(fd);
}
static int do_read_ign(int fd)
{
    signal(SIGTTIN, SIG_IGN);
    return do_read(fd);
}
static int do_read_blocked(int fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return do_read(fd);
}
static int do_write(int fd) { return write(fd, "w", 1) == 1 ? 0 : 100 + errno; }
static int do_write_ign(int fd)
{
    signal(SIGTTOU, SIG_IGN);
    return do_write(fd);
}
static int do_tcsetattr(int fd)
{
    struct termios t;
    tcgetattr(fd, &t);
    return tcsetattr(fd, TCSANOW, &t) == 0 ? 0 : 100 + errno;
}
static int do_tcsetattr_blocked(int fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTOU);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return do_tcsetattr(fd);
}
static int do_tcgetattr(int fd)
{
    struct termios t;
    return tcgetattr(fd, &t) == 0 ? 0 : 100 + errno;
}
static int do_tcsetpgrp(int fd) { return tcsetpgrp(fd, getpgrp()) == 0 ? 0 : 100 + errno; }
/* A background group whose only link to the session's other groups goes away: orphaned. */
static int orphan_pipe[2];
static int do_orphan_read(int fd)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        /* Once the parent has exited this group is orphaned. */
        for (int i = 0; i < 1000 && getppid() == parent; i++)
            usleep(10000);
        char r = (char)do_read(fd);
        write(orphan_pipe[1], &r, 1);
        _exit(0);
    }
    _exit(0);
}

static volatile sig_atomic_t hups, conts;
static void on_hup(int sig) { (void)sig; hups++; }
static void on_cont(int sig) { (void)sig; conts++; }

static void session(void)
{
    int m, s, fd, v;

    fd = open("/dev/tty", O_RDWR);
    showrc("open /dev/tty without ctty", fd);
    newpty(&m, &s);
    snprintf(ptsname_, sizeof ptsname_, "%s", ttyname(s));
    showrc("TIOCGPGRP before ctty", ioctl(s, TIOCGPGRP, &v));
    showrc("TIOCGSID before ctty", ioctl(s, TIOCGSID, &v));
    fd = open(ptsname_, O_RDWR | O_NOCTTY);
    showrc("open O_NOCTTY acquires", open("/dev/tty", O_RDWR) >= 0 ? 1 : -1);
    close(fd);
    fd = open(ptsname_, O_RDWR);
    int tty = open("/dev/tty", O_RDWR);
    printf("open acquires ctty: %s\n", tty >= 0 ? "yes" : strerror(errno));
    printf("tcgetpgrp is our group: %s\n", tcgetpgrp(s) == getpgrp() ? "yes" : "no");
    v = -1;
    ioctl(m, TIOCGPGRP, &v);
    printf("TIOCGPGRP on master: %s\n", v == getpgrp() ? "our group" : "other");
    showrc("TIOCSCTTY again", ioctl(s, TIOCSCTTY, 0));

    signal(SIGTTOU, SIG_IGN); /* as a shell: to take the terminal back from the background */

    report("background read", bg(do_read, s));
    report("background read, SIGTTIN ignored", bg(do_read_ign, s));
    report("background read, SIGTTIN blocked", bg(do_read_blocked, s));
    report("background write, -tostop", bg(do_write, s));
    setflags(s, 0, 0, 0, 0, TOSTOP, 0);
    report("background write, tostop", bg(do_write, s));
    report("background write, tostop, SIGTTOU ignored", bg(do_write_ign, s));
    setflags(s, 0, 0, 0, 0, 0, TOSTOP);
    report("background tcsetattr", bg(do_tcsetattr, s));
    report("background tcsetattr, SIGTTOU blocked", bg(do_tcsetattr_blocked, s));
    report("background tcgetattr", bg(do_tcgetattr, s));
    report("background tcsetpgrp", bg(do_tcsetpgrp, s));
    pipe(orphan_pipe);
    report("orphaned background read (parent)", bg(do_orphan_read, s));
    char r = 0;
    read(orphan_pipe[0], &r, 1);
    printf("orphaned background read: %s\n", r ? strerrorname_np(r - 100) : "ok");
    close(orphan_pipe[0]);
    close(orphan_pipe[1]);
    drain(m, buf, sizeof buf);

    /* A job brought to the foreground reads what is typed. */
    pid_t job = bg(do_read, s);
    int status;
    waitpid(job, &status, WUNTRACED);
    printf("job: %s\n", how(status));
    showrc("tcsetpgrp to job", tcsetpgrp(s, job));
    printf("foreground is the job: %s\n", tcgetpgrp(s) == job ? "yes" : "no");
    write(m, "go\n", 3);
    kill(-job, SIGCONT);
    waitpid(job, &status, WUNTRACED);
    printf("job after fg: %s\n", how(status));
    showrc("tcsetpgrp back", tcsetpgrp(s, getpgrp()));
    drain(m, buf, sizeof buf);

    /* TIOCSPGRP errors. */
    showrc("tcsetpgrp -1", tcsetpgrp(s, -1));
    showrc("tcsetpgrp no such group", tcsetpgrp(s, 4000000));
    showrc("tcsetpgrp group of another session", tcsetpgrp(s, getppid()));
    showrc("tcsetpgrp on master", tcsetpgrp(m, getpgrp()));

    /* ^Z from the keyboard stops the foreground job; ^C kills it. */
    job = bg(do_fg_read, s);
    tcsetpgrp(s, job);
    usleep(100000);
    write(m, "\032", 1);
    waitpid(job, &status, WUNTRACED);
    printf("^Z: %s\n", how(status));
    kill(-job, SIGCONT);
    usleep(100000);
    write(m, "\003", 1);
    waitpid(job, &status, WUNTRACED);
    printf("^C after continue: %s\n", how(status));
    tcsetpgrp(s, getpgrp());
    drain(m, buf, sizeof buf);

    /* A window-size change signals the foreground group. */
    struct sigaction sa = {0};
    sa.sa_handler = on_hup;
    sigaction(SIGWINCH, &sa, NULL);
    hups = 0;
    struct winsize ws = {.ws_row = 10, .ws_col = 20};
    ioctl(m, TIOCSWINSZ, &ws);
    ioctl(m, TIOCSWINSZ, &ws);
    ws.ws_row = 11;
    ioctl(s, TIOCSWINSZ, &ws);
    usleep(50000);
    printf("SIGWINCH: %d\n", hups);
    signal(SIGWINCH, SIG_DFL);

    /* TIOCNOTTY in a process that is not the leader: only it loses the terminal. */
    pid_t c = fork();
    if (c == 0) {
        int r = ioctl(s, TIOCNOTTY);
        int fd2 = open("/dev/tty", O_RDWR);
        _exit(r == 0 && fd2 < 0 && errno == ENXIO ? 0 : 1);
    }
    waitpid(c, &status, 0);
    printf("TIOCNOTTY in a member: %s\n", how(status));
    printf("leader keeps the terminal: %s\n", open("/dev/tty", O_RDWR) >= 0 ? "yes" : "no");

    /* setsid drops the controlling terminal; TIOCSCTTY by a non-leader is EPERM. */
    c = fork();
    if (c == 0) {
        int r1 = ioctl(s, TIOCSCTTY, 0) < 0 ? errno : 0; /* not a leader */
        setsid();
        int fd2 = open("/dev/tty", O_RDWR);
        int r2 = fd2 < 0 ? errno : 0;
        int r3 = ioctl(s, TIOCSCTTY, 0) < 0 ? errno : 0; /* another session's */
        _exit((r1 == EPERM) + 2 * (r2 == ENXIO) + 4 * (r3 == EPERM));
    }
    waitpid(c, &status, 0);
    printf("TIOCSCTTY rules (7 = all as expected): %s\n", how(status));
    close(tty);
    close(fd);
    close(s);
    signal(SIGHUP, SIG_IGN); /* closing the master hangs up our session */
    close(m);
    signal(SIGHUP, SIG_DFL);
}

/* The session leader exits: its foreground group hears SIGHUP (and SIGCONT). */
static void leader_exit(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t leader = fork();
    if (leader == 0) {
        int m, s;
        setsid();
        newpty(&m, &s);
        ioctl(s, TIOCSCTTY, 0);
        pid_t member = fork();
        if (member == 0) {
            hups = conts = 0;
            struct sigaction sa = {0};
            sa.sa_handler = on_hup;
            sigaction(SIGHUP, &sa, NULL);
            sa.sa_handler = on_cont;
            sigaction(SIGCONT, &sa, NULL);
            write(p[1], "r", 1);
            for (int i = 0; i < 1000 && !hups; i++)
                usleep(10000);
            usleep(50000);
            int fd = open("/dev/tty", O_RDWR);
            char r[64];
            int n = snprintf(r, sizeof r, "hup %d /dev/tty %s", hups, fd >= 0 ? "opens" : strerrorname_np(errno));
            write(p[1], r, n);
            _exit(0);
        }
        char c;
        read(p[0], &c, 1);
        _exit(0); /* the leader leaves, m closes too */
    }
    close(p[1]);
    waitpid(leader, NULL, 0);
    char r[128];
    ssize_t n = read(p[0], r, sizeof r - 1);
    r[n > 0 ? n : 0] = 0;
    printf("leader exit, member: %s\n", r);
    close(p[0]);
    usleep(50000);
}

/* The master closes: the session leader of the slave hears SIGHUP. */
static void master_close(void)
{
    int p[2];
    pipe(p);
    int m, s;
    newpty(&m, &s);
    fflush(stdout);
    pid_t leader = fork();
    if (leader == 0) {
        close(m);
        setsid();
        ioctl(s, TIOCSCTTY, 0);
        hups = conts = 0;
        struct sigaction sa = {0};
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
        write(p[1], "r", 1);
        for (int i = 0; i < 1000 && !hups; i++)
            usleep(10000);
        ssize_t n = read(s, buf, 10);
        const char *rerr = n < 0 ? strerrorname_np(errno) : "-";
        int fd = open("/dev/tty", O_RDWR);
        char r[64];
        int k = snprintf(r, sizeof r, "hup %d read %zd %s /dev/tty %s", hups, n, rerr, fd >= 0 ? "opens" : strerrorname_np(errno));
        write(p[1], r, k);
        _exit(0);
    }
    close(s);
    char c;
    read(p[0], &c, 1);
    close(m);
    int status;
    waitpid(leader, &status, 0);
    close(p[1]);
    char r[128];
    ssize_t n = read(p[0], r, sizeof r - 1);
    r[n > 0 ? n : 0] = 0;
    printf("master closed, leader: %s (%s)\n", r, how(status));
    close(p[0]);
}

/* A stopped group orphaned by its parent's exit gets SIGHUP then SIGCONT. */
static void orphaned_stopped(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t kid = fork();
        if (kid == 0) {
            setpgid(0, 0);
            hups = conts = 0;
            struct sigaction sa = {0};
            sa.sa_handler = on_hup;
            sigaction(SIGHUP, &sa, NULL);
            sa.sa_handler = on_cont;
            sigaction(SIGCONT, &sa, NULL);
            raise(SIGSTOP);
            char r[32];
            int n = snprintf(r, sizeof r, "hup %d cont %d", hups, conts);
            write(p[1], r, n);
            _exit(0);
        }
        setpgid(kid, kid);
        int st;
        waitpid(kid, &st, WUNTRACED);
        _exit(WIFSTOPPED(st) ? 0 : 1); /* leaves a stopped, now orphaned group */
    }
    close(p[1]);
    int status;
    waitpid(mid, &status, 0);
    char r[64];
    ssize_t n = read(p[0], r, sizeof r - 1);
    r[n > 0 ? n : 0] = 0;
    printf("orphaned stopped group: %s (parent %s)\n", r, how(status));
    close(p[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setpgid(0, 0); /* a process group of another session, whatever started us */
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        printf("== session\n");
        session();
        printf("== leader_exit\n");
        leader_exit();
        printf("== master_close\n");
        master_close();
        printf("== orphaned_stopped\n");
        orphaned_stopped();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
