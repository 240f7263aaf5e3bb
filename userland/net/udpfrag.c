/*
 * udpfrag.c - IPv4 fragmentation and reassembly as Linux does them.
 *
 * Without arguments (loopback, under qemu-riscv64 and Ghost): the
 * IP_MTU_DISCOVER option (WANT by default, 0..5 accepted, else EINVAL), and
 * reassembly of UDP fragments a raw IP_HDRINCL socket sends to 127.0.0.1:
 * in order, out of order and with a duplicate the datagram arrives whole;
 * fragments that overlap discard it (RFC 5722, Linux since 4.19), and so
 * does one whose last fragment never comes (a later datagram arrives
 * first). Needs root for the raw socket (skips otherwise). Datagrams of
 * 65,000 (v4) and 65,500 (v6) bytes to themselves over lo.
 *
 * With HOST PORT (Ghost's eth0, MTU 1500, HOST a UDP echo server reached
 * through the NAT): a 20,000-byte datagram goes out in fragments and its
 * echo comes back in fragments, both whole; with IP_PMTUDISC_DO a datagram
 * past the MTU is EMSGSIZE and one that fits is sent; IP_PMTUDISC_DONT
 * fragments again. With fec0::2 PORT, the same over IPv6 (fragment headers).
 */
#include "nettest.h"
#include <netinet/ip.h>
#include <netinet/udp.h>

#define BIG 20000

static unsigned char pat(int i, int salt) { return (unsigned char)(i * 7 + (i >> 8) + salt); }

static int udp_bound(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(AF_INET, &ss, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
        return -1;
    *port = nt_port(fd);
    return fd;
}

static void mtu_option(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int v = -1;
    socklen_t len = sizeof v;
    CHECK_EQ(getsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, &len), 0, "IP_MTU_DISCOVER: getsockopt");
    CHECK_EQ(v, IP_PMTUDISC_WANT, "IP_MTU_DISCOVER: IP_PMTUDISC_WANT by default");
    v = IP_PMTUDISC_OMIT;
    CHECK_EQ(setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v), 0, "IP_MTU_DISCOVER: IP_PMTUDISC_OMIT accepted");
    v = IP_PMTUDISC_OMIT + 1;
    CHECK_ERR(setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v), EINVAL, "IP_MTU_DISCOVER: past IP_PMTUDISC_OMIT is EINVAL");
    v = -1;
    CHECK_ERR(setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v), EINVAL, "IP_MTU_DISCOVER: -1 is EINVAL");
    v = -1;
    len = sizeof v;
    getsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, &len);
    CHECK_EQ(v, IP_PMTUDISC_OMIT, "IP_MTU_DISCOVER: reads back what was set");
    close(fd);
}

/* One fragment of a UDP datagram of `total` payload bytes (udp header
 * included in the IP payload) from 127.0.0.1:sport to 127.0.0.1:dport:
 * IP payload bytes [off, off+len), MF when `more`. */
static void send_frag(int raw, int id, int sport, int dport, int total, int salt, int off, int len, int more)
{
    unsigned char ip[1600], body[1600 + 8];
    int iplen = total + 8;
    /* The whole IP payload: the UDP header (checksum 0: none, as IPv4 allows) and the data. */
    for (int i = off; i < off + len; i++) {
        unsigned char b;
        if (i < 8) {
            unsigned char h[8] = { sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, iplen >> 8, iplen & 0xff, 0, 0 };
            b = h[i];
        } else
            b = pat(i - 8, salt);
        body[i - off] = b;
    }
    struct iphdr *h = (struct iphdr *)ip;
    memset(h, 0, sizeof *h);
    h->version = 4;
    h->ihl = 5;
    h->ttl = 64;
    h->protocol = IPPROTO_UDP;
    h->id = htons(id);
    h->frag_off = htons((off >> 3) | (more ? IP_MF : 0));
    h->saddr = htonl(INADDR_LOOPBACK);
    h->daddr = htonl(INADDR_LOOPBACK);
    h->tot_len = htons(20 + len);
    memcpy(ip + 20, body, len);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (sendto(raw, ip, 20 + len, 0, (struct sockaddr *)&to, sizeof to) != 20 + len)
        kt_fail("sendto(raw fragment)", "errno %d", errno);
}

/* The next datagram on fd (waits up to 5 s): its length, or -1; whether its bytes are salt's pattern. */
static int next_datagram(int fd, int *intact, int salt)
{
    static unsigned char buf[70000];
    *intact = 0;
    if (!(nt_poll(fd, POLLIN, 5000) & POLLIN))
        return -1;
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0)
        return -1;
    *intact = 1;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] != pat((int)i, salt))
            *intact = 0;
    return (int)n;
}

static void reassembly(void)
{
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (raw < 0) {
        kt_skip("reassembly of raw fragments", "no raw socket (not root)");
        return;
    }
    int one = 1;
    setsockopt(raw, SOL_IP, IP_HDRINCL, &one, sizeof one);
    int port = 0, fd = udp_bound(&port);
    int intact, n;
    const int T = 3000; /* payload: IP payload 3008 = 1000 + 1000 + 1008 */

    /* In order. */
    send_frag(raw, 0x1111, 5000, port, T, 1, 0, 1000, 1);
    send_frag(raw, 0x1111, 5000, port, T, 1, 1000, 1000, 1);
    send_frag(raw, 0x1111, 5000, port, T, 1, 2000, 1008, 0);
    n = next_datagram(fd, &intact, 1);
    CHECK_EQ(n, T, "three fragments in order: one datagram of 3000 bytes");
    CHECK(intact, "three fragments in order: intact");

    /* Out of order, the middle one twice. */
    send_frag(raw, 0x2222, 5000, port, T, 2, 2000, 1008, 0);
    send_frag(raw, 0x2222, 5000, port, T, 2, 1000, 1000, 1);
    send_frag(raw, 0x2222, 5000, port, T, 2, 1000, 1000, 1);
    send_frag(raw, 0x2222, 5000, port, T, 2, 0, 1000, 1);
    n = next_datagram(fd, &intact, 2);
    CHECK_EQ(n, T, "last fragment first, a duplicate: one datagram of 3000 bytes");
    CHECK(intact, "last fragment first, a duplicate: intact");

    /* Overlapping: the second starts inside the first. Then a whole
     * datagram with another id: it is the one that arrives. */
    send_frag(raw, 0x3333, 5000, port, T, 3, 0, 1000, 1);
    send_frag(raw, 0x3333, 5000, port, T, 3, 992, 1008, 1);
    send_frag(raw, 0x3333, 5000, port, T, 3, 2000, 1008, 0);
    send_frag(raw, 0x3333, 5000, port, T, 3, 1000, 1000, 1);
    send_frag(raw, 0x4444, 5000, port, 100, 4, 0, 64, 1);
    send_frag(raw, 0x4444, 5000, port, 100, 4, 64, 44, 0);
    n = next_datagram(fd, &intact, 4);
    CHECK_EQ(n, 100, "overlapping fragments discard their datagram: the next one arrives instead");
    CHECK(intact, "the datagram after the overlap: intact");

    /* A datagram missing its last fragment never arrives. */
    send_frag(raw, 0x5555, 5000, port, T, 5, 0, 1000, 1);
    send_frag(raw, 0x5555, 5000, port, T, 5, 1000, 1000, 1);
    send_frag(raw, 0x6666, 5000, port, 100, 6, 0, 108, 0);
    n = next_datagram(fd, &intact, 6);
    CHECK_EQ(n, 100, "an incomplete datagram is held: an unfragmented one arrives");
    CHECK_EQ(nt_poll(fd, POLLIN, 300), 0, "and nothing after it");
    close(fd);
    close(raw);
}

/* A datagram of n bytes to itself over loopback (MTU 65536): a v4 one
 * always fits, so even IP_PMTUDISC_DO sends it; a v6 one past 65,488
 * bytes is fragmented by Linux and arrives whole. */
static void loop_big(int fam, int n, int pmtudisc)
{
    static unsigned char buf[65536], back[65536];
    char d[160];
    int fd = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, 0);
    bind(fd, (struct sockaddr *)&ss, len);
    len = nt_addr(fam, &ss, nt_port(fd));
    if (pmtudisc >= 0)
        setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &pmtudisc, sizeof pmtudisc);
    for (int i = 0; i < n; i++)
        buf[i] = pat(i, 3);
    snprintf(d, sizeof d, "%s loopback: %d bytes sent%s", nt_fam(fam), n, pmtudisc == IP_PMTUDISC_DO ? " with IP_PMTUDISC_DO" : "");
    CHECK_EQ(sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len), n, d);
    ssize_t got = (nt_poll(fd, POLLIN, 5000) & POLLIN) ? recv(fd, back, sizeof back, MSG_DONTWAIT) : -1;
    snprintf(d, sizeof d, "%s loopback: %d bytes arrive intact", nt_fam(fam), n);
    CHECK(got == n && memcmp(buf, back, n) == 0, d);
    close(fd);
}

/* Through eth0 to the host's echo server (Ghost only). */
static void through_eth0(const char *host, int hport)
{
    static unsigned char big[BIG + 100], back[70000];
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(hport) };
    inet_pton(AF_INET, host, &to.sin_addr);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < BIG; i++)
        big[i] = pat(i, 9);
    CHECK_EQ(sendto(fd, big, BIG, 0, (struct sockaddr *)&to, sizeof to), BIG, "eth0: 20000 bytes sent (in fragments)");
    int ok = 0;
    ssize_t n = -1;
    if (nt_poll(fd, POLLIN, 20000) & POLLIN) {
        n = recv(fd, back, sizeof back, MSG_DONTWAIT);
        ok = n == BIG && memcmp(back, big, BIG) == 0;
    }
    CHECK_EQ(n, (ssize_t)BIG, "eth0: the echo is one datagram of 20000 bytes (reassembled)");
    CHECK(ok, "eth0: the echo is intact");

    int v = IP_PMTUDISC_DO;
    setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v);
    CHECK_ERR(sendto(fd, big, BIG, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE, "eth0, IP_PMTUDISC_DO: 20000 bytes is EMSGSIZE");
    CHECK_ERR(sendto(fd, big, 1473, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE, "eth0, IP_PMTUDISC_DO: 1473 bytes (1501 with headers) is EMSGSIZE");
    CHECK_EQ(sendto(fd, big, 1472, 0, (struct sockaddr *)&to, sizeof to), 1472, "eth0, IP_PMTUDISC_DO: 1472 bytes fit the MTU");
    n = (nt_poll(fd, POLLIN, 20000) & POLLIN) ? recv(fd, back, sizeof back, MSG_DONTWAIT) : -1;
    CHECK_EQ(n, 1472, "eth0: its echo");
    v = IP_PMTUDISC_DONT;
    setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, &v, sizeof v);
    CHECK_EQ(sendto(fd, big, BIG, 0, (struct sockaddr *)&to, sizeof to), BIG, "eth0, IP_PMTUDISC_DONT: 20000 bytes sent");
    n = (nt_poll(fd, POLLIN, 20000) & POLLIN) ? recv(fd, back, sizeof back, MSG_DONTWAIT) : -1;
    CHECK_EQ(n, (ssize_t)BIG, "eth0, IP_PMTUDISC_DONT: its echo, 20000 bytes");
    close(fd);
}

/* The same over IPv6 (HOST fec0::2): ip6_fragment's fragment headers out, reassembly of the echo. */
static void through_eth0_v6(const char *host, int hport)
{
    static unsigned char big[BIG + 100], back[70000];
    struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(hport) };
    inet_pton(AF_INET6, host, &to.sin6_addr);
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    for (int i = 0; i < BIG; i++)
        big[i] = pat(i, 5);
    /* 1452 bytes fill the MTU exactly (40 + 8 + 1452); 1453 and 20000 go in fragments. */
    static const int sizes[] = { 1452, 1453, BIG };
    for (int k = 0; k < 3; k++) {
        char d[96];
        int len = sizes[k];
        snprintf(d, sizeof d, "eth0 v6: %d bytes sent", len);
        CHECK_EQ(sendto(fd, big, len, 0, (struct sockaddr *)&to, sizeof to), len, d);
        ssize_t n = -1;
        int ok = 0;
        if (nt_poll(fd, POLLIN, 20000) & POLLIN) {
            n = recv(fd, back, sizeof back, MSG_DONTWAIT);
            ok = n == len && memcmp(back, big, len) == 0;
        }
        snprintf(d, sizeof d, "eth0 v6: the echo of %d bytes is one datagram, intact", len);
        CHECK(ok, d);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    if (argc == 3 && strchr(argv[1], ':')) {
        through_eth0_v6(argv[1], atoi(argv[2]));
        return kt_done();
    }
    if (argc == 3) {
        through_eth0(argv[1], atoi(argv[2]));
        return kt_done();
    }
    mtu_option();
    loop_big(AF_INET, 65000, IP_PMTUDISC_DO);
    loop_big(AF_INET6, 65500, -1);
    reassembly();
    return kt_done();
}
