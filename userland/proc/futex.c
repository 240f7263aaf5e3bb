/* futex.c - the futex syscall used directly: WAIT value mismatch, timeouts,
 * WAKE counts, WAIT_BITSET/WAKE_BITSET, CMP_REQUEUE, WAKE_OP, shared futexes
 * across fork, EINTR, argument errors. */
#include "ktest.h"
#include <sys/mman.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, volatile uint32_t *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* timeout argument of FUTEX_CMP_REQUEUE / FUTEX_WAKE_OP carries val2 */
static long futex2(volatile uint32_t *uaddr, int op, uint32_t val, unsigned long val2, volatile uint32_t *uaddr2,
                   uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

struct waiter {
    pthread_t th;
    volatile uint32_t *addr;
    int op;
    uint32_t val, bitset;
    atomic_int done;
    atomic_int tid;
    long ret;
    int err;
};

static atomic_int ready;

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->tid, gettid());
    atomic_fetch_add(&ready, 1);
    long r;
    do {
        /* each waiter waits at most 5 s so a lost wakeup fails rather than hangs */
        struct timespec ts = {5, 0};
        if ((w->op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            ts.tv_sec += now.tv_sec;
            ts.tv_nsec = now.tv_nsec;
        }
        r = futex(w->addr, w->op, w->val, &ts, NULL, w->bitset);
    } while (r == -1 && errno == EINTR);
    w->ret = r;
    w->err = r == -1 ? errno : 0;
    atomic_store(&w->done, 1);
    return NULL;
}

static void start_waiters(struct waiter *ws, int n, volatile uint32_t *addr, int op, uint32_t val, uint32_t bitset)
{
    atomic_store(&ready, 0);
    for (int i = 0; i < n; i++) {
        ws[i].addr = addr;
        ws[i].op = op;
        ws[i].val = val;
        ws[i].bitset = bitset;
        atomic_store(&ws[i].done, 0);
        ws[i].ret = -2;
        pthread_create(&ws[i].th, NULL, wait_thread, &ws[i]);
    }
    KT_WAIT_FOR(atomic_load(&ready) == n, 5000);
    /* let them block in the kernel: wait for state S in /proc (if available), then a little more */
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", atomic_load(&ws[i].tid));
        long long deadline = kt_now_ms() + 2000;
        while (kt_now_ms() < deadline) {
            char buf[256] = {0};
            int fd = open(path, O_RDONLY);
            if (fd < 0)
                break;
            read(fd, buf, sizeof buf - 1);
            close(fd);
            char *rp = strrchr(buf, ')');
            if (!rp || rp[1] != ' ' || rp[2] == 'S')
                break;
            kt_msleep(1);
        }
    }
    kt_msleep(20);
}

static int count_done(struct waiter *ws, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += atomic_load(&ws[i].done);
    return c;
}

static int join_all(struct waiter *ws, int n)
{
    int woken_ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(ws[i].th, NULL);
        if (ws[i].ret == 0)
            woken_ok++;
    }
    return woken_ok;
}

static volatile uint32_t f1, f2;

static void basics(void)
{
    f1 = 1;
    CHECK_ERR(futex(&f1, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN, "FUTEX_WAIT with a stale value is EAGAIN");
    CHECK_ERR(futex(&f1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN, "FUTEX_WAIT_PRIVATE with a stale value is EAGAIN");
    struct timespec ts = {0, 30 * 1000000};
    long long t0 = kt_now_ms();
    CHECK_ERR(futex(&f1, FUTEX_WAIT, 1, &ts, NULL, 0), ETIMEDOUT, "FUTEX_WAIT with a 30 ms timeout is ETIMEDOUT");
    long long dt = kt_now_ms() - t0;
    kt_check(dt >= 28 && dt < 3000, "FUTEX_WAIT timeout waited about 30 ms", "waited %lld ms", dt);
    struct timespec zero = {0, 0};
    CHECK_ERR(futex(&f1, FUTEX_WAIT, 1, &zero, NULL, 0), ETIMEDOUT, "FUTEX_WAIT with a zero timeout is ETIMEDOUT");

    /* absolute timeouts with WAIT_BITSET: CLOCK_MONOTONIC by default, CLOCK_REALTIME with the flag */
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 20 * 1000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    t0 = kt_now_ms();
    CHECK_ERR(futex(&f1, FUTEX_WAIT_BITSET, 1, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
              "FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline is ETIMEDOUT");
    dt = kt_now_ms() - t0;
    kt_check(dt >= 15 && dt < 3000, "absolute deadline respected (~20 ms)", "waited %lld ms", dt);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_sec -= 1; /* already in the past */
    CHECK_ERR(futex(&f1, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
              "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME with a past deadline is ETIMEDOUT");

    CHECK_EQ(futex(&f1, FUTEX_WAKE, 10, NULL, NULL, 0), 0, "FUTEX_WAKE with no waiters returns 0");
    CHECK_ERR(futex((volatile uint32_t *)((char *)&f1 + 1), FUTEX_WAIT, 1, NULL, NULL, 0), EINVAL,
              "FUTEX_WAIT on a misaligned address is EINVAL");
    CHECK_ERR(futex((volatile uint32_t *)KT_BAD_PTR, FUTEX_WAIT, 1, NULL, NULL, 0), EFAULT,
              "FUTEX_WAIT on an unmapped address is EFAULT");
    /* A shared (non-private) futex's key needs its page (get_futex_key): EFAULT when
     * the address is unmapped or PROT_NONE; a private one is only an address. */
    volatile uint32_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR(futex((volatile uint32_t *)KT_BAD_PTR, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT,
              "FUTEX_WAKE on an unmapped address is EFAULT");
    CHECK_ERR(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT, "FUTEX_WAKE on a PROT_NONE page is EFAULT");
    CHECK_EQ(futex(none, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0, "FUTEX_WAKE_PRIVATE there is 0 (no page needed)");
    CHECK_ERR(futex(&f1, FUTEX_CMP_REQUEUE, 1, (const struct timespec *)1, none, f1), EFAULT,
              "FUTEX_CMP_REQUEUE to a PROT_NONE uaddr2 is EFAULT");
    munmap((void *)none, 4096);
    CHECK_ERR(futex(&f1, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL, "FUTEX_WAIT_BITSET with bitset 0 is EINVAL");
    CHECK_ERR(futex(&f1, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL, "FUTEX_WAKE_BITSET with bitset 0 is EINVAL");
    struct timespec badts = {0, 1000000000};
    CHECK_ERR(futex(&f1, FUTEX_WAIT, 1, &badts, NULL, 0), EINVAL, "FUTEX_WAIT with tv_nsec >= 1e9 is EINVAL");
    CHECK_ERR(futex(&f1, 99, 1, NULL, NULL, 0), ENOSYS, "an unknown futex op is ENOSYS");
    CHECK_ERR(futex(&f1, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1, &ts, NULL, 0), ENOSYS,
              "FUTEX_CLOCK_REALTIME with plain FUTEX_WAIT is ENOSYS");
}

static void wake_counts(void)
{
    struct waiter ws[5];
    f1 = 0;
    start_waiters(ws, 5, &f1, FUTEX_WAIT_PRIVATE, 0, 0);
    CHECK_EQ(count_done(ws, 5), 0, "5 waiters blocked on the futex");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2, "FUTEX_WAKE 2 wakes exactly 2 of 5");
    kt_msleep(30);
    CHECK_EQ(count_done(ws, 5), 2, "exactly 2 waiters returned");
    long shared = futex(&f1, FUTEX_WAKE, 1, NULL, NULL, 0);
    CHECK_EQ(shared, 0, "a shared FUTEX_WAKE does not wake private waiters (different futex key)");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 3 - (shared > 0 ? shared : 0),
             "FUTEX_WAKE INT_MAX wakes all the remaining waiters");
    CHECK_EQ(join_all(ws, 5), 5, "all 5 waiters returned 0 (woken)");
}

static void bitsets(void)
{
    struct waiter ws[2];
    f1 = 0;
    start_waiters(ws, 1, &f1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0x1);
    start_waiters(ws + 1, 1, &f1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0x6);
    CHECK_EQ(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x8), 0,
             "FUTEX_WAKE_BITSET with non-matching bits wakes nobody");
    kt_msleep(20);
    CHECK_EQ(count_done(ws, 2), 0, "both bitset waiters still blocked");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x4), 1,
             "FUTEX_WAKE_BITSET 0x4 wakes only the waiter with bitset 0x6");
    kt_msleep(20);
    CHECK(atomic_load(&ws[1].done) && !atomic_load(&ws[0].done), "the right waiter woke");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1,
             "plain FUTEX_WAKE (all bits) wakes the bitset-0x1 waiter");
    CHECK_EQ(join_all(ws, 2), 2, "both bitset waiters returned 0");
}

static void requeue(void)
{
    struct waiter ws[4];
    f1 = 7;
    f2 = 0;
    start_waiters(ws, 4, &f1, FUTEX_WAIT_PRIVATE, 7, 0);
    CHECK_ERR(futex2(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &f2, 8), EAGAIN,
              "FUTEX_CMP_REQUEUE with a wrong expected value is EAGAIN");
    CHECK_EQ(count_done(ws, 4), 0, "nobody woken by the failed requeue");
    CHECK_EQ(futex2(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &f2, 7), 3,
             "FUTEX_CMP_REQUEUE wake 1 + requeue 2 returns 3");
    kt_msleep(20);
    CHECK_EQ(count_done(ws, 4), 1, "exactly one waiter woken by the requeue");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1, "one waiter is left on the first futex");
    kt_msleep(20);
    CHECK_EQ(count_done(ws, 4), 2, "it returned");
    CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 2, "two waiters were moved to the second futex");
    CHECK_EQ(join_all(ws, 4), 4, "all requeue waiters returned 0");

    /* FUTEX_REQUEUE (no compare) */
    f1 = 3;
    start_waiters(ws, 2, &f1, FUTEX_WAIT_PRIVATE, 3, 0);
    CHECK_EQ(futex2(&f1, FUTEX_REQUEUE_PRIVATE, 0, INT_MAX, &f2, 0), 2, "FUTEX_REQUEUE 0 + all moves both waiters");
    CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0, "nobody left on the first futex");
    CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1, "wake one on the second");
    CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1, "wake the other on the second");
    CHECK_EQ(join_all(ws, 2), 2, "both returned 0");
}

static void wake_op(void)
{
    struct waiter ws[4];
    f1 = 0;
    f2 = 0;
    start_waiters(ws, 2, &f1, FUTEX_WAIT_PRIVATE, 0, 0);
    start_waiters(ws + 2, 2, &f2, FUTEX_WAIT_PRIVATE, 0, 0);
    /* *f2 += 5 (old 0); wake 1 on f1; old == 0 so also wake 1 on f2 */
    long r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
    CHECK_EQ(r, 2, "FUTEX_WAKE_OP (ADD 5, old == 0 true) wakes 1 + 1");
    CHECK_EQ(f2, 5, "FUTEX_WAKE_OP applied ADD 5 to the second word");
    /* *f2 = 1 (old 5); old < 3 is false: only f1 waiters */
    r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_LT, 3));
    CHECK_EQ(r, 1, "FUTEX_WAKE_OP (SET 1, old 5 < 3 false) wakes only the first futex's waiter");
    CHECK_EQ(f2, 1, "FUTEX_WAKE_OP SET stored 1");
    /* OR with shifted operand: *f2 |= 1<<4 (old 1); old != 0 true */
    r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
               FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_NE, 0));
    CHECK_EQ(r, 1, "FUTEX_WAKE_OP (OR 1<<4, old != 0 true) wakes the last second-futex waiter");
    CHECK_EQ(f2, 0x11, "FUTEX_WAKE_OP OR with OPARG_SHIFT stored 0x11");
    r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_GT, 0x20));
    CHECK_EQ(f2, 0x10, "FUTEX_WAKE_OP ANDN cleared bit 0");
    CHECK_EQ(r, 0, "nothing left to wake");
    r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GE, 0));
    CHECK_EQ(f2, 0xef, "FUTEX_WAKE_OP XOR 0xff");
    CHECK_EQ(join_all(ws, 4), 4, "all WAKE_OP waiters returned 0");
    CHECK_ERR(futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(6, 0, FUTEX_OP_CMP_EQ, 0)), ENOSYS,
              "FUTEX_WAKE_OP with an unknown operation (6) is ENOSYS");
    CHECK_ERR(futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, FUTEX_OP(FUTEX_OP_SET, 0, 7, 0)), ENOSYS,
              "FUTEX_WAKE_OP with an unknown comparison (7) is ENOSYS");
}

static void shared_across_fork(void)
{
    volatile uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    w[0] = 0;
    w[1] = 0;
    pid_t c = fork();
    if (c == 0) {
        __atomic_store_n(&w[1], 1, __ATOMIC_SEQ_CST);
        struct timespec ts = {5, 0};
        long r;
        do
            r = futex(&w[0], FUTEX_WAIT, 0, &ts, NULL, 0);
        while (r == -1 && errno == EINTR);
        _exit(r == 0 ? 0 : 10 + errno);
    }
    KT_WAIT_FOR(__atomic_load_n(&w[1], __ATOMIC_SEQ_CST) == 1, 5000);
    kt_msleep(50);
    w[0] = 1;
    CHECK_EQ(futex(&w[0], FUTEX_WAKE, 1, NULL, NULL, 0), 1, "shared FUTEX_WAKE wakes a waiter in another process");
    kt_check_exit(c, 0, "the other process's FUTEX_WAIT returned 0");
    munmap((void *)w, 4096);
}

static volatile int got_usr1;
static void on_usr1(int s)
{
    (void)s;
    got_usr1 = 1;
}
static void *kill_later(void *arg)
{
    kt_msleep(30);
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
    return NULL;
}

static void interrupted(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART (FUTEX_WAIT never restarts with a timeout anyway) */
    pthread_t self = pthread_self(), t;
    pthread_create(&t, NULL, kill_later, &self);
    f1 = 0;
    struct timespec ts = {5, 0};
    CHECK_ERR(futex(&f1, FUTEX_WAIT, 0, &ts, NULL, 0), EINTR, "FUTEX_WAIT interrupted by a handled signal is EINTR");
    CHECK_EQ(got_usr1, 1, "the handler ran");
    pthread_join(t, NULL);
}

/* Many futex words, each waited on once until its timeout: the kernel's
 * table of keys outgrows the point where it sweeps its empty lists
 * (Ghost: 1024 keys), and waits and wakes go on as before, on a new word
 * and on one whose list was swept. */
static volatile uint32_t many[1200];
static void *wake_f2_later(void *arg)
{
    (void)arg;
    while (futex(&f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0)
        sched_yield();
    return NULL;
}

static void many_keys(void)
{
    struct timespec tiny = {0, 1000};
    int timedout = 0;
    for (int i = 0; i < 1200; i++)
        if (futex(&many[i], FUTEX_WAIT_PRIVATE, 0, &tiny, NULL, 0) == -1 && errno == ETIMEDOUT)
            timedout++;
    CHECK_EQ(timedout, 1200, "1200 waits on 1200 futex words each time out");
    CHECK_ERR(futex(&many[3], FUTEX_WAIT_PRIVATE, 0, &tiny, NULL, 0), ETIMEDOUT, "a word waited on before times out again");
    CHECK_EQ(futex(&many[5], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0, "nobody waits on a word whose wait timed out");
    f2 = 0;
    pthread_t t;
    pthread_create(&t, NULL, wake_f2_later, NULL);
    CHECK_EQ(futex(&f2, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), 0, "then a wait on another word is woken");
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    basics();
    wake_counts();
    bitsets();
    requeue();
    wake_op();
    shared_across_fork();
    interrupted();
    many_keys();
    return kt_done();
}
