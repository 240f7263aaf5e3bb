/*
 * rootwb - a store through a shared mapping is never lost to reclaim.
 *
 * A page written through a MAP_SHARED mapping holds the file's data from the
 * store on, whatever happens to its writeback: after munmap and close,
 * dropping clean caches (echo 1 > /proc/sys/vm/drop_caches, as reclaim does
 * under pressure) must not bring back the bytes the file held before.
 * Linux keeps a dirty or written-back page; a page it dropped is read back
 * with the new bytes.
 *
 *   rootwb        a file in a fresh temp dir
 *   rootwb FILE   FILE (at least one page long; its first bytes are rewritten)
 */
#include "ktest.h"
#include <fcntl.h>
#include <sys/mman.h>

#define PG 4096
static const char MARK[] = "written through a shared mapping";

static void drop_caches(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0)
        return; /* not root, or no procfs: nothing is dropped */
    (void)!write(fd, "1", 1);
    close(fd);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : kt_path("data");
    if (argc <= 1) {
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        char page[PG];
        memset(page, 'o', sizeof page);
        CHECK(fd >= 0 && write(fd, page, sizeof page) == PG, "create a one-page file");
        if (fd >= 0)
            close(fd);
    }

    int fd = open(path, O_RDWR);
    if (!CHECK(fd >= 0, "open the file read-write"))
        return kt_done();
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!CHECK(p != MAP_FAILED, "mmap one page MAP_SHARED"))
        return kt_done();
    memcpy(p, MARK, sizeof MARK);
    CHECK_OK(munmap(p, PG), "munmap after the store");
    close(fd);

    drop_caches();

    char buf[sizeof MARK];
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && kt_read_full(fd, buf, sizeof buf) == (long)sizeof buf, "read the page back");
    if (fd >= 0)
        close(fd);
    CHECK_STR(buf, MARK, "the store is in the file after munmap, close and drop_caches");

    /* And once more through a fresh mapping. */
    fd = open(path, O_RDONLY);
    p = fd >= 0 ? mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (CHECK(p != MAP_FAILED, "map the page again"))
        CHECK(memcmp(p, MARK, sizeof MARK) == 0, "a new mapping sees the store");
    if (fd >= 0)
        close(fd);
    return kt_done();
}
