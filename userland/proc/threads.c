/* threads.c - pthreads on clone: mutex contention, condition variables, join
 * values, tids, TLS, CLONE_CHILD_CLEARTID/SETTID, exit_group from a thread,
 * the main thread exiting first, robust mutexes (EOWNERDEAD), pthread_kill. */
#include "ktest.h"
#include <pthread.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdatomic.h>

#define NTHREADS 64
#define NITER 2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int start_flag;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static pid_t tids[NTHREADS];
static pid_t pids[NTHREADS];
static __thread int tls_var = 7;

static void *contend(void *arg)
{
    int i = (int)(intptr_t)arg;
    tids[i] = gettid();
    pids[i] = getpid();
    tls_var = 1000 + i;
    pthread_mutex_lock(&gate_mu); /* wait (blocked, not spinning) until all 64 exist */
    while (!start_flag)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    for (int k = 0; k < NITER; k++) {
        pthread_mutex_lock(&mu);
        long v = counter;
        if ((k & 63) == 0)
            sched_yield(); /* widen the race window inside the lock */
        counter = v + 1;
        pthread_mutex_unlock(&mu);
    }
    return (void *)(intptr_t)(tls_var == 1000 + i ? i * 3 + 1 : -1);
}

static void mutex_contention(void)
{
    pthread_t th[NTHREADS];
    int created = 0;
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, contend, (void *)(intptr_t)i) == 0)
            created++;
    CHECK_EQ(created, NTHREADS, "64 threads created");
    pthread_mutex_lock(&gate_mu);
    start_flag = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    int joins_ok = 1;
    for (int i = 0; i < created; i++) {
        void *ret = NULL;
        if (pthread_join(th[i], &ret) != 0 || (intptr_t)ret != i * 3 + 1) {
            joins_ok = 0;
            kt_printf("# thread %d returned %ld\n", i, (long)(intptr_t)ret);
        }
    }
    CHECK(joins_ok, "pthread_join returns each thread's value (and its TLS was private)");
    CHECK_EQ(counter, (long)NTHREADS * NITER, "64 threads x 2000 locked increments: exact total");
    CHECK_EQ(tls_var, 7, "the main thread's TLS variable is untouched");
    int distinct = 1, same_pid = 1;
    pid_t me = getpid();
    for (int i = 0; i < NTHREADS; i++) {
        if (pids[i] != me)
            same_pid = 0;
        if (tids[i] == me || tids[i] <= 0)
            distinct = 0;
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j])
                distinct = 0;
    }
    CHECK(distinct, "gettid is distinct in every thread and differs from the pid");
    CHECK(same_pid, "getpid is the same in every thread");
    CHECK_EQ(gettid(), me, "the main thread's tid is the pid");
}

/* ---- threads spinning on sched_yield must not starve the others ---- */
static atomic_int yield_go;
static void *yield_spin(void *arg)
{
    while (!atomic_load(&yield_go))
        sched_yield();
    return arg;
}

static void yield_spinners(void)
{
    pid_t c = fork();
    if (c == 0) {
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&t[i], NULL, yield_spin, NULL);
        kt_msleep(20);
        atomic_store(&yield_go, 1);
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
        _exit(0);
    }
    long long t0 = kt_now_ms();
    int st = 0;
    pid_t w;
    while ((w = waitpid(c, &st, WNOHANG)) == 0 && kt_now_ms() - t0 < 10000)
        kt_msleep(5);
    if (w == 0) {
        kill(c, SIGKILL);
        kt_waitpid(c, NULL, 0);
    }
    kt_check(w == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "8 threads spinning on sched_yield do not starve the thread that will stop them",
             "not done after %lld ms", kt_now_ms() - t0);
}

/* ---- condition variables ---- */
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;
static int queue[16], qhead, qtail, qcount, consumed_sum, waiting, released;

static void *consumer(void *arg)
{
    (void)arg;
    int sum = 0;
    for (;;) {
        pthread_mutex_lock(&cmu);
        while (qcount == 0)
            pthread_cond_wait(&cv, &cmu);
        int v = queue[qhead];
        qhead = (qhead + 1) % 16;
        qcount--;
        pthread_cond_signal(&cv_done);
        pthread_mutex_unlock(&cmu);
        if (v < 0)
            break;
        sum += v;
    }
    return (void *)(intptr_t)sum;
}

static void *gate_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cmu);
    waiting++;
    pthread_cond_signal(&cv_done);
    while (!released)
        pthread_cond_wait(&cv, &cmu);
    waiting--;
    pthread_mutex_unlock(&cmu);
    return NULL;
}

static void condvars(void)
{
    pthread_t c;
    pthread_create(&c, NULL, consumer, NULL);
    int expect = 0;
    for (int i = 1; i <= 500; i++) {
        pthread_mutex_lock(&cmu);
        while (qcount == 16)
            pthread_cond_wait(&cv_done, &cmu);
        queue[qtail] = i;
        qtail = (qtail + 1) % 16;
        qcount++;
        expect += i;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&cmu);
    }
    pthread_mutex_lock(&cmu);
    while (qcount == 16)
        pthread_cond_wait(&cv_done, &cmu);
    queue[qtail] = -1;
    qtail = (qtail + 1) % 16;
    qcount++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&cmu);
    void *ret;
    pthread_join(c, &ret);
    consumed_sum = (int)(intptr_t)ret;
    CHECK_EQ(consumed_sum, expect, "producer/consumer over a condvar-protected ring: all 500 items consumed");

    /* broadcast releases every waiter */
    pthread_t w[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&w[i], NULL, gate_waiter, NULL);
    pthread_mutex_lock(&cmu);
    while (waiting < 8)
        pthread_cond_wait(&cv_done, &cmu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&cmu);
    for (int i = 0; i < 8; i++)
        pthread_join(w[i], NULL);
    CHECK_EQ(waiting, 0, "pthread_cond_broadcast wakes all 8 waiters");

    /* timed wait times out */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    long long t0 = kt_now_ms();
    pthread_mutex_lock(&cmu);
    int r = pthread_cond_timedwait(&cv, &cmu, &ts);
    pthread_mutex_unlock(&cmu);
    CHECK_EQ(r, ETIMEDOUT, "pthread_cond_timedwait with nobody signalling returns ETIMEDOUT");
    long long dt = kt_now_ms() - t0;
    kt_check(dt >= 15 && dt < 2000, "pthread_cond_timedwait waited about 20 ms", "waited %lld ms", dt);
}

/* ---- raw clone with CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID / CLONE_PARENT_SETTID ---- */
static volatile pid_t ctid_word, ptid_word;
static volatile int clone_ran;
static volatile pid_t clone_seen_ctid;

static int clone_fn(void *arg)
{
    (void)arg;
    clone_seen_ctid = ctid_word; /* CLONE_CHILD_SETTID stored our tid before we ran */
    for (volatile int i = 0; i < 200000; i++)
        ;
    clone_ran = 1;
    return 0; /* glibc's clone() then calls the exit syscall for this thread only */
}

static void raw_clone(void)
{
    static char stack[65536] __attribute__((aligned(16)));
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
    ctid_word = -1;
    ptid_word = -1;
    int tid = clone(clone_fn, stack + sizeof stack, flags, NULL, &ptid_word, NULL, &ctid_word);
    CHECK(tid > 0, "clone(CLONE_THREAD|...) returns the new tid");
    CHECK_EQ(ptid_word, tid, "CLONE_PARENT_SETTID stores the tid in the parent's word");
    /* wait on the futex until the kernel clears it at thread exit */
    long long deadline = kt_now_ms() + 5000;
    for (;;) {
        pid_t v = ctid_word;
        if (v == 0 || kt_now_ms() > deadline)
            break;
        struct timespec ts = {0, 50 * 1000000};
        syscall(SYS_futex, &ctid_word, FUTEX_WAIT, v, &ts, NULL, 0);
    }
    CHECK_EQ(clone_ran, 1, "the cloned thread ran to completion");
    CHECK_EQ(clone_seen_ctid, tid, "CLONE_CHILD_SETTID stored the tid in the child's word");
    CHECK_EQ(ctid_word, 0, "CLONE_CHILD_CLEARTID zeroes the word (and futex-wakes) when the thread exits");
    /* the word is cleared a little before the thread is completely gone */
    KT_WAIT_FOR(syscall(SYS_tgkill, getpid(), tid, 0) != 0, 2000);
    CHECK_ERR(syscall(SYS_tgkill, getpid(), tid, 0), ESRCH, "the exited thread is gone (tgkill 0 is ESRCH)");
}

/* ---- exit_group from a thread; main thread exiting first ---- */
static void *exit_group_thread(void *arg)
{
    kt_msleep(10);
    exit((int)(intptr_t)arg); /* exit_group: kills the other threads */
    return NULL;
}
static void *block_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}
static void *late_exit(void *arg)
{
    (void)arg;
    kt_msleep(30);
    syscall(SYS_exit_group, 6);
    return NULL;
}

static void exits(void)
{
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 4; i++)
            pthread_create(&t, NULL, block_forever, NULL);
        pthread_create(&t, NULL, exit_group_thread, (void *)(intptr_t)5);
        for (;;)
            pause();
    }
    kt_check_exit(c, 5, "exit() in one thread ends the whole process (exit_group) with its code");

    c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, late_exit, NULL);
        pthread_exit(NULL); /* the process lives on while another thread runs */
    }
    kt_check_exit(c, 6, "after the main thread pthread_exits, the last thread's exit_group code is the status");

    c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, block_forever, NULL);
        syscall(SYS_exit, 3); /* only the main thread exits; the other blocks forever */
        _exit(99);
    }
    kt_msleep(30);
    int st;
    CHECK_EQ(waitpid(c, &st, WNOHANG), 0, "a process whose main thread exited is not reaped while a thread lives");
    kill(c, SIGKILL);
    kt_check_killed(c, SIGKILL, "SIGKILL ends it (all threads)");

    /* a fatal signal in one thread kills every thread */
    c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, block_forever, NULL);
        pthread_kill(t, SIGTERM);
        for (;;)
            pause();
    }
    kt_check_killed(c, SIGTERM, "a default-fatal signal sent to one thread kills the process");
}

/* ---- robust mutexes ---- */
static pthread_mutex_t rmu;
static void *lock_and_die(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    return NULL; /* exits holding the lock */
}

static void robust(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    CHECK_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0, "pthread_mutexattr_setrobust");
    pthread_mutex_init(&rmu, &a);
    pthread_t t;
    pthread_create(&t, NULL, lock_and_die, &rmu);
    pthread_join(t, NULL);
    CHECK_EQ(pthread_mutex_lock(&rmu), EOWNERDEAD, "locking a robust mutex whose owner thread exited gives EOWNERDEAD");
    CHECK_EQ(pthread_mutex_consistent(&rmu), 0, "pthread_mutex_consistent");
    CHECK_EQ(pthread_mutex_unlock(&rmu), 0, "unlock after consistent");
    CHECK_EQ(pthread_mutex_lock(&rmu), 0, "the mutex is usable again");
    pthread_mutex_unlock(&rmu);

    /* process-shared robust mutex; the owner process dies */
    void *head;
    size_t len;
    if (kt_qemu() && syscall(SYS_get_robust_list, 0, &head, &len) != 0 && errno == ENOSYS) {
        kt_skip("robust mutexes across process death", "qemu-user 7.2 has no set_robust_list");
        goto unrecoverable;
    }
    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(sm, &a);
    pid_t c = fork();
    if (c == 0) {
        pthread_mutex_lock(sm);
        _exit(0);
    }
    kt_check_exit(c, 0, "child locked the shared robust mutex and exited");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2; /* a timed lock, so that a missing owner-died wakeup fails instead of hanging */
    int r = pthread_mutex_timedlock(sm, &ts);
    CHECK_EQ(r, EOWNERDEAD, "shared robust mutex whose owner process died gives EOWNERDEAD");
    if (r == ETIMEDOUT) {
        kt_fail("a blocked locker gets EOWNERDEAD when the owner process dies holding the lock",
                "not tried: the mutex is still held by the dead process");
        munmap(sm, 4096);
        goto unrecoverable;
    }
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);

    /* a waiter blocked in the kernel is woken when the owner dies */
    c = fork();
    if (c == 0) {
        pthread_mutex_lock(sm);
        kt_msleep(40);
        _exit(0);
    }
    kt_msleep(10);
    long long t0 = kt_now_ms();
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    r = pthread_mutex_timedlock(sm, &ts);
    CHECK_EQ(r, EOWNERDEAD, "a blocked locker gets EOWNERDEAD when the owner process dies holding the lock");
    kt_check(kt_now_ms() - t0 < 3000, "the blocked locker was woken promptly", "%lld ms", kt_now_ms() - t0);
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);
    kt_waitpid(c, NULL, 0);
    munmap(sm, 4096);

unrecoverable:
    /* without consistent, unlock makes it unrecoverable */
    pthread_create(&t, NULL, lock_and_die, &rmu);
    pthread_join(t, NULL);
    CHECK_EQ(pthread_mutex_lock(&rmu), EOWNERDEAD, "EOWNERDEAD again");
    pthread_mutex_unlock(&rmu);
    CHECK_EQ(pthread_mutex_lock(&rmu), ENOTRECOVERABLE, "unlocking without consistent makes it ENOTRECOVERABLE");
}

/* ---- pthread_kill targets one thread ---- */
static volatile pid_t handler_tid;
static void on_usr1(int s)
{
    (void)s;
    handler_tid = gettid();
}
static volatile pid_t target_tid;
static volatile int target_stop;
static void *spin(void *arg)
{
    (void)arg;
    target_tid = gettid();
    while (!target_stop)
        kt_msleep(1);
    return NULL;
}

static void thread_signals(void)
{
    signal(SIGUSR1, on_usr1);
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    KT_WAIT_FOR(target_tid != 0, 2000);
    pthread_kill(t, SIGUSR1);
    KT_WAIT_FOR(handler_tid != 0, 2000);
    CHECK_EQ(handler_tid, target_tid, "pthread_kill runs the handler in the target thread");
    /* a process-directed signal blocked in the main thread goes to a thread that has it unblocked */
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &m, NULL);
    handler_tid = 0;
    kill(getpid(), SIGUSR1);
    KT_WAIT_FOR(handler_tid != 0, 2000);
    CHECK_EQ(handler_tid, target_tid, "kill() is delivered to the thread that does not block the signal");
    target_stop = 1;
    pthread_join(t, NULL);
    pthread_sigmask(SIG_UNBLOCK, &m, NULL);
    signal(SIGUSR1, SIG_DFL);

    /* thread stack attributes */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    static char mystack[256 * 1024] __attribute__((aligned(64)));
    pthread_attr_setstack(&attr, mystack, sizeof mystack);
    target_tid = 0;
    target_stop = 1;
    pthread_create(&t, &attr, spin, NULL);
    pthread_join(t, NULL);
    CHECK(target_tid > 0, "a thread runs on a caller-supplied stack");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    mutex_contention();
    yield_spinners();
    condvars();
    raw_clone();
    exits();
    robust();
    thread_signals();
    return kt_done();
}
