/* vm.c - virtual memory: mprotect/munmap splitting a mapping, mremap
 * (grow, shrink, move, MREMAP_FIXED), MADV_DONTNEED, msync, mincore,
 * MAP_FIXED_NOREPLACE, MAP_GROWSDOWN and main-stack growth, brk, file
 * mappings (MAP_SHARED write-back, MAP_PRIVATE isolation, SIGBUS past EOF),
 * executing generated code, argument errors. */
#include "ktest.h"
#include <setjmp.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG 4096

/* ---- fault probes: return 0 if the access worked, else the signal number, with the si_code in probe_code ---- */
static sigjmp_buf probe_jmp;
static volatile int probe_code;
static volatile uintptr_t probe_addr;

static void on_probe(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    probe_code = si->si_code;
    probe_addr = (uintptr_t)si->si_addr;
    siglongjmp(probe_jmp, sig);
}

static void probes_on(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_probe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static int probe_read(const volatile char *p, char *out)
{
    int sig = sigsetjmp(probe_jmp, 1);
    if (sig)
        return sig;
    char v = *p;
    if (out)
        *out = v;
    return 0;
}

static int probe_write(volatile char *p, char v)
{
    int sig = sigsetjmp(probe_jmp, 1);
    if (sig)
        return sig;
    *p = v;
    return 0;
}

/* Find the /proc/self/maps line containing addr: 1 if found (start, end, perms filled), 0 if none, -1 if no /proc. */
static int maps_find(uintptr_t addr, uintptr_t *start, uintptr_t *end, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        char pm[5];
        if (sscanf(line, "%lx-%lx %4s", &s, &e, pm) == 3 && s <= addr && addr < e) {
            *start = s;
            *end = e;
            memcpy(perms, pm, 5);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

static char *map_anon(size_t n, int prot)
{
    char *p = mmap(NULL, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void splitting(void)
{
    char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE);
    CHECK(p != NULL, "mmap 3 pages");
    for (int i = 0; i < 3; i++)
        memset(p + i * PG, 'a' + i, PG);
    CHECK_EQ(mprotect(p + PG, PG, PROT_READ), 0, "mprotect the middle page read-only");
    uintptr_t ms, me;
    char perms[5];
    if (maps_find((uintptr_t)p, &ms, &me, perms) < 0) {
        kt_skip("/proc/self/maps shows the split into three mappings", "no /proc/self/maps");
    } else {
        int ok = maps_find((uintptr_t)p, &ms, &me, perms) == 1 && me == (uintptr_t)(p + PG) && !strcmp(perms, "rw-p");
        ok = ok && maps_find((uintptr_t)(p + PG), &ms, &me, perms) == 1 && ms == (uintptr_t)(p + PG) &&
             me == (uintptr_t)(p + 2 * PG) && !strcmp(perms, "r--p");
        ok = ok && maps_find((uintptr_t)(p + 2 * PG), &ms, &me, perms) == 1 && ms == (uintptr_t)(p + 2 * PG) &&
             !strcmp(perms, "rw-p");
        kt_check(ok, "/proc/self/maps shows the split into three mappings (rw-p, r--p, rw-p)",
                 "last line looked at: %#lx-%#lx %s", (unsigned long)ms, (unsigned long)me, perms);
    }
    CHECK_EQ(probe_write(p, 'x'), 0, "page 0 is still writable");
    CHECK_EQ(probe_write(p + PG + 10, 'x'), SIGSEGV, "page 1 (read-only) faults on write");
    CHECK_EQ(probe_code, SEGV_ACCERR, "with SEGV_ACCERR");
    CHECK_EQ(probe_addr, (uintptr_t)(p + PG + 10), "at the written address");
    CHECK_EQ(probe_write(p + 2 * PG + PG - 1, 'y'), 0, "page 2 is still writable");
    char c = 0;
    CHECK(probe_read(p + PG + 5, &c) == 0 && c == 'b', "page 1 is readable with its contents");
    CHECK_EQ(mprotect(p + PG, PG, PROT_NONE), 0, "mprotect the middle page PROT_NONE");
    CHECK_EQ(probe_read(p + PG, NULL), SIGSEGV, "page 1 faults on read");
    CHECK(probe_read(p + 5, &c) == 0 && c == 'a', "page 0 readable");
    CHECK(probe_read(p + 2 * PG + 5, &c) == 0 && c == 'c', "page 2 readable");
    CHECK_EQ(mprotect(p + PG, PG, PROT_READ | PROT_WRITE), 0, "restore the middle page");
    CHECK(probe_read(p + PG + 5, &c) == 0 && c == 'b', "middle page contents survived PROT_NONE");

    CHECK_EQ(munmap(p + PG, PG), 0, "munmap the middle page");
    if (maps_find((uintptr_t)p, &ms, &me, perms) >= 0)
        CHECK(maps_find((uintptr_t)(p + PG), &ms, &me, perms) == 0, "/proc/self/maps has no line for the hole");
    CHECK_EQ(probe_read(p + PG, NULL), SIGSEGV, "the hole faults");
    CHECK_EQ(probe_code, SEGV_MAPERR, "with SEGV_MAPERR");
    CHECK(probe_read(p + PG - 1, &c) == 0 && c == 'a', "the page before the hole is intact");
    CHECK(probe_read(p + 2 * PG, &c) == 0 && c == 'c', "the page after the hole is intact");
    CHECK_EQ(munmap(p, 3 * PG), 0, "munmap across a hole succeeds");
    CHECK_EQ(probe_read(p, NULL), SIGSEGV, "everything is unmapped");
    CHECK_EQ(munmap(p, 3 * PG), 0, "munmap of an unmapped range succeeds");
    CHECK_ERR(munmap(p + 1, PG), EINVAL, "munmap of an unaligned address is EINVAL");
    CHECK_ERR(mprotect(p, PG, PROT_READ), ENOMEM, "mprotect of an unmapped range is ENOMEM");
    CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0, EINVAL,
              "mmap of length 0 is EINVAL");
    CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0, EINVAL,
              "mmap without MAP_PRIVATE or MAP_SHARED is EINVAL");
    CHECK_ERR(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED ? -1 : 0, EBADF, "mmap of a bad fd is EBADF");
}

static void remap(void)
{
    /* grow in place: the next pages are free */
    char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);
    munmap(p + 2 * PG, 2 * PG);
    memset(p, 'm', 2 * PG);
    char *q = mremap(p, 2 * PG, 4 * PG, 0);
    kt_check(q == p, "mremap grows in place when the following pages are free", "got %p want %p", (void *)q, (void *)p);
    if (q == MAP_FAILED)
        kt_printf("# mremap: errno %d (%s)\n", errno, strerror(errno));
    char c = 0;
    if (q == p) {
        CHECK(probe_write(p + 3 * PG + 7, 'z') == 0 && probe_read(p + PG, &c) == 0 && c == 'm',
              "grown mapping: new pages usable, old contents kept");
        CHECK(probe_read(p + 2 * PG, &c) == 0 && c == 0, "the new pages are zero");
    }

    /* shrink */
    q = mremap(p, 4 * PG, PG, 0);
    CHECK(q == p, "mremap shrinks in place");
    CHECK_EQ(probe_read(p + PG, NULL), SIGSEGV, "the pages cut off by shrinking are unmapped");
    CHECK(probe_read(p, &c) == 0 && c == 'm', "the remaining page keeps its contents");

    /* cannot grow in place when blocked: ENOMEM without MREMAP_MAYMOVE */
    char *blocker = mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(blocker == p + PG, "map a blocker right after");
    errno = 0;
    q = mremap(p, PG, 3 * PG, 0);
    kt_check(q == MAP_FAILED && errno == ENOMEM, "mremap without MAYMOVE that cannot grow is ENOMEM",
             "got %p errno %d", (void *)q, errno);
    q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q != p, "MREMAP_MAYMOVE moves the mapping to grow it");
    if (q != MAP_FAILED && q != p) {
        CHECK(probe_read(q, &c) == 0 && c == 'm', "the moved mapping has the contents");
        CHECK_EQ(probe_read(p, NULL), SIGSEGV, "the old address is unmapped after the move");
        CHECK_EQ(probe_write(q + 2 * PG, 'w'), 0, "the moved, grown mapping is writable at its end");
    }
    munmap(blocker, PG);

    /* MREMAP_FIXED to a chosen address (replacing what is there) */
    char *target = map_anon(2 * PG, PROT_READ);
    q[0] = 'F';
    char *r = mremap(q, 3 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    CHECK(r == target, "MREMAP_FIXED moves to the requested address");
    if (r == target) {
        CHECK(probe_read(target, &c) == 0 && c == 'F', "contents arrive at the fixed address");
        CHECK_EQ(probe_write(target + PG, 'k'), 0, "and it is writable (the old PROT_READ mapping was replaced)");
        CHECK_EQ(probe_read(q, NULL), SIGSEGV, "the source is unmapped");
    }
    errno = 0;
    CHECK(mremap(target, 2 * PG, PG, MREMAP_FIXED, target + 8 * PG) == MAP_FAILED && errno == EINVAL,
          "MREMAP_FIXED without MREMAP_MAYMOVE is EINVAL");
    errno = 0;
    CHECK(mremap(target + 1, PG, PG, 0) == MAP_FAILED && errno == EINVAL, "mremap of an unaligned address is EINVAL");
    char *hole = map_anon(PG, PROT_READ);
    munmap(hole, PG);
    errno = 0;
    void *mr = mremap(hole, PG, 2 * PG, MREMAP_MAYMOVE);
    int mre = errno;
    kt_check(mr == MAP_FAILED && mre == EFAULT, "mremap of an unmapped address is EFAULT", "got %p errno %d", mr, mre);
    munmap(target, 2 * PG);

    /* a big grow with contents */
    size_t n = 256 * PG;
    unsigned char *b = (unsigned char *)map_anon(n, PROT_READ | PROT_WRITE);
    for (size_t i = 0; i < n; i += PG)
        b[i] = (unsigned char)(i / PG);
    unsigned char *b2 = mremap(b, n, 4 * n, MREMAP_MAYMOVE);
    int ok = b2 != MAP_FAILED;
    for (size_t i = 0; ok && i < n; i += PG)
        if (b2[i] != (unsigned char)(i / PG))
            ok = 0;
    CHECK(ok, "mremap 1 MiB -> 4 MiB keeps all the pages");
    if (b2 != MAP_FAILED)
        munmap(b2, 4 * n);
}

static void advice_sync_mincore(void)
{
    char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);
    memset(p, 7, 4 * PG);
    CHECK_EQ(madvise(p + PG, 2 * PG, MADV_DONTNEED), 0, "madvise MADV_DONTNEED on 2 pages");
    CHECK(p[PG] == 0 && p[3 * PG - 1] == 0, "MADV_DONTNEED pages read back as zero");
    CHECK(p[0] == 7 && p[3 * PG] == 7, "the neighbours are untouched");
    CHECK_ERR(madvise(p + 1, PG, MADV_DONTNEED), EINVAL, "madvise on an unaligned address is EINVAL");
    CHECK_EQ(madvise(p, 4 * PG, MADV_WILLNEED), 0, "MADV_WILLNEED is accepted");
    CHECK_EQ(madvise(p, 4 * PG, MADV_NORMAL), 0, "MADV_NORMAL is accepted");
    munmap(p, 4 * PG);

    /* mincore */
    p = map_anon(4 * PG, PROT_READ | PROT_WRITE);
    p[0] = 1;
    p[2 * PG] = 1;
    unsigned char vec[4] = {0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(mincore(p, 4 * PG, vec), 0, "mincore");
    kt_check((vec[0] & 1) && !(vec[1] & 1) && (vec[2] & 1) && !(vec[3] & 1),
             "mincore: touched pages resident, untouched anonymous pages not", "vec %d %d %d %d", vec[0], vec[1],
             vec[2], vec[3]);
    CHECK_ERR(mincore(p + 1, PG, vec), EINVAL, "mincore on an unaligned address is EINVAL");
    munmap(p + 3 * PG, PG);
    CHECK_ERR(mincore(p, 4 * PG, vec), ENOMEM, "mincore over an unmapped page is ENOMEM");
    munmap(p, 3 * PG);

    /* msync */
    p = map_anon(2 * PG, PROT_READ | PROT_WRITE);
    CHECK_EQ(msync(p, 2 * PG, MS_SYNC), 0, "msync MS_SYNC on anonymous memory");
    CHECK_EQ(msync(p, PG, MS_ASYNC), 0, "msync MS_ASYNC");
    CHECK_ERR(msync(p + 1, PG, MS_SYNC), EINVAL, "msync of an unaligned address is EINVAL");
    CHECK_ERR(msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL, "msync with MS_SYNC|MS_ASYNC is EINVAL");
    munmap(p, 2 * PG);
    CHECK_ERR(msync(p, PG, MS_SYNC), ENOMEM, "msync of an unmapped range is ENOMEM");
}

static void fixed_noreplace(void)
{
    char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);
    errno = 0;
    void *r = mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    int e = errno;
    if (kt_qemu() && r != MAP_FAILED && r != p + PG) {
        kt_skip("MAP_FIXED_NOREPLACE over an existing mapping is EEXIST", "qemu-user 7.2 treats it as a hint");
        munmap(r, PG);
    } else {
        kt_check(r == MAP_FAILED && e == EEXIST, "MAP_FIXED_NOREPLACE over an existing mapping is EEXIST",
                 "got %p errno %d", r, e);
    }
    munmap(p + PG, PG);
    r = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(r == p + PG, "MAP_FIXED_NOREPLACE on a free range maps exactly there");
    r = mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(r == p, "MAP_FIXED replaces an existing mapping");
    CHECK_EQ(probe_write(p, 1), SIGSEGV, "the replacement is read-only");
    char *hint = mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(hint != MAP_FAILED && hint != p, "a busy hint address without MAP_FIXED is moved elsewhere");
    munmap(hint, PG);
    munmap(p, 2 * PG);
}

static int __attribute__((noinline)) deep(int n)
{
    volatile char big[64 * 1024];
    big[0] = (char)n;
    big[sizeof big - 1] = (char)n;
    if (n == 0)
        return big[0];
    return deep(n - 1) + big[sizeof big - 1];
}

static void stacks(void)
{
    /* the main stack grows on demand: 2 MiB of frames */
    CHECK_EQ(deep(32), 32 * 33 / 2, "2 MiB of recursion on the main stack");

    /* MAP_GROWSDOWN */
    char *area = map_anon(64 * PG, PROT_NONE);
    munmap(area, 64 * PG); /* a free range to place the stack in, with a large gap below */
    char *top = area + 48 * PG;
    char *s = mmap(top, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
    CHECK(s == top, "mmap MAP_GROWSDOWN");
    CHECK_EQ(probe_write(s, 1), 0, "the growsdown mapping is writable");
    int r = probe_write(s - PG, 2);
    if (kt_qemu() && r != 0)
        kt_skip("MAP_GROWSDOWN grows when touching the page below", "qemu-user does not grow guest mappings");
    else
        CHECK_EQ(r, 0, "MAP_GROWSDOWN grows when touching the page below");
    r = probe_write(s - 4 * PG, 3);
    if (kt_qemu() && r != 0)
        kt_skip("MAP_GROWSDOWN grows by several pages", "qemu-user");
    else
        CHECK_EQ(r, 0, "MAP_GROWSDOWN grows by several pages");
    char c = 0;
    if (!kt_qemu())
        CHECK(probe_read(s - PG, &c) == 0 && c == 2, "the grown page kept its value");
    munmap(area, 64 * PG);
}

static void brks(void)
{
    char *cur = (char *)syscall(SYS_brk, 0);
    CHECK(cur != NULL && cur != (char *)-1, "brk(0) returns the current break");
    char *want = cur + 64 * 1024;
    char *got = (char *)syscall(SYS_brk, want);
    CHECK_EQ(got, want, "brk grows by 64 KiB");
    CHECK(probe_write(want - 1, 5) == 0 && probe_write(cur, 6) == 0, "the grown heap is writable");
    CHECK(cur[1] == 0, "new heap memory is zero");
    got = (char *)syscall(SYS_brk, cur + 4096);
    CHECK_EQ(got, cur + 4096, "brk shrinks");
    int r = probe_read(want - 1, NULL);
    /* the page holding the old break end must be gone */
    if (kt_qemu() && r == 0)
        kt_skip("memory above a shrunk break is unmapped", "qemu-user 7.2 keeps the pages mapped");
    else
        CHECK_EQ(r, SIGSEGV, "memory above a shrunk break is unmapped");
    got = (char *)syscall(SYS_brk, want);
    CHECK_EQ(got, want, "brk grows again");
    char v = 1;
    probe_read(want - 1, &v);
    CHECK_EQ(v, 0, "re-grown heap memory is zero again");
    got = (char *)syscall(SYS_brk, (char *)4096);
    CHECK_EQ(got, want, "brk below the heap start fails and returns the current break");
    got = (char *)syscall(SYS_brk, cur);
    CHECK_EQ(got, cur, "brk back to the original break");
    /* sbrk/malloc still work */
    void *m = malloc(1 << 20);
    CHECK(m != NULL, "malloc 1 MiB afterwards");
    free(m);
}

static int write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    write(fd, data, n);
    return fd;
}

static void file_maps(void)
{
    kt_mktemp("vm");
    static char data[2 * PG];
    for (int i = 0; i < 2 * PG; i++)
        data[i] = (char)('A' + i % 26);
    int fd = write_file(kt_path("shared"), data, sizeof data);
    CHECK(fd >= 0, "create an 8 KiB file");
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap it MAP_SHARED read-write");
    CHECK(m[0] == 'A' && m[PG + 1] == data[PG + 1], "the mapping shows the file");
    memcpy(m + 100, "shared-write", 12);
    memcpy(m + PG + 10, "second-page", 11);
    char buf[32] = {0};
    pread(fd, buf, 12, 100);
    CHECK_STR(buf, "shared-write", "a store into a MAP_SHARED mapping is seen by read() at once (same page cache)");
    CHECK_EQ(msync(m, 2 * PG, MS_SYNC), 0, "msync MS_SYNC");
    munmap(m, 2 * PG);
    close(fd);
    fd = open(kt_path("shared"), O_RDONLY);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 11, PG + 10);
    CHECK_STR(buf, "second-page", "after munmap and reopen, the file holds the mapping's writes");
    struct stat st;
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 2 * PG, "the file size is unchanged");
    close(fd);

    /* write() is seen through an existing shared mapping */
    fd = open(kt_path("shared"), O_RDWR);
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pwrite(fd, "via-write", 9, 200);
    CHECK(memcmp(m + 200, "via-write", 9) == 0, "pwrite() is visible through a MAP_SHARED mapping");
    /* two shared mappings of the same file are coherent */
    char *m2 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    m2[300] = '#';
    CHECK_EQ(m[300], '#', "two MAP_SHARED mappings of one file see each other's stores");
    /* and a forked child's stores to a shared file mapping come back */
    pid_t c = fork();
    if (c == 0) {
        m[400] = '!';
        _exit(0);
    }
    kt_waitpid(c, NULL, 0);
    CHECK_EQ(m[400], '!', "a child's store into an inherited MAP_SHARED file mapping is visible to the parent");
    munmap(m, PG);
    munmap(m2, PG);

    /* MAP_PRIVATE: stores stay private */
    char *pm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(pm != MAP_FAILED, "mmap MAP_PRIVATE read-write");
    memcpy(pm, "PRIVATE", 7);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 7, 0);
    CHECK(memcmp(buf, "PRIVATE", 7) != 0, "a store into a MAP_PRIVATE mapping does not reach the file");
    CHECK_EQ(buf[0], 'A', "the file still has its data");
    pwrite(fd, "Z", 1, 0);
    CHECK_EQ(pm[0], 'P', "the private copy keeps its own data after the file changes");
    munmap(pm, PG);

    /* SIGBUS past end of file */
    int small = write_file(kt_path("small"), "tiny", 4);
    char *sm = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, small, 0);
    CHECK(sm != MAP_FAILED, "map 2 pages of a 4-byte file");
    char v = 0;
    CHECK(probe_read(sm + 3, &v) == 0 && v == 'y', "the first page is readable");
    CHECK_EQ(sm[100], 0, "the rest of the last file page reads as zero");
    CHECK_EQ(probe_read(sm + PG, NULL), SIGBUS, "a page wholly past EOF raises SIGBUS");
    CHECK_EQ(probe_code, BUS_ADRERR, "with BUS_ADRERR");
    munmap(sm, 2 * PG);
    close(small);

    /* permission checks */
    int ro = open(kt_path("shared"), O_RDONLY);
    errno = 0;
    CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED && errno == EACCES,
          "MAP_SHARED PROT_WRITE of a read-only fd is EACCES");
    void *okp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    CHECK(okp != MAP_FAILED, "MAP_PRIVATE PROT_WRITE of a read-only fd is allowed");
    munmap(okp, PG);
    errno = 0;
    CHECK(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 100) == MAP_FAILED && errno == EINVAL,
          "mmap with an unaligned offset is EINVAL");
    close(ro);
    /* /dev/zero opened read-only and mapped MAP_SHARED never becomes writable (no VM_MAYWRITE). */
    int zro = open("/dev/zero", O_RDONLY);
    void *z = mmap(NULL, PG, PROT_READ, MAP_SHARED, zro, 0);
    CHECK(z != MAP_FAILED, "MAP_SHARED PROT_READ of read-only /dev/zero");
    CHECK_ERR(mprotect(z, PG, PROT_WRITE), EACCES, "mprotect(PROT_WRITE) of it is EACCES");
    munmap(z, PG);
    z = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, zro, 0);
    CHECK_OK(mprotect(z, PG, PROT_READ | PROT_WRITE), "a MAP_PRIVATE one may become writable");
    munmap(z, PG);
    close(zro);
    close(fd);
    kt_cleanup();
}

static void exec_code(void)
{
    /* li a0, 42 ; ret */
    static const uint32_t code[] = {0x02a00513, 0x00008067};
    uint32_t *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(p, code, sizeof code);
    CHECK_EQ(probe_read((char *)p, NULL), 0, "code page readable");
    CHECK_EQ(mprotect(p, PG, PROT_READ | PROT_EXEC), 0, "mprotect PROT_READ|PROT_EXEC");
    __builtin___clear_cache((char *)p, (char *)p + sizeof code);
    int (*fn)(void) = (int (*)(void))(void *)p;
    CHECK_EQ(fn(), 42, "generated code runs");
    /* rewrite it: li a0, 43 */
    mprotect(p, PG, PROT_READ | PROT_WRITE);
    p[0] = 0x02b00513;
    mprotect(p, PG, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)p, (char *)p + sizeof code);
    CHECK_EQ(fn(), 43, "rewritten code runs the new instruction");
    munmap(p, PG);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    probes_on();
    splitting();
    remap();
    advice_sync_mincore();
    fixed_noreplace();
    stacks();
    brks();
    file_maps();
    exec_code();
    return kt_done();
}
