/* stream.h - a patterned byte stream for the TCP tests (tcpopts.c,
 * tcpserial.c): a sender thread writes `total` bytes of a salted pattern and
 * shuts its side down; a reader counts how many arrived intact and in order. */
#ifndef NET_STREAM_H
#define NET_STREAM_H
#include <sys/socket.h>
#include <unistd.h>

static unsigned char pattern(long i, int salt) { return (unsigned char)((i * 131 + (i >> 9) + salt) & 0xff); }

struct sender { int fd; int salt; long total; long sent; };

static void *send_all(void *arg)
{
    struct sender *s = arg;
    unsigned char buf[8192];
    while (s->sent < s->total) {
        int n = s->total - s->sent < (long)sizeof buf ? (int)(s->total - s->sent) : (int)sizeof buf;
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

#endif
