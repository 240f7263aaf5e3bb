/* fork.c - a tree of 254 forked processes reaped with the right exit codes,
 * getppid in children, orphan reparenting, PR_SET_CHILD_SUBREAPER. */
#include "ktest.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* tree_node recurses in the child of each fork and always ends in _exit */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

#define TREE_DEPTH 7 /* binary tree below the root: 2+4+...+128 = 254 processes */

/*
 * Runs in a tree node at `depth` (the root's children are depth 1). Forks two
 * children (unless a leaf), checks their getppid and exit codes, and exits with
 * the size of its subtree, or 0 if anything was wrong.
 */
static void tree_node(int depth, pid_t parent)
{
    if (getppid() != parent)
        _exit(0);
    if (depth == TREE_DEPTH)
        _exit(1);
    pid_t me = getpid();
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            tree_node(depth + 1, me);
        if (kids[i] < 0)
            _exit(0);
    }
    int expect = (1 << (TREE_DEPTH - depth)) - 1; /* size of each child's subtree */
    int total = 1, bad = 0;
    for (int n = 0; n < 2; n++) {
        int st;
        pid_t w = kt_waitpid(-1, &st, 0);
        if (w != kids[0] && w != kids[1])
            bad = 1;
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != expect)
            bad = 1;
        else
            total += WEXITSTATUS(st);
    }
    if (kt_waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
        bad = 1;
    _exit(bad ? 0 : total);
}

static void tree(void)
{
    pid_t me = getpid();
    pid_t kids[2];
    long long t0 = kt_now_ms();
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            tree_node(1, me);
    }
    CHECK(kids[0] > 0 && kids[1] > 0 && kids[0] != kids[1], "fork returns distinct positive pids");
    int sum = 0, codes_ok = 1, reaped = 0;
    for (int n = 0; n < 2; n++) {
        int st;
        pid_t w = kt_waitpid(-1, &st, 0);
        if (w == kids[0] || w == kids[1])
            reaped++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 127) {
            codes_ok = 0;
            kt_printf("# subtree %d: %s (want exited 127)\n", (int)w, kt_wstr(st));
        } else {
            sum += WEXITSTATUS(st);
        }
    }
    CHECK_EQ(reaped, 2, "both subtree roots reaped by wait(-1)");
    CHECK(codes_ok, "every process in the tree saw getppid() == its parent and reaped its children's exit codes");
    CHECK_EQ(sum, 254, "254 processes forked and reaped in the tree");
    CHECK_ERR(kt_waitpid(-1, NULL, WNOHANG), ECHILD, "no children left after the tree");
    kt_printf("# fork tree took %lld ms\n", kt_now_ms() - t0);
}

/* Exit codes and the pid a child sees. */
static void basics(void)
{
    int p[2];
    pipe(p);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        pid_t ids[2] = {getpid(), getppid()};
        write(p[1], ids, sizeof ids);
        _exit(42);
    }
    pid_t ids[2] = {0, 0};
    kt_read_full(p[0], ids, sizeof ids);
    CHECK_EQ(ids[0], c, "the child's getpid equals fork's return value in the parent");
    CHECK_EQ(ids[1], parent, "the child's getppid is the parent");
    kt_check_exit(c, 42, "child exit code 42 is reported");
    close(p[0]);
    close(p[1]);

    c = fork();
    if (c == 0)
        exit(256 + 3);
    kt_check_exit(c, 3, "exit(259) is reported as 3 (low 8 bits)");

    /* a child's memory is its own */
    static volatile int shared_var = 5;
    c = fork();
    if (c == 0) {
        shared_var = 99;
        _exit(shared_var == 99 ? 0 : 1);
    }
    kt_check_exit(c, 0, "the child sees its own write");
    CHECK_EQ(shared_var, 5, "the parent does not see the child's write");
}

/* B forks C and exits; C reports its ppid before and after. */
struct orphan_report {
    pid_t b, c, before, after;
};

static void orphan_chain(int fd)
{
    pid_t b = getpid();
    int ready[2];
    pipe(ready);
    pid_t c = fork();
    if (c == 0) {
        close(ready[0]);
        struct orphan_report r = {b, getpid(), getppid(), 0};
        close(ready[1]); /* tells B it may exit now */
        long long deadline = kt_now_ms() + 5000;
        while ((r.after = getppid()) == b && kt_now_ms() < deadline)
            kt_msleep(1);
        write(fd, &r, sizeof r);
        _exit(77);
    }
    close(ready[1]);
    char x;
    read(ready[0], &x, 1); /* EOF once C has recorded its parent */
    _exit(c > 0 ? 0 : 1);
}

static void orphans(void)
{
    int p[2];
    pipe(p);
    pid_t b = fork();
    if (b == 0) {
        close(p[0]);
        orphan_chain(p[1]);
    }
    close(p[1]);
    kt_check_exit(b, 0, "middle process forked and exited");
    struct orphan_report r = {0, 0, 0, 0};
    CHECK_EQ(kt_read_full(p[0], &r, sizeof r), sizeof r, "orphaned grandchild reported");
    close(p[0]);
    CHECK_EQ(r.before, b, "grandchild's getppid was its parent before the parent exited");
    kt_check(r.after != b && r.after > 0, "orphaned grandchild's getppid changes after its parent exits",
             "getppid %d after, dead parent %d", (int)r.after, (int)b);
    if (getpid() == 1)
        CHECK_EQ(r.after, 1, "orphan reparented to init (this program is init)");
    else if (!kt_qemu())
        CHECK_EQ(r.after, 1, "orphan reparented to init (pid 1)");
    else
        kt_printf("# orphan reparented to pid %d under qemu (host subreaper may apply)\n", (int)r.after);
    if (getpid() == 1 || r.after == getpid())
        kt_waitpid(r.c, NULL, 0);
    else
        kt_msleep(20);

    /* with PR_SET_CHILD_SUBREAPER the orphan comes to us */
    int v = -1;
    if (kt_qemu() && prctl(PR_GET_CHILD_SUBREAPER, &v) != 0) {
        kt_skip("PR_SET_CHILD_SUBREAPER", "qemu-user 7.2 refuses PR_{GET,SET}_CHILD_SUBREAPER with EINVAL");
        return;
    }
    CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &v), 0, "PR_GET_CHILD_SUBREAPER");
    CHECK_EQ(v, 0, "not a subreaper initially");
    CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "PR_SET_CHILD_SUBREAPER");
    v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    CHECK_EQ(v, 1, "PR_GET_CHILD_SUBREAPER reads back 1");
    pipe(p);
    b = fork();
    if (b == 0) {
        close(p[0]);
        orphan_chain(p[1]);
    }
    close(p[1]);
    kt_check_exit(b, 0, "middle process (under a subreaper) exited");
    memset(&r, 0, sizeof r);
    CHECK_EQ(kt_read_full(p[0], &r, sizeof r), sizeof r, "orphaned grandchild (subreaper) reported");
    close(p[0]);
    CHECK_EQ(r.after, getpid(), "orphan reparented to the subreaper");
    kt_check_exit(r.c, 77, "the subreaper reaps the orphan with its exit code");
    CHECK_ERR(kt_waitpid(-1, NULL, WNOHANG), ECHILD, "nothing else to reap");

    /* a subreaper also adopts a whole orphaned subtree: B forks C which forks D; B and C exit */
    pipe(p);
    b = fork();
    if (b == 0) {
        close(p[0]);
        pid_t c = fork();
        if (c == 0) {
            pid_t d = fork();
            if (d == 0) {
                kt_msleep(30);
                _exit(5);
            }
            write(p[1], &d, sizeof d);
            _exit(4);
        }
        kt_waitpid(c, NULL, 0);
        _exit(3);
    }
    close(p[1]);
    pid_t d = 0;
    kt_read_full(p[0], &d, sizeof d);
    close(p[0]);
    kt_check_exit(b, 3, "subtree root exited");
    kt_check_exit(d, 5, "a great-grandchild orphaned two levels down is reaped by the subreaper");
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* As Linux's mm_release: a task's clear_child_tid word is zeroed (and
 * futex-woken) at its exit only while another task shares its memory (a
 * thread). A process's last task leaves the word alone, even in a page it
 * shares with another process. */
static void cleartid_last_task(void)
{
    volatile int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) { kt_check(0, "mmap MAP_SHARED for the tid word", "errno %d", errno); return; }
    w[0] = 77;
    pid_t c = fork();
    if (c == 0) {
        syscall(SYS_set_tid_address, (int *)&w[0]);
        _exit(0);
    }
    kt_check_exit(c, 0, "child set its tid address and exited");
    CHECK_EQ(w[0], 77, "a process's last task does not clear its set_tid_address word at exit (mm_release: only when the memory is shared)");
    munmap((void *)w, 4096);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    basics();
    tree();
    orphans();
    cleartid_last_task();
    return kt_done();
}
