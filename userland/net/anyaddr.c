/*
 * anyaddr.c - the unspecified address as a destination means this host, as
 * Linux routes it (ip_route_output_key: a zero daddr becomes the loopback
 * address; tcp_v6_connect and udpv6_sendmsg: :: means ::1). TCP connect to
 * 0.0.0.0 / :: reaches a loopback listener and names 127.0.0.1 / ::1 as its
 * peer; a UDP socket connected or sending there delivers to loopback.
 */
#include "nettest.h"

static socklen_t any_addr(int fam, struct sockaddr_storage *ss, int port)
{
    memset(ss, 0, sizeof *ss);
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    return sizeof *a;
}

static void run(int fam)
{
    char d[160], buf[16];
    const char *F = nt_fam(fam);
    struct sockaddr_storage any, lo, peer;
    socklen_t la, ll, lp;

    int l = nt_listen(fam, 4, 0);
    la = any_addr(fam, &any, nt_port(l));
    int c = socket(fam, SOCK_STREAM, 0);
    snprintf(d, sizeof d, "%s: TCP connect to the unspecified address reaches a loopback listener", F);
    CHECK_OK(connect(c, (struct sockaddr *)&any, la), d);
    lp = sizeof peer;
    ll = nt_addr(fam, &lo, nt_port(l));
    snprintf(d, sizeof d, "%s: its peer is the loopback address", F);
    CHECK(getpeername(c, (struct sockaddr *)&peer, &lp) == 0 && lp == ll && memcmp(&peer, &lo, ll) == 0, d);
    int a = accept(l, NULL, NULL);
    snprintf(d, sizeof d, "%s: data goes through", F);
    CHECK(a >= 0 && write(c, "ping", 4) == 4 && read(a, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, d);
    close(a);
    close(c);
    close(l);

    int r = socket(fam, SOCK_DGRAM, 0), s = socket(fam, SOCK_DGRAM, 0);
    ll = nt_addr(fam, &lo, 0);
    bind(r, (struct sockaddr *)&lo, ll);
    la = any_addr(fam, &any, nt_port(r));
    snprintf(d, sizeof d, "%s: UDP sendto the unspecified address", F);
    CHECK_EQ(sendto(s, "one", 3, 0, (struct sockaddr *)&any, la), 3, d);
    snprintf(d, sizeof d, "%s: arrives at the loopback receiver", F);
    CHECK(recv(r, buf, sizeof buf, MSG_DONTWAIT) == 3 && memcmp(buf, "one", 3) == 0, d);
    snprintf(d, sizeof d, "%s: UDP connect to the unspecified address", F);
    CHECK_OK(connect(s, (struct sockaddr *)&any, la), d);
    lp = sizeof peer;
    ll = nt_addr(fam, &lo, nt_port(r));
    snprintf(d, sizeof d, "%s: the UDP peer is the loopback address", F);
    CHECK(getpeername(s, (struct sockaddr *)&peer, &lp) == 0 && lp == ll && memcmp(&peer, &lo, ll) == 0, d);
    snprintf(d, sizeof d, "%s: send on it arrives", F);
    CHECK(send(s, "two", 3, 0) == 3 && recv(r, buf, sizeof buf, MSG_DONTWAIT) == 3 && memcmp(buf, "two", 3) == 0, d);
    close(r);
    close(s);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    run(AF_INET);
    run(AF_INET6);
    return kt_done();
}
