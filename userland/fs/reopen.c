/* reopen.c - re-opening a pipe through /proc/self/fd/N and /dev/fd/N: as
 * Linux's fifo_open for a pipefs inode, the open never waits for the other
 * end and never fails with ENXIO, even when that end is already closed
 * (bash's process substitution, `echo x | cat /dev/stdin`). Each check runs
 * in a child with its own alarm so that a hang is one failed check. */
#include "ktest.h"
#include <signal.h>

/* Run fn in a child with a 10 s alarm; returns its exit code or 1000+signal. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        _exit(fn());
    }
    return vt_reap(pid);
}

/* The writer has exited: the reopened read end gives the data, then EOF. */
static int read_after_writer_exit(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    pid_t w = fork();
    if (w == 0) {
        close(p[0]);
        write(p[1], "abc", 3);
        _exit(0);
    }
    close(p[1]);
    if (vt_reap(w) != 0)
        return 3;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 4;
    char buf[8] = {0};
    if (read(fd, buf, sizeof buf) != 3 || memcmp(buf, "abc", 3) != 0)
        return 5;
    if (read(fd, buf, sizeof buf) != 0)
        return 6;
    return 0;
}

/* /dev/fd/N of a read end whose writer is still open: no wait either. */
static int read_with_writer(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 4;
    write(p[1], "z", 1);
    char c = 0;
    return read(fd, &c, 1) == 1 && c == 'z' ? 0 : 5;
}

/* The write end reopened after the reader closed: no ENXIO, even O_NONBLOCK;
 * the write is then EPIPE. */
static int write_without_reader(void)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    if (pipe(p) != 0)
        return 2;
    close(p[0]);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
    int fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENXIO ? 7 : 4;
    int fd2 = open(path, O_WRONLY);
    if (fd2 < 0)
        return 8;
    return write(fd2, "x", 1) == -1 && errno == EPIPE ? 0 : 5;
}

/* A read end reopened O_RDWR is a reader and a writer of the same pipe. */
static int reopen_rdwr(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    close(p[1]);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return 4;
    if (write(fd, "q", 1) != 1)
        return 5;
    char c = 0;
    return read(p[0], &c, 1) == 1 && c == 'q' ? 0 : 6;
}

/* `echo x | cat /dev/stdin` once echo has exited. */
static int dev_stdin(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    write(p[1], "x\n", 2);
    close(p[1]);
    dup2(p[0], 0);
    close(p[0]);
    int fd = open("/dev/stdin", O_RDONLY);
    if (fd < 0)
        return 4;
    char buf[4];
    return read(fd, buf, sizeof buf) == 2 && read(fd, buf, sizeof buf) == 0 ? 0 : 5;
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    CHECK_EQ(in_child(read_after_writer_exit), 0, "/proc/self/fd/N of a pipe whose writer exited opens at once: data, then EOF");
    CHECK_EQ(in_child(read_with_writer), 0, "/dev/fd/N of a pipe's read end opens without waiting");
    CHECK_EQ(in_child(write_without_reader), 0, "a write end reopened with no reader left opens (no ENXIO); writing is EPIPE");
    CHECK_EQ(in_child(reopen_rdwr), 0, "a read end reopened O_RDWR writes into the same pipe");
    CHECK_EQ(in_child(dev_stdin), 0, "open(/dev/stdin) of a pipe whose writer closed reads the data and EOF");
    return kt_done();
}
