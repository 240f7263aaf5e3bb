/*
 * timewait.c - TIME_WAIT as programs and tools see it, IPv4 and IPv6:
 * the side that closes first keeps the connection in TIME_WAIT, which
 * /proc/net/tcp and /proc/net/tcp6 (what netstat and ss read) list with
 * state 06, the connection's two ends, empty queues, the TIME_WAIT timer
 * (tr 03), uid 0 and inode 0 (Linux's timewait socket has neither an
 * owner nor a file: get_timewait4_sock); the peer that closed last is gone
 * once its FIN is acknowledged; a listener shows state 0A with its inode;
 * SO_REUSEADDR lets a new listener bind the port over TIME_WAIT and the
 * old connection's row stays. With net.ipv4.tcp_max_tw_buckets at 0 no
 * connection enters TIME_WAIT (tcp_time_wait's overflow): no row, and the
 * port binds at once.
 *
 * Under qemu-riscv64 (and natively) in a network namespace of the
 * program's own (root; skipped otherwise), so that the listing holds this
 * program's sockets only.
 */
#include "nettest.h"

struct row { int lport, rport, st, tr, uid; unsigned long txq, rxq, inode; };

/* The rows of /proc/net/tcp or tcp6 with local port lport (and remote port rport unless 0); the first in *out. */
static int rows(int fam, int lport, int rport, struct row *out)
{
    FILE *f = fopen(fam == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return -1; }
    while (fgets(line, sizeof line, f)) {
        char la[64], ra[64];
        struct row r;
        unsigned when, retr;
        int to;
        if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x %lx:%lx %x:%x %x %d %d %lu",
                   la, &r.lport, ra, &r.rport, &r.st, &r.txq, &r.rxq, &r.tr, &when, &retr, &r.uid, &to, &r.inode) != 13)
            continue;
        if (r.lport != lport || (rport && r.rport != rport))
            continue;
        if (n++ == 0 && out)
            *out = r;
    }
    fclose(f);
    return n;
}

static void run(int fam)
{
    char d[160], buf[8];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 4, 1);
    int port = nt_port(l);
    struct row r;
    snprintf(d, sizeof d, "%s: the listener is listed, state 0A, with its inode", F);
    CHECK(rows(fam, port, 0, &r) == 1 && r.st == 0x0A && r.inode != 0, d);
    int c = nt_connect(fam, port);
    int s = accept(l, NULL, NULL);
    int cport = nt_port(c);
    snprintf(d, sizeof d, "%s: both ends established (01)", F);
    CHECK(c >= 0 && s >= 0 && rows(fam, port, cport, &r) == 1 && r.st == 1 && rows(fam, cport, port, NULL) == 1, d);
    close(s); /* the server closes first: its side ends in TIME_WAIT */
    snprintf(d, sizeof d, "%s: the client reads EOF", F);
    CHECK_EQ(read(c, buf, sizeof buf), 0, d);
    close(c);
    /* The client's last ACK of the FIN comes back over loopback at once; wait for the listing to say so. */
    for (int i = 0; i < 200 && rows(fam, cport, port, NULL) > 0; i++)
        kt_msleep(10);
    snprintf(d, sizeof d, "%s: the side that closed last is gone", F);
    CHECK_EQ(rows(fam, cport, port, NULL), 0, d);
    memset(&r, 0, sizeof r);
    snprintf(d, sizeof d, "%s: the side that closed first is listed in TIME_WAIT (06)", F);
    CHECK(rows(fam, port, cport, &r) == 1 && r.st == 6, d);
    snprintf(d, sizeof d, "%s: TIME_WAIT: empty queues, timer 03, uid 0, inode 0", F);
    CHECK(r.txq == 0 && r.rxq == 0 && r.tr == 3 && r.uid == 0 && r.inode == 0, d);
    close(l);
    snprintf(d, sizeof d, "%s: the listener's row is gone with it, TIME_WAIT's stays", F);
    CHECK(rows(fam, port, 0, NULL) == 1 && rows(fam, port, cport, NULL) == 1, d);
    int n = socket(fam, SOCK_STREAM, 0), one = 1;
    setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, port);
    snprintf(d, sizeof d, "%s: SO_REUSEADDR binds and listens over TIME_WAIT", F);
    CHECK(bind(n, (struct sockaddr *)&ss, len) == 0 && listen(n, 4) == 0, d);
    snprintf(d, sizeof d, "%s: the new listener and the TIME_WAIT row are both listed", F);
    CHECK(rows(fam, port, 0, NULL) == 2 && rows(fam, port, cport, &r) == 1 && r.st == 6, d);
    c = nt_connect(fam, port);
    snprintf(d, sizeof d, "%s: the new listener takes connections", F);
    CHECK(c >= 0, d);
    close(c);
    close(n);
}

/* net.ipv4.tcp_max_tw_buckets at 0: a connection that would wait closes at once (tcp_time_wait's overflow). */
static void no_buckets(int fam)
{
    char d[160], buf[8];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 4, 1);
    int port = nt_port(l);
    int c = nt_connect(fam, port);
    int s = accept(l, NULL, NULL);
    int cport = nt_port(c);
    close(s);
    read(c, buf, sizeof buf);
    close(c);
    for (int i = 0; i < 200 && rows(fam, cport, port, NULL) > 0; i++)
        kt_msleep(10);
    close(l);
    snprintf(d, sizeof d, "%s: tcp_max_tw_buckets 0: no TIME_WAIT row", F);
    CHECK_EQ(rows(fam, port, 0, NULL), 0, d);
    int n = socket(fam, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(fam, &ss, port);
    snprintf(d, sizeof d, "%s: tcp_max_tw_buckets 0: the port binds without SO_REUSEADDR", F);
    CHECK_OK(bind(n, (struct sockaddr *)&ss, len), d);
    close(n);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    /* Ghost has no network namespaces (EINVAL): its listing is this program's anyway. */
    if (nt_own_netns() < 0 && (kt_qemu() || errno != EINVAL)) {
        kt_skip("timewait", "needs a network namespace of its own (root)");
        return kt_done();
    }
    run(AF_INET);
    run(AF_INET6);
    char old[32] = "";
    int fd = open("/proc/sys/net/ipv4/tcp_max_tw_buckets", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, old, sizeof old - 1) : -1;
    if (fd >= 0)
        close(fd);
    CHECK(got > 0 && atoi(old) > 0, "tcp_max_tw_buckets is readable and positive");
    CHECK_OK(nt_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", "0"), "tcp_max_tw_buckets set to 0");
    no_buckets(AF_INET);
    no_buckets(AF_INET6);
    if (got > 0)
        nt_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", old);
    return kt_done();
}
