/* hwprobe.c - riscv_hwprobe (syscall 258). */
#include "ktest.h"

#ifndef __NR_riscv_hwprobe
#define __NR_riscv_hwprobe 258
#endif

struct hwprobe_pair {
    int64_t key;
    uint64_t value;
};

#define KEY_MVENDORID 0
#define KEY_MARCHID 1
#define KEY_MIMPID 2
#define KEY_BASE_BEHAVIOR 3
#define BASE_BEHAVIOR_IMA (1ULL << 0)
#define KEY_IMA_EXT_0 4
#define IMA_FD (1ULL << 0)
#define IMA_C (1ULL << 1)
#define KEY_CPUPERF_0 5

static long hwprobe(struct hwprobe_pair *pairs, long n, long cpusetsize, void *cpus, unsigned flags)
{
    return syscall(__NR_riscv_hwprobe, pairs, n, cpusetsize, cpus, flags);
}

int main(void)
{
    struct hwprobe_pair p[7] = {
        {KEY_BASE_BEHAVIOR, 0}, {KEY_IMA_EXT_0, 0}, {KEY_MVENDORID, 0}, {KEY_MARCHID, 0},
        {KEY_MIMPID, 0},        {12345, 77},        {KEY_CPUPERF_0, 0},
    };
    long r = hwprobe(p, 7, 0, NULL, 0);
    if (r == -1 && errno == ENOSYS && kt_qemu()) {
        /* qemu-user only implements riscv_hwprobe from version 8.1 on. */
        kt_skip("riscv_hwprobe", "not implemented by this qemu-user");
        return kt_done();
    }
    CHECK_EQ(r, 0, "riscv_hwprobe with all CPUs");
    CHECK_EQ(p[0].key, KEY_BASE_BEHAVIOR, "BASE_BEHAVIOR key is kept");
    CHECK_EQ(p[0].value, BASE_BEHAVIOR_IMA, "BASE_BEHAVIOR is IMA");
    CHECK_EQ(p[1].key, KEY_IMA_EXT_0, "IMA_EXT_0 key is kept");
    CHECK_EQ(p[1].value & IMA_FD, IMA_FD, "IMA_EXT_0 reports F and D");
    CHECK_EQ(p[1].value & IMA_C, IMA_C, "IMA_EXT_0 reports C");
    CHECK_EQ(p[2].key, KEY_MVENDORID, "MVENDORID key is kept");
    CHECK_EQ(p[3].key, KEY_MARCHID, "MARCHID key is kept");
    CHECK_EQ(p[4].key, KEY_MIMPID, "MIMPID key is kept");
    CHECK_EQ(p[5].key, -1, "an unknown key is rewritten to -1");
    CHECK_EQ(p[5].value, 0, "an unknown key's value is zeroed");
    CHECK_EQ(p[6].key, KEY_CPUPERF_0, "CPUPERF_0 key is kept");
    kt_printf("# IMA_EXT_0 = %#llx, mvendorid %#llx\n", (unsigned long long)p[1].value, (unsigned long long)p[2].value);

    /* an explicit CPU set containing CPU 0 */
    unsigned long cpus = 1;
    struct hwprobe_pair q = {KEY_IMA_EXT_0, 0};
    CHECK_EQ(hwprobe(&q, 1, sizeof cpus, &cpus, 0), 0, "riscv_hwprobe for CPU 0");
    CHECK_EQ(q.value, p[1].value, "CPU 0 reports the same extensions");

    CHECK_EQ(hwprobe(p, 0, 0, NULL, 0), 0, "zero pairs is a no-op");
    CHECK_ERR(hwprobe(p, 1, 0, NULL, 0x80), EINVAL, "unknown flags are EINVAL");
    CHECK_ERR(hwprobe(KT_BAD_PTR, 1, 0, NULL, 0), EFAULT, "bad pairs pointer is EFAULT");
    return kt_done();
}
