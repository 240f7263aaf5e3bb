/* pipes.c - pipe capacity (F_GETPIPE_SZ, F_SETPIPE_SZ), PIPE_BUF atomicity
 * with several writers, SIGPIPE/EPIPE, EOF when all writers close, POLLHUP
 * and POLLERR, FIONREAD, blocking in both directions, packet mode (O_DIRECT). */
#include "ktest.h"
#include <grp.h>
#include <sys/ioctl.h>

/* Whether the effective set holds capability `cap` (a container's root may lack some). */
static int has_cap(int cap)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1)
            break;
    if (f)
        fclose(f);
    return (eff >> cap) & 1;
}

static volatile int got_sigpipe;
static void on_pipe(int s)
{
    (void)s;
    got_sigpipe++;
}

/* Fill a nonblocking pipe; returns the bytes that fit. */
static long fill(int w)
{
    static char chunk[4096];
    long total = 0;
    for (;;) {
        ssize_t n = write(w, chunk, sizeof chunk);
        if (n < 0)
            break;
        total += n;
    }
    /* byte-sized leftovers */
    for (;;) {
        ssize_t n = write(w, chunk, 1);
        if (n < 0)
            break;
        total += n;
    }
    return total;
}

static void capacity(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536, "F_GETPIPE_SZ of a new pipe is 65536");
    CHECK_EQ(fill(p[1]), 65536, "a new pipe holds exactly 65536 bytes");
    CHECK_ERR(write(p[1], "x", 1), EAGAIN, "writing a full nonblocking pipe is EAGAIN");
    int avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    CHECK_EQ(avail, 65536, "FIONREAD reports 65536 bytes");
    CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY, "shrinking below the queued data is EBUSY");
    static char sink[65536];
    read(p[0], sink, sizeof sink);
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096, "F_SETPIPE_SZ 4096");
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 4096, "both ends see the new size");
    CHECK_EQ(fill(p[1]), 4096, "it now holds 4096 bytes");
    read(p[0], sink, sizeof sink);
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096, "F_SETPIPE_SZ 1 rounds up to a page");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 100000), 131072, "F_SETPIPE_SZ 100000 rounds up to a power-of-two pages (131072)");
    CHECK_EQ(fill(p[1]), 131072, "it now holds 131072 bytes");
    close(p[0]);
    close(p[1]);

    pipe2(p, O_NONBLOCK);
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        setuid(1000);
        _exit(fcntl(p[1], F_SETPIPE_SZ, 2 * 1048576) == -1 && errno == EPERM ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "F_SETPIPE_SZ above pipe-max-size as uid 1000 is EPERM");
    CHECK_ERR(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL, "F_SETPIPE_SZ -1 is EINVAL");
    if (has_cap(24 /* CAP_SYS_RESOURCE */)) {
        /* CAP_SYS_RESOURCE may pass pipe-max-size (Linux's pipe_set_size) */
        CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 30), 1 << 30, "as root, F_SETPIPE_SZ 1 GiB is allowed");
        CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 1 << 30, "and F_GETPIPE_SZ says 1 GiB");
        static char chunk[1 << 20];
        memset(chunk, 'p', sizeof chunk);
        int ok = 1;
        for (int i = 0; i < 4 && ok; i++)
            ok = write(p[1], chunk, sizeof chunk) == (ssize_t)sizeof chunk;
        CHECK(ok, "4 MiB go into the 1 GiB pipe without a reader");
        size_t got = 0;
        ssize_t r;
        while ((r = read(p[0], chunk, sizeof chunk)) > 0)
            got += (size_t)r;
        CHECK_EQ(got, (size_t)4 << 20, "and come out whole");
    }
    close(p[0]);
    close(p[1]);
    pipe2(p, O_NONBLOCK); /* a fresh 64 KiB pipe whatever happened above */

    /* a small write that does not fit is refused whole, not split */
    static char big[65536 - 100];
    CHECK_EQ(write(p[1], big, sizeof big), (ssize_t)sizeof big, "queue 65436 bytes");
    CHECK_ERR(write(p[1], big, 200), EAGAIN, "a nonblocking 200-byte write with 100 bytes free is EAGAIN (PIPE_BUF atomicity)");
    CHECK_EQ(write(p[1], big, 50), 50, "a 50-byte write still fits");
    close(p[0]);
    close(p[1]);

    char c;
    pipe(p);
    CHECK_ERR(read(p[1], &c, 1), EBADF, "reading the write end is EBADF");
    CHECK_ERR(write(p[0], "x", 1), EBADF, "writing the read end is EBADF");
    pid_t zr = fork();
    if (zr == 0) {
        vt_alarm(3); /* a hang here must not stop the other checks */
        _exit(read(p[0], &c, 0) == 0 ? 0 : 1);
    }
    CHECK_EQ(vt_reap(zr), 0, "a zero-length read of an empty pipe returns 0 at once");
    if (kt_qemu())
        kt_skip("pipe2 with an unknown flag is EINVAL", "qemu-user drops unknown flags");
    else
        CHECK_ERR(pipe2(p, 0x40000000), EINVAL, "pipe2 with an unknown flag is EINVAL");
    struct stat st;
    memset(&st, 0, sizeof st);
    int fr = fstat(p[0], &st);
    kt_check(fr == 0 && S_ISFIFO(st.st_mode), "fstat of a pipe is S_IFIFO", "fstat %d (%s) st_mode %o", fr,
             fr ? strerror(errno) : "ok", st.st_mode);
    struct stat st2;
    fstat(p[1], &st2);
    CHECK(st.st_ino == st2.st_ino, "both ends share one inode");
    close(p[0]);
    close(p[1]);
}

#define WRITERS 4
#define RECORDS 250

struct rec {
    int writer, seq;
    unsigned sum;
    unsigned char pad[4096 - 12];
};

static void atomic_writers(void)
{
    int p[2];
    pipe(p);
    pid_t kids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        kids[w] = fork();
        if (kids[w] == 0) {
            close(p[0]);
            static struct rec r;
            for (int s = 0; s < RECORDS; s++) {
                r.writer = w;
                r.seq = s;
                unsigned sum = 0;
                for (size_t i = 0; i < sizeof r.pad; i++) {
                    r.pad[i] = (unsigned char)(w * 31 + s * 7 + i);
                    sum += r.pad[i];
                }
                r.sum = sum;
                /* half the records are PIPE_BUF bytes, half 512 */
                size_t len = (s & 1) ? sizeof r : 512;
                if (write(p[1], &r, len) != (ssize_t)len)
                    _exit(1);
            }
            _exit(0);
        }
    }
    close(p[1]);
    int next[WRITERS] = {0}, bad = 0, total = 0;
    static struct rec r;
    for (;;) {
        /* a record's length follows from its parity, which its header tells */
        ssize_t n = vt_read_full(p[0], &r, 512);
        if (n == 0)
            break;
        if (n != 512) {
            bad++;
            break;
        }
        if (r.seq & 1) {
            if (vt_read_full(p[0], (char *)&r + 512, sizeof r - 512) != (ssize_t)(sizeof r - 512)) {
                bad++;
                break;
            }
        }
        size_t len = (r.seq & 1) ? sizeof r.pad : 512 - 12;
        if (r.writer < 0 || r.writer >= WRITERS || r.seq != next[r.writer]) {
            bad++;
            break;
        }
        unsigned sum = 0;
        int ok = 1;
        for (size_t i = 0; i < len; i++) {
            if (r.pad[i] != (unsigned char)(r.writer * 31 + r.seq * 7 + i))
                ok = 0;
            sum += r.pad[i];
        }
        if (!ok || ((r.seq & 1) && sum != r.sum))
            bad++;
        next[r.writer]++;
        total++;
    }
    int st_ok = 1;
    for (int w = 0; w < WRITERS; w++)
        if (vt_reap(kids[w]) != 0)
            st_ok = 0;
    CHECK(st_ok, "4 writer children wrote all their records");
    CHECK_EQ(total, WRITERS * RECORDS, "every record arrived");
    CHECK_EQ(bad, 0, "no record (512 or 4096 = PIPE_BUF bytes) was interleaved with another");
    close(p[0]);
}

static void sigpipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(p[1], "x", 1);
        _exit(0);
    }
    CHECK_EQ(vt_reap(pid), 1000 + SIGPIPE, "writing a pipe without readers kills with SIGPIPE");
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERR(write(p[1], "x", 1), EPIPE, "with SIGPIPE ignored the write is EPIPE");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_pipe;
    sigaction(SIGPIPE, &sa, NULL);
    CHECK_ERR(write(p[1], "x", 1), EPIPE, "with a handler the write is EPIPE");
    CHECK_EQ(got_sigpipe, 1, "... and the handler ran once");
    struct pollfd pf = {p[1], POLLOUT, 0};
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR), "poll on a write end without readers reports POLLERR");
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);

    /* a blocked writer is woken by the last reader closing */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        signal(SIGPIPE, SIG_IGN);
        vt_alarm(10);
        static char big[200000];
        ssize_t n = write(p[1], big, sizeof big); /* blocks after 64 KiB */
        _exit(n == 65536 ? 0 : n < 0 && errno == EPIPE ? 2 : 3);
    }
    vt_msleep(200);
    close(p[1]);
    close(p[0]);
    int r = vt_reap(pid);
    CHECK(r == 0 || r == 2, "a writer blocked on a full pipe returns when the reader goes (partial count or EPIPE)");
}

static void eof_and_hup(void)
{
    int p[2];
    pipe(p);
    int w2 = dup(p[1]);
    write(p[1], "abc", 3);
    close(p[1]);
    char b[16];
    CHECK_EQ(read(p[0], b, sizeof b), 3, "data written before the close is read");
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    CHECK_ERR(read(p[0], b, sizeof b), EAGAIN, "with a dup'd writer still open there is no EOF");
    struct pollfd pf = {p[0], POLLIN, 0};
    CHECK_EQ(poll(&pf, 1, 0), 0, "poll shows nothing while a writer remains");
    write(w2, "z", 1);
    close(w2);
    pf.revents = 0;
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP),
          "data and no writers: POLLIN|POLLHUP");
    CHECK_EQ(read(p[0], b, sizeof b), 1, "the last byte is read");
    pf.revents = 0;
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP) && !(pf.revents & POLLIN), "then only POLLHUP");
    CHECK_EQ(read(p[0], b, sizeof b), 0, "read returns 0 (EOF) once every writer closed");
    close(p[0]);

    /* a blocking read waits for a child's write, then EOF at its exit */
    pipe(p);
    long long t0 = vt_now_ms(); /* before the fork: the child sleeps 150 ms after it */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        vt_msleep(150);
        write(p[1], "late", 4);
        vt_msleep(100);
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], b, sizeof b);
    long long dt = vt_now_ms() - t0;
    CHECK(n == 4 && dt >= 145, "a blocking read waits for the writer");
    CHECK_EQ(read(p[0], b, sizeof b), 0, "EOF when the writer child exits");
    vt_reap(pid);
    close(p[0]);

    /* a writer blocked on a full pipe resumes as the reader drains */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        static char big[300000];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (char)(i * 13);
        _exit(vt_write_full(p[1], big, sizeof big) == (ssize_t)sizeof big ? 0 : 1);
    }
    close(p[1]);
    static char got[300000];
    n = vt_read_full(p[0], got, sizeof got);
    int ok = n == (ssize_t)sizeof got;
    for (size_t i = 0; ok && i < sizeof got; i++)
        if (got[i] != (char)(i * 13))
            ok = 0;
    CHECK(ok, "300000 bytes through a 64 KiB pipe arrive in order");
    CHECK_EQ(vt_reap(pid), 0, "the writer finished");
    close(p[0]);
}

static void packets(void)
{
    int p[2];
    if (pipe2(p, O_DIRECT | O_NONBLOCK) != 0) { /* nonblocking: a wrong count must not hang */
        kt_fail("pipe2(O_DIRECT) packet mode", "errno %s", strerror(errno));
        return;
    }
    write(p[1], "abc", 3);
    write(p[1], "de", 2);
    char b[100];
    CHECK_EQ(read(p[0], b, sizeof b), 3, "O_DIRECT pipe: the first read returns the first packet only");
    CHECK_EQ(read(p[0], b, sizeof b), 2, "O_DIRECT pipe: the second read the second packet");
    write(p[1], "12345", 5);
    CHECK_EQ(read(p[0], b, 2), 2, "O_DIRECT pipe: a short read takes part of a packet");
    write(p[1], "x", 1);
    CHECK(read(p[0], b, sizeof b) == 1 && b[0] == 'x', "... and discards the rest of it");
    close(p[0]);
    close(p[1]);
}

/* /proc/sys/fs/pipe-max-size is root's to set (rounded up to a power-of-two
 * pages); a new pipe made by a task without CAP_SYS_RESOURCE is no larger
 * than it (alloc_pipe_info), root's keeps 16 pages. Not under qemu: that
 * would change the host's sysctl for every process on it. */
static void max_size_sysctl(void)
{
    if (kt_qemu() || getuid() != 0) {
        kt_skip("pipe-max-size", kt_qemu() ? "the host's sysctl" : "needs root");
        return;
    }
    char old[32] = "";
    int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, old, sizeof old - 1) : -1;
    if (fd >= 0)
        close(fd);
    CHECK(n > 0, "read pipe-max-size");
    fd = open("/proc/sys/fs/pipe-max-size", O_WRONLY);
    CHECK(fd >= 0 && write(fd, "5000", 4) == 4, "root writes 5000 to pipe-max-size");
    if (fd >= 0)
        close(fd);
    char now[32] = "";
    fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, now, sizeof now - 1) < 0)
            now[0] = 0;
        close(fd);
    }
    CHECK(strcmp(now, "8192\n") == 0, "pipe-max-size 5000 reads back as 8192 (a power-of-two pages)");
    fd = open("/proc/sys/fs/pipe-max-size", O_WRONLY);
    CHECK_ERR(fd >= 0 ? write(fd, "-1", 2) : -2, EINVAL, "pipe-max-size -1 is EINVAL");
    if (fd >= 0)
        close(fd);
    int p[2];
    pipe(p);
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536, "root's new pipe keeps 64 KiB");
    close(p[0]);
    close(p[1]);
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        if (setuid(1000) || pipe(p))
            _exit(2);
        _exit(fcntl(p[0], F_GETPIPE_SZ) == 8192 ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "uid 1000's new pipe holds pipe-max-size (8192)");
    pid = fork();
    if (pid == 0) {
        int fd2 = open("/proc/sys/fs/pipe-max-size", O_WRONLY);
        setgroups(0, NULL);
        if (setuid(1000))
            _exit(2);
        _exit(open("/proc/sys/fs/pipe-max-size", O_WRONLY) == -1 && errno == EACCES && fd2 >= 0 ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "uid 1000 may not open pipe-max-size for writing (EACCES)");
    fd = open("/proc/sys/fs/pipe-max-size", O_WRONLY);
    CHECK(fd >= 0 && write(fd, old, strlen(old)) == (ssize_t)strlen(old), "pipe-max-size restored");
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 90);
    capacity();
    max_size_sysctl();
    long long t0 = vt_now_ms();
    atomic_writers();
    kt_printf("# atomic writers took %lld ms\n", vt_now_ms() - t0);
    sigpipe();
    eof_and_hup();
    packets();
    return kt_done();
}
