/*
 * ptest.h - helpers shared by the process/thread/signal/VM test programs in
 * userland/tests3/ (on top of ../tests/ktest.h).
 *
 * Conventions: only the main test process prints ok/not ok lines (children
 * report through their exit status or a pipe); every program arms a watchdog
 * so that a hang ends in SIGALRM (exit status 142) with the output so far.
 */
#ifndef PTEST_H
#define PTEST_H

#include "../tests/ktest.h"
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

/* Absolute path of the running program (for re-executing itself). */
static char kt_self[PATH_MAX];
/* The repository root (kt_self is <root>/build/userland3/<name>). */
static char kt_root[PATH_MAX];

static __attribute__((unused)) void kt_init(int argc, char **argv)
{
    (void)argc;
    if (!realpath(argv[0], kt_self))
        snprintf(kt_self, sizeof kt_self, "%s", argv[0]);
    snprintf(kt_root, sizeof kt_root, "%s", kt_self);
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(kt_root, '/');
        if (slash)
            *slash = 0;
    }
}

/*
 * execve a riscv64 program. Under qemu-user (no binfmt_misc on the host) a
 * guest cannot execve another riscv64 binary directly, so this goes through
 * the host's qemu-riscv64 (KT_QEMU_BIN, default /usr/bin/qemu-riscv64),
 * keeping argv[0]. The pid, open fds, signal mask and ignored signals carry
 * over exactly as with a direct execve.
 */
static __attribute__((unused)) int kt_exec(const char *path, char *const argv[], char *const envp[])
{
    if (!kt_qemu())
        return execve(path, argv, envp);
    const char *qemu = getenv("KT_QEMU_BIN");
    if (!qemu)
        qemu = "/usr/bin/qemu-riscv64";
    char *qargv[64];
    int n = 0;
    qargv[n++] = (char *)"qemu-riscv64";
    qargv[n++] = (char *)"-0";
    qargv[n++] = argv[0];
    qargv[n++] = (char *)path;
    for (int i = 1; argv[i] && n < 63; i++)
        qargv[n++] = argv[i];
    qargv[n] = NULL;
    return execve(qemu, qargv, envp);
}

/* The busybox binary: /bin/busybox in Ghost's root, build/rootfs/bin/busybox for qemu. */
static __attribute__((unused)) const char *kt_busybox(void)
{
    static char path[PATH_MAX + 32];
    if (!kt_qemu())
        return "/bin/busybox";
    snprintf(path, sizeof path, "%s/build/rootfs/bin/busybox", kt_root);
    return path;
}

/*
 * Watchdog: SIGALRM with its default action after `secs` seconds of real
 * time, through setitimer (glibc's alarm() uses it too on riscv64).
 */
static __attribute__((unused)) void kt_watchdog(int secs)
{
    struct itimerval it = {{0, 0}, {secs, 0}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Describe a wait status in a static rotating buffer. */
static __attribute__((unused)) const char *kt_wstr(int st)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ & 3];
    if (WIFEXITED(st))
        snprintf(b, sizeof bufs[0], "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof bufs[0], "killed by signal %d%s", WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st))
        snprintf(b, sizeof bufs[0], "stopped by signal %d", WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        snprintf(b, sizeof bufs[0], "continued");
    else
        snprintf(b, sizeof bufs[0], "status %#x", st);
    return b;
}

/* waitpid that retries on EINTR; returns the pid or -1. */
static __attribute__((unused)) pid_t kt_waitpid(pid_t pid, int *st, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, st, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Reap `pid` and check that it exited with `code`. */
static __attribute__((unused)) int kt_check_exit(pid_t pid, int code, const char *desc)
{
    int st = 0;
    pid_t r = kt_waitpid(pid, &st, 0);
    if (r != pid)
        return kt_check(0, desc, "waitpid(%d) returned %d errno %d (%s)", (int)pid, (int)r, errno, strerror(errno));
    return kt_check(WIFEXITED(st) && WEXITSTATUS(st) == code, desc, "child %s, want exited %d", kt_wstr(st), code);
}

/* Reap `pid` and check that it was killed by `sig`. */
static __attribute__((unused)) int kt_check_killed(pid_t pid, int sig, const char *desc)
{
    int st = 0;
    pid_t r = kt_waitpid(pid, &st, 0);
    if (r != pid)
        return kt_check(0, desc, "waitpid(%d) returned %d errno %d (%s)", (int)pid, (int)r, errno, strerror(errno));
    return kt_check(WIFSIGNALED(st) && WTERMSIG(st) == sig, desc, "child %s, want killed by signal %d", kt_wstr(st),
                    sig);
}

/* Sleep for `ms` milliseconds (restarting after signals). */
static __attribute__((unused)) void kt_msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Monotonic time in milliseconds. */
static __attribute__((unused)) long long kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll `cond` (an expression) every ms up to `ms` milliseconds. */
#define KT_WAIT_FOR(cond, ms)                                          \
    do {                                                               \
        long long kt_deadline_ = kt_now_ms() + (ms);                   \
        while (!(cond) && kt_now_ms() < kt_deadline_)                  \
            kt_msleep(1);                                              \
    } while (0)

/* Read exactly n bytes from fd (retrying on EINTR); returns bytes read. */
static __attribute__((unused)) ssize_t kt_read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

#endif
