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
#ifndef VTEST_H
#define VTEST_H

#include "../tests/kproc.h"
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

#endif
