/*
 * ldisc.c - the N_TTY line discipline seen through a pty: canonical input
 * and its editing characters, every echo flag, input and output processing,
 * signals from ISIG characters, flow control, VMIN/VTIME, and the pty's own
 * ioctls. Compared line by line between qemu-riscv64 (Linux) and Ghost.
 */
#include "ttytest.h"

static char buf[16384];

/* Sends keys to the slave; prints what it echoed back to the master. */
static void feed(int m, const char *in, size_t len, const char *name)
{
    if (write(m, in, len) != (ssize_t)len)
        perror("write master");
    show(name, buf, drain(m, buf, sizeof buf));
}
#define FEED(m, s, name) feed(m, s, sizeof(s) - 1, name)

/* A non-blocking read of the slave. */
static void rd(int s, const char *name)
{
    settle();
    settle_for(s, 500);
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    show(name, buf, read(s, buf, sizeof buf));
    fcntl(s, F_SETFL, fl);
}

static void inq(int fd, const char *name)
{
    int v = -1;
    if (ioctl(fd, FIONREAD, &v) < 0)
        showrc(name, -1);
    else
        showrc(name, v);
}

/* One editing case on a fresh pty: flags changed, keys fed, echo and line read. */
static void edit_case(const char *name, tcflag_t lon, tcflag_t loff, const char *keys, size_t len)
{
    int m, s;
    char label[128];
    newpty(&m, &s);
    setflags(s, 0, 0, 0, 0, lon, loff);
    snprintf(label, sizeof label, "%s echo", name);
    feed(m, keys, len, label);
    snprintf(label, sizeof label, "%s read", name);
    rd(s, label);
    close(s);
    close(m);
}
#define EDIT(name, on, off, keys) edit_case(name, on, off, keys, sizeof(keys) - 1)

static void canonical(void)
{
    int m, s;
    newpty(&m, &s);
    FEED(m, "hello\n", "basic echo");
    rd(s, "basic read");
    rd(s, "basic again");
    FEED(m, "abc", "partial echo");
    rd(s, "partial read");
    inq(s, "partial FIONREAD");
    FEED(m, "\n", "partial end echo");
    inq(s, "line FIONREAD");
    inq(m, "master FIONREAD");
    rd(s, "partial line read");
    FEED(m, "a\nb\n", "two lines echo");
    rd(s, "two lines read 1");
    rd(s, "two lines read 2");
    FEED(m, "abcdef\n", "short buffer echo");
    show("short buffer read 1", buf, read(s, buf, 3));
    show("short buffer read 2", buf, read(s, buf, 3));
    show("short buffer read 3", buf, read(s, buf, 3));
    FEED(m, "ab\004", "eof mid-line echo");
    rd(s, "eof mid-line read");
    FEED(m, "\004", "eof alone echo");
    inq(s, "eof FIONREAD");
    rd(s, "eof alone read");
    FEED(m, "x\n\004", "line then eof echo");
    inq(s, "line then eof FIONREAD");
    rd(s, "line then eof read 1");
    rd(s, "line then eof read 2");
    close(s);
    close(m);
}

static void editing(void)
{
    EDIT("erase echoe", 0, 0, "ab\177c\n");
    EDIT("erase -echoe", 0, ECHOE, "ab\177c\n");
    EDIT("erase empty", 0, 0, "\177\177x\n");
    EDIT("kill echoke", 0, 0, "abc\025d\n");
    EDIT("kill -echoke", 0, ECHOKE, "abc\025d\n");
    EDIT("kill -echok -echoke", 0, ECHOK | ECHOKE, "abc\025d\n");
    EDIT("kill -echoe", 0, ECHOE, "abc\025d\n");
    EDIT("werase", 0, 0, "foo bar  \027baz\n");
    EDIT("werase punct", 0, 0, "a.b\027\n");
    EDIT("werase all", 0, 0, "one two\027\027\027x\n");
    EDIT("lnext", 0, 0, "\026\003\026\177a\n");
    EDIT("lnext -echoctl", 0, ECHOCTL, "\026\001\n");
    EDIT("reprint", 0, 0, "ab\022c\n");
    EDIT("echoprt", ECHOPRT, ECHOE, "abc\177\177d\n");
    EDIT("echoprt kill", ECHOPRT, 0, "abc\025d\n");
    EDIT("echoctl", 0, 0, "\001\t\033x\n");
    EDIT("-echoctl", 0, ECHOCTL, "\001\t\033x\n");
    EDIT("echonl -echo", ECHONL, ECHO, "ab\n");
    EDIT("-echo", 0, ECHO, "ab\177c\n");
    EDIT("tab erase", 0, 0, "ab\tc\177\177d\n");
    EDIT("ctl erase", 0, 0, "a\001\177\n");
    EDIT("-iexten werase", 0, IEXTEN, "ab\027\n");
    EDIT("-iexten lnext", 0, IEXTEN, "a\026\n");
}

static void eol_chars(void)
{
    int m, s;
    struct termios t;
    newpty(&m, &s);
    tcgetattr(s, &t);
    t.c_cc[VEOL] = '!';
    t.c_cc[VEOL2] = '@';
    tcsetattr(s, TCSANOW, &t);
    FEED(m, "ab!cd@", "eol echo");
    rd(s, "eol read 1");
    rd(s, "eol read 2");
    t.c_cc[VERASE] = 'x';
    t.c_cc[VKILL] = 'y';
    t.c_cc[VEOF] = 'z';
    tcsetattr(s, TCSANOW, &t);
    FEED(m, "abxc\n", "custom erase echo");
    rd(s, "custom erase read");
    FEED(m, "qqyw\n", "custom kill echo");
    rd(s, "custom kill read");
    FEED(m, "kz", "custom eof echo");
    rd(s, "custom eof read");
    t.c_cc[VERASE] = _POSIX_VDISABLE;
    tcsetattr(s, TCSANOW, &t);
    FEED(m, "a\177b\n", "disabled erase echo");
    rd(s, "disabled erase read");
    close(s);
    close(m);
}

static void input_flags(void)
{
    int m, s;
    newpty(&m, &s);
    FEED(m, "ab\r", "icrnl echo");
    rd(s, "icrnl read");
    setflags(s, IGNCR, 0, 0, 0, 0, 0);
    FEED(m, "a\rb\n", "igncr echo");
    rd(s, "igncr read");
    setflags(s, INLCR, IGNCR | ICRNL, 0, 0, 0, ICANON);
    FEED(m, "a\nb\r", "inlcr raw echo");
    rd(s, "inlcr raw read");
    setflags(s, ISTRIP, INLCR, 0, 0, 0, 0);
    FEED(m, "\341\342", "istrip echo");
    rd(s, "istrip read");
    setflags(s, IUCLC, ISTRIP, 0, 0, 0, 0);
    FEED(m, "AbC", "iuclc echo");
    rd(s, "iuclc read");
    setflags(s, IUTF8, IUCLC, 0, 0, ICANON, 0);
    FEED(m, "x\303\251\177\n", "iutf8 erase echo");
    rd(s, "iutf8 erase read");
    setflags(s, 0, IUTF8, 0, 0, 0, 0);
    FEED(m, "x\303\251\177\n", "-iutf8 erase echo");
    rd(s, "-iutf8 erase read");
    close(s);
    close(m);
}

static void output_flags(void)
{
    int m, s;
    static const char text[] = "a\nb\r\tc\rd\n";
    newpty(&m, &s);
    write(s, text, sizeof text - 1);
    show("onlcr", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, OCRNL, ONLCR, 0, 0);
    write(s, text, sizeof text - 1);
    show("ocrnl", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, ONOCR | ONLCR, OCRNL, 0, 0);
    write(s, "\rab\r\n\rc", 7);
    show("onocr", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, ONLRET, ONOCR | ONLCR, 0, 0);
    write(s, "ab\ncd\r", 6);
    show("onlret", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, OLCUC | ONLCR, ONLRET, 0, 0);
    write(s, "abc XyZ\n", 8);
    show("olcuc", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, XTABS, OLCUC, 0, 0);
    write(s, "a\tbc\tdefghij\tk\n", 15);
    show("xtabs", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, 0, OPOST, 0, 0);
    write(s, text, sizeof text - 1);
    show("-opost", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, 0, OPOST, XTABS, 0, 0);
    FEED(m, "x\ty\n", "echo onlcr tab");
    rd(s, "echo onlcr tab read");
    close(s);
    close(m);
}

static volatile sig_atomic_t got[65];
static void catcher(int sig) { got[sig]++; }

/* ISIG characters: this process makes the slave its controlling terminal. */
static void isig(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int m, s;
        setsid();
        newpty(&m, &s);
        if (ioctl(s, TIOCSCTTY, 0) < 0)
            perror("TIOCSCTTY");
        struct sigaction sa = {0};
        sa.sa_handler = catcher;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
        sigaction(SIGTSTP, &sa, NULL);
        FEED(m, "ab\003cd\n", "intr echo");
        printf("intr signals: INT %d\n", got[SIGINT]);
        rd(s, "intr read");
        FEED(m, "x\034y\n", "quit echo");
        FEED(m, "z\032w\n", "susp echo");
        printf("quit/susp signals: QUIT %d TSTP %d\n", got[SIGQUIT], got[SIGTSTP]);
        rd(s, "after quit/susp read");
        rd(s, "after quit/susp read 2");
        setflags(s, 0, 0, 0, 0, NOFLSH, 0);
        FEED(m, "ab\003cd\n", "noflsh echo");
        rd(s, "noflsh read");
        rd(s, "noflsh read 2");
        setflags(s, 0, 0, 0, 0, 0, ECHO | NOFLSH);
        FEED(m, "q\003", "intr -echo echo");
        setflags(s, 0, 0, 0, 0, ECHO, ISIG);
        FEED(m, "a\003b\n", "-isig echo");
        rd(s, "-isig read");
        printf("signals: INT %d QUIT %d TSTP %d\n", got[SIGINT], got[SIGQUIT], got[SIGTSTP]);
        /* Output written but not read by the master is dropped by ^C. */
        setflags(s, 0, 0, 0, 0, ISIG, 0);
        write(s, "unread output\n", 14);
        settle();
        FEED(m, "\003", "flush unread output");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void flow(void)
{
    int m, s;
    newpty(&m, &s);
    FEED(m, "\023", "stop echo");
    fcntl(s, F_SETFL, O_NONBLOCK);
    showrc("write while stopped", write(s, "x", 1));
    FEED(m, "ab", "echo while stopped");
    FEED(m, "\021", "start echo");
    showrc("write after start", write(s, "y", 1));
    show("master after start", buf, drain(m, buf, sizeof buf));
    rd(s, "flow read");
    setflags(s, IXANY, 0, 0, 0, 0, 0);
    FEED(m, "\023", "ixany stop");
    FEED(m, "q", "ixany restart");
    showrc("write after ixany", write(s, "z", 1));
    show("master after ixany", buf, drain(m, buf, sizeof buf));
    setflags(s, 0, IXON | IXANY, 0, 0, 0, 0);
    FEED(m, "\023\021\n", "-ixon echo");
    rd(s, "-ixon read");
    showrc("tcflow TCOOFF", tcflow(s, TCOOFF));
    showrc("write after TCOOFF", write(s, "o", 1));
    showrc("tcflow TCOON", tcflow(s, TCOON));
    showrc("write after TCOON", write(s, "p", 1));
    show("master after tcflow", buf, drain(m, buf, sizeof buf));
    showrc("tcflow TCIOFF", tcflow(s, TCIOFF));
    showrc("tcflow TCION", tcflow(s, TCION));
    show("master after TCIOFF/TCION", buf, drain(m, buf, sizeof buf));
    showrc("tcflow bad", tcflow(s, 9));
    FEED(m, "abc\n", "before tcflush echo");
    showrc("tcflush TCIFLUSH", tcflush(s, TCIFLUSH));
    rd(s, "after tcflush read");
    showrc("tcflush bad", tcflush(s, 7));
    close(s);
    close(m);
}

/* Coarse, so that a loaded machine does not change the answer: the timers below are 0.5 s. */
static const char *bucket(double ms)
{
    return ms < 250 ? "at once" : ms < 5000 ? "after the timer" : "late";
}

static void timed_read(int s, size_t want, const char *name)
{
    double t0 = now_ms();
    ssize_t n = read(s, buf, want);
    double dt = now_ms() - t0;
    show(name, buf, n);
    printf("%s timing: %s\n", name, bucket(dt));
}

/* A child writes keys to the master after a delay. */
static void later(int m, const char *keys, int ms)
{
    if (fork() == 0) {
        usleep(ms * 1000);
        write(m, keys, strlen(keys));
        _exit(0);
    }
}

static void vmin_vtime(void)
{
    int m, s;
    struct termios t;
    newpty(&m, &s);
    tcgetattr(s, &t);
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    timed_read(s, 10, "min0 time0 empty");
    write(m, "ab", 2);
    settle();
    timed_read(s, 10, "min0 time0 data");
    t.c_cc[VTIME] = 5;
    tcsetattr(s, TCSANOW, &t);
    timed_read(s, 10, "min0 time5 empty");
    later(m, "c", 400);
    timed_read(s, 10, "min0 time5 data later");
    wait(NULL);
    t.c_cc[VMIN] = 3;
    t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    write(m, "de", 2);
    later(m, "f", 400);
    timed_read(s, 10, "min3 time0");
    wait(NULL);
    write(m, "gh", 2);
    settle();
    timed_read(s, 1, "min3 time0 count1");
    later(m, "ij", 400);
    timed_read(s, 10, "min3 time0 rest");
    wait(NULL);
    write(m, "jk", 2);
    fcntl(s, F_SETFL, O_NONBLOCK);
    timed_read(s, 10, "min3 nonblock");
    timed_read(s, 10, "min3 nonblock empty");
    fcntl(s, F_SETFL, 0);
    t.c_cc[VTIME] = 5;
    tcsetattr(s, TCSANOW, &t);
    write(m, "lm", 2);
    settle();
    timed_read(s, 10, "min3 time5 short");
    write(m, "nopq", 4);
    settle();
    timed_read(s, 10, "min3 time5 enough");
    close(s);
    close(m);
}

static void pty_ioctls(void)
{
    int m, s;
    struct winsize ws = {0};
    newpty(&m, &s);
    ioctl(s, TIOCGWINSZ, &ws);
    printf("initial winsize: %d %d\n", ws.ws_row, ws.ws_col);
    ws.ws_row = 33;
    ws.ws_col = 101;
    showrc("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
    memset(&ws, 0, sizeof ws);
    ioctl(s, TIOCGWINSZ, &ws);
    printf("slave winsize: %d %d\n", ws.ws_row, ws.ws_col);
    int v = -1;
    write(s, "12345", 5);
    settle();
    ioctl(s, TIOCOUTQ, &v);
    printf("slave TIOCOUTQ: %d\n", v);
    ioctl(m, FIONREAD, &v);
    printf("master FIONREAD: %d\n", v);
    drain(m, buf, sizeof buf);
    showrc("TIOCSTI", ioctl(s, TIOCSTI, "Q"));
    setflags(s, 0, 0, 0, 0, 0, ICANON);
    rd(s, "TIOCSTI read");
    show("TIOCSTI echo", buf, drain(m, buf, sizeof buf));
    struct termios t;
    tcgetattr(m, &t);
    printf("master sees slave termios: %s\n", (t.c_lflag & ICANON) ? "canonical" : "raw");
    setflags(m, 0, 0, 0, 0, ICANON, 0);
    tcgetattr(s, &t);
    printf("set through master: %s\n", (t.c_lflag & ICANON) ? "canonical" : "raw");
    unsigned n = 99;
    showrc("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
    char name[64];
    snprintf(name, sizeof name, "/dev/pts/%u", n);
    printf("TIOCGPTN matches ttyname: %s\n", strcmp(name, ttyname(s)) == 0 ? "yes" : "no");
    showrc("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &n));
    int d = -1;
    showrc("TIOCGETD", ioctl(s, TIOCGETD, &d));
    printf("ldisc: %d\n", d);
    int disc = 0;
    showrc("TIOCSETD N_TTY", ioctl(s, TIOCSETD, &disc));
    showrc("TIOCEXCL", ioctl(s, TIOCEXCL));
    showrc("TIOCNXCL", ioctl(s, TIOCNXCL));
    showrc("TCSBRK", tcdrain(s));
    showrc("TIOCGPGRP not ctty", ioctl(s, TIOCGPGRP, &v));
    showrc("TIOCGSID not ctty", ioctl(s, TIOCGSID, &v));
    showrc("TIOCNOTTY not ctty", ioctl(s, TIOCNOTTY));
    close(s);
    close(m);

    /* The slave is locked until unlockpt. */
    int pm = posix_openpt(O_RDWR | O_NOCTTY);
    char *pn = ptsname(pm);
    showrc("open locked slave", open(pn, O_RDWR | O_NOCTTY));
    showrc("write master before slave open", write(pm, "zz", 2));
    show("echo before slave open", buf, drain(pm, buf, sizeof buf));
    showrc("unlockpt", unlockpt(pm));
    int ps = open(pn, O_RDWR | O_NOCTTY);
    printf("open unlocked slave: %s\n", ps >= 0 ? "ok" : strerror(errno));
    int peer = ioctl(pm, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    printf("TIOCGPTPEER: %s\n", peer >= 0 && isatty(peer) ? "a tty" : strerror(errno));
    if (peer >= 0) {
        printf("peer ttyname matches: %s\n", strcmp(ttyname(peer), pn) == 0 ? "yes" : "no");
        close(peer);
    }

    /* Packet mode. */
    int one = 1;
    showrc("TIOCPKT", ioctl(pm, TIOCPKT, &one));
    write(ps, "hi", 2);
    show("packet data", buf, drain(pm, buf, sizeof buf));
    tcflow(ps, TCOOFF);
    show("packet stop", buf, drain(pm, buf, sizeof buf));
    tcflow(ps, TCOON);
    show("packet start", buf, drain(pm, buf, sizeof buf));
    tcflush(ps, TCIFLUSH);
    show("packet flush read", buf, drain(pm, buf, sizeof buf));
    tcflush(ps, TCOFLUSH);
    show("packet flush write", buf, drain(pm, buf, sizeof buf));
    int zero = 0;
    ioctl(pm, TIOCPKT, &zero);
    close(ps);
    close(pm);
}

static void hangups(void)
{
    int m, s;
    struct pollfd p;
    newpty(&m, &s);
    write(s, "bye", 3);
    close(s);
    settle();
    p = (struct pollfd){m, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    printf("master poll, slave closed, data left: %#x\n", p.revents);
    show("master read data left", buf, read(m, buf, sizeof buf));
    p.revents = 0;
    poll(&p, 1, 0);
    printf("master poll, slave closed: %#x\n", p.revents);
    show("master read, slave closed", buf, read(m, buf, sizeof buf));
    showrc("master write, slave closed", write(m, "q", 1));
    char *pn = ptsname(m);
    int s2 = open(pn, O_RDWR | O_NOCTTY);
    printf("reopen slave: %s\n", s2 >= 0 ? "ok" : strerror(errno));
    show("master after reopen (echo of q)", buf, drain(m, buf, sizeof buf));
    close(s2);
    close(m);

    newpty(&m, &s);
    char name[64];
    snprintf(name, sizeof name, "%s", ttyname(s));
    close(m);
    settle();
    p = (struct pollfd){s, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    printf("slave poll, master closed: %#x\n", p.revents);
    show("slave read, master closed", buf, read(s, buf, sizeof buf));
    showrc("slave write, master closed", write(s, "x", 1));
    showrc("slave ioctl, master closed", ioctl(s, TCFLSH, TCIFLUSH));
    showrc("open slave after master closed", open(name, O_RDWR | O_NOCTTY));
    close(s);
}

static void mode_switch(void)
{
    int m, s;
    newpty(&m, &s);
    setflags(s, 0, 0, 0, 0, 0, ICANON);
    FEED(m, "raw", "raw then canon echo");
    setflags(s, 0, 0, 0, 0, ICANON, 0);
    inq(s, "after switch FIONREAD");
    rd(s, "after switch read");
    FEED(m, "par", "canon partial echo");
    setflags(s, 0, 0, 0, 0, 0, ICANON);
    rd(s, "canon partial then raw read");
    close(s);
    close(m);
}

static void long_line(void)
{
    int m, s;
    static char line[5000];
    newpty(&m, &s);
    setflags(s, 0, 0, 0, 0, 0, ECHO);
    memset(line, 'x', sizeof line);
    for (size_t off = 0; off < sizeof line; off += 1000) {
        write(m, line + off, 1000);
        settle();
    }
    inq(s, "overlong line FIONREAD before newline");
    write(m, "\n", 1);
    settle();
    inq(s, "overlong line FIONREAD");
    ssize_t n = read(s, buf, sizeof buf);
    printf("overlong line read: %zd, last %#x\n", n, n > 0 ? (unsigned char)buf[n - 1] : 0);
    close(s);
    close(m);

    /* Raw mode: the queue fills up, the master's further writes wait in the pty. */
    newpty(&m, &s);
    setflags(s, 0, 0, 0, 0, 0, ECHO | ICANON);
    fcntl(m, F_SETFL, O_NONBLOCK);
    ssize_t total = 0;
    for (int i = 0; i < 5; i++) {
        ssize_t w = write(m, line, 1000);
        if (w > 0)
            total += w;
        settle();
    }
    printf("raw fill: master wrote %zd\n", total);
    inq(s, "raw fill FIONREAD");
    ssize_t got = 0;
    fcntl(s, F_SETFL, O_NONBLOCK);
    for (;;) {
        n = read(s, buf, sizeof buf);
        if (n <= 0)
            break;
        got += n;
        settle();
    }
    printf("raw fill: slave read %zd\n", got);
    close(s);
    close(m);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
#define RUN(f) if (!only || !strcmp(only, #f)) { printf("== %s\n", #f); f(); }
    RUN(canonical);
    RUN(editing);
    RUN(eol_chars);
    RUN(input_flags);
    RUN(output_flags);
    RUN(isig);
    RUN(flow);
    RUN(vmin_vtime);
    RUN(pty_ioctls);
    RUN(hangups);
    RUN(mode_switch);
    RUN(long_line);
    return 0;
}
