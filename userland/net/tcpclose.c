/*
 * tcpclose.c - how TCP connections end and overflow, IPv4 and IPv6:
 * half-close with POLLRDHUP, SO_LINGER 0 and close with unread data
 * resetting the peer (ECONNRESET, then EOF, then EPIPE with SIGPIPE),
 * TIME_WAIT holding the port against bind without SO_REUSEADDR, a full
 * listen backlog dropping SYNs until accept makes room (the client's SYN
 * retransmission then gets in), urgent data with MSG_OOB and SIOCATMARK,
 * and edge-triggered epoll.
 */
#include "nettest.h"
#include <signal.h>

static volatile sig_atomic_t sigpipes;
static void on_pipe(int sig) { (void)sig; sigpipes++; }

/* A connected pair (client c, accepted s) on a fresh listener l. */
static int pair(int fam, int *l, int *c, int *s, int reuse)
{
    *l = nt_listen(fam, 8, reuse);
    *c = nt_connect(fam, nt_port(*l));
    *s = accept(*l, NULL, NULL);
    return *l >= 0 && *c >= 0 && *s >= 0 ? 0 : -1;
}

static void half_close(int fam)
{
    char d[160], buf[64];
    const char *F = nt_fam(fam);
    int l, c, s;
    snprintf(d, sizeof d, "%s: connected pair", F);
    CHECK_OK(pair(fam, &l, &c, &s, 0), d);
    snprintf(d, sizeof d, "%s: shutdown(SHUT_WR)", F);
    CHECK_OK(shutdown(c, SHUT_WR), d);
    snprintf(d, sizeof d, "%s: the peer sees POLLIN|POLLRDHUP and can still write", F);
    CHECK_EQ(nt_poll(s, POLLIN | POLLOUT | POLLRDHUP, 1000), POLLIN | POLLOUT | POLLRDHUP, d);
    snprintf(d, sizeof d, "%s: the peer reads EOF", F);
    CHECK_EQ(read(s, buf, sizeof buf), 0, d);
    snprintf(d, sizeof d, "%s: the half-closed side polls writable, not readable", F);
    CHECK_EQ(nt_poll(c, POLLIN | POLLOUT | POLLRDHUP, 0), POLLOUT, d);
    snprintf(d, sizeof d, "%s: writing after SHUT_WR is EPIPE", F);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE, d);
    snprintf(d, sizeof d, "%s: the other direction still flows", F);
    CHECK(write(s, "reply", 5) == 5 && read(c, buf, sizeof buf) == 5 && memcmp(buf, "reply", 5) == 0, d);
    close(s);
    snprintf(d, sizeof d, "%s: after the peer's close: EOF", F);
    CHECK_EQ(read(c, buf, sizeof buf), 0, d);
    snprintf(d, sizeof d, "%s: and POLLIN|POLLOUT|POLLRDHUP|POLLHUP", F);
    CHECK_EQ(nt_poll(c, POLLIN | POLLOUT | POLLRDHUP, 1000), POLLIN | POLLOUT | POLLRDHUP | POLLHUP, d);
    close(c);
    close(l);
}

static void resets(int fam)
{
    char d[160], buf[64];
    const char *F = nt_fam(fam);
    int l, c, s;
    pair(fam, &l, &c, &s, 0);
    struct linger lg = { 1, 0 };
    snprintf(d, sizeof d, "%s: SO_LINGER {1, 0}", F);
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), d);
    struct linger back;
    socklen_t bl = sizeof back;
    getsockopt(c, SOL_SOCKET, SO_LINGER, &back, &bl);
    snprintf(d, sizeof d, "%s: SO_LINGER reads back", F);
    CHECK(bl == sizeof back && back.l_onoff == 1 && back.l_linger == 0, d);
    close(c);
    snprintf(d, sizeof d, "%s: a lingerless close resets the peer: IN|OUT|RDHUP|ERR|HUP", F);
    CHECK_EQ(nt_poll(s, POLLIN | POLLOUT | POLLRDHUP, 1000), POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP, d);
    snprintf(d, sizeof d, "%s: read reports ECONNRESET", F);
    CHECK_ERR(read(s, buf, sizeof buf), ECONNRESET, d);
    snprintf(d, sizeof d, "%s: then EOF", F);
    CHECK_EQ(read(s, buf, sizeof buf), 0, d);
    sigpipes = 0;
    snprintf(d, sizeof d, "%s: then write is EPIPE", F);
    CHECK_ERR(write(s, "x", 1), EPIPE, d);
    snprintf(d, sizeof d, "%s: with SIGPIPE", F);
    CHECK_EQ(sigpipes, 1, d);
    snprintf(d, sizeof d, "%s: MSG_NOSIGNAL: EPIPE without SIGPIPE", F);
    CHECK(send(s, "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE && sigpipes == 1, d);
    close(s);

    /* Closing with unread data resets too. */
    c = nt_connect(fam, nt_port(l));
    s = accept(l, NULL, NULL);
    write(c, "unread", 6);
    nt_poll(s, POLLIN, 1000);
    close(s);
    snprintf(d, sizeof d, "%s: close with unread data resets the peer", F);
    CHECK_ERR(read(c, buf, sizeof buf), ECONNRESET, d);
    int v = -1;
    socklen_t vl = sizeof v;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vl);
    snprintf(d, sizeof d, "%s: the error was reported once", F);
    CHECK_EQ(v, 0, d);
    close(c);

    /* A reset with the error unread: a write reports it first. */
    c = nt_connect(fam, nt_port(l));
    s = accept(l, NULL, NULL);
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(s);
    nt_poll(c, POLLIN, 1000);
    snprintf(d, sizeof d, "%s: write after a reset reports ECONNRESET first", F);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), ECONNRESET, d);
    snprintf(d, sizeof d, "%s: then EPIPE", F);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE, d);
    close(c);
    close(l);
}

static void time_wait(int fam)
{
    char d[160], buf[8];
    const char *F = nt_fam(fam);
    int l, c, s;
    pair(fam, &l, &c, &s, 1);
    int port = nt_port(l);
    close(s); /* the server closes first: its side ends in TIME_WAIT */
    snprintf(d, sizeof d, "%s: the client reads EOF", F);
    CHECK_EQ(read(c, buf, sizeof buf), 0, d);
    close(c);
    close(l);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, port);
    int n1 = socket(fam, SOCK_STREAM, 0);
    snprintf(d, sizeof d, "%s: TIME_WAIT keeps the port from a bind without SO_REUSEADDR", F);
    CHECK_ERR(bind(n1, (struct sockaddr *)&ss, len), EADDRINUSE, d);
    close(n1);
    int n2 = socket(fam, SOCK_STREAM, 0), one = 1;
    setsockopt(n2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    snprintf(d, sizeof d, "%s: SO_REUSEADDR binds over TIME_WAIT", F);
    CHECK_OK(bind(n2, (struct sockaddr *)&ss, len), d);
    snprintf(d, sizeof d, "%s: and listens", F);
    CHECK_OK(listen(n2, 4), d);
    int n3 = socket(fam, SOCK_STREAM, 0);
    setsockopt(n3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    snprintf(d, sizeof d, "%s: SO_REUSEADDR does not share a listening port", F);
    CHECK_ERR(bind(n3, (struct sockaddr *)&ss, len), EADDRINUSE, d);
    close(n3);
    c = nt_connect(fam, port);
    snprintf(d, sizeof d, "%s: the new listener takes connections", F);
    CHECK(c >= 0, d);
    close(c);
    close(n2);
}

static void backlog(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 1, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, nt_port(l));
    int c[3], up = 0;
    for (int i = 0; i < 3; i++) {
        c[i] = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(c[i], (struct sockaddr *)&ss, len);
    }
    for (int i = 0; i < 3; i++)
        up += nt_poll(c[i], POLLOUT, i < 2 ? 2000 : 300) == POLLOUT;
    /* As Linux: the accept queue holds backlog + 1; a later SYN is dropped. */
    snprintf(d, sizeof d, "%s: backlog 1 queues two connections", F);
    CHECK_EQ(up, 2, d);
    snprintf(d, sizeof d, "%s: a client whose SYN was dropped is still connecting", F);
    CHECK_EQ(nt_poll(c[2], POLLIN | POLLOUT, 0), 0, d);
    int s = accept(l, NULL, NULL);
    snprintf(d, sizeof d, "%s: accept one", F);
    CHECK(s >= 0, d);
    /* Its SYN is sent again when the initial 1 s timeout runs out, and now fits. */
    snprintf(d, sizeof d, "%s: a retransmitted SYN connects once there is room", F);
    CHECK_EQ(nt_poll(c[2], POLLOUT, 8000), POLLOUT, d);
    int v = -1;
    socklen_t vl = sizeof v;
    getsockopt(c[2], SOL_SOCKET, SO_ERROR, &v, &vl);
    snprintf(d, sizeof d, "%s: without an error", F);
    CHECK_EQ(v, 0, d);
    for (int i = 0; i < 3; i++)
        close(c[i]);
    close(s);
    close(l);
}

static void urgent(int fam)
{
    char d[160], buf[64];
    const char *F = nt_fam(fam);
    int l, c, s, one = 1;
    pair(fam, &l, &c, &s, 0);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    send(c, "hello", 5, 0);
    snprintf(d, sizeof d, "%s: send MSG_OOB", F);
    CHECK_EQ(send(c, "X", 1, MSG_OOB), 1, d);
    send(c, "world", 5, 0);
    snprintf(d, sizeof d, "%s: urgent data polls POLLPRI", F);
    CHECK_EQ(nt_poll(s, POLLPRI, 1000), POLLPRI, d);
    snprintf(d, sizeof d, "%s: recv MSG_OOB takes the urgent byte", F);
    CHECK(recv(s, buf, sizeof buf, MSG_OOB) == 1 && buf[0] == 'X', d);
    snprintf(d, sizeof d, "%s: POLLPRI is gone once it is read", F);
    CHECK_EQ(nt_poll(s, POLLPRI, 0), 0, d);
    int mark = -1;
    ioctl(s, SIOCATMARK, &mark);
    snprintf(d, sizeof d, "%s: not at the mark before reading", F);
    CHECK_EQ(mark, 0, d);
    snprintf(d, sizeof d, "%s: a read stops at the mark", F);
    CHECK(read(s, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, d);
    ioctl(s, SIOCATMARK, &mark);
    snprintf(d, sizeof d, "%s: SIOCATMARK there", F);
    CHECK_EQ(mark, 1, d);
    snprintf(d, sizeof d, "%s: the data after the mark follows", F);
    CHECK(read(s, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0, d);
    snprintf(d, sizeof d, "%s: a second MSG_OOB read is EINVAL", F);
    CHECK_ERR(recv(s, buf, sizeof buf, MSG_OOB), EINVAL, d);
    snprintf(d, sizeof d, "%s: MSG_OOB with no urgent data is EINVAL", F);
    CHECK_ERR(recv(c, buf, sizeof buf, MSG_OOB), EINVAL, d);
    close(c);
    close(s);
    close(l);
}

static void edge(int fam)
{
    char d[160], buf[64];
    const char *F = nt_fam(fam);
    int l, c, s;
    pair(fam, &l, &c, &s, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = s }, out[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    snprintf(d, sizeof d, "%s: ET: nothing yet", F);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0, d);
    write(c, "a", 1);
    snprintf(d, sizeof d, "%s: ET: data makes one event", F);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLIN, d);
    snprintf(d, sizeof d, "%s: ET: not again without new data", F);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0, d);
    write(c, "b", 1);
    snprintf(d, sizeof d, "%s: ET: new data is a new edge, the old still unread", F);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLIN, d);
    read(s, buf, sizeof buf);
    shutdown(c, SHUT_WR);
    snprintf(d, sizeof d, "%s: ET: the peer's FIN is EPOLLIN|EPOLLRDHUP", F);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == (EPOLLIN | EPOLLRDHUP), d);
    close(ep);

    ep = epoll_create1(0);
    struct epoll_event ew = { .events = EPOLLOUT | EPOLLET, .data.fd = s };
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ew);
    snprintf(d, sizeof d, "%s: ET: a writable socket reports EPOLLOUT once", F);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLOUT, d);
    write(s, "x", 1);
    snprintf(d, sizeof d, "%s: ET: a small write's ACK is no new edge", F);
    CHECK_EQ(epoll_wait(ep, out, 4, 100), 0, d);
    close(ep);
    close(c);
    close(s);
    close(l);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    signal(SIGPIPE, on_pipe);
    int fams[2] = { AF_INET, AF_INET6 };
    for (int i = 0; i < 2; i++) {
        half_close(fams[i]);
        resets(fams[i]);
        time_wait(fams[i]);
        backlog(fams[i]);
        urgent(fams[i]);
        edge(fams[i]);
    }
    return kt_done();
}
