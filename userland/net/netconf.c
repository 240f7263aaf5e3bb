/*
 * netconf.c - what programs read of the network without netlink:
 * /proc/net/unix (unix_seq_show: one row per AF_UNIX socket, a listener's
 * __SO_ACCEPTCON flag, SS_* states, the socket's inode, a connection not
 * yet accepted with inode 0, abstract names with '@' for each NUL),
 * /proc/net/udp rows, and /sys/class/net/<dev> (net-sysfs.c) agreeing with
 * the SIOCGIF* ioctls, its counters growing with loopback traffic.
 *
 * Only reads: under qemu-riscv64 the host's own tables are the oracle (our
 * rows are found by inode among the host's), so no namespace is needed.
 */
#include "nettest.h"
#include <sys/stat.h>
#include <sys/un.h>
#include <stddef.h>

static unsigned long ino_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* The /proc/net/unix row of inode ino (and, for ino 0, path), fields split; 1 if found. */
struct urow { unsigned refs, proto, flags, type, st; unsigned long ino; char path[256]; };
static int unix_row(unsigned long ino, const char *path, struct urow *out)
{
    FILE *f = fopen("/proc/net/unix", "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return 0; }
    while (!found && fgets(line, sizeof line, f)) {
        struct urow r;
        memset(&r, 0, sizeof r);
        char num[32];
        int n = sscanf(line, "%31s %x %x %x %x %x %lu %255s", num, &r.refs, &r.proto, &r.flags, &r.type, &r.st, &r.ino, r.path);
        if (n < 7 || r.ino != ino)
            continue;
        if (path && strcmp(r.path, path) != 0)
            continue;
        *out = r;
        found = 1;
    }
    fclose(f);
    return found;
}

static void check_unix(void)
{
    FILE *f = fopen("/proc/net/unix", "r");
    char head[256] = "";
    if (f) { if (!fgets(head, sizeof head, f)) head[0] = 0; fclose(f); }
    CHECK_STR(head, "Num       RefCount Protocol Flags    Type St Inode Path\n", "/proc/net/unix header");

    const char *path = kt_path("srv.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strcpy(a.sun_path, path);
    CHECK_OK(bind(l, (struct sockaddr *)&a, sizeof a), "bind a path");
    struct urow r;
    CHECK(unix_row(ino_of(l), NULL, &r) && r.flags == 0 && r.type == SOCK_STREAM && r.st == 1 && strcmp(r.path, path) == 0,
          "bound stream socket: no flags, type 0001, st 01, its path");
    CHECK_OK(listen(l, 4), "listen");
    CHECK(unix_row(ino_of(l), NULL, &r) && r.flags == 0x10000 && r.st == 1 && r.proto == 0 && r.refs == 2, "listener: flags 00010000 (__SO_ACCEPTCON), st 01, RefCount 2");

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof a), "connect");
    CHECK(unix_row(ino_of(c), NULL, &r) && r.st == 3 && r.flags == 0 && r.path[0] == 0 && r.refs == 3, "client: st 03 (SS_CONNECTED), RefCount 3, no path");
    CHECK(unix_row(0, path, &r) && r.st == 2 && r.type == SOCK_STREAM, "connection not yet accepted: inode 0, st 02, the listener's path");
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0 && unix_row(ino_of(s), NULL, &r) && r.st == 3 && strcmp(r.path, path) == 0, "accepted socket: st 03, the listener's path");
    CHECK(!unix_row(0, path, &r), "no row of inode 0 after accept");

    /* An abstract name with a NUL inside: '@' for the leading NUL and each inner one. */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un ab = { .sun_family = AF_UNIX };
    char name[64];
    int nl = snprintf(name, sizeof name, "ghost-netconf-%d", (int)getpid());
    memcpy(ab.sun_path + 1, name, nl);
    ab.sun_path[1 + nl] = 0;
    ab.sun_path[2 + nl] = 'x';
    CHECK_OK(bind(d, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 3 + nl), "bind an abstract name");
    char want[96];
    snprintf(want, sizeof want, "@%s@x", name);
    CHECK(unix_row(ino_of(d), NULL, &r) && r.type == SOCK_DGRAM && r.st == 1 && strcmp(r.path, want) == 0, "abstract datagram socket: type 0002, '@' for each NUL");
    /* A datagram socket connected to it: both established (Linux 5.16 on), the target held once more. */
    int e = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_OK(connect(e, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 3 + nl), "connect a datagram socket to it");
    CHECK(unix_row(ino_of(e), NULL, &r) && r.st == 3 && r.refs == 2, "connected datagram socket: st 03, RefCount 2");
    CHECK(unix_row(ino_of(d), NULL, &r) && r.st == 3 && r.refs == 3, "its target: st 03, RefCount 3");
    close(e);

    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair");
    CHECK(unix_row(ino_of(sv[0]), NULL, &r) && r.type == SOCK_SEQPACKET && r.st == 3 && r.path[0] == 0, "seqpacket pair: type 0005, st 03");
    unsigned long gone = ino_of(sv[1]);
    close(sv[1]);
    CHECK(!unix_row(gone, NULL, &r), "a closed socket's row is gone");
    close(sv[0]); close(d); close(s); close(c); close(l);
    unlink(path);
}

static void check_udp(void)
{
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(AF_INET, &ss, 0);
    CHECK_OK(bind(u, (struct sockaddr *)&ss, len), "bind UDP to 127.0.0.1");
    int port = nt_port(u);
    int v = socket(AF_INET, SOCK_DGRAM, 0);
    len = nt_addr(AF_INET, &ss, port);
    CHECK_OK(connect(v, (struct sockaddr *)&ss, len), "connect a second UDP socket to it");
    CHECK_EQ(send(v, "abcdefgh", 8, 0), 8, "send 8 bytes");
    char l1[32], r1[32], l2[32], r2[32];
    snprintf(l1, sizeof l1, "0100007F:%04X", port);
    snprintf(l2, sizeof l2, "0100007F:%04X", nt_port(v));
    strcpy(r1, "00000000:0000");
    strcpy(r2, l1);
    FILE *f = fopen("/proc/net/udp", "r");
    char line[512];
    int got1 = 0, got2 = 0, head = 0;
    unsigned long ino1 = ino_of(u), ino2 = ino_of(v);
    if (f && fgets(line, sizeof line, f))
        head = strncmp(line, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 113) == 0;
    while (f && fgets(line, sizeof line, f)) {
        char la[64], ra[64];
        unsigned st, txq, rxq, uid;
        unsigned long ino;
        if (sscanf(line, "%*s %63s %63s %x %x:%x %*s %*s %u %*d %lu", la, ra, &st, &txq, &rxq, &uid, &ino) != 7) continue;
        /* rx_queue is the receive memory in use (truesize, more than the 8 bytes): only its being non-zero is checked. */
        if (ino == ino1 && !strcmp(la, l1) && !strcmp(ra, r1) && st == 7 && txq == 0 && rxq > 0 && uid == getuid()) got1 = 1;
        if (ino == ino2 && !strcmp(la, l2) && !strcmp(ra, r2) && st == 1 && txq == 0 && rxq == 0) got2 = 1;
    }
    if (f) fclose(f);
    CHECK(head, "/proc/net/udp header");
    CHECK(got1, "bound socket: 127.0.0.1:port, st 07, data queued, uid, inode");
    CHECK(got2, "connected socket: its peer, st 01 (ESTABLISHED)");
    close(u); close(v);
}

static int sysread(const char *dev, const char *attr, char *buf, size_t n)
{
    char p[128];
    snprintf(p, sizeof p, "/sys/class/net/%s/%s", dev, attr);
    int fd = open(p, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = 0;
    char *nl = strrchr(buf, '\n');
    if (nl && nl[1] == 0) *nl = 0;
    return 0;
}
static long long sysnum(const char *dev, const char *attr)
{
    char b[64];
    return sysread(dev, attr, b, sizeof b) == 0 ? strtoll(b, NULL, 0) : -1;
}

static void check_dev(const char *dev, int lo)
{
    char b[128], want[128], what[128];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, dev);
    snprintf(what, sizeof what, "%s: ifindex is if_nametoindex's", dev);
    CHECK_EQ(sysnum(dev, "ifindex"), if_nametoindex(dev), what);
    ioctl(fd, SIOCGIFMTU, &ifr);
    snprintf(what, sizeof what, "%s: mtu is SIOCGIFMTU's", dev);
    CHECK_EQ(sysnum(dev, "mtu"), ifr.ifr_mtu, what);
    ioctl(fd, SIOCGIFFLAGS, &ifr);
    snprintf(what, sizeof what, "%s: flags are SIOCGIFFLAGS's without IFF_RUNNING", dev);
    CHECK_EQ(sysnum(dev, "flags"), (ifr.ifr_flags & 0xffff) & ~IFF_RUNNING, what);
    ioctl(fd, SIOCGIFHWADDR, &ifr);
    unsigned char *m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
    snprintf(want, sizeof want, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    snprintf(what, sizeof what, "%s: address is SIOCGIFHWADDR's", dev);
    CHECK(sysread(dev, "address", b, sizeof b) == 0 && strcmp(b, want) == 0, what);
    snprintf(what, sizeof what, "%s: type", dev);
    CHECK_EQ(sysnum(dev, "type"), lo ? 772 : 1, what);
    snprintf(what, sizeof what, "%s: addr_len 6, tx_queue_len 1000", dev);
    CHECK(sysnum(dev, "addr_len") == 6 && sysnum(dev, "tx_queue_len") == 1000, what);
    snprintf(what, sizeof what, "%s: broadcast", dev);
    CHECK(sysread(dev, "broadcast", b, sizeof b) == 0 && strcmp(b, lo ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff") == 0, what);
    snprintf(what, sizeof what, "%s: operstate", dev);
    CHECK(sysread(dev, "operstate", b, sizeof b) == 0 && strcmp(b, lo ? "unknown" : "up") == 0, what);
    snprintf(what, sizeof what, "%s: carrier 1", dev);
    CHECK_EQ(sysnum(dev, "carrier"), 1, what);
    snprintf(want, sizeof want, "INTERFACE=%s\nIFINDEX=%u", dev, if_nametoindex(dev));
    snprintf(what, sizeof what, "%s: uevent", dev);
    CHECK(sysread(dev, "uevent", b, sizeof b) == 0 && strcmp(b, want) == 0, what);
    snprintf(want, sizeof want, "../../devices/virtual/net/%s", dev);
    ssize_t n = readlink(strcat(strcpy(b, "/sys/class/net/"), dev), what, sizeof what - 1);
    if (n >= 0) what[n] = 0;
    if (lo)
        CHECK(n > 0 && strcmp(what, want) == 0, "lo: /sys/class/net/lo links to ../../devices/virtual/net/lo");
    close(fd);
}

static void check_stats(void)
{
    long long rxp = sysnum("lo", "statistics/rx_packets"), rxb = sysnum("lo", "statistics/rx_bytes");
    long long txp = sysnum("lo", "statistics/tx_packets"), txb = sysnum("lo", "statistics/tx_bytes");
    CHECK(rxp >= 0 && rxb >= 0 && txp >= 0 && txb >= 0, "lo: statistics/{rx,tx}_{packets,bytes} readable");
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(AF_INET, &ss, 0);
    bind(u, (struct sockaddr *)&ss, len);
    len = nt_addr(AF_INET, &ss, nt_port(u));
    char buf[1000];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 10; i++)
        sendto(u, buf, sizeof buf, 0, (struct sockaddr *)&ss, len);
    close(u);
    CHECK(sysnum("lo", "statistics/rx_packets") - rxp >= 10 && sysnum("lo", "statistics/rx_bytes") - rxb >= 10000,
          "lo: rx counters grew by 10 datagrams of 1000 bytes at least");
    CHECK(sysnum("lo", "statistics/tx_packets") - txp >= 10 && sysnum("lo", "statistics/tx_bytes") - txb >= 10000,
          "lo: tx counters grew likewise");
    char b[16];
    CHECK(sysread("lo", "statistics/rx_errors", b, sizeof b) == 0 && sysread("lo", "statistics/tx_dropped", b, sizeof b) == 0,
          "lo: error and drop counters present");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    kt_mktemp("netconf");
    check_unix();
    check_udp();
    check_dev("lo", 1);
    check_stats();
    /* eth0 where there is one (Ghost's virtual NIC; the host's may be named otherwise). */
    if (kt_ghost() && access("/sys/class/net/eth0", F_OK) == 0)
        check_dev("eth0", 0);
    rmdir(kt_tmpdir);
    return kt_done();
}
