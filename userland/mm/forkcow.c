/* forkcow.c - copy-on-write of a few hot pages across fork: the parent has
 * just written each page (so its translation is cached writable) when it
 * forks, and writes it again at once. Each side must see only its own
 * writes: a global, a MAP_PRIVATE file mapping (written before the fork and
 * not), a MAP_SHARED file mapping (shared both ways, and in the file), a
 * page made read-only and writable again by mprotect after the fork, a
 * child that writes and then execs, and vfork (the child writes the
 * parent's own memory). cow.c covers large buffers, threads and madvise. */
#include "ktest.h"
#include <sys/mman.h>

static volatile int g = 1;
static volatile char gpage[3 * 4096] __attribute__((aligned(4096)));

/* The child's side waits for the parent's write before checking. */
static int pipe_wait(int fd)
{
    char c;
    return read(fd, &c, 1) == 1 ? 0 : -1;
}

static void globals(void)
{
    int p[2], q[2];
    if (pipe(p) || pipe(q)) { kt_fail("pipes", "errno %d", errno); return; }
    g = 10;
    for (int i = 0; i < 3; i++) gpage[i * 4096] = 'a';
    pid_t c = fork();
    if (c == 0) {
        pipe_wait(p[0]);
        int r = 0;
        if (g != 10) r |= 1;
        for (int i = 0; i < 3; i++) if (gpage[i * 4096] != 'a') r |= 2;
        g = 30; /* the child's own copy */
        gpage[4096] = 'c';
        if (write(q[1], "x", 1) != 1) r |= 8;
        pipe_wait(p[0]);
        if (g != 30 || gpage[4096] != 'c') r |= 4;
        _exit(r);
    }
    /* The parent writes the same pages at once, then lets the child look. */
    g = 20;
    for (int i = 0; i < 3; i++) gpage[i * 4096] = 'p';
    if (write(p[1], "x", 1) != 1) kt_fail("pipe write", "errno %d", errno);
    pipe_wait(q[0]);
    kt_check(g == 20 && gpage[4096] == 'p', "parent keeps its writes when the child writes the same page",
             "g %d, gpage[4096] '%c'", g, gpage[4096]);
    g = 21;
    if (write(p[1], "x", 1) != 1) kt_fail("pipe write", "errno %d", errno);
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "child sees the pre-fork values, then only its own writes", "child %s (bits: 1 global, 2 page, 4 own)",
             kt_wstr(st));
    close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

static int make_file(const char *name, char fill)
{
    int fd = open(kt_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    char b[4096];
    memset(b, fill, sizeof b);
    for (int i = 0; i < 2; i++)
        if (write(fd, b, sizeof b) != (ssize_t)sizeof b) { close(fd); return -1; }
    return fd;
}

static void private_file(void)
{
    int fd = make_file("priv", 'f');
    if (fd < 0) { kt_fail("private file", "errno %d", errno); return; }
    char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) { kt_fail("mmap MAP_PRIVATE", "errno %d", errno); close(fd); return; }
    volatile char r0w = m[0]; /* page 0: read (the file's page), then written: a private copy */
    (void)r0w;
    m[0] = 'w';
    volatile char r1 = m[4096]; /* page 1: still the file's page, read only */
    (void)r1;
    /* Another mapping whose first access is a store (a private page at once). */
    char *w2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (w2 == MAP_FAILED) { kt_fail("mmap MAP_PRIVATE", "errno %d", errno); close(fd); return; }
    w2[1] = 'w';
    /* A second, read-only mapping of the file, only read before the fork. */
    const char *ro = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (ro == MAP_FAILED) { kt_fail("mmap MAP_PRIVATE PROT_READ", "errno %d", errno); close(fd); return; }
    volatile char r0 = ro[0];
    (void)r0;
    int p[2];
    if (pipe(p)) { kt_fail("pipe", "errno %d", errno); return; }
    pid_t c = fork();
    if (c == 0) {
        pipe_wait(p[0]);
        int r = 0;
        if (m[0] != 'w') r |= 1;
        if (m[4096] != 'f') r |= 2;
        if (ro[0] != 'f' || ro[4096] != 'f') r |= 8;
        if (w2[0] != 'f' || w2[1] != 'w') r |= 16;
        m[0] = 'c'; m[4096] = 'c';
        char b[2];
        if (pread(fd, b, 1, 0) != 1 || b[0] != 'f' || pread(fd, b, 1, 4096) != 1 || b[0] != 'f') r |= 4;
        _exit(r);
    }
    m[0] = 'P';
    m[4096] = 'P';
    w2[1] = 'P';
    if (write(p[1], "x", 1) != 1) kt_fail("pipe write", "errno %d", errno);
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "MAP_PRIVATE file: the child sees neither the parent's writes nor changes the file",
             "child %s (bits: 1 copied page, 2 file page, 4 file, 8 read-only mapping, 16 written first)", kt_wstr(st));
    kt_check(m[0] == 'P' && m[4096] == 'P', "MAP_PRIVATE file: the parent keeps its writes", "'%c' '%c'", m[0], m[4096]);
    char b[2] = {0};
    kt_check(pread(fd, b, 1, 4096) == 1 && b[0] == 'f', "MAP_PRIVATE file: the file is unchanged", "'%c'", b[0]);
    munmap(m, 2 * 4096);
    munmap((void *)ro, 2 * 4096);
    munmap(w2, 4096);
    close(fd);
    close(p[0]); close(p[1]);
}

static void shared_file(void)
{
    int fd = make_file("shared", 's');
    if (fd < 0) { kt_fail("shared file", "errno %d", errno); return; }
    volatile char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { kt_fail("mmap MAP_SHARED", "errno %d", errno); close(fd); return; }
    m[0] = 'w';
    int p[2], q[2];
    if (pipe(p) || pipe(q)) { kt_fail("pipes", "errno %d", errno); return; }
    pid_t c = fork();
    if (c == 0) {
        pipe_wait(p[0]);
        int r = 0;
        if (m[0] != 'P') r |= 1;
        m[4096] = 'C';
        if (write(q[1], "x", 1) != 1) r |= 2;
        _exit(r);
    }
    m[0] = 'P';
    if (write(p[1], "x", 1) != 1) kt_fail("pipe write", "errno %d", errno);
    pipe_wait(q[0]);
    kt_check(m[4096] == 'C', "MAP_SHARED file: the parent sees the child's write", "'%c'", m[4096]);
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "MAP_SHARED file: the child sees the parent's write after fork",
             "child %s", kt_wstr(st));
    char b[2] = {0};
    kt_check(pread(fd, b, 1, 0) == 1 && b[0] == 'P' && pread(fd, b + 1, 1, 4096) == 1 && b[1] == 'C',
             "MAP_SHARED file: the file holds both writes", "'%c' '%c'", b[0], b[1]);
    munmap((void *)m, 2 * 4096);
    close(fd);
    close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

static void mprotect_after_fork(void)
{
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { kt_fail("mmap", "errno %d", errno); return; }
    m[0] = 'a';
    int p[2];
    if (pipe(p)) { kt_fail("pipe", "errno %d", errno); return; }
    pid_t c = fork();
    if (c == 0) {
        pipe_wait(p[0]);
        int r = m[0] == 'a' ? 0 : 1;
        if (mprotect(m, 4096, PROT_READ) || mprotect(m, 4096, PROT_READ | PROT_WRITE)) r |= 2;
        m[0] = 'c';
        if (m[0] != 'c') r |= 4;
        _exit(r);
    }
    int ok1 = mprotect(m, 4096, PROT_READ) == 0;
    int ok2 = mprotect(m, 4096, PROT_READ | PROT_WRITE) == 0;
    m[0] = 'p';
    if (write(p[1], "x", 1) != 1) kt_fail("pipe write", "errno %d", errno);
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(ok1 && ok2 && m[0] == 'p', "mprotect read-only and back after fork: the parent's write is its own",
             "mprotect %d %d, '%c'", ok1, ok2, m[0]);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mprotect after fork: the child keeps the old value, then its own",
             "child %s", kt_wstr(st));
    munmap(m, 4096);
    close(p[0]); close(p[1]);
}

static void write_then_exec(void)
{
    gpage[0] = 'b';
    pid_t c = fork();
    if (c == 0) {
        gpage[0] = 'x'; /* the child's copy, dropped by the exec */
        char *argv[] = { kt_self, "-child-exit", NULL };
        kt_exec(kt_self, argv, environ);
        _exit(127);
    }
    gpage[0] = 'q';
    int st;
    kt_waitpid(c, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "a child that writes and then execs runs the new program", "child %s",
             kt_wstr(st));
    gpage[4096 * 2] = 'r';
    kt_check(gpage[0] == 'q' && gpage[4096 * 2] == 'r', "the parent's pages after the child's exec are its own",
             "'%c' '%c'", gpage[0], gpage[4096 * 2]);
}

static void vfork_shares(void)
{
    static volatile int shared_word;
    shared_word = 1;
    pid_t c = vfork();
    if (c == 0) {
        shared_word = 2; /* vfork: the parent's own memory */
        _exit(0);
    }
    int st;
    kt_waitpid(c, &st, 0);
    if (kt_qemu() && shared_word == 1)
        kt_skip("vfork: the child's write is in the parent's memory", "qemu-user's vfork is a fork");
    else
        kt_check(shared_word == 2, "vfork: the child's write is in the parent's memory", "%d", shared_word);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-child-exit") == 0)
        return 42;
    kt_init(argc, argv);
    kt_set_self(argv[0]);
    kt_watchdog(120);
    kt_mktemp("forkcow");
    /* Several rounds: the child of one round exits while the next forks. */
    for (int round = 0; round < 3; round++) {
        globals();
        private_file();
        shared_file();
        mprotect_after_fork();
        write_then_exec();
    }
    vfork_shares();
    kt_cleanup();
    return kt_done();
}
