/* cloneio.c - the legacy clone() takes its flags from the low 32 bits of
 * the register only (kernel/fork.c: lower_32_bits(clone_flags)): glibc
 * passes an int, so CLONE_IO (bit 31) arrives sign-extended, and whatever
 * is in the upper half is ignored. qemu-user 7.2 refuses CLONE_IO for a
 * fork: skipped there, checked natively. */
#include "ktest.h"
#include <sched.h>
#include <sys/syscall.h>

static void one(unsigned long flags, const char *desc)
{
    long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (pid == 0)
        _exit(7);
    int st = 0;
    if (pid < 0) {
        kt_fail(desc, "clone: errno %d (%s)", errno, strerror(errno));
        return;
    }
    kt_check(kt_waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7, desc, "status %#x", st);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    if (kt_qemu()) {
        kt_skip("cloneio", "qemu-user refuses CLONE_IO (checked natively)");
        return kt_done();
    }
    one((unsigned long)(long)(int)(CLONE_IO | SIGCHLD), "clone(CLONE_IO | SIGCHLD), sign-extended as glibc passes it");
    one(0x1234567800000000UL | SIGCHLD, "clone with garbage in the upper 32 bits is a plain fork");
    return kt_done();
}
