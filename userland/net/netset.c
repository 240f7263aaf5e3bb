/*
 * netset.c - root changes the network's configuration, and the stack uses
 * it: RTM_NEWADDR/DELADDR (`ip addr add/del`: the address is bindable and
 * answers on lo; EEXIST, EADDRNOTAVAIL), RTM_NEWROUTE/DELROUTE (`ip route
 * add/del`: the route is taken by a connect and listed in /proc/net/route;
 * EEXIST, ESRCH), SIOCSIFMTU, and EPERM for all of them without
 * CAP_NET_ADMIN. Under Ghost also eth0 taken down and up (SIOCSIFFLAGS):
 * its traffic and its IPv4 routes go (fib_disable_ip), and a default route
 * added again is used.
 *
 * Under qemu-riscv64 in a network namespace of its own (root), so that the
 * host's configuration never changes; every address is on this machine.
 */
#include "nettest.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/wait.h>

/* Sends one rtnetlink request with NLM_F_ACK; 0 or -errno from its answer. */
static int rtnl(int type, int flags, const void *fixed, size_t flen, const struct rtattr *attrs, size_t alen)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    char buf[512];
    memset(buf, 0, sizeof buf);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    h->nlmsg_len = NLMSG_LENGTH(flen) + alen;
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    h->nlmsg_seq = 1;
    memcpy(NLMSG_DATA(h), fixed, flen);
    memcpy((char *)NLMSG_DATA(h) + NLMSG_ALIGN(flen), attrs, alen);
    int r = -EIO;
    if (send(fd, buf, h->nlmsg_len, 0) == (ssize_t)h->nlmsg_len) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
            r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
    close(fd);
    return r;
}

/* An IPv4 attribute (4 bytes of address) or a u32 one, appended at *len. */
static void rta(char *b, size_t *len, int type, const void *data, size_t n)
{
    struct rtattr *a = (struct rtattr *)(b + *len);
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(n);
    memcpy(RTA_DATA(a), data, n);
    *len += RTA_ALIGN(a->rta_len);
}

static int addr_req(int type, const char *ip, int prefix, int ifindex)
{
    struct ifaddrmsg m = { .ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_index = ifindex };
    char b[64];
    size_t len = 0;
    in_addr_t a = inet_addr(ip);
    rta(b, &len, IFA_LOCAL, &a, 4);
    rta(b, &len, IFA_ADDRESS, &a, 4);
    return rtnl(type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, &m, sizeof m, (struct rtattr *)b, len);
}

static int route_req(int type, const char *dst, int prefix, const char *gw, int oif)
{
    struct rtmsg m = { .rtm_family = AF_INET, .rtm_dst_len = prefix, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                       .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, .rtm_type = RTN_UNICAST };
    if (type == RTM_DELROUTE)
        m.rtm_scope = RT_SCOPE_NOWHERE;
    char b[64];
    size_t len = 0;
    in_addr_t a = inet_addr(dst);
    if (prefix)
        rta(b, &len, RTA_DST, &a, 4);
    if (gw) {
        in_addr_t g = inet_addr(gw);
        rta(b, &len, RTA_GATEWAY, &g, 4);
    }
    if (oif)
        rta(b, &len, RTA_OIF, &oif, 4);
    return rtnl(type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0, &m, sizeof m, (struct rtattr *)b, len);
}

static int udp_bind(const char *ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr(ip) };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* connect(2) of a UDP socket to ip:9: 0, or -errno (ENETUNREACH without a route); the source chosen in *src. */
static int udp_route(const char *ip, char *src)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = inet_addr(ip) };
    int r = connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ? -errno : 0;
    if (r == 0 && src) {
        socklen_t l = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &l);
        inet_ntop(AF_INET, &a.sin_addr, src, 32);
    }
    close(fd);
    return r;
}

/* Whether /proc/net/route has a line starting so. */
static int proc_route(const char *start)
{
    FILE *f = fopen("/proc/net/route", "r");
    char line[256];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, start, strlen(start)) == 0)
            found = 1;
    if (f)
        fclose(f);
    return found;
}

static int ifreq_ioctl(int cmd, const char *dev, struct ifreq *ifr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    strcpy(ifr->ifr_name, dev);
    int r = ioctl(fd, cmd, ifr);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static void unprivileged(int lo)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_mtu = 1500;
        int ok = addr_req(RTM_NEWADDR, "10.9.0.1", 24, lo) == -EPERM
            && route_req(RTM_NEWROUTE, "10.8.0.0", 16, NULL, lo) == -EPERM
            && ifreq_ioctl(SIOCSIFMTU, "lo", &ifr) < 0 && errno == EPERM;
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0 && kt_check_exit(pid, 0, "without CAP_NET_ADMIN: RTM_NEWADDR, RTM_NEWROUTE and SIOCSIFMTU are EPERM"), "unprivileged child ran");
}

static void eth0_down_up(void)
{
    int eth0 = if_nametoindex("eth0");
    char src[32];
    if (!CHECK(eth0 > 0 && udp_route("10.0.2.2", src) == 0, "eth0: the gateway 10.0.2.2 is routed"))
        return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifreq_ioctl(SIOCGIFFLAGS, "eth0", &ifr);
    ifr.ifr_flags &= ~IFF_UP;
    CHECK_OK(ifreq_ioctl(SIOCSIFFLAGS, "eth0", &ifr), "SIOCSIFFLAGS: eth0 down");
    CHECK_EQ(udp_route("10.0.2.2", NULL), -ENETUNREACH, "eth0 down: 10.0.2.2 unreachable");
    ifr.ifr_flags |= IFF_UP;
    CHECK_OK(ifreq_ioctl(SIOCSIFFLAGS, "eth0", &ifr), "SIOCSIFFLAGS: eth0 up");
    CHECK_EQ(udp_route("10.0.2.2", NULL), 0, "eth0 up: its subnet is routed again");
    CHECK_EQ(udp_route("10.11.0.1", NULL), -ENETUNREACH, "the default route did not come back with the device");
    CHECK_EQ(route_req(RTM_NEWROUTE, "0.0.0.0", 0, "10.0.2.2", 0), 0, "RTM_NEWROUTE default via 10.0.2.2");
    CHECK(udp_route("10.11.0.1", src) == 0 && strcmp(src, "10.0.2.15") == 0, "the default route is taken, from 10.0.2.15");
    CHECK_EQ(route_req(RTM_NEWROUTE, "0.0.0.0", 0, "10.0.2.2", 0), -EEXIST, "a second default route: EEXIST");
    CHECK(proc_route("eth0\t00000000\t0202000A\t0003"), "/proc/net/route: the default route");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    if (kt_qemu() && nt_own_netns() < 0) {
        kt_skip("netset", "needs a network namespace of its own (root)");
        return kt_done();
    }
    if (getuid() != 0) {
        kt_skip("netset", "not root");
        return kt_done();
    }
    int lo = if_nametoindex("lo");
    unprivileged(lo);
    /* Ghost's eth0 has a default route through the NAT: it goes first (put back below). */
    int eth0 = kt_ghost() ? (int)if_nametoindex("eth0") : 0;
    if (eth0 > 0) {
        CHECK_EQ(route_req(RTM_DELROUTE, "0.0.0.0", 0, NULL, 0), 0, "RTM_DELROUTE default");
        CHECK(!proc_route("eth0\t00000000"), "/proc/net/route: no default route");
    }

    /* An address on lo. */
    CHECK_ERR(udp_bind("10.9.0.1"), EADDRNOTAVAIL, "bind 10.9.0.1 before it is added: EADDRNOTAVAIL");
    CHECK_EQ(addr_req(RTM_NEWADDR, "10.9.0.1", 24, lo), 0, "RTM_NEWADDR 10.9.0.1/24 dev lo");
    CHECK_EQ(addr_req(RTM_NEWADDR, "10.9.0.1", 24, lo), -EEXIST, "the same again: EEXIST");
    CHECK_EQ(addr_req(RTM_NEWADDR, "10.9.0.1", 24, 9999), -ENODEV, "on a device that does not exist: ENODEV");
    int s = udp_bind("10.9.0.1");
    CHECK(s >= 0, "bind 10.9.0.1");
    if (s >= 0) {
        struct sockaddr_in a;
        socklen_t l = sizeof a;
        getsockname(s, (struct sockaddr *)&a, &l);
        int c = socket(AF_INET, SOCK_DGRAM, 0);
        sendto(c, "ping", 4, 0, (struct sockaddr *)&a, l);
        char buf[8];
        struct pollfd p = { .fd = s, .events = POLLIN };
        CHECK(poll(&p, 1, 10000) == 1 && recv(s, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0, "a datagram to 10.9.0.1 arrives");
        close(c);
        close(s);
    }

    /* A route: taken by connect, listed in /proc/net/route, deleted. */
    CHECK_EQ(udp_route("10.8.0.5", NULL), -ENETUNREACH, "10.8.0.5 before the route: ENETUNREACH");
    CHECK_EQ(route_req(RTM_NEWROUTE, "10.8.0.0", 16, NULL, lo), 0, "RTM_NEWROUTE 10.8.0.0/16 dev lo");
    CHECK_EQ(route_req(RTM_NEWROUTE, "10.8.0.0", 16, NULL, lo), -EEXIST, "the same again: EEXIST");
    char src[32] = "";
    CHECK(udp_route("10.8.0.5", src) == 0 && strcmp(src, "10.9.0.1") == 0, "connect to 10.8.0.5 takes it, from 10.9.0.1");
    CHECK(proc_route("lo\t0000080A\t00000000\t0001\t0\t0\t0\t0000FFFF"), "/proc/net/route lists it");
    CHECK_EQ(route_req(RTM_DELROUTE, "10.8.0.0", 16, NULL, 0), 0, "RTM_DELROUTE 10.8.0.0/16");
    CHECK_EQ(route_req(RTM_DELROUTE, "10.8.0.0", 16, NULL, 0), -ESRCH, "the same again: ESRCH");
    CHECK(!proc_route("lo\t0000080A"), "/proc/net/route no longer lists it");
    CHECK_EQ(udp_route("10.8.0.5", NULL), -ENETUNREACH, "10.8.0.5 unreachable again");

    CHECK_EQ(addr_req(RTM_DELADDR, "10.9.0.1", 24, lo), 0, "RTM_DELADDR 10.9.0.1/24");
    CHECK_EQ(addr_req(RTM_DELADDR, "10.9.0.1", 24, lo), -EADDRNOTAVAIL, "the same again: EADDRNOTAVAIL");
    CHECK_ERR(udp_bind("10.9.0.1"), EADDRNOTAVAIL, "bind 10.9.0.1 after: EADDRNOTAVAIL");

    /* The MTU. */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_mtu = 16384;
    CHECK_OK(ifreq_ioctl(SIOCSIFMTU, "lo", &ifr), "SIOCSIFMTU lo 16384");
    memset(&ifr, 0, sizeof ifr);
    CHECK(ifreq_ioctl(SIOCGIFMTU, "lo", &ifr) == 0 && ifr.ifr_mtu == 16384, "SIOCGIFMTU reads it back");
    ifr.ifr_mtu = 65536;
    ifreq_ioctl(SIOCSIFMTU, "lo", &ifr);

    if (eth0 > 0)
        eth0_down_up();
    else
        kt_skip("eth0 down and up", "only Ghost's eth0 (the namespace has lo alone)");
    return kt_done();
}
