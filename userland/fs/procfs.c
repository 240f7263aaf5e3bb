/* procfs.c - /proc shows the truth: /proc/self/{stat,status,cmdline,environ,
 * exe,cwd,root,fd/,fdinfo/,maps,mounts,limits,task/,comm}, zombies, the
 * global files (meminfo, cpuinfo, stat, uptime, loadavg, version, mounts,
 * filesystems) and /proc/sys/kernel/hostname read and write. */
#include "ktest.h"
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>

static char buf[1 << 16];

/* Value after "Key:" in a status-like file (whitespace trimmed), or NULL. */
static const char *field(const char *text, const char *key)
{
    static char out[256];
    char pfx[64];
    snprintf(pfx, sizeof pfx, "%s:", key);
    const char *l = vt_line(text, pfx);
    if (!l)
        return NULL;
    l += strlen(pfx);
    while (*l == ' ' || *l == '\t')
        l++;
    size_t n = strcspn(l, "\n");
    if (n >= sizeof out)
        n = sizeof out - 1;
    memcpy(out, l, n);
    out[n] = 0;
    return out;
}

/* Field `idx` (1-based) of a /proc/PID/stat line, parsed after the comm. */
static long long stat_field(const char *text, int idx, char *comm, size_t commcap)
{
    const char *open_ = strchr(text, '(');
    const char *close_ = strrchr(text, ')');
    if (!open_ || !close_)
        return -1;
    if (comm) {
        size_t n = (size_t)(close_ - open_ - 1);
        if (n >= commcap)
            n = commcap - 1;
        memcpy(comm, open_ + 1, n);
        comm[n] = 0;
    }
    if (idx == 1)
        return atoll(text);
    const char *p = close_ + 2; /* field 3 */
    for (int i = 3; i < idx; i++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    if (idx == 3)
        return *p;
    return atoll(p);
}

static volatile int stop_threads;
static void *spin(void *arg)
{
    (void)arg;
    while (!stop_threads)
        vt_msleep(5);
    return NULL;
}

/* Re-executed as `procfs --cmdline ARGS...` with VT_MARK in the environment. */
static int cmdline_child(int argc, char **argv)
{
    char b[4096];
    ssize_t n = vt_get("/proc/self/cmdline", b, sizeof b);
    size_t want = 0;
    for (int i = 0; i < argc; i++)
        want += strlen(argv[i]) + 1;
    int bad = 0;
    if (n != (ssize_t)want)
        bad |= 1;
    else {
        size_t off = 0;
        for (int i = 0; i < argc; i++) {
            if (strcmp(b + off, argv[i]) != 0)
                bad |= 2;
            off += strlen(argv[i]) + 1;
        }
    }
    n = vt_get("/proc/self/environ", b, sizeof b);
    int found = 0;
    for (ssize_t off = 0; off < n; off += (ssize_t)strlen(b + off) + 1)
        if (strcmp(b + off, "VT_MARK=environ works") == 0)
            found = 1;
    if (!found)
        bad |= 4;
    return bad;
}

static void self_files(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    prctl(PR_SET_NAME, "procfs-test");
    /* threads: 3 extra */
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, spin, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    vt_get("/proc/self/stat", buf, sizeof buf);
    char comm[64];
    CHECK_EQ(stat_field(buf, 1, comm, sizeof comm), getpid(), "stat field 1 is getpid()");
    CHECK_EQ(stat_field(buf, 4, NULL, 0), getppid(), "stat field 4 is getppid()");
    if (kt_qemu()) {
        /* qemu-user synthesizes /proc/self/stat with most fields 0, and runs an extra thread */
        const char *why = "qemu-user fakes /proc/self/stat";
        kt_skip("stat field 2 is (comm) after PR_SET_NAME", why);
        kt_skip("stat field 3 (state) is R for the reader", why);
        kt_skip("stat field 5 is the process group", why);
        kt_skip("stat field 6 is the session", why);
        kt_skip("stat field 20 (num_threads) is 4", why);
        kt_skip("stat field 23 (vsize) is positive", why);
    } else {
        CHECK_STR(comm, "procfs-test", "stat field 2 is (comm) after PR_SET_NAME");
        CHECK_EQ(stat_field(buf, 3, NULL, 0), 'R', "stat field 3 (state) is R for the reader");
        CHECK_EQ(stat_field(buf, 5, NULL, 0), getpgrp(), "stat field 5 is the process group");
        CHECK_EQ(stat_field(buf, 6, NULL, 0), getsid(0), "stat field 6 is the session");
        CHECK_EQ(stat_field(buf, 20, NULL, 0), 4, "stat field 20 (num_threads) is 4");
        CHECK(stat_field(buf, 23, NULL, 0) > 0, "stat field 23 (vsize) is positive");
    }
    /* qemu-user has one helper thread of its own */
    int extra = kt_qemu() ? 1 : 0;

    vt_get("/proc/self/status", buf, sizeof buf);
    const char *v = field(buf, "Name");
    CHECK_STR(v, "procfs-test", "status Name:");
    v = field(buf, "Pid");
    CHECK_EQ(v ? atoi(v) : -1, getpid(), "status Pid:");
    v = field(buf, "Tgid");
    CHECK_EQ(v ? atoi(v) : -1, getpid(), "status Tgid:");
    v = field(buf, "PPid");
    CHECK_EQ(v ? atoi(v) : -1, getppid(), "status PPid:");
    v = field(buf, "Threads");
    CHECK_EQ(v ? atoi(v) : -1, 4 + extra, "status Threads: counts our 4 threads");
    v = field(buf, "State");
    kt_check(v && v[0] == 'R', "status State: R", "got %s", v ? v : "(none)");
    v = field(buf, "Uid");
    CHECK_STR(v, "0\t0\t0\t0", "status Uid: 0 0 0 0");
    v = field(buf, "SigBlk");
    CHECK_STR(v, "0000000000000200", "status SigBlk: shows the blocked SIGUSR1");
    v = field(buf, "VmRSS");
    CHECK(v && atoi(v) > 0, "status VmRSS: is positive");

    char b2[64];
    CHECK(vt_get("/proc/self/comm", b2, sizeof b2) > 0 && strcmp(b2, "procfs-test\n") == 0, "comm reads the name");

    /* task/ */
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
    int tasks = 0, has_main = 0;
    char tb[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, tb, sizeof tb)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen;
            memcpy(&reclen, tb + off + 16, 2);
            const char *nm = tb + off + 19;
            if (nm[0] != '.')
                tasks++;
            if (atoi(nm) == getpid())
                has_main = 1;
            off += reclen;
        }
    }
    close(fd);
    CHECK_EQ(tasks, 4 + extra, "task/ has one entry per thread");
    CHECK(has_main, "task/ includes the main thread's tid");
    char tpath[64];
    snprintf(tpath, sizeof tpath, "/proc/self/task/%d/stat", (int)syscall(SYS_gettid));
    CHECK(vt_get(tpath, buf, sizeof buf) > 0 && stat_field(buf, 1, NULL, 0) == getpid(), "task/TID/stat is readable");
    char self[32], want[32];
    ssize_t rl = readlink("/proc/self", self, sizeof self - 1);
    self[rl > 0 ? rl : 0] = 0;
    snprintf(want, sizeof want, "%d", getpid());
    CHECK_STR(self, want, "/proc/self links to our pid");
    rl = readlink("/proc/thread-self", self, sizeof self - 1);
    self[rl > 0 ? rl : 0] = 0;
    snprintf(want, sizeof want, "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
    CHECK_STR(self, want, "/proc/thread-self links to pid/task/tid");
    stop_threads = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    /* a joined thread may linger for a moment after clearing its tid */
    for (int i = 0; i < 200; i++) {
        vt_get("/proc/self/status", buf, sizeof buf);
        v = field(buf, "Threads");
        if (v && atoi(v) == 1 + extra)
            break;
        vt_msleep(10);
    }
    CHECK_EQ(v ? atoi(v) : -1, 1 + extra, "status Threads: 1 after joining");
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* exe, cwd, root */
    char link[PATH_MAX];
    rl = readlink("/proc/self/exe", link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    CHECK_STR(link, vt_self, "exe links to the program");
    char cwd[PATH_MAX];
    getcwd(cwd, sizeof cwd);
    rl = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    CHECK_STR(link, cwd, "cwd links to getcwd()");
    int here = open(".", O_RDONLY | O_DIRECTORY);
    chdir("/dev");
    rl = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    CHECK_STR(link, "/dev", "cwd follows chdir");
    fchdir(here);
    close(here);
    rl = readlink("/proc/self/root", link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    CHECK_STR(link, "/", "root links to /");
    struct stat a, b;
    stat("/proc/self/cwd/", &a);
    stat(".", &b);
    CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "following cwd reaches the cwd");

    /* cmdline and environ, in a re-executed child */
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {(char *)"procfs-argv0", (char *)"--cmdline", (char *)"two words", (char *)"", (char *)"last", NULL};
        char *env[] = {(char *)"VT_MARK=environ works", (char *)"GHOST_TEST_QEMU=0", NULL};
        if (kt_qemu()) {
            env[1] = (char *)"GHOST_TEST_QEMU=1";
        }
        vt_exec(vt_self, args, env);
        _exit(99);
    }
    int r = vt_reap(pid);
    CHECK_EQ(r & 3, 0, "cmdline is argv, NUL-separated (with an empty argument)");
    CHECK_EQ(r & 4, 0, "environ holds the environment given to execve");
    CHECK_EQ(r & ~7, 0, "the cmdline child exited cleanly");
}

static void fds_and_maps(void)
{
    const char *dir = vt_mkshm("procfs");
    char path[512], link[PATH_MAX];
    snprintf(path, sizeof path, "%s/file", dir);
    vt_put(path, "0123456789", 0644);
    int fd = open(path, O_RDWR | O_APPEND);
    char fdp[64];
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
    ssize_t rl = readlink(fdp, link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    CHECK_STR(link, path, "fd/N links to the opened path");
    struct stat st;
    memset(&st, 0, sizeof st);
    int lr = lstat(fdp, &st);
    kt_check(lr == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0700, "fd/N is a 0700 symlink (lstat)",
             "lstat %d mode %o", lr, st.st_mode);
    lseek(fd, 3, SEEK_SET);
    int re = open(fdp, O_RDONLY);
    char b[16] = {0};
    CHECK(re >= 0 && read(re, b, 2) == 2 && memcmp(b, "01", 2) == 0, "opening fd/N opens the file anew (own offset)");
    close(re);
    char info[64];
    snprintf(info, sizeof info, "/proc/self/fdinfo/%d", fd);
    vt_get(info, buf, sizeof buf);
    const char *v = field(buf, "pos");
    CHECK_EQ(v ? atoll(v) : -1, 3, "fdinfo pos: is the offset");
    v = field(buf, "flags");
    long fl = v ? strtol(v, NULL, 8) : -1;
    kt_check(v && (fl & O_APPEND) && (fl & O_ACCMODE) == O_RDWR, "fdinfo flags: show O_RDWR|O_APPEND (octal)", "got %s",
             v ? v : "(none)");
    int cfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(info, sizeof info, "/proc/self/fdinfo/%d", cfd);
    vt_get(info, buf, sizeof buf);
    v = field(buf, "flags");
    fl = v ? strtol(v, NULL, 8) : 0;
    kt_check(fl & O_CLOEXEC, "fdinfo flags: show O_CLOEXEC", "got %s", v ? v : "(none)");
    close(cfd);
    int p[2];
    pipe(p);
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", p[0]);
    rl = readlink(fdp, link, sizeof link - 1);
    link[rl > 0 ? rl : 0] = 0;
    memset(&st, 0, sizeof st);
    syscall(SYS_fstat, p[0], &st); /* the raw syscall: glibc's fstat goes through fstatat(AT_EMPTY_PATH) */
    char want[64];
    snprintf(want, sizeof want, "pipe:[%llu]", (unsigned long long)st.st_ino);
    CHECK_STR(link, want, "a pipe's fd/N links to pipe:[ino]");
    close(p[0]);
    close(p[1]);
    CHECK_ERR(readlink("/proc/self/fd/999", link, sizeof link), ENOENT, "fd/N of a closed fd is ENOENT");
    char pre[64];
    snprintf(pre, sizeof pre, "/proc/%d/fd/%d", getpid(), fd);
    CHECK(readlink(pre, link, sizeof link) > 0, "/proc/PID/fd/N works too");

    /* maps */
    uintptr_t at = 0x3000000000ull;
    char *m = mmap((void *)at, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(m == (char *)at, "mmap 3 pages at 0x3000000000");
    mprotect(m + 4096, 4096, PROT_READ);
    char *fm = mmap((void *)(at + 0x100000), 4096, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    CHECK(fm == (char *)(at + 0x100000), "mmap the file shared at 0x3000100000");
    vt_get("/proc/self/maps", buf, sizeof buf);
    const char *l1 = vt_line(buf, "3000000000-3000001000 rw-p ");
    const char *l2 = vt_line(buf, "3000001000-3000002000 r--p ");
    const char *l3 = vt_line(buf, "3000002000-3000003000 rw-p ");
    const char *l4 = vt_line(buf, "3000100000-3000101000 r--s 00000000 ");
    CHECK(l1 && l3, "maps shows the rw-p pieces of the anonymous mapping");
    CHECK(l2, "maps shows the mprotected r--p middle page");
    kt_check(l4 && strstr(l4, path) && strstr(l4, path) < strchr(l4, '\n'), "maps shows the r--s file mapping with its path",
             "%s", l4 ? "path missing" : "line missing");
    CHECK(vt_line(buf, "") && strstr(buf, "[stack]"), "maps shows [stack]");
    munmap(m, 3 * 4096);
    munmap(fm, 4096);
    vt_get("/proc/self/maps", buf, sizeof buf);
    CHECK(!vt_line(buf, "3000000000-") && !vt_line(buf, "3000100000-"), "unmapped ranges leave maps");
    close(fd);

    /* mounts */
    vt_get("/proc/self/mounts", buf, sizeof buf);
    CHECK(strstr(buf, " /proc proc ") != NULL, "/proc/self/mounts lists /proc as proc");
    char gm[1 << 14];
    vt_get("/proc/mounts", gm, sizeof gm);
    CHECK(strstr(gm, " /proc proc ") != NULL, "/proc/mounts lists /proc as proc");

    /* limits */
    struct rlimit rl0, rl1 = {200, 0};
    getrlimit(RLIMIT_NOFILE, &rl0);
    rl1.rlim_max = rl0.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl1);
    vt_get("/proc/self/limits", buf, sizeof buf);
    const char *l = vt_line(buf, "Max open files");
    long long soft = -1, hard = -1;
    if (l)
        sscanf(l + 26, "%lld %lld", &soft, &hard);
    CHECK(soft == 200 && hard == (long long)rl0.rlim_max, "limits shows Max open files soft 200 and the hard limit");
    setrlimit(RLIMIT_NOFILE, &rl0);
    CHECK(vt_line(buf, "Limit ") != NULL, "limits has its header line");
    CHECK(vt_line(buf, "Max stack size") != NULL, "limits has Max stack size");
    vt_cleanup_shm();
}

static void other_procs(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    /* wait until it is a zombie */
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    ssize_t zr = vt_get(p, buf, sizeof buf);
    if (zr < 0)
        kt_printf("# reading %s of a zombie: %s\n", p, strerror((int)-zr));
    CHECK_EQ(stat_field(buf, 3, NULL, 0), 'Z', "an exited, unreaped child's state is Z");
    CHECK_EQ(stat_field(buf, 4, NULL, 0), getpid(), "its ppid is us");
    vt_reap(pid);
    CHECK_ERR(open(p, O_RDONLY), ENOENT, "after reaping, /proc/PID/stat is ENOENT");

    int q[2];
    pipe(q);
    pid = fork();
    if (pid == 0) {
        setresgid(1000, 1001, 1002);
        setresuid(1000, 1001, 1002);
        write(q[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    read(q[0], &c, 1);
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    const char *v;
    for (int i = 0; i < 200; i++) { /* until it sleeps in pause() */
        vt_get(p, buf, sizeof buf);
        v = field(buf, "State");
        if (v && v[0] != 'R')
            break;
        vt_msleep(10);
    }
    v = field(buf, "Uid");
    CHECK_STR(v, "1000\t1001\t1002\t1001", "another process's Uid: real, effective, saved, fs");
    v = field(buf, "Gid");
    CHECK_STR(v, "1000\t1001\t1002\t1001", "its Gid:");
    v = field(buf, "State");
    kt_check(v && v[0] == 'S', "a process in pause() is S (sleeping)", "got %s", v ? v : "(none)");
    kill(pid, SIGKILL);
    vt_reap(pid);
    close(q[0]);
    close(q[1]);
}

static void global_files(void)
{
    vt_get("/proc/meminfo", buf, sizeof buf);
    const char *v = field(buf, "MemTotal");
    long long total = v ? atoll(v) : -1;
    CHECK(total > 0 && strstr(v, "kB"), "meminfo MemTotal: N kB");
    v = field(buf, "MemFree");
    CHECK(v && atoll(v) > 0 && atoll(v) <= total, "meminfo 0 < MemFree <= MemTotal");
    v = field(buf, "MemAvailable");
    CHECK(v && atoll(v) <= total, "meminfo MemAvailable <= MemTotal");

    char online[64];
    vt_get("/sys/devices/system/cpu/online", online, sizeof online);
    int lo = 0, hi = 0;
    int ncpu = sscanf(online, "%d-%d", &lo, &hi) == 2 ? hi - lo + 1 : 1;
    vt_get("/proc/cpuinfo", buf, sizeof buf);
    int procs = 0;
    for (const char *s = buf; (s = vt_line(s, "processor")); s++)
        procs++;
    CHECK_EQ(procs, ncpu, "cpuinfo has one processor entry per online cpu");
    CHECK_EQ(sysconf(_SC_NPROCESSORS_ONLN), ncpu, "sysconf(_SC_NPROCESSORS_ONLN) agrees");
    if (kt_qemu())
        kt_skip("cpuinfo describes a riscv64 hart (isa: rv64...)", "qemu-user shows the host's cpuinfo");
    else {
        /* "isa\t\t: rv64imafdc..." */
        v = vt_line(buf, "isa\t");
        if (v)
            v = strchr(v, ':');
        while (v && (*v == ':' || *v == ' '))
            v++;
        CHECK(v && strncmp(v, "rv64", 4) == 0, "cpuinfo describes a riscv64 hart (isa: rv64...)");
    }

    vt_get("/proc/stat", buf, sizeof buf);
    CHECK(strncmp(buf, "cpu ", 4) == 0, "/proc/stat starts with the cpu line");
    CHECK(vt_line(buf, "cpu0 ") != NULL, "/proc/stat has cpu0");
    v = vt_line(buf, "btime ");
    long long btime = v ? atoll(v + 6) : 0;
    CHECK(btime > 1000000000LL && btime <= time(NULL), "/proc/stat btime is a plausible past time");
    CHECK(vt_line(buf, "processes ") && vt_line(buf, "ctxt "), "/proc/stat has processes and ctxt");

    double up1 = -1, idle = -1, up2 = -1;
    vt_get("/proc/uptime", buf, sizeof buf);
    sscanf(buf, "%lf %lf", &up1, &idle);
    CHECK(up1 > 0 && idle >= 0, "/proc/uptime: two non-negative numbers");
    vt_msleep(300);
    vt_get("/proc/uptime", buf, sizeof buf);
    sscanf(buf, "%lf", &up2);
    kt_check(up2 - up1 >= 0.2 && up2 - up1 < 30, "/proc/uptime advances with time", "%.2f then %.2f", up1, up2);
    struct timespec bt;
    clock_gettime(CLOCK_BOOTTIME, &bt);
    kt_check(up2 - (double)bt.tv_sec < 2 && (double)bt.tv_sec - up2 < 2, "/proc/uptime agrees with CLOCK_BOOTTIME",
             "uptime %.2f boottime %ld", up2, (long)bt.tv_sec);

    vt_get("/proc/loadavg", buf, sizeof buf);
    double l1, l5, l15;
    int run, tot, last;
    int k = sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &tot, &last);
    CHECK(k == 6 && run >= 1 && tot >= run && last > 0, "/proc/loadavg has 5 fields: loads, running/total, last pid");

    vt_get("/proc/version", buf, sizeof buf);
    CHECK(strncmp(buf, "Linux version ", 14) == 0, "/proc/version starts with \"Linux version \"");
    struct utsname u;
    uname(&u);
    CHECK(strstr(buf, u.release) != NULL, "/proc/version contains uname's release");
    vt_get("/proc/filesystems", buf, sizeof buf);
    CHECK(strstr(buf, "nodev\tproc\n") && strstr(buf, "nodev\ttmpfs\n"), "/proc/filesystems lists nodev proc and tmpfs");
    char small[64];
    vt_get("/proc/sys/kernel/ostype", small, sizeof small);
    CHECK_STR(small, "Linux\n", "/proc/sys/kernel/ostype");
    vt_get("/proc/sys/kernel/osrelease", small, sizeof small);
    small[strcspn(small, "\n")] = 0;
    CHECK_STR(small, u.release, "/proc/sys/kernel/osrelease is uname's release");
    vt_get("/proc/sys/fs/pipe-max-size", small, sizeof small);
    CHECK_STR(small, "1048576\n", "/proc/sys/fs/pipe-max-size is 1048576");
}

static void hostname(void)
{
    int q[2];
    pipe(q);
    pid_t pid = fork();
    if (pid == 0) {
        close(q[0]);
        if (kt_qemu() && unshare(CLONE_NEWUTS) != 0) {
            write(q[1], "S", 1);
            _exit(0);
        }
        char res[8] = "xxxxxx";
        char b[128], orig[128];
        struct utsname u;
        uname(&u);
        vt_get("/proc/sys/kernel/hostname", orig, sizeof orig);
        res[0] = (strlen(orig) > 0 && orig[strlen(orig) - 1] == '\n' && strncmp(orig, u.nodename, strlen(u.nodename)) == 0) ? '1' : '0';
        int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
        res[1] = (fd >= 0 && write(fd, "ghost-vfs-test\n", 15) == 15) ? '1' : '0';
        close(fd);
        uname(&u);
        res[2] = strcmp(u.nodename, "ghost-vfs-test") == 0 ? '1' : '0';
        vt_get("/proc/sys/kernel/hostname", b, sizeof b);
        res[3] = strcmp(b, "ghost-vfs-test\n") == 0 ? '1' : '0';
        sethostname("via-syscall", 11);
        vt_get("/proc/sys/kernel/hostname", b, sizeof b);
        res[4] = strcmp(b, "via-syscall\n") == 0 ? '1' : '0';
        pid_t c = fork();
        if (c == 0) {
            setuid(1000);
            int f = open("/proc/sys/kernel/hostname", O_WRONLY);
            _exit(f == -1 && errno == EACCES ? 0 : 1);
        }
        res[5] = vt_reap(c) == 0 ? '1' : '0';
        /* restore (matters when there is no UTS namespace) */
        orig[strcspn(orig, "\n")] = 0;
        sethostname(orig, strlen(orig));
        write(q[1], res, 6);
        _exit(0);
    }
    close(q[1]);
    char res[8] = {0};
    ssize_t n = vt_read_full(q[0], res, 6);
    vt_reap(pid);
    close(q[0]);
    static const char *names[] = {
        "/proc/sys/kernel/hostname reads uname's nodename",
        "writing /proc/sys/kernel/hostname as root",
        "uname shows the written hostname",
        "/proc/sys/kernel/hostname reads it back",
        "sethostname shows in /proc/sys/kernel/hostname",
        "opening /proc/sys/kernel/hostname for writing as uid 1000 is EACCES",
    };
    if (n == 1 && res[0] == 'S') {
        for (int i = 0; i < 6; i++)
            kt_skip(names[i], "no UTS namespace under qemu-user");
        return;
    }
    for (int i = 0; i < 6; i++)
        kt_check(i < n && res[i] == '1', names[i], "failed");
}

/* A task's own /proc/self/fd is open to it even when the directory is not
   its (proc_fd_permission): after setreuid(-1, nobody) the task is not
   dumpable and the directory is root's 0500, yet it lists its fds and
   follows their links (linkat of an O_TMPFILE through them: LTP openat04). */
static void own_fd_dir(void)
{
    if (geteuid() != 0) {
        kt_skip("own /proc/self/fd after a set-uid change", "not root");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setreuid(-1, 65534) != 0)
            _exit(10);
        struct stat st;
        if (stat("/proc/self/fd", &st) != 0 || st.st_uid != 0)
            _exit(11); /* not dumpable: root's */
        DIR *d = opendir("/proc/self/fd");
        if (!d)
            _exit(12);
        closedir(d);
        int fd = open("/dev/null", O_RDONLY);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        if (stat(p, &st) != 0 || !S_ISCHR(st.st_mode))
            _exit(13);
        _exit(0);
    }
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a task not dumpable still reads its own /proc/self/fd");
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
        kt_printf("# child exit %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--cmdline") == 0)
        return cmdline_child(argc, argv);
    vt_init(argc, argv, 60);
    self_files(argc, argv);
    fds_and_maps();
    other_procs();
    global_files();
    hostname();
    own_fd_dir();
    return kt_done();
}
