/*
 * txtbsy: ETXTBSY both ways, as Linux 6.18 gives it. A running program's
 * executable cannot be opened for writing (nor with O_TRUNC) while any process
 * runs it, forks included; it can once the last one has exited or exec'd
 * something else. execve of a file open for writing is ETXTBSY too.
 *
 * Under qemu-user the running executable is qemu itself (the riscv64 file is
 * only read), so the program skips there; the runner also runs it natively.
 */
#include "ktest.h"

#include <sys/wait.h>

static const char *copy_self(const char *to)
{
    int src = open("/proc/self/exe", O_RDONLY);
    int dst = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    static char b[1 << 16];
    ssize_t n;
    while (src >= 0 && dst >= 0 && (n = read(src, b, sizeof b)) > 0)
        if (write(dst, b, (size_t)n) != n)
            break;
    close(src);
    close(dst);
    return to;
}

static int open_errno(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "wait") == 0) {
        /* The copy, running: wait for the parent to close the pipe. */
        char c;
        while (read(0, &c, 1) > 0)
            ;
        return 0;
    }
    if (kt_qemu()) {
        kt_skip("ETXTBSY", "under qemu-user the running executable is qemu; the runner runs this natively");
        return kt_done();
    }
    kt_watchdog(60);
    kt_mktemp("txtbsy");
    const char *prog = copy_self(kt_path("prog"));

    CHECK_EQ(open_errno("/proc/self/exe", O_WRONLY), ETXTBSY, "open of the running executable for writing is ETXTBSY");
    CHECK_EQ(open_errno("/proc/self/exe", O_RDWR), ETXTBSY, "O_RDWR is ETXTBSY too");
    CHECK_EQ(open_errno("/proc/self/exe", O_RDONLY), 0, "reading it is allowed");

    /* A copy, running in a child that waits on a pipe. */
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    pid_t c = fork();
    if (c == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        char *args[] = { (char *)prog, "wait", NULL };
        execv(prog, args);
        _exit(127);
    }
    close(p[0]);
    /* Wait until the child runs the copy (its /proc/PID/exe names it). */
    char link[64], target[600], want[600];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)c);
    if (!realpath(prog, want))
        snprintf(want, sizeof want, "%s", prog);
    int running = 0;
    for (int i = 0; i < 2000 && !running; i++) {
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            running = strcmp(target, want) == 0;
        }
        if (!running)
            kt_msleep(5);
    }
    CHECK(running, "the child runs the copy");
    CHECK_EQ(open_errno(prog, O_WRONLY), ETXTBSY, "another process's running executable: ETXTBSY");
    /* (Truncation is tried on the copy only: where it is allowed by mistake, it must not empty this program.) */
    CHECK_EQ(open_errno(prog, O_RDONLY | O_TRUNC), ETXTBSY, "O_RDONLY|O_TRUNC of it: ETXTBSY");
    CHECK_EQ(truncate(prog, 0) == 0 ? 0 : errno, ETXTBSY, "truncate of it: ETXTBSY");
    close(p[1]);
    int st = 0;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the copy ran and exited");
    CHECK_EQ(open_errno(prog, O_WRONLY), 0, "once it exited, the file opens for writing");

    /* The busy state follows execve: a child becomes busy on `prog` when it execs it. */
    int q[2], r[2];
    CHECK_OK(pipe(q), "pipe");
    CHECK_OK(pipe(r), "pipe");
    c = fork();
    if (c == 0) {
        char *args[] = { (char *)prog, "wait", NULL };
        close(q[1]);
        close(r[0]);
        /* Say we are here, wait for the go, then run `prog` (stdin: the pipe the parent closes at the end). */
        (void)!write(r[1], "x", 1);
        char ch;
        (void)!read(q[0], &ch, 1);
        dup2(q[0], 0);
        execv(prog, args);
        _exit(127);
    }
    close(q[0]);
    close(r[1]);
    char ch;
    (void)!read(r[0], &ch, 1);
    (void)!write(q[1], "x", 1);
    int busy = 0;
    for (int i = 0; i < 2000 && !busy; i++) {
        busy = open_errno(prog, O_WRONLY) == ETXTBSY;
        if (!busy)
            kt_msleep(5);
    }
    CHECK(busy, "after the child's execve the file is busy");
    close(q[1]);
    waitpid(c, &st, 0);
    CHECK_EQ(open_errno(prog, O_WRONLY), 0, "and free again after it exits");

    /* execve of a file open for writing. */
    int wfd = open(prog, O_WRONLY);
    c = fork();
    if (c == 0) {
        char *args[] = { (char *)prog, "wait", NULL };
        execv(prog, args);
        _exit(errno == ETXTBSY ? 0 : 1);
    }
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve of a file open for writing is ETXTBSY");
    close(wfd);
    return kt_done();
}
