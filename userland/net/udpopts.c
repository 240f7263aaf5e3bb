/*
 * udpopts.c - UDP and IPv6 socket options over loopback, as Linux has them:
 *   - UDP_CORK (udp_lib_setsockopt): while set, every send joins one
 *     corked datagram to the first call's destination (later addresses not
 *     looked at) and nothing is sent; clearing it sends the datagram; with
 *     nothing corked, clearing sends nothing. It reads back; SOL_UDP's
 *     unknown options and UDP_CORK on a TCP socket are ENOPROTOOPT.
 *   - IPV6_MTU_DISCOVER (WANT by default, 0..5, else EINVAL) and
 *     IPV6_DONTFRAG (__ip6_append_data): a datagram over the path MTU
 *     (lo's 65,536 bytes: 65,500 of payload with the UDP and IPv6
 *     headers) is sent whole by default and with IP_PMTUDISC_OMIT, and is
 *     EMSGSIZE with IPV6_DONTFRAG or IP_PMTUDISC_DO/PROBE; under
 *     IPV6_RECVERR the error is queued too (SO_EE_ORIGIN_LOCAL, the MTU in
 *     ee_info). IPv4's IP_MTU_DISCOVER does not govern IPv6 datagrams.
 *   - IP_MTU and IPV6_MTU: ENOTCONN unconnected, the MTU of the path
 *     (lo's) connected.
 * Run under qemu-riscv64 (the host's Linux), natively for what qemu-user
 * does not convert (IP_MTU, IPV6_DONTFRAG), and under Ghost.
 */
#include "nettest.h"
#include <linux/errqueue.h>
#include <netinet/udp.h>

#define BIG 65500

static int udp_bound(int fam)
{
    int fd = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, 0);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The next datagram's length within 10 s (-1 for none), its bytes in buf. */
static ssize_t next_dgram(int fd, char *buf, size_t n)
{
    if (!(nt_poll(fd, POLLIN, 10000) & POLLIN))
        return -1;
    return recv(fd, buf, n, MSG_DONTWAIT);
}

static void cork(int fam)
{
    char d[128], buf[64];
    const char *f = nt_fam(fam);
    int r = udp_bound(fam), other = udp_bound(fam), s = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage to, to2;
    socklen_t tl = nt_addr(fam, &to, nt_port(r));
    nt_addr(fam, &to2, nt_port(other));
    int v = -1, one = 1, zero = 0;
    socklen_t l = sizeof v;
    getsockopt(s, SOL_UDP, UDP_CORK, &v, &l);
    snprintf(d, sizeof d, "%s: UDP_CORK is 0 by default", f);
    CHECK_EQ(v, 0, d);
    snprintf(d, sizeof d, "%s: UDP_CORK set", f);
    CHECK_OK(setsockopt(s, SOL_UDP, UDP_CORK, &one, sizeof one), d);
    l = sizeof v;
    getsockopt(s, SOL_UDP, UDP_CORK, &v, &l);
    snprintf(d, sizeof d, "%s: UDP_CORK reads back 1", f);
    CHECK_EQ(v, 1, d);
    sendto(s, "ab", 2, 0, (struct sockaddr *)&to, tl);
    sendto(s, "cd", 2, 0, (struct sockaddr *)&to2, tl);
    snprintf(d, sizeof d, "%s: corked sends return their length", f);
    CHECK_EQ(sendto(s, "ef", 2, 0, (struct sockaddr *)&to2, tl), 2, d);
    snprintf(d, sizeof d, "%s: nothing arrives while corked", f);
    CHECK_ERR(recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    setsockopt(s, SOL_UDP, UDP_CORK, &zero, sizeof zero);
    ssize_t n = next_dgram(r, buf, sizeof buf);
    snprintf(d, sizeof d, "%s: clearing UDP_CORK sends one datagram of every piece, to the first address", f);
    CHECK(n == 6 && memcmp(buf, "abcdef", 6) == 0, d);
    snprintf(d, sizeof d, "%s: the later addresses got nothing", f);
    CHECK_ERR(recv(other, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    setsockopt(s, SOL_UDP, UDP_CORK, &one, sizeof one);
    setsockopt(s, SOL_UDP, UDP_CORK, &zero, sizeof zero);
    sendto(s, "gh", 2, 0, (struct sockaddr *)&to, tl);
    n = next_dgram(r, buf, sizeof buf);
    snprintf(d, sizeof d, "%s: uncorking with nothing corked sends nothing; later sends go alone", f);
    CHECK(n == 2 && memcmp(buf, "gh", 2) == 0, d);
    /* MSG_MORE and UDP_CORK are one request (corkreq): a corked send with MSG_MORE waits for the uncork too. */
    setsockopt(s, SOL_UDP, UDP_CORK, &one, sizeof one);
    sendto(s, "ij", 2, MSG_MORE, (struct sockaddr *)&to, tl);
    sendto(s, "kl", 2, 0, (struct sockaddr *)&to, tl);
    snprintf(d, sizeof d, "%s: a send without MSG_MORE stays corked under UDP_CORK", f);
    CHECK_ERR(recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    setsockopt(s, SOL_UDP, UDP_CORK, &zero, sizeof zero);
    n = next_dgram(r, buf, sizeof buf);
    snprintf(d, sizeof d, "%s: MSG_MORE and UDP_CORK pieces go as one", f);
    CHECK(n == 4 && memcmp(buf, "ijkl", 4) == 0, d);
    snprintf(d, sizeof d, "%s: an unknown SOL_UDP option: ENOPROTOOPT", f);
    CHECK_ERR(setsockopt(s, SOL_UDP, 999, &one, sizeof one), ENOPROTOOPT, d);
    l = sizeof v;
    snprintf(d, sizeof d, "%s: getsockopt of an unknown SOL_UDP option: ENOPROTOOPT", f);
    CHECK_ERR(getsockopt(s, SOL_UDP, 999, &v, &l), ENOPROTOOPT, d);
    int t = socket(fam, SOCK_STREAM, 0);
    snprintf(d, sizeof d, "%s: UDP_CORK on a TCP socket: ENOPROTOOPT", f);
    CHECK_ERR(setsockopt(t, SOL_UDP, UDP_CORK, &one, sizeof one), ENOPROTOOPT, d);
    close(t);
    close(r);
    close(other);
    close(s);
}

static void mtu(int fam)
{
    char d[128];
    const char *f = nt_fam(fam);
    int s = socket(fam, SOCK_DGRAM, 0), v = -1;
    socklen_t l = sizeof v;
    int level = fam == AF_INET ? SOL_IP : SOL_IPV6, name = fam == AF_INET ? IP_MTU : IPV6_MTU;
    if (fam == AF_INET && kt_qemu()) {
        kt_skip("v4: IP_MTU", "qemu-user does not convert it (checked natively)");
        close(s);
        return;
    }
    snprintf(d, sizeof d, "%s: the path MTU of an unconnected socket: ENOTCONN", f);
    CHECK_ERR(getsockopt(s, level, name, &v, &l), ENOTCONN, d);
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(fam, &to, 9);
    connect(s, (struct sockaddr *)&to, tl);
    l = sizeof v;
    /* IPv4's route MTU is at most IP_MAX_MTU (ipv4_mtu), 65,535. */
    snprintf(d, sizeof d, "%s: connected to loopback, the path MTU is lo's", f);
    CHECK(getsockopt(s, level, name, &v, &l) == 0 && v == (fam == AF_INET ? 65535 : 65536), d);
    close(s);
}

static void dontfrag(void)
{
    static char big[BIG];
    int r = udp_bound(AF_INET6), s = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(AF_INET6, &to, nt_port(r));
    int v = -1, one = 1, zero = 0, rcv = 1 << 20;
    setsockopt(r, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    socklen_t l = sizeof v;
    getsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, &l);
    CHECK_EQ(v, IPV6_PMTUDISC_WANT, "IPV6_MTU_DISCOVER is WANT by default");
    v = 6;
    CHECK_ERR(setsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v), EINVAL, "IPV6_MTU_DISCOVER 6: EINVAL");
    static char buf[BIG + 16];
    CHECK_EQ(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), BIG, "over lo's MTU by default: sent");
    CHECK_EQ(next_dgram(r, buf, sizeof buf), BIG, "and it arrives whole");
    if (kt_qemu()) {
        kt_skip("IPV6_DONTFRAG", "qemu-user does not convert it (checked natively)");
        goto pmtudisc;
    }
    l = sizeof v;
    getsockopt(s, SOL_IPV6, IPV6_DONTFRAG, &v, &l);
    CHECK_EQ(v, 0, "IPV6_DONTFRAG is 0 by default");
    v = 2;
    setsockopt(s, SOL_IPV6, IPV6_DONTFRAG, &v, sizeof v);
    l = sizeof v;
    getsockopt(s, SOL_IPV6, IPV6_DONTFRAG, &v, &l);
    CHECK_EQ(v, 1, "IPV6_DONTFRAG 2 reads back 1");
    setsockopt(s, SOL_IPV6, IPV6_DONTFRAG, &one, sizeof one);
    CHECK_ERR(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), EMSGSIZE, "IPV6_DONTFRAG: EMSGSIZE");
    CHECK_EQ(sendto(s, big, 1000, 0, (struct sockaddr *)&to, tl), 1000, "IPV6_DONTFRAG: a datagram that fits goes");
    CHECK_EQ(next_dgram(r, buf, sizeof buf), 1000, "and arrives");

    setsockopt(s, SOL_IPV6, IPV6_RECVERR, &one, sizeof one);
    CHECK_ERR(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), EMSGSIZE, "IPV6_DONTFRAG under IPV6_RECVERR: EMSGSIZE");
    char data[64], ctl[512];
    struct sockaddr_in6 name;
    struct iovec iov = { data, sizeof data };
    struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl, .msg_controllen = sizeof ctl };
    CHECK_EQ(recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT), 0, "the error queue holds an entry without payload");
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct sock_extended_err *ee = c ? (struct sock_extended_err *)CMSG_DATA(c) : NULL;
    CHECK(c && c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR, "as SOL_IPV6/IPV6_RECVERR");
    CHECK(ee && ee->ee_errno == EMSGSIZE && ee->ee_origin == SO_EE_ORIGIN_LOCAL && ee->ee_info == 65536,
          "EMSGSIZE, SO_EE_ORIGIN_LOCAL, the MTU 65536 in ee_info");
    setsockopt(s, SOL_IPV6, IPV6_RECVERR, &zero, sizeof zero);
    setsockopt(s, SOL_IPV6, IPV6_DONTFRAG, &zero, sizeof zero);

pmtudisc:
    v = IPV6_PMTUDISC_DO;
    setsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v);
    CHECK_ERR(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), EMSGSIZE, "IP_PMTUDISC_DO: EMSGSIZE");
    v = IPV6_PMTUDISC_PROBE;
    setsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v);
    CHECK_ERR(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), EMSGSIZE, "IP_PMTUDISC_PROBE: EMSGSIZE");
    v = IPV6_PMTUDISC_OMIT;
    setsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v);
    CHECK_EQ(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), BIG, "IP_PMTUDISC_OMIT: sent");
    CHECK_EQ(next_dgram(r, buf, sizeof buf), BIG, "and it arrives whole");
    v = IPV6_PMTUDISC_WANT;
    setsockopt(s, SOL_IPV6, IPV6_MTU_DISCOVER, &v, sizeof v);
    v = IP_PMTUDISC_DO;
    setsockopt(s, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v);
    CHECK_EQ(sendto(s, big, BIG, 0, (struct sockaddr *)&to, tl), BIG, "IP_MTU_DISCOVER does not govern an IPv6 datagram");
    CHECK_EQ(next_dgram(r, buf, sizeof buf), BIG, "and it arrives whole");
    close(r);
    close(s);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    cork(AF_INET);
    cork(AF_INET6);
    mtu(AF_INET);
    mtu(AF_INET6);
    dontfrag();
    return kt_done();
}
