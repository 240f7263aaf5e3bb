/* pipefault.c - read(2) of a pipe into a buffer that runs into a page the
 * program may not write, as Linux's pipe_read: the pipe's contents are
 * pipe_buffers (a page each; a write goes into the last one only if it fits
 * whole in the rest of that page), each copied whole or not at all. A copy
 * that faults part-way through a buffer ends the read with the bytes of the
 * buffers before it, or EFAULT when there were none, and leaves that buffer
 * in the pipe. The buffer is not looked at before there is something to
 * copy: an empty pipe still answers EAGAIN (non-blocking) or 0 (no writer).
 *
 * qemu-user checks the whole buffer before it calls read (lock_user), so
 * the checks where Linux copies some buffers or none at all are Ghost's
 * only; those where Linux gives EFAULT hold under qemu too. */
#include "ktest.h"
#include <sys/ioctl.h>
#include <sys/mman.h>

static char src[8192], dst[8192];

static int nread(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

/* Fills a pipe with writes of the given sizes (0 ends the list). */
static void put(int w, const int *sizes)
{
    for (; *sizes; sizes++)
        if (write(w, src, (size_t)*sizes) != *sizes)
            kt_fail("write to the pipe", "errno %s", strerror(errno));
}

/* A read of `ask` bytes at `room` bytes before the guard page. */
static ssize_t read_at(int r, char *guard, long room, long ask)
{
    return read(r, guard - room, (size_t)ask);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    for (int i = 0; i < (int)sizeof src; i++)
        src[i] = (char)('a' + i % 26);
    char *buf = kt_guarded(8192);
    if (!buf) {
        kt_fail("mmap", "errno %s", strerror(errno));
        return kt_done();
    }
    char *guard = buf + 8192;
    int p[2];

    /* One buffer of 100 bytes, 10 of which would fit: nothing is read. */
    pipe(p);
    put(p[1], (int[]){100, 0});
    CHECK_ERR(read_at(p[0], guard, 10, 100), EFAULT, "a read that faults inside the only pipe buffer is EFAULT");
    CHECK_EQ(nread(p[0]), 100, "... and leaves the buffer whole in the pipe");
    CHECK(read(p[0], dst, sizeof dst) == 100 && memcmp(dst, src, 100) == 0, "... which a good buffer then reads");
    close(p[0]);
    close(p[1]);

    /* Two small writes merge into one buffer: still nothing is read. */
    pipe(p);
    put(p[1], (int[]){10, 10, 0});
    CHECK_ERR(read_at(p[0], guard, 15, 20), EFAULT, "small writes merged into one buffer: a fault in it is EFAULT");
    CHECK_EQ(nread(p[0]), 20, "... and the 20 bytes stay");
    close(p[0]);
    close(p[1]);

    /* 4090 then 10 bytes: the second does not fit in the first page, so it
     * is a second buffer, and the read stops after the first. */
    pipe(p);
    put(p[1], (int[]){4090, 10, 0});
    if (kt_qemu()) {
        kt_skip("a fault in the second buffer returns the first", "qemu-user checks the whole buffer first");
        kt_skip("... and leaves the second", "qemu-user");
    } else {
        CHECK_EQ(read_at(p[0], guard, 4095, 4100), 4090, "a fault in the second buffer returns the first");
        CHECK_EQ(nread(p[0]), 10, "... and leaves the second");
    }
    close(p[0]);
    close(p[1]);

    /* A whole page and then 100 bytes, read into one good page: the first buffer only. */
    pipe(p);
    put(p[1], (int[]){4096, 100, 0});
    if (kt_qemu()) {
        kt_skip("a page-sized first buffer is read, the faulting second left", "qemu-user checks the whole buffer first");
    } else {
        ssize_t n = read_at(p[0], guard, 4096, 4196);
        CHECK(n == 4096 && memcmp(guard - 4096, src, 4096) == 0 && nread(p[0]) == 100,
              "a page-sized first buffer is read, the faulting second left");
    }
    close(p[0]);
    close(p[1]);

    /* Packet mode: a faulting read leaves the packet whole (not dropped). */
    if (pipe2(p, O_DIRECT | O_NONBLOCK) == 0) {
        put(p[1], (int[]){100, 0});
        CHECK_ERR(read_at(p[0], guard, 10, 100), EFAULT, "packet mode: a fault inside the packet is EFAULT");
        CHECK_EQ(read(p[0], dst, sizeof dst), 100, "... and the packet is still there, whole");
        close(p[0]);
        close(p[1]);
    }

    /* Nothing to copy: the buffer is never touched. */
    pipe2(p, O_NONBLOCK);
    if (kt_qemu()) {
        kt_skip("an empty non-blocking pipe is EAGAIN, whatever the buffer", "qemu-user checks the buffer first");
        kt_skip("an empty pipe with no writer is EOF, whatever the buffer", "qemu-user");
        close(p[1]);
    } else {
        CHECK_ERR(read_at(p[0], guard, 0, 100), EAGAIN, "an empty non-blocking pipe is EAGAIN, whatever the buffer");
        close(p[1]);
        CHECK_EQ(read_at(p[0], guard, 0, 100), 0, "an empty pipe with no writer is EOF, whatever the buffer");
    }
    close(p[0]);
    return kt_done();
}
