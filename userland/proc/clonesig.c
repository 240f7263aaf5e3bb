/* clonesig.c - the exit signal of clone(): legacy clone() accepts any value
 * in CSIGNAL (an invalid one is sent to nobody, and the child is a "clone
 * child" that only __WALL/__WCLONE waits see); clone3() refuses an exit
 * signal above _NSIG; a CLONE_PARENT child reports to the grandparent with
 * the caller's own exit signal, not the one in the flags; a parent that
 * ignores SIGCHLD auto-reaps only children whose exit signal is SIGCHLD. */
#include "ktest.h"
#include <linux/sched.h>
#include <sys/syscall.h>
#include <stdint.h>

#pragma GCC diagnostic ignored "-Warray-bounds" /* deliberate store to KT_BAD_PTR */

/* clone() as a raw syscall: like fork() when no stack is given. */
static long raw_clone(unsigned long flags)
{
    return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

static volatile sig_atomic_t got[65];
static void count(int sig) { got[sig]++; }

/* qemu-user 7.2 has no clone3 and mistranslates exit signals other than
 * SIGCHLD; these checks were verified on the host's Linux (the test suite
 * also runs this program natively: test/userland/proc.test.ts). */
static int qemu_differs(const char *what)
{
    if (kt_qemu())
        kt_skip(what, "qemu-user's clone differs from Linux here");
    return kt_qemu();
}

static void invalid_legacy(void)
{
    /* 0xa8 = 168: no signal. Linux takes it and notifies no one. */
    /* qemu-user refuses a target signal it cannot translate (EINVAL). */
    if (qemu_differs("clone() with exit signal 168, 255: clone children no one is signalled for"))
        return;
    long c = raw_clone(0xa8);
    if (c == 0)
        _exit(3);
    CHECK(c > 0, "clone() with exit signal 168 succeeds");
    int st = 0;
    CHECK_ERR(waitpid(c, &st, 0), ECHILD, "a child with exit signal 168 is a clone child: plain waitpid is ECHILD");
    CHECK_EQ(waitpid(c, &st, __WALL), c, "waitpid(__WALL) reaps it");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "it exited 3");

    c = raw_clone(0xa8);
    if (c == 0) {
        *(volatile int *)KT_BAD_PTR = 1;
        _exit(0);
    }
    CHECK(c > 0, "clone() with exit signal 168 again");
    CHECK_EQ(waitpid(c, &st, __WCLONE), c, "waitpid(__WCLONE) reaps a child that died of SIGSEGV");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "it was killed by SIGSEGV");

    /* 0xff as well, and kill/exit of a relative of such a child. */
    c = raw_clone(0xff);
    if (c == 0) {
        for (;;)
            pause();
    }
    CHECK(c > 0, "clone() with exit signal 255 succeeds");
    if (c <= 0)
        return; /* never kill(-1) */
    CHECK_EQ(kill(c, SIGKILL), 0, "kill of that child works");
    CHECK_EQ(waitpid(c, &st, __WALL), c, "and it is reaped");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed by SIGKILL");
}

static void clone3_invalid(void)
{
    if (qemu_differs("clone3 refuses exit signals above _NSIG"))
        return;
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.exit_signal = 65;
    CHECK_ERR(syscall(SYS_clone3, &a, sizeof a), EINVAL, "clone3 with exit_signal 65 is EINVAL");
    a.exit_signal = 0x100;
    CHECK_ERR(syscall(SYS_clone3, &a, sizeof a), EINVAL, "clone3 with exit_signal 256 is EINVAL");
    a.exit_signal = (uint64_t)1 << 60;
    CHECK_ERR(syscall(SYS_clone3, &a, sizeof a), EINVAL, "clone3 with exit_signal 2^60 is EINVAL");
    /* A pidfd that cannot be stored fails the call before any child exists (copy_process). */
    memset(&a, 0, sizeof a);
    a.flags = CLONE_PIDFD;
    a.exit_signal = SIGCHLD;
    a.pidfd = (uint64_t)(uintptr_t)KT_BAD_PTR;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0)
        _exit(0);
    CHECK(r == -1 && errno == EFAULT, "clone3 with CLONE_PIDFD to a bad address is EFAULT");
    int st;
    CHECK_ERR(waitpid(-1, &st, WNOHANG | __WALL), ECHILD, "and leaves no child behind");
}

/* The middle process clones with CLONE_PARENT|SIGTERM; the grandchild must
 * report to us (its new parent) with the middle's exit signal, SIGCHLD. */
static void clone_parent(void)
{
    if (qemu_differs("CLONE_PARENT takes the caller's exit signal"))
        return;
    for (int i = 0; i < 65; i++)
        got[i] = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count;
    sa.sa_flags = SA_RESTART; /* the read and waits below must not end in EINTR */
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    pid_t mid = fork();
    if (mid == 0) {
        long g = raw_clone(CLONE_PARENT | SIGTERM);
        if (g == 0)
            _exit(7);
        if (write(p[1], &g, sizeof g) != sizeof g)
            _exit(1);
        _exit(0);
    }
    long g = -1;
    CHECK_EQ(read(p[0], &g, sizeof g), (long)sizeof g, "the middle process reports its CLONE_PARENT child");
    int st = 0;
    CHECK_EQ(waitpid(mid, &st, 0), mid, "reap the middle process");
    CHECK_EQ(waitpid((pid_t)g, &st, 0), (pid_t)g, "the CLONE_PARENT child is ours, and a SIGCHLD child (plain waitpid)");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "it exited 7");
    CHECK_EQ(got[SIGTERM], 0, "no SIGTERM reached the grandparent");
    CHECK(got[SIGCHLD] >= 1, "SIGCHLD did");
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

/* With SIGCHLD ignored, a child with another exit signal still becomes a zombie. */
static void ignored_sigchld(void)
{
    if (qemu_differs("SIGCHLD ignored: only SIGCHLD children are auto-reaped"))
        return;
    signal(SIGCHLD, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    long c = raw_clone(SIGUSR1);
    if (c == 0)
        _exit(5);
    CHECK(c > 0, "clone() with exit signal SIGUSR1");
    int st = 0;
    CHECK_EQ(waitpid(c, &st, __WCLONE), c, "SIGCHLD ignored: a SIGUSR1 child is not auto-reaped");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "it exited 5");
    signal(SIGCHLD, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    invalid_legacy();
    clone3_invalid();
    clone_parent();
    ignored_sigchld();
    return kt_done();
}
