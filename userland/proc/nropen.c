/* nropen.c - fs.nr_open (/proc/sys/fs/nr_open): root may lower it (down to
 * BITS_PER_LONG, 64); RLIMIT_NOFILE's hard limit cannot pass it (EPERM);
 * a table whose highest open fd no longer fits is not copied: fork and
 * unshare(CLONE_FILES) are EMFILE (Linux's dup_fd, LTP unshare03).
 * Writing the sysctl is machine-wide, so those checks run only under Ghost. */
#include "ktest.h"
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define NR_OPEN "/proc/sys/fs/nr_open"

static long read_nr_open(void)
{
    char buf[32] = {0};
    int fd = open(NR_OPEN, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? atol(buf) : -1;
}

/* The write's result: 0, or -errno. */
static int write_nr_open(const char *v)
{
    int fd = open(NR_OPEN, O_WRONLY);
    if (fd < 0)
        return -errno;
    int r = write(fd, v, strlen(v)) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int main(void)
{
    long def = read_nr_open();
    CHECK(def >= 64, "fs.nr_open reads as a number of at least 64");
    if (!kt_ghost()) {
        kt_skip("lowering fs.nr_open", "machine-wide: only under Ghost");
        return kt_done();
    }
    CHECK_EQ(def, 1048576, "fs.nr_open is 1048576 by default");
    CHECK_EQ(write_nr_open("63"), -EINVAL, "nr_open below 64 is EINVAL");
    CHECK_EQ(write_nr_open("2147483648"), -EINVAL, "nr_open above INT_MAX is EINVAL");
    CHECK_EQ(read_nr_open(), def, "a refused write leaves nr_open as it was");

    /* fd 65 open, nr_open then lowered to 64: the table cannot be copied. */
    CHECK_EQ(dup2(2, 65), 65, "dup2 to fd 65");
    pid_t pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        int bad = 0;
        if (write_nr_open("64") != 0)
            bad |= 1;
        if (read_nr_open() != 64)
            bad |= 2;
        errno = 0;
        if (unshare(CLONE_FILES) != -1 || errno != EMFILE)
            bad |= 4;
        errno = 0;
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        if (c != -1 || errno != EMFILE)
            bad |= 8;
        struct rlimit rl = {65, 65};
        errno = 0;
        if (setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EPERM)
            bad |= 16;
        rl.rlim_cur = rl.rlim_max = 64;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            bad |= 32;
        _exit(bad);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid, "the CLONE_FILES child is reaped");
    CHECK(WIFEXITED(st), "the child exits");
    int bad = WEXITSTATUS(st);
    CHECK(!(bad & 1), "root writes 64 to nr_open");
    CHECK(!(bad & 2), "nr_open reads back 64");
    CHECK(!(bad & 4), "unshare(CLONE_FILES) with fd 65 open is EMFILE");
    CHECK(!(bad & 8), "fork with fd 65 open is EMFILE");
    CHECK(!(bad & 16), "RLIMIT_NOFILE above nr_open is EPERM");
    CHECK(!(bad & 32), "RLIMIT_NOFILE at nr_open is allowed");
    close(65);
    pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_FILES) == 0 ? 0 : 1);
    CHECK(pid > 0, "fork works again once fd 65 is closed");
    if (pid > 0)
        kt_check_exit(pid, 0, "unshare(CLONE_FILES) works again");
    CHECK_EQ(write_nr_open("1048576"), 0, "nr_open restored");
    return kt_done();
}
