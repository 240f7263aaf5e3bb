/* ids.c - getpid, getppid, gettid, getuid, geteuid, getgid, getegid (+ getres[ug]id, getgroups). */
#include "ktest.h"
#include <grp.h>

int main(void)
{
    pid_t pid = getpid();
    CHECK(pid > 0, "getpid is positive");
    CHECK_EQ(syscall(SYS_getpid), pid, "raw getpid agrees with libc");
    CHECK_EQ(getpid(), pid, "getpid is stable");
    CHECK_EQ(syscall(SYS_gettid), pid, "gettid equals getpid in a single-threaded process");
    CHECK_EQ(gettid(), pid, "libc gettid");
    pid_t ppid = getppid();
    CHECK(ppid > 0, "getppid is positive");
    CHECK(ppid != pid, "getppid differs from getpid");
    CHECK_EQ(syscall(SYS_getppid), ppid, "raw getppid agrees with libc");

    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();
    CHECK_EQ(syscall(SYS_getuid), uid, "raw getuid agrees with libc");
    CHECK_EQ(syscall(SYS_geteuid), euid, "raw geteuid agrees with libc");
    CHECK_EQ(syscall(SYS_getgid), gid, "raw getgid agrees with libc");
    CHECK_EQ(syscall(SYS_getegid), egid, "raw getegid agrees with libc");
    CHECK_EQ(euid, uid, "euid equals uid (not setuid)");
    CHECK_EQ(egid, gid, "egid equals gid (not setgid)");
    kt_printf("# pid %d ppid %d uid %d gid %d\n", (int)pid, (int)ppid, (int)uid, (int)gid);

    uid_t r, e, s;
    CHECK_EQ(getresuid(&r, &e, &s), 0, "getresuid");
    CHECK(r == uid && e == euid && s == euid, "getresuid matches getuid/geteuid");
    gid_t rg, eg, sg;
    CHECK_EQ(getresgid(&rg, &eg, &sg), 0, "getresgid");
    CHECK(rg == gid && eg == egid && sg == egid, "getresgid matches getgid/getegid");
    CHECK_ERR(syscall(SYS_getresuid, KT_BAD_PTR, &e, &s), EFAULT, "getresuid with a bad pointer is EFAULT");

    int n = getgroups(0, NULL);
    CHECK(n >= 0, "getgroups(0, NULL) returns the group count");
    if (n > 0) {
        gid_t groups[256];
        CHECK_EQ(getgroups(n < 256 ? n : 256, groups), n < 256 ? n : 256, "getgroups fills the list");
        if (n > 1)
            CHECK_ERR(getgroups(1, groups), EINVAL, "getgroups with a too-small list is EINVAL");
    }
    return kt_done();
}
