/* iosem.c - errors and limits of file and I/O syscalls as Linux gives them:
 * sendfile's offset and count, fallocate past the largest file size, fsync
 * on pipes and sockets, msync/mprotect of unmapped memory, O_NOATIME by a
 * non-owner, *at() through a descriptor that is not a directory, epoll's
 * nesting limit and files that cannot be polled, memfd_create's flags,
 * execve of a file open for writing and with an empty argv. */
#include "ktest.h"
#include <grp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* Scratch files live in `base`: first a tmpfs, then the working directory
 * (a host directory under Ghost). */
static char base[300];
static const char *where = "tmpfs";
static const char *at(const char *leaf)
{
    static char bufs[8][400];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", base, leaf);
    return b;
}
static char desc_buf[8][300];
static int desc_next;
/* A check description tagged with the filesystem. */
static const char *D(const char *d)
{
    char *b = desc_buf[desc_next++ & 7];
    snprintf(b, sizeof desc_buf[0], "%s (%s)", d, where);
    return b;
}

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#define MFD_EXEC 0x10U
#endif

static void sendfile_checks(void)
{
    int in = open(at("in"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    static char chunk[1 << 16];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 48; i++) /* 3 MiB */
        vt_write_full(in, chunk, sizeof chunk);
    int out = open("/dev/null", O_WRONLY);
    off_t off = -1;
    CHECK_ERR(sendfile(out, in, &off, 10), EINVAL, D("sendfile with a negative offset is EINVAL"));
    off = 0;
    CHECK_EQ(sendfile(out, in, &off, 1 << 30), 3 << 20, D("sendfile of 1 GiB from a 3 MiB file moves all 3 MiB in one call"));
    CHECK_EQ(off, 3 << 20, D("the offset advanced by 3 MiB"));
    int cp = open(at("copy"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    off = 0;
    CHECK_EQ(sendfile(cp, in, &off, 1 << 30), 3 << 20, D("sendfile of 1 GiB into a regular file moves all 3 MiB"));
    close(cp);
    close(out);
    close(in);
}

static void fallocate_fsync(void)
{
    int fd = open(at("falloc"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_ERR(fallocate(fd, 0, 1LL << 62, 1LL << 62), EFBIG, D("fallocate whose end passes the largest file size is EFBIG"));
    CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL, D("fallocate at a negative offset is EINVAL"));
    CHECK_OK(fallocate(fd, 0, 0, 8192), D("fallocate of 8 KiB"));
    close(fd);
    int p[2], s[2];
    pipe(p);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    CHECK_ERR(fsync(p[0]), EINVAL, D("fsync on a pipe is EINVAL"));
    CHECK_ERR(fdatasync(p[1]), EINVAL, D("fdatasync on a pipe is EINVAL"));
    CHECK_ERR(fsync(s[0]), EINVAL, D("fsync on a socket is EINVAL"));
    CHECK_ERR(fdatasync(s[1]), EINVAL, D("fdatasync on a socket is EINVAL"));
    close(p[0]);
    close(p[1]);
    close(s[0]);
    close(s[1]);
}

static void unmapped(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + ps, ps); /* a hole in the middle */
    CHECK_ERR(msync(p + ps, ps, MS_SYNC), ENOMEM, "msync of an unmapped range is ENOMEM");
    CHECK_ERR(msync(p, 3 * ps, MS_ASYNC), ENOMEM, "msync of a range with a hole is ENOMEM");
    CHECK_ERR(mprotect(p + ps, ps, PROT_READ), ENOMEM, "mprotect of an unmapped range is ENOMEM");
    CHECK_OK(msync(p, ps, MS_SYNC), "msync of a mapped page");
    munmap(p, 3 * ps);
}

static void noatime(void)
{
    const char *f = at("noatime");
    vt_put(f, "x", 0644);
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(2);
        int fd = open(f, O_RDONLY | O_NOATIME);
        if (fd >= 0)
            _exit(3);
        if (errno != EPERM)
            _exit(4);
        fd = open(f, O_RDONLY);
        _exit(fd >= 0 ? 0 : 5);
    }
    CHECK_EQ(vt_reap(pid), 0, D("open(O_NOATIME) of another user's file is EPERM (plain open works)"));
    int fd = open(f, O_RDONLY | O_NOATIME);
    CHECK(fd >= 0, D("the owner may open with O_NOATIME"));
    close(fd);
}

static void notdir(void)
{
    int fd = open(at("noatime"), O_RDONLY);
    struct stat st;
    struct statx stx;
    CHECK_ERR(linkat(fd, "x", AT_FDCWD, at("lnk"), 0), ENOTDIR, D("linkat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(statx(fd, "x", 0, STATX_BASIC_STATS, &stx), ENOTDIR, D("statx through a non-directory fd is ENOTDIR"));
    CHECK_ERR(fstatat(fd, "x", &st, 0), ENOTDIR, D("fstatat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR, D("openat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(mkdirat(fd, "x", 0777), ENOTDIR, D("mkdirat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(unlinkat(fd, "x", 0), ENOTDIR, D("unlinkat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(symlinkat("t", fd, "x"), ENOTDIR, D("symlinkat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(renameat(fd, "x", AT_FDCWD, at("r")), ENOTDIR, D("renameat through a non-directory fd is ENOTDIR"));
    CHECK_ERR(faccessat(fd, "x", F_OK, 0), ENOTDIR, D("faccessat through a non-directory fd is ENOTDIR"));
    CHECK_OK(linkat(fd, "", AT_FDCWD, at("lnk"), AT_EMPTY_PATH), D("linkat(AT_EMPTY_PATH) of the fd itself works"));
    CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), D("statx(AT_EMPTY_PATH) of the fd itself works"));
    close(fd);
}

static void epoll_checks(void)
{
    int e[8];
    struct epoll_event ev = {.events = EPOLLIN};
    for (int i = 0; i < 8; i++)
        e[i] = epoll_create1(EPOLL_CLOEXEC);
    int i;
    for (i = 1; i < 8; i++)
        if (epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev) != 0)
            break;
    CHECK_EQ(i, 5, "epoll nests at most 5 deep: adding the 5th level fails");
    CHECK_EQ(errno, ELOOP, "the too-deep add is ELOOP");
    int fd = open("/dev/zero", O_RDONLY);
    CHECK_ERR(epoll_ctl(e[0], EPOLL_CTL_ADD, fd, &ev), EPERM, "epoll_ctl ADD of /dev/zero is EPERM (it cannot be polled)");
    close(fd);
    fd = open(vt_shm("noatime"), O_RDONLY);
    CHECK_ERR(epoll_ctl(e[0], EPOLL_CTL_ADD, fd, &ev), EPERM, "epoll_ctl ADD of a tmpfs file is EPERM");
    close(fd);
    CHECK_ERR(epoll_ctl(e[0], EPOLL_CTL_ADD, e[0], &ev), EINVAL, "an epoll watching itself is EINVAL");
    struct pollfd pfd = {open("/dev/zero", O_RDONLY), POLLIN | POLLOUT, 0};
    CHECK_EQ(poll(&pfd, 1, 0), 1, "poll() on /dev/zero still reports it ready");
    CHECK_EQ(pfd.revents, POLLIN | POLLOUT, "with POLLIN|POLLOUT");
    close(pfd.fd);
    for (i = 0; i < 8; i++)
        close(e[i]);
}

/* The state letter of a process, from /proc/PID/stat ('?' if unreadable). */
static char proc_state(pid_t pid)
{
    char path[64], b[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (vt_get(path, b, sizeof b) <= 0)
        return '?';
    const char *p = strrchr(b, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* Two processes block in epoll_wait on their own epoll instances, each
 * watching one eventfd with EPOLLEXCLUSIVE; one write wakes exactly one. The
 * woken one reports and leaves the event unread (level-triggered), so a
 * second wake would show. */
static void epoll_exclusive(void)
{
    int efd = eventfd(0, EFD_CLOEXEC);
    int ready[2], report[2];
    pipe(ready);
    pipe(report);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            alarm(60);
            int ep = epoll_create1(EPOLL_CLOEXEC);
            struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0)
                _exit(2);
            write(ready[1], "r", 1);
            struct epoll_event out;
            if (epoll_wait(ep, &out, 1, -1) == 1)
                write(report[1], "w", 1);
            _exit(0);
        }
    }
    close(ready[1]);
    close(report[1]);
    char c;
    int n = 0;
    while (n < 2 && read(ready[0], &c, 1) == 1)
        n++;
    /* both asleep in epoll_wait before the write */
    for (int i = 0; i < 2; i++)
        for (int tries = 0; tries < 2000 && proc_state(kids[i]) != 'S'; tries++)
            vt_msleep(5);
    uint64_t one = 1;
    write(efd, &one, 8);
    int woke = read(report[0], &c, 1) == 1;
    /* A second (wrong) wake would come at once; give it ample time to show. */
    struct pollfd pfd = {report[0], POLLIN, 0};
    int more = poll(&pfd, 1, 500) == 1 && read(report[0], &c, 1) == 1;
    CHECK(woke, "EPOLLEXCLUSIVE: a write to the eventfd wakes a waiter");
    CHECK(!more, "EPOLLEXCLUSIVE: only one of the two exclusive waiters wakes");
    for (int i = 0; i < 2; i++) {
        kill(kids[i], SIGKILL);
        vt_reap(kids[i]);
    }
    close(ready[0]);
    close(report[0]);
    close(efd);
}

static void memfd_flags(void)
{
    unsigned bad[] = {0x20, 0x40, 0x100, 0x1000, 0x80000000U, MFD_NOEXEC_SEAL | MFD_EXEC, 21U << 26};
    int n = 0;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = (int)syscall(SYS_memfd_create, "x", bad[i]);
        if (fd >= 0) {
            kt_printf("# memfd_create flags %#x accepted\n", bad[i]);
            close(fd);
        } else if (errno == EINVAL)
            n++;
    }
    CHECK_EQ(n, 7, "memfd_create refuses unknown flags, NOEXEC_SEAL|EXEC and a huge page size without MFD_HUGETLB (EINVAL)");
    int fd = (int)syscall(SYS_memfd_create, "x", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0, "memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)");
    close(fd);
}

static void exec_checks(char **argv)
{
    if (kt_qemu()) {
        kt_skip("execve of a file open for writing is ETXTBSY", "qemu-user runs riscv64 programs through the host's qemu");
        kt_skip("execve with an empty argv gives argc 1 and argv[0] \"\"", "qemu-user runs riscv64 programs through the host's qemu");
        return;
    }
    /* a copy of this program, still open for writing */
    const char *copy = vt_shm("prog");
    int src = open(argv[0], O_RDONLY);
    int dst = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    static char b[1 << 16];
    ssize_t n;
    while ((n = read(src, b, sizeof b)) > 0)
        vt_write_full(dst, b, (size_t)n);
    close(src);
    char *args[] = {(char *)copy, NULL};
    char *env[] = {"IOSEM_EXEC=1", NULL}; /* if it runs at all, it exits at once */
    pid_t pid = fork();
    if (pid == 0) {
        execve(copy, args, env);
        _exit(errno == ETXTBSY ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "execve of a file open for writing is ETXTBSY");
    close(dst);
    char *none[] = {NULL};
    char *env2[] = {"IOSEM_ARGC=1", NULL};
    pid = fork();
    if (pid == 0) {
        execve(copy, none, env2);
        _exit(99);
    }
    CHECK_EQ(vt_reap(pid), 0, "execve with an empty argv gives argc 1 and argv[0] \"\" (Linux 5.18+)");
}

int main(int argc, char **argv)
{
    if (getenv("IOSEM_EXEC")) /* executed although open for writing */
        return 42;
    if (getenv("IOSEM_ARGC")) /* re-executed with an empty argv */
        return argc == 1 && argv[0] && argv[0][0] == 0 && argv[1] == NULL ? 0 : 10 + argc;
    vt_init(argc, argv, 120);
    snprintf(base, sizeof base, "%s", vt_mkshm("iosem"));
    sendfile_checks();
    fallocate_fsync();
    noatime();
    notdir();
    where = "working directory";
    snprintf(base, sizeof base, "iosem-%d", (int)getpid());
    mkdir(base, 0777);
    chmod(base, 0777);
    sendfile_checks();
    fallocate_fsync();
    noatime();
    notdir();
    kt_rmtree_at(AT_FDCWD, base);
    snprintf(base, sizeof base, "%s", vt_shmdir);
    where = "tmpfs";
    unmapped();
    epoll_checks();
    epoll_exclusive();
    memfd_flags();
    exec_checks(argv);
    vt_cleanup_shm();
    return kt_done();
}
