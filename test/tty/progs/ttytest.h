/*
 * ttytest.h - helpers for the terminal test programs in test/tty/progs/.
 *
 * Each program prints one line per observation ("name: value"); the test
 * runs it under qemu-riscv64 (whose ioctls reach the host's Linux kernel, so
 * its output is Linux's) and under Ghost, and compares the two outputs.
 * Nothing printed may depend on timing beyond the coarse buckets below, on
 * pids or on pty numbers.
 */
#ifndef TTYTEST_H
#define TTYTEST_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void show(const char *name, const void *buf, ssize_t n)
{
    const unsigned char *b = buf;
    printf("%s: ", name);
    if (n < 0) {
        printf("-1 %s\n", strerrorname_np(errno));
        return;
    }
    printf("%zd [", n);
    for (ssize_t i = 0; i < n; i++) {
        if (b[i] == '\\')
            printf("\\\\");
        else if (b[i] < 32 || b[i] >= 127)
            printf("\\x%02x", b[i]);
        else
            putchar(b[i]);
    }
    printf("]\n");
    fflush(stdout);
}

static void showrc(const char *name, long rc)
{
    if (rc < 0)
        printf("%s: -1 %s\n", name, strerrorname_np(errno));
    else
        printf("%s: %ld\n", name, rc);
    fflush(stdout);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Lets the pty deliver what was written (Linux moves it through a work queue). */
static void settle(void) { usleep(30000); }

/* Waits until fd is readable, at most ms (a loaded machine delays Linux's
 * pty work queue past a fixed pause), then lets the rest arrive. */
static void settle_for(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) == 1)
        settle();
}

/* Reads whatever fd has (non-blocking), after letting the pty settle. */
static ssize_t drain(int fd, char *buf, size_t len)
{
    settle();
    settle_for(fd, 500);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    ssize_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            break;
        got += n;
        if ((size_t)got == len)
            break;
    }
    fcntl(fd, F_SETFL, fl);
    return got;
}

/* A fresh pty pair with the default settings; the slave is not our ctty. */
static void newpty(int *m, int *s)
{
    if (openpty(m, s, NULL, NULL, NULL) < 0) {
        perror("openpty");
        exit(2);
    }
}

static void setflags(int s, tcflag_t iflag_on, tcflag_t iflag_off, tcflag_t oflag_on, tcflag_t oflag_off,
                     tcflag_t lflag_on, tcflag_t lflag_off)
{
    struct termios t;
    tcgetattr(s, &t);
    t.c_iflag = (t.c_iflag | iflag_on) & ~iflag_off;
    t.c_oflag = (t.c_oflag | oflag_on) & ~oflag_off;
    t.c_lflag = (t.c_lflag | lflag_on) & ~lflag_off;
    tcsetattr(s, TCSANOW, &t);
}

#endif
