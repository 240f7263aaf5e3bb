/* schedattr.c - sched_setattr and sched_getattr with SCHED_DEADLINE:
 * parameters checked (EINVAL), a reservation admitted and reported back,
 * fork refused (EAGAIN) while the task is a deadline one, and a return to
 * SCHED_OTHER. Runs in a child that ends as SCHED_OTHER. Needs root. */
#include "ktest.h"
#include <sched.h>
#include "sched_attr.h"
#include <stdint.h>
#include <sys/wait.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif


static long setattr(uint32_t policy, uint64_t runtime, uint64_t deadline, uint64_t period)
{
    struct sched_attr a = {.size = sizeof a, .sched_policy = policy, .sched_runtime = runtime, .sched_deadline = deadline, .sched_period = period};
    return syscall(SYS_sched_setattr, 0, &a, 0);
}

static void child(void)
{
    const uint64_t ms = 1000000;
    CHECK_ERR(setattr(SCHED_DEADLINE, 20 * ms, 10 * ms, 30 * ms), EINVAL, "runtime above the deadline is EINVAL");
    CHECK_ERR(setattr(SCHED_DEADLINE, 10 * ms, 40 * ms, 30 * ms), EINVAL, "a deadline past the period is EINVAL");
    CHECK_ERR(setattr(SCHED_DEADLINE, 10 * ms, 0, 30 * ms), EINVAL, "a zero deadline is EINVAL");
    CHECK_ERR(setattr(SCHED_DEADLINE, 100, 30 * ms, 30 * ms), EINVAL, "a runtime below 1024 ns is EINVAL");
    struct sched_param sp = {0};
    CHECK_ERR(sched_setscheduler(0, SCHED_DEADLINE, &sp), EINVAL, "sched_setscheduler cannot give SCHED_DEADLINE (no parameters): EINVAL");

    CHECK_OK(setattr(SCHED_DEADLINE, 10 * ms, 30 * ms, 30 * ms), "SCHED_DEADLINE 10 ms every 30 ms is admitted");
    CHECK_EQ(sched_getscheduler(0), SCHED_DEADLINE, "sched_getscheduler says SCHED_DEADLINE");
    struct sched_attr got;
    memset(&got, 0xff, sizeof got);
    CHECK_OK(syscall(SYS_sched_getattr, 0, &got, sizeof got, 0), "sched_getattr");
    CHECK_EQ(got.sched_policy, SCHED_DEADLINE, "sched_getattr's policy");
    CHECK(got.sched_runtime == 10 * ms && got.sched_deadline == 30 * ms && got.sched_period == 30 * ms, "sched_getattr reports runtime, deadline and period");
    CHECK_EQ(got.sched_priority, 0, "and priority 0");

    pid_t p = fork();
    if (p == 0)
        _exit(0);
    if (p > 0)
        waitpid(p, NULL, 0);
    CHECK(p == -1 && errno == EAGAIN, "a deadline task's fork is EAGAIN");

    CHECK_OK(setattr(SCHED_OTHER, 0, 0, 0), "back to SCHED_OTHER");
    CHECK_EQ(sched_getscheduler(0), SCHED_OTHER, "sched_getscheduler says SCHED_OTHER");
    p = fork();
    if (p == 0)
        _exit(0);
    CHECK(p > 0 && waitpid(p, NULL, 0) == p, "fork works again");
}

int main(void)
{
    if (geteuid() != 0) {
        kt_skip("SCHED_DEADLINE checks", "not root");
        return kt_done();
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child();
        _exit(kt_done());
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's checks passed");
    return kt_done();
}
