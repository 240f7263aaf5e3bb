/* mm.c - brk, mmap (anonymous and file-backed MAP_PRIVATE), munmap, mprotect,
 * madvise(MADV_DONTNEED), and SIGSEGV delivery for bad accesses. */
#include "ktest.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#define PAGE 4096UL

static sigjmp_buf fault_jmp;
static volatile int fault_count, fault_signo, fault_code;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_count++;
    fault_signo = sig;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(fault_jmp, 1);
}

/* Returns 1 if reading/writing *p faulted. */
static int try_access(volatile char *p, int write)
{
    fault_count = 0;
    fault_code = 0;
    fault_addr = NULL;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        if (write)
            *p = 42;
        else
            (void)*p;
        return 0;
    }
    return 1;
}

static void check_fault(volatile char *p, int write, int want_code, const char *what)
{
    char desc[200];
    int faulted = try_access(p, write);
    snprintf(desc, sizeof desc, "%s raises SIGSEGV", what);
    kt_check(faulted && fault_signo == SIGSEGV, desc, "faulted %d signo %d", faulted, fault_signo);
    if (!faulted)
        return;
    snprintf(desc, sizeof desc, "%s: si_code is %s", what, want_code == SEGV_MAPERR ? "SEGV_MAPERR" : "SEGV_ACCERR");
    CHECK_EQ(fault_code, want_code, desc);
    snprintf(desc, sizeof desc, "%s: si_addr is the faulting address", what);
    kt_check(fault_addr == (void *)p, desc, "got %p want %p", fault_addr, (void *)p);
}

static int all_bytes(const char *p, size_t n, char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(void)
{
    kt_mktemp("mm");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    /* ---- brk ---- */
    long cur = syscall(SYS_brk, 0);
    CHECK(cur > 0, "brk(0) returns the current break");
    long grown = syscall(SYS_brk, cur + 100000);
    CHECK_EQ(grown, cur + 100000, "brk grows the break by 100000");
    if (grown == cur + 100000) {
        char *p = (char *)cur;
        CHECK(all_bytes(p, 100000, 0), "new brk memory is zeroed");
        memset(p, 0x5a, 100000);
        CHECK(all_bytes(p, 100000, 0x5a), "new brk memory is writable");
        CHECK_EQ(syscall(SYS_brk, cur + 8192), cur + 8192, "brk shrinks");
        CHECK_EQ(syscall(SYS_brk, 0), cur + 8192, "brk(0) reports the shrunk break");
        long regrow = syscall(SYS_brk, cur + 100000);
        CHECK_EQ(regrow, cur + 100000, "brk grows again");
        CHECK(all_bytes((char *)cur + 3 * PAGE, 100000 - 3 * PAGE, 0), "regrown brk pages are zeroed");
    }
    CHECK_EQ(syscall(SYS_brk, 4096), syscall(SYS_brk, 0), "brk below the heap start fails by returning the old break");
    syscall(SYS_brk, cur);
    void *s1 = sbrk(0);
    void *s2 = sbrk(4096);
    CHECK(s1 == s2 && sbrk(0) == (char *)s1 + 4096, "glibc sbrk works on top of brk");
    sbrk(-4096);

    /* ---- anonymous mmap ---- */
    char *a = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "anonymous mmap of 3 pages");
    CHECK(((uintptr_t)a & (PAGE - 1)) == 0, "mmap result is page-aligned");
    CHECK(all_bytes(a, 3 * PAGE, 0), "anonymous mapping is zeroed");
    memset(a, 0x11, 3 * PAGE);
    CHECK(all_bytes(a, 3 * PAGE, 0x11), "anonymous mapping is writable");

    /* munmap the middle page */
    CHECK_EQ(munmap(a + PAGE, PAGE), 0, "munmap the middle page");
    check_fault(a + PAGE + 8, 0, SEGV_MAPERR, "read from an unmapped page");
    CHECK(a[0] == 0x11 && a[2 * PAGE] == 0x11, "pages around the hole stay mapped");

    /* mprotect */
    CHECK_EQ(mprotect(a, PAGE, PROT_READ), 0, "mprotect PROT_READ");
    CHECK_EQ(a[5], 0x11, "read-only page is readable");
    check_fault(a + 5, 1, SEGV_ACCERR, "write to a read-only page");
    CHECK_EQ(mprotect(a, PAGE, PROT_NONE), 0, "mprotect PROT_NONE");
    check_fault(a + 100, 0, SEGV_ACCERR, "read from a PROT_NONE page");
    CHECK_EQ(mprotect(a, PAGE, PROT_READ | PROT_WRITE), 0, "mprotect back to read/write");
    a[5] = 7;
    CHECK_EQ(a[5], 7, "write after restoring PROT_WRITE");
    CHECK_ERR(mprotect(a + 1, PAGE, PROT_READ), EINVAL, "mprotect of an unaligned address is EINVAL");
    CHECK_ERR(mprotect(a + PAGE, PAGE, PROT_READ), ENOMEM, "mprotect of an unmapped range is ENOMEM");

    /* madvise(MADV_DONTNEED) zeroes private anonymous pages */
    memset(a + 2 * PAGE, 0x77, PAGE);
    CHECK_EQ(madvise(a + 2 * PAGE, PAGE, MADV_DONTNEED), 0, "madvise MADV_DONTNEED");
    CHECK(all_bytes(a + 2 * PAGE, PAGE, 0), "MADV_DONTNEED zeroes anonymous pages");
    CHECK_EQ(a[0], 0x11, "MADV_DONTNEED leaves other pages alone");
    CHECK_EQ(madvise(a, PAGE, MADV_NORMAL), 0, "madvise MADV_NORMAL");
    CHECK_ERR(madvise(a + 1, PAGE, MADV_DONTNEED), EINVAL, "madvise of an unaligned address is EINVAL");

    CHECK_EQ(munmap(a, 3 * PAGE), 0, "munmap a range with a hole in it");
    check_fault(a, 1, SEGV_MAPERR, "write to an unmapped page");
    CHECK_EQ(munmap(a, 3 * PAGE), 0, "munmap of an already unmapped range succeeds");
    CHECK_ERR(munmap(a + 1, PAGE), EINVAL, "munmap of an unaligned address is EINVAL");
    CHECK_ERR(munmap(a, 0), EINVAL, "munmap of length 0 is EINVAL");

    /* MAP_FIXED */
    char *r = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(r, 0x22, 4 * PAGE);
    char *f = mmap(r + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == r + PAGE, "MAP_FIXED maps at the requested address");
    CHECK(all_bytes(f, PAGE, 0), "MAP_FIXED replaces the old contents");
    CHECK(r[0] == 0x22 && r[2 * PAGE] == 0x22, "MAP_FIXED leaves neighbours alone");
    munmap(r, 4 * PAGE);

    /* a large mapping, touched sparsely */
    size_t big = 64UL << 20;
    char *g = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(g != MAP_FAILED, "64 MiB anonymous mmap");
    if (g != MAP_FAILED) {
        int ok = 1;
        for (size_t off = 0; off < big; off += 1 << 20) {
            ok &= g[off] == 0;
            g[off] = (char)(off >> 20);
        }
        for (size_t off = 0; off < big; off += 1 << 20)
            ok &= g[off] == (char)(off >> 20);
        CHECK(ok, "sparse touches of a 64 MiB mapping");
        munmap(g, big);
    }

    /* mmap errors */
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
          "mmap of length 0 is EINVAL");
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
          "mmap without MAP_PRIVATE or MAP_SHARED is EINVAL");
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 9999, 0) == MAP_FAILED && errno == EBADF,
          "file mmap of a bad fd is EBADF");
    if (!kt_qemu()) /* qemu-user checks the length first */
        CHECK(mmap(NULL, 0, PROT_WRITE, MAP_SHARED, -1, 0) == MAP_FAILED && errno == EBADF,
              "a zero-length file mmap of fd -1 is EBADF: the fd comes first (LTP mmap08)");

    /* ---- file-backed MAP_PRIVATE ---- */
    const char *path = kt_path("mapped");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    size_t fsize = 2 * PAGE + 100;
    static char content[2 * 4096 + 100];
    for (size_t i = 0; i < fsize; i++)
        content[i] = (char)('A' + i % 26);
    CHECK_EQ(write(fd, content, fsize), (long)fsize, "write file to map");

    char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, "file-backed MAP_PRIVATE mmap");
    if (m != MAP_FAILED) {
        CHECK(memcmp(m, content, fsize) == 0, "mapping shows the file contents");
        CHECK(all_bytes(m + fsize, 3 * PAGE - fsize, 0), "the tail of the last file page is zero");
        memcpy(m, "PRIVATE", 7);
        CHECK(memcmp(m, "PRIVATE", 7) == 0, "private mapping is writable");
        char back[8] = {0};
        pread(fd, back, 7, 0);
        CHECK(memcmp(back, content, 7) == 0, "writes to a MAP_PRIVATE mapping do not reach the file");
        /* (Linux also shows later file writes through untouched MAP_PRIVATE
         * pages; POSIX leaves that unspecified, so it is not checked.) */
        munmap(m, 4 * PAGE);
    }

    m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK(m != MAP_FAILED, "mmap at file offset 4096");
    if (m != MAP_FAILED) {
        CHECK(memcmp(m, content + PAGE, PAGE) == 0, "offset mapping shows the right part of the file");
        check_fault(m, 1, SEGV_ACCERR, "write to a PROT_READ file mapping");
        munmap(m, PAGE);
    }
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL,
          "mmap with an unaligned offset is EINVAL");
    close(fd);

    /* the mapping outlives the descriptor */
    fd = open(path, O_RDONLY);
    m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    CHECK(m != MAP_FAILED && m[0] == 'A', "mapping stays valid after close(fd)");
    CHECK(m != MAP_FAILED && (m[1] = 'x') == 'x', "PROT_WRITE MAP_PRIVATE of an O_RDONLY fd is allowed");
    if (m != MAP_FAILED)
        munmap(m, PAGE);

    fd = open(path, O_WRONLY);
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EACCES,
          "mmap of an O_WRONLY fd is EACCES");
    close(fd);

    kt_cleanup();
    return kt_done();
}
