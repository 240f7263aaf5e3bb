/* latency.c - wake-up latency beside CPU hogs, in the manner of cyclictest
 * and schbench.
 *
 *   latency SECONDS HOGS WORKERS
 *
 * Beside HOGS busy-looping processes, one process runs:
 *  - a frame loop (cyclictest): a thread sleeps with clock_nanosleep until
 *    an absolute time every 16.67 ms (60 frames a second) and does 2 ms of
 *    work per frame; its latency is the actual wake time minus the intended
 *    one;
 *  - a message thread and WORKERS worker threads (schbench): every 5 ms the
 *    message thread stamps the time and wakes each worker through a futex;
 *    a worker's latency is the time it runs minus the stamp; it then
 *    "thinks" for 100 us and waits again.
 * After SECONDS the latencies are printed as percentiles, in microseconds:
 *   frame p50 ... p90 ... p99 ... p99.9 ... max ... n ...
 *   wakeup p50 ... */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXS 200000
#define FRAME_NS 16666667LL
#define FRAME_WORK_NS 2000000LL
#define MSG_PERIOD_NS 5000000LL
#define THINK_NS 100000LL
#define MAXW 64

static long long frame_lat[MAXS], wake_lat[MAXS];
static int nframe, nwake;
static volatile int stop;
static pthread_mutex_t rec = PTHREAD_MUTEX_INITIALIZER;

struct worker {
    volatile int futex;
    volatile long long posted;
} __attribute__((aligned(64)));
static struct worker workers[MAXW];
static int nworkers;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_ns(long long ns)
{
    long long end = now_ns() + ns;
    while (now_ns() < end) {
    }
}

static void *frame_loop(void *arg)
{
    (void)arg;
    long long next = now_ns() + FRAME_NS;
    while (!stop) {
        struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        long long lat = now_ns() - next;
        if (nframe < MAXS)
            frame_lat[nframe++] = lat;
        spin_ns(FRAME_WORK_NS);
        next += FRAME_NS;
    }
    return NULL;
}

static void *worker_loop(void *arg)
{
    struct worker *w = arg;
    while (!stop) {
        while (w->futex == 0 && !stop)
            syscall(SYS_futex, &w->futex, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        long long lat = now_ns() - w->posted;
        w->futex = 0;
        pthread_mutex_lock(&rec);
        if (nwake < MAXS)
            wake_lat[nwake++] = lat;
        pthread_mutex_unlock(&rec);
        spin_ns(THINK_NS);
    }
    return NULL;
}

static void *message_loop(void *arg)
{
    (void)arg;
    while (!stop) {
        struct timespec ts = {0, MSG_PERIOD_NS};
        nanosleep(&ts, NULL);
        for (int i = 0; i < nworkers; i++) {
            workers[i].posted = now_ns();
            workers[i].futex = 1;
            syscall(SYS_futex, &workers[i].futex, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, long long *v, int n)
{
    qsort(v, n, sizeof *v, cmp);
#define P(q) (n ? v[(int)((n - 1) * (q))] / 1000.0 : 0.0)
    printf("%s p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f n %d\n", name, P(0.5), P(0.9), P(0.99), P(0.999),
           n ? v[n - 1] / 1000.0 : 0.0, n);
#undef P
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: latency SECONDS HOGS WORKERS\n");
        return 2;
    }
    double secs = atof(argv[1]);
    int hogs = atoi(argv[2]);
    nworkers = atoi(argv[3]);
    if (nworkers > MAXW)
        nworkers = MAXW;
    pid_t pids[64];
    for (int i = 0; i < hogs && i < 64; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            volatile unsigned long x = 0;
            for (;;)
                x++;
        }
    }
    pthread_t th;
    for (int i = 0; i < nworkers; i++)
        pthread_create(&th, NULL, worker_loop, &workers[i]);
    pthread_create(&th, NULL, frame_loop, NULL);
    pthread_create(&th, NULL, message_loop, NULL);
    long long ns = (long long)(secs * 1e9);
    struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
    while (nanosleep(&ts, &ts) != 0) {
    }
    stop = 1;
    for (int i = 0; i < hogs && i < 64; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    pthread_mutex_lock(&rec);
    report("frame", frame_lat, nframe);
    report("wakeup", wake_lat, nwake);
    fflush(stdout);
    _exit(0);
}
