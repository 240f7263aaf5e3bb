/* uname.c - uname(2). */
#include "ktest.h"
#include <sys/utsname.h>

int main(void)
{
    struct utsname u;
    memset(&u, 0x5a, sizeof u);
    CHECK_EQ(uname(&u), 0, "uname succeeds");
    CHECK_STR(u.sysname, "Linux", "sysname is Linux");
    CHECK_STR(u.machine, "riscv64", "machine is riscv64");
    CHECK(memchr(u.sysname, 0, sizeof u.sysname) && memchr(u.nodename, 0, sizeof u.nodename) &&
              memchr(u.release, 0, sizeof u.release) && memchr(u.version, 0, sizeof u.version) &&
              memchr(u.machine, 0, sizeof u.machine) && memchr(u.domainname, 0, sizeof u.domainname),
          "every field is NUL-terminated");
    CHECK(u.nodename[0] != 0, "nodename is not empty");
    CHECK(u.version[0] != 0, "version is not empty");
    int major = 0, minor = 0;
    int n = sscanf(u.release, "%d.%d", &major, &minor);
    kt_check(n == 2 && (major > 4 || (major == 4 && minor >= 15)), "release looks like a kernel version >= 4.15",
             "got \"%s\"", u.release);
    kt_printf("# %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);

    struct utsname raw;
    CHECK_EQ(syscall(SYS_uname, &raw), 0, "raw uname syscall");
    CHECK_STR(raw.release, u.release, "raw uname agrees with libc");
    CHECK_ERR(syscall(SYS_uname, KT_BAD_PTR), EFAULT, "uname with a bad pointer is EFAULT");

    char host[65];
    CHECK_EQ(gethostname(host, sizeof host), 0, "gethostname");
    CHECK_STR(host, u.nodename, "gethostname matches nodename");
    return kt_done();
}
