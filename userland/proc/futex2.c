/* futex2.c - futex_waitv, futex_wake, futex_wait and futex_requeue: which
 * futex woke a waitv, value mismatches, absolute timeouts on both clocks,
 * requeueing, and the flag and argument checks. qemu-user 7.2 lacks these
 * (skipped there); the suite also runs this program natively. */
#include "ktest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define NR_futex_wake 454
#define NR_futex_wait 455
#define NR_futex_requeue 456
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128
#endif
#define F32P (FUTEX2_SIZE_U32 | FUTEX2_PRIVATE)

struct waitv {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};




static uint32_t fx[4];

static struct timespec mono_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clk)
{
    return syscall(SYS_futex_waitv, w, n, flags, ts, clk);
}
static long wake(uint32_t *u, unsigned long mask, int nr, unsigned flags)
{
    return syscall(NR_futex_wake, u, mask, nr, flags);
}

static volatile int stage;
static void *waker(void *arg)
{
    int which = (int)(intptr_t)arg;
    while (__atomic_load_n(&stage, __ATOMIC_SEQ_CST) == 0)
        sched_yield();
    kt_msleep(50);
    __atomic_store_n(&fx[which], 1, __ATOMIC_SEQ_CST);
    wake(&fx[which], 0xffffffffUL, 1, F32P);
    return NULL;
}

static long wait_result;
static void *waiter_a(void *arg)
{
    (void)arg;
    wait_result = syscall(NR_futex_wait, &fx[0], 0, 0xffffffffUL, F32P, NULL, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    errno = 0;
    if (syscall(SYS_futex_waitv, NULL, 0, 0, NULL, 0) == -1 && errno == ENOSYS) {
        kt_skip("futex2", "this kernel (qemu-user) lacks futex_waitv");
        return kt_done();
    }
    struct waitv w[3];
    for (int i = 0; i < 3; i++)
        w[i] = (struct waitv){ .val = 0, .uaddr = (uintptr_t)&fx[i], .flags = F32P };

    /* The index of the futex that was woken. */
    pthread_t th;
    pthread_create(&th, NULL, waker, (void *)(intptr_t)2);
    __atomic_store_n(&stage, 1, __ATOMIC_SEQ_CST);
    struct timespec guard = mono_in(20000);
    CHECK_EQ(waitv(w, 3, 0, &guard, CLOCK_MONOTONIC), 2, "futex_waitv returns the index of the woken futex");
    pthread_join(th, NULL);
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EAGAIN, "futex_waitv when a word already differs");
    fx[2] = 0;
    struct timespec ts = mono_in(50);
    CHECK_ERR(waitv(w, 3, 0, &ts, CLOCK_MONOTONIC), ETIMEDOUT, "futex_waitv times out on CLOCK_MONOTONIC");
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    rt.tv_nsec += 50000000L;
    if (rt.tv_nsec >= 1000000000L) { rt.tv_sec++; rt.tv_nsec -= 1000000000L; }
    CHECK_ERR(waitv(w, 3, 0, &rt, CLOCK_REALTIME), ETIMEDOUT, "futex_waitv times out on CLOCK_REALTIME");
    CHECK_ERR(waitv(w, 3, 0, &ts, CLOCK_PROCESS_CPUTIME_ID), EINVAL, "futex_waitv on another clock");
    CHECK_ERR(waitv(w, 3, 1, NULL, 0), EINVAL, "futex_waitv flags");
    CHECK_ERR(waitv(w, 0, 0, NULL, 0), EINVAL, "futex_waitv of no futexes");
    CHECK_ERR(waitv(w, 129, 0, NULL, 0), EINVAL, "futex_waitv of more than 128");
    CHECK_ERR(waitv(NULL, 1, 0, NULL, 0), EINVAL, "futex_waitv of a null array");
    CHECK_ERR(waitv((struct waitv *)KT_BAD_PTR, 1, 0, NULL, 0), EFAULT, "futex_waitv of a bad array");
    w[1].flags = FUTEX2_PRIVATE; /* size U8 */
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL, "futex_waitv of an 8-bit futex");
    w[1].flags = F32P;
    w[1].reserved = 1;
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL, "futex_waitv with __reserved set");
    w[1].reserved = 0;
    w[1].uaddr += 1;
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL, "futex_waitv of an unaligned futex");
    w[1].uaddr -= 1;
    w[1].val = 1ULL << 32;
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL, "futex_waitv with a value past 32 bits");
    w[1].val = 0;

    /* futex_wake and futex_wait. */
    CHECK_EQ(wake(&fx[0], 0xffffffffUL, 1, F32P), 0, "futex_wake with nobody waiting");
    CHECK_ERR(wake(&fx[0], 0, 1, F32P), EINVAL, "futex_wake with an empty mask");
    CHECK_ERR(wake(&fx[0], 0xffffffffUL, 1, FUTEX2_PRIVATE), EINVAL, "futex_wake of an 8-bit futex");
    CHECK_ERR(wake(&fx[0], ~0UL, 1, F32P), EINVAL, "futex_wake with a 64-bit mask on a 32-bit futex");
    CHECK_ERR(wake(&fx[0], 1ULL << 33, 1, F32P), EINVAL, "futex_wake with a mask past 32 bits");
    CHECK_ERR(syscall(NR_futex_wait, &fx[0], 1, 0xffffffffUL, F32P, NULL, 0), EAGAIN, "futex_wait on a different value");
    ts = mono_in(50);
    CHECK_ERR(syscall(NR_futex_wait, &fx[0], 0, 0xffffffffUL, F32P, &ts, CLOCK_MONOTONIC), ETIMEDOUT, "futex_wait times out");
    CHECK_ERR(syscall(NR_futex_wait, &fx[0], 0, 0xffffffffUL, F32P, &ts, 7), EINVAL, "futex_wait on another clock");

    /* futex_requeue: a waiter on fx[0] moves to fx[3] and is woken there. */
    pthread_t ta;
    wait_result = 99;
    pthread_create(&ta, NULL, waiter_a, NULL);
    kt_msleep(100);
    struct waitv rq[2] = { { .val = 0, .uaddr = (uintptr_t)&fx[0], .flags = F32P }, { .val = 0, .uaddr = (uintptr_t)&fx[3], .flags = F32P } };
    rq[0].val = 5;
    CHECK_ERR(syscall(NR_futex_requeue, rq, 0, 0, 1), EAGAIN, "futex_requeue when the first word differs");
    rq[0].val = 0;
    CHECK_ERR(syscall(NR_futex_requeue, rq, 1, 0, 1), EINVAL, "futex_requeue flags");
    long moved = syscall(NR_futex_requeue, rq, 0, 0, 1);
    CHECK_EQ(moved, 1, "futex_requeue moves the waiter");
    CHECK_EQ(wake(&fx[0], 0xffffffffUL, 1, F32P), 0, "nobody waits on the old futex");
    CHECK_EQ(wake(&fx[3], 0xffffffffUL, 1, F32P), 1, "the waiter is woken on the new one");
    pthread_join(ta, NULL);
    CHECK_EQ(wait_result, 0, "futex_wait returned 0 when woken");
    return kt_done();
}
