/* sched_share.c - CPU hogs at given nice levels share the hart; prints each
 * hog's CPU time over a measuring window.
 *
 *   sched_share WINDOW_MS NICE...
 *
 * Forks one busy-looping child per NICE argument, lets them settle for 100 ms,
 * then reads each child's CPU clock at the start and end of the window (the
 * parent sleeps in between). Output: "hog <i> nice <n> cpu_ns <ns>" lines. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long cpu_of(pid_t pid)
{
    clockid_t c;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &c) != 0 || clock_gettime(c, &ts) != 0)
        return -1;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sched_share WINDOW_MS NICE...\n");
        return 2;
    }
    long window = atol(argv[1]);
    int n = argc - 2;
    pid_t pids[16];
    for (int i = 0; i < n && i < 16; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            setpriority(PRIO_PROCESS, 0, atoi(argv[2 + i]));
            volatile unsigned long x = 0;
            for (;;)
                x++;
        }
    }
    sleep_ms(100);
    long long start[16];
    for (int i = 0; i < n; i++)
        start[i] = cpu_of(pids[i]);
    sleep_ms(window);
    long long end[16];
    for (int i = 0; i < n; i++)
        end[i] = cpu_of(pids[i]);
    for (int i = 0; i < n; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    for (int i = 0; i < n; i++)
        printf("hog %d nice %s cpu_ns %lld\n", i, argv[2 + i], end[i] - start[i]);
    return 0;
}
