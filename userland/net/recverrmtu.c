/*
 * recverrmtu.c - IP_RECVERR for a datagram too big for the path
 * (Linux's ip_local_error from __ip_append_data): with IP_PMTUDISC_DO a
 * UDP datagram past the MTU is EMSGSIZE, and under IP_RECVERR the error
 * is also queued — POLLERR, and recvmsg(MSG_ERRQUEUE) gives no payload,
 * the destination (port 0 when unconnected, the peer's when connected)
 * and sock_extended_err with origin SO_EE_ORIGIN_LOCAL, the MTU in
 * ee_info and no offender; reading it leaves no pending error. Without
 * IP_RECVERR nothing is queued.
 *
 * The path: under qemu-riscv64, 127.0.0.1 with lo's MTU set to 1500 in a
 * network namespace of the program's own (root; skipped otherwise); under
 * Ghost, 10.0.2.2 through eth0 (MTU 1500; the datagram never leaves).
 */
#include "nettest.h"
#include <linux/errqueue.h>

#define MTU 1500

static int lo_mtu(int mtu)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_mtu = mtu;
    int r = ioctl(fd, SIOCSIFMTU, &ifr);
    close(fd);
    return r;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    const char *target = "10.0.2.2";
    if (kt_qemu()) {
        if (nt_own_netns() < 0 || lo_mtu(MTU) < 0) {
            kt_skip("recverrmtu", "needs a network namespace of its own (root)");
            return kt_done();
        }
        target = "127.0.0.1";
    }
    static char big[4000];
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    inet_pton(AF_INET, target, &to.sin_addr);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int v = IP_PMTUDISC_DO, one = 1;
    setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v);

    CHECK_ERR(sendto(fd, big, 2000, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE, "without IP_RECVERR: EMSGSIZE");
    CHECK(!(nt_poll(fd, POLLIN, 0) & POLLERR), "without IP_RECVERR: no POLLERR");

    setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof one);
    CHECK_ERR(sendto(fd, big, 2000, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE, "IP_RECVERR: EMSGSIZE");
    CHECK(nt_poll(fd, POLLIN, 0) & POLLERR, "IP_RECVERR: POLLERR");
    int err = -1;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    CHECK_EQ(err, 0, "no pending error for a local one (SO_ERROR 0)");

    for (int round = 0; round < 2; round++) {
        const char *what = round ? "connected" : "unconnected";
        char d[128];
        if (round) {
            connect(fd, (struct sockaddr *)&to, sizeof to);
            CHECK_ERR(send(fd, big, 2000, 0), EMSGSIZE, "connected: EMSGSIZE");
        }
        char data[64], ctl[512];
        struct sockaddr_in name;
        memset(&name, 0xaa, sizeof name);
        struct iovec iov = { data, sizeof data };
        struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = ctl, .msg_controllen = sizeof ctl };
        ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
        snprintf(d, sizeof d, "%s: the error queue gives an entry without payload", what);
        CHECK_EQ(n, 0, d);
        snprintf(d, sizeof d, "%s: MSG_ERRQUEUE in msg_flags", what);
        CHECK(m.msg_flags & MSG_ERRQUEUE, d);
        snprintf(d, sizeof d, "%s: msg_name is the destination, port %d", what, round ? 9 : 0);
        CHECK(name.sin_family == AF_INET && name.sin_addr.s_addr == to.sin_addr.s_addr && ntohs(name.sin_port) == (round ? 9 : 0), d);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        struct sock_extended_err *ee = c && c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR ? (struct sock_extended_err *)CMSG_DATA(c) : NULL;
        snprintf(d, sizeof d, "%s: an IP_RECVERR control message", what);
        if (!CHECK(ee != NULL, d))
            continue;
        snprintf(d, sizeof d, "%s: ee_errno EMSGSIZE, origin local, type and code 0", what);
        CHECK(ee->ee_errno == EMSGSIZE && ee->ee_origin == SO_EE_ORIGIN_LOCAL && ee->ee_type == 0 && ee->ee_code == 0, d);
        snprintf(d, sizeof d, "%s: ee_info is the MTU", what);
        CHECK_EQ(ee->ee_info, MTU, d);
        struct sockaddr_in *off = (struct sockaddr_in *)SO_EE_OFFENDER(ee);
        snprintf(d, sizeof d, "%s: no offender (AF_UNSPEC, zeros)", what);
        CHECK(off->sin_family == AF_UNSPEC && off->sin_addr.s_addr == 0, d);
        snprintf(d, sizeof d, "%s: the queue is then empty", what);
        CHECK_ERR(recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT), EAGAIN, d);
    }
    CHECK(!(nt_poll(fd, POLLIN, 0) & POLLERR), "no POLLERR once read");
    return kt_done();
}
