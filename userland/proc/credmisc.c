/* credmisc.c - credentials and process controls as Linux has them:
 * setfsuid/setfsgid return the previous id also when they refuse a change;
 * capget with a negative pid is EINVAL and with a missing one ESRCH;
 * PR_CAPBSET_DROP drops one capability from the bounding set; prctl
 * options with bad arguments fail with EINVAL; gettimeofday and
 * clock_gettime(CLOCK_REALTIME) agree from one read to the next. */
#include "ktest.h"
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>

static void check_fsids(void)
{
    IN_CHILD("setfsuid/setfsgid: the previous id, also when the change is refused", {
        EXPECT(1, setfsuid(1234) == 0);
        EXPECT(2, setfsgid(4321) == 0);
        EXPECT(4, setresgid(100, 100, 100) == 0 && setresuid(1000, 1000, 1000) == 0);
        /* Now neither 1234 nor 7 is one of the ids: refused, the previous id comes back. */
        EXPECT(8, setfsuid(7) == 1000);
        EXPECT(16, setfsuid(7) == 1000);
        EXPECT(32, setfsgid(7) == 100);
        EXPECT(64, setfsgid(-1) == 100);
    });
}

static void check_capget(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, -1};
    struct __user_cap_data_struct d[2];
    CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL, "capget with pid -1 is EINVAL");
    h.pid = 0x3ffffff0;
    h.version = _LINUX_CAPABILITY_VERSION_3;
    CHECK_ERR(syscall(SYS_capget, &h, d), ESRCH, "capget of a missing pid is ESRCH");
    h.pid = getpid();
    CHECK_EQ(syscall(SYS_capget, &h, d), 0, "capget of one's own pid");
}

static void check_capbset(void)
{
    IN_CHILD("PR_CAPBSET_DROP drops one capability from the bounding set", {
        EXPECT(1, prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) == 1);
        EXPECT(2, prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) == 0);
        EXPECT(4, prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) == 0);
        EXPECT(8, prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 1);
        EXPECT(16, prctl(PR_CAPBSET_DROP, 9999, 0, 0, 0) == -1 && errno == EINVAL);
    });
    IN_CHILD("PR_CAPBSET_DROP without CAP_SETPCAP is EPERM", {
        EXPECT(1, setresuid(1000, 1000, 1000) == 0);
        EXPECT(2, prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) == -1 && errno == EPERM);
    });
}

static void check_prctl_fail(void)
{
    CHECK_ERR(prctl(0x7fff1234, 0, 0, 0, 0), EINVAL, "prctl with an unknown option is EINVAL");
    CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL, "PR_SET_PDEATHSIG 65 is EINVAL");
    CHECK_ERR(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE 2 is EINVAL");
    CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL, "PR_SET_KEEPCAPS 2 is EINVAL");
    CHECK_ERR(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS 2 is EINVAL");
    CHECK_ERR(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS with arg3 set is EINVAL");
    CHECK_ERR(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL, "PR_GET_NO_NEW_PRIVS with arg2 set is EINVAL");
    CHECK_ERR(prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0), EINVAL, "PR_SET_THP_DISABLE with arg3 set is EINVAL");
    CHECK_ERR(prctl(PR_GET_THP_DISABLE, 1, 0, 0, 0), EINVAL, "PR_GET_THP_DISABLE with arg2 set is EINVAL");
    CHECK_ERR(prctl(PR_CAPBSET_READ, 9999, 0, 0, 0), EINVAL, "PR_CAPBSET_READ of capability 9999 is EINVAL");
    CHECK_ERR(prctl(PR_SET_SECCOMP, 9999, 0, 0, 0), EINVAL, "PR_SET_SECCOMP with an unknown mode is EINVAL");
    CHECK_ERR(prctl(PR_MCE_KILL, 9, 0, 0, 0), EINVAL, "PR_MCE_KILL with an unknown mode is EINVAL");
    CHECK_ERR(prctl(PR_GET_TSC, 0, 0, 0, 0), EINVAL, "PR_GET_TSC is EINVAL off x86");
    CHECK_ERR(prctl(PR_SET_FPEMU, 1, 0, 0, 0), EINVAL, "PR_SET_FPEMU is EINVAL off ia64");
}

static void check_realtime(void)
{
    int bad = 0;
    long long worst = 0;
    for (int i = 0; i < 200; i++) {
        struct timeval tv;
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        syscall(SYS_gettimeofday, &tv, NULL);
        clock_gettime(CLOCK_REALTIME, &b);
        long long ta = a.tv_sec * 1000000LL + a.tv_nsec / 1000, tb = b.tv_sec * 1000000LL + b.tv_nsec / 1000;
        long long tg = tv.tv_sec * 1000000LL + tv.tv_usec;
        if (tg < ta - 1 || tg > tb + 1) {
            bad++;
            long long off = tg < ta ? ta - tg : tg - tb;
            if (off > worst)
                worst = off;
        }
    }
    kt_check(!bad, "gettimeofday (the syscall) lies between two clock_gettime(CLOCK_REALTIME) reads",
             "%d of 200 outside, by up to %lld us", bad, worst);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    alarm(60);
    check_fsids();
    check_capget();
    check_capbset();
    check_prctl_fail();
    check_realtime();
    return kt_done();
}
