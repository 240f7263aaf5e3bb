/* sweep.c - one cell of the wake-up latency sweep (bench/sched/sweep.ts):
 * a frame loop beside CPU hogs, in the manner of cyclictest.
 *
 *   sweep SECONDS PERIOD_US WORK_PCT HOGS threads|processes
 *
 * A thread sleeps with clock_nanosleep to absolute times PERIOD_US apart
 * and, at each wake, works WORK_PCT percent of the period; HOGS busy loops
 * run beside it, as threads of the same process or as processes of their
 * own. Its latency is the actual wake time minus the intended one; after
 * SECONDS it prints, in microseconds:
 *   frame p50 ... p90 ... p99 ... max ... n ... */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXS 100000
#define MAXH 64

static long long lat[MAXS];
static int n;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *hog(void *arg)
{
    (void)arg;
    for (volatile unsigned long x = 0;; x++) {
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: sweep SECONDS PERIOD_US WORK_PCT HOGS threads|processes\n");
        return 2;
    }
    long long dur = (long long)(atof(argv[1]) * 1e9);
    long long period = atoll(argv[2]) * 1000LL;
    long long work = period * atoi(argv[3]) / 100;
    int hogs = atoi(argv[4]);
    int procs = strcmp(argv[5], "processes") == 0;
    if (hogs > MAXH)
        hogs = MAXH;
    pid_t pids[MAXH];
    pthread_t th;
    for (int i = 0; i < hogs; i++) {
        if (procs) {
            pids[i] = fork();
            if (pids[i] == 0)
                hog(NULL);
        } else {
            pthread_create(&th, NULL, hog, NULL);
        }
    }
    long long start = now_ns(), next = start + period;
    while (next - start < dur) {
        struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        long long t = now_ns();
        if (n < MAXS)
            lat[n++] = t - next;
        while (now_ns() < t + work) {
        }
        next += period;
        /* An overrun skips the frames it missed, as a frame loop does. */
        while (next < now_ns())
            next += period;
    }
    if (procs) {
        for (int i = 0; i < hogs; i++) {
            if (pids[i] > 0) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], NULL, 0);
            }
        }
    }
    qsort(lat, n, sizeof *lat, cmp);
#define P(q) (n ? lat[(int)((n - 1) * (q))] / 1000.0 : 0.0)
    printf("frame p50 %.1f p90 %.1f p99 %.1f max %.1f n %d\n", P(0.5), P(0.9), P(0.99), n ? lat[n - 1] / 1000.0 : 0.0,
           n);
    fflush(stdout);
    _exit(0);
}
