/*
 * maxrss.c - getrusage's ru_maxrss is a peak, in KiB (Linux's hiwater_rss,
 * signal->maxrss and cmaxrss):
 *   RUSAGE_SELF keeps the most the process ever had resident, after the
 *   pages went (munmap) and across execve;
 *   RUSAGE_CHILDREN is 0 before any child, takes a reaped child's peak at
 *   wait time (not while it is a zombie), and never an auto-reaped one's
 *   (SIGCHLD ignored); wait4's rusage carries the child's peak.
 * Children touch 32 MiB and unmap it before they exit. Under qemu-riscv64
 * the peaks are the host qemu's, which holds the guest's memory: the same
 * lower bounds hold.
 */
#include "ktest.h"
#include <sys/mman.h>
#include <sys/resource.h>

#define TOUCH_MIB 32
#define TOUCH_KIB (TOUCH_MIB * 1024L)

static long maxrss(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) < 0)
        return -1;
    return ru.ru_maxrss;
}

/* Makes TOUCH_MIB resident, then unmaps it again. */
static void touch_and_drop(void)
{
    size_t len = TOUCH_MIB << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(3);
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
    munmap(p, len);
}

/* A child that touches memory, then exits (or execs itself to check the
 * peak survived execve). */
static pid_t child(int exec_after)
{
    pid_t pid = fork();
    if (pid == 0) {
        touch_and_drop();
        if (exec_after) {
            char *argv[] = {kt_self, (char *)"peak", NULL};
            kt_exec(kt_self, argv, environ);
            _exit(4);
        }
        _exit(0);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "peak") == 0)
        return maxrss(RUSAGE_SELF) >= TOUCH_KIB ? 0 : 1; /* after execve */
    kt_init(argc, argv);
    kt_set_self(argv[0]);
    kt_watchdog(90);

    CHECK_EQ(maxrss(RUSAGE_CHILDREN), 0, "RUSAGE_CHILDREN ru_maxrss is 0 before any child");

    /* A zombie's peak is not counted before it is reaped. */
    pid_t pid = child(0);
    siginfo_t si;
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), "waitid(WNOWAIT) sees the child exit");
    CHECK_EQ(maxrss(RUSAGE_CHILDREN), 0, "a zombie's peak is not in RUSAGE_CHILDREN");
    struct rusage ru;
    int st = 0;
    memset(&ru, 0, sizeof ru);
    CHECK_EQ(wait4(pid, &st, 0, &ru), pid, "wait4 reaps the child");
    kt_check(ru.ru_maxrss >= TOUCH_KIB, "wait4's rusage has the child's peak", "ru_maxrss %ld KiB", ru.ru_maxrss);
    long c = maxrss(RUSAGE_CHILDREN);
    kt_check(c >= TOUCH_KIB, "RUSAGE_CHILDREN has a reaped child's peak, after it unmapped the memory",
             "ru_maxrss %ld KiB, want >= %ld", c, TOUCH_KIB);

    /* The peak survives execve. */
    pid = child(1);
    CHECK_EQ(kt_waitpid(pid, &st, 0), pid, "wait for the exec'd child");
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RUSAGE_SELF after execve keeps the peak from before it",
             "status %#x", st);

    /* An auto-reaped child's peak goes nowhere. */
    long before = maxrss(RUSAGE_CHILDREN);
    signal(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0) {
        size_t len = (size_t)(TOUCH_MIB * 2) << 20; /* above what is counted already */
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            _exit(3);
        for (size_t i = 0; i < len; i += 4096)
            p[i] = 1;
        _exit(0);
    }
    CHECK_ERR(kt_waitpid(pid, &st, 0), ECHILD, "waitpid on an auto-reaped child is ECHILD");
    signal(SIGCHLD, SIG_DFL);
    CHECK_EQ(maxrss(RUSAGE_CHILDREN), before, "an auto-reaped child's peak is not in RUSAGE_CHILDREN");

    /* Our own peak, after the pages went. */
    touch_and_drop();
    long s = maxrss(RUSAGE_SELF);
    kt_check(s >= TOUCH_KIB, "RUSAGE_SELF keeps the peak after munmap", "ru_maxrss %ld KiB, want >= %ld", s, TOUCH_KIB);
    s = maxrss(RUSAGE_THREAD);
    kt_check(s >= TOUCH_KIB, "RUSAGE_THREAD has the process's peak", "ru_maxrss %ld KiB, want >= %ld", s, TOUCH_KIB);
    return kt_done();
}
