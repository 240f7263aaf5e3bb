/*
 * udp.c - UDP over loopback, IPv4 and IPv6: bind with port 0, sendto and
 * recvfrom with the sender's address, connect filtering, MSG_PEEK,
 * MSG_TRUNC, MSG_DONTWAIT, SO_RCVBUF drops, EMSGSIZE, EDESTADDRREQ, and
 * ICMP port unreachable reported as ECONNREFUSED on a connected socket.
 */
#include "nettest.h"

static int udp_bound(int fam, struct sockaddr_storage *ss, socklen_t *len)
{
    int fd = socket(fam, SOCK_DGRAM, 0);
    *len = nt_addr(fam, ss, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)ss, *len) < 0)
        return -1;
    *len = sizeof *ss;
    getsockname(fd, (struct sockaddr *)ss, len);
    return fd;
}

static void run(int fam)
{
    char d[160], buf[70000];
    const char *F = nt_fam(fam);
    struct sockaddr_storage sa, sb, from;
    socklen_t la, lb, lf;
    int a = udp_bound(fam, &sa, &la), b = udp_bound(fam, &sb, &lb);
    snprintf(d, sizeof d, "%s: two sockets bound to port 0", F);
    CHECK(a >= 0 && b >= 0, d);
    snprintf(d, sizeof d, "%s: port 0 picked an unprivileged port", F);
    CHECK(nt_port(a) >= 1024 && nt_port(b) >= 1024 && nt_port(a) != nt_port(b), d);

    snprintf(d, sizeof d, "%s: sendto a bound socket", F);
    CHECK_EQ(sendto(a, "hello", 5, 0, (struct sockaddr *)&sb, lb), 5, d);
    lf = sizeof from;
    memset(buf, 0, 16);
    snprintf(d, sizeof d, "%s: recvfrom gets the datagram", F);
    CHECK_EQ(recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &lf), 5, d);
    snprintf(d, sizeof d, "%s: recvfrom names the sender", F);
    CHECK(lf == la && memcmp(&from, &sa, la) == 0 && memcmp(buf, "hello", 5) == 0, d);

    snprintf(d, sizeof d, "%s: MSG_DONTWAIT on an empty socket is EAGAIN", F);
    CHECK_ERR(recv(b, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);

    /* MSG_PEEK, FIONREAD, truncation. */
    sendto(a, "0123456789", 10, 0, (struct sockaddr *)&sb, lb);
    sendto(a, "second", 6, 0, (struct sockaddr *)&sb, lb);
    int n = -1;
    ioctl(b, FIONREAD, &n);
    snprintf(d, sizeof d, "%s: FIONREAD is the first datagram's size", F);
    CHECK_EQ(n, 10, d);
    snprintf(d, sizeof d, "%s: MSG_PEEK leaves the datagram", F);
    CHECK_EQ(recv(b, buf, sizeof buf, MSG_PEEK), 10, d);
    snprintf(d, sizeof d, "%s: MSG_TRUNC returns the real length", F);
    CHECK_EQ(recv(b, buf, 4, MSG_TRUNC | MSG_PEEK), 10, d);
    struct iovec iov = { buf, 4 };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    snprintf(d, sizeof d, "%s: recvmsg into a short buffer returns what fit", F);
    CHECK_EQ(recvmsg(b, &mh, 0), 4, d);
    snprintf(d, sizeof d, "%s: recvmsg sets MSG_TRUNC and the rest is dropped", F);
    CHECK((mh.msg_flags & MSG_TRUNC) && memcmp(buf, "0123", 4) == 0, d);
    snprintf(d, sizeof d, "%s: the next datagram follows", F);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 6, d);

    /* Sizes. */
    int max = fam == AF_INET ? 65507 : 65527;
    memset(buf, 'x', sizeof buf);
    snprintf(d, sizeof d, "%s: the largest datagram goes", F);
    CHECK_EQ(sendto(a, buf, max, 0, (struct sockaddr *)&sb, lb), max, d);
    snprintf(d, sizeof d, "%s: and arrives whole", F);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), max, d);
    snprintf(d, sizeof d, "%s: one byte more is EMSGSIZE", F);
    CHECK_ERR(sendto(a, buf, max + 1, 0, (struct sockaddr *)&sb, lb), EMSGSIZE, d);
    snprintf(d, sizeof d, "%s: an empty datagram", F);
    CHECK_EQ(sendto(a, buf, 0, 0, (struct sockaddr *)&sb, lb), 0, d);
    snprintf(d, sizeof d, "%s: arrives as an empty datagram", F);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 0, d);

    snprintf(d, sizeof d, "%s: send without a destination is EDESTADDRREQ", F);
    CHECK_ERR(send(a, "x", 1, 0), EDESTADDRREQ, d);
    snprintf(d, sizeof d, "%s: getpeername of an unconnected socket is ENOTCONN", F);
    lf = sizeof from;
    CHECK_ERR(getpeername(a, (struct sockaddr *)&from, &lf), ENOTCONN, d);
    snprintf(d, sizeof d, "%s: shutdown of an unconnected socket is ENOTCONN", F);
    CHECK_ERR(shutdown(a, SHUT_RD), ENOTCONN, d);

    /* A connected socket hears only its peer. */
    int c = udp_bound(fam, &from, &lf);
    snprintf(d, sizeof d, "%s: connect a datagram socket", F);
    CHECK_OK(connect(b, (struct sockaddr *)&sa, la), d);
    sendto(c, "stranger", 8, 0, (struct sockaddr *)&sb, lb);
    sendto(a, "peer", 4, 0, (struct sockaddr *)&sb, lb);
    memset(buf, 0, 16);
    snprintf(d, sizeof d, "%s: a connected socket drops other senders", F);
    CHECK(recv(b, buf, sizeof buf, MSG_DONTWAIT) == 4 && memcmp(buf, "peer", 4) == 0, d);
    snprintf(d, sizeof d, "%s: send on the connected socket", F);
    CHECK_EQ(send(b, "back", 4, 0), 4, d);
    CHECK_EQ(recv(a, buf, sizeof buf, MSG_DONTWAIT), 4, "recv the answer");
    struct sockaddr_storage unspec = { .ss_family = AF_UNSPEC };
    snprintf(d, sizeof d, "%s: connect AF_UNSPEC dissolves the association", F);
    CHECK_OK(connect(b, (struct sockaddr *)&unspec, sizeof unspec), d);
    /* As Linux: a port the kernel picked (bind to port 0) goes with it. */
    snprintf(d, sizeof d, "%s: and unbinds a kernel-picked port", F);
    CHECK_EQ(nt_port(b), 0, d);
    lb = nt_addr(fam, &sb, 0);
    bind(b, (struct sockaddr *)&sb, lb);
    lb = sizeof sb;
    getsockname(b, (struct sockaddr *)&sb, &lb);
    sendto(c, "stranger", 8, 0, (struct sockaddr *)&sb, lb);
    snprintf(d, sizeof d, "%s: then anyone is heard again", F);
    CHECK_EQ(recv(b, buf, sizeof buf, MSG_DONTWAIT), 8, d);

    /* Port unreachable: a closed port refuses a connected sender. */
    int port = nt_port(c);
    close(c);
    int e = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage dead;
    socklen_t ld = nt_addr(fam, &dead, port);
    connect(e, (struct sockaddr *)&dead, ld);
    snprintf(d, sizeof d, "%s: send to a closed port succeeds", F);
    CHECK_EQ(send(e, "x", 1, 0), 1, d);
    snprintf(d, sizeof d, "%s: the ICMP error shows as POLLERR", F);
    CHECK_EQ(nt_poll(e, POLLIN, 2000), POLLERR, d);
    snprintf(d, sizeof d, "%s: recv reports ECONNREFUSED", F);
    CHECK_ERR(recv(e, buf, sizeof buf, MSG_DONTWAIT), ECONNREFUSED, d);
    snprintf(d, sizeof d, "%s: once", F);
    CHECK_ERR(recv(e, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    send(e, "x", 1, 0);
    nt_poll(e, POLLIN, 2000);
    snprintf(d, sizeof d, "%s: the next send reports it", F);
    CHECK_ERR(send(e, "x", 1, 0), ECONNREFUSED, d);
    close(e);

    /* A small receive buffer drops what does not fit. */
    int small = 4096, got = 0, sent = 0;
    setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    socklen_t ol = sizeof small;
    getsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, &ol);
    snprintf(d, sizeof d, "%s: SO_RCVBUF reads back doubled", F);
    CHECK_EQ(small, 8192, d);
    for (int i = 0; i < 50; i++)
        sent += sendto(a, buf, 1000, 0, (struct sockaddr *)&sb, lb) == 1000;
    while (recv(b, buf, sizeof buf, MSG_DONTWAIT) == 1000)
        got++;
    snprintf(d, sizeof d, "%s: a full receive buffer drops datagrams (%d of %d kept)", F, got > 0 && got < 50 ? 1 : got, sent);
    CHECK(got >= 1 && got < 50 && sent == 50, d);
    close(a);
    close(b);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    run(AF_INET);
    run(AF_INET6);
    int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP);
    CHECK(s < 0 && errno == EPROTONOSUPPORT, "a datagram socket with IPPROTO_TCP is EPROTONOSUPPORT");
    CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT, "SOCK_SEQPACKET is ESOCKTNOSUPPORT");
    return kt_done();
}
