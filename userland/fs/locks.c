/* locks.c - POSIX record locks across fork (conflicts, F_GETLK, F_SETLKW
 * blocking, splitting, release on any close, EDEADLK), OFD locks and flock.
 * Runs on the host directory (hostfs under Ghost) and on a tmpfs. */
#include "ktest.h"
#include <sys/file.h>

static void on_usr2(int s)
{
    (void)s;
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

/* F_GETLK for a write lock over [start, start+len): fills *out. */
static int getlk(int fd, int cmd, short type, off_t start, off_t len, struct flock *out)
{
    memset(out, 0, sizeof *out);
    out->l_type = type;
    out->l_whence = SEEK_SET;
    out->l_start = start;
    out->l_len = len;
    return fcntl(fd, cmd, out);
}

/* Has `fd` something to read within ms? */
static int readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

static void posix_locks(const char *dir, const char *fs)
{
    char desc[200], path[PATH_MAX];
#define D(...) (snprintf(desc, sizeof desc, __VA_ARGS__), desc)
    snprintf(path, sizeof path, "%s/posix", dir);
    vt_put(path, "0123456789", 0644);
    int fd = open(path, O_RDWR);
    pid_t me = getpid();
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 100), D("%s: F_SETLK write lock [0,100)", fs));
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 10, 10), D("%s: relocking a sub-range by the owner is fine", fs));

    pid_t pid = fork();
    if (pid == 0) {
        int f = open(path, O_RDWR);
        int bad = 0;
        if (!(setlk(f, F_SETLK, F_WRLCK, 50, 10) == -1 && (errno == EAGAIN)))
            bad |= 1;
        if (!(setlk(f, F_SETLK, F_RDLCK, 99, 1) == -1 && errno == EAGAIN))
            bad |= 2;
        if (setlk(f, F_SETLK, F_WRLCK, 100, 50) != 0)
            bad |= 4;
        struct flock g;
        if (getlk(f, F_GETLK, F_WRLCK, 0, 10, &g) != 0 || g.l_type != F_WRLCK || g.l_pid != me || g.l_start != 0 ||
            g.l_len != 100 || g.l_whence != SEEK_SET)
            bad |= 8;
        if (getlk(f, F_GETLK, F_WRLCK, 200, 10, &g) != 0 || g.l_type != F_UNLCK)
            bad |= 16;
        /* the child's own lock does not conflict with itself */
        if (getlk(f, F_GETLK, F_WRLCK, 120, 10, &g) != 0 || g.l_type != F_UNLCK)
            bad |= 32;
        _exit(bad);
    }
    int r = vt_reap(pid);
    CHECK_EQ(r & 1, 0, D("%s: a conflicting write lock from another process is EAGAIN", fs));
    CHECK_EQ(r & 2, 0, D("%s: a read lock on a write-locked byte is EAGAIN", fs));
    CHECK_EQ(r & 4, 0, D("%s: a lock on an adjacent range succeeds", fs));
    CHECK_EQ(r & 8, 0, D("%s: F_GETLK reports the holder's type, range and l_pid", fs));
    CHECK_EQ(r & 16, 0, D("%s: F_GETLK on a free range gives F_UNLCK", fs));
    CHECK_EQ(r & 32, 0, D("%s: F_GETLK ignores the caller's own locks", fs));
    CHECK_EQ(r & ~63, 0, D("%s: child exited cleanly", fs));

    /* the parent's F_GETLK after the child died: its lock is gone */
    struct flock g;
    pid = fork();
    if (pid == 0) {
        int f = open(path, O_RDWR);
        _exit(getlk(f, F_GETLK, F_WRLCK, 120, 10, &g) == 0 && g.l_type == F_UNLCK ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, D("%s: a process's locks vanish when it exits", fs));

    /* splitting: unlock the middle [40,60) */
    CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 40, 20), D("%s: unlock the middle of a lock", fs));
    pid = fork();
    if (pid == 0) {
        int f = open(path, O_RDWR);
        int bad = 0;
        if (setlk(f, F_SETLK, F_WRLCK, 45, 10) != 0)
            bad |= 1;
        if (setlk(f, F_SETLK, F_WRLCK, 30, 5) != -1 || errno != EAGAIN)
            bad |= 2;
        if (setlk(f, F_SETLK, F_WRLCK, 65, 5) != -1 || errno != EAGAIN)
            bad |= 4;
        _exit(bad);
    }
    r = vt_reap(pid);
    CHECK_EQ(r, 0, D("%s: the hole is lockable, both remaining pieces still conflict", fs));

    /* downgrade to a read lock: others may share it */
    setlk(fd, F_SETLK, F_RDLCK, 0, 100);
    pid = fork();
    if (pid == 0) {
        int f = open(path, O_RDWR);
        int bad = 0;
        if (setlk(f, F_SETLK, F_RDLCK, 0, 10) != 0)
            bad |= 1;
        if (setlk(f, F_SETLK, F_WRLCK, 20, 10) != -1 || errno != EAGAIN)
            bad |= 2;
        struct flock gg;
        if (getlk(f, F_GETLK, F_RDLCK, 0, 100, &gg) != 0 || gg.l_type != F_UNLCK)
            bad |= 4;
        _exit(bad);
    }
    CHECK_EQ(vt_reap(pid), 0, D("%s: read locks are shared; write over a read lock is EAGAIN", fs));

    int ro = open(path, O_RDONLY);
    CHECK_ERR(setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF, D("%s: write lock on an O_RDONLY fd is EBADF", fs));
    int wo = open(path, O_WRONLY);
    CHECK_ERR(setlk(wo, F_SETLK, F_RDLCK, 0, 1), EBADF, D("%s: read lock on an O_WRONLY fd is EBADF", fs));
    close(wo);
    CHECK_ERR(setlk(fd, F_SETLK, 77, 0, 1), EINVAL, D("%s: a bad l_type is EINVAL", fs));
    CHECK_ERR(setlk(fd, F_SETLK, F_RDLCK, -5, 1), EINVAL, D("%s: a negative start is EINVAL", fs));
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 0), D("%s: l_len 0 locks to infinity", fs));

    /* F_SETLKW blocks until the lock is released */
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        int f = open(path, O_RDWR);
        vt_alarm(20);
        if (setlk(f, F_SETLKW, F_WRLCK, 1000000, 1) != 0) /* inside [0,inf) */
            _exit(1);
        write(p[1], "L", 1);
        _exit(0);
    }
    close(p[1]);
    CHECK(!readable(p[0], 300), D("%s: F_SETLKW in the child blocks while the parent holds the lock", fs));
    /* closing ANOTHER fd of the same file releases all the process's locks on it */
    int other = open(path, O_RDONLY);
    close(other);
    char c = 0;
    kt_check(readable(p[0], 5000) && read(p[0], &c, 1) == 1 && c == 'L',
             D("%s: closing any fd of the file releases the lock and wakes F_SETLKW", fs), "child still blocked");
    CHECK_EQ(vt_reap(pid), 0, D("%s: the blocked child got its lock", fs));
    close(p[0]);
    close(ro);

    /* EDEADLK: parent holds A, child holds B and waits for A, parent asks for B */
    setlk(fd, F_SETLK, F_UNLCK, 0, 0);
    setlk(fd, F_SETLK, F_WRLCK, 0, 1); /* A */
    int q[2];
    pipe(q);
    pid = fork();
    if (pid == 0) {
        close(q[0]);
        int f = open(path, O_RDWR);
        vt_alarm(20);
        setlk(f, F_SETLK, F_WRLCK, 5, 1); /* B */
        write(q[1], "B", 1);
        int rr = setlk(f, F_SETLKW, F_WRLCK, 0, 1); /* waits for A */
        _exit(rr == 0 ? 0 : 1);
    }
    close(q[1]);
    read(q[0], &c, 1);
    /* let the child block in F_SETLKW: wait until it sleeps (state S) */
    char sp[64], sb[512];
    snprintf(sp, sizeof sp, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 500; i++) {
        if (vt_get(sp, sb, sizeof sb) > 0 && strstr(sb, ") S "))
            break;
        vt_msleep(10);
    }
    vt_msleep(50);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL); /* no SA_RESTART: a stuck F_SETLKW returns EINTR */
    pid_t waker = fork();
    if (waker == 0) {
        vt_msleep(3000);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    errno = 0;
    int rr = setlk(fd, F_SETLKW, F_WRLCK, 5, 1);
    int e = errno;
    kill(waker, SIGKILL);
    vt_reap(waker);
    kt_check(rr == -1 && e == EDEADLK, D("%s: F_SETLKW that would deadlock is EDEADLK", fs), "got %d %s", rr,
             rr ? strerror(e) : "success");
    setlk(fd, F_SETLK, F_UNLCK, 0, 0);
    CHECK_EQ(vt_reap(pid), 0, D("%s: the waiting child gets A once released", fs));
    close(q[0]);
    signal(SIGUSR2, SIG_DFL);
    close(fd);
#undef D
}

static void ofd_locks(const char *dir, const char *fs)
{
    char desc[200], path[PATH_MAX];
#define D(...) (snprintf(desc, sizeof desc, __VA_ARGS__), desc)
    snprintf(path, sizeof path, "%s/ofd", dir);
    vt_put(path, "0123456789", 0644);
    int a = open(path, O_RDWR);
    int b = open(path, O_RDWR);
    CHECK_OK(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10), D("%s: F_OFD_SETLK on the first open", fs));
    CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN, D("%s: F_OFD_SETLK from a second open in the same process is EAGAIN", fs));
    struct flock g;
    CHECK_OK(getlk(b, F_OFD_GETLK, F_WRLCK, 0, 1, &g), D("%s: F_OFD_GETLK", fs));
    CHECK(g.l_type == F_WRLCK && g.l_pid == -1 && g.l_len == 10, D("%s: F_OFD_GETLK reports the lock with l_pid -1", fs));
    struct flock bad;
    memset(&bad, 0, sizeof bad);
    bad.l_type = F_WRLCK;
    bad.l_len = 1;
    bad.l_pid = 1;
    CHECK_ERR(fcntl(b, F_OFD_SETLK, &bad), EINVAL, D("%s: F_OFD_SETLK with l_pid != 0 is EINVAL", fs));
    close(b);
    pid_t pid = fork();
    if (pid == 0) {
        int f = open(path, O_RDWR);
        int r = 0;
        if (setlk(f, F_SETLK, F_WRLCK, 0, 1) != -1 || errno != EAGAIN)
            r |= 1; /* OFD and POSIX locks conflict */
        if (setlk(a, F_OFD_SETLK, F_WRLCK, 0, 5) != 0)
            r |= 2; /* the inherited fd is the same OFD: same owner */
        _exit(r);
    }
    int r = vt_reap(pid);
    CHECK_EQ(r & 1, 0, D("%s: a POSIX lock from another process conflicts with an OFD lock", fs));
    CHECK_EQ(r & 2, 0, D("%s: a child using the inherited fd owns the OFD lock", fs));
    CHECK_EQ(r & ~3, 0, D("%s: OFD child exited cleanly", fs));
    b = open(path, O_RDWR);
    close(b);
    b = open(path, O_RDWR);
    CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1), EAGAIN, D("%s: closing another open file does not drop an OFD lock", fs));
    close(a);
    CHECK_OK(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1), D("%s: closing the last fd of the OFD releases its lock", fs));
    close(b);
#undef D
}

static void flocks(const char *dir, const char *fs)
{
    char desc[200], path[PATH_MAX];
#define D(...) (snprintf(desc, sizeof desc, __VA_ARGS__), desc)
    snprintf(path, sizeof path, "%s/flock", dir);
    vt_put(path, "x", 0644);
    int a = open(path, O_RDONLY);
    int b = open(path, O_RDONLY);
    CHECK_OK(flock(a, LOCK_EX), D("%s: flock LOCK_EX (on a read-only fd)", fs));
    CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, D("%s: a second open's LOCK_EX|LOCK_NB is EWOULDBLOCK", fs));
    CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK, D("%s: LOCK_SH|LOCK_NB against LOCK_EX is EWOULDBLOCK", fs));
    CHECK_OK(setlk(a, F_SETLK, F_RDLCK, 0, 1), D("%s: flock and fcntl locks are independent", fs));
    setlk(a, F_SETLK, F_UNLCK, 0, 0);
    int d = dup(a);
    CHECK_OK(flock(d, LOCK_EX | LOCK_NB), D("%s: a dup of the holder re-locks (same open file)", fs));
    close(d);
    CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, D("%s: closing a dup keeps the flock", fs));
    CHECK_OK(flock(a, LOCK_SH), D("%s: convert LOCK_EX to LOCK_SH", fs));
    CHECK_OK(flock(b, LOCK_SH | LOCK_NB), D("%s: two LOCK_SH coexist", fs));
    CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, D("%s: upgrading while another shares is EWOULDBLOCK", fs));
    CHECK_OK(flock(b, LOCK_UN), D("%s: LOCK_UN", fs));
    CHECK_ERR(flock(a, 0), EINVAL, D("%s: flock with no operation is EINVAL", fs));
    CHECK_ERR(flock(9999, LOCK_EX), EBADF, D("%s: flock on a bad fd is EBADF", fs));

    /* blocking LOCK_EX waits for the holder */
    flock(a, LOCK_EX);
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        close(a); /* the inherited fd shares the holder's open file */
        close(b);
        vt_alarm(20);
        int f = open(path, O_RDONLY);
        if (flock(f, LOCK_EX) != 0)
            _exit(1);
        write(p[1], "F", 1);
        _exit(0);
    }
    close(p[1]);
    CHECK(!readable(p[0], 300), D("%s: a blocking LOCK_EX waits while another open holds it", fs));
    close(a); /* last fd of that open file: releases */
    char c;
    CHECK(readable(p[0], 5000) && read(p[0], &c, 1) == 1, D("%s: closing the holder wakes the waiter", fs));
    CHECK_EQ(vt_reap(pid), 0, D("%s: the waiter got the flock", fs));
    close(p[0]);

    /* an flock inherited over fork belongs to the shared open file */
    a = open(path, O_RDONLY);
    flock(a, LOCK_EX);
    pid = fork();
    if (pid == 0)
        _exit(flock(a, LOCK_UN) == 0 ? 0 : 1);
    vt_reap(pid);
    CHECK_OK(flock(b, LOCK_EX | LOCK_NB), D("%s: a child's LOCK_UN on the inherited fd releases the parent's flock", fs));
    close(a);
    close(b);
#undef D
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 90);
    const char *host = kt_mktemp("locks");
    vt_mkshm("locks");
    posix_locks(host, "hostdir");
    posix_locks(vt_shmdir, "tmpfs");
    ofd_locks(host, "hostdir");
    ofd_locks(vt_shmdir, "tmpfs");
    flocks(host, "hostdir");
    flocks(vt_shmdir, "tmpfs");
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
