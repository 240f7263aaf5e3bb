/* dup.c - dup, dup3 (and glibc's dup2). */
#include "ktest.h"
#include <sys/resource.h>

int main(void)
{
    kt_mktemp("dup");
    const char *f1 = kt_path("one");
    const char *f2 = kt_path("two");
    int fd = open(f1, O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    int other = open(f2, O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(other, "abcdefghij", 10);

    /* dup */
    int d = dup(fd);
    CHECK(d >= 0 && d != fd, "dup returns a new fd");
    int probe = open(f1, O_RDONLY);
    CHECK_EQ(probe, d + 1, "dup took the lowest free fd");
    close(probe);
    lseek(fd, 3, SEEK_SET);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 3, "dup shares the file offset");
    char c = 0;
    CHECK_EQ(read(d, &c, 1), 1, "read from dup");
    CHECK_EQ(c, '3', "dup reads the same file");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4, "read through dup moves the original's offset");
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int d2 = dup(fd);
    CHECK_EQ(fcntl(d2, F_GETFD), 0, "dup clears FD_CLOEXEC");
    close(d2);
    fcntl(fd, F_SETFD, 0);
    close(d);
    CHECK_EQ(write(fd, "x", 1), 1, "closing a dup leaves the original open");
    CHECK_ERR(dup(9999), EBADF, "dup of a bad fd is EBADF");

    /* dup3 */
    CHECK_EQ(syscall(SYS_dup3, fd, 40, 0), 40, "dup3 to a chosen fd");
    CHECK_EQ(fcntl(40, F_GETFD), 0, "dup3 flags 0: FD_CLOEXEC clear");
    CHECK_EQ(syscall(SYS_dup3, fd, 41, O_CLOEXEC), 41, "dup3 O_CLOEXEC");
    CHECK_EQ(fcntl(41, F_GETFD), FD_CLOEXEC, "dup3 O_CLOEXEC sets FD_CLOEXEC");
    close(41);
    /* replacing an open fd: 40 (file one) becomes file two */
    CHECK_EQ(syscall(SYS_dup3, other, 40, 0), 40, "dup3 onto an open fd");
    char buf[4] = {0};
    CHECK_EQ(pread(40, buf, 3, 0), 3, "read through replaced fd");
    CHECK_STR(buf, "abc", "dup3 silently closed the old target");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5, "the original fd is unaffected");
    close(40);
    CHECK_ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL, "dup3 with oldfd == newfd is EINVAL");
    CHECK_ERR(syscall(SYS_dup3, fd, 42, 0x4), EINVAL, "dup3 with flags other than O_CLOEXEC is EINVAL");
    CHECK_ERR(syscall(SYS_dup3, 9999, 42, 0), EBADF, "dup3 from a bad fd is EBADF");
    CHECK_ERR(syscall(SYS_dup3, fd, -1, 0), EBADF, "dup3 to a negative fd is EBADF");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR(syscall(SYS_dup3, fd, (long)rl.rlim_cur, 0), EBADF, "dup3 to fd >= RLIMIT_NOFILE is EBADF");
    CHECK_ERR(fcntl(42, F_GETFD), EBADF, "failed dup3 did not open the target");

    /* glibc dup2 */
    CHECK_EQ(dup2(fd, fd), fd, "dup2 with oldfd == newfd returns newfd");
    CHECK_ERR(dup2(9999, 9999), EBADF, "dup2(bad, bad) is EBADF");
    CHECK_EQ(dup2(fd, 43), 43, "dup2 to a chosen fd");
    close(43);

    /* dup over stdout and back */
    int saved = dup(1);
    CHECK(saved >= 0, "dup(1)");
    int nul = open("/dev/null", O_WRONLY);
    long r1 = syscall(SYS_dup3, nul, 1, 0); /* nothing printed while stdout is /dev/null */
    long w = write(1, "this line goes to /dev/null\n", 28);
    long r2 = syscall(SYS_dup3, saved, 1, 0);
    CHECK_EQ(r1, 1, "dup3 /dev/null over stdout");
    CHECK_EQ(w, 28, "write to redirected stdout");
    CHECK_EQ(r2, 1, "restore stdout");
    close(saved);
    close(nul);

    close(fd);
    close(other);
    kt_cleanup();
    return kt_done();
}
