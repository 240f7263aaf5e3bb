/* auxv.c - the initial process stack: argc/argv/envp/auxv layout and the
 * auxiliary vector entries Linux provides. */
#include "ktest.h"
#include <fcntl.h>
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

extern char __ehdr_start[] __attribute__((visibility("hidden")));
extern char _start[];

#define HWCAP_ISA(c) (1UL << ((c) - 'A'))

int main(int argc, char **argv, char **envp)
{
    /* ---- stack layout ---- */
    /* The kernel enters with sp 16-byte aligned and pointing at argc, with
     * argv right above it; glibc's _start passes that argv pointer to main. */
    kt_check(((uintptr_t)argv & 15) == 8, "stack was 16-byte aligned at entry (argv == sp + 8)", "argv = %p",
             (void *)argv);
    CHECK_EQ(((long *)argv)[-1], argc, "argc sits just below argv");
    CHECK(argv[argc] == NULL, "argv is NULL-terminated");
    CHECK(envp == argv + argc + 1, "envp follows argv's NULL");
    char **e = envp;
    while (*e)
        e++;
    Elf64_auxv_t *auxv = (Elf64_auxv_t *)(e + 1);
    int n = 0, pagesz_seen = 0;
    for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL && n < 100; a++, n++) {
        if (a->a_type == AT_PAGESZ)
            pagesz_seen = a->a_un.a_val == 4096;
    }
    CHECK(n > 5 && n < 100, "auxv follows envp's NULL and is AT_NULL-terminated");
    CHECK(pagesz_seen, "AT_PAGESZ found by walking the stack");
    Elf64_auxv_t *auxv_end = auxv + n + 1;
    CHECK((uintptr_t)argv[0] >= (uintptr_t)auxv_end, "argument strings are above the auxv");
    if (envp[0])
        CHECK((uintptr_t)envp[0] > (uintptr_t)argv[0], "environment strings are above argument strings");

    /* ---- entries ---- */
    CHECK_EQ(getauxval(AT_PAGESZ), 4096, "AT_PAGESZ is 4096");
    CHECK_EQ(sysconf(_SC_PAGESIZE), 4096, "sysconf(_SC_PAGESIZE) is 4096");

    Elf64_Ehdr *eh = (Elf64_Ehdr *)__ehdr_start;
    CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0, "the ELF header is mapped at __ehdr_start");
    CHECK_EQ(getauxval(AT_PHDR), (uintptr_t)__ehdr_start + eh->e_phoff, "AT_PHDR points at the program headers");
    CHECK_EQ(getauxval(AT_PHNUM), eh->e_phnum, "AT_PHNUM matches e_phnum");
    CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr), "AT_PHENT is sizeof(Elf64_Phdr)");
    CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)_start, "AT_ENTRY is _start");
    CHECK_EQ(getauxval(AT_ENTRY), eh->e_entry, "AT_ENTRY is e_entry");
    CHECK_EQ(getauxval(AT_BASE), 0, "AT_BASE is 0 (no interpreter)");
    CHECK_EQ(getauxval(AT_FLAGS), 0, "AT_FLAGS is 0");
    CHECK_EQ(getauxval(AT_UID), getuid(), "AT_UID");
    CHECK_EQ(getauxval(AT_EUID), geteuid(), "AT_EUID");
    CHECK_EQ(getauxval(AT_GID), getgid(), "AT_GID");
    CHECK_EQ(getauxval(AT_EGID), getegid(), "AT_EGID");
    CHECK_EQ(getauxval(AT_SECURE), 0, "AT_SECURE is 0");
    CHECK_EQ(getauxval(AT_CLKTCK), 100, "AT_CLKTCK is 100");

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    CHECK(rnd != NULL, "AT_RANDOM is present");
    if (rnd) {
        int nonzero = 0;
        for (int i = 0; i < 16; i++)
            nonzero |= rnd[i];
        CHECK(nonzero, "AT_RANDOM's 16 bytes are readable and not all zero");
        CHECK((uintptr_t)rnd >= (uintptr_t)auxv_end, "AT_RANDOM bytes live in the stack's information block");
    }

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK_STR(execfn, argv[0], "AT_EXECFN equals argv[0]");

    unsigned long hwcap = getauxval(AT_HWCAP);
    unsigned long want = HWCAP_ISA('I') | HWCAP_ISA('M') | HWCAP_ISA('A') | HWCAP_ISA('F') | HWCAP_ISA('D') |
                         HWCAP_ISA('C');
    kt_check((hwcap & want) == want, "AT_HWCAP has the I, M, A, F, D and C bits", "got %#lx want bits %#lx", hwcap,
             want);

    unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
    if (vdso) {
        const Elf64_Ehdr *v = (const Elf64_Ehdr *)vdso;
        CHECK(memcmp(v->e_ident, ELFMAG, SELFMAG) == 0 && v->e_type == ET_DYN,
              "AT_SYSINFO_EHDR points at an ELF shared object (the vDSO)");
    } else {
        kt_skip("AT_SYSINFO_EHDR points at the vDSO", "no vDSO provided");
    }

    /* getauxval of something absent */
    errno = 0;
    CHECK(getauxval(0x7ff) == 0 && errno == ENOENT, "getauxval of an absent type returns 0 with ENOENT");

    /* ---- /proc/self/auxv: the same vector, as (type, value) pairs ending in AT_NULL ---- */
    {
        unsigned long v[256];
        int fd = open("/proc/self/auxv", O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, v, sizeof v) : -1;
        if (fd >= 0)
            close(fd);
        int pagesz = 0, random = 0, ended = 0;
        for (ssize_t i = 0; i + 1 < n / 8; i += 2) {
            if (v[i] == AT_PAGESZ)
                pagesz = v[i + 1] == getauxval(AT_PAGESZ);
            if (v[i] == AT_RANDOM)
                random = v[i + 1] == getauxval(AT_RANDOM);
            if (v[i] == AT_NULL) {
                ended = (i + 2) * 8 == n;
                break;
            }
        }
        kt_check(n > 0 && pagesz && random && ended, "/proc/self/auxv holds the auxiliary vector getauxval reads",
                 "read %zd bytes, AT_PAGESZ %d, AT_RANDOM %d, AT_NULL last %d", n, pagesz, random, ended);
    }
    return kt_done();
}
