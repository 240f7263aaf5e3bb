/* cachestat.c - cachestat(2) (Linux 6.5) on a memfd (tmpfs: written pages
 * are cached, never dirty): ranges (whole file, one page, past the end,
 * len 0 to the end, an end that wraps), a pipe (0), flags (EINVAL), EBADF,
 * EFAULT, and EPERM for a reader who may not write the file (6.14+). */
#include "ktest.h"
#include <stdint.h>

struct cs_range { uint64_t off, len; };
struct cs { uint64_t cache, dirty, writeback, evicted, recently_evicted; };

static long cstat(int fd, uint64_t off, uint64_t len, unsigned flags, struct cs *out)
{
    struct cs_range r = {off, len};
    memset(out, 0x55, sizeof *out);
    return syscall(451, fd, &r, out, flags);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    struct cs s;
    int m = memfd_create("cachestat", 0);
    if (cstat(m, 0, 0, 0, &s) < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip("cachestat", "qemu-user 7.2 lacks it");
        return kt_done();
    }
    CHECK(s.cache == 0 && s.dirty == 0, "an empty memfd: nothing cached");
    static char buf[3 * 4096 + 100];
    memset(buf, 7, sizeof buf);
    write(m, buf, sizeof buf);
    CHECK_OK(cstat(m, 0, 0, 0, &s), "cachestat of the whole file (len 0)");
    CHECK_EQ(s.cache, 4, "its four pages are cached");
    CHECK(s.dirty == 0 && s.writeback == 0 && s.evicted == 0 && s.recently_evicted == 0, "none dirty, written back or evicted");
    CHECK(cstat(m, 4096, 4096, 0, &s) == 0 && s.cache == 1, "one page");
    CHECK(cstat(m, 1, 1, 0, &s) == 0 && s.cache == 1, "one byte inside a page counts that page");
    CHECK(cstat(m, 4095, 2, 0, &s) == 0 && s.cache == 2, "two bytes across a page boundary: two pages");
    CHECK(cstat(m, 8192, 0, 0, &s) == 0 && s.cache == 2, "len 0 runs from the offset to the end");
    CHECK(cstat(m, 1 << 20, 0, 0, &s) == 0 && s.cache == 0, "past the end: none");
    CHECK(cstat(m, 4096, ~0ULL, 0, &s) == 0 && s.cache == 0, "an end that wraps: an empty range");
    CHECK_ERR(cstat(m, 0, 0, 1, &s), EINVAL, "nonzero flags are EINVAL");
    CHECK_ERR(cstat(99999, 0, 0, 0, &s), EBADF, "a bad descriptor is EBADF");
    CHECK_ERR(syscall(451, m, KT_BAD_PTR, &s, 0), EFAULT, "a bad range pointer is EFAULT");
    struct cs_range r = {0, 0};
    CHECK_ERR(syscall(451, m, &r, KT_BAD_PTR, 0), EFAULT, "a bad result pointer is EFAULT");
    int p[2];
    pipe(p);
    CHECK(cstat(p[0], 0, 0, 0, &s) == 0 && s.cache == 0, "a pipe: 0 pages");

    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK_OK(cstat(fd, 0, 0, 0, &s), "root may ask about a file it only reads");
    pid_t c = fork();
    if (c == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        struct cs s2;
        _exit(cstat(fd, 0, 0, 0, &s2) < 0 && errno == EPERM ? 0 : 1);
    }
    kt_check_exit(c, 0, "a reader who is not the owner and may not write it: EPERM");
    return kt_done();
}
