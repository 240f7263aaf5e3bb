/*
 * bigio - read/write and their relatives copy between a file and user memory
 * in bounded steps, as far as the buffer is mapped (a short count past that,
 * EFAULT when nothing), with counts cut at MAX_RW_COUNT; and untouched
 * anonymous memory reads as zeros without taking memory (the zero page), so
 * a 2 GiB read-only walk or write(/dev/null) of it fits in a small machine.
 *
 * qemu-user checks a syscall's whole buffer up front (EFAULT where Linux
 * gives a short count): those checks are skipped under qemu (GHOST_TEST_QEMU=1).
 */
#include "ktest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PG 4096L
#define MAX_RW_COUNT 0x7ffff000L
#define GIB (1L << 30)

static void short_copies(void)
{
    int q = kt_qemu();
    int zero = open("/dev/zero", O_RDONLY);
    char *b = kt_guarded(64 * 1024);
    memset(b, 0xff, 64 * 1024);
    if (q)
        kt_skip("read(/dev/zero, 64 KiB buffer, MAX_RW_COUNT) is 65536", "qemu-user checks the whole buffer");
    else {
        CHECK_EQ(read(zero, b, MAX_RW_COUNT), 65536, "read(/dev/zero, 64 KiB buffer, MAX_RW_COUNT) is 65536");
        long nz = 0;
        for (long i = 0; i < 65536; i++)
            nz += b[i] != 0;
        CHECK_EQ(nz, 0, "... and the 64 KiB are zeros");
    }
    CHECK_ERR(read(zero, b + 64 * 1024, 100), EFAULT, "read(/dev/zero) into the guard page is EFAULT");
    CHECK_ERR(read(zero, b, (size_t)-1), EFAULT, "read(/dev/zero, buf, (size_t)-1) is EFAULT (past user space)");
    CHECK_ERR(read(zero, b, 0x7fffffffffffffffL), EFAULT, "read(/dev/zero, buf, SSIZE_MAX) is EFAULT (past user space)");

    long big = 3L << 20;
    char *m = malloc(big);
    memset(m, 0xff, big);
    CHECK_EQ(read(zero, m, big), big, "read(/dev/zero) of 3 MiB returns it whole");
    CHECK(m[0] == 0 && m[big / 2] == 0 && m[big - 1] == 0, "... zeros");
    free(m);
    close(zero);

    /* A regular file of 3 pages read into one mapped page. */
    const char *path = kt_path("three");
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    char page[PG];
    for (int i = 0; i < 3; i++) {
        memset(page, 'A' + i, PG);
        write(fd, page, PG);
    }
    char *one = kt_guarded(PG);
    lseek(fd, 0, SEEK_SET);
    if (q)
        kt_skip("read of a 3-page file into 1 mapped page is 4096", "qemu-user checks the whole buffer");
    else {
        CHECK_EQ(read(fd, one, 3 * PG), PG, "read of a 3-page file into 1 mapped page is 4096");
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), PG, "... and the offset moved by 4096");
        CHECK_EQ(pread(fd, one, 3 * PG, PG), PG, "pread likewise");
        CHECK(one[0] == 'B' && one[PG - 1] == 'B', "... of the second page");
        struct iovec iov[2] = {{one, PG}, {one + PG, PG}};
        CHECK_EQ(preadv(fd, iov, 2, 0), PG, "preadv whose second iovec is unmapped: 4096");
        /* writev from a buffer whose second half is unmapped writes the first. */
        struct iovec wiov[2] = {{one, PG}, {one + PG, PG}};
        memset(one, 'w', PG);
        CHECK_EQ(pwritev(fd, wiov, 2, PG), PG, "pwritev whose second iovec is unmapped: 4096");
        CHECK_EQ(pread(fd, page, PG, PG) == PG && page[0] == 'w' && page[PG - 1] == 'w', 1, "... and the page reached the file");
    }
    CHECK_ERR(read(fd, KT_BAD_PTR, 10), EFAULT, "read into an unmapped address is EFAULT");
    CHECK_ERR(write(fd, KT_BAD_PTR, 10), EFAULT, "write from an unmapped address is EFAULT");
    close(fd);
    unlink(path);

    /* A pipe takes what is mapped, no more: the rest stays unsent. */
    int p[2];
    pipe(p);
    char *two = kt_guarded(PG);
    memset(two, 'p', PG);
    if (q)
        kt_skip("write(pipe, 1 mapped page + guard, 8192) is 4096", "qemu-user checks the whole buffer");
    else {
        CHECK_EQ(write(p[1], two, 2 * PG), PG, "write(pipe, 1 mapped page + guard, 8192) is 4096");
        char rest[2 * PG];
        CHECK_EQ(read(p[0], rest, sizeof rest), PG, "... and the pipe holds those 4096 bytes");
    }
    close(p[0]);
    close(p[1]);

    if (q)
        kt_skip("getrandom into 64 KiB + guard, 1 MiB asked: 65536", "qemu-user checks the whole buffer");
    else
        CHECK_EQ(getrandom(b, 1 << 20, 0), 65536, "getrandom into 64 KiB + guard, 1 MiB asked: 65536");

    int null = open("/dev/null", O_WRONLY);
    if (q)
        kt_skip("write(/dev/null, NULL, 10) is 10", "qemu-user checks the buffer");
    else
        CHECK_EQ(write(null, NULL, 10), 10, "write(/dev/null, NULL, 10) is 10 (the buffer is never read)");
    close(null);
}

/* 3 MiB through a pipe in one write: the writer blocks and resumes until whole. */
static void big_pipe_write(void)
{
    long n = 3L << 20;
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        char *m = malloc(n);
        for (long i = 0; i < n; i++)
            m[i] = (char)(i % 251);
        _exit(write(p[1], m, n) == n ? 0 : 1);
    }
    close(p[1]);
    char *got = malloc(n + 1);
    long total = 0, bad = 0;
    for (;;) {
        ssize_t r = read(p[0], got + total, n + 1 - total);
        if (r <= 0)
            break;
        total += r;
    }
    for (long i = 0; i < total; i++)
        bad += got[i] != (char)(i % 251);
    int st = 0;
    kt_waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "one 3 MiB write(pipe) returns 3 MiB");
    CHECK_EQ(total, n, "the reader gets 3 MiB");
    CHECK_EQ(bad, 0, "... in order");
    free(got);
    close(p[0]);
}

/* Untouched anonymous memory: reads give zeros and take no memory. */
static void zero_page(void)
{
    long n = 2 * GIB;
    char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(m != MAP_FAILED, "mmap 2 GiB of anonymous memory");
    if (m == MAP_FAILED)
        return;
    long sum = 0;
    for (long off = 0; off < n; off += PG)
        sum += ((volatile char *)m)[off];
    CHECK_EQ(sum, 0, "reading every page of 2 GiB untouched memory gives zeros");
    m[5 * PG + 1] = 42;
    m[n - 1] = 7;
    CHECK(m[5 * PG + 1] == 42 && m[n - 1] == 7 && m[5 * PG] == 0 && m[6 * PG] == 0 && m[4 * PG + 1] == 0,
          "a store gives the page its own copy; its neighbours stay zero");
    pid_t pid = fork();
    if (pid == 0) {
        m[7 * PG] = 9;
        _exit(m[7 * PG] == 9 && m[5 * PG + 1] == 42 && m[8 * PG] == 0 ? 0 : 1);
    }
    int st = 0;
    kt_waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child stores to a zero page and sees its own copy");
    CHECK(m[7 * PG] == 0, "... the parent still reads zero there");

    int null = open("/dev/null", O_WRONLY);
    CHECK_EQ(write(null, m, n), MAX_RW_COUNT, "write(/dev/null, 2 GiB of it) is MAX_RW_COUNT");
    close(null);
    munmap(m, n);

    /* The kernel reading it: write() of untouched memory into a pipe. */
    char *u = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int p[2];
    pipe(p);
    CHECK_EQ(write(p[1], u, 8 * PG), 8 * PG, "write(pipe) from 32 KiB of untouched PROT_READ memory");
    close(p[1]);
    char buf[PG];
    long nz = 0, total = 0;
    ssize_t r;
    while ((r = read(p[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++)
            nz += buf[i] != 0;
        total += r;
    }
    CHECK(total == 8 * PG && nz == 0, "... which reads back as zeros");
    close(p[0]);
    munmap(u, 8 * PG);
}

int main(int argc, char **argv)
{
    kt_set_self(argv[0]);
    kt_watchdog(300);
    kt_mktemp("bigio");
    short_copies();
    big_pipe_write();
    zero_page();
    kt_cleanup();
    return kt_done();
}
