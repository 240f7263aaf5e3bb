/*
 * kproc.h - process helpers shared by the test programs that fork, exec and
 * wait: userland/tests3/ptest.h and userland/tests4/vtest.h build on it (on
 * top of ktest.h).
 *
 * Environment:
 *   GHOST_TEST_QEMU=1  running under qemu-user (see ktest.h)
 *   KT_QEMU_BIN        the host qemu-riscv64, to re-execute riscv64 programs
 */
#ifndef KPROC_H
#define KPROC_H

#include "ktest.h"
#include <limits.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

/* Absolute path of the running program (for re-executing itself). */
static char kt_self[PATH_MAX];

static __attribute__((unused)) void kt_set_self(const char *argv0)
{
    if (!realpath(argv0, kt_self))
        snprintf(kt_self, sizeof kt_self, "%s", argv0);
}

/*
 * Watchdog: SIGALRM with its default action after `secs` seconds of real
 * time, through setitimer (glibc's alarm() uses it too on riscv64). A hang
 * then ends in exit status 142 with the output so far.
 */
static __attribute__((unused)) void kt_watchdog(int secs)
{
    struct itimerval it = {{0, 0}, {secs, 0}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
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

/* waitpid that retries on EINTR; returns the pid or -1. */
static __attribute__((unused)) pid_t kt_waitpid(pid_t pid, int *st, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, st, flags);
    while (r < 0 && errno == EINTR);
    return r;
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

/* Read exactly n bytes from fd (retrying on EINTR); fewer only at EOF or on error. */
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
