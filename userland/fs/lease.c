/* lease.c - file leases: F_SETLEASE/F_GETLEASE (types, owner and open-mode
 * rules, EAGAIN beside conflicting opens), breaking on a conflicting open or
 * truncate with the lease signal (SIGIO with POLL_MSG) to the holder, the
 * breaker waiting until the holder gives way (EWOULDBLOCK with O_NONBLOCK),
 * /proc/locks' LEASE lines, and (under Ghost only: the setting is global)
 * the break timing out after /proc/sys/fs/lease-break-time; POSIX, OFD and
 * flock locks in /proc/locks. */
#include "ktest.h"
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static int take(int sig, siginfo_t *si, int ms)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    siginfo_t tmp;
    if (!si)
        si = &tmp;
    for (;;) {
        int r = sigtimedwait(&s, si, &ts);
        if (r == sig)
            return 1;
        if (r < 0 && errno == EINTR)
            continue;
        return 0;
    }
}

/* Whether /proc/locks has a LEASE line with this state, type and pid. */
static int proc_lease(const char *state, const char *type, int pid)
{
    static char buf[65536];
    int fd = open("/proc/locks", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = vt_read_full(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return 0;
    buf[n] = 0;
    char want[128];
    snprintf(want, sizeof want, "LEASE  %-10s%s %d ", state, type, pid);
    return strstr(buf, want) != NULL;
}

static const char *file;

/* Whether /proc/locks has a line "<kind> <type> <pid> <dev>:<ino> <range>" for fd's file. */
static int proc_lock(const char *kind, const char *type, int pid, int fd, const char *range)
{
    static char buf[65536];
    struct stat st;
    if (fstat(fd, &st) < 0)
        return 0;
    int pf = open("/proc/locks", O_RDONLY);
    if (pf < 0)
        return 0;
    ssize_t n = vt_read_full(pf, buf, sizeof buf - 1);
    close(pf);
    if (n < 0)
        return 0;
    buf[n] = 0;
    char want[256];
    snprintf(want, sizeof want, "%s%s %d %02x:%02x:%lu %s\n", kind, type, pid, major(st.st_dev), minor(st.st_dev),
             (unsigned long)st.st_ino, range);
    return strstr(buf, want) != NULL;
}

/* POSIX, OFD and flock locks in /proc/locks, as Linux's lock_get_status prints them. */
static void proc_locks(void)
{
    char a_path[600], b_path[600];
    snprintf(a_path, sizeof a_path, "%s", kt_path("locks-a"));
    snprintf(b_path, sizeof b_path, "%s", kt_path("locks-b"));
    int a = open(a_path, O_CREAT | O_RDWR, 0644), b = open(b_path, O_CREAT | O_RDWR, 0644);
    struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 5};
    CHECK_OK(fcntl(a, F_SETLK, &w), "a POSIX write lock on bytes 10-14");
    CHECK(proc_lock("POSIX  ADVISORY  ", "WRITE", getpid(), a, "10 14"), "/proc/locks: POSIX ADVISORY WRITE pid dev:ino 10 14");
    struct flock o = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0};
    CHECK_OK(fcntl(b, F_OFD_SETLK, &o), "an OFD read lock from byte 100 on");
    CHECK(proc_lock("OFDLCK ADVISORY  ", "READ", -1, b, "100 EOF"), "/proc/locks: OFDLCK ADVISORY READ -1 dev:ino 100 EOF");
    CHECK_OK(flock(a, LOCK_SH), "a shared flock");
    CHECK(proc_lock("FLOCK  ADVISORY  ", "READ", getpid(), a, "0 EOF"), "/proc/locks: FLOCK ADVISORY READ pid dev:ino 0 EOF");
    close(a);
    close(b);
    a = open(a_path, O_RDONLY);
    CHECK(!proc_lock("POSIX  ADVISORY  ", "WRITE", getpid(), a, "10 14") && !proc_lock("FLOCK  ADVISORY  ", "READ", getpid(), a, "0 EOF"),
          "closing the files removes their lines");
    close(a);
    unlink(a_path);
    unlink(b_path);
}

static void rules(void)
{
    int fd = open(file, O_RDONLY);
    CHECK(fd >= 0, "open the file read-only");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_UNLCK, "no lease: F_GETLEASE is F_UNLCK");
    CHECK_OK(fcntl(fd, F_SETLEASE, F_RDLCK), "F_SETLEASE F_RDLCK on a read-only descriptor");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_RDLCK, "F_GETLEASE is F_RDLCK");
    CHECK((fcntl(fd, F_GETFL) & O_ASYNC) != 0, "a lease turns O_ASYNC on (its signal registration)");
    CHECK_EQ(fcntl(fd, F_GETOWN), getpid(), "and makes the setter the owner");
    CHECK(proc_lease("ACTIVE", "READ", getpid()), "/proc/locks shows LEASE ACTIVE READ with the pid");
    CHECK_OK(fcntl(fd, F_SETLEASE, F_WRLCK), "upgrade to F_WRLCK: the only opener");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_WRLCK, "F_GETLEASE is F_WRLCK");
    CHECK(proc_lease("ACTIVE", "WRITE", getpid()), "/proc/locks shows WRITE");
    CHECK_OK(fcntl(fd, F_SETLEASE, F_UNLCK), "F_SETLEASE F_UNLCK");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_UNLCK, "gone");
    CHECK((fcntl(fd, F_GETFL) & O_ASYNC) == 0, "unlocking ends O_ASYNC");
    CHECK_EQ(fcntl(fd, F_GETOWN), 0, "and the owner");
    CHECK(!proc_lease("ACTIVE", "READ", getpid()) && !proc_lease("ACTIVE", "WRITE", getpid()), "/proc/locks has no lease left");
    CHECK_ERR(fcntl(fd, F_SETLEASE, 7), EINVAL, "F_SETLEASE 7 is EINVAL");

    int w = open(file, O_RDWR);
    CHECK_ERR(fcntl(fd, F_SETLEASE, F_RDLCK), EAGAIN, "no read lease while the file is open for writing");
    CHECK_ERR(fcntl(w, F_SETLEASE, F_WRLCK), EAGAIN, "no write lease while another descriptor has it open");
    close(fd);
    CHECK_OK(fcntl(w, F_SETLEASE, F_WRLCK), "a write lease on the only (read-write) open file");
    CHECK_OK(fcntl(w, F_SETLEASE, F_UNLCK), "unlock it");
    fd = open(file, O_RDONLY);
    int fd2 = open(file, O_RDONLY);
    close(w);
    CHECK_OK(fcntl(fd, F_SETLEASE, F_RDLCK), "read lease 1");
    CHECK_OK(fcntl(fd2, F_SETLEASE, F_RDLCK), "read lease 2 on another open file: read leases share");
    CHECK_ERR(fcntl(fd2, F_SETLEASE, F_WRLCK), EAGAIN, "no upgrade beside another lease");
    close(fd);
    CHECK_EQ(fcntl(fd2, F_GETLEASE), F_RDLCK, "closing one open file drops only its lease");
    close(fd2);

    int p[2];
    pipe(p);
    CHECK_ERR(fcntl(p[0], F_SETLEASE, F_RDLCK), EINVAL, "a lease on a pipe is EINVAL");
    close(p[0]);
    close(p[1]);
    int d = open(kt_path(""), O_RDONLY | O_DIRECTORY);
    CHECK_ERR(fcntl(d, F_SETLEASE, F_RDLCK), EINVAL, "a lease on a directory is EINVAL");
    close(d);

    pid_t c = fork();
    if (c == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        int f = open(file, O_RDONLY);
        if (f < 0)
            _exit(3);
        _exit(fcntl(f, F_SETLEASE, F_RDLCK) < 0 && errno == EACCES ? 0 : 1);
    }
    CHECK_EQ(vt_reap(c), 0, "a lease on a file another user owns is EACCES");
}

/* A read lease: a writer's O_NONBLOCK open is EWOULDBLOCK and signals the holder. */
static void break_nonblock(void)
{
    int fd = open(file, O_RDONLY);
    fcntl(fd, F_SETSIG, SIGIO);
    CHECK_OK(fcntl(fd, F_SETLEASE, F_RDLCK), "read lease");
    pid_t c = fork();
    if (c == 0) {
        int w = open(file, O_WRONLY | O_NONBLOCK);
        _exit(w < 0 && errno == EWOULDBLOCK ? 0 : 1);
    }
    CHECK_EQ(vt_reap(c), 0, "a conflicting O_NONBLOCK open is EWOULDBLOCK");
    siginfo_t si;
    CHECK(take(SIGIO, &si, 2000), "the holder got the lease signal");
    if (!kt_qemu()) {
        CHECK_EQ(si.si_code, POLL_MSG, "si_code POLL_MSG");
        CHECK_EQ(si.si_fd, fd, "si_fd is the lease's descriptor");
    }
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_UNLCK, "while breaking, F_GETLEASE shows the target: F_UNLCK");
    CHECK(proc_lease("BREAKING", "UNLCK", getpid()), "/proc/locks shows LEASE BREAKING UNLCK");
    int fd2 = open(file, O_RDONLY);
    CHECK_ERR(fcntl(fd2, F_SETLEASE, F_RDLCK), EAGAIN, "no new lease while one is being broken for a writer");
    close(fd2);
    CHECK_OK(fcntl(fd, F_SETLEASE, F_UNLCK), "the holder gives the lease up");
    int w = open(file, O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0, "then the writer opens at once");
    close(w);
    close(fd);
}

/* A write lease: a reader's blocking open waits until the holder unlocks. */
static void break_blocking(void)
{
    int fd = open(file, O_RDWR);
    fcntl(fd, F_SETSIG, 0);
    CHECK_OK(fcntl(fd, F_SETLEASE, F_WRLCK), "write lease");
    int go[2];
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        vt_alarm(30);
        close(go[0]);
        int r = open(file, O_RDONLY); /* waits for the holder */
        write(go[1], "o", 1);
        _exit(r >= 0 ? 0 : 1);
    }
    close(go[1]);
    CHECK(take(SIGIO, NULL, 10000), "the holder got SIGIO when a reader opened");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_RDLCK, "a reader breaks a write lease to F_RDLCK");
    struct pollfd pf = {go[0], POLLIN, 0};
    CHECK_EQ(poll(&pf, 1, 300), 0, "the reader's open is still waiting");
    CHECK_ERR(fcntl(fd, F_SETLEASE, F_RDLCK), EAGAIN, "a read-write descriptor cannot downgrade to a read lease");
    CHECK_OK(fcntl(fd, F_SETLEASE, F_UNLCK), "the holder unlocks");
    CHECK_EQ(poll(&pf, 1, 10000), 1, "the reader's open completes");
    CHECK_EQ(vt_reap(c), 0, "and succeeded");
    close(go[0]);
    close(fd);

    /* truncate(2) breaks a read lease as a writer does. */
    fd = open(file, O_RDONLY);
    fcntl(fd, F_SETLEASE, F_RDLCK);
    c = fork();
    if (c == 0) {
        vt_alarm(30);
        _exit(truncate(file, 0) == 0 ? 0 : 1);
    }
    CHECK(take(SIGIO, NULL, 10000), "truncate(2) signals a read lease's holder");
    fcntl(fd, F_SETLEASE, F_UNLCK);
    CHECK_EQ(vt_reap(c), 0, "and completes once it is unlocked");
    close(fd);
}

/* Downgrading a write lease held on a read-only descriptor (LTP fcntl33):
 * while a reader waits, F_RDLCK lets it in; while a writer (an open for
 * write, a truncate) waits it is EAGAIN — the waiter already holds the
 * inode's write count (do_dentry_open, do_truncate) — and only F_UNLCK
 * lets it through. */
static void downgrade(void)
{
    static const struct { int flags; int trunc; const char *what; } ops[] = {
        {O_RDONLY, 0, "open(O_RDONLY)"}, {O_WRONLY, 0, "open(O_WRONLY)"}, {O_RDWR, 0, "open(O_RDWR)"}, {0, 1, "truncate"},
    };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char d[160];
        int fd = open(file, O_RDONLY);
        CHECK_OK(fcntl(fd, F_SETLEASE, F_WRLCK), "a write lease on a read-only descriptor");
        pid_t c = fork();
        if (c == 0) {
            vt_alarm(30);
            int r = ops[i].trunc ? truncate(file, 4) : open(file, ops[i].flags);
            _exit(r >= 0 ? 0 : 1);
        }
        snprintf(d, sizeof d, "%s: the holder got SIGIO", ops[i].what);
        CHECK(take(SIGIO, NULL, 10000), d);
        int r = fcntl(fd, F_SETLEASE, F_RDLCK), e = errno;
        snprintf(d, sizeof d, "%s: downgrading to F_RDLCK %s", ops[i].what, ops[i].flags == O_RDONLY && !ops[i].trunc ? "succeeds" : "is EAGAIN");
        CHECK(ops[i].flags == O_RDONLY && !ops[i].trunc ? r == 0 : r < 0 && e == EAGAIN, d);
        CHECK_OK(fcntl(fd, F_SETLEASE, F_UNLCK), "the holder unlocks");
        snprintf(d, sizeof d, "%s: completes", ops[i].what);
        CHECK_EQ(vt_reap(c), 0, d);
        close(fd);
    }
}

/* The break time passes: the lease is downgraded by the kernel. */
static void break_timeout(void)
{
    if (!kt_ghost()) {
        kt_skip("a lease break timing out", "writing lease-break-time changes the host");
        return;
    }
    int t = open("/proc/sys/fs/lease-break-time", O_RDWR);
    char old[32] = {0};
    read(t, old, sizeof old - 1);
    CHECK(atoi(old) == 45, "lease-break-time is 45 by default");
    lseek(t, 0, SEEK_SET);
    CHECK_EQ(write(t, "1\n", 2), 2, "set lease-break-time to 1");
    int fd = open(file, O_RDWR);
    CHECK_OK(fcntl(fd, F_SETLEASE, F_WRLCK), "write lease");
    pid_t c = fork();
    if (c == 0) {
        vt_alarm(30);
        int r = open(file, O_RDONLY);
        _exit(r >= 0 ? 0 : 1);
    }
    CHECK(take(SIGIO, NULL, 10000), "the holder is signalled and ignores it");
    CHECK_EQ(vt_reap(c), 0, "the reader's open completes after the break time");
    CHECK_EQ(fcntl(fd, F_GETLEASE), F_RDLCK, "the lease was downgraded to F_RDLCK");
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
    lseek(t, 0, SEEK_SET);
    write(t, "45\n", 3);
    close(t);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 90);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGIO);
    sigprocmask(SIG_BLOCK, &s, NULL);
    file = strdup(kt_path("lease-file"));
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "data", 4);
    close(fd);
    rules();
    break_nonblock();
    break_blocking();
    downgrade();
    break_timeout();
    proc_locks();
    unlink(file);
    return kt_done();
}
