/* madvise.c - madvise(2)'s errors as Linux gives them (madvise_walk_vmas and
 * friends, the cases LTP madvise02 checks): an unknown advice or an
 * unaligned start is EINVAL; a range with a hole is ENOMEM once the mapped
 * parts are advised (MADV_DONTNEED still drops them); MADV_DONTNEED and
 * MADV_FREE on locked memory are EINVAL, and MADV_FREE anywhere but private
 * anonymous memory; MADV_MERGEABLE and MADV_HUGEPAGE are EINVAL on a kernel
 * without KSM or transparent huge pages (no /sys/kernel/mm/ksm, no
 * /sys/kernel/mm/transparent_hugepage). qemu-user 7.2 answers most advice
 * with success whatever the range: skipped there, checked natively. */
#include "ktest.h"
#include <sys/mman.h>

#define PG 4096

static char *anon(size_t len, int flags)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    if (kt_qemu()) {
        kt_skip("madvise", "qemu-user answers madvise with success (checked natively)");
        return kt_done();
    }
    char *p = anon(3 * PG, MAP_PRIVATE);
    if (!p) {
        kt_fail("mmap", "errno %d", errno);
        return kt_done();
    }
    CHECK_ERR(madvise(p + 100, PG, MADV_NORMAL), EINVAL, "an unaligned start is EINVAL");
    CHECK_ERR(madvise(p, PG, 1212), EINVAL, "an unknown advice is EINVAL");
    CHECK_OK(madvise(p + 3 * PG, 0, MADV_NORMAL), "a zero length is 0");

    /* A hole in the middle: ENOMEM, the mapped parts advised all the same. */
    p[0] = 'a';
    p[2 * PG] = 'c';
    munmap(p + PG, PG);
    CHECK_ERR(madvise(p, 3 * PG, MADV_NORMAL), ENOMEM, "MADV_NORMAL over a hole is ENOMEM");
    CHECK_ERR(madvise(p, 3 * PG, MADV_WILLNEED), ENOMEM, "MADV_WILLNEED over a hole is ENOMEM");
    CHECK_ERR(madvise(p + PG, PG, MADV_NORMAL), ENOMEM, "MADV_NORMAL on nothing mapped is ENOMEM");
    CHECK_ERR(madvise(p, 3 * PG, MADV_DONTNEED), ENOMEM, "MADV_DONTNEED over a hole is ENOMEM");
    CHECK(p[0] == 0 && p[2 * PG] == 0, "MADV_DONTNEED over a hole still dropped the pages on both sides");
    munmap(p, 3 * PG);

    /* Locked memory. */
    char *l = anon(PG, MAP_PRIVATE);
    l[0] = 'x';
    if (mlock(l, PG) == 0) {
        CHECK_ERR(madvise(l, PG, MADV_DONTNEED), EINVAL, "MADV_DONTNEED on locked memory is EINVAL");
        CHECK_ERR(madvise(l, PG, MADV_FREE), EINVAL, "MADV_FREE on locked memory is EINVAL");
        CHECK(l[0] == 'x', "the locked page kept its contents");
        munlock(l, PG);
        CHECK_OK(madvise(l, PG, MADV_DONTNEED), "MADV_DONTNEED once unlocked");
        CHECK(l[0] == 0, "then the page reads zero");
    } else {
        kt_skip("locked memory", "mlock failed");
    }
    munmap(l, PG);

    /* MADV_FREE only on private anonymous memory. */
    char *s = anon(PG, MAP_SHARED);
    CHECK_ERR(madvise(s, PG, MADV_FREE), EINVAL, "MADV_FREE on shared anonymous memory is EINVAL");
    CHECK_OK(madvise(s, PG, MADV_DONTNEED), "MADV_DONTNEED there is fine");
    munmap(s, PG);
    kt_mktemp("madvise");
    int fd = open(kt_path("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_OK(ftruncate(fd, PG), "a one-page file");
    char *f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f != MAP_FAILED) {
        CHECK_ERR(madvise(f, PG, MADV_FREE), EINVAL, "MADV_FREE on a private file mapping is EINVAL");
        munmap(f, PG);
    }
    close(fd);
    char *a = anon(PG, MAP_PRIVATE);
    CHECK_OK(madvise(a, PG, MADV_FREE), "MADV_FREE on private anonymous memory");
    munmap(a, PG);

    /* Advice of features the kernel was built without. */
    char *h = anon(PG, MAP_PRIVATE);
    if (access("/sys/kernel/mm/ksm", F_OK) != 0) {
        CHECK_ERR(madvise(h, PG, MADV_MERGEABLE), EINVAL, "no KSM: MADV_MERGEABLE is EINVAL");
        CHECK_ERR(madvise(h, PG, MADV_UNMERGEABLE), EINVAL, "no KSM: MADV_UNMERGEABLE is EINVAL");
    } else {
        kt_skip("MADV_MERGEABLE", "this kernel has KSM");
    }
    if (access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0) {
        CHECK_ERR(madvise(h, PG, MADV_HUGEPAGE), EINVAL, "no THP: MADV_HUGEPAGE is EINVAL");
        CHECK_ERR(madvise(h, PG, MADV_NOHUGEPAGE), EINVAL, "no THP: MADV_NOHUGEPAGE is EINVAL");
    } else {
        kt_skip("MADV_HUGEPAGE", "this kernel has transparent huge pages");
    }
    munmap(h, PG);
    kt_cleanup();
    return kt_done();
}
