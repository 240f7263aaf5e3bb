/* kmsg.c - /dev/kmsg, the kernel log a record at a time
 * (Documentation/ABI/testing/dev-kmsg): one record per read as
 * "PRI,SEQ,TIMESTAMP,FLAGS;TEXT\n", EINVAL for a buffer too small (the
 * record passed over), lseek with
 * offset 0 only, EAGAIN at the end with O_NONBLOCK, a blocking read woken by
 * a new record, poll; writes with a "<N>" prefix, escaping, the length limit,
 * the per-file rate limit, EPIPE for a reader the ring overtook, and
 * busybox dmesg showing what was written.
 * Under qemu-user only the reading checks that leave the host's log as it
 * is run (on the host's own /dev/kmsg); writing would log into the host. */
#include "ktest.h"
#include <poll.h>
#include <sys/klog.h>
#include <sys/wait.h>

static char buf[8192];

/* Parses a record's header; returns the text after ';' or NULL. */
static const char *parse(const char *rec, unsigned *pri, unsigned long long *seq, unsigned long long *us, char *flag)
{
    int used = 0;
    if (sscanf(rec, "%u,%llu,%llu,%c;%n", pri, seq, us, flag, &used) != 4 || used == 0)
        return NULL;
    return rec + used;
}

/* One read into buf (NUL-terminated); its length, or -1. */
static ssize_t rd(int fd)
{
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    return n;
}

/* Writes one message on a fresh descriptor (each has its own rate limit). */
static ssize_t logmsg(const char *s)
{
    int w = open("/dev/kmsg", O_WRONLY);
    if (w < 0)
        return -1;
    ssize_t n = write(w, s, strlen(s));
    close(w);
    return n;
}

/* Reads records until one whose text is `text`; its priority, or -1. */
static int find(int fd, const char *text)
{
    for (int i = 0; i < 10000; i++) {
        if (rd(fd) <= 0)
            return -1;
        unsigned pri;
        unsigned long long seq, us;
        char flag;
        const char *t = parse(buf, &pri, &seq, &us, &flag);
        size_t len = strlen(text);
        if (t && strncmp(t, text, len) == 0 && t[len] == '\n')
            return (int)pri;
    }
    return -1;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0 && kt_qemu()) {
        kt_skip("/dev/kmsg", "the host's log is not readable here");
        return kt_done();
    }
    CHECK(fd >= 0, "/dev/kmsg opens for reading");
    CHECK_ERR(read(fd, buf, 4), EINVAL, "a buffer smaller than the record is EINVAL");
    /* ... and that record is passed over (devkmsg_read moves on before it checks the size). */
    ssize_t n = rd(fd);
    CHECK(n > 0 && buf[n - 1] == '\n', "a read returns a record ending in a newline");
    unsigned pri, pri2;
    unsigned long long seq, seq2, us, us2;
    char flag, flag2;
    const char *text = parse(buf, &pri, &seq, &us, &flag);
    CHECK(text != NULL && (flag == '-' || flag == 'c'), "the record starts with PRI,SEQ,TIMESTAMP,FLAGS;");
    CHECK(n > 0 && (size_t)n == strlen(buf), "... one record, no NUL in it");
    CHECK(text != NULL && strchr(text, '\n') != NULL && strchr(text, '\n') - buf <= n - 1, "... its text on one line");
    rd(fd);
    CHECK(parse(buf, &pri2, &seq2, &us2, &flag2) && seq2 == seq + 1 && us2 >= us, "the next read is the next record");
    CHECK_ERR(lseek(fd, 1, SEEK_SET), ESPIPE, "lseek to a nonzero offset is ESPIPE");
    CHECK_ERR(lseek(fd, 0, SEEK_CUR), EINVAL, "SEEK_CUR is EINVAL");
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "SEEK_SET 0 returns 0");
    rd(fd);
    CHECK(parse(buf, &pri2, &seq2, &us2, &flag2) && seq2 + 1 == seq, "... and goes back to the oldest record, the one passed over");
    if (kt_qemu())
        return kt_done();

    /* From here on the log is Ghost's own (writing to the host's is not a test's business). */
    CHECK_EQ(lseek(fd, 0, SEEK_END), 0, "SEEK_END returns 0");
    CHECK_ERR(read(fd, buf, sizeof buf), EAGAIN, "at the end, O_NONBLOCK reads EAGAIN");
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 0), 0, "poll finds nothing to read at the end");

    int w;
    const char *hello = "<5>hello kmsg\n";
    CHECK_EQ(logmsg(hello), strlen(hello), "a write returns its length");
    p.revents = 0;
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll: a new record is readable");
    n = rd(fd);
    text = parse(buf, &pri, &seq2, &us, &flag);
    CHECK(text && pri == (1 << 3 | 5) && strcmp(text, "hello kmsg\n") == 0,
          "<5> gives LOG_USER at level 5 (PRI 13), the prefix and newline dropped");
    CHECK(n > 0 && (size_t)n == strlen(buf), "... as one record");

    logmsg("no level");
    CHECK_EQ(find(fd, "no level"), 1 << 3 | 4, "without a prefix: LOG_USER at the default level 4");
    logmsg("<27>daemon err");
    CHECK_EQ(find(fd, "daemon err"), 3 << 3 | 3, "<27>: facility 3, level 3");
    logmsg("<>zero");
    CHECK_EQ(find(fd, "zero"), 1 << 3 | 0, "<>: level 0, facility kept");
    logmsg("<x>kept");
    CHECK_EQ(find(fd, "<x>kept"), 1 << 3 | 4, "<x>: not a prefix, kept in the text");
    logmsg("back\\slash\ttab\x7f\xc3\xa9");
    CHECK(find(fd, "back\\x5cslash\\x09tab\\x7f\\xc3\\xa9") == (1 << 3 | 4), "backslash, control and non-ASCII bytes read as \\xNN");

    /* One write is one record, newlines and all (devkmsg_write → printk: the
     * trailing newline dropped, the others escaped as \x0a when read). */
    const char *two = "<6>first line\nsecond line\n";
    CHECK_EQ(logmsg(two), strlen(two), "a write with two lines returns its length");
    CHECK_EQ(find(fd, "first line\\x0asecond line"), 1 << 3 | 6, "... and is one record, its inner newline read as \\x0a");
    logmsg("ends in two\n\n");
    CHECK_EQ(find(fd, "ends in two\\x0a"), 1 << 3 | 4, "only one trailing newline is dropped");
    static const char nul[] = "before NUL\0after NUL";
    w = open("/dev/kmsg", O_WRONLY);
    CHECK_EQ(write(w, nul, sizeof nul - 1), (ssize_t)(sizeof nul - 1), "a write with a NUL returns its whole length");
    close(w);
    CHECK_EQ(find(fd, "before NUL"), 1 << 3 | 4, "... and logs the text up to the NUL");
    logmsg("byte \xff\xfe");
    CHECK_EQ(find(fd, "byte \\xff\\xfe"), 1 << 3 | 4, "bytes that are not UTF-8 read back as they were written");

    static char big[1100];
    memset(big, 'x', sizeof big);
    w = open("/dev/kmsg", O_WRONLY);
    CHECK_ERR(write(w, big, 1025), EINVAL, "a write over 1024 bytes is EINVAL");
    CHECK_EQ(write(w, big, 1000), 1000, "1000 bytes are one record");
    close(w);

    /* busybox dmesg (syslog(2)) shows what programs wrote, with its priority. */
    int io[2];
    pipe(io);
    pid_t c = fork();
    if (c == 0) {
        dup2(io[1], 1);
        execl(kt_busybox(), "dmesg", "-r", (char *)NULL);
        _exit(127);
    }
    close(io[1]);
    static char out[1 << 18];
    ssize_t got = kt_read_full(io[0], out, sizeof out - 1);
    out[got > 0 ? got : 0] = 0;
    close(io[0]);
    int st = 0;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "busybox dmesg runs");
    CHECK(strstr(out, "<13>[") && strstr(out, "] hello kmsg\n"), "... and shows the written record as <13>[time] hello kmsg");
    /* syslog(2) prints each line of a record behind the record's prefix (record_print_text). */
    char *l1 = strstr(out, "] first line\n");
    char *l2 = l1 ? strstr(l1, "] second line\n") : NULL;
    char *p1 = l1, *p2 = l2;
    while (p1 && p1 > out && p1[-1] != '\n') p1--;
    while (p2 && p2 > out && p2[-1] != '\n') p2--;
    CHECK(l1 && l2 && p2 == l1 + strlen("] first line\n") && l1 - p1 == l2 - p2 && strncmp(p1, p2, l1 - p1) == 0 && strncmp(p1, "<14>[", 5) == 0,
          "... the two-line record as two lines with the same <14>[time] prefix");

    /* A blocking read waits for the next record. */
    lseek(fd, 0, SEEK_END);
    int rfd = open("/dev/kmsg", O_RDONLY);
    lseek(rfd, 0, SEEK_END);
    c = fork();
    if (c == 0) {
        kt_msleep(100);
        logmsg("wake up");
        _exit(0);
    }
    CHECK_EQ(find(rfd, "wake up"), 1 << 3 | 4, "a blocking read at the end returns the record written later");
    waitpid(c, &st, 0);
    close(rfd);

    /* The rate limit: 10 records per file in 5 s, the rest dropped and counted at close. */
    lseek(fd, 0, SEEK_END);
    w = open("/dev/kmsg", O_WRONLY);
    int ok = 1;
    for (int i = 0; i < 12; i++)
        ok &= write(w, "burst", 5) == 5;
    close(w);
    CHECK(ok, "writes past the rate limit still return their length");
    int seen = 0, suppressed = 0;
    while (rd(fd) > 0) {
        const char *t = parse(buf, &pri, &seq2, &us, &flag);
        if (t && strcmp(t, "burst\n") == 0)
            seen++;
        if (t && strstr(t, ": 2 output lines suppressed due to ratelimiting"))
            suppressed++;
    }
    CHECK_EQ(seen, 10, "10 of 12 records are logged");
    CHECK_EQ(suppressed, 1, "... and the close logs the 2 suppressed");

    /* Overtaken: fill the 128 KiB ring past what a reader at the start has read. */
    int old = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    rd(old);
    parse(buf, &pri, &seq, &us, &flag);
    big[900] = 0;
    for (int i = 0; i < 20; i++) {
        w = open("/dev/kmsg", O_WRONLY);
        for (int j = 0; j < 10; j++)
            write(w, big, 900);
        close(w);
    }
    p.fd = old;
    p.events = POLLIN | POLLPRI;
    p.revents = 0;
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLPRI)) == (POLLERR | POLLPRI),
          "poll of an overtaken reader: POLLERR | POLLPRI");
    CHECK_ERR(read(old, buf, sizeof buf), EPIPE, "its read is EPIPE");
    rd(old);
    CHECK(parse(buf, &pri, &seq2, &us, &flag) && seq2 > seq + 1, "... then it reads from the oldest record held");
    close(old);

    /* A file opened for writing only reads nothing. */
    w = open("/dev/kmsg", O_WRONLY);
    CHECK_ERR(read(w, buf, sizeof buf), EBADF, "a write-only file cannot be read");
    close(w);
    close(fd);
    return kt_done();
}
