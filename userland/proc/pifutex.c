/* pifutex.c - priority-inheritance futexes through glibc's PTHREAD_PRIO_INHERIT
 * mutexes (FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_LOCK_PI2)
 * and the raw syscall's errors. */
#include "ktest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static pthread_mutex_t m;
static long counter;
static volatile int inside;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&m);
        if (inside)
            counter = -1000000; /* two owners at once */
        inside = 1;
        counter++;
        if (i % 100 == 0)
            sched_yield(); /* let the others find it taken */
        inside = 0;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *try_while_held(void *arg)
{
    (void)arg;
    int r = pthread_mutex_trylock(&m);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    int r2 = pthread_mutex_timedlock(&m, &ts);
    return (void *)(intptr_t)(r == EBUSY && r2 == ETIMEDOUT ? 0 : 1);
}

static long futex(uint32_t *u, int op, uint32_t val, void *timeout)
{
    return syscall(SYS_futex, u, op, val, timeout, NULL, 0);
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK_EQ(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0, "PTHREAD_PRIO_INHERIT");
    CHECK_EQ(pthread_mutex_init(&m, &a), 0, "a PI mutex");
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(counter, 8000, "4 threads x 2000 increments under the PI mutex, never two owners");

    pthread_mutex_lock(&m);
    pthread_t t2;
    pthread_create(&t2, NULL, try_while_held, NULL);
    void *res;
    pthread_join(t2, &res);
    CHECK(res == NULL, "trylock of a held PI mutex is EBUSY, timedlock times out with ETIMEDOUT");
    pthread_mutex_unlock(&m);
    CHECK_EQ(pthread_mutex_trylock(&m), 0, "trylock of a free PI mutex");
    pthread_mutex_unlock(&m);

    /* the raw protocol */
    static uint32_t w;
    w = 0;
    CHECK_OK(futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL), "FUTEX_LOCK_PI of a free word");
    CHECK_EQ(w, (uint32_t)syscall(SYS_gettid), "the word holds our TID");
    CHECK_ERR(futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL), EDEADLK, "locking it again is EDEADLK");
    CHECK_ERR(futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL), EDEADLK, "so is trylock");
    CHECK_OK(futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL), "FUTEX_UNLOCK_PI");
    CHECK_EQ(w, 0, "no waiters: the word is 0");
    CHECK_ERR(futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL), EPERM, "unlocking what we do not own is EPERM");
    w = 0x3ffffff0; /* an owner that does not exist */
    CHECK_ERR(futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL), ESRCH, "an owner TID that does not exist is ESRCH");
    CHECK_ERR(futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL), ESRCH, "so is trylock's");
    return kt_done();
}
