/*
 * ktest.h - tiny self-checking test harness for Ghost's userland tests.
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

#endif
