/* mlock.c - memory locking as /proc and mincore show it: VmLck after mlock,
 * mlock2(MLOCK_ONFAULT), MAP_LOCKED, munlock, mlockall/munlockall; locks not
 * inherited across fork; mincore counting pages resident that were locked (or
 * faulted) by a child in a shared mapping; RLIMIT_MEMLOCK for an
 * unprivileged process (ENOMEM, EAGAIN for MAP_LOCKED, EPERM at 0); a
 * write-only mapping is populated by mlock too (any accessible VMA, as
 * populate_vma_page_range); msync(MS_INVALIDATE) on a locked range is EBUSY. */
#include "ktest.h"

#define PG 4096
#define MB (1024 * 1024)

static long vmlck(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strstr(buf, "VmLck:");
    return p ? strtol(p + 6, NULL, 10) : -1;
}

/* Resident pages of [p, p+len) as mincore counts them. */
static int resident(void *p, size_t len)
{
    unsigned char v[1024];
    size_t n = len / PG;
    if (n > sizeof v || mincore(p, len, v) < 0)
        return -1;
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i] & 1;
    return c;
}

static void *anon(size_t len, int flags)
{
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

static void write_only_and_msync(void)
{
    char *p = mmap(NULL, MB, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap a write-only 1 MiB");
    CHECK_OK(mlock(p, MB), "mlock the write-only mapping");
    if (kt_qemu())
        kt_skip("mlock populates a write-only mapping", "qemu-user's mincore refuses an unreadable range");
    else
        CHECK_EQ(resident(p, MB), MB / PG, "mlock populates a write-only mapping");
    CHECK_ERR(msync(p, PG, MS_INVALIDATE), EBUSY, "msync(MS_INVALIDATE) on a locked range is EBUSY");
    CHECK_OK(msync(p, PG, MS_SYNC), "msync(MS_SYNC) on it is fine");
    CHECK_OK(munlock(p, MB), "munlock it");
    CHECK_OK(msync(p, PG, MS_INVALIDATE), "msync(MS_INVALIDATE) once unlocked");
    munmap(p, MB);
    /* A shared write-only mapping too (FOLL_FORCE for any accessible VMA), and mlock2 likewise (LTP mlock201). */
    p = mmap(NULL, 8 * PG, PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap a shared write-only 8 pages");
    if (kt_qemu()) {
        kt_skip("mlock2 populates a shared write-only mapping", "qemu-user has no mlock2, and its mincore refuses an unreadable range");
    } else {
        CHECK_OK(syscall(SYS_mlock2, p, 3 * PG, 0), "mlock2 3 pages of it");
        CHECK_EQ(resident(p, 8 * PG), 3, "mlock2 populates a shared write-only mapping");
    }
    munmap(p, 8 * PG);
}

static void basics(void)
{
    long base = vmlck();
    CHECK(base >= 0, "VmLck is in /proc/self/status");
    char *p = anon(MB, 0);
    CHECK_EQ(resident(p, MB), 0, "a fresh anonymous mapping has no page resident");
    CHECK_OK(mlock(p, MB), "mlock 1 MiB");
    CHECK_EQ(vmlck() - base, 1024, "VmLck grows by 1024 kB");
    CHECK_EQ(resident(p, MB), MB / PG, "every locked page is resident");
    CHECK_OK(mlock(p, MB), "locking it again");
    CHECK_EQ(vmlck() - base, 1024, "counts it once");
    CHECK_OK(munlock(p + MB / 2, MB / 2), "munlock the second half");
    CHECK_EQ(vmlck() - base, 512, "VmLck drops by 512 kB");
    CHECK_OK(munmap(p, MB), "munmap");
    CHECK_EQ(vmlck(), base, "unmapping ends the lock");

    p = anon(MB, MAP_LOCKED);
    CHECK(p != MAP_FAILED, "mmap MAP_LOCKED 1 MiB");
    CHECK_EQ(vmlck() - base, 1024, "MAP_LOCKED counts in VmLck");
    CHECK_EQ(resident(p, MB), MB / PG, "and populates the mapping");
    CHECK_OK(munlock(p, MB), "munlock it");
    CHECK_EQ(vmlck(), base, "VmLck back to its base");
    munmap(p, MB);

    p = anon(64 * 1024, MAP_POPULATE);
    if (kt_qemu())
        kt_skip("MAP_POPULATE", "qemu-user 7.2 does not pass it on");
    else
        CHECK_EQ(resident(p, 64 * 1024), 16, "MAP_POPULATE faults every page in");
    munmap(p, 64 * 1024);

    p = anon(64 * 1024, 0);
    if (kt_qemu()) {
        kt_skip("mlock2", "qemu-user 7.2 lacks it");
        munmap(p, 64 * 1024);
        p = anon(64 * 1024, 0);
        munmap(p, 64 * 1024);
        goto unmapped;
    }
    CHECK_OK(syscall(SYS_mlock2, p, 64 * 1024, 1 /* MLOCK_ONFAULT */), "mlock2 MLOCK_ONFAULT");
    CHECK_EQ(vmlck() - base, 64, "counts in VmLck");
    CHECK_EQ(resident(p, 64 * 1024), 0, "but faults nothing in");
    p[0] = 1;
    CHECK_EQ(resident(p, 64 * 1024), 1, "a touched page is then resident");
    CHECK_ERR(syscall(SYS_mlock2, p, 4096, 2), EINVAL, "mlock2 with an unknown flag is EINVAL");
    munmap(p, 64 * 1024);
    CHECK_EQ(vmlck(), base, "VmLck back to its base");

unmapped:
    CHECK_OK(mlock(p, 0), "mlock of 0 bytes");
    CHECK_ERR(mlock(p, 4096), ENOMEM, "mlock of an unmapped page is ENOMEM");
    CHECK_ERR(mincore(p, 4096, (unsigned char[1]){0}), ENOMEM, "mincore of an unmapped page is ENOMEM");
}

static void across_fork(void)
{
    long base = vmlck();
    char *p = anon(256 * 1024, 0);
    mlock(p, 256 * 1024);
    pid_t c = fork();
    if (c == 0)
        _exit(vmlck() == base ? 0 : 1);
    kt_check_exit(c, 0, "a child does not inherit the parent's locks (VmLck at the base)");
    CHECK_EQ(vmlck() - base, 256, "the parent keeps them");
    munmap(p, 256 * 1024);

    /* A child locks pages of a shared mapping: the parent sees them resident. */
    char *s = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK_EQ(resident(s, 16 * PG), 0, "a fresh shared mapping: nothing resident");
    c = fork();
    if (c == 0)
        _exit(mlock(s, 16 * PG) == 0 ? 0 : 1);
    kt_check_exit(c, 0, "a child locks the shared mapping");
    CHECK_EQ(resident(s, 16 * PG), 16, "mincore in the parent: the child's locked pages are resident");
    munmap(s, 16 * PG);

    /* The same through a private file mapping (LTP mincore04): the child's
       mlock write-faults its copies (populate_vma_page_range breaks COW on a
       writable private mapping), which reads the file's pages through the
       page cache; mincore reports the cache for pages the parent has not
       touched. */
    char f[300];
    snprintf(f, sizeof f, "%s/mincore-private", kt_mktemp("mlock"));
    int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_OK(ftruncate(fd, 3 * PG), "a three-page file");
    fsync(fd);
    posix_fadvise(fd, 0, 3 * PG, POSIX_FADV_DONTNEED);
    char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    c = fork();
    if (c == 0)
        _exit(mlock(m, 3 * PG) == 0 ? 0 : 1);
    kt_check_exit(c, 0, "a child locks a private file mapping");
    CHECK_EQ(resident(m, 3 * PG), 3, "mincore in the parent: the file's pages are in the page cache");
    munmap(m, 3 * PG);
    close(fd);
    unlink(f);
}

static void all(void)
{
    if (kt_qemu()) {
        kt_skip("mlockall", "under qemu-user it would lock the emulator's whole address space");
        return;
    }
    CHECK_ERR(mlockall(0), EINVAL, "mlockall(0) is EINVAL");
    CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT) alone is EINVAL");
    CHECK_OK(mlockall(MCL_CURRENT), "mlockall(MCL_CURRENT)");
    CHECK(vmlck() > 0, "VmLck is the whole address space");
    CHECK_OK(munlockall(), "munlockall");
    CHECK_EQ(vmlck(), 0, "VmLck 0 again");
    CHECK_OK(mlockall(MCL_FUTURE), "mlockall(MCL_FUTURE)");
    char *p = anon(64 * 1024, 0);
    CHECK_EQ(vmlck(), 64, "a new mapping is locked");
    CHECK_EQ(resident(p, 64 * 1024), 16, "and populated");
    munlockall();
    CHECK_EQ(vmlck(), 0, "munlockall unlocks it");
    munmap(p, 64 * 1024);
}

static void limits(void)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit r = {64 * 1024, 64 * 1024};
        if (setrlimit(RLIMIT_MEMLOCK, &r) < 0 || setresuid(65534, 65534, 65534) < 0)
            _exit(100);
        char *p = anon(256 * 1024, 0);
        if (mlock(p, 128 * 1024) == 0 || errno != ENOMEM)
            _exit(1);
        if (mlock(p, 32 * 1024) < 0)
            _exit(2);
        if (mlock(p, 32 * 1024) < 0)
            _exit(3); /* the same pages again: not counted twice */
        if (mlock(p + 32 * 1024, 32 * 1024) < 0)
            _exit(4); /* exactly at the limit */
        if (mlock(p + 64 * 1024, 4096) == 0 || errno != ENOMEM)
            _exit(5);
        if (mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) != MAP_FAILED || errno != EAGAIN)
            _exit(6);
        if (mlockall(MCL_CURRENT) == 0 || errno != ENOMEM)
            _exit(7);
        munlock(p, 256 * 1024);
        r.rlim_cur = 0;
        setrlimit(RLIMIT_MEMLOCK, &r);
        if (mlock(p, 4096) == 0 || errno != EPERM)
            _exit(8);
        if (mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) != MAP_FAILED || errno != EPERM)
            _exit(9);
        _exit(0);
    }
    kt_check_exit(c, 0, "RLIMIT_MEMLOCK for a process without CAP_IPC_LOCK: ENOMEM, EAGAIN for MAP_LOCKED, EPERM at 0");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    basics();
    write_only_and_msync();
    across_fork();
    all();
    limits();
    return kt_done();
}
