/*
 * ptest.h - helpers shared by the process/thread/signal/VM test programs in
 * userland/tests3/ (on top of ../tests/kproc.h and ktest.h).
 *
 * Conventions: only the main test process prints ok/not ok lines (children
 * report through their exit status or a pipe); every program arms a watchdog
 * so that a hang ends in SIGALRM (exit status 142) with the output so far.
 */
#ifndef PTEST_H
#define PTEST_H

#include "../tests/kproc.h"
#include <sys/mman.h>
#include <sys/resource.h>

/* The repository root (kt_self is <root>/build/userland3/<name>). */
static char kt_root[PATH_MAX];

static __attribute__((unused)) void kt_init(int argc, char **argv)
{
    (void)argc;
    kt_set_self(argv[0]);
    snprintf(kt_root, sizeof kt_root, "%s", kt_self);
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(kt_root, '/');
        if (slash)
            *slash = 0;
    }
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

/* Poll `cond` (an expression) every ms up to `ms` milliseconds. */
#define KT_WAIT_FOR(cond, ms)                                          \
    do {                                                               \
        long long kt_deadline_ = kt_now_ms() + (ms);                   \
        while (!(cond) && kt_now_ms() < kt_deadline_)                  \
            kt_msleep(1);                                              \
    } while (0)

#endif
