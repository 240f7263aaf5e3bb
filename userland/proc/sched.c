/* sched.c - sched_getaffinity, sched_yield. */
#include "ktest.h"
#include <sched.h>

int main(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0, "sched_getaffinity");
    int count = CPU_COUNT(&set);
    CHECK(count >= 1, "at least one CPU in the affinity mask");
    if (kt_qemu() && !CPU_ISSET(0, &set))
        kt_skip("CPU 0 is in the affinity mask", "qemu-user passes through the host's mask");
    else
        CHECK(CPU_ISSET(0, &set), "CPU 0 is in the affinity mask");
    kt_printf("# %d CPUs\n", count);

    unsigned char raw[128];
    memset(raw, 0xee, sizeof raw);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof raw, raw);
    CHECK(n >= 8 && n <= (long)sizeof raw && n % 8 == 0, "raw sched_getaffinity returns a size that is a multiple of 8");
    if (n > 0)
        CHECK(memcmp(raw, &set, n < (long)sizeof set ? n : (long)sizeof set) == 0, "raw result agrees with libc");
    CHECK_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof raw, raw), n, "sched_getaffinity with our own pid");
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 1, raw), EINVAL, "a 1-byte mask is EINVAL");
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 12, raw), EINVAL, "a mask size that is not a multiple of 8 is EINVAL");
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof raw, raw), ESRCH, "a nonexistent pid is ESRCH");
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, sizeof raw, KT_BAD_PTR), EFAULT, "a bad mask pointer is EFAULT");

    CHECK_EQ(sched_yield(), 0, "sched_yield");
    CHECK_EQ(syscall(SYS_sched_yield), 0, "raw sched_yield");
    return kt_done();
}
