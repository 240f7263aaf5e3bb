/* fds.c - file descriptors and open flags: dup/dup3 and fork share offsets,
 * O_APPEND, O_CLOEXEC across execve, O_DIRECTORY, O_PATH, O_TMPFILE with
 * linkat(AT_EMPTY_PATH), O_EXCL, O_TRUNC, O_NONBLOCK, fcntl F_DUPFD(_CLOEXEC)/
 * GETFD/SETFD/GETFL/SETFL, close_range, lseek, EBADF/EMFILE. */
#include "ktest.h"
#include <sys/resource.h>
#include <sys/uio.h>
#include <dirent.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static long cur(int fd)
{
    return (long)lseek(fd, 0, SEEK_CUR);
}

/* Re-executed as `fds --fdcheck A B`: A must be closed (it was O_CLOEXEC),
 * B open with its offset 3. Exit code: bit 0 = A still open, bit 1 = B bad. */
static int fdcheck(int a, int b)
{
    int bad = 0;
    if (fcntl(a, F_GETFD) != -1 || errno != EBADF)
        bad |= 1;
    if (fcntl(b, F_GETFD) != 0 || lseek(b, 0, SEEK_CUR) != 3)
        bad |= 2;
    return bad;
}

static void offsets(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/offsets", dir);
    vt_put(path, "0123456789abcdef", 0644);
    int fd = open(path, O_RDWR);
    int d = dup(fd);
    char buf[32];
    read(fd, buf, 3);
    CHECK_EQ(cur(d), 3, "dup shares the file offset");
    int d3 = dup3(fd, 40, O_CLOEXEC);
    CHECK_EQ(d3, 40, "dup3 to fd 40");
    CHECK_EQ(fcntl(40, F_GETFD), FD_CLOEXEC, "dup3(O_CLOEXEC) sets FD_CLOEXEC on the new fd only");
    CHECK_EQ(fcntl(fd, F_GETFD), 0, "... and not on the old one");
    read(40, buf, 2);
    CHECK_EQ(cur(fd), 5, "dup3'd fd shares the offset");
    CHECK_ERR(dup3(fd, fd, 0), EINVAL, "dup3(fd, fd) is EINVAL");
    CHECK_EQ(dup2(fd, fd), fd, "dup2(fd, fd) returns fd");
    CHECK_ERR(dup3(fd, 41, O_NONBLOCK), EINVAL, "dup3 with a flag other than O_CLOEXEC is EINVAL");
    CHECK_ERR(dup2(9999, 41), EBADF, "dup2 from a closed fd is EBADF");
    CHECK_ERR(dup2(fd, -1), EBADF, "dup2 to -1 is EBADF");

    /* fork shares the open file description */
    lseek(fd, 0, SEEK_SET);
    pid_t pid = fork();
    if (pid == 0) {
        char b[8];
        _exit(read(fd, b, 4) == 4 ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "child read 4 bytes");
    CHECK_EQ(cur(fd), 4, "the parent sees the child's read move the shared offset");
    pid = fork();
    if (pid == 0) {
        lseek(fd, 10, SEEK_SET);
        _exit(0);
    }
    vt_reap(pid);
    CHECK_EQ(cur(d), 10, "a child's lseek moves the parent's (dup'd) offset");
    int other = open(path, O_RDONLY);
    CHECK_EQ(cur(other), 0, "a second open has its own offset");
    close(other);

    /* pread/pwrite leave the offset alone */
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, 4, 2), 4, "pread 4 bytes at 2");
    CHECK_STR(buf, "2345", "pread data");
    CHECK_EQ(cur(fd), 10, "pread does not move the offset");
    CHECK_EQ(pwrite(fd, "XY", 2, 0), 2, "pwrite at 0");
    CHECK_EQ(cur(fd), 10, "pwrite does not move the offset");
    struct iovec iov[2] = {{buf, 2}, {buf + 10, 3}};
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ(readv(fd, iov, 2), 5, "readv fills two buffers");
    CHECK(memcmp(buf, "XY", 2) == 0 && memcmp(buf + 10, "234", 3) == 0, "readv scatters in order");
    CHECK_EQ(lseek(fd, -3, SEEK_END), 13, "lseek(-3, SEEK_END)");
    CHECK_ERR(lseek(fd, -100, SEEK_CUR), EINVAL, "lseek to a negative offset is EINVAL");
    CHECK_ERR(lseek(fd, 0, 77), EINVAL, "lseek with a bad whence is EINVAL");
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 100, "lseek past the end is allowed");
    CHECK_EQ(read(fd, buf, 4), 0, "read past the end is EOF");
    CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 16, "SEEK_HOLE on a dense file is the size");
    CHECK_EQ(lseek(fd, 3, SEEK_DATA), 3, "SEEK_DATA inside data is the offset");
    CHECK_ERR(lseek(fd, 16, SEEK_DATA), ENXIO, "SEEK_DATA at the end is ENXIO");
    close(40);
    close(d);

    /* O_APPEND */
    int a = open(path, O_WRONLY | O_APPEND);
    lseek(a, 0, SEEK_SET);
    write(a, "++", 2);
    struct stat st;
    fstat(a, &st);
    CHECK_EQ(st.st_size, 18, "O_APPEND write lands at the end despite lseek(0)");
    CHECK_EQ(cur(a), 18, "O_APPEND leaves the offset at the new end");
    pwrite(a, "!!", 2, 0);
    fstat(a, &st);
    CHECK_EQ(st.st_size, 20, "pwrite on an O_APPEND fd appends (Linux)");
    pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 50; i++)
            write(a, "c", 1);
        _exit(0);
    }
    for (int i = 0; i < 50; i++)
        write(a, "p", 1);
    vt_reap(pid);
    fstat(a, &st);
    CHECK_EQ(st.st_size, 120, "parent and child appending through one fd lose nothing");
    close(a);
    pread(fd, buf, 2, 0);
    CHECK(memcmp(buf, "XY", 2) == 0, "O_APPEND did not overwrite the start");

    /* O_TRUNC / O_EXCL */
    int t = open(path, O_RDWR | O_TRUNC);
    fstat(t, &st);
    CHECK_EQ(st.st_size, 0, "O_TRUNC empties the file");
    close(t);
    vt_put(path, "abc", 0644);
    t = open(path, O_RDONLY | O_TRUNC);
    fstat(t, &st);
    CHECK_EQ(st.st_size, 0, "O_RDONLY|O_TRUNC truncates too (Linux)");
    close(t);
    CHECK_ERR(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL on an existing file is EEXIST");
    char lnk[PATH_MAX];
    snprintf(lnk, sizeof lnk, "%s/dangling", dir);
    symlink("does-not-exist", lnk);
    CHECK_ERR(open(lnk, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL on a dangling symlink is EEXIST");
    int c = open(lnk, O_WRONLY | O_CREAT, 0644);
    char tgt[PATH_MAX];
    snprintf(tgt, sizeof tgt, "%s/does-not-exist", dir);
    kt_check(c >= 0 && access(tgt, F_OK) == 0, "O_CREAT through a dangling symlink creates its target",
             "fd %d errno %s", c, strerror(errno));
    close(c);
    CHECK_ERR(open(path, O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file is ENOTDIR");
    int dd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_OK(dd, "O_DIRECTORY on a directory");
    CHECK_ERR(read(dd, buf, 4), EISDIR, "read on a directory fd is EISDIR");
    close(dd);
    CHECK_ERR(open(dir, O_WRONLY), EISDIR, "open(dir, O_WRONLY) is EISDIR");
    CHECK_ERR(open(dir, O_RDWR), EISDIR, "open(dir, O_RDWR) is EISDIR");
    char nd[PATH_MAX];
    snprintf(nd, sizeof nd, "%s/newdir-by-open", dir);
    CHECK_ERR(open(nd, O_RDONLY | O_DIRECTORY | O_CREAT, 0755), EINVAL, "O_DIRECTORY|O_CREAT is EINVAL (Linux 6.4+)");
    close(fd);
}

static void opath(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/opath", dir);
    vt_put(path, "content", 0600);
    int p = open(path, O_PATH);
    CHECK_OK(p, "open O_PATH");
    struct stat st;
    CHECK(fstat(p, &st) == 0 && st.st_size == 7 && S_ISREG(st.st_mode), "fstat on an O_PATH fd works");
    char buf[16];
    CHECK_ERR(read(p, buf, 4), EBADF, "read on an O_PATH fd is EBADF");
    CHECK_ERR(write(p, "x", 1), EBADF, "write on an O_PATH fd is EBADF");
    CHECK_ERR(fchmod(p, 0644), EBADF, "fchmod on an O_PATH fd is EBADF");
    CHECK_ERR(ftruncate(p, 0), EBADF, "ftruncate on an O_PATH fd is EBADF");
    CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, p, 0) == MAP_FAILED ? -1 : 0, EBADF,
              "mmap of an O_PATH fd is EBADF");
    CHECK(fcntl(p, F_GETFL) & O_PATH, "F_GETFL shows O_PATH");
    int d = dup(p);
    CHECK(d >= 0 && fstat(d, &st) == 0, "dup of an O_PATH fd works");
    close(d);
    int dp = open(dir, O_PATH | O_DIRECTORY);
    int f = openat(dp, "opath", O_RDONLY);
    CHECK(f >= 0 && read(f, buf, 7) == 7, "an O_PATH directory fd works as a dirfd for openat");
    close(f);
    CHECK_ERR(getdents64(dp, buf, sizeof buf), EBADF, "getdents64 on an O_PATH dir fd is EBADF");
    int here = open(".", O_PATH | O_DIRECTORY);
    CHECK_OK(fchdir(dp), "fchdir to an O_PATH directory fd");
    CHECK_OK(access("opath", R_OK), "... and relative paths now start there");
    fchdir(here);
    close(here);
    close(dp);
    close(p);
}

static void tmpfile_in(const char *parent, const char *fs)
{
    char desc[200], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tmpfile", parent);
    mkdir(dir, 0755);
#define D(...) (snprintf(desc, sizeof desc, __VA_ARGS__), desc)
    int t = open(dir, O_TMPFILE | O_RDWR, 0600);
    if (t < 0 && errno == EOPNOTSUPP) {
        kt_skip(D("%s: O_TMPFILE", fs), "filesystem does not support O_TMPFILE (EOPNOTSUPP)");
        return;
    }
    kt_check(t >= 0, D("%s: open(dir, O_TMPFILE|O_RDWR)", fs), "errno %s", strerror(errno));
    if (t < 0)
        return;
    struct stat st;
    memset(&st, 0, sizeof st);
    int fr = fstat(t, &st);
    kt_check(fr == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0, D("%s: O_TMPFILE is a regular file with nlink 0", fs),
             "fstat %d (%s) mode %o nlink %ld", fr, fr ? strerror(errno) : "ok", st.st_mode, (long)st.st_nlink);
    ssize_t w = write(t, "tmpdata", 7);
    kt_check(w == 7, D("%s: write to the O_TMPFILE", fs), "got %zd (%s) want 7", w, w < 0 ? strerror(errno) : "short");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[4096];
    long n = getdents64(dfd, buf, sizeof buf);
    int seen = 0;
    for (long off = 0; off < n;) {
        struct dirent64 *e = (struct dirent64 *)(buf + off);
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            seen++;
        off += e->d_reclen;
    }
    CHECK_EQ(seen, 0, D("%s: the O_TMPFILE does not appear in the directory", fs));
    CHECK_OK(linkat(t, "", dfd, "linked", AT_EMPTY_PATH), D("%s: linkat(tmpfd, \"\", AT_EMPTY_PATH) gives it a name", fs));
    fstat(t, &st);
    CHECK_EQ(st.st_nlink, 1, D("%s: nlink is 1 after linkat", fs));
    n = vt_get_at(dfd, "linked", buf, sizeof buf);
    CHECK(n == 7 && memcmp(buf, "tmpdata", 7) == 0, D("%s: the linked name reads the data", fs));
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", t);
    CHECK_OK(linkat(AT_FDCWD, proc, dfd, "linked2", AT_SYMLINK_FOLLOW),
             D("%s: linkat(/proc/self/fd/N, AT_SYMLINK_FOLLOW) links it again", fs));
    fstat(t, &st);
    CHECK_EQ(st.st_nlink, 2, D("%s: nlink is 2", fs));
    close(t);
    t = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600);
    CHECK_ERR(linkat(t, "", dfd, "linked3", AT_EMPTY_PATH), ENOENT, D("%s: O_TMPFILE|O_EXCL cannot be linked (ENOENT)", fs));
    close(t);
    CHECK_ERR(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL, D("%s: O_TMPFILE read-only is EINVAL", fs));
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/linked", dir);
    CHECK_ERR(open(f, O_TMPFILE | O_RDWR, 0600), ENOTDIR, D("%s: O_TMPFILE on a file is ENOTDIR", fs));
    close(dfd);
#undef D
}

static void nonblock(void)
{
    int p[2];
    pipe(p);
    char b[4];
    int fl = fcntl(p[0], F_GETFL);
    CHECK_EQ(fl & O_ACCMODE, O_RDONLY, "F_GETFL of a pipe read end is O_RDONLY");
    CHECK_OK(fcntl(p[0], F_SETFL, fl | O_NONBLOCK), "F_SETFL O_NONBLOCK");
    CHECK_ERR(read(p[0], b, 4), EAGAIN, "read of an empty O_NONBLOCK pipe is EAGAIN");
    int d = dup(p[0]);
    CHECK(fcntl(d, F_GETFL) & O_NONBLOCK, "file status flags are shared by dup");
    fcntl(p[0], F_SETFL, fl);
    CHECK(!(fcntl(d, F_GETFL) & O_NONBLOCK), "clearing O_NONBLOCK shows through the dup too");
    close(d);
    close(p[0]);
    close(p[1]);
    pipe2(p, O_NONBLOCK | O_CLOEXEC);
    CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK, "pipe2(O_NONBLOCK) sets it on both ends");
    CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC, "pipe2(O_CLOEXEC) sets FD_CLOEXEC");
    close(p[0]);
    close(p[1]);
}

static void fcntls(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/fcntl", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = fcntl(fd, F_DUPFD, 70);
    CHECK_EQ(n, 70, "F_DUPFD 70 gives 70");
    CHECK_EQ(fcntl(fd, F_DUPFD, 70), 71, "F_DUPFD 70 again gives the lowest free >= 70");
    CHECK_EQ(fcntl(70, F_GETFD), 0, "F_DUPFD does not set FD_CLOEXEC");
    int c = fcntl(fd, F_DUPFD_CLOEXEC, 70);
    CHECK_EQ(c, 72, "F_DUPFD_CLOEXEC 70 gives 72");
    CHECK_EQ(fcntl(72, F_GETFD), FD_CLOEXEC, "F_DUPFD_CLOEXEC sets FD_CLOEXEC");
    CHECK_OK(fcntl(72, F_SETFD, 0), "F_SETFD 0");
    CHECK_EQ(fcntl(72, F_GETFD), 0, "F_GETFD after clearing");
    fcntl(72, F_SETFD, FD_CLOEXEC);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL, "F_DUPFD at RLIMIT_NOFILE is EINVAL");
    CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL, "F_DUPFD -1 is EINVAL");
    int fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & (O_ACCMODE | O_APPEND), O_WRONLY, "F_GETFL is O_WRONLY");
    CHECK_OK(fcntl(fd, F_SETFL, O_RDWR | O_APPEND), "F_SETFL O_RDWR|O_APPEND");
    fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND, "F_SETFL changes O_APPEND but not the access mode");
    CHECK(fcntl(70, F_GETFL) & O_APPEND, "the F_DUPFD copy shares O_APPEND");
    CHECK_ERR(fcntl(9999, F_GETFD), EBADF, "fcntl on a closed fd is EBADF");
    CHECK_ERR(fcntl(fd, 0x7fff), EINVAL, "unknown fcntl command is EINVAL");

    /* O_CLOEXEC across execve: 72 has FD_CLOEXEC, 70 has not, offset of 70 is 3 */
    write(fd, "abc", 3);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {(char *)"fds", (char *)"--fdcheck", (char *)"72", (char *)"70", NULL};
        extern char **environ;
        vt_exec(vt_self, args, environ);
        _exit(99);
    }
    int r = vt_reap(pid);
    CHECK_EQ(r & ~2, 0, "an FD_CLOEXEC fd is closed by execve");
    CHECK_EQ(r & ~1, 0, "a plain fd survives execve with its offset");
    close(70);
    close(71);
    close(72);
    close(fd);
}

static void ranges(void)
{
    for (int i = 50; i <= 60; i++)
        dup2(0, i);
    CHECK_OK(syscall(SYS_close_range, 52, 55, 0), "close_range(52, 55)");
    int open_cnt = 0;
    for (int i = 50; i <= 60; i++)
        if (fcntl(i, F_GETFD) >= 0)
            open_cnt++;
    CHECK_EQ(open_cnt, 7, "close_range closed exactly 4 fds");
    CHECK(fcntl(51, F_GETFD) >= 0 && fcntl(56, F_GETFD) >= 0, "the neighbours stay open");
    CHECK_OK(syscall(SYS_close_range, 56, 58, CLOSE_RANGE_CLOEXEC), "close_range(CLOSE_RANGE_CLOEXEC)");
    CHECK(fcntl(57, F_GETFD) == FD_CLOEXEC && fcntl(59, F_GETFD) == 0, "CLOSE_RANGE_CLOEXEC marks only the range");
    CHECK_ERR(syscall(SYS_close_range, 10, 5, 0), EINVAL, "close_range with first > last is EINVAL");
    CHECK_ERR(syscall(SYS_close_range, 50, 60, 0x80), EINVAL, "close_range with an unknown flag is EINVAL");
    pid_t pid = fork();
    if (pid == 0) {
        if (syscall(SYS_close_range, 50, ~0U, CLOSE_RANGE_UNSHARE) != 0)
            _exit(1);
        for (int i = 50; i <= 60; i++)
            if (fcntl(i, F_GETFD) >= 0)
                _exit(2);
        _exit(0);
    }
    CHECK_EQ(vt_reap(pid), 0, "close_range(50, ~0, UNSHARE) in a child closes everything from 50");
    CHECK(fcntl(50, F_GETFD) >= 0, "the parent's fds are untouched");
    syscall(SYS_close_range, 50, 60, 0);
    CHECK_ERR(close(55), EBADF, "close of a closed fd is EBADF");
    char b;
    CHECK_ERR(read(-1, &b, 1), EBADF, "read(-1) is EBADF");

    /* EMFILE */
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {32, 32};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(1);
        int last = -1;
        for (int i = 0; i < 64; i++) {
            int f = open("/dev/null", O_RDONLY);
            if (f < 0) {
                _exit(errno == EMFILE && last == 31 ? 0 : 2);
            }
            last = f;
        }
        _exit(3);
    }
    CHECK_EQ(vt_reap(pid), 0, "with RLIMIT_NOFILE 32, fd 31 is the last and then EMFILE");
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {32, 32};
        setrlimit(RLIMIT_NOFILE, &rl);
        _exit(dup2(0, 32) == -1 && errno == EBADF ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "dup2 to an fd >= RLIMIT_NOFILE is EBADF");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--fdcheck") == 0)
        return fdcheck(atoi(argv[2]), atoi(argv[3]));
    vt_init(argc, argv, 60);
    const char *host = kt_mktemp("fds");
    vt_mkshm("fds");
    offsets(host);
    opath(host);
    tmpfile_in(vt_shmdir, "tmpfs");
    tmpfile_in(host, "hostdir");
    nonblock();
    fcntls(host);
    ranges();
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
