/* asidtop.c - the top virtual page faults under every address space: 4200
 * children (more than the 12-bit ASID space, so the kernel reuses ASIDs and
 * starts new generations) each read and write 0xfffffffffffff000 and must die
 * of SIGSEGV. (An empty TLB entry once matched that page under the highest
 * ASIDs: the access then went to a wrong place in Ghost's own memory instead
 * of faulting.) */
#include "ktest.h"
#include <stdint.h>

/* Under qemu-user the ASIDs are the host's business: a few hundred do. */
#define CHILDREN (kt_qemu() ? 300 : 4200)

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(300);
    int bad = 0, first_bad = -1, first_st = 0;
    for (int i = 0; i < CHILDREN; i++) {
        pid_t c = fork();
        if (c == 0) {
            /* Empty the TLB slots the top page would use (a page whose low
             * 12 page-number bits are all ones, touched and unmapped). */
            volatile uint8_t *p = mmap((void *)0x10fff000, 4096, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p != MAP_FAILED) {
                p[0] = p[1];
                munmap((void *)p, 4096);
            }
            volatile uint8_t *top = (volatile uint8_t *)(uintptr_t)0xfffffffffffff000ULL;
            uint8_t v = top[(i * 8) & 0xfff];
            top[(i * 8 + 1) & 0xfff] = v;
            _exit(0);
        }
        if (c < 0) {
            kt_fail("fork", "fork %d failed: errno %d", i, errno);
            return kt_done();
        }
        int st = 0;
        if (kt_waitpid(c, &st, 0) != c || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
            if (first_bad < 0) { first_bad = i; first_st = st; }
            bad++;
        }
    }
    CHECK(bad == 0, "every child touching the top virtual page dies of SIGSEGV");
    if (bad)
        kt_printf("# %d children did not (first: %d, %s)\n", bad, first_bad, kt_wstr(first_st));
    return kt_done();
}
