/*
 * ping.c - ICMP echo over loopback (127.0.0.1 and ::1): ping sockets
 * (SOCK_DGRAM/IPPROTO_ICMP{,V6}) gated by net.ipv4.ping_group_range, whose
 * identifier and checksum the kernel fills in and whose replies go to the
 * socket with that identifier; raw ICMP sockets (root only, EPERM
 * otherwise) that see every ICMP packet, IPv4 with its IP header and
 * ICMPv6 without, send with or without IP_HDRINCL, and filter by type.
 *
 * Under qemu (GHOST_TEST_QEMU set) the host's sysctl is never written: when
 * the host's ping_group_range keeps root out, the ping-socket checks are
 * skipped there. Under Ghost the program opens the range to gid 0 first.
 */
#include "nettest.h"
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/wait.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>

#define RANGE "/proc/sys/net/ipv4/ping_group_range"

static unsigned short csum(const unsigned char *p, int n)
{
    unsigned long s = 0;
    for (int i = 0; i + 1 < n; i += 2)
        s += (p[i] << 8) | p[i + 1];
    if (n & 1)
        s += p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (unsigned short)~s;
}

/* An echo request: type, id, seq and a payload; checksum computed when asked. */
static int echo_req(unsigned char *b, int type, int id, int seq, int sum)
{
    memset(b, 0, 8);
    b[0] = type;
    b[4] = id >> 8, b[5] = id & 0xff, b[6] = seq >> 8, b[7] = seq & 0xff;
    memcpy(b + 8, "ghost-ping-payload", 18);
    if (sum) {
        unsigned short c = csum(b, 26);
        b[2] = c >> 8, b[3] = c & 0xff;
    }
    return 26;
}

static int read_range(long *lo, long *hi)
{
    FILE *f = fopen(RANGE, "r");
    if (!f)
        return -1;
    int n = fscanf(f, "%ld %ld", lo, hi);
    fclose(f);
    return n == 2 ? 0 : -1;
}

static void ping_sockets(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    int proto = fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    int req = fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST, rep = fam == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
    struct sockaddr_storage to, from, me;
    socklen_t tl = nt_addr(fam, &to, 0), fl = sizeof from, ml = sizeof me;
    unsigned char b[128], r[128];

    int s = socket(fam, SOCK_DGRAM, proto);
    snprintf(d, sizeof d, "%s ping: socket(SOCK_DGRAM, ICMP) inside ping_group_range", F);
    CHECK(s >= 0, d);
    snprintf(d, sizeof d, "%s ping: not yet bound, getsockname's port is 0", F);
    CHECK(nt_port(s) == 0, d);
    snprintf(d, sizeof d, "%s ping: nothing queued: MSG_DONTWAIT is EAGAIN", F);
    CHECK_ERR(recv(s, r, sizeof r, MSG_DONTWAIT), EAGAIN, d);
    int n = echo_req(b, req, 0x1234, 7, 0);
    snprintf(d, sizeof d, "%s ping: sendto an echo request", F);
    CHECK_EQ(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), n, d);
    int id = nt_port(s);
    snprintf(d, sizeof d, "%s ping: sending bound an identifier", F);
    CHECK(id > 0, d);
    snprintf(d, sizeof d, "%s ping: the reply makes the socket readable", F);
    CHECK(nt_poll(s, POLLIN, 10000) & POLLIN, d);
    memset(r, 0, sizeof r);
    snprintf(d, sizeof d, "%s ping: recvfrom gets the ICMP reply without an IP header", F);
    CHECK_EQ(recvfrom(s, r, sizeof r, 0, (struct sockaddr *)&from, &fl), n, d);
    snprintf(d, sizeof d, "%s ping: an echo reply with the socket's identifier, our sequence and data", F);
    CHECK(r[0] == rep && r[1] == 0 && ((r[4] << 8) | r[5]) == id && r[7] == 7 && memcmp(r + 8, b + 8, 18) == 0, d);
    getsockname(s, (struct sockaddr *)&me, &ml);
    snprintf(d, sizeof d, "%s ping: the sender is the loopback address, port 0", F);
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&from;
        CHECK(fl == sizeof *a && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && a->sin_port == 0, d);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&from;
        CHECK(fl == sizeof *a && IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) && a->sin6_port == 0, d);
    }
    if (fam == AF_INET) {
        unsigned short c = csum(r, n);
        CHECK(c == 0, "v4 ping: the reply's checksum is right");
    }

    snprintf(d, sizeof d, "%s ping: sending a type other than echo request is EINVAL", F);
    b[0] = rep;
    CHECK_ERR(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), EINVAL, d);
    b[0] = req;
    b[1] = 1;
    snprintf(d, sizeof d, "%s ping: a non-zero code is EINVAL", F);
    CHECK_ERR(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), EINVAL, d);
    b[1] = 0;
    snprintf(d, sizeof d, "%s ping: less than an ICMP header is EINVAL", F);
    CHECK_ERR(sendto(s, b, 4, 0, (struct sockaddr *)&to, tl), EINVAL, d);
    snprintf(d, sizeof d, "%s ping: send without a destination is EDESTADDRREQ", F);
    CHECK_ERR(send(s, b, n, 0), EDESTADDRREQ, d);

    int ttl = 5, got = 0;
    socklen_t gl = sizeof got;
    int lvl = fam == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, opt = fam == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS;
    snprintf(d, sizeof d, "%s ping: the TTL / hop limit option is kept", F);
    CHECK(setsockopt(s, lvl, opt, &ttl, sizeof ttl) == 0 && getsockopt(s, lvl, opt, &got, &gl) == 0 && got == 5, d);

    /* A second socket bound to a chosen identifier: each reply goes to its own socket only. */
    int s2 = socket(fam, SOCK_DGRAM, proto);
    struct sockaddr_storage bs;
    socklen_t bl = nt_addr(fam, &bs, 4242);
    snprintf(d, sizeof d, "%s ping: bind names the identifier", F);
    CHECK(bind(s2, (struct sockaddr *)&bs, bl) == 0 && nt_port(s2) == 4242, d);
    snprintf(d, sizeof d, "%s ping: connect, then send without an address", F);
    CHECK(connect(s2, (struct sockaddr *)&to, tl) == 0 && send(s2, b, n, 0) == n, d);
    snprintf(d, sizeof d, "%s ping: the bound socket's reply carries identifier 4242", F);
    CHECK(nt_poll(s2, POLLIN, 10000) & POLLIN && recv(s2, r, sizeof r, 0) == n && ((r[4] << 8) | r[5]) == 4242, d);
    snprintf(d, sizeof d, "%s ping: the other socket got nothing", F);
    CHECK_ERR(recv(s, r, sizeof r, MSG_DONTWAIT), EAGAIN, d);
    close(s2);
    close(s);
}

/*
 * A port unreachable quoting a connected ping socket's echo request (forged
 * through a raw IP_HDRINCL socket, as a router would send it) becomes that
 * socket's pending error: POLLERR, then ECONNREFUSED once.
 */
static void ping_error_v4(void)
{
    unsigned char b[128], r[128], p[128];
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(AF_INET, &to, 0);
    int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    int n = echo_req(b, ICMP_ECHO, 0, 9, 0);
    CHECK(s >= 0 && connect(s, (struct sockaddr *)&to, tl) == 0 && send(s, b, n, 0) == n, "v4 ping error: a connected ping socket sends");
    CHECK(nt_poll(s, POLLIN, 10000) & POLLIN && recv(s, r, sizeof r, 0) == n, "v4 ping error: and gets its reply");
    int id = nt_port(s);
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), on = 1;
    CHECK(raw >= 0 && setsockopt(raw, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) == 0, "v4 ping error: a raw IP_HDRINCL socket");
    memset(p, 0, sizeof p);
    /* outer IPv4 header, ICMP port unreachable, the quoted header and the request's first 8 bytes */
    p[0] = 0x45, p[8] = 64, p[9] = IPPROTO_ICMP, p[12] = 127, p[15] = 1, p[16] = 127, p[19] = 1;
    unsigned char *ic = p + 20, *q = p + 28;
    ic[0] = ICMP_DEST_UNREACH, ic[1] = ICMP_PORT_UNREACH;
    q[0] = 0x45, q[3] = 28 + 8, q[8] = 64, q[9] = IPPROTO_ICMP, q[12] = 127, q[15] = 1, q[16] = 127, q[19] = 1;
    unsigned short qc = csum(q, 20);
    q[10] = qc >> 8, q[11] = qc & 0xff;
    echo_req(q + 20, ICMP_ECHO, id, 9, 1);
    unsigned short c = csum(ic, 8 + 28);
    ic[2] = c >> 8, ic[3] = c & 0xff;
    CHECK_EQ(sendto(raw, p, 20 + 8 + 28, 0, (struct sockaddr *)&to, tl), 20 + 8 + 28, "v4 ping error: send the forged port unreachable");
    CHECK(nt_poll(s, POLLIN, 10000) & POLLERR, "v4 ping error: the ping socket polls POLLERR");
    CHECK_ERR(recv(s, r, sizeof r, MSG_DONTWAIT), ECONNREFUSED, "v4 ping error: recv reports ECONNREFUSED");
    CHECK_ERR(recv(s, r, sizeof r, MSG_DONTWAIT), EAGAIN, "v4 ping error: once");
    close(raw);
    close(s);
}

/* Waits for a packet on raw socket s satisfying want(); 0 when none came. */
static int raw_wait(int s, unsigned char *r, int size, int (*want)(const unsigned char *, int, int), int arg)
{
    for (int i = 0; i < 200; i++) {
        if (!(nt_poll(s, POLLIN, 10000) & POLLIN))
            return 0;
        int n = recv(s, r, size, 0);
        if (n > 0 && want(r, n, arg))
            return n;
    }
    return 0;
}

static int v4_icmp(const unsigned char *r, int n, int type_id)
{
    int ihl = (r[0] & 15) * 4;
    return n >= ihl + 8 && (r[0] >> 4) == 4 && r[9] == IPPROTO_ICMP && r[ihl] == (type_id >> 16) &&
           ((r[ihl + 4] << 8) | r[ihl + 5]) == (type_id & 0xffff);
}

static int v6_icmp(const unsigned char *r, int n, int type_id)
{
    return n >= 8 && r[0] == (type_id >> 16) && ((r[4] << 8) | r[5]) == (type_id & 0xffff);
}

static void raw_v4(void)
{
    unsigned char b[128], r[256];
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(AF_INET, &to, 0);
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    CHECK(s >= 0, "v4 raw: root opens a raw ICMP socket");
    CHECK(nt_port(s) == IPPROTO_ICMP, "v4 raw: getsockname's port is the protocol");
    int n = echo_req(b, ICMP_ECHO, 0x4747, 1, 1);
    CHECK_EQ(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), n, "v4 raw: sendto an echo request (the kernel adds the IP header)");
    int m = raw_wait(s, r, sizeof r, v4_icmp, (ICMP_ECHO << 16) | 0x4747);
    CHECK(m == 20 + n, "v4 raw: the request itself comes back with its IP header");
    m = raw_wait(s, r, sizeof r, v4_icmp, (ICMP_ECHOREPLY << 16) | 0x4747);
    CHECK(m == 20 + n && r[8] == 64 && csum(r, 20) == 0 && memcmp(r + 28, b + 8, 18) == 0,
          "v4 raw: the kernel's echo reply, IP header (TTL 64) and all");

    int on = 1;
    CHECK(setsockopt(s, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) == 0, "v4 raw: IP_HDRINCL");
    unsigned char p[128];
    memset(p, 0, 20);
    p[0] = 0x45, p[8] = 33, p[9] = IPPROTO_ICMP;
    p[16] = 127, p[19] = 1; /* id, source, length and checksum left to the kernel */
    n = echo_req(p + 20, ICMP_ECHO, 0x4848, 2, 1);
    CHECK_EQ(sendto(s, p, 20 + n, 0, (struct sockaddr *)&to, tl), 20 + n, "v4 raw: sendto a whole IP packet");
    m = raw_wait(s, r, sizeof r, v4_icmp, (ICMP_ECHO << 16) | 0x4848);
    CHECK(m == 20 + n && r[8] == 33 && r[12] == 127 && csum(r, 20) == 0 && ((r[2] << 8) | r[3]) == 20 + n,
          "v4 raw: the kernel filled in source, length and checksum; the TTL is ours");
    CHECK(raw_wait(s, r, sizeof r, v4_icmp, (ICMP_ECHOREPLY << 16) | 0x4848) == 20 + n, "v4 raw: and it is answered");
    close(s);
}

static void raw_v6(void)
{
    unsigned char b[128], r[256];
    struct sockaddr_storage to;
    socklen_t tl = nt_addr(AF_INET6, &to, 0);
    int s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    CHECK(s >= 0, "v6 raw: root opens a raw ICMPv6 socket");
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    CHECK(setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) == 0, "v6 raw: ICMP6_FILTER passing echo replies only");
    int n = echo_req(b, ICMP6_ECHO_REQUEST, 0x4949, 3, 0);
    CHECK_EQ(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), n, "v6 raw: sendto an echo request (checksum left to the kernel)");
    CHECK(nt_poll(s, POLLIN, 10000) & POLLIN, "v6 raw: readable");
    int m = raw_wait(s, r, sizeof r, v6_icmp, (ICMP6_ECHO_REPLY << 16) | 0x4949);
    CHECK(m == n && memcmp(r + 8, b + 8, 18) == 0, "v6 raw: the echo reply, without an IPv6 header");

    /* IPV6_RECVHOPLIMIT: recvmsg carries the reply's hop limit (64, the kernel's default). */
    int on = 1;
    CHECK(setsockopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) == 0, "v6 raw: IPV6_RECVHOPLIMIT");
    n = echo_req(b, ICMP6_ECHO_REQUEST, 0x4a4a, 4, 0);
    CHECK_EQ(sendto(s, b, n, 0, (struct sockaddr *)&to, tl), n, "v6 raw: another echo request");
    int hl = -1, found = 0;
    for (int i = 0; i < 200 && !found && (nt_poll(s, POLLIN, 10000) & POLLIN); i++) {
        union { char buf[CMSG_SPACE(sizeof(int)) * 4]; struct cmsghdr align; } c;
        struct iovec v = { r, sizeof r };
        struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
        int k = recvmsg(s, &mh, 0);
        if (k < 8 || !v6_icmp(r, k, (ICMP6_ECHO_REPLY << 16) | 0x4a4a))
            continue;
        found = 1;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
            if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)
                memcpy(&hl, CMSG_DATA(cm), sizeof hl);
    }
    CHECK(found && hl == 64, "v6 raw: recvmsg reports hop limit 64 in an IPV6_HOPLIMIT cmsg");
    close(s);
}

/* As nobody: no raw sockets (EPERM); ping sockets as the range says. */
static void unprivileged(int open_for_nobody)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
            _exit(10);
        if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) >= 0 || errno != EPERM)
            _exit(11);
        if (socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) >= 0 || errno != EPERM)
            _exit(12);
        int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
        if (open_for_nobody ? s < 0 : (s >= 0 || errno != EACCES))
            _exit(13);
        _exit(0);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork a child that becomes nobody");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "as nobody: raw sockets are EPERM, a ping socket as ping_group_range says");
    if (WIFEXITED(st) && WEXITSTATUS(st))
        printf("# child status %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    long lo = 1, hi = 0;
    int under_qemu = getenv("GHOST_TEST_QEMU") != NULL;
    CHECK(read_range(&lo, &hi) == 0, RANGE " reads as two numbers");
    int in = lo <= (long)getegid() && (long)getegid() <= hi;
    if (!in)
        CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES, "a ping socket outside ping_group_range is EACCES");
    if (!in && !under_qemu) {
        /* Never the host's sysctl: only Ghost's own. */
        int fd = open(RANGE, O_WRONLY);
        CHECK(fd >= 0 && write(fd, "0 0\n", 4) == 4, "root opens ping_group_range to gid 0");
        close(fd);
        CHECK(read_range(&lo, &hi) == 0 && lo == 0 && hi == 0, "ping_group_range reads back 0 0");
        in = 1;
    }
    if (in) {
        ping_sockets(AF_INET);
        ping_sockets(AF_INET6);
        ping_error_v4();
        CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6), EPROTONOSUPPORT, "AF_INET with IPPROTO_ICMPV6 is EPROTONOSUPPORT");
    } else {
        printf("# the host's ping_group_range keeps gid 0 out: ping sockets not checked here\n");
        fflush(stdout);
    }
    raw_v4();
    raw_v6();
    unprivileged(lo <= 65534 && 65534 <= hi);
    return kt_done();
}
