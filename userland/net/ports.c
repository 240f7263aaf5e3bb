/*
 * ports.c - what each socket call says when the ephemeral port range is
 * used up (Linux's errors, which differ by call):
 *   bind(port 0)            EADDRINUSE    (inet_csk_get_port)
 *   TCP listen() unbound    EADDRINUSE    (inet_csk_listen_start)
 *   TCP connect() unbound   EADDRNOTAVAIL (__inet_hash_connect)
 *   UDP connect()/sendto()  EAGAIN        (inet_autobind)
 *
 * The range is narrowed to two ports through
 * /proc/sys/net/ipv4/ip_local_port_range. Under qemu-riscv64 that file is
 * the host's: the program first moves into a network namespace of its own
 * (root only; skipped otherwise) so that nothing else on the machine sees
 * the change. Under Ghost each run is a kernel of its own.
 */
#include "nettest.h"

#define LOW 40000
#define HIGH 40001
#define TARGET 50000

static int bound(int type, int port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_storage ss;
    socklen_t len = nt_addr(AF_INET, &ss, port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    if (kt_qemu() && nt_own_netns() < 0) {
        kt_skip("ports", "needs a network namespace of its own (root)");
        return kt_done();
    }
    char range[32];
    snprintf(range, sizeof range, "%d %d", LOW, HIGH);
    if (!CHECK(nt_sysctl("/proc/sys/net/ipv4/ip_local_port_range", range) == 0, "ip_local_port_range narrowed to two ports"))
        return kt_done();

    /* A server outside the range, for the connects. */
    int srv = bound(SOCK_STREAM, TARGET);
    CHECK(srv >= 0 && listen(srv, 8) == 0, "listener on 127.0.0.1:50000");
    struct sockaddr_storage to;
    socklen_t tolen = nt_addr(AF_INET, &to, TARGET);

    /* TCP: two bind(0)s take the range. */
    int t1 = bound(SOCK_STREAM, 0), t2 = bound(SOCK_STREAM, 0);
    CHECK(t1 >= 0 && t2 >= 0, "tcp: two bind(0) take both ports");
    int p1 = nt_port(t1), p2 = nt_port(t2);
    CHECK((p1 == LOW && p2 == HIGH) || (p1 == HIGH && p2 == LOW), "tcp: the ports are the range's");
    int t3 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage any;
    socklen_t anylen = nt_addr(AF_INET, &any, 0);
    CHECK_ERR(bind(t3, (struct sockaddr *)&any, anylen), EADDRINUSE, "tcp: a third bind(0) is EADDRINUSE");
    CHECK_ERR(connect(t3, (struct sockaddr *)&to, tolen), EADDRNOTAVAIL, "tcp: connect() with no port left is EADDRNOTAVAIL");
    CHECK_EQ(nt_port(t3), 0, "tcp: the failed connect left the socket unbound");
    int t4 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR(listen(t4, 1), EADDRINUSE, "tcp: listen() unbound with no port left is EADDRINUSE");

    /* UDP has a table of its own: its two ports are still free. */
    int u1 = bound(SOCK_DGRAM, 0), u2 = bound(SOCK_DGRAM, 0);
    CHECK(u1 >= 0 && u2 >= 0, "udp: two bind(0) take both ports");
    int u3 = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_ERR(bind(u3, (struct sockaddr *)&any, anylen), EADDRINUSE, "udp: a third bind(0) is EADDRINUSE");
    CHECK_ERR(sendto(u3, "x", 1, 0, (struct sockaddr *)&to, tolen), EAGAIN, "udp: sendto() with no port left is EAGAIN");
    CHECK_ERR(connect(u3, (struct sockaddr *)&to, tolen), EAGAIN, "udp: connect() with no port left is EAGAIN");

    /* A port given back is taken again. */
    close(t1);
    CHECK_OK(connect(t3, (struct sockaddr *)&to, tolen), "tcp: connect() works once a port is free");
    CHECK_EQ(nt_port(t3), p1, "tcp: ... and takes the freed port");

    nt_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "32768 60999");
    return kt_done();
}
