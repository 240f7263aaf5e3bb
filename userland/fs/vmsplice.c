/* vmsplice.c - vmsplice into a pipe's write end and out of its read end:
 * gathered and scattered vectors, a partial move into a pipe with less room,
 * SPLICE_F_NONBLOCK on a full or empty pipe, and the errors. */
#include "ktest.h"
#include <sys/uio.h>




/* Page-aligned: Linux moves user pages into the pipe's 16 slots, so an
 * unaligned buffer would fill them with less than 64 KiB. */
static char big[100000] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    struct iovec w[2] = { { "hello ", 6 }, { "vmsplice", 8 } };
    CHECK_EQ(vmsplice(p[1], w, 2, 0), 14, "vmsplice gathers two vectors into the pipe");
    char a[4] = { 0 }, b[16] = { 0 };
    struct iovec r[2] = { { a, 4 }, { b, 16 } };
    CHECK_EQ(vmsplice(p[0], r, 2, 0), 14, "vmsplice scatters the pipe's bytes into two vectors");
    CHECK(memcmp(a, "hell", 4) == 0 && memcmp(b, "o vmsplice", 10) == 0, "... in order");
    CHECK_ERR(vmsplice(p[0], r, 2, SPLICE_F_NONBLOCK), EAGAIN, "vmsplice SPLICE_F_NONBLOCK from an empty pipe");
    CHECK_ERR(vmsplice(p[1], w, 2, 0x10), EINVAL, "vmsplice with an unknown flag");
    struct iovec none = { NULL, 0 };
    CHECK_EQ(vmsplice(p[1], &none, 1, 0), 0, "vmsplice of nothing");
    int fd = open("/dev/null", O_RDWR);
    CHECK_ERR(vmsplice(fd, w, 2, 0), EBADF, "vmsplice on a file that is not a pipe");
    close(fd);
    CHECK_ERR(vmsplice(999, w, 2, 0), EBADF, "vmsplice on a closed fd");
    struct iovec huge = { big, sizeof big };
    memset(big, 'x', sizeof big);
    CHECK_EQ(vmsplice(p[1], &huge, 1, 0), 65536, "vmsplice moves what fits into an empty pipe (64 KiB of 100000)");
    CHECK_ERR(vmsplice(p[1], w, 2, SPLICE_F_NONBLOCK), EAGAIN, "vmsplice SPLICE_F_NONBLOCK into a full pipe");
    struct iovec back = { big, sizeof big };
    CHECK_EQ(vmsplice(p[0], &back, 1, 0), 65536, "vmsplice takes what the pipe holds");
    close(p[0]);
    close(p[1]);
    return kt_done();
}
