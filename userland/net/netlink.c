/*
 * netlink.c - NETLINK_ROUTE as programs use it: port ids, RTM_GETLINK and
 * RTM_GETADDR dumps (lo with 127.0.0.1/8 and ::1/128), MSG_PEEK|MSG_TRUNC
 * sizing, acknowledgements, SIOCGIF* ioctls, and getaddrinfo with
 * AI_ADDRCONFIG (which asks netlink). Only lo's entries are checked: the
 * host qemu runs on has other devices too.
 */
#include "nettest.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>

static int nl_request(int fd, int type, int flags, int family, int seq)
{
    struct { struct nlmsghdr h; struct ifaddrmsg m; } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | flags;
    req.h.nlmsg_seq = seq;
    req.m.ifa_family = family;
    struct sockaddr_nl k = { .nl_family = AF_NETLINK };
    return sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&k, sizeof k);
}

static char buf[1 << 16];

/* Reads a dump up to NLMSG_DONE; calls fn on each message. Returns messages seen or -1. */
static int nl_dump(int fd, int seq, void (*fn)(struct nlmsghdr *, void *), void *arg)
{
    int n = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            return -1;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
            if (h->nlmsg_seq != (unsigned)seq)
                return -1;
            if (h->nlmsg_type == NLMSG_DONE)
                return n;
            if (h->nlmsg_type == NLMSG_ERROR)
                return -1;
            n++;
            fn(h, arg);
        }
    }
}

struct linkinfo { int lo_seen, lo_flags, lo_mtu, multi; };
static void on_link(struct nlmsghdr *h, void *arg)
{
    struct linkinfo *li = arg;
    struct ifinfomsg *m = NLMSG_DATA(h);
    li->multi &= (h->nlmsg_flags & NLM_F_MULTI) != 0;
    int len = IFLA_PAYLOAD(h);
    const char *name = "";
    int mtu = 0;
    for (struct rtattr *a = IFLA_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_IFNAME)
            name = RTA_DATA(a);
        if (a->rta_type == IFLA_MTU)
            mtu = *(int *)RTA_DATA(a);
    }
    if (strcmp(name, "lo") == 0 && m->ifi_index == 1) {
        li->lo_seen = 1;
        li->lo_flags = m->ifi_flags;
        li->lo_mtu = mtu;
    }
}

struct addrinfo_seen { int v4, v6; };
static void on_addr(struct nlmsghdr *h, void *arg)
{
    struct addrinfo_seen *s = arg;
    struct ifaddrmsg *m = NLMSG_DATA(h);
    int len = IFA_PAYLOAD(h);
    for (struct rtattr *a = IFA_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type != IFA_ADDRESS)
            continue;
        if (m->ifa_family == AF_INET && m->ifa_index == 1 && m->ifa_prefixlen == 8 && m->ifa_scope == RT_SCOPE_HOST &&
            memcmp(RTA_DATA(a), "\x7f\0\0\x01", 4) == 0)
            s->v4 = 1;
        if (m->ifa_family == AF_INET6 && m->ifa_index == 1 && m->ifa_prefixlen == 128 &&
            memcmp(RTA_DATA(a), &in6addr_loopback, 16) == 0)
            s->v6 = 1;
        if (m->ifa_family != AF_INET && m->ifa_family != AF_INET6)
            s->v4 = s->v6 = -1;
    }
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(fd >= 0, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");
    struct sockaddr_nl me = { .nl_family = AF_NETLINK };
    CHECK_OK(bind(fd, (struct sockaddr *)&me, sizeof me), "bind with port id 0");
    socklen_t ml = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &ml);
    CHECK(ml == sizeof me && me.nl_family == AF_NETLINK && me.nl_pid == (unsigned)getpid(), "the first socket's port id is the pid");
    int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
    struct sockaddr_nl me2 = { .nl_family = AF_NETLINK };
    bind(fd2, (struct sockaddr *)&me2, sizeof me2);
    ml = sizeof me2;
    getsockname(fd2, (struct sockaddr *)&me2, &ml);
    CHECK(me2.nl_pid != 0 && me2.nl_pid != me.nl_pid, "a second socket gets another port id");
    close(fd2);
    CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT, "a netlink stream socket is ESOCKTNOSUPPORT");

    CHECK_EQ(nl_request(fd, RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC, 1), sizeof(struct nlmsghdr) + sizeof(struct ifaddrmsg), "send RTM_GETLINK dump");
    ssize_t peek = recv(fd, buf, 16, MSG_PEEK | MSG_TRUNC);
    CHECK(peek > 16, "MSG_PEEK|MSG_TRUNC gives the whole reply's size");
    struct linkinfo li = { 0, 0, 0, 1 };
    int n = nl_dump(fd, 1, on_link, &li);
    CHECK(n >= 1 && li.multi, "the link dump is multipart and ends with NLMSG_DONE");
    CHECK(li.lo_seen && (li.lo_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)) == (IFF_UP | IFF_LOOPBACK | IFF_RUNNING), "lo is index 1, up, loopback, running");
    CHECK_EQ(li.lo_mtu, 65536, "lo's MTU");

    struct addrinfo_seen as = { 0, 0 };
    nl_request(fd, RTM_GETADDR, NLM_F_DUMP, AF_INET, 2);
    n = nl_dump(fd, 2, on_addr, &as);
    CHECK(n >= 1 && as.v4 == 1 && as.v6 == 0, "an AF_INET address dump has 127.0.0.1/8 scope host on lo, and no IPv6");
    as.v4 = as.v6 = 0;
    nl_request(fd, RTM_GETADDR, NLM_F_DUMP, AF_UNSPEC, 3);
    n = nl_dump(fd, 3, on_addr, &as);
    CHECK(as.v4 == 1 && as.v6 == 1, "an AF_UNSPEC dump has ::1/128 too");

    /* One link by index, acknowledged. */
    struct { struct nlmsghdr h; struct ifinfomsg m; } one;
    memset(&one, 0, sizeof one);
    one.h.nlmsg_len = sizeof one;
    one.h.nlmsg_type = RTM_GETLINK;
    one.h.nlmsg_flags = NLM_F_REQUEST;
    one.h.nlmsg_seq = 4;
    one.m.ifi_index = 1;
    send(fd, &one, sizeof one, 0);
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    CHECK(r > 0 && h->nlmsg_type == RTM_NEWLINK && h->nlmsg_seq == 4 && !(h->nlmsg_flags & NLM_F_MULTI) &&
          ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == 1, "RTM_GETLINK for index 1 answers lo alone");
    one.m.ifi_index = 0x7ffffff0;
    one.h.nlmsg_seq = 5;
    send(fd, &one, sizeof one, 0);
    r = recv(fd, buf, sizeof buf, 0);
    CHECK(r > 0 && h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)NLMSG_DATA(h))->error == -ENODEV,
          "RTM_GETLINK for a missing index is ENODEV");
    CHECK_ERR(recv(fd, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "nothing more queued");
    close(fd);

    /* The SIOCGIF* ioctls. */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    CHECK(ioctl(s, SIOCGIFINDEX, &ifr) == 0 && ifr.ifr_ifindex == 1, "SIOCGIFINDEX lo");
    CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK), "SIOCGIFFLAGS lo");
    CHECK(ioctl(s, SIOCGIFADDR, &ifr) == 0 && ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK), "SIOCGIFADDR lo");
    CHECK(ioctl(s, SIOCGIFNETMASK, &ifr) == 0 && ((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr == htonl(0xff000000), "SIOCGIFNETMASK lo");
    CHECK(ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == 65536, "SIOCGIFMTU lo");
    ifr.ifr_ifindex = 1;
    CHECK(ioctl(s, SIOCGIFNAME, &ifr) == 0 && strcmp(ifr.ifr_name, "lo") == 0, "SIOCGIFNAME 1");
    strcpy(ifr.ifr_name, "nosuch0");
    CHECK_ERR(ioctl(s, SIOCGIFFLAGS, &ifr), ENODEV, "SIOCGIFFLAGS on a missing device is ENODEV");
    close(s);
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    CHECK(ioctl(u, SIOCGIFINDEX, &ifr) == 0 && ifr.ifr_ifindex == 1, "the device ioctls work on an AF_UNIX socket too");
    close(u);
    CHECK_EQ(if_nametoindex("lo"), 1, "if_nametoindex(\"lo\")");

    struct addrinfo hints = { .ai_flags = AI_ADDRCONFIG | AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *res = NULL;
    CHECK_EQ(getaddrinfo("127.0.0.1", "80", &hints, &res), 0, "getaddrinfo with AI_ADDRCONFIG");
    if (res)
        freeaddrinfo(res);
    return kt_done();
}
