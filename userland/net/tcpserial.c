/*
 * tcpserial.c - both directions of a loopback TCP connection stream 4 MiB
 * at once through a 16 KiB SO_RCVBUF/SO_SNDBUF on one end, but the reader
 * drains the server end to EOF before it reads anything on the client end.
 * Meanwhile the client's receive window closes while it keeps sending, and
 * the server's sender stalls on a zero window until the client is read;
 * Linux (and qemu-user on it) finishes both streams intact. This ordering
 * hung Ghost now and then under CPU load (issue #10): the server's FIN went
 * into the client's closed window and came again only on the backed-off
 * retransmission timer. v4 and v6; under qemu-riscv64 and natively too.
 */
#include "nettest.h"
#include <pthread.h>

/* 4 MiB: Ghost's unlocked receive buffer, so the client's window closes
 * right at the end of the stream. Under qemu-user the host's Linux acks a
 * slow reader's small window on its delayed-ACK timer, which took ~30 s
 * for 4 MiB: there 1 MiB shows the same (the native run does 4). */
static long TOTAL = 4 << 20;

static unsigned char pattern(long i, int salt) { return (unsigned char)((i * 131 + (i >> 9) + salt) & 0xff); }

struct sender { int fd; int salt; long sent; };

static void *send_all(void *arg)
{
    struct sender *s = arg;
    unsigned char buf[8192];
    while (s->sent < TOTAL) {
        int n = TOTAL - s->sent < (long)sizeof buf ? (int)(TOTAL - s->sent) : (int)sizeof buf;
        for (int i = 0; i < n; i++)
            buf[i] = pattern(s->sent + i, s->salt);
        ssize_t w = write(s->fd, buf, n);
        if (w <= 0)
            break;
        s->sent += w;
    }
    shutdown(s->fd, SHUT_WR);
    return NULL;
}

/* Reads to EOF; the number of bytes that matched the pattern in order. */
static long recv_all(int fd, int salt)
{
    unsigned char buf[8192];
    long got = 0, good = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++, got++)
            if (buf[i] == pattern(got, salt) && good == got)
                good++;
    }
    return good;
}

static void serial(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    int l = nt_listen(fam, 4, 1);
    int c = nt_connect(fam, nt_port(l));
    int s = accept(l, NULL, NULL);
    snprintf(d, sizeof d, "%s: connected and accepted", F);
    if (!CHECK(c >= 0 && s >= 0, d))
        return;
    int small = 16384;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    struct sender cs = { c, 1, 0 }, ss = { s, 2, 0 };
    pthread_t tc, ts;
    pthread_create(&tc, NULL, send_all, &cs);
    pthread_create(&ts, NULL, send_all, &ss);
    /* The server end to its EOF first, then the client end. */
    long at_server = recv_all(s, 1);
    long at_client = recv_all(c, 2);
    pthread_join(tc, NULL);
    pthread_join(ts, NULL);
    snprintf(d, sizeof d, "%s: %ld KiB client to server, intact, read first", F, TOTAL >> 10);
    CHECK_EQ(at_server, (long)TOTAL, d);
    snprintf(d, sizeof d, "%s: %ld KiB server to client, intact, read after", F, TOTAL >> 10);
    CHECK_EQ(at_client, (long)TOTAL, d);
    close(c);
    close(s);
    close(l);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 110);
    if (kt_qemu())
        TOTAL = 1 << 20;
    serial(AF_INET);
    serial(AF_INET6);
    return kt_done();
}
