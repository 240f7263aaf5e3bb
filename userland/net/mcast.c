/*
 * mcast.c - IP multicast on UDP sockets over loopback, as Linux has it
 * with lo alone (net/ipv4/igmp.c, net/ipv6/mcast.c):
 *   - the options' defaults and limits: IP_MULTICAST_TTL 1 (an int, or
 *     one byte when asked with a shorter length; -1 means the default),
 *     IP_MULTICAST_LOOP 1, IP_MULTICAST_IF 0.0.0.0, IPV6_MULTICAST_HOPS 1,
 *     IPV6_MULTICAST_LOOP 1 (only 0 and 1), IPV6_MULTICAST_IF 0 (an
 *     unknown index ENODEV);
 *   - memberships: IP_ADD_MEMBERSHIP of a unicast address EINVAL, on an
 *     unknown device ENODEV, twice EADDRINUSE, IP_DROP_MEMBERSHIP of none
 *     EADDRNOTAVAIL; struct ip_mreqn by index; MCAST_JOIN_GROUP (not
 *     under qemu-user, which lacks it: checked natively);
 *   - delivery: with IP_MULTICAST_IF naming lo (no route covers 224/4
 *     otherwise: ENETUNREACH without eth0) a datagram to a joined group
 *     reaches every socket bound to the port (IP_MULTICAST_ALL), even
 *     with IP_MULTICAST_LOOP off (lo hears what it sends), from
 *     127.0.0.1; one bound to the group hears it, one bound to another
 *     group does not; once the group is dropped nobody does;
 *   - IPv6: the same membership errors; lo has no multicast route, so a
 *     datagram to a group is ENETUNREACH even through lo.
 * An absent datagram is checked without a timeout: a unicast datagram
 * sent after it must be the next one read.
 *
 * Under qemu-riscv64 (and natively) in a network namespace of the
 * program's own (root; skipped otherwise), so that lo is the only device;
 * under Ghost beside eth0 (the checks that need lo alone are left out,
 * and eth0's loopback of a group's datagrams is checked).
 */
#include "nettest.h"

#define GROUP "239.1.2.3"
#define GROUP6 "ff15::1234"

static int udp_on(int fam, const char *addr, int port)
{
    int fd = socket(fam, SOCK_DGRAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, port);
    if (addr) {
        if (fam == AF_INET)
            inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr);
        else
            inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    } else if (fam == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The next datagram on fd within 10 s: its first byte, -1 for none; *from gets the source. */
static int next_byte(int fd, struct sockaddr_in *from)
{
    if (!(nt_poll(fd, POLLIN, 10000) & POLLIN))
        return -1;
    char b[16];
    struct sockaddr_in f;
    socklen_t l = sizeof f;
    if (recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&f, &l) < 1)
        return -1;
    if (from)
        *from = f;
    return (unsigned char)b[0];
}

static void send_to(int s, const char *addr, int port, char c)
{
    struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, addr, &d.sin_addr);
    sendto(s, &c, 1, 0, (struct sockaddr *)&d, sizeof d);
}

static void v4(int has_eth0)
{
    int r = udp_on(AF_INET, NULL, 0);
    int port = nt_port(r);
    int r2 = udp_on(AF_INET, NULL, port);
    int other = udp_on(AF_INET, NULL, 0);
    CHECK(r >= 0 && r2 >= 0 && other >= 0, "v4: receivers bound");

    int v = -5;
    socklen_t l = sizeof v;
    getsockopt(r, SOL_IP, IP_MULTICAST_TTL, &v, &l);
    CHECK(v == 1 && l == 4, "IP_MULTICAST_TTL is 1 by default");
    unsigned char c = 9;
    l = 1;
    getsockopt(r, SOL_IP, IP_MULTICAST_TTL, &c, &l);
    CHECK(c == 1 && l == 1, "IP_MULTICAST_TTL read into one byte is one byte");
    l = sizeof v;
    getsockopt(r, SOL_IP, IP_MULTICAST_LOOP, &v, &l);
    CHECK_EQ(v, 1, "IP_MULTICAST_LOOP is on by default");
    struct in_addr ia = { 0xffffffff };
    l = sizeof ia;
    if (!kt_qemu()) {
        getsockopt(r, SOL_IP, IP_MULTICAST_IF, &ia, &l);
        CHECK(ia.s_addr == htonl(INADDR_ANY) && l == 4, "IP_MULTICAST_IF is 0.0.0.0 by default");
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    v = 256;
    CHECK_ERR(setsockopt(s, SOL_IP, IP_MULTICAST_TTL, &v, sizeof v), EINVAL, "IP_MULTICAST_TTL 256: EINVAL");
    v = 7;
    setsockopt(s, SOL_IP, IP_MULTICAST_TTL, &v, sizeof v);
    v = -1;
    CHECK_OK(setsockopt(s, SOL_IP, IP_MULTICAST_TTL, &v, sizeof v), "IP_MULTICAST_TTL -1");
    l = sizeof v;
    getsockopt(s, SOL_IP, IP_MULTICAST_TTL, &v, &l);
    CHECK_EQ(v, 1, "IP_MULTICAST_TTL -1 is the default, 1");
    c = 5;
    CHECK_OK(setsockopt(s, SOL_IP, IP_MULTICAST_TTL, &c, 1), "IP_MULTICAST_TTL from one byte");
    l = sizeof v;
    getsockopt(s, SOL_IP, IP_MULTICAST_TTL, &v, &l);
    CHECK_EQ(v, 5, "IP_MULTICAST_TTL set from one byte");

    struct ip_mreq m;
    inet_pton(AF_INET, GROUP, &m.imr_multiaddr);
    m.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    struct ip_mreq uni = m;
    uni.imr_multiaddr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_ERR(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &uni, sizeof uni), EINVAL, "joining a unicast address: EINVAL");
    CHECK_ERR(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &m, 4), EINVAL, "IP_ADD_MEMBERSHIP shorter than ip_mreq: EINVAL");
    struct ip_mreqn mn;
    memset(&mn, 0, sizeof mn);
    mn.imr_multiaddr = m.imr_multiaddr;
    mn.imr_ifindex = 99;
    /* qemu-user converts struct ip_mreqn's index wrongly: checked natively. */
    if (!kt_qemu())
        CHECK_ERR(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &mn, sizeof mn), ENODEV, "joining on an unknown device index: ENODEV");
    if (!has_eth0) {
        struct ip_mreq any = m;
        any.imr_interface.s_addr = htonl(INADDR_ANY);
        CHECK_ERR(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &any, sizeof any), ENODEV, "joining with no device and no route: ENODEV");
    }
    CHECK_OK(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof m), "IP_ADD_MEMBERSHIP on 127.0.0.1");
    CHECK_ERR(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof m), EADDRINUSE, "joining twice: EADDRINUSE");

    if (!has_eth0) {
        struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, GROUP, &d.sin_addr);
        CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof d), ENETUNREACH, "sending to a group without IP_MULTICAST_IF: ENETUNREACH");
    }
    if (kt_qemu()) {
        /* Every datagram to a group needs IP_MULTICAST_IF here (lo alone has no route for it). */
        kt_skip("v4 delivery", "qemu-user does not convert IP_MULTICAST_IF (checked natively)");
        CHECK_OK(setsockopt(r, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof m), "IP_DROP_MEMBERSHIP");
        CHECK_ERR(setsockopt(r, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof m), EADDRNOTAVAIL, "dropping it again: EADDRNOTAVAIL");
        close(r);
        close(r2);
        close(s);
        close(other);
        return;
    }
    struct in_addr bad;
    inet_pton(AF_INET, "10.9.9.9", &bad);
    CHECK_ERR(setsockopt(s, SOL_IP, IP_MULTICAST_IF, &bad, sizeof bad), EADDRNOTAVAIL, "IP_MULTICAST_IF of a foreign address: EADDRNOTAVAIL");
    struct in_addr lo = { htonl(INADDR_LOOPBACK) };
    CHECK_OK(setsockopt(s, SOL_IP, IP_MULTICAST_IF, &lo, sizeof lo), "IP_MULTICAST_IF 127.0.0.1");
    l = sizeof ia;
    getsockopt(s, SOL_IP, IP_MULTICAST_IF, &ia, &l);
    CHECK(ia.s_addr == htonl(INADDR_LOOPBACK), "IP_MULTICAST_IF reads back 127.0.0.1");

    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    send_to(s, GROUP, port, 'a');
    CHECK_EQ(next_byte(r, &from), 'a', "the member hears the group's datagram");
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && from.sin_port == htons(nt_port(s)), "from 127.0.0.1 and the sender's port");
    CHECK_EQ(next_byte(r2, NULL), 'a', "a non-member on the port hears it too (IP_MULTICAST_ALL)");
    send_to(s, "127.0.0.1", nt_port(other), 'u');
    CHECK_EQ(next_byte(other, NULL), 'u', "a socket on another port does not");

    v = 0;
    setsockopt(s, SOL_IP, IP_MULTICAST_LOOP, &v, sizeof v);
    send_to(s, GROUP, port, 'b');
    CHECK_EQ(next_byte(r, NULL), 'b', "IP_MULTICAST_LOOP 0: lo still hears what it sends");
    next_byte(r2, NULL);
    v = 1;
    setsockopt(s, SOL_IP, IP_MULTICAST_LOOP, &v, sizeof v);

    int g = udp_on(AF_INET, GROUP, port), g2 = udp_on(AF_INET, "239.1.2.4", port);
    CHECK(g >= 0 && g2 >= 0, "bind to a group address");
    send_to(s, GROUP, port, 'c');
    CHECK_EQ(next_byte(g, NULL), 'c', "a socket bound to the group hears it");
    send_to(s, "127.0.0.1", port, 'U');
    /* The unicast datagram goes to one of the sockets on 0.0.0.0:port; g2 must get neither. */
    CHECK(!(nt_poll(g2, POLLIN, 0) & POLLIN), "a socket bound to another group does not");
    next_byte(r, NULL);
    next_byte(r2, NULL);
    while (nt_poll(r, POLLIN, 0) & POLLIN) next_byte(r, NULL);
    while (nt_poll(r2, POLLIN, 0) & POLLIN) next_byte(r2, NULL);
    close(g);
    close(g2);

    CHECK_OK(setsockopt(r, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof m), "IP_DROP_MEMBERSHIP");
    CHECK_ERR(setsockopt(r, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof m), EADDRNOTAVAIL, "dropping it again: EADDRNOTAVAIL");
    send_to(s, GROUP, port, 'd');
    close(r2);
    send_to(s, "127.0.0.1", port, 'e');
    CHECK_EQ(next_byte(r, NULL), 'e', "a group nobody joined is not heard");

    mn.imr_ifindex = 1;
    CHECK_OK(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &mn, sizeof mn), "IP_ADD_MEMBERSHIP with ip_mreqn on lo's index");
    send_to(s, GROUP, port, 'f');
    CHECK_EQ(next_byte(r, NULL), 'f', "joined by index: heard");
    CHECK_OK(setsockopt(r, SOL_IP, IP_DROP_MEMBERSHIP, &mn, sizeof mn), "IP_DROP_MEMBERSHIP by index");

    if (kt_qemu()) {
        kt_skip("MCAST_JOIN_GROUP", "qemu-user does not convert it (checked natively)");
    } else {
        struct group_req gr;
        memset(&gr, 0, sizeof gr);
        gr.gr_interface = 1;
        struct sockaddr_in *ga = (struct sockaddr_in *)&gr.gr_group;
        ga->sin_family = AF_INET;
        ga->sin_addr = m.imr_multiaddr;
        CHECK_OK(setsockopt(r, SOL_IP, MCAST_JOIN_GROUP, &gr, sizeof gr), "MCAST_JOIN_GROUP on lo");
        send_to(s, GROUP, port, 'g');
        CHECK_EQ(next_byte(r, NULL), 'g', "MCAST_JOIN_GROUP: heard");
        CHECK_OK(setsockopt(r, SOL_IP, MCAST_LEAVE_GROUP, &gr, sizeof gr), "MCAST_LEAVE_GROUP");
        ga->sin_family = AF_INET6;
        CHECK_ERR(setsockopt(r, SOL_IP, MCAST_JOIN_GROUP, &gr, sizeof gr), EINVAL, "MCAST_JOIN_GROUP with an AF_INET6 group on SOL_IP: EINVAL");
    }
    close(r);
    close(s);
    close(other);
}

/* With eth0 (Ghost's; Linux's ip_mc_output does the same on any multicast
 * device): a group joined there is routed through it without
 * IP_MULTICAST_IF, and its datagram is looped back to the member unless
 * IP_MULTICAST_LOOP is off. */
static void v4_eth0(void)
{
    int r = udp_on(AF_INET, NULL, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    int port = nt_port(r);
    struct ip_mreq m;
    inet_pton(AF_INET, GROUP, &m.imr_multiaddr);
    m.imr_interface.s_addr = htonl(INADDR_ANY);
    CHECK_OK(setsockopt(r, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof m), "eth0: joining with no device named takes the default route's");
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    send_to(s, GROUP, port, 'h');
    CHECK_EQ(next_byte(r, &from), 'h', "eth0: the datagram is looped back to the member");
    CHECK(from.sin_addr.s_addr != htonl(INADDR_LOOPBACK) && from.sin_addr.s_addr != htonl(INADDR_ANY), "eth0: from eth0's address");
    int v = 0;
    setsockopt(s, SOL_IP, IP_MULTICAST_LOOP, &v, sizeof v);
    send_to(s, GROUP, port, 'i');
    send_to(s, "127.0.0.1", port, 'j');
    CHECK_EQ(next_byte(r, NULL), 'j', "eth0: IP_MULTICAST_LOOP 0: not looped back");
    close(r);
    close(s);
}

static void v6(void)
{
    int r = udp_on(AF_INET6, NULL, 0);
    int port = nt_port(r);
    int v = -5;
    socklen_t l = sizeof v;
    getsockopt(r, SOL_IPV6, IPV6_MULTICAST_HOPS, &v, &l);
    CHECK_EQ(v, 1, "IPV6_MULTICAST_HOPS is 1 by default");
    getsockopt(r, SOL_IPV6, IPV6_MULTICAST_LOOP, &v, &l);
    CHECK_EQ(v, 1, "IPV6_MULTICAST_LOOP is 1 by default");
    /* qemu-user does not convert IPV6_MULTICAST_IF: checked natively. */
    int mcif = !kt_qemu();
    if (mcif) {
        getsockopt(r, SOL_IPV6, IPV6_MULTICAST_IF, &v, &l);
        CHECK_EQ(v, 0, "IPV6_MULTICAST_IF is 0 by default");
    }
    v = 256;
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_MULTICAST_HOPS, &v, sizeof v), EINVAL, "IPV6_MULTICAST_HOPS 256: EINVAL");
    v = 2;
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_MULTICAST_LOOP, &v, sizeof v), EINVAL, "IPV6_MULTICAST_LOOP 2: EINVAL");
    v = 99;
    if (mcif)
        CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_MULTICAST_IF, &v, sizeof v), ENODEV, "IPV6_MULTICAST_IF of an unknown index: ENODEV");

    struct ipv6_mreq m;
    inet_pton(AF_INET6, GROUP6, &m.ipv6mr_multiaddr);
    m.ipv6mr_interface = 1;
    struct ipv6_mreq bad = m;
    bad.ipv6mr_multiaddr = in6addr_loopback;
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &bad, sizeof bad), EINVAL, "v6: joining ::1: EINVAL");
    bad = m;
    bad.ipv6mr_interface = 77;
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &bad, sizeof bad), ENODEV, "v6: joining on an unknown index: ENODEV");
    CHECK_OK(setsockopt(r, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m), "v6: IPV6_ADD_MEMBERSHIP on lo");
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m), EADDRINUSE, "v6: joining twice: EADDRINUSE");

    int s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
    /* Without it (under qemu-user) the group has no route either: lo is the only device there. */
    if (mcif)
        CHECK_OK(setsockopt(s, SOL_IPV6, IPV6_MULTICAST_IF, &one, sizeof one), "v6: IPV6_MULTICAST_IF lo");
    struct sockaddr_in6 d = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
    d.sin6_addr = m.ipv6mr_multiaddr;
    CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof d), ENETUNREACH, "v6: lo has no multicast route: ENETUNREACH");

    CHECK_OK(setsockopt(r, SOL_IPV6, IPV6_DROP_MEMBERSHIP, &m, sizeof m), "v6: IPV6_DROP_MEMBERSHIP");
    CHECK_ERR(setsockopt(r, SOL_IPV6, IPV6_DROP_MEMBERSHIP, &m, sizeof m), EADDRNOTAVAIL, "v6: dropping it again: EADDRNOTAVAIL");
    close(r);
    close(s);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    /* Ghost has no network namespaces (EINVAL): its own lo and eth0 are the test's. */
    if (nt_own_netns() < 0 && (kt_qemu() || errno != EINVAL)) {
        kt_skip("mcast", "needs a network namespace of its own (root)");
        return kt_done();
    }
    int has_eth0 = if_nametoindex("eth0") > 0;
    v4(has_eth0);
    if (has_eth0)
        v4_eth0();
    v6();
    return kt_done();
}
