/*
 * tcpmore.c - more of TCP's edges, IPv4 and IPv6: SO_RCVTIMEO, the local
 * address an unbound connect gets (also to 127.0.0.2), SHUT_RD,
 * accept4's flags, SO_REUSEPORT listeners, and a non-blocking writer
 * filling a small send buffer against a reader that does not read, then
 * every byte arriving once the reader drains it.
 */
#include "nettest.h"
#include <fcntl.h>
#include <sys/wait.h>

static void run(int fam)
{
    char d[160], buf[4096];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 8, 0), port = nt_port(l);
    int c = nt_connect(fam, port);
    int s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    snprintf(d, sizeof d, "%s: accept4 sets O_NONBLOCK and FD_CLOEXEC", F);
    CHECK(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFD) & FD_CLOEXEC), d);
    snprintf(d, sizeof d, "%s: the accepted socket reads EAGAIN", F);
    CHECK_ERR(read(s, buf, 1), EAGAIN, d);

    struct sockaddr_storage name;
    socklen_t nl = sizeof name;
    getsockname(c, (struct sockaddr *)&name, &nl);
    struct sockaddr_storage lo;
    nt_addr(fam, &lo, 0);
    int same = fam == AF_INET ? ((struct sockaddr_in *)&name)->sin_addr.s_addr == ((struct sockaddr_in *)&lo)->sin_addr.s_addr
                              : memcmp(&((struct sockaddr_in6 *)&name)->sin6_addr, &in6addr_loopback, 16) == 0;
    snprintf(d, sizeof d, "%s: an unbound connect gets the loopback address and a port", F);
    CHECK(same && nt_port(c) > 0, d);

    struct timeval tv = { 0, 100000 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    long long t0 = vt_now_ms();
    snprintf(d, sizeof d, "%s: SO_RCVTIMEO ends a read with EAGAIN", F);
    CHECK_ERR(read(c, buf, 1), EAGAIN, d);
    snprintf(d, sizeof d, "%s: after about the timeout", F);
    CHECK(vt_now_ms() - t0 >= 90, d);

    snprintf(d, sizeof d, "%s: shutdown(SHUT_RD)", F);
    CHECK_OK(shutdown(c, SHUT_RD), d);
    snprintf(d, sizeof d, "%s: then read is EOF at once", F);
    CHECK_EQ(read(c, buf, 1), 0, d);
    snprintf(d, sizeof d, "%s: and it polls POLLIN|POLLOUT|POLLRDHUP", F);
    CHECK_EQ(nt_poll(c, POLLIN | POLLOUT | POLLRDHUP, 0), POLLIN | POLLOUT | POLLRDHUP, d);
    close(c);
    close(s);

    /* A small send buffer against a reader that does not read. */
    c = nt_connect(fam, port);
    s = accept(l, NULL, NULL);
    int small = 8192;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    fcntl(c, F_SETFL, O_NONBLOCK);
    static char chunk[1000];
    for (int i = 0; i < (int)sizeof chunk; i++)
        chunk[i] = (char)(i * 13);
    long sent = 0;
    int eagain = 0;
    for (int i = 0; i < 20000 && !eagain; i++) {
        ssize_t n = write(c, chunk, sizeof chunk);
        if (n > 0)
            sent += n;
        else
            eagain = n < 0 && errno == EAGAIN;
    }
    snprintf(d, sizeof d, "%s: a non-blocking writer fills the buffers and gets EAGAIN", F);
    CHECK(eagain && sent > 0 && sent < 20000L * 1000, d);
    snprintf(d, sizeof d, "%s: and does not poll writable", F);
    CHECK_EQ(nt_poll(c, POLLOUT, 0), 0, d);
    long got = 0;
    int bad = 0;
    while (got < sent) {
        if (nt_poll(s, POLLIN, 30000) != POLLIN)
            break;
        ssize_t n = read(s, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            bad |= buf[i] != chunk[(got + i) % 1000];
        got += n;
    }
    snprintf(d, sizeof d, "%s: the reader gets every byte in order", F);
    CHECK(got == sent && !bad, d);
    snprintf(d, sizeof d, "%s: the writer is writable again", F);
    CHECK_EQ(nt_poll(c, POLLOUT, 30000), POLLOUT, d);
    close(c);
    close(s);
    close(l);

    /* SO_REUSEPORT: two listeners on one port. */
    int one = 1, a = socket(fam, SOCK_STREAM, 0), b = socket(fam, SOCK_STREAM, 0);
    setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, 0);
    bind(a, (struct sockaddr *)&ss, len);
    listen(a, 4);
    len = nt_addr(fam, &ss, nt_port(a));
    snprintf(d, sizeof d, "%s: SO_REUSEPORT lets a second socket bind the port", F);
    CHECK_OK(bind(b, (struct sockaddr *)&ss, len), d);
    snprintf(d, sizeof d, "%s: and listen", F);
    CHECK_OK(listen(b, 4), d);
    close(a);
    close(b);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    run(AF_INET);
    run(AF_INET6);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = { .sin_family = AF_INET };
    bind(l, (struct sockaddr *)&any, sizeof any);
    listen(l, 4);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(nt_port(l)), .sin_addr.s_addr = htonl(0x7f000002) };
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&to, sizeof to), "connect to 127.0.0.2");
    int s = accept(l, NULL, NULL);
    struct sockaddr_in n;
    socklen_t nl = sizeof n;
    getsockname(s, (struct sockaddr *)&n, &nl);
    CHECK(n.sin_addr.s_addr == htonl(0x7f000002), "the server side's address is 127.0.0.2");
    close(s);
    close(c);
    close(l);
    return kt_done();
}
