/*
 * netsink.c - the guest of the frame fuzzer (scripts/fuzz-frames.mjs): the
 * sockets that random Ethernet frames on eth0 should reach, kept busy for
 * SECS seconds. TCP listeners on 5000 (IPv4) and 5001 (IPv6), UDP on 5002
 * and 5003, raw ICMP and ICMPv6 sockets, and TCP connections to the
 * gateway's port 80 (10.0.2.2 and fec0::2) made again whenever they end, so
 * the fuzzer can answer their SYNs and send segments into an open window.
 * Everything that arrives is read; accepted connections get a few bytes
 * back. "ready" on stdout once set up, "alive N" every second, "done" at
 * the end (exit 0).
 *
 *   netsink SECS
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFDS 64

enum { LISTEN, DATA, CONNECT, DGRAM };
static struct pollfd pfd[MAXFDS];
static int role[MAXFDS], v6of[MAXFDS];
static int nfd;

static void add(int fd, int r, int v6)
{
    if (fd < 0)
        return;
    if (nfd == MAXFDS) {
        /* full: the oldest accepted connection makes room */
        for (int i = 0; i < nfd; i++)
            if (role[i] == DATA) {
                close(pfd[i].fd);
                pfd[i] = pfd[--nfd];
                role[i] = role[nfd];
                v6of[i] = v6of[nfd];
                break;
            }
        if (nfd == MAXFDS) {
            close(fd);
            return;
        }
    }
    pfd[nfd].fd = fd;
    pfd[nfd].events = POLLIN | (r == CONNECT ? POLLOUT : 0);
    role[nfd] = r;
    v6of[nfd++] = v6;
}

static void drop(int i)
{
    close(pfd[i].fd);
    pfd[i] = pfd[--nfd];
    role[i] = role[nfd];
    v6of[i] = v6of[nfd];
}

static int bound(int domain, int type, int proto, int port)
{
    int fd = socket(domain, type | SOCK_NONBLOCK, proto);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (domain == AF_INET) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        if (port && bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
            perror("bind");
    } else {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (port && bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
            perror("bind6");
    }
    if (type == SOCK_STREAM && listen(fd, 16) != 0)
        perror("listen");
    return fd;
}

static void dial(int v6)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (v6) {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
        inet_pton(AF_INET6, "fec0::2", &a.sin6_addr);
        connect(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
        inet_pton(AF_INET, "10.0.2.2", &a.sin_addr);
        connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    add(fd, CONNECT, v6);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 10;
    signal(SIGPIPE, SIG_IGN);
    add(bound(AF_INET, SOCK_STREAM, 0, 5000), LISTEN, 0);
    add(bound(AF_INET6, SOCK_STREAM, 0, 5001), LISTEN, 1);
    add(bound(AF_INET, SOCK_DGRAM, 0, 5002), DGRAM, 0);
    add(bound(AF_INET6, SOCK_DGRAM, 0, 5003), DGRAM, 1);
    add(bound(AF_INET, SOCK_RAW, IPPROTO_ICMP, 0), DGRAM, 0);
    add(bound(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, 0), DGRAM, 1);
    dial(0);
    dial(1);
    printf("ready\n");
    fflush(stdout);
    double start = now(), beat = start;
    static char buf[70000];
    long alive = 0;
    while (now() - start < secs) {
        int n = poll(pfd, nfd, 50);
        if (n < 0 && errno != EINTR)
            break;
        int dials[2] = { 1, 1 };
        for (int i = 0; i < nfd; i++)
            if (role[i] == CONNECT)
                dials[v6of[i]] = 0;
        for (int i = nfd - 1; i >= 0; i--) {
            short re = pfd[i].revents;
            if (!re)
                continue;
            if (role[i] == LISTEN) {
                int c = accept4(pfd[i].fd, NULL, NULL, SOCK_NONBLOCK);
                if (c >= 0) {
                    add(c, DATA, v6of[i]);
                    (void)!write(c, "hello\n", 6);
                }
                continue;
            }
            if (role[i] == CONNECT && (re & POLLOUT)) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    drop(i);
                    continue;
                }
                pfd[i].events = POLLIN;
                (void)!write(pfd[i].fd, "GET / HTTP/1.0\r\n\r\n", 18);
            }
            if (re & (POLLIN | POLLERR | POLLHUP)) {
                ssize_t r = recv(pfd[i].fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0 && role[i] != DGRAM && r < 64)
                    (void)!send(pfd[i].fd, buf, (size_t)r, MSG_DONTWAIT | MSG_NOSIGNAL);
                /* an ended stream socket goes; the datagram ones stay */
                if (role[i] != DGRAM && (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)))
                    drop(i);
            }
        }
        for (int v = 0; v < 2; v++)
            if (dials[v])
                dial(v);
        if (now() - beat >= 1) {
            beat = now();
            printf("alive %ld\n", ++alive);
            fflush(stdout);
        }
    }
    printf("done\n");
    fflush(stdout);
    return 0;
}
