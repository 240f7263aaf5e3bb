/* evict.c - open files outlive the bound on host descriptors (Ghost only).
 *
 *   ulimit -n 1024; ghost run -v DIR:/mnt/e -v BIN:/vt:ro -- /vt/evict
 *
 * With the host's open-files limit at 1024 hostfs keeps 256 host
 * descriptors and reopens a file by its name when its descriptor was
 * closed. A file opened by a name that is then unlinked while another
 * name remains (a hard link) has no name Ghost knows: its descriptor must
 * stay however many other files are used meanwhile. */
#include "ktest.h"

int main(int argc, char **argv)
{
    vt_init(argc, argv, 300);
    CHECK_OK(vt_put("/mnt/e/a", "kept", 0644), "create a");
    CHECK_OK(link("/mnt/e/a", "/mnt/e/b"), "link a to b");
    int fd = open("/mnt/e/a", O_RDWR);
    CHECK_OK(fd, "open a");
    CHECK_OK(unlink("/mnt/e/a"), "unlink a (b remains)");
    char p[64], b[16];
    int used = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(p, sizeof p, "/mnt/e/f%d", i);
        if (vt_put(p, "x", 0644) == 0 && vt_get(p, b, sizeof b) == 1 && unlink(p) == 0)
            used++;
    }
    CHECK_EQ(used, 400, "create, read and remove 400 other files");
    memset(b, 0, sizeof b);
    CHECK(pread(fd, b, sizeof b - 1, 0) == 4 && strcmp(b, "kept") == 0, "the open file still reads");
    CHECK(pwrite(fd, "KEPT", 4, 0) == 4, "and writes");
    CHECK(vt_get("/mnt/e/b", b, sizeof b) == 4 && strcmp(b, "KEPT") == 0, "through to its other name");
    close(fd);
    return kt_done();
}
