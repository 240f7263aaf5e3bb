/* credmisc.c - credentials and process controls as Linux has them:
 * setfsuid/setfsgid return the previous id also when they refuse a change;
 * capget with a negative pid is EINVAL and with a missing one ESRCH;
 * capset with a bad version is EINVAL and writes the preferred version back
 * (cap_validate_magic), before it looks at the pid or the data;
 * get_robust_list of another user's process is EPERM (ptrace_may_access);
 * PR_CAPBSET_DROP drops one capability from the bounding set; prctl
 * options with bad arguments fail with EINVAL; gettimeofday and
 * clock_gettime(CLOCK_REALTIME) agree from one read to the next; a change
 * of the effective or filesystem ids makes the process undumpable and clears
 * its parent-death signal, and execve sets dumpability again as Linux's
 * begin_new_exec (off for a program its caller cannot read). */
#include "ktest.h"
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>

static void check_fsids(void)
{
    IN_CHILD("setfsuid/setfsgid(-1) as root: no change (an invalid id), the previous id back", {
        EXPECT(1, setfsuid(-1) == 0 && setfsuid(-1) == 0);
        EXPECT(2, setfsgid(-1) == 0 && setfsgid(-1) == 0);
    });
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

/* PR_SET_SECUREBITS as cap_task_prctl: CAP_SETPCAP needed, locks stay */
static void check_securebits(void)
{
    IN_CHILD("PR_GET/SET_SECUREBITS: KEEP_CAPS is the keepcaps flag; a lock keeps its bit; no CAP_SETPCAP is EPERM", {
        EXPECT(1, prctl(PR_GET_SECUREBITS) == 0);
        EXPECT(2, prctl(PR_SET_SECUREBITS, 1 << 4 /* SECBIT_KEEP_CAPS */) == 0 && prctl(PR_GET_KEEPCAPS) == 1 &&
                      prctl(PR_GET_SECUREBITS) == 1 << 4);
        EXPECT(4, prctl(PR_SET_SECUREBITS, 3 /* SECBIT_NOROOT and its lock */) == 0 && prctl(PR_GET_SECUREBITS) == 3 &&
                      prctl(PR_GET_KEEPCAPS) == 0);
        EXPECT(8, prctl(PR_SET_SECUREBITS, 1) == -1 && errno == EPERM); /* no unlocking */
        EXPECT(16, prctl(PR_SET_SECUREBITS, 3 | (1 << 30)) == -1 && errno == EPERM); /* an unknown bit */
        EXPECT(32, setresuid(1000, 1000, 1000) == 0 && prctl(PR_SET_SECUREBITS, 3) == -1 && errno == EPERM);
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
    h.version = 0x12345678;
    h.pid = 0;
    CHECK_ERR(syscall(SYS_capset, &h, d), EINVAL, "capset with a bad version is EINVAL");
    CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3, "capset with a bad version writes back _LINUX_CAPABILITY_VERSION_3");
    h.version = 0x12345678;
    h.pid = 0x3ffffff0;
    CHECK_ERR(syscall(SYS_capset, &h, NULL), EINVAL, "capset: the version is checked before the pid and the data");
    CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3, "... and written back there too");
    h.pid = 0;
    CHECK_ERR(syscall(SYS_capset, &h, NULL), EFAULT, "capset with a good version and NULL data is EFAULT");
}

static void check_robust_list(void)
{
    void *head;
    size_t len;
    if (syscall(SYS_get_robust_list, 0, &head, &len) != 0 && errno == ENOSYS) {
        kt_skip("get_robust_list of another user's process is EPERM", "qemu-user has no get_robust_list");
        return;
    }
    pid_t root_child = fork();
    if (root_child == 0) {
        pause();
        _exit(0);
    }
    if (root_child < 0) {
        kt_fail("get_robust_list: fork", "errno %d", errno);
        return;
    }
    IN_CHILD("get_robust_list: one's own (pid 0 and getpid) works; another user's process is EPERM (ptrace_may_access)", {
        void *h = (void *)1;
        size_t l = 0;
        EXPECT(1, syscall(SYS_get_robust_list, 0, &h, &l) == 0 && l == 3 * sizeof(long));
        EXPECT(2, setresuid(1000, 1000, 1000) == 0);
        EXPECT(4, syscall(SYS_get_robust_list, getpid(), &h, &l) == 0);
        errno = 0;
        EXPECT(8, syscall(SYS_get_robust_list, root_child, &h, &l) == -1 && errno == EPERM);
    });
    kill(root_child, SIGKILL);
    waitpid(root_child, NULL, 0);
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

static void check_dumpable(void)
{
    IN_CHILD("a change of effective or filesystem ids: undumpable, no parent-death signal", {
        int s = -1;
        EXPECT(1, prctl(PR_GET_DUMPABLE) == 1);
        EXPECT(2, prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0);
        /* The same ids again change nothing. */
        EXPECT(4, setresuid(0, 0, 0) == 0 && prctl(PR_GET_DUMPABLE) == 1);
        EXPECT(8, prctl(PR_GET_PDEATHSIG, &s) == 0 && s == SIGUSR1);
        EXPECT(16, setfsuid(1234) == 0 && prctl(PR_GET_DUMPABLE) == 0);
        EXPECT(32, prctl(PR_GET_PDEATHSIG, &s) == 0 && s == 0);
        EXPECT(64, prctl(PR_SET_DUMPABLE, 1) == 0 && prctl(PR_GET_DUMPABLE) == 1);
        EXPECT(128, setresgid(-1, 100, -1) == 0 && prctl(PR_GET_DUMPABLE) == 0);
    });
    /* Under qemu-user the exec goes through the host's qemu, which must read
     * the program itself: the exec part is checked on Ghost (and was checked
     * natively on Linux 6.18 with the same steps). */
    if (kt_qemu())
        return;
    static const char *files[] = {"/tmp/credmisc-r", "/tmp/credmisc-x"};
    static const int modes[] = {0755, 0711};
    for (int i = 0; i < 2; i++) {
        int in = open(kt_self, O_RDONLY), out = open(files[i], O_WRONLY | O_CREAT | O_TRUNC, 0700);
        char buf[65536];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, n) != n)
                break;
        close(in);
        close(out);
        chmod(files[i], modes[i]);
    }
    /* The child reports dumpable * 10 + (parent-death signal still SIGUSR1). */
    static const struct { int file, ruid, euid, want; const char *desc; } cases[] = {
        {0, 1000, 1000, 11, "execve by an ordinary user: dumpable, parent-death signal kept"},
        {1, 1000, 1000, 1, "execve of a program its caller cannot read: undumpable"},
        {0, 0, 1000, 0, "execve with euid != uid: undumpable, parent-death signal cleared (AT_SECURE)"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (setresuid(cases[i].ruid, cases[i].euid, cases[i].ruid) != 0 || prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0)
                _exit(99);
            execl(files[cases[i].file], "credmisc", "--dumpable", (char *)0);
            _exit(98);
        }
        int st = 0;
        kt_waitpid(p, &st, 0);
        kt_check(WIFEXITED(st) && WEXITSTATUS(st) == cases[i].want, cases[i].desc, "status %s, want exit %d",
                 kt_wstr(st), cases[i].want);
    }
    unlink(files[0]);
    unlink(files[1]);
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
    if (argc > 1 && strcmp(argv[1], "--dumpable") == 0) {
        int s = -1;
        prctl(PR_GET_PDEATHSIG, &s);
        return prctl(PR_GET_DUMPABLE) * 10 + (s == SIGUSR1);
    }
    kt_init(argc, argv);
    kt_set_self(argv[0]);
    alarm(60);
    check_fsids();
    check_securebits();
    check_capget();
    check_robust_list();
    check_capbset();
    check_prctl_fail();
    check_dumpable();
    check_realtime();
    return kt_done();
}
