/* cow.c - copy-on-write across fork: a multithreaded parent and its child
 * each see only their own writes; MAP_SHARED anonymous memory is shared; a
 * 64 MiB buffer modified in the child leaves the parent's copy unchanged;
 * MADV_DONTFORK and MADV_WIPEONFORK. */
#include "ktest.h"
#include <pthread.h>
#include <stdatomic.h>

#define BUF (1 << 20)
static unsigned char *buf;
static atomic_int phase;   /* 0: before fork, 1: threads write, 2: done */
static atomic_int writers_done;

static void *writer(void *arg)
{
    int k = (int)(intptr_t)arg; /* thread k writes 'P' into its quarter after the fork */
    while (atomic_load(&phase) == 0)
        kt_msleep(1);
    for (size_t i = (size_t)k * (BUF / 4); i < (size_t)(k + 1) * (BUF / 4); i++)
        buf[i] = 'P';
    atomic_fetch_add(&writers_done, 1);
    while (atomic_load(&phase) != 2)
        kt_msleep(1);
    return NULL;
}

static int all_equal(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void threaded_parent(void)
{
    buf = malloc(BUF);
    memset(buf, 'A', BUF);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
    int p[2], q[2];
    pipe(p); /* parent -> child: "parent has written" */
    pipe(q); /* child -> parent: "child has written" */
    volatile int stack_var = 1;
    pid_t c = fork();
    if (c == 0) {
        /* only the forking thread exists here; the others' writes must not show up */
        int bad = 0;
        char x;
        kt_read_full(p[0], &x, 1); /* parent threads have finished writing 'P' */
        if (!all_equal(buf, BUF, 'A'))
            bad |= 1;
        memset(buf, 'C', BUF / 2);
        stack_var = 2;
        write(q[1], "c", 1);
        kt_read_full(p[0], &x, 1); /* parent has checked */
        if (!all_equal(buf, BUF / 2, 'C') || !all_equal(buf + BUF / 2, BUF / 2, 'A'))
            bad |= 2;
        if (stack_var != 2)
            bad |= 4;
        _exit(bad);
    }
    atomic_store(&phase, 1);
    KT_WAIT_FOR(atomic_load(&writers_done) == 4, 10000);
    CHECK_EQ(atomic_load(&writers_done), 4, "4 parent threads wrote the buffer after the fork");
    write(p[1], "p", 1);
    char x;
    kt_read_full(q[0], &x, 1);
    CHECK(all_equal(buf, BUF, 'P'), "the parent sees its threads' writes and none of the child's");
    CHECK_EQ(stack_var, 1, "the parent's stack variable is unchanged by the child");
    write(p[1], "p", 1);
    int st;
    kt_waitpid(c, &st, 0);
    int bad = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    kt_check(bad == 0, "the child saw the pre-fork contents and only its own writes",
             "child problem bits %#x (1 saw parent threads' writes, 2 lost own writes, 4 stack) [%s]", bad,
             kt_wstr(st));
    atomic_store(&phase, 2);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    free(buf);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static void shared_anon(void)
{
    volatile int *sh = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
    volatile int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sh[0] = 1;
    sh[1024] = 0; /* second page: not touched before the fork */
    pr[0] = 1;
    pid_t c = fork();
    if (c == 0) {
        sh[0] = 2;
        sh[2048] = 33; /* third page first touched in the child */
        pr[0] = 2;
        KT_WAIT_FOR(sh[1024] == 7, 5000);
        _exit(sh[1024] == 7 ? 0 : 1);
    }
    KT_WAIT_FOR(sh[0] == 2, 5000);
    CHECK_EQ(sh[0], 2, "the child's write to MAP_SHARED anonymous memory is visible to the parent");
    KT_WAIT_FOR(sh[2048] == 33, 5000);
    CHECK_EQ(sh[2048], 33, "a shared page first touched by the child is visible to the parent");
    sh[1024] = 7;
    kt_check_exit(c, 0, "the parent's write to shared memory is visible to the child");
    CHECK_EQ(pr[0], 1, "MAP_PRIVATE anonymous memory is not shared");
    munmap((void *)sh, 3 * 4096);
    munmap((void *)pr, 4096);
}

static void big_buffer(void)
{
    size_t sz = 64u << 20;
    unsigned char *b = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(b != MAP_FAILED, "mmap 64 MiB");
    if (b == MAP_FAILED)
        return;
    for (size_t i = 0; i < sz; i += 4096)
        b[i] = (unsigned char)(i >> 12);
    b[sz - 1] = 0x5a;
    long long t0 = kt_now_ms();
    pid_t c = fork();
    if (c == 0) {
        int bad = 0;
        for (size_t i = 0; i < sz; i += 4096) {
            if (b[i] != (unsigned char)(i >> 12))
                bad = 1;
            b[i] = 0xee;
        }
        b[sz - 1] = 0xa5;
        for (size_t i = 0; i < sz; i += 4096)
            if (b[i] != 0xee)
                bad |= 2;
        _exit(bad);
    }
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child sees the 64 MiB buffer and writes every page",
             "%s", kt_wstr(st));
    int same = 1;
    for (size_t i = 0; i < sz; i += 4096)
        if (b[i] != (unsigned char)(i >> 12))
            same = 0;
    CHECK(same && b[sz - 1] == 0x5a, "the parent's 64 MiB buffer is unchanged after the child modified every page");
    kt_printf("# 64 MiB fork + child rewrite took %lld ms\n", kt_now_ms() - t0);
    /* and the other way round: the parent writes while a child holds the old copy */
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        char x;
        kt_read_full(p[0], &x, 1);
        int ok = 1;
        for (size_t i = 0; i < sz; i += 4096)
            if (b[i] != (unsigned char)(i >> 12))
                ok = 0;
        _exit(ok ? 0 : 1);
    }
    for (size_t i = 0; i < sz; i += 4096)
        b[i] = 0x11;
    write(p[1], "x", 1);
    kt_check_exit(c, 0, "a child keeps the old contents after the parent rewrites every page");
    close(p[0]);
    close(p[1]);
    munmap(b, sz);
}

static void madvise_fork(void)
{
    unsigned char *d = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *w = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(d, 9, 2 * 4096);
    memset(w, 9, 2 * 4096);
    CHECK_OK(madvise(d, 2 * 4096, MADV_DONTFORK), "madvise MADV_DONTFORK");
    int wipe = madvise(w, 2 * 4096, MADV_WIPEONFORK);
    int wipe_err = errno;
    kt_check(wipe == 0, "madvise MADV_WIPEONFORK", "got %d errno %d (%s)", wipe, wipe_err, strerror(wipe_err));
    pid_t c = fork();
    if (c == 0) {
        int r = 0;
        if (wipe == 0 && (w[0] != 0 || w[4096 + 5] != 0))
            r |= 1;
        signal(SIGSEGV, SIG_DFL);
        volatile unsigned char v = d[0]; /* must fault: not mapped in the child */
        (void)v;
        _exit(r | 2);
    }
    int st;
    kt_waitpid(c, &st, 0);
    if (kt_qemu() && WIFEXITED(st) && (WEXITSTATUS(st) & 2)) {
        kt_skip("MADV_DONTFORK: the range is not mapped in the child", "qemu-user ignores MADV_DONTFORK");
    } else {
        kt_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "MADV_DONTFORK: the range is not mapped in the child",
                 "child %s, want killed by SIGSEGV", kt_wstr(st));
    }
    c = fork();
    if (c == 0)
        _exit(wipe == 0 && (w[0] != 0 || w[4096 + 5] != 0) ? 1 : 0);
    kt_waitpid(c, &st, 0);
    if (kt_qemu() && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        kt_skip("MADV_WIPEONFORK: the child sees zeros", "qemu-user accepts but ignores MADV_WIPEONFORK");
    else if (wipe == 0)
        kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "MADV_WIPEONFORK: the child sees zeros", "child %s",
                 kt_wstr(st));
    CHECK(d[0] == 9 && w[0] == 9, "the parent keeps both ranges");
    munmap(d, 2 * 4096);
    munmap(w, 2 * 4096);
}

/* More forks than there are ASIDs (4096): each child writes its copy of a
 * page and waits while the parent reads the page, then checks its own copy.
 * Two live address spaces under one ASID would let one see the other's. */
static volatile int asid_probe = 1;
static void more_forks_than_asids(void)
{
    /* The ASID wrap is Ghost's; under qemu-user (a host process per fork,
     * slow under load) a few hundred forks validate the checks themselves. */
    const int n = kt_qemu() ? 300 : 9000;
    int bad = 0, i;
    for (i = 0; i < n && !bad; i++) {
        int up[2], down[2];
        char c1 = 0;
        if (pipe(up) || pipe(down))
            break;
        pid_t c = fork();
        if (c < 0)
            break;
        if (c == 0) {
            asid_probe = 2;
            if (write(up[1], "x", 1) != 1 || read(down[0], &c1, 1) != 1)
                _exit(2);
            _exit(asid_probe == 2 ? 0 : 1);
        }
        if (read(up[0], &c1, 1) != 1 || asid_probe != 1)
            bad = 1;
        if (write(down[1], "x", 1) != 1)
            bad = 1;
        int st = 0;
        waitpid(c, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || asid_probe != 1)
            bad = 1;
        close(up[0]), close(up[1]), close(down[0]), close(down[1]);
    }
    kt_check(i == n && !bad, "9000 forks (past the 4096 ASIDs; 300 under qemu): each side keeps seeing its own page",
             "stopped at fork %d: parent sees %d", i, asid_probe);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    threaded_parent();
    shared_anon();
    big_buffer();
    madvise_fork();
    more_forks_than_asids();
    return kt_done();
}
