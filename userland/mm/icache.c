/* icache.c - code that changes under the same virtual address is run as it
 * is now, as Linux keeps the instruction cache coherent with mappings: a
 * code page unmapped and mapped again from a file (whose page the kernel
 * filled, maybe in the frame the old code had), remapped with MAP_FIXED over
 * itself, made executable again by mprotect, rewritten by stores and
 * fence.i, the same address holding other code in a child, and an
 * instruction straddling two pages whose second page is remapped. A guard
 * for every cache of code by frame: the JIT's translations, and the
 * interpreter's decoded blocks tried in session 13 (wasm/interp.ts), which
 * ran stale code here with their frame-reallocation and page-flush hooks
 * removed. */
#include "ktest.h"
#include <sys/mman.h>
#include <sys/wait.h>
#include <sched.h>

#define ADDI_A0(v) (0x00000513u | ((uint32_t)(v) << 20)) /* addi a0, zero, v */
#define RET 0x00008067u                                    /* ret */

typedef long (*fn_t)(void);

static long pg;
/* Touched before any code page is unmapped, so that the first frame the
 * kernel hands out after it is the file's page (maybe the freed frame). */
static char buf[65536];

/* A file of one page: `code` at offset `at`. */
static int code_file(const char *name, const void *code, size_t len, long at)
{
    const char *path = kt_path(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    memset(buf, 0, pg);
    memcpy(buf + at, code, len);
    if (write(fd, buf, pg) != pg) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Runs the function at p a few times (the first run decodes it, the others
 * reuse what was decoded); returns its value, or -1 if the runs disagreed. */
static long run(void *p)
{
    long v = ((fn_t)p)();
    for (int i = 0; i < 20; i++)
        if (((fn_t)p)() != v)
            return -1;
    return v;
}

int main(void)
{
    kt_watchdog(60);
    pg = sysconf(_SC_PAGESIZE);
    memset(buf, 1, sizeof buf);
    kt_path("icache.a");
    uint32_t two[2];

    /* Anonymous code written by stores, then the page unmapped and a file page
     * mapped at the same address: the file's page is filled by the kernel,
     * after the anonymous frame was freed (it may get that frame). */
    uint32_t *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap two anonymous RWX pages");
    p[0] = ADDI_A0(1);
    p[1] = RET;
    __builtin___clear_cache((char *)p, (char *)(p + 2));
    CHECK_EQ(run(p), 1, "code written by stores and fence.i runs");
    CHECK_OK(munmap(p, pg), "munmap the code page");
    two[0] = ADDI_A0(2);
    two[1] = RET;
    int fd = code_file("icache.a", two, sizeof two, 0);
    CHECK(fd >= 0, "a file holding other code");
    void *q = mmap(p, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK(q == (void *)p, "map the file at the same address");
    CHECK_EQ(run(p), 2, "the file's code runs at the old code's address");

    /* Mapped again with MAP_FIXED over itself, from another file. */
    two[0] = ADDI_A0(3);
    int fd2 = code_file("icache.b", two, sizeof two, 0);
    CHECK(fd2 >= 0, "a second file");
    q = mmap(p, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd2, 0);
    CHECK(q == (void *)p, "map the second file over the first");
    CHECK_EQ(run(p), 3, "the second file's code runs");

    /* Made writable, rewritten by a store, executable again: mprotect. */
    CHECK_OK(mprotect(p, pg, PROT_READ | PROT_WRITE), "mprotect read/write");
    p[0] = ADDI_A0(4);
    CHECK_OK(mprotect(p, pg, PROT_READ | PROT_EXEC), "mprotect read/execute");
    __builtin___clear_cache((char *)p, (char *)(p + 2));
    CHECK_EQ(run(p), 4, "code rewritten between two mprotects runs");

    /* The same address in a child holds other code; the parent's is unchanged. */
    pid_t pid = fork();
    if (pid == 0) {
        two[0] = ADDI_A0(5);
        int fd3 = code_file("icache.c", two, sizeof two, 0);
        if (fd3 < 0 || mmap(p, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd3, 0) != (void *)p)
            _exit(100);
        long v = 0;
        for (int i = 0; i < 200; i++) {
            v = run(p);
            if (v != 5)
                break;
            sched_yield();
        }
        _exit((int)v);
    }
    long pv = 0;
    for (int i = 0; i < 200; i++) {
        pv = run(p);
        if (pv != 4)
            break;
        sched_yield();
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "wait for the child");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "the child runs its own code at the address");
    CHECK_EQ(pv, 4, "the parent runs its code at the same address meanwhile");

    /* A 32-bit instruction straddling a page end: its upper half is on the
     * next page, which is then mapped from a file with another upper half. */
    uint32_t *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED, "two more RWX pages");
    char *mid = (char *)s + pg;
    uint32_t insn = ADDI_A0(6);
    memcpy(mid - 2, &insn, 2);
    memcpy(mid, (char *)&insn + 2, 2);
    uint32_t ret = RET;
    memcpy(mid + 2, &ret, 4);
    __builtin___clear_cache((char *)s, mid + 6);
    CHECK_EQ(run(mid - 2), 6, "an instruction across a page end runs");
    char upper[6];
    insn = ADDI_A0(7);
    memcpy(upper, (char *)&insn + 2, 2);
    memcpy(upper + 2, &ret, 4);
    int fd4 = code_file("icache.d", upper, sizeof upper, 0);
    CHECK(fd4 >= 0, "a file with the other upper half");
    q = mmap(mid, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd4, 0);
    CHECK(q == (void *)mid, "map it as the second page");
    CHECK_EQ(run(mid - 2), 7, "the instruction's new upper half is seen");

    close(fd);
    close(fd2);
    close(fd4);
    return kt_done();
}
