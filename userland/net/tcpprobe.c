/*
 * tcpprobe.c - zero-window probes that end (Linux's tcp_probe_timer).
 *
 * A receiver that never reads closes its window; the sender probes it.
 * A peer that answers the probes keeps the connection open for ever
 * (RFC 1122 §4.2.2.17) unless TCP_USER_TIMEOUT passes since the first
 * probe: then the sender's connection fails with ETIMEDOUT (POLLERR,
 * SO_ERROR, and a write says so), and no RST is sent: the reader, still
 * established, reads what it had (tcp_write_err, not an abort).
 * For IPv4 and IPv6 over loopback.
 */
#include "nettest.h"

#define USER_TIMEOUT_MS 2000

static void stall(int fam)
{
    char d[96];
    int srv = nt_listen(fam, 4, 1);
    int small = 4096;
    setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    int c = nt_connect(fam, nt_port(srv));
    int s = accept(srv, NULL, NULL);
    snprintf(d, sizeof d, "%s: connected", nt_fam(fam));
    if (!CHECK(srv >= 0 && c >= 0 && s >= 0, d))
        return;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);

    /* Fill the reader's window and the writer's buffer. */
    static char buf[65536];
    memset(buf, 'z', sizeof buf);
    long sent = 0;
    for (int idle = 0; idle < 3;) {
        ssize_t n = send(c, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) { sent += n; idle = 0; continue; }
        if (n < 0 && errno != EAGAIN)
            break;
        /* Wait for what is in flight to settle into the reader's buffer. */
        nt_poll(c, POLLOUT, 100);
        idle++;
    }
    snprintf(d, sizeof d, "%s: the writer is blocked (%ld bytes taken)", nt_fam(fam), sent);
    CHECK(sent > 0 && !(nt_poll(c, POLLOUT, 0) & POLLOUT), d);
    /* Only now, so that a slow fill cannot outlast it: the time counts
     * from the first probe, which may already have gone. */
    int ut = USER_TIMEOUT_MS;
    snprintf(d, sizeof d, "%s: TCP_USER_TIMEOUT set", nt_fam(fam));
    CHECK_OK(setsockopt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut), d);

    /* The probes go on until the user timeout: then POLLERR. */
    int rev = nt_poll(c, POLLOUT, 40000);
    snprintf(d, sizeof d, "%s: the stalled writer gets POLLERR", nt_fam(fam));
    CHECK(rev > 0 && (rev & POLLERR), d);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    snprintf(d, sizeof d, "%s: SO_ERROR is ETIMEDOUT", nt_fam(fam));
    CHECK_EQ(err, ETIMEDOUT, d);
    snprintf(d, sizeof d, "%s: a write after it is EPIPE", nt_fam(fam));
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT), EPIPE, d);

    /* No RST went: the reader is still established with its bytes. */
    kt_msleep(300);
    rev = nt_poll(s, POLLIN, 0);
    snprintf(d, sizeof d, "%s: the reader sees no reset", nt_fam(fam));
    CHECK((rev & POLLIN) && !(rev & (POLLERR | POLLHUP)), d);
    ssize_t n = recv(s, buf, 100, MSG_DONTWAIT);
    snprintf(d, sizeof d, "%s: the reader reads its bytes", nt_fam(fam));
    CHECK_EQ(n, 100, d);
    close(c);
    close(s);
    close(srv);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(120);
    stall(AF_INET);
    stall(AF_INET6);
    return kt_done();
}
