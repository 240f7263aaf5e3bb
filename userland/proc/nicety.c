/* nicety.c - nice values weigh threads as Linux's EEVDF weights do: two
 * threads of one process pinned to one CPU, one at nice 0 and one at nice 5
 * (weights 1024 and 335), spinning at once: the nice-0 thread gets about
 * three times the CPU of the other, counted in loop turns (checked loosely: 1.5 to 5 times;
 * NICETY_RANGE=lo,hi sets the bounds, for Ghost's virtual clock where the
 * figure is exact: test/kernel/sched/nicety.test.ts).
 * Twice: the threads wait for the start on a barrier, then in a
 * sched_yield loop (a yield loop once pushed the yielder's deadline minutes
 * ahead, and the nice-5 thread then starved or the weights were lost).
 * setpriority(PRIO_PROCESS, tid) changes only that thread, as on Linux. */
#include "ktest.h"
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

static volatile int stop, go, use_yield;
static double lo = 1.5, hi = 5.0;
static volatile pid_t tids[2];
static pthread_barrier_t ready, start;

struct arg {
    int idx, nice;
    long long cpu_ns;
    unsigned long spins;
};

static long long thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spin(void *p)
{
    struct arg *a = p;
    tids[a->idx] = syscall(SYS_gettid);
    setpriority(PRIO_PROCESS, 0, a->nice);
    pthread_barrier_wait(&ready);
    if (use_yield) {
        while (!go)
            sched_yield();
    } else {
        pthread_barrier_wait(&start);
    }
    long long t0 = thread_cpu();
    unsigned long n = 0;
    while (!stop)
        n++;
    a->spins = n;
    a->cpu_ns = thread_cpu() - t0;
    return NULL;
}

static void measure(int yield_start)
{
    use_yield = yield_start;
    stop = go = 0;
    tids[0] = tids[1] = 0;
    struct arg a[2] = {{0, 0, 0, 0}, {1, 5, 0, 0}};
    pthread_t th[2];
    pthread_barrier_init(&ready, NULL, 3);
    pthread_barrier_init(&start, NULL, 3);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, spin, &a[i]);
    pthread_barrier_wait(&ready);
    const char *how = yield_start ? "after a sched_yield loop" : "after a barrier";
    char desc[160];
    snprintf(desc, sizeof desc, "getpriority(tid) %s: 0 and 5", how);
    kt_check(getpriority(PRIO_PROCESS, tids[0]) == 0 && getpriority(PRIO_PROCESS, tids[1]) == 5, desc,
             "got %d and %d", getpriority(PRIO_PROCESS, tids[0]), getpriority(PRIO_PROCESS, tids[1]));
    if (yield_start) {
        kt_msleep(30); /* both threads yield to each other meanwhile */
        go = 1;
    } else {
        pthread_barrier_wait(&start);
    }
    /* The main thread sleeps: the two spinners share the CPU. */
    kt_msleep(600);
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&start);
    /* Work done (loop turns), not CPU time: the same measure on Linux, and on
     * Ghost's host clock it leaves out the host's own stalls. */
    double ratio = a[1].spins > 0 ? (double)a[0].spins / (double)a[1].spins : 1e9;
    snprintf(desc, sizeof desc, "%s: nice 0 gets %.1f to %.1f times the CPU of nice 5 (weights 1024:335)", how, lo, hi);
    kt_check(ratio > lo && ratio < hi, desc, "nice 0 ran %lld us (%lu turns), nice 5 ran %lld us (%lu turns): ratio %.2f",
             a[0].cpu_ns / 1000, a[0].spins, a[1].cpu_ns / 1000, a[1].spins, ratio);
    kt_printf("# %s: nice 0: %lld us, nice 5: %lld us, work ratio %.2f\n", how, a[0].cpu_ns / 1000,
              a[1].cpu_ns / 1000, ratio);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    alarm(60);
    const char *range = getenv("NICETY_RANGE");
    if (range)
        sscanf(range, "%lf,%lf", &lo, &hi);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK_OK(sched_setaffinity(0, sizeof one, &one), "pin the process to CPU 0");
    measure(0);
    measure(1);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "the main thread's nice is unchanged");
    return kt_done();
}
