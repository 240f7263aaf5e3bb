/*
 * ktest.h - the one header of Ghost's riscv64 test programs (userland/<subject>/),
 * compiled with -I userland/include. Its sections: the self-checking harness;
 * process helpers (fork, exec, wait; re-executing riscv64 programs under
 * qemu-user); helpers of the process, thread, signal and memory programs;
 * helpers of the filesystem, pipe and event I/O programs.
 *
 * Every check prints exactly one line, written with a single write(2) so the
 * output is never lost if the program later crashes:
 *
 *     ok - description
 *     not ok - description: got X want Y
 *     ok - description # SKIP reason
 *
 * A program finishes with `return kt_done();`, which prints a summary comment
 * and returns 0 only if every check passed.
 *
 * Environment:
 *   GHOST_TEST_QEMU=1   set by the test runner when the program runs under
 *                       qemu-user; used to skip the few checks where qemu-user
 *                       is known to differ from real Linux (see kt_qemu()).
 */
#ifndef KTEST_H
#define KTEST_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int kt_total, kt_failed, kt_skipped;
static char kt_tmpdir[512];

static __attribute__((unused)) void kt_write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static __attribute__((unused)) void kt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void kt_printf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    kt_write_all(buf, (size_t)n);
}

/* Print a passing line. */
static __attribute__((unused)) void kt_pass(const char *desc)
{
    kt_total++;
    kt_printf("ok - %s\n", desc);
}

/* Print a failing line; `fmt` describes what went wrong (e.g. "got X want Y"). */
static __attribute__((unused)) void kt_fail(const char *desc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static __attribute__((unused)) void kt_fail(const char *desc, const char *fmt, ...)
{
    char detail[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    kt_total++;
    kt_failed++;
    kt_printf("not ok - %s: %s\n", desc, detail);
}

static __attribute__((unused)) void kt_skip(const char *desc, const char *reason)
{
    kt_total++;
    kt_skipped++;
    kt_printf("ok - %s # SKIP %s\n", desc, reason);
}

/* True when running under qemu-user (the test runner says so). */
static __attribute__((unused)) int kt_qemu(void)
{
    const char *q = getenv("GHOST_TEST_QEMU");
    return q != NULL && q[0] == '1';
}

/* True only when the kernel says it is Ghost (its release ends in
 * "-ghost"): for checks that change machine-wide settings (sysctls), which
 * under qemu-user, or natively, would be the host's own. */
static __attribute__((unused)) int kt_ghost(void)
{
    struct utsname u;
    return uname(&u) == 0 && strstr(u.release, "-ghost") != NULL;
}

/* Generic boolean check with a free-form explanation on failure. */
static __attribute__((unused)) int kt_check(int cond, const char *desc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static __attribute__((unused)) int kt_check(int cond, const char *desc, const char *fmt, ...)
{
    if (cond) {
        kt_pass(desc);
        return 1;
    }
    char detail[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    kt_fail(desc, "%s", detail);
    return 0;
}

#define CHECK(cond, desc) kt_check(!!(cond), (desc), "condition `%s` is false", #cond)

/* Integer equality. */
#define CHECK_EQ(got, want, desc)                                                         \
    do {                                                                                  \
        long long kt_g_ = (long long)(got), kt_w_ = (long long)(want);                    \
        if (kt_g_ == kt_w_)                                                               \
            kt_pass(desc);                                                                \
        else                                                                              \
            kt_fail((desc), "got %lld (%#llx) want %lld (%#llx)", kt_g_,                  \
                    (unsigned long long)kt_g_, kt_w_, (unsigned long long)kt_w_);         \
    } while (0)

/* String equality (NULL-safe). */
#define CHECK_STR(got, want, desc)                                                        \
    do {                                                                                  \
        const char *kt_g_ = (got), *kt_w_ = (want);                                       \
        if (kt_g_ && kt_w_ && strcmp(kt_g_, kt_w_) == 0)                                  \
            kt_pass(desc);                                                                \
        else                                                                              \
            kt_fail((desc), "got \"%s\" want \"%s\"", kt_g_ ? kt_g_ : "(null)",           \
                    kt_w_ ? kt_w_ : "(null)");                                            \
    } while (0)

/* A call that must succeed (return >= 0); reports errno otherwise. */
#define CHECK_OK(expr, desc)                                                              \
    do {                                                                                  \
        errno = 0;                                                                        \
        long long kt_r_ = (long long)(expr);                                              \
        if (kt_r_ >= 0)                                                                   \
            kt_pass(desc);                                                                \
        else                                                                              \
            kt_fail((desc), "got %lld errno %d (%s) want success", kt_r_, errno,          \
                    strerror(errno));                                                     \
    } while (0)

/* A call that must fail with -1 and the given errno (libc or syscall() style). */
#define CHECK_ERR(expr, err, desc)                                                        \
    do {                                                                                  \
        errno = 0;                                                                        \
        long long kt_r_ = (long long)(expr);                                              \
        int kt_e_ = errno;                                                                \
        if (kt_r_ == -1 && kt_e_ == (err))                                                \
            kt_pass(desc);                                                                \
        else                                                                              \
            kt_fail((desc), "got %lld errno %d (%s) want -1 errno %d (%s)", kt_r_, kt_e_, \
                    strerror(kt_e_), (err), strerror(err));                               \
    } while (0)

/* Print a summary and compute the exit status. */
static __attribute__((unused)) int kt_done(void)
{
    kt_printf("# %d checks, %d failed, %d skipped\n", kt_total, kt_failed, kt_skipped);
    return kt_failed == 0 ? 0 : 1;
}

/* An address that is never mapped in a user process (top of the low half is
 * unused on Sv39/Sv48 user layouts, and page 0 is never mapped). */
#define KT_BAD_PTR ((void *)16)

/*
 * Create ./build/test/tmp-<name>-<pid> (relative to the cwd) and return its
 * path. Exits if it cannot be created, since every later check would fail.
 */
static __attribute__((unused)) const char *kt_mktemp(const char *name)
{
    mkdir("build", 0777);
    mkdir("build/test", 0777);
    snprintf(kt_tmpdir, sizeof kt_tmpdir, "build/test/tmp-%s-%d", name, (int)getpid());
    if (mkdir(kt_tmpdir, 0777) != 0 && errno != EEXIST) {
        kt_fail("create temp dir", "mkdir %s: %s", kt_tmpdir, strerror(errno));
        kt_done();
        exit(1);
    }
    return kt_tmpdir;
}

/* Join the temp dir and a file name into a static rotating buffer. */
static __attribute__((unused)) const char *kt_path(const char *leaf)
{
    static char bufs[8][600];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", kt_tmpdir, leaf);
    return b;
}

/* Recursively remove a directory tree (no fork/exec: plain syscalls). */
static __attribute__((unused)) void kt_rmtree_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlinkat(dirfd, name, 0);
        return;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096];
        for (int pass = 0; pass < 64; pass++) {
            long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
            if (n <= 0)
                break;
            int removed = 0;
            for (long off = 0; off < n;) {
                /* struct linux_dirent64: ino(8) off(8) reclen(2) type(1) name */
                unsigned short reclen;
                memcpy(&reclen, buf + off + 16, sizeof reclen);
                const char *ent = buf + off + 19;
                if (strcmp(ent, ".") != 0 && strcmp(ent, "..") != 0) {
                    kt_rmtree_at(fd, ent);
                    removed = 1;
                }
                off += reclen;
            }
            /* entries were deleted: restart from the beginning */
            if (removed)
                lseek(fd, 0, SEEK_SET);
        }
        close(fd);
    }
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

static __attribute__((unused)) void kt_cleanup(void)
{
    if (kt_tmpdir[0])
        kt_rmtree_at(AT_FDCWD, kt_tmpdir);
}


/* ======================================================================
 * processes: fork, exec and wait helpers (formerly kproc.h)
 * ====================================================================== */

/*
 * kproc.h - process helpers shared by the test programs that fork, exec and
 * wait: userland/tests3/ptest.h and userland/tests4/vtest.h build on it (on
 * top of ktest.h).
 *
 * Environment:
 *   GHOST_TEST_QEMU=1  running under qemu-user (see ktest.h)
 *   KT_QEMU_BIN        the host qemu-riscv64, to re-execute riscv64 programs
 */

#include <limits.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

/* Absolute path of the running program (for re-executing itself). */
static char kt_self[PATH_MAX];

static __attribute__((unused)) void kt_set_self(const char *argv0)
{
    if (!realpath(argv0, kt_self))
        snprintf(kt_self, sizeof kt_self, "%s", argv0);
}

/*
 * Watchdog: SIGALRM with its default action after `secs` seconds of real
 * time, through setitimer (glibc's alarm() uses it too on riscv64). A hang
 * then ends in exit status 142 with the output so far.
 */
static __attribute__((unused)) void kt_watchdog(int secs)
{
    struct itimerval it = {{0, 0}, {secs, 0}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * execve a riscv64 program. Under qemu-user (no binfmt_misc on the host) a
 * guest cannot execve another riscv64 binary directly, so this goes through
 * the host's qemu-riscv64 (KT_QEMU_BIN, default /usr/bin/qemu-riscv64),
 * keeping argv[0]. The pid, open fds, signal mask and ignored signals carry
 * over exactly as with a direct execve.
 */
static __attribute__((unused)) int kt_exec(const char *path, char *const argv[], char *const envp[])
{
    if (!kt_qemu())
        return execve(path, argv, envp);
    const char *qemu = getenv("KT_QEMU_BIN");
    if (!qemu)
        qemu = "/usr/bin/qemu-riscv64";
    char *qargv[64];
    int n = 0;
    qargv[n++] = (char *)"qemu-riscv64";
    qargv[n++] = (char *)"-0";
    qargv[n++] = argv[0];
    qargv[n++] = (char *)path;
    for (int i = 1; argv[i] && n < 63; i++)
        qargv[n++] = argv[i];
    qargv[n] = NULL;
    return execve(qemu, qargv, envp);
}

/* waitpid that retries on EINTR; returns the pid or -1. */
static __attribute__((unused)) pid_t kt_waitpid(pid_t pid, int *st, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, st, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Sleep for `ms` milliseconds (restarting after signals). */
static __attribute__((unused)) void kt_msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Monotonic time in milliseconds. */
static __attribute__((unused)) long long kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes from fd (retrying on EINTR); fewer only at EOF or on error. */
static __attribute__((unused)) ssize_t kt_read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}


/* ======================================================================
 * process, thread, signal and memory programs (formerly ptest.h)
 * ====================================================================== */

/*
 * ptest.h - helpers shared by the process/thread/signal/VM test programs in
 * userland/tests3/ (on top of ../tests/kproc.h and ktest.h).
 *
 * Conventions: only the main test process prints ok/not ok lines (children
 * report through their exit status or a pipe); every program arms a watchdog
 * so that a hang ends in SIGALRM (exit status 142) with the output so far.
 */

#include <sys/mman.h>
#include <sys/resource.h>

/* The repository root (kt_self is <root>/build/userland-<set>/<name>). */
static char kt_root[PATH_MAX];

static __attribute__((unused)) void kt_init(int argc, char **argv)
{
    (void)argc;
    kt_set_self(argv[0]);
    snprintf(kt_root, sizeof kt_root, "%s", kt_self);
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(kt_root, '/');
        if (slash)
            *slash = 0;
    }
}

/* n bytes mapped read-write, then one PROT_NONE guard page (4 KiB on
 * riscv64): a copy running off the end faults there. NULL if mmap fails. */
static __attribute__((unused)) char *kt_guarded(long n)
{
    char *p = mmap(NULL, n + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    mprotect(p + n, 4096, PROT_NONE);
    return p;
}

/* The busybox binary: /bin/busybox in Ghost's root, build/rootfs/bin/busybox for qemu. */
static __attribute__((unused)) const char *kt_busybox(void)
{
    static char path[PATH_MAX + 32];
    if (!kt_qemu())
        return "/bin/busybox";
    snprintf(path, sizeof path, "%s/build/rootfs/bin/busybox", kt_root);
    return path;
}

/* Describe a wait status in a static rotating buffer. */
static __attribute__((unused)) const char *kt_wstr(int st)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ & 3];
    if (WIFEXITED(st))
        snprintf(b, sizeof bufs[0], "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof bufs[0], "killed by signal %d%s", WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st))
        snprintf(b, sizeof bufs[0], "stopped by signal %d", WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        snprintf(b, sizeof bufs[0], "continued");
    else
        snprintf(b, sizeof bufs[0], "status %#x", st);
    return b;
}

/*
 * IN_CHILD(desc, body...): run body in a forked child, which sets bits in
 * `bad` with EXPECT(bit, cond) for each expectation that fails; one check,
 * `desc`, passes when the child exits 0 (else its failure bits are shown).
 * For calls that change the caller's credentials or limits for good.
 */
#define IN_CHILD(desc, ...)                                                                      \
    do {                                                                                         \
        pid_t kt_c_ = fork();                                                                    \
        if (kt_c_ == 0) {                                                                        \
            int bad = 0;                                                                         \
            __VA_ARGS__;                                                                         \
            _exit(bad);                                                                          \
        }                                                                                        \
        int kt_st_;                                                                              \
        kt_waitpid(kt_c_, &kt_st_, 0);                                                           \
        kt_check(WIFEXITED(kt_st_) && WEXITSTATUS(kt_st_) == 0, (desc), "failure bits %#x [%s]", \
                 WIFEXITED(kt_st_) ? WEXITSTATUS(kt_st_) : -1, kt_wstr(kt_st_));                 \
    } while (0)

#define EXPECT(bit, cond) \
    do {                  \
        if (!(cond))      \
            bad |= (bit); \
    } while (0)

/* Reap `pid` and check that it exited with `code`. */
static __attribute__((unused)) int kt_check_exit(pid_t pid, int code, const char *desc)
{
    int st = 0;
    pid_t r = kt_waitpid(pid, &st, 0);
    if (r != pid)
        return kt_check(0, desc, "waitpid(%d) returned %d errno %d (%s)", (int)pid, (int)r, errno, strerror(errno));
    return kt_check(WIFEXITED(st) && WEXITSTATUS(st) == code, desc, "child %s, want exited %d", kt_wstr(st), code);
}

/* Reap `pid` and check that it was killed by `sig`. */
static __attribute__((unused)) int kt_check_killed(pid_t pid, int sig, const char *desc)
{
    int st = 0;
    pid_t r = kt_waitpid(pid, &st, 0);
    if (r != pid)
        return kt_check(0, desc, "waitpid(%d) returned %d errno %d (%s)", (int)pid, (int)r, errno, strerror(errno));
    return kt_check(WIFSIGNALED(st) && WTERMSIG(st) == sig, desc, "child %s, want killed by signal %d", kt_wstr(st),
                    sig);
}

/* Poll `cond` (an expression) every ms up to `ms` milliseconds. */
#define KT_WAIT_FOR(cond, ms)                                          \
    do {                                                               \
        long long kt_deadline_ = kt_now_ms() + (ms);                   \
        while (!(cond) && kt_now_ms() < kt_deadline_)                  \
            kt_msleep(1);                                              \
    } while (0)


/* ======================================================================
 * filesystem, pipe and event I/O programs (formerly vtest.h)
 * ====================================================================== */

/*
 * vtest.h - helpers shared by the VFS / filesystem / pipe / event I/O test
 * programs in userland/tests4/ (on top of ../tests/kproc.h and ktest.h).
 *
 * Conventions: only the main test process prints ok/not ok lines (children
 * report through their exit status or a pipe); every program arms a watchdog
 * so that a hang ends in SIGALRM (exit status 142) with the output so far.
 *
 * Environment:
 *   GHOST_TEST_QEMU=1  running under qemu-user (see ktest.h)
 *   KT_QEMU_BIN        the host qemu-riscv64, to re-execute riscv64 programs
 */

#include <poll.h>
#include <sys/mman.h>

/* This set's names for the shared helpers of ../tests/kproc.h. */
#define vt_self kt_self
#define vt_alarm kt_watchdog /* re-arm the watchdog (a child that must not outlive a hang) */
#define vt_exec kt_exec
#define vt_waitpid kt_waitpid
#define vt_msleep kt_msleep
#define vt_now_ms kt_now_ms
#define vt_read_full kt_read_full

/* Record argv[0]'s absolute path and arm the watchdog. */
static __attribute__((unused)) void vt_init(int argc, char **argv, int watchdog_secs)
{
    (void)argc;
    kt_set_self(argv[0]);
    kt_watchdog(watchdog_secs);
}

/* Reap `pid`; returns its exit code, or 1000+signal, or -1. */
static __attribute__((unused)) int vt_reap(pid_t pid)
{
    int st = 0;
    if (vt_waitpid(pid, &st, 0) != pid)
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 1000 + WTERMSIG(st);
    return -1;
}

static __attribute__((unused)) ssize_t vt_write_full(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

/* Create (truncate) a file with the given contents; returns 0 or -errno. */
static __attribute__((unused)) int vt_put(const char *path, const char *data, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    size_t n = strlen(data);
    int r = vt_write_full(fd, data, n) == (ssize_t)n ? 0 : -EIO;
    close(fd);
    return r;
}

/*
 * Read a whole file (up to cap-1 bytes) into buf, NUL-terminated; returns
 * the length or -errno.
 */
static __attribute__((unused)) ssize_t vt_get_at(int dirfd, const char *path, char *buf, size_t cap)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        buf[0] = 0;
        return -errno;
    }
    size_t got = 0;
    for (;;) {
        if (got + 1 >= cap)
            break;
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            buf[got] = 0;
            return -e;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    close(fd);
    return (ssize_t)got;
}

static __attribute__((unused)) ssize_t vt_get(const char *path, char *buf, size_t cap)
{
    return vt_get_at(AT_FDCWD, path, buf, cap);
}

/*
 * A fresh scratch directory in a tmpfs (/dev/shm), for checks on a
 * Ghost-only filesystem: /dev/shm/vt-<name>-<pid>. Exits if impossible.
 */
static char vt_shmdir[256];
static __attribute__((unused)) const char *vt_mkshm(const char *name)
{
    snprintf(vt_shmdir, sizeof vt_shmdir, "/dev/shm/vt-%s-%d", name, (int)getpid());
    if (mkdir(vt_shmdir, 0777) != 0 && errno != EEXIST) {
        kt_fail("create tmpfs scratch dir", "mkdir %s: %s", vt_shmdir, strerror(errno));
        kt_done();
        exit(1);
    }
    return vt_shmdir;
}

static __attribute__((unused)) const char *vt_shm(const char *leaf)
{
    static char bufs[8][400];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", vt_shmdir, leaf);
    return b;
}

static __attribute__((unused)) void vt_cleanup_shm(void)
{
    if (vt_shmdir[0])
        kt_rmtree_at(AT_FDCWD, vt_shmdir);
}

/* Does the NUL-terminated `hay` contain a line that starts with `prefix`? */
static __attribute__((unused)) const char *vt_line(const char *hay, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = hay; p && *p;) {
        if (strncmp(p, prefix, n) == 0)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* errno of a call, 0 on success (for compact expectations). */
#define VT_ERRNO(expr) ((errno = 0), ((long)(expr) < 0 ? errno : 0))

#endif /* KTEST_H */
