/*
 * tcp.c - TCP over loopback, IPv4 and IPv6: listen, connect and accept with
 * their addresses, data both ways (a 4 MB transfer from a child process,
 * checked by sum), MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, blocking and
 * non-blocking connect (EINPROGRESS, SO_ERROR, EALREADY, EISCONN), refused
 * connections, readiness of fresh and listening sockets, options, and an
 * IPv6 listener taking an IPv4 client through a mapped address.
 */
#include "nettest.h"
#include <sys/wait.h>

#define BIG (4 << 20)

static unsigned sum_bytes(const unsigned char *p, size_t n, unsigned s)
{
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

static void transfer(int fam, int l)
{
    char d[160];
    const char *F = nt_fam(fam);
    int port = nt_port(l);
    pid_t pid = fork();
    if (pid == 0) {
        vt_alarm(60);
        int c = nt_connect(fam, port);
        if (c < 0)
            _exit(2);
        static unsigned char buf[BIG];
        for (size_t i = 0; i < BIG; i++)
            buf[i] = (unsigned char)(i * 7 + (i >> 11));
        /* Odd-sized writes, so segments and reads do not line up. */
        size_t off = 0;
        while (off < BIG) {
            size_t n = BIG - off < 77777 ? BIG - off : 77777;
            if (vt_write_full(c, buf + off, n) != (ssize_t)n)
                _exit(3);
            off += n;
        }
        shutdown(c, SHUT_WR);
        char ack[4];
        _exit(read(c, ack, 4) == 2 && memcmp(ack, "ok", 2) == 0 ? 0 : 4);
    }
    int s = accept(l, NULL, NULL);
    snprintf(d, sizeof d, "%s: accept the transfer's connection", F);
    CHECK(s >= 0, d);
    static unsigned char buf[65536];
    size_t total = 0;
    unsigned h = 0;
    for (;;) {
        ssize_t n = read(s, buf, sizeof buf);
        if (n <= 0)
            break;
        h = sum_bytes(buf, (size_t)n, h);
        total += (size_t)n;
    }
    static unsigned char want[BIG];
    for (size_t i = 0; i < BIG; i++)
        want[i] = (unsigned char)(i * 7 + (i >> 11));
    snprintf(d, sizeof d, "%s: 4 MB arrive in order", F);
    CHECK(total == BIG && h == sum_bytes(want, BIG, 0), d);
    write(s, "ok", 2);
    close(s);
    snprintf(d, sizeof d, "%s: the sender saw the answer after its half-close", F);
    CHECK_EQ(vt_reap(pid), 0, d);
}

static void run(int fam)
{
    char d[160], buf[256];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 8, 0);
    snprintf(d, sizeof d, "%s: listen on port 0", F);
    CHECK(l >= 0 && nt_port(l) > 0, d);
    int port = nt_port(l);
    int one = 1, v = -1;
    socklen_t ol = sizeof v;
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_ACCEPTCONN on a listener", F);
    CHECK_EQ(v, 1, d);
    snprintf(d, sizeof d, "%s: a listener with nothing queued is not readable", F);
    CHECK_EQ(nt_poll(l, POLLIN | POLLOUT, 0), 0, d);

    int c = nt_connect(fam, port);
    snprintf(d, sizeof d, "%s: blocking connect", F);
    CHECK(c >= 0, d);
    snprintf(d, sizeof d, "%s: the listener is readable with a connection queued", F);
    CHECK_EQ(nt_poll(l, POLLIN | POLLOUT, 1000), POLLIN, d);
    struct sockaddr_storage peer, name;
    socklen_t pl = sizeof peer, nl = sizeof name;
    int s = accept(l, (struct sockaddr *)&peer, &pl);
    snprintf(d, sizeof d, "%s: accept", F);
    CHECK(s >= 0, d);
    getsockname(c, (struct sockaddr *)&name, &nl);
    snprintf(d, sizeof d, "%s: accept's address is the client's name", F);
    CHECK(pl == nl && memcmp(&peer, &name, pl) == 0, d);
    pl = sizeof peer; nl = sizeof name;
    getpeername(c, (struct sockaddr *)&peer, &pl);
    getsockname(s, (struct sockaddr *)&name, &nl);
    snprintf(d, sizeof d, "%s: the client's peer is the server's name", F);
    CHECK(pl == nl && memcmp(&peer, &name, pl) == 0 && nt_port(s) == port, d);

    snprintf(d, sizeof d, "%s: a connected socket is writable, not readable", F);
    CHECK_EQ(nt_poll(s, POLLIN | POLLOUT, 0), POLLOUT, d);
    snprintf(d, sizeof d, "%s: recv MSG_DONTWAIT with nothing is EAGAIN", F);
    CHECK_ERR(recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    snprintf(d, sizeof d, "%s: write", F);
    CHECK_EQ(write(c, "hello world", 11), 11, d);
    snprintf(d, sizeof d, "%s: the server becomes readable", F);
    CHECK_EQ(nt_poll(s, POLLIN, 1000), POLLIN, d);
    int n = -1;
    ioctl(s, FIONREAD, &n);
    snprintf(d, sizeof d, "%s: FIONREAD counts the bytes", F);
    CHECK_EQ(n, 11, d);
    snprintf(d, sizeof d, "%s: MSG_PEEK", F);
    CHECK(recv(s, buf, 5, MSG_PEEK) == 5 && memcmp(buf, "hello", 5) == 0, d);
    snprintf(d, sizeof d, "%s: read after peek sees the same bytes", F);
    CHECK(read(s, buf, 6) == 6 && memcmp(buf, "hello ", 6) == 0, d);
    snprintf(d, sizeof d, "%s: the rest", F);
    CHECK(read(s, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0, d);
    snprintf(d, sizeof d, "%s: and back", F);
    CHECK(write(s, "pong", 4) == 4 && read(c, buf, sizeof buf) == 4, d);

    /* MSG_WAITALL across two writes from another process. */
    pid_t pid = fork();
    if (pid == 0) {
        vt_alarm(20);
        write(c, "abc", 3);
        vt_msleep(100);
        write(c, "defgh", 5);
        _exit(0);
    }
    snprintf(d, sizeof d, "%s: MSG_WAITALL waits for every byte", F);
    CHECK(recv(s, buf, 8, MSG_WAITALL) == 8 && memcmp(buf, "abcdefgh", 8) == 0, d);
    vt_reap(pid);

    /* Options. */
    v = -1; ol = sizeof v;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &ol);
    snprintf(d, sizeof d, "%s: TCP_NODELAY is off by default", F);
    CHECK_EQ(v, 0, d);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &ol);
    snprintf(d, sizeof d, "%s: TCP_NODELAY set", F);
    CHECK_EQ(v, 1, d);
    getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_TYPE", F);
    CHECK_EQ(v, SOCK_STREAM, d);
    getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_PROTOCOL", F);
    CHECK_EQ(v, IPPROTO_TCP, d);
    getsockopt(c, SOL_SOCKET, SO_DOMAIN, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_DOMAIN", F);
    CHECK_EQ(v, fam, d);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_ERROR is 0", F);
    CHECK_EQ(v, 0, d);
    struct tcp_info ti;
    socklen_t til = sizeof ti;
    memset(&ti, 0, sizeof ti);
    getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &til);
    snprintf(d, sizeof d, "%s: TCP_INFO says ESTABLISHED", F);
    CHECK_EQ(ti.tcpi_state, 1, d);
    snprintf(d, sizeof d, "%s: an unknown TCP option is ENOPROTOOPT", F);
    CHECK_ERR(setsockopt(c, IPPROTO_TCP, 999, &one, sizeof one), ENOPROTOOPT, d);
    snprintf(d, sizeof d, "%s: an unknown socket option is ENOPROTOOPT", F);
    CHECK_ERR(getsockopt(c, SOL_SOCKET, 999, &v, &ol), ENOPROTOOPT, d);
    snprintf(d, sizeof d, "%s: TCP_MAXSEG below the minimum is EINVAL", F);
    v = 10;
    CHECK_ERR(setsockopt(c, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof v), EINVAL, d);
    snprintf(d, sizeof d, "%s: connect on a connected socket is EISCONN", F);
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(fam, &to, port);
    CHECK_ERR(connect(c, (struct sockaddr *)&to, tl), EISCONN, d);
    snprintf(d, sizeof d, "%s: listen on a connected socket is EINVAL", F);
    CHECK_ERR(listen(c, 1), EINVAL, d);
    snprintf(d, sizeof d, "%s: recv on a listener is ENOTCONN", F);
    CHECK_ERR(recv(l, buf, 1, MSG_DONTWAIT), ENOTCONN, d);
    close(c);
    close(s);

    /* A fresh socket. */
    int f = socket(fam, SOCK_STREAM, 0);
    snprintf(d, sizeof d, "%s: a fresh socket polls POLLOUT|POLLHUP", F);
    CHECK_EQ(nt_poll(f, POLLIN | POLLOUT, 0), POLLOUT | POLLHUP, d);
    snprintf(d, sizeof d, "%s: recv on a fresh socket is ENOTCONN", F);
    CHECK_ERR(recv(f, buf, 1, 0), ENOTCONN, d);
    snprintf(d, sizeof d, "%s: send on a fresh socket is EPIPE", F);
    CHECK_ERR(send(f, "x", 1, MSG_NOSIGNAL), EPIPE, d);
    snprintf(d, sizeof d, "%s: getpeername on a fresh socket is ENOTCONN", F);
    pl = sizeof peer;
    CHECK_ERR(getpeername(f, (struct sockaddr *)&peer, &pl), ENOTCONN, d);
    snprintf(d, sizeof d, "%s: shutdown on a fresh socket is ENOTCONN", F);
    CHECK_ERR(shutdown(f, SHUT_WR), ENOTCONN, d);
    close(f);

    /* Non-blocking connect. */
    f = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
    snprintf(d, sizeof d, "%s: non-blocking connect is EINPROGRESS", F);
    CHECK_ERR(connect(f, (struct sockaddr *)&to, tl), EINPROGRESS, d);
    snprintf(d, sizeof d, "%s: it becomes writable", F);
    CHECK_EQ(nt_poll(f, POLLOUT, 2000), POLLOUT, d);
    v = -1;
    getsockopt(f, SOL_SOCKET, SO_ERROR, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_ERROR 0 after it connected", F);
    CHECK_EQ(v, 0, d);
    snprintf(d, sizeof d, "%s: connect again completes it", F);
    CHECK_OK(connect(f, (struct sockaddr *)&to, tl), d);
    snprintf(d, sizeof d, "%s: and once more is EISCONN", F);
    CHECK_ERR(connect(f, (struct sockaddr *)&to, tl), EISCONN, d);
    s = accept(l, NULL, NULL);
    close(s);
    close(f);

    /* Refused. */
    close(l);
    c = socket(fam, SOCK_STREAM, 0);
    snprintf(d, sizeof d, "%s: connect to a closed port is ECONNREFUSED", F);
    CHECK_ERR(connect(c, (struct sockaddr *)&to, tl), ECONNREFUSED, d);
    close(c);
    f = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(f, (struct sockaddr *)&to, tl);
    snprintf(d, sizeof d, "%s: a refused non-blocking connect polls IN|OUT|ERR|HUP", F);
    CHECK_EQ(nt_poll(f, POLLIN | POLLOUT, 2000), POLLIN | POLLOUT | POLLERR | POLLHUP, d);
    v = -1;
    getsockopt(f, SOL_SOCKET, SO_ERROR, &v, &ol);
    snprintf(d, sizeof d, "%s: SO_ERROR says ECONNREFUSED", F);
    CHECK_EQ(v, ECONNREFUSED, d);
    getsockopt(f, SOL_SOCKET, SO_ERROR, &v, &ol);
    snprintf(d, sizeof d, "%s: and is cleared by reading it", F);
    CHECK_EQ(v, 0, d);
    close(f);

    l = nt_listen(fam, 8, 0);
    transfer(fam, l);
    close(l);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    run(AF_INET);
    run(AF_INET6);

    /* A dual-stack IPv6 listener takes an IPv4 client, seen as ::ffff:127.0.0.1. */
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
    CHECK(bind(l, (struct sockaddr *)&any, sizeof any) == 0 && listen(l, 4) == 0, "v6: listen on [::]:0");
    int c = nt_connect(AF_INET, nt_port(l));
    CHECK(c >= 0, "v4 client connects to the v6 wildcard listener");
    struct sockaddr_in6 peer;
    socklen_t pl = sizeof peer;
    int s = accept(l, (struct sockaddr *)&peer, &pl);
    char txt[64] = "";
    inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt);
    CHECK_STR(txt, "::ffff:127.0.0.1", "the v4 client shows as a mapped address");
    CHECK(s >= 0 && write(c, "x", 1) == 1 && read(s, txt, 1) == 1 && txt[0] == 'x', "data through the mapped connection");
    close(s);
    close(c);
    close(l);
    int v6 = socket(AF_INET6, SOCK_STREAM, 0), on = 1;
    setsockopt(v6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    struct sockaddr_in6 mapped = { .sin6_family = AF_INET6 };
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    CHECK_ERR(bind(v6, (struct sockaddr *)&mapped, sizeof mapped), EINVAL, "a v6-only socket cannot bind a mapped address");
    close(v6);
    int v4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in far = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000063) };
    CHECK_ERR(bind(v4, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL, "bind to an address that is not local is EADDRNOTAVAIL");
    close(v4);
    return kt_done();
}
