/*
 * recverr.c - IP_RECVERR and IPV6_RECVERR on UDP sockets: an ICMP port
 * unreachable for a datagram sent to a closed loopback port is queued on
 * the sender's error queue (even unconnected), POLLERR shows it, and
 * recvmsg(MSG_ERRQUEUE) returns the datagram's payload, its destination
 * as msg_name and a control message with struct sock_extended_err and the
 * offender's address; the queue never blocks (EAGAIN when empty). Without
 * the option an unconnected sender hears nothing. v4 and v6. Run under
 * qemu-riscv64 (the host's Linux) and Ghost.
 */
#include "nettest.h"
#include <linux/errqueue.h>
#include <poll.h>

/* The port (host order) in a sockaddr_in or sockaddr_in6. */
static int nt_port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* A loopback port nobody listens on (bound, noted, closed). */
static int closed_port(int fam)
{
    int fd = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, 0);
    bind(fd, (struct sockaddr *)&ss, len);
    int port = nt_port(fd);
    close(fd);
    return port;
}

static void recverr(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    int v6 = fam == AF_INET6;
    int level = v6 ? SOL_IPV6 : SOL_IP, opt = v6 ? IPV6_RECVERR : IP_RECVERR;
    int port = closed_port(fam);
    struct sockaddr_storage to;
    socklen_t tolen = nt_addr(fam, &to, port);

    /* Without the option: an unconnected sender hears nothing. */
    int q = socket(fam, SOCK_DGRAM, 0);
    sendto(q, "quiet", 5, 0, (struct sockaddr *)&to, tolen);
    snprintf(d, sizeof d, "%s: without RECVERR no error is queued", F);
    CHECK_EQ(nt_poll(q, POLLIN, 300) & POLLERR, 0, d);
    char buf[64];
    snprintf(d, sizeof d, "%s: MSG_ERRQUEUE on an empty queue is EAGAIN", F);
    CHECK_ERR(recv(q, buf, sizeof buf, MSG_ERRQUEUE), EAGAIN, d);
    close(q);

    int s = socket(fam, SOCK_DGRAM, 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    snprintf(d, sizeof d, "%s: RECVERR set", F);
    CHECK_OK(setsockopt(s, level, opt, &one, sizeof one), d);
    getsockopt(s, level, opt, &v, &vl);
    snprintf(d, sizeof d, "%s: RECVERR reads back as 1", F);
    CHECK_EQ(v, 1, d);
    sendto(s, "hello, nobody", 13, 0, (struct sockaddr *)&to, tolen);
    snprintf(d, sizeof d, "%s: the error shows as POLLERR", F);
    CHECK(nt_poll(s, POLLIN, 5000) & POLLERR, d);

    struct sockaddr_storage name;
    union { char b[512]; struct cmsghdr align; } ctl;
    struct iovec iov = { buf, 5 };
    struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
    memset(buf, 0, sizeof buf);
    ssize_t n = recvmsg(s, &m, MSG_ERRQUEUE);
    snprintf(d, sizeof d, "%s: MSG_ERRQUEUE returns the payload, cut to the buffer", F);
    CHECK(n == 5 && memcmp(buf, "hello", 5) == 0, d);
    snprintf(d, sizeof d, "%s: msg_flags: MSG_ERRQUEUE and MSG_TRUNC", F);
    CHECK_EQ(m.msg_flags & (MSG_ERRQUEUE | MSG_TRUNC), MSG_ERRQUEUE | MSG_TRUNC, d);
    snprintf(d, sizeof d, "%s: msg_name is the datagram's destination", F);
    CHECK(m.msg_namelen == tolen && nt_port_of(&name) == port, d);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    snprintf(d, sizeof d, "%s: one control message at the socket's level", F);
    CHECK(c && c->cmsg_level == level && c->cmsg_type == opt, d);
    if (c) {
        struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
        snprintf(d, sizeof d, "%s: ee_errno is ECONNREFUSED", F);
        CHECK_EQ(ee->ee_errno, ECONNREFUSED, d);
        snprintf(d, sizeof d, "%s: ee_origin, type and code: port unreachable", F);
        CHECK(ee->ee_origin == (v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP) && ee->ee_type == (v6 ? 1 : 3) &&
              ee->ee_code == (v6 ? 4 : 3) && ee->ee_info == 0 && ee->ee_data == 0, d);
        struct sockaddr *off = SO_EE_OFFENDER(ee);
        snprintf(d, sizeof d, "%s: the offender is the loopback address", F);
        CHECK(off->sa_family == fam && (v6 ? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)off)->sin6_addr)
                                            : ((struct sockaddr_in *)off)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)), d);
    }
    snprintf(d, sizeof d, "%s: the entry is gone: EAGAIN, and SO_ERROR is 0", F);
    int err = -1;
    vl = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &vl);
    CHECK(recv(s, buf, sizeof buf, MSG_ERRQUEUE | MSG_DONTWAIT) < 0 && errno == EAGAIN && err == 0, d);

    /* A second error is pending until read: recv reports it once (ECONNREFUSED). */
    sendto(s, "again", 5, 0, (struct sockaddr *)&to, tolen);
    nt_poll(s, POLLIN, 5000);
    snprintf(d, sizeof d, "%s: a plain recv reports the pending error", F);
    CHECK_ERR(recv(s, buf, sizeof buf, MSG_DONTWAIT), ECONNREFUSED, d);
    snprintf(d, sizeof d, "%s: the queue still holds it (recvfrom gives the payload)", F);
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    CHECK(recvfrom(s, buf, sizeof buf, MSG_ERRQUEUE, (struct sockaddr *)&from, &fl) == 5 && nt_port_of(&from) == port, d);
    close(s);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    recverr(AF_INET);
    recverr(AF_INET6);
    return kt_done();
}
