/* mapcount.c - vm.max_map_count: how many VMAs one address space may have.
 * The sysctl is writable by root (0 and up, EINVAL otherwise); mmap refuses
 * with ENOMEM once the count is past it (do_mmap lets it go one past when no
 * merge happens); a munmap that would punch a hole in one mapping, and an
 * mprotect that would split one, are ENOMEM at the limit (LTP munmap04), while
 * trimming a mapping's end or removing it whole still works.
 * Ghost only (kt_ghost): under qemu-user or natively the sysctl is the host's. */
#include "ktest.h"
#include <sys/mman.h>

#define PG 4096

static char desc_[200];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

static int write_sysctl(const char *v)
{
    int fd = open("/proc/sys/vm/max_map_count", O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, v, strlen(v));
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : 0;
}

static long read_sysctl(void)
{
    char buf[32];
    return vt_get("/proc/sys/vm/max_map_count", buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

static int maps_lines(void)
{
    char buf[65536];
    int fd = open("/proc/self/maps", O_RDONLY), lines = 0;
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    if (fd >= 0)
        close(fd);
    return lines;
}

int main(void)
{
    if (!kt_ghost()) {
        kt_skip("vm.max_map_count", "not Ghost: the sysctl would be the host's");
        return kt_done();
    }
    CHECK_EQ(read_sysctl(), 65530, "vm.max_map_count is 65530 by default (DEFAULT_MAX_MAP_COUNT)");
    CHECK_ERR(write_sysctl("-1"), EINVAL, "a negative max_map_count is EINVAL");
    CHECK_ERR(write_sysctl("many"), EINVAL, "a word is EINVAL");

    /* Three-page PROT_NONE mappings two pages apart (no merging), far from
       everything else, until mmap refuses. */
    int have = maps_lines();
    char lim[32];
    snprintf(lim, sizeof lim, "%d", have + 16);
    CHECK_OK(write_sysctl(lim), "root sets vm.max_map_count");
    CHECK_EQ(read_sysctl(), have + 16, "and reads it back");
    char *base = (char *)0x200000000UL;
    char *maps[64];
    int n = 0, err = 0;
    for (int i = 0; i < 64; i++) {
        void *p = mmap(base + (size_t)i * 5 * PG, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        maps[n++] = p;
    }
    CHECK(err == ENOMEM, D("mmap past vm.max_map_count is ENOMEM (errno %d)", err));
    CHECK(n >= 15 && n <= 18, D("after about max - present mappings (%d, %d were there)", n, have));
    CHECK(maps_lines() > have + 16, D("the count may pass the limit by one (%d lines, limit %d)", maps_lines(), have + 16));
    if (n >= 5) {
        char *m = maps[1];
        CHECK_ERR(munmap(m + PG, PG), ENOMEM, "munmap of a mapping's middle page at the limit is ENOMEM");
        CHECK_ERR(mprotect(m + PG, PG, PROT_READ), ENOMEM, "mprotect splitting a mapping at the limit is ENOMEM");
        CHECK_OK(munmap(m + 2 * PG, PG), "munmap of a mapping's last page still works");
        CHECK_OK(munmap(m, 2 * PG), "and of the rest of it");
        CHECK_ERR(munmap(maps[2] + PG, PG), ENOMEM, "one fewer: still at the limit for a hole");
        CHECK_OK(munmap(maps[3], 3 * PG), "a whole mapping goes");
        CHECK_OK(munmap(maps[2] + PG, PG), "below the limit a hole can be punched");
        CHECK_ERR(mprotect(maps[4] + PG, PG, PROT_READ), ENOMEM, "the hole took the last place: a split is ENOMEM again");
    }
    CHECK_OK(write_sysctl("65530"), "max_map_count back to its default");
    void *p = mmap(base + 64 * 5 * PG, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(p != MAP_FAILED, "and mmap works again");
    return kt_done();
}
