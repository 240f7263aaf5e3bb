/* remapfp.c - remap_file_pages(2) as Linux emulates it since 4.0: a part of a
 * MAP_SHARED file mapping is mapped again at the same place from another file
 * page (do_mmap with MAP_FIXED|MAP_SHARED|MAP_POPULATE and the mapping's
 * protection); prot must be 0, the range inside one shared mapping (EINVAL).
 * qemu-user 7.2 lacks the call (ENOSYS): it runs under Ghost and natively. */
#include "ktest.h"
#include <sys/mman.h>

#define NPAGES 4

int main(void)
{
    kt_watchdog(60);
    if (kt_qemu()) {
        kt_skip("remap_file_pages", "qemu-user lacks it (ENOSYS)");
        return kt_done();
    }
    long pg = sysconf(_SC_PAGESIZE);
    const char *path = kt_path("remapfp.dat");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "a file of four pages");
    char *buf = malloc(pg);
    for (int i = 0; i < NPAGES; i++) {
        memset(buf, 'a' + i, pg);
        if (write(fd, buf, pg) != pg)
            kt_fail("write a page", "errno %d", errno);
    }
    char *m = mmap(NULL, NPAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap it MAP_SHARED");

    CHECK_OK(syscall(SYS_remap_file_pages, m + pg, pg, 0, 3, 0), "remap_file_pages: page 1 of the mapping from file page 3");
    CHECK(m[pg] == 'd' && m[2 * pg - 1] == 'd', "page 1 now shows file page 3");
    CHECK(m[0] == 'a' && m[2 * pg] == 'c' && m[3 * pg] == 'd', "the pages around it are unchanged");
    m[pg] = 'X';
    char c = 0;
    CHECK(pread(fd, &c, 1, 3 * pg) == 1 && c == 'X', "a store through it reaches file page 3 (shared, writable as before)");
    CHECK_OK(syscall(SYS_remap_file_pages, m, 2 * pg, 0, 2, 0), "two pages at once, from file page 2");
    CHECK(m[0] == 'c' && m[pg] == 'X', "pages 0 and 1 show file pages 2 and 3");

    CHECK_ERR(syscall(SYS_remap_file_pages, m, pg, PROT_READ, 1, 0), EINVAL, "a nonzero prot is EINVAL");
    CHECK_ERR(syscall(SYS_remap_file_pages, m + 3 * pg, 2 * pg, 0, 0, 0), EINVAL, "a range past the mapping is EINVAL");
    char *p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK_ERR(syscall(SYS_remap_file_pages, p, pg, 0, 1, 0), EINVAL, "a private mapping is EINVAL");
    munmap(p, pg);
    char *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, pg);
    CHECK_ERR(syscall(SYS_remap_file_pages, hole, pg, 0, 0, 0), EINVAL, "an unmapped address is EINVAL");

    munmap(m, NPAGES * pg);
    close(fd);
    free(buf);
    kt_cleanup();
    return kt_done();
}
