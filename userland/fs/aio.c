/* aio.c - native AIO without libaio: io_setup's ring (struct aio_ring at
 * the context id), io_submit of pwrite/pread/preadv/fsync/poll on a tmpfs
 * file and a pipe, completions through io_getevents and an eventfd
 * (IOCB_FLAG_RESFD), a poll that completes when the pipe is written,
 * io_cancel of a poll, io_destroy, and the errors. */
#include "ktest.h"
#include <linux/aio_abi.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>

static long setup(unsigned n, aio_context_t *c) { return syscall(SYS_io_setup, n, c); }
static long submit(aio_context_t c, long n, struct iocb **v) { return syscall(SYS_io_submit, c, n, v); }
static long getev(aio_context_t c, long mn, long n, struct io_event *e, struct timespec *ts)
{
    return syscall(SYS_io_getevents, c, mn, n, e, ts);
}

struct ring { unsigned id, nr, head, tail, magic, compat, incompat, header; };

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    vt_mkshm("aio");
    aio_context_t ctx = 0;
    errno = 0;
    if (setup(8, &ctx) == -1 && errno == ENOSYS && kt_qemu()) {
        kt_skip("native AIO", "qemu-user 7.2 does not implement it");
        vt_cleanup_shm();
        return kt_done();
    }
    CHECK(ctx != 0, "io_setup");
    struct ring *r = (struct ring *)ctx;
    CHECK(r->magic == 0xa10a10a1 && r->header == 32 && r->nr >= 8 && r->head == 0 && r->tail == 0,
          "the context points at an aio_ring (magic, header length, room)");
    aio_context_t again = ctx;
    CHECK_ERR(setup(8, &again), EINVAL, "io_setup with a nonzero *ctxp");
    aio_context_t z = 0;
    CHECK_ERR(setup(0, &z), EINVAL, "io_setup of 0 events");

    char path[300];
    snprintf(path, sizeof path, "%s/f", vt_shmdir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    char wbuf[] = "asynchronous";
    struct iocb w = { .aio_data = 11, .aio_lio_opcode = IOCB_CMD_PWRITE, .aio_fildes = (unsigned)fd,
                      .aio_buf = (uintptr_t)wbuf, .aio_nbytes = 12, .aio_offset = 4 };
    struct iocb *v[2] = { &w };
    CHECK_EQ(submit(ctx, 1, v), 1, "io_submit of a pwrite");
    struct io_event ev[4];
    struct timespec ts = { 5, 0 };
    CHECK_EQ(getev(ctx, 1, 4, ev, &ts), 1, "io_getevents gets its completion");
    CHECK(ev[0].data == 11 && ev[0].obj == (uintptr_t)&w && ev[0].res == 12 && ev[0].res2 == 0, "... data, obj and res 12");
    char rbuf[32] = { 0 }, a[6] = { 0 }, b[10] = { 0 };
    struct iocb rd = { .aio_data = 22, .aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = (unsigned)fd,
                       .aio_buf = (uintptr_t)rbuf, .aio_nbytes = sizeof rbuf, .aio_offset = 4 };
    struct iovec iov[2] = { { a, 5 }, { b, 7 } };
    struct iocb rv = { .aio_data = 33, .aio_lio_opcode = IOCB_CMD_PREADV, .aio_fildes = (unsigned)fd,
                       .aio_buf = (uintptr_t)iov, .aio_nbytes = 2, .aio_offset = 4 };
    v[0] = &rd;
    v[1] = &rv;
    CHECK_EQ(submit(ctx, 2, v), 2, "io_submit of a pread and a preadv");
    int got = 0;
    for (int tries = 0; got < 2 && tries < 10; tries++) {
        long n = getev(ctx, 1, 4, ev + got, &ts);
        if (n > 0) got += (int)n;
    }
    CHECK_EQ(got, 2, "both complete");
    CHECK(strcmp(rbuf, "asynchronous") == 0 && memcmp(a, "async", 5) == 0 && memcmp(b, "hronous", 7) == 0, "... with the file's bytes");
    CHECK_EQ(r->head, r->tail, "the ring is empty once reaped");

    /* Completion through an eventfd. */
    int efd = eventfd(0, 0);
    struct iocb fs = { .aio_data = 44, .aio_lio_opcode = IOCB_CMD_FSYNC, .aio_fildes = (unsigned)fd,
                       .aio_flags = IOCB_FLAG_RESFD, .aio_resfd = (unsigned)efd };
    v[0] = &fs;
    CHECK_EQ(submit(ctx, 1, v), 1, "io_submit of an fsync with IOCB_FLAG_RESFD");
    uint64_t cnt = 0;
    CHECK_EQ(read(efd, &cnt, 8), 8, "the eventfd is signalled");
    CHECK_EQ(cnt, 1, "... once");
    CHECK_EQ(getev(ctx, 1, 1, ev, &ts), 1, "the fsync's event");
    CHECK(ev[0].data == 44 && ev[0].res == 0, "... res 0");

    /* A poll on an empty pipe completes when it is written. */
    int p[2];
    pipe(p);
    struct iocb pl = { .aio_data = 55, .aio_lio_opcode = IOCB_CMD_POLL, .aio_fildes = (unsigned)p[0], .aio_buf = POLLIN };
    v[0] = &pl;
    CHECK_EQ(submit(ctx, 1, v), 1, "io_submit of a poll on an empty pipe");
    struct timespec zero = { 0, 0 };
    CHECK_EQ(getev(ctx, 1, 1, ev, &zero), 0, "nothing completes while the pipe is empty");
    write(p[1], "x", 1);
    CHECK_EQ(getev(ctx, 1, 1, ev, &ts), 1, "the poll completes once the pipe is written");
    CHECK(ev[0].data == 55 && (ev[0].res & POLLIN), "... with POLLIN");
    char x;
    read(p[0], &x, 1);
    struct iocb pl2 = pl;
    pl2.aio_data = 66;
    v[0] = &pl2;
    CHECK_EQ(submit(ctx, 1, v), 1, "another poll on the empty pipe");
    struct io_event cev;
    CHECK_ERR(syscall(SYS_io_cancel, ctx, &pl2, &cev), EINPROGRESS, "io_cancel of the pending poll");
    CHECK_EQ(getev(ctx, 1, 1, ev, &ts), 1, "the cancelled poll still completes in the ring");
    CHECK_EQ(ev[0].data, 66, "... its event");
    CHECK_ERR(syscall(SYS_io_cancel, ctx, &pl2, &cev), EINVAL, "io_cancel of a request no longer in flight");
    /* A read with RWF_NOWAIT on an empty pipe does not stay in flight: it completes with -EAGAIN. */
    char nb[8];
    struct iocb nw = { .aio_data = 77, .aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = (unsigned)p[0],
                       .aio_buf = (uintptr_t)nb, .aio_nbytes = sizeof nb, .aio_rw_flags = RWF_NOWAIT };
    v[0] = &nw;
    CHECK_EQ(submit(ctx, 1, v), 1, "io_submit of a RWF_NOWAIT read on an empty pipe");
    CHECK_EQ(getev(ctx, 1, 1, ev, &ts), 1, "... completes at once");
    CHECK(ev[0].data == 77 && ev[0].res == -EAGAIN, "... with -EAGAIN");
    /* io_cancel reads the iocb's key before it looks up the context: a bad iocb is EFAULT even with no context. */
    CHECK_ERR(syscall(SYS_io_cancel, (aio_context_t)0, NULL, NULL), EFAULT, "io_cancel(0, NULL, NULL) is EFAULT");
    CHECK_ERR(syscall(SYS_io_cancel, (aio_context_t)0, &pl2, &cev), EINVAL, "io_cancel with no such context is EINVAL");

    /* A process that exits with a request in flight lets go of the file:
     * the pipe's read end closes with it (the write end then sees EPIPE). */
    int q[2];
    pipe(q);
    pid_t ch = fork();
    if (ch == 0) {
        aio_context_t cc = 0;
        if (setup(4, &cc) != 0)
            _exit(2);
        struct iocb cp = { .aio_lio_opcode = IOCB_CMD_POLL, .aio_fildes = (unsigned)q[0], .aio_buf = POLLIN };
        struct iocb *cv[1] = { &cp };
        _exit(submit(cc, 1, cv) == 1 ? 0 : 1);
    }
    if (ch > 0) {
        CHECK_EQ(vt_reap(ch), 0, "a child submits a poll and exits");
        close(q[0]);
        signal(SIGPIPE, SIG_IGN);
        CHECK_ERR(write(q[1], "x", 1), EPIPE, "its pending request no longer holds the pipe open");
        signal(SIGPIPE, SIG_DFL);
    }
    close(q[1]);

    /* Errors. */
    struct iocb bad = w;
    bad.aio_lio_opcode = 99;
    v[0] = &bad;
    CHECK_ERR(submit(ctx, 1, v), EINVAL, "io_submit of an unknown opcode");
    bad = w;
    bad.aio_fildes = 999;
    CHECK_ERR(submit(ctx, 1, v), EBADF, "io_submit on a closed fd");
    bad = fs;
    bad.aio_flags = 0;
    bad.aio_offset = 1;
    CHECK_ERR(submit(ctx, 1, v), EINVAL, "io_submit of an fsync with an offset");
    bad = w;
    bad.aio_reserved2 = 1;
    CHECK_ERR(submit(ctx, 1, v), EINVAL, "io_submit with aio_reserved2 set");
    bad = w;
    bad.aio_rw_flags = 0x10000;
    CHECK_ERR(submit(ctx, 1, v), EOPNOTSUPP, "io_submit with unknown rw flags");
    bad = w;
    bad.aio_flags = IOCB_FLAG_RESFD;
    bad.aio_resfd = (unsigned)fd;
    CHECK_ERR(submit(ctx, 1, v), EINVAL, "io_submit with a resfd that is not an eventfd");
    CHECK_ERR(submit(ctx, -1, v), EINVAL, "io_submit of a negative count");
    CHECK_ERR(submit(12345, 1, v), EINVAL, "io_submit on no context");
    v[0] = &w;
    v[1] = (struct iocb *)KT_BAD_PTR;
    CHECK_EQ(submit(ctx, 2, v), 1, "io_submit stops at a bad iocb after a good one");
    CHECK_EQ(getev(ctx, 1, 1, ev, &ts), 1, "... which completes");
    v[0] = (struct iocb *)KT_BAD_PTR;
    CHECK_ERR(submit(ctx, 1, v), EFAULT, "io_submit of only a bad iocb");
    CHECK_ERR(getev(ctx, 2, 1, ev, &zero), EINVAL, "io_getevents with min_nr over nr");
    v[0] = &w;
    CHECK_EQ(submit(ctx, 1, v), 1, "io_submit for io_pgetevents");
    sigset_t mask;
    sigemptyset(&mask);
    struct { const sigset_t *m; size_t size; } sig = { &mask, 8 };
    CHECK_EQ(syscall(SYS_io_pgetevents, ctx, 1, 1, ev, &ts, &sig), 1, "io_pgetevents with a signal mask");
    sig.size = 7;
    CHECK_ERR(syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &zero, &sig), EINVAL, "io_pgetevents with a bad sigset size");
    CHECK_EQ(syscall(SYS_io_destroy, ctx), 0, "io_destroy");
    CHECK_ERR(syscall(SYS_io_destroy, ctx), EINVAL, "io_destroy again");
    close(fd); close(efd); close(p[0]); close(p[1]);
    vt_cleanup_shm();
    return kt_done();
}
