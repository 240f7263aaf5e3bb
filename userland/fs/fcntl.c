/* fcntl.c - F_GETFD/F_SETFD/F_GETFL/F_SETFL/F_DUPFD/F_DUPFD_CLOEXEC. */
#include "ktest.h"
#include <sys/resource.h>

int main(void)
{
    kt_mktemp("fcntl");
    const char *file = kt_path("file");
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open");

    /* descriptor flags */
    CHECK_EQ(fcntl(fd, F_GETFD), 0, "F_GETFD of a new fd is 0");
    CHECK_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0, "F_SETFD FD_CLOEXEC");
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "F_GETFD reports FD_CLOEXEC");
    CHECK_EQ(fcntl(fd, F_SETFD, 0), 0, "F_SETFD 0");
    CHECK_EQ(fcntl(fd, F_GETFD), 0, "F_GETFD cleared");

    /* status flags */
    int fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & O_ACCMODE, O_RDWR, "F_GETFL access mode is O_RDWR");
    CHECK_EQ(fl & (O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY), 0, "F_GETFL does not report open-time flags");
    CHECK_EQ(fl & (O_APPEND | O_NONBLOCK), 0, "F_GETFL: no O_APPEND/O_NONBLOCK initially");
    CHECK_EQ(fcntl(fd, F_SETFL, fl | O_APPEND | O_NONBLOCK), 0, "F_SETFL O_APPEND|O_NONBLOCK");
    fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK, "F_GETFL shows O_APPEND|O_NONBLOCK");
    CHECK_EQ(fcntl(fd, F_SETFL, O_RDONLY), 0, "F_SETFL trying to change the access mode");
    fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & O_ACCMODE, O_RDWR, "F_SETFL cannot change the access mode");
    CHECK_EQ(fl & (O_APPEND | O_NONBLOCK), 0, "F_SETFL cleared O_APPEND|O_NONBLOCK");

    /* O_APPEND set via F_SETFL takes effect */
    write(fd, "abc", 3);
    fcntl(fd, F_SETFL, O_APPEND);
    lseek(fd, 0, SEEK_SET);
    write(fd, "d", 1);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4, "O_APPEND set by F_SETFL appends");
    fcntl(fd, F_SETFL, 0);

    int ro = open(file, O_RDONLY);
    CHECK_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY, "F_GETFL of an O_RDONLY fd");
    close(ro);
    int wo = open(file, O_WRONLY | O_APPEND);
    fl = fcntl(wo, F_GETFL);
    CHECK_EQ(fl & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND, "F_GETFL of an O_WRONLY|O_APPEND fd");
    close(wo);

    /* F_DUPFD */
    int d = fcntl(fd, F_DUPFD, 0);
    CHECK(d >= 0 && d != fd, "F_DUPFD 0 returns a new fd");
    close(d);
    d = fcntl(fd, F_DUPFD, 50);
    CHECK_EQ(d, 50, "F_DUPFD 50 returns 50 when free");
    CHECK_EQ(fcntl(d, F_GETFD), 0, "F_DUPFD result has FD_CLOEXEC clear");
    int d2 = fcntl(fd, F_DUPFD, 50);
    CHECK_EQ(d2, 51, "F_DUPFD 50 returns 51 when 50 is taken");
    close(d2);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    d2 = fcntl(fd, F_DUPFD, 0);
    CHECK_EQ(fcntl(d2, F_GETFD), 0, "F_DUPFD does not copy FD_CLOEXEC");
    close(d2);
    fcntl(fd, F_SETFD, 0);

    /* dups share the open file description */
    lseek(fd, 2, SEEK_SET);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 2, "duplicated fd shares the file offset");
    fcntl(d, F_SETFL, O_APPEND);
    CHECK_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND, "duplicated fd shares status flags");
    fcntl(d, F_SETFL, 0);
    fcntl(d, F_SETFD, FD_CLOEXEC);
    CHECK_EQ(fcntl(fd, F_GETFD), 0, "descriptor flags are per-descriptor");
    close(d);

    d = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    CHECK_EQ(d, 60, "F_DUPFD_CLOEXEC 60");
    CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC, "F_DUPFD_CLOEXEC sets FD_CLOEXEC");
    close(d);

    /* errors */
    CHECK_ERR(fcntl(9999, F_GETFD), EBADF, "F_GETFD on a bad fd is EBADF");
    CHECK_ERR(fcntl(9999, F_GETFL), EBADF, "F_GETFL on a bad fd is EBADF");
    CHECK_ERR(fcntl(9999, F_DUPFD, 0), EBADF, "F_DUPFD on a bad fd is EBADF");
    CHECK_ERR(syscall(SYS_fcntl, fd, 0x7fff, 0), EINVAL, "unknown command is EINVAL");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR(syscall(SYS_fcntl, fd, F_DUPFD, (long)rl.rlim_cur), EINVAL, "F_DUPFD at RLIMIT_NOFILE is EINVAL");
    CHECK_ERR(syscall(SYS_fcntl, fd, F_DUPFD, -1L), EINVAL, "F_DUPFD with a negative minimum is EINVAL");

    close(fd);
    kt_cleanup();
    return kt_done();
}
