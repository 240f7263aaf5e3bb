/*
 * fragtime.c - a datagram whose fragments do not all come in time
 * (Linux's ip_expire): after net.ipv4.ipfrag_time it is dropped. A
 * receiving host tells another host that sent it with an ICMP time
 * exceeded (code 1) when the first fragment came; but never itself:
 * ip_expire routes the first fragment again as input, and a source that
 * is one of the host's own addresses is martian (accept_local off), as a
 * loopback destination is (route_localnet off). So on one machine Linux
 * sends no such ICMP: none for a datagram from and to 10.0.2.15, none
 * for 127.0.0.1, none for one whose first fragment never came.
 *
 * Fragments go from 10.0.2.15 to itself (Ghost's eth0 address; under
 * qemu-riscv64 an alias of lo in a network namespace of the program's
 * own, so that nothing of the host's changes) and from 127.0.0.1 to
 * itself, by a raw IP_HDRINCL socket, which as an IPPROTO_ICMP raw socket
 * also receives the ICMP (root only; skipped otherwise). ipfrag_time is
 * set to 1 s.
 */
#include "nettest.h"
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

static in_addr_t host;

static void send_frag(int raw, int id, int port, int off, int len, int more)
{
    unsigned char ip[20 + 64];
    memset(ip, 0, sizeof ip);
    struct iphdr *h = (struct iphdr *)ip;
    h->version = 4;
    h->ihl = 5;
    h->ttl = 64;
    h->protocol = IPPROTO_UDP;
    h->id = htons(id);
    h->frag_off = htons((off >> 3) | (more ? IP_MF : 0));
    h->saddr = host;
    h->daddr = host;
    h->tot_len = htons(20 + len);
    if (off == 0) {
        /* The UDP header: to port, a length for 200 bytes, checksum 0 (none). */
        ip[20] = 0x13; ip[21] = 0x88;
        ip[22] = port >> 8; ip[23] = port & 0xff;
        ip[24] = 0; ip[25] = 200;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = host };
    if (sendto(raw, ip, 20 + len, 0, (struct sockaddr *)&to, sizeof to) != 20 + len)
        kt_fail("sendto(raw fragment)", "errno %d", errno);
}

/* 10.0.2.15 as lo:1 (SIOCSIFADDR on an alias adds an address). */
static int alias(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo:1");
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
    a->sin_family = AF_INET;
    inet_pton(AF_INET, "10.0.2.15", &a->sin_addr);
    int r = ioctl(fd, SIOCSIFADDR, &ifr);
    close(fd);
    return r;
}

/* Sends a lone first fragment (0x4242) and a lone later one (0x4343) from
 * `to` to itself; neither may bring an ICMP time exceeded. */
static void expire_round(int raw, const char *to)
{
    char d[128];
    inet_pton(AF_INET, to, &host);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ss = { .sin_family = AF_INET, .sin_addr.s_addr = host };
    bind(udp, (struct sockaddr *)&ss, sizeof ss);
    int port = nt_port(udp);
    send_frag(raw, 0x4242, port, 0, 64, 1);
    send_frag(raw, 0x4343, port, 64, 64, 1);

    /* ipfrag_time is 1 s: after 4 s both datagrams are long given up. */
    int got42 = 0, got43 = 0;
    long long until = kt_now_ms() + 4000;
    while (kt_now_ms() < until) {
        long long left = until - kt_now_ms();
        if (!(nt_poll(raw, POLLIN, left > 0 ? (int)left : 0) & POLLIN))
            continue;
        unsigned char b[1500];
        ssize_t n = recv(raw, b, sizeof b, MSG_DONTWAIT);
        if (n < 20 + 8 + 20)
            continue;
        int ihl = (b[0] & 0xf) * 4;
        if (b[ihl] != ICMP_TIME_EXCEEDED)
            continue;
        const unsigned char *q = b + ihl + 8; /* the quoted IP header */
        int id = (q[4] << 8) | q[5];
        got42 += id == 0x4242;
        got43 += id == 0x4343;
    }
    snprintf(d, sizeof d, "%s: a datagram with only its first fragment, from ourselves: no ICMP", to);
    CHECK_EQ(got42, 0, d);
    snprintf(d, sizeof d, "%s: a datagram without its first fragment: no ICMP", to);
    CHECK_EQ(got43, 0, d);
    char buf[16];
    snprintf(d, sizeof d, "%s: nothing reached the UDP socket", to);
    CHECK_ERR(recv(udp, buf, sizeof buf, MSG_DONTWAIT), EAGAIN, d);
    close(udp);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(90);
    if (kt_qemu() && nt_own_netns() < 0) {
        kt_skip("fragtime", "needs a network namespace of its own (root)");
        return kt_done();
    }
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (raw < 0) {
        kt_skip("fragtime", "no raw socket (not root)");
        return kt_done();
    }
    int one = 1;
    setsockopt(raw, SOL_IP, IP_HDRINCL, &one, sizeof one);
    CHECK_OK(nt_sysctl("/proc/sys/net/ipv4/ipfrag_time", "1"), "ipfrag_time set to 1 s");

    if (kt_qemu() && alias() < 0) {
        kt_fail("10.0.2.15 on lo:1", "errno %d", errno);
        return kt_done();
    }
    expire_round(raw, "10.0.2.15");
    expire_round(raw, "127.0.0.1");
    nt_sysctl("/proc/sys/net/ipv4/ipfrag_time", "30");
    return kt_done();
}
