/*
 * vtest.h - helpers shared by the VFS / filesystem / pipe / event I/O test
 * programs in userland/tests4/ (on top of ../tests/ktest.h).
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

#include "../tests/ktest.h"
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

/* Absolute path of the running program (for re-executing itself). */
static char vt_self[PATH_MAX];

static __attribute__((unused)) void vt_init(int argc, char **argv, int watchdog_secs)
{
    (void)argc;
    if (!realpath(argv[0], vt_self))
        snprintf(vt_self, sizeof vt_self, "%s", argv[0]);
    struct itimerval it = {{0, 0}, {watchdog_secs, 0}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Re-arm the watchdog (a child that must not outlive a hang). */
static __attribute__((unused)) void vt_alarm(int secs)
{
    struct itimerval it = {{0, 0}, {secs, 0}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * execve a riscv64 program; under qemu-user (no binfmt_misc) this goes
 * through the host's qemu-riscv64, keeping argv[0], pid and open fds.
 */
static __attribute__((unused)) int vt_exec(const char *path, char *const argv[], char *const envp[])
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

/* waitpid that retries on EINTR. */
static __attribute__((unused)) pid_t vt_waitpid(pid_t pid, int *st, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, st, flags);
    while (r < 0 && errno == EINTR);
    return r;
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

static __attribute__((unused)) void vt_msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static __attribute__((unused)) long long vt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes (fewer only at EOF or on error). */
static __attribute__((unused)) ssize_t vt_read_full(int fd, void *buf, size_t n)
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
