/*
 * nettest.h - helpers shared by the inet socket tests in userland/net/
 * (on top of ../include/ktest.h). Every address used is on loopback
 * (127.0.0.1 or ::1): the tests never reach any other host.
 *
 * The programs run under qemu-riscv64 (the host's real Linux stack is the
 * oracle) and under Ghost, with the same expected output.
 */
#ifndef NETTEST_H
#define NETTEST_H

#include "ktest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>

/* A loopback sockaddr of family fam (AF_INET or AF_INET6) with port (host order). */
static __attribute__((unused)) socklen_t nt_addr(int fam, struct sockaddr_storage *ss, int port)
{
    memset(ss, 0, sizeof *ss);
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    return sizeof *a;
}

/* The port (host order) a socket is bound to. */
static __attribute__((unused)) int nt_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A listening TCP socket on loopback, port chosen by the kernel; -1 on error. */
static __attribute__((unused)) int nt_listen(int fam, int backlog, int reuse)
{
    int fd = socket(fam, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (reuse)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, 0);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A TCP socket connected (blocking) to loopback port; -1 on error. */
static __attribute__((unused)) int nt_connect(int fam, int port)
{
    int fd = socket(fam, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, port);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* poll() one fd for `events`; returns revents (0 on timeout). */
static __attribute__((unused)) int nt_poll(int fd, int events, int ms)
{
    struct pollfd p = { .fd = fd, .events = (short)events };
    int r = poll(&p, 1, ms);
    return r > 0 ? p.revents : r;
}

static __attribute__((unused)) const char *nt_fam(int fam) { return fam == AF_INET ? "v4" : "v6"; }

/* A private network namespace with lo up: for a test that changes a
 * /proc/sys/net setting under qemu-riscv64, where it would be the host's
 * (root only). 0 on success, -1 (errno set) otherwise. */
static __attribute__((unused)) int nt_own_netns(void)
{
    if (unshare(CLONE_NEWNET) < 0)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    int r = ioctl(fd, SIOCSIFFLAGS, &ifr);
    close(fd);
    return r;
}

/* Writes a /proc/sys file; 0 when all of it was taken. */
static __attribute__((unused)) int nt_sysctl(const char *path, const char *v)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, v, strlen(v));
    close(fd);
    return n == (ssize_t)strlen(v) ? 0 : -1;
}

#endif
