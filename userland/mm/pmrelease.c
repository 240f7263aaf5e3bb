/* pmrelease.c - process_mrelease(2): EINVAL for flags and for a process
 * that is not dying (a live child, the caller), EBADF for a descriptor that
 * is no pidfd, ESRCH once the process has released its memory (a zombie, a
 * reaped child). */
#include "ktest.h"

static long mrelease(int pidfd, unsigned flags) { return syscall(448, pidfd, flags); }

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    if (c < 0) {
        kt_fail("fork", "errno %d", errno);
        return kt_done();
    }
    int fd = syscall(434, c, 0);
    long r = mrelease(fd, 0);
    if (r < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip("process_mrelease", "qemu-user 7.2 lacks it");
        kill(c, SIGKILL);
        waitpid(c, NULL, 0);
        return kt_done();
    }
    CHECK(r < 0 && errno == EINVAL, "a live process is EINVAL (not dying)");
    int self = syscall(434, getpid(), 0);
    CHECK_ERR(mrelease(self, 0), EINVAL, "so is the caller");
    CHECK_ERR(mrelease(0, 0), EBADF, "a descriptor that is no pidfd is EBADF");
    kill(c, SIGKILL);
    siginfo_t si;
    CHECK_OK(waitid(P_PID, c, &si, WEXITED | WNOWAIT), "the child is a zombie");
    CHECK_ERR(mrelease(fd, 1), EINVAL, "nonzero flags are EINVAL (checked first)");
    CHECK_ERR(mrelease(fd, 0), ESRCH, "a zombie has no memory left: ESRCH");
    waitpid(c, NULL, 0);
    CHECK_ERR(mrelease(fd, 0), ESRCH, "nor a reaped child");
    return kt_done();
}
