/* creds.c - setuid/setgid families and saved ids, getres[ug]id, setgroups,
 * capget/capset, permission consequences (kill EPERM, file EACCES);
 * setpgid/getpgid/setsid/getsid rules; prctl PR_SET_NAME/PR_GET_NAME,
 * PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS. Runs as root;
 * every privilege drop happens in a forked child. */
#include "ktest.h"
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>

extern char **environ;

static int resuid_is(uid_t r, uid_t e, uid_t s)
{
    uid_t a, b, c;
    return getresuid(&a, &b, &c) == 0 && a == r && b == e && c == s;
}
static int resgid_is(gid_t r, gid_t e, gid_t s)
{
    gid_t a, b, c;
    return getresgid(&a, &b, &c) == 0 && a == r && b == e && c == s;
}

static int mode_main(int argc, char **argv)
{
    (void)argc;
    if (strcmp(argv[1], "comm") == 0) {
        char name[17] = {0};
        prctl(PR_GET_NAME, name);
        return strcmp(name, "creds") == 0 ? 0 : 1;
    }
    if (strcmp(argv[1], "wait") == 0 && argc == 3) { /* say "exec'd" on fd argv[2], block until killed */
        write(atoi(argv[2]), "x", 1);
        for (;;)
            pause();
    }
    return 99;
}

static void uids(void)
{
    CHECK(resuid_is(0, 0, 0) && resgid_is(0, 0, 0), "running as root (0, 0, 0)");

    IN_CHILD("root setuid(1000) sets real, effective and saved; setuid(0) is then EPERM", {
        EXPECT(1, setuid(1000) == 0);
        EXPECT(2, resuid_is(1000, 1000, 1000));
        EXPECT(4, setuid(0) == -1 && errno == EPERM);
        EXPECT(8, getuid() == 1000 && geteuid() == 1000);
    });
    IN_CHILD("root seteuid(1000) keeps real and saved 0, so seteuid(0) works again", {
        EXPECT(1, seteuid(1000) == 0);
        EXPECT(2, resuid_is(0, 1000, 0));
        EXPECT(4, seteuid(0) == 0);
        EXPECT(8, resuid_is(0, 0, 0));
    });
    IN_CHILD("setresuid(1000, 1001, 1002); unprivileged changes only among those three", {
        EXPECT(1, setresuid(1000, 1001, 1002) == 0);
        EXPECT(2, resuid_is(1000, 1001, 1002));
        EXPECT(4, setresuid(-1, 1002, -1) == 0 && resuid_is(1000, 1002, 1002));
        EXPECT(8, setresuid(-1, 5, -1) == -1 && errno == EPERM);
        EXPECT(16, setresuid(-1, 1000, -1) == 0 && resuid_is(1000, 1000, 1002));
        EXPECT(32, setuid(1002) == 0 && resuid_is(1000, 1002, 1002)); /* unprivileged setuid: euid only */
        EXPECT(64, setuid(1001) == -1 && errno == EPERM);               /* 1001 is no longer r/e/s */
    });
    IN_CHILD("setreuid(-1, 1000) from root also sets the saved uid; setreuid swaps", {
        EXPECT(1, setreuid(-1, 1000) == 0);
        EXPECT(2, resuid_is(0, 1000, 1000));
        EXPECT(4, setreuid(1000, 0) == 0); /* ruid 0 allows euid 0 */
        EXPECT(8, resuid_is(1000, 0, 0));
        EXPECT(16, setreuid(2000, 2001) == 0 && resuid_is(2000, 2001, 2001));
        EXPECT(32, setreuid(2001, 2000) == 0 && resuid_is(2001, 2000, 2000));
        EXPECT(64, setreuid(3000, -1) == -1 && errno == EPERM);
    });
    IN_CHILD("gid family: setresgid/setgid/setegid and EPERM once unprivileged", {
        EXPECT(1, setresgid(100, 200, 300) == 0 && resgid_is(100, 200, 300));
        EXPECT(2, setgid(50) == 0 && resgid_is(50, 50, 50)); /* still root: sets all */
        EXPECT(4, setegid(60) == 0 && resgid_is(50, 60, 50));
        EXPECT(8, setuid(1000) == 0);
        EXPECT(16, setgid(70) == -1 && errno == EPERM);
        EXPECT(32, setegid(50) == 0 && resgid_is(50, 50, 50));
        EXPECT(64, setresgid(-1, -1, 999) == -1 && errno == EPERM);
    });
    IN_CHILD("setfsuid returns the previous fsuid and follows euid changes", {
        EXPECT(1, setfsuid(1234) == 0);
        EXPECT(2, setfsuid(-1) == 1234); /* query */
        EXPECT(4, seteuid(500) == 0 && setfsuid(-1) == 500);
    });
    IN_CHILD("setuid(-1) and setgid(-1) are EINVAL and change nothing", {
        EXPECT(1, setuid(-1) == -1 && errno == EINVAL);
        EXPECT(2, setgid(-1) == -1 && errno == EINVAL);
        EXPECT(4, resuid_is(0, 0, 0) && resgid_is(0, 0, 0));
    });
}

static void groups(void)
{
    IN_CHILD("setgroups/getgroups round trip; EPERM after dropping root", {
        gid_t g[3] = {5, 6, 7}, out[8];
        EXPECT(1, setgroups(3, g) == 0);
        EXPECT(2, getgroups(0, NULL) == 3);
        EXPECT(4, getgroups(8, out) == 3 && out[0] == 5 && out[1] == 6 && out[2] == 7);
        EXPECT(8, getgroups(2, out) == -1 && errno == EINVAL);
        EXPECT(16, setgroups(0, NULL) == 0 && getgroups(0, NULL) == 0);
        EXPECT(32, setuid(1000) == 0);
        EXPECT(64, setgroups(3, g) == -1 && errno == EPERM);
    });
}

static void caps(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    CHECK_EQ(syscall(SYS_capget, &h, d), 0, "capget (version 3)");
    unsigned need = (1u << CAP_CHOWN) | (1u << CAP_KILL) | (1u << CAP_SETGID) | (1u << CAP_SETUID) |
                    (1u << CAP_DAC_OVERRIDE);
    kt_check((d[0].effective & need) == need, "root has CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_KILL, CAP_SETGID, CAP_SETUID",
             "effective %#x", d[0].effective);
    CHECK((d[0].effective & ~d[0].permitted) == 0 && (d[1].effective & ~d[1].permitted) == 0,
          "effective is a subset of permitted");
    struct __user_cap_header_struct bad = {0x12345678, 0};
    CHECK_ERR(syscall(SYS_capget, &bad, d), EINVAL, "capget with an unknown version is EINVAL");
    CHECK_EQ(bad.version, _LINUX_CAPABILITY_VERSION_3, "and writes the preferred version back");
    struct __user_cap_header_struct probe = {0, 0};
    CHECK_EQ(syscall(SYS_capget, &probe, NULL), 0, "capget with version 0 and NULL data probes (returns 0)");
    CHECK_EQ(probe.version, _LINUX_CAPABILITY_VERSION_3, "the probe returns the preferred version");
    IN_CHILD("after setuid(1000) every capability set is empty; capset cannot raise them", {
        EXPECT(1, setuid(1000) == 0);
        struct __user_cap_header_struct hh = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct dd[2];
        EXPECT(2, syscall(SYS_capget, &hh, dd) == 0);
        EXPECT(4, dd[0].effective == 0 && dd[0].permitted == 0 && dd[1].effective == 0 && dd[1].permitted == 0);
        dd[0].effective = dd[0].permitted = 1u << CAP_KILL;
        EXPECT(8, syscall(SYS_capset, &hh, dd) == -1 && errno == EPERM);
    });
    IN_CHILD("capset can drop CAP_SETUID from the effective set, and setuid then fails", {
        struct __user_cap_header_struct hh = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct dd[2];
        syscall(SYS_capget, &hh, dd);
        dd[0].effective &= ~(1u << CAP_SETUID);
        EXPECT(1, syscall(SYS_capset, &hh, dd) == 0);
        EXPECT(2, setuid(1000) == -1 && errno == EPERM);
        dd[0].effective |= 1u << CAP_SETUID; /* still permitted: can be raised again */
        EXPECT(4, syscall(SYS_capset, &hh, dd) == 0);
        EXPECT(8, setuid(1000) == 0);
    });
    /* The clock's setters ask for CAP_SYS_TIME, not uid 0 (security_settime64).
     * The time written is the time read: nothing moves even if a kernel let it. */
    IN_CHILD("root without CAP_SYS_TIME cannot set the clock: settimeofday and clock_settime EPERM", {
        struct __user_cap_header_struct hh = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct dd[2];
        syscall(SYS_capget, &hh, dd);
        dd[0].effective &= ~(1u << CAP_SYS_TIME);
        EXPECT(1, syscall(SYS_capset, &hh, dd) == 0);
        struct timeval tv;
        struct timespec ts;
        gettimeofday(&tv, NULL);
        EXPECT(2, settimeofday(&tv, NULL) == -1 && errno == EPERM);
        clock_gettime(CLOCK_REALTIME, &ts);
        EXPECT(4, clock_settime(CLOCK_REALTIME, &ts) == -1 && errno == EPERM);
    });
    /* vhangup needs CAP_SYS_TTY_CONFIG; in a new session there is no terminal to hang up */
    IN_CHILD("vhangup: EPERM as uid 1000", {
        EXPECT(1, setuid(1000) == 0);
        EXPECT(2, syscall(SYS_vhangup) == -1 && errno == EPERM);
    });
    IN_CHILD("vhangup as root in a new session (no controlling terminal) returns 0", {
        EXPECT(1, setsid() > 0);
        EXPECT(2, syscall(SYS_vhangup) == 0);
    });
}

static void permissions(void)
{
    pid_t me = getpid();
    IN_CHILD("an unprivileged process cannot signal root's processes (EPERM) but can signal its own", {
        EXPECT(1, setuid(1000) == 0);
        EXPECT(2, kill(me, 0) == -1 && errno == EPERM);
        EXPECT(4, kill(getpid(), 0) == 0);
        pid_t g = fork();
        if (g == 0) {
            for (;;)
                pause();
        }
        EXPECT(8, kill(g, SIGTERM) == 0);
        int st;
        EXPECT(16, kt_waitpid(g, &st, 0) == g && WIFSIGNALED(st));
    });
    /* a process with the same real uid as the target's saved uid may signal it */
    IN_CHILD("kill is allowed when the sender's real uid matches the target's real or saved uid", {
        int sync[2];
        if (pipe(sync))
            _exit(8);
        pid_t g = fork();
        if (g == 0) {
            setresuid(1000, 1000, 1000);
            if (write(sync[1], "u", 1) != 1)
                _exit(1);
            for (;;)
                pause();
        }
        char u;
        EXPECT(4, read(sync[0], &u, 1) == 1); /* the target has its uids now */
        setresuid(1000, 2000, 2000); /* real uid 1000 matches the target */
        EXPECT(1, kill(g, SIGTERM) == 0);
        int st;
        EXPECT(2, kt_waitpid(g, &st, 0) == g && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    });

    kt_mktemp("creds");
    const char *secret = kt_path("secret");
    int fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write(fd, "s", 1);
    close(fd);
    chmod(secret, 0600);
    chmod(kt_tmpdir, 0755);
    IN_CHILD("a 0600 root file is EACCES for uid 1000, but readable with euid 0 restored", {
        EXPECT(1, seteuid(1000) == 0);
        EXPECT(2, open(secret, O_RDONLY) == -1 && errno == EACCES);
        EXPECT(4, access(secret, R_OK) == 0); /* access() uses the real uid (0) */
        EXPECT(8, seteuid(0) == 0);
        int f = open(secret, O_RDONLY);
        EXPECT(16, f >= 0);
        close(f);
    });
    kt_cleanup();
}

static void pgrp_session(void)
{
    pid_t me = getpid();
    CHECK_EQ(getpgid(0), getpgrp(), "getpgid(0) == getpgrp()");
    CHECK_EQ(getpgid(me), getpgrp(), "getpgid(self)");
    CHECK(getsid(0) > 0, "getsid(0)");
    CHECK_ERR(getpgid(0x3ffffff), ESRCH, "getpgid of a nonexistent pid is ESRCH");
    CHECK_ERR(getsid(0x3ffffff), ESRCH, "getsid of a nonexistent pid is ESRCH");
    CHECK_ERR(setpgid(0, -1), EINVAL, "setpgid with a negative pgid is EINVAL");
    CHECK_ERR(setpgid(0x3ffffff, 0), ESRCH, "setpgid of a pid that is not us or our child is ESRCH");
    pid_t pp = getppid();
    CHECK_ERR(setpgid(pp, pp), ESRCH, "setpgid of our parent is ESRCH");

    IN_CHILD("setsid makes a new session and group led by the caller; a second setsid is EPERM", {
        pid_t s = setsid();
        EXPECT(1, s == getpid());
        EXPECT(2, getsid(0) == getpid() && getpgid(0) == getpid());
        EXPECT(4, setsid() == -1 && errno == EPERM);
        EXPECT(8, setpgid(0, 0) == -1 && errno == EPERM); /* a session leader cannot change group */
        EXPECT(16, getsid(me) != getpid());
    });
    IN_CHILD("a process group leader cannot setsid (EPERM)", {
        EXPECT(1, setpgid(0, 0) == 0 && getpgid(0) == getpid());
        EXPECT(2, setsid() == -1 && errno == EPERM);
    });

    /* setpgid on a child: allowed before exec, EACCES after, EPERM across sessions */
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(p[1]);
        read(p[0], &x, 1);
        _exit(0);
    }
    close(p[0]);
    CHECK_EQ(setpgid(c, c), 0, "setpgid(child, child) makes it a group leader");
    CHECK_EQ(getpgid(c), c, "getpgid(child) sees it");
    CHECK_EQ(setpgid(c, getpgrp()), 0, "and it can be moved back into our group");
    CHECK_ERR(setpgid(c, 0x3fffff0), EPERM, "setpgid to a group that does not exist in our session is EPERM");
    close(p[1]);
    kt_waitpid(c, NULL, 0);

    pipe(p);
    c = fork();
    if (c == 0) {
        char fdstr[16];
        snprintf(fdstr, sizeof fdstr, "%d", p[1]);
        close(p[0]);
        char *argv[] = {kt_self, (char *)"wait", fdstr, NULL};
        kt_exec(kt_self, argv, environ);
        _exit(127);
    }
    close(p[1]);
    char ex;
    CHECK_EQ(kt_read_full(p[0], &ex, 1), 1, "the child has execve'd");
    close(p[0]);
    CHECK_ERR(setpgid(c, c), EACCES, "setpgid of a child that has called execve is EACCES");
    kill(c, SIGKILL);
    kt_waitpid(c, NULL, 0);

    pipe(p);
    c = fork();
    if (c == 0) {
        close(p[0]);
        setsid();
        write(p[1], "s", 1);
        for (;;)
            pause();
    }
    close(p[1]);
    char x;
    kt_read_full(p[0], &x, 1);
    close(p[0]);
    CHECK_ERR(setpgid(c, c), EPERM, "setpgid of a child in another session is EPERM");
    CHECK_EQ(getsid(c), c, "getsid(child) is its own session");
    kill(c, SIGKILL);
    kt_waitpid(c, NULL, 0);
}

static char thread_name[17];
static void *name_thread(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "worker-thread");
    prctl(PR_GET_NAME, thread_name);
    return NULL;
}

static volatile int pdeath_got;
static void on_pdeath(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    pdeath_got = s;
    (void)si;
}

static void prctls(void)
{
    char name[32];
    CHECK_EQ(prctl(PR_SET_NAME, "ghost-test"), 0, "PR_SET_NAME");
    memset(name, 'x', sizeof name);
    CHECK_EQ(prctl(PR_GET_NAME, name), 0, "PR_GET_NAME");
    CHECK_STR(name, "ghost-test", "PR_GET_NAME returns the name");
    prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz");
    prctl(PR_GET_NAME, name);
    CHECK_STR(name, "abcdefghijklmno", "names are truncated to 15 bytes + NUL");
    pthread_t t;
    pthread_create(&t, NULL, name_thread, NULL);
    pthread_join(t, NULL);
    CHECK_STR(thread_name, "worker-thread", "a thread sets its own name");
    prctl(PR_GET_NAME, name);
    CHECK_STR(name, "abcdefghijklmno", "the main thread's name is unaffected");
    pid_t c = fork();
    if (c == 0) {
        char n[17];
        prctl(PR_GET_NAME, n);
        _exit(strcmp(n, "abcdefghijklmno") == 0 ? 0 : 1);
    }
    kt_check_exit(c, 0, "fork inherits the name");
    if (kt_qemu()) {
        kt_skip("after execve the name is the program's file name", "qemu-user reports the host thread's name");
    } else {
        c = fork();
        if (c == 0) {
            char *argv[] = {(char *)"whatever", (char *)"comm", NULL};
            kt_exec(kt_self, argv, environ);
            _exit(127);
        }
        kt_check_exit(c, 0, "after execve the name is the program's file name (\"creds\")");
    }

    /* dumpable, no_new_privs */
    CHECK_EQ(prctl(PR_GET_DUMPABLE), 1, "PR_GET_DUMPABLE is 1");
    CHECK_EQ(prctl(PR_SET_DUMPABLE, 0), 0, "PR_SET_DUMPABLE 0");
    CHECK_EQ(prctl(PR_GET_DUMPABLE), 0, "PR_GET_DUMPABLE reads 0");
    prctl(PR_SET_DUMPABLE, 1);
    CHECK_ERR(prctl(PR_SET_DUMPABLE, 5), EINVAL, "PR_SET_DUMPABLE 5 is EINVAL");
    IN_CHILD("PR_SET_NO_NEW_PRIVS is sticky", {
        EXPECT(1, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
        EXPECT(2, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
        EXPECT(4, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
        EXPECT(8, prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) == -1 && errno == EINVAL);
    });
    CHECK_ERR(prctl(0x7fff1234, 0, 0, 0, 0), EINVAL, "an unknown prctl option is EINVAL");

    /* PR_SET_PDEATHSIG: B forks C; C asks for SIGUSR1 when its parent dies; B exits */
    int p[2];
    pipe(p);
    pid_t b = fork();
    if (b == 0) {
        close(p[0]);
        int ready[2];
        pipe(ready);
        pid_t cc = fork();
        if (cc == 0) {
            close(ready[0]);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_pdeath;
            sa.sa_flags = SA_SIGINFO;
            sigaction(SIGUSR1, &sa, NULL);
            int r = prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int got = -1;
            prctl(PR_GET_PDEATHSIG, &got);
            pid_t gc = fork(); /* the setting is not inherited */
            if (gc == 0) {
                int g2 = -1;
                prctl(PR_GET_PDEATHSIG, &g2);
                _exit(g2 == 0 ? 0 : 1);
            }
            int gst;
            kt_waitpid(gc, &gst, 0);
            close(ready[1]); /* B may exit now */
            long long deadline = kt_now_ms() + 3000;
            while (!pdeath_got && kt_now_ms() < deadline)
                kt_msleep(1);
            char rep[4] = {(char)(r == 0), (char)got, (char)pdeath_got,
                           (char)(WIFEXITED(gst) && WEXITSTATUS(gst) == 0)};
            write(p[1], rep, 4);
            _exit(0);
        }
        close(ready[1]);
        char x;
        read(ready[0], &x, 1);
        _exit(0);
    }
    close(p[1]);
    kt_check_exit(b, 0, "the middle process exited");
    char rep[4] = {0, 0, 0, 0};
    CHECK_EQ(kt_read_full(p[0], rep, 4), 4, "the grandchild reported");
    close(p[0]);
    CHECK_EQ(rep[0], 1, "PR_SET_PDEATHSIG succeeded");
    CHECK_EQ(rep[1], SIGUSR1, "PR_GET_PDEATHSIG reads SIGUSR1 back");
    CHECK_EQ(rep[3], 1, "a forked child of it has no parent-death signal");
    CHECK_EQ(rep[2], SIGUSR1, "the grandchild got SIGUSR1 when its parent died");
    CHECK_ERR(prctl(PR_SET_PDEATHSIG, 100), EINVAL, "PR_SET_PDEATHSIG with a bad signal is EINVAL");
}

int main(int argc, char **argv)
{
    if (argc >= 2)
        return mode_main(argc, argv);
    kt_init(argc, argv);
    kt_watchdog(60);
    if (getuid() != 0 || geteuid() != 0) {
        kt_skip("credential tests", "not running as root");
        return kt_done();
    }
    uids();
    groups();
    caps();
    permissions();
    pgrp_session();
    prctls();
    return kt_done();
}
