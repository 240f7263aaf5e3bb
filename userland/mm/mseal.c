/* mseal.c - mseal(2) (Linux 6.10): argument checks, ENOMEM for an unmapped
 * range; a sealed range refuses munmap, mprotect, mremap and a MAP_FIXED
 * mmap over it with EPERM (nothing changes), and a discarding madvise only
 * where it is read-only private anonymous memory; the seal survives fork
 * and shows as "sl" in /proc/self/smaps. */
#include "ktest.h"

#define PG 4096

static long sys_mseal(void *p, size_t len, unsigned long flags) { return syscall(462, p, len, flags); }

/* Whether the smaps entry starting at p lists flag among its VmFlags. */
static int smaps_flag(void *p, const char *flag)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/smaps", O_RDONLY);
    ssize_t n = fd >= 0 ? kt_read_full(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char head[32];
    snprintf(head, sizeof head, "%lx-", (unsigned long)p);
    char *e = strstr(buf, head);
    if (!e)
        return 0;
    char *v = strstr(e, "VmFlags:");
    char *nl = v ? strchr(v, '\n') : NULL;
    if (!v || !nl)
        return 0;
    *nl = 0;
    char want[8];
    snprintf(want, sizeof want, " %s", flag);
    return strstr(v, want) != NULL;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sys_mseal(p, 0, 0) < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip("mseal", "qemu-user 7.2 lacks it");
        return kt_done();
    }
    CHECK_ERR(sys_mseal(p + PG, PG, 1), EINVAL, "nonzero flags are EINVAL");
    CHECK_ERR(sys_mseal(p + 1, PG, 0), EINVAL, "an unaligned start is EINVAL");
    CHECK_OK(sys_mseal(p, 0, 0), "a zero length does nothing");
    memset(p, 'a', 4 * PG);
    CHECK_OK(sys_mseal(p + PG, 2 * PG, 0), "seal the middle two pages");
    CHECK_OK(sys_mseal(p + PG, 2 * PG, 0), "sealing again is fine");
    CHECK(smaps_flag(p + PG, "sl"), "smaps shows sl in VmFlags");
    CHECK(!smaps_flag(p, "sl"), "not on the unsealed page before");

    CHECK_ERR(munmap(p, 4 * PG), EPERM, "munmap over a sealed page is EPERM");
    CHECK(p[0] == 'a' && p[3 * PG] == 'a', "and nothing was unmapped");
    CHECK_ERR(mprotect(p + PG, PG, PROT_READ), EPERM, "mprotect of a sealed page is EPERM");
    CHECK_ERR(mprotect(p, 2 * PG, PROT_READ), EPERM, "mprotect across the seal is EPERM");
    /* As Linux 6.12+: mprotect walks the VMAs in order and stops at the sealed one. */
    CHECK(!smaps_flag(p, "wr"), "the unsealed page before it was changed all the same");
    CHECK(smaps_flag(p + PG, "wr"), "the sealed one was not");
    CHECK_OK(mprotect(p, PG, PROT_READ | PROT_WRITE), "the unsealed page can be made writable again");
    p[0] = 'b';
    CHECK(mremap(p + PG, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EPERM, "mremap of a sealed page is EPERM");
    CHECK(mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 2 * PG) == MAP_FAILED && errno == EPERM,
          "mremap onto a sealed page is EPERM");
    CHECK(mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED && errno == EPERM,
          "mmap MAP_FIXED over a sealed page is EPERM");
    CHECK(p[PG] == 'a', "the sealed page kept its contents");
    CHECK_OK(madvise(p + PG, PG, MADV_DONTNEED), "MADV_DONTNEED on sealed writable memory is allowed");
    CHECK_EQ(p[PG], 0, "and discards it");

    char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_OK(sys_mseal(ro, PG, 0), "seal a read-only anonymous page");
    CHECK_ERR(madvise(ro, PG, MADV_DONTNEED), EPERM, "MADV_DONTNEED there is EPERM");
    CHECK_ERR(madvise(ro, PG, MADV_FREE), EPERM, "so is MADV_FREE");
    CHECK_OK(madvise(ro, PG, MADV_WILLNEED), "a hint is fine");

    pid_t c = fork();
    if (c == 0)
        _exit(munmap(p + PG, PG) < 0 && errno == EPERM ? 0 : 1);
    kt_check_exit(c, 0, "the child of fork inherits the seal");

    CHECK_OK(munmap(p, PG), "the unsealed first page unmaps");
    CHECK_OK(munmap(p + 3 * PG, PG), "so does the last");
    CHECK_ERR(sys_mseal(p, PG, 0), ENOMEM, "sealing an unmapped page is ENOMEM");
    CHECK_ERR(sys_mseal(p, 3 * PG, 0), ENOMEM, "a range with a hole is ENOMEM");
    return kt_done();
}
