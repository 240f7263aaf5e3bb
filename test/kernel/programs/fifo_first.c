/* fifo_first.c - a SCHED_FIFO task runs before any fair task.
 *
 * The parent makes itself SCHED_FIFO (with reset-on-fork, so its children
 * are fair), forks two busy children that count in shared memory, and
 * busy-loops: the children must not run at all while it does. When it
 * sleeps they run; when its sleep ends it takes the hart back at once. */
#include "../../../userland/include/ktest.h"
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_ms(long ms)
{
    long long end = now_ns() + ms * 1000000LL;
    while (now_ns() < end) {
    }
}

int main(void)
{
    volatile long *counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct sched_param sp = {.sched_priority = 10};
    CHECK_OK(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp), "the parent becomes SCHED_FIFO 10");
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO | SCHED_RESET_ON_FORK, "sched_getscheduler shows FIFO and reset-on-fork");
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            counts[8 + i] = sched_getscheduler(0);
            for (;;)
                counts[i]++;
        }
    }
    spin_ms(50);
    CHECK(counts[0] == 0 && counts[1] == 0, "while the FIFO task runs, the fair tasks never run");
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    long a = counts[0], b = counts[1];
    CHECK(a > 0 && b > 0, "when the FIFO task sleeps, the fair tasks run");
    CHECK_EQ(counts[8], SCHED_OTHER, "the children of a reset-on-fork FIFO task are SCHED_OTHER");
    spin_ms(20);
    CHECK(counts[0] == a && counts[1] == b, "the woken FIFO task preempted them at once and keeps the hart");
    FILE *f = fopen("/proc/self/stat", "r");
    char buf[1024] = {0};
    if (f) {
        fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    char *p = strrchr(buf, ')');
    int field = 2, prio = 0, rtprio = -1, policy = -1;
    for (char *tok = p ? strtok(p + 2, " ") : NULL; tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 18)
            prio = atoi(tok);
        if (field == 40)
            rtprio = atoi(tok);
        if (field == 41)
            policy = atoi(tok);
    }
    CHECK_EQ(prio, -11, "/proc/self/stat priority is -1 - rt_priority");
    CHECK_EQ(rtprio, 10, "/proc/self/stat rt_priority");
    CHECK_EQ(policy, SCHED_FIFO, "/proc/self/stat policy");
    for (int i = 0; i < 2; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    return kt_done();
}
