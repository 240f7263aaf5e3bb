/* sysinfo.c - sysinfo(2). */
#include "ktest.h"
#include <sys/sysinfo.h>

int main(void)
{
    struct sysinfo si;
    memset(&si, 0xa5, sizeof si);
    CHECK_EQ(sysinfo(&si), 0, "sysinfo succeeds");
    CHECK(si.mem_unit >= 1, "mem_unit >= 1");
    CHECK(si.totalram > 0, "totalram > 0");
    CHECK(si.freeram <= si.totalram, "freeram <= totalram");
    CHECK(si.uptime >= 0, "uptime >= 0");
    CHECK(si.procs >= 1, "at least one process");
    CHECK(si.totalswap >= si.freeswap, "freeswap <= totalswap");
    unsigned long long total = (unsigned long long)si.totalram * si.mem_unit;
    kt_printf("# totalram %llu MiB, uptime %ld s, procs %u\n", total >> 20, si.uptime, si.procs);
    CHECK(total >= (16ULL << 20), "total RAM is at least 16 MiB");
    CHECK_ERR(syscall(SYS_sysinfo, KT_BAD_PTR), EFAULT, "sysinfo with a bad pointer is EFAULT");
    return kt_done();
}
