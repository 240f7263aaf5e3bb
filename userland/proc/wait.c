/* wait.c - wait4/waitpid/waitid: WNOHANG, WUNTRACED, WCONTINUED, WNOWAIT,
 * P_PID/P_PGID/P_ALL/P_PIDFD, ECHILD, status macros, SIGCHLD siginfo,
 * SA_NOCLDSTOP, SA_NOCLDWAIT and SIGCHLD=SIG_IGN auto-reaping. */
#include "ktest.h"
#include <sys/times.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdint.h>

#pragma GCC diagnostic ignored "-Warray-bounds" /* deliberate stores to KT_BAD_PTR */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static pid_t spawn_sleeper(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    return c;
}

static pid_t spawn_exit(int code, int delay_ms)
{
    pid_t c = fork();
    if (c == 0) {
        if (delay_ms)
            kt_msleep(delay_ms);
        _exit(code);
    }
    return c;
}

static void basics(void)
{
    int st = -1;
    CHECK_ERR(waitpid(-1, &st, 0), ECHILD, "waitpid(-1) with no children is ECHILD");
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1, WNOHANG) with no children is ECHILD");
    CHECK_ERR(waitpid(1, &st, 0), ECHILD, "waitpid on a pid that is not our child is ECHILD");
    CHECK_ERR(waitpid(getppid(), &st, WNOHANG), ECHILD, "waitpid on our parent is ECHILD");
    CHECK_ERR(waitpid(INT_MIN, &st, WNOHANG), ESRCH, "waitpid(INT_MIN) is ESRCH (-INT_MIN is no group)");
    CHECK_ERR(wait4(INT_MIN, &st, WNOHANG, NULL), ESRCH, "wait4(INT_MIN) is ESRCH");
    siginfo_t si;
    CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid(P_ALL) with no children is ECHILD");
    CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid with no WEXITED/WSTOPPED/WCONTINUED is EINVAL");
    CHECK_ERR(waitpid(-1, &st, 0x10000), EINVAL, "waitpid with an unknown option bit is EINVAL");

    /* WNOHANG on a running child */
    pid_t c = spawn_sleeper();
    st = 12345;
    CHECK_EQ(waitpid(c, &st, WNOHANG), 0, "WNOHANG on a running child returns 0");
    memset(&si, 0, sizeof si);
    si.si_pid = 0;
    CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOHANG), 0, "waitid WNOHANG on a running child returns 0");
    CHECK_EQ(si.si_pid, 0, "waitid WNOHANG with nothing to report leaves si_pid 0");
    kill(c, SIGKILL);
    kt_check_killed(c, SIGKILL, "SIGKILLed child: WIFSIGNALED, WTERMSIG == SIGKILL");

    /* exit codes and the status word */
    c = spawn_exit(0, 0);
    CHECK_EQ(waitpid(c, &st, 0), c, "waitpid returns the child's pid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !WIFSIGNALED(st) && !WIFSTOPPED(st), "exit(0): WIFEXITED, status 0");
    CHECK_EQ(st, 0, "exit(0) status word is 0");
    c = spawn_exit(200, 0);
    CHECK_EQ(waitpid(c, &st, 0), c, "waitpid for exit(200)");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 200, "exit(200): WEXITSTATUS 200");
    CHECK_EQ(st, 200 << 8, "exit(200) status word is 200 << 8");

    /* wait4 with rusage; the child burns some CPU */
    c = fork();
    if (c == 0) {
        volatile unsigned long x = 0;
        for (unsigned long i = 0; i < 3000000; i++)
            x += i;
        _exit(9);
    }
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    CHECK_EQ(wait4(c, &st, 0, &ru), c, "wait4 with rusage");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9, "wait4 status");
    kt_check(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
                 (ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0 || ru.ru_stime.tv_usec > 0),
             "wait4 rusage has the child's (nonzero) CPU time", "utime %ld.%06ld stime %ld.%06ld",
             (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
             (long)ru.ru_stime.tv_usec);
    getrusage(RUSAGE_CHILDREN, &ru);
    CHECK(ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0, "getrusage(RUSAGE_CHILDREN) includes reaped children");

    /* Time spent in system calls is system time (LTP times03): a loop of
       syscalls gathers some, in times() and getrusage(RUSAGE_SELF) alike. */
    /* (Measured from where the process stands: the system time spent before
       the loop, which a loaded host can make anything, does not count.) */
    struct tms tm0, tm;
    times(&tm0);
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    long long st0 = ru0.ru_stime.tv_sec * 1000000LL + ru0.ru_stime.tv_usec, gained;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int i = 0; i < 20000; i++)
            getppid();
        getrusage(RUSAGE_SELF, &ru);
        clock_gettime(CLOCK_MONOTONIC, &now);
        gained = ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec - st0;
    } while (gained < 30000 && now.tv_sec - t0.tv_sec < 30);
    times(&tm);
    kt_check(gained >= 30000, "a loop of syscalls gathers system time (getrusage ru_stime)",
             "ru_stime grew by %lld us after %ld s", gained, (long)(now.tv_sec - t0.tv_sec));
    kt_check(tm.tms_stime > tm0.tms_stime, "and times() tms_stime grows", "tms_stime %ld then %ld", (long)tm0.tms_stime, (long)tm.tms_stime);

    /* waitpid for a specific child leaves the others alone */
    pid_t a = spawn_exit(11, 0), b = spawn_exit(12, 0);
    kt_msleep(20);
    CHECK_EQ(waitpid(b, &st, 0), b, "waitpid(b) returns b although a exited first");
    CHECK_EQ(WEXITSTATUS(st), 12, "b's status");
    CHECK_EQ(waitpid(a, &st, 0), a, "a is still waitable");
    CHECK_EQ(WEXITSTATUS(st), 11, "a's status");
    CHECK_ERR(waitpid(a, &st, 0), ECHILD, "a reaped child cannot be waited again");
}


/* The core file the last child (pid, SIGABRT) left in dir: an ELF core for
 * RISC-V whose first NT_PRSTATUS names that thread and SIGABRT, and whose
 * PT_LOAD segments hold the process's memory (core_marker). */
static char core_marker[32] = "core marker: 8f3a6c1e";
static unsigned char core_buf[1 << 22];
/* Two anonymous pages the dumping child advises: the first MADV_DONTDUMP
 * (its contents stay out of the core), the second MADV_DONTDUMP then
 * MADV_DODUMP (in it again). */
static char *dd_pages;
static char dd_marker[2][40];
/* Whether the core at path holds s at the file offset of the PT_LOAD
 * segment's bytes for address va (a segment dumped with no bytes there: no). */
static int core_holds(const char *path, uintptr_t va, const char *s)
{
    int fd = open(path, O_RDONLY);
    unsigned char eh[64], ph[56];
    char got[64] = {0};
    int found = 0;
    uint64_t phoff;
    uint16_t phnum;
    if (fd < 0 || pread(fd, eh, 64, 0) != 64)
        goto out;
    memcpy(&phoff, eh + 32, 8);
    memcpy(&phnum, eh + 56, 2);
    for (int i = 0; i < phnum && pread(fd, ph, 56, phoff + i * 56) == 56; i++) {
        uint32_t pt;
        uint64_t off, pva, filesz;
        memcpy(&pt, ph, 4);
        memcpy(&off, ph + 8, 8);
        memcpy(&pva, ph + 16, 8);
        memcpy(&filesz, ph + 32, 8);
        if (pt == 1 && va >= pva && va + strlen(s) <= pva + filesz)
            found = pread(fd, got, strlen(s), off + (va - pva)) == (ssize_t)strlen(s) && memcmp(got, s, strlen(s)) == 0;
    }
out:
    if (fd >= 0)
        close(fd);
    return found;
}
static void core_file(const char *dir, pid_t pid)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/core", dir);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "the core file is in the working directory, named core");
    if (fd < 0)
        return;
    struct stat st;
    fstat(fd, &st);
    CHECK((st.st_mode & 07777) == 0600 && st.st_uid == getuid(), "it is mode 0600, owned by the process's user");
    ssize_t n = kt_read_full(fd, core_buf, sizeof core_buf);
    close(fd);
    unsigned char *b = core_buf;
    CHECK(n > 64 && memcmp(b, "\177ELF\2\1\1", 7) == 0, "an ELF64 little-endian file");
    uint16_t type, machine, phnum;
    uint64_t phoff;
    memcpy(&type, b + 16, 2);
    memcpy(&machine, b + 18, 2);
    memcpy(&phoff, b + 32, 8);
    memcpy(&phnum, b + 56, 2);
    CHECK(type == 4 && machine == 243, "ET_CORE for EM_RISCV");
    int got_status = 0, got_marker = 0, loads = 0;
    for (int i = 0; i < phnum && phoff + (i + 1) * 56 <= (uint64_t)n; i++) {
        uint32_t pt;
        uint64_t off, va, filesz;
        memcpy(&pt, b + phoff + i * 56, 4);
        memcpy(&off, b + phoff + i * 56 + 8, 8);
        memcpy(&va, b + phoff + i * 56 + 16, 8);
        memcpy(&filesz, b + phoff + i * 56 + 32, 8);
        if (pt == 4 && off + filesz <= (uint64_t)n) {
            uint32_t namesz, descsz, ntype;
            memcpy(&namesz, b + off, 4);
            memcpy(&descsz, b + off + 4, 4);
            memcpy(&ntype, b + off + 8, 4);
            const unsigned char *desc = b + off + 12 + ((namesz + 3) & ~3u);
            int16_t cursig;
            int32_t prpid;
            memcpy(&cursig, desc + 12, 2);
            memcpy(&prpid, desc + 32, 4);
            got_status = ntype == 1 && memcmp(b + off + 12, "CORE", 5) == 0 && cursig == SIGABRT && prpid == pid;
        }
        if (pt == 1) {
            loads++;
            uintptr_t m = (uintptr_t)core_marker;
            if (m >= va && m + sizeof core_marker <= va + filesz && off + (m - va) + sizeof core_marker <= (uint64_t)n)
                got_marker = memcmp(b + off + (m - va), core_marker, strlen(core_marker)) == 0;
        }
    }
    CHECK(got_status, "the first note is NT_PRSTATUS of the dumping thread, with SIGABRT");
    CHECK(loads > 3 && got_marker, "PT_LOAD segments hold the process's memory");
    CHECK(!core_holds(path, (uintptr_t)dd_pages, dd_marker[0]), "a MADV_DONTDUMP page's contents are not in the core");
    CHECK(core_holds(path, (uintptr_t)dd_pages + 4096, dd_marker[1]), "a page given MADV_DODUMP after MADV_DONTDUMP is in the core");
}

/* core_pattern names the file (%e, %p); RLIMIT_CORE caps its size. */
static void core_pattern_and_limit(const char *dir)
{
    char pat[PATH_MAX], path[PATH_MAX + 64];
    int fd = open("/proc/sys/kernel/core_pattern", O_RDWR);
    char old[256] = {0};
    CHECK(fd >= 0 && read(fd, old, sizeof old - 1) > 0 && strcmp(old, "core\n") == 0, "core_pattern is \"core\"");
    snprintf(pat, sizeof pat, "%s/dump.%%e.%%p", dir);
    CHECK(fd >= 0 && pwrite(fd, pat, strlen(pat), 0) == (ssize_t)strlen(pat), "set core_pattern to DIR/dump.%e.%p");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = {8192, 8192};
        setrlimit(RLIMIT_CORE, &rl);
        prctl(PR_SET_NAME, "dumper");
        abort();
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFSIGNALED(st) && WCOREDUMP(st), "a dump with RLIMIT_CORE 8192 sets the core flag");
    snprintf(path, sizeof path, "%s/dump.dumper.%d", dir, (int)c);
    struct stat sb;
    kt_check(stat(path, &sb) == 0 && sb.st_size == 8192, "the file is named by the pattern and cut at 8192 bytes",
             "stat %s: %s, size %lld", path, strerror(errno), (long long)sb.st_size);
    if (fd >= 0) {
        pwrite(fd, "core", 4, 0);
        close(fd);
    }
}

static void signal_deaths(void)
{
    int st;
    pid_t c = fork();
    if (c == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    CHECK_EQ(waitpid(c, &st, 0), c, "reap SIGTERM child");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !WIFEXITED(st) && !WCOREDUMP(st),
          "SIGTERM death: WIFSIGNALED, WTERMSIG == SIGTERM, no core flag");
    CHECK_EQ(st, SIGTERM, "SIGTERM status word is the signal number");

    /* core-dumping signals with RLIMIT_CORE 0: no core, so no core flag and CLD_KILLED */
    int sigs[2] = {SIGSEGV, SIGABRT};
    for (int i = 0; i < 2; i++) {
        c = fork();
        if (c == 0) {
            struct rlimit rl = {0, 0};
            setrlimit(RLIMIT_CORE, &rl);
            if (sigs[i] == SIGSEGV)
                *(volatile int *)KT_BAD_PTR = 1;
            else
                abort();
            _exit(1);
        }
        siginfo_t si;
        memset(&si, 0, sizeof si);
        CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, "waitid WNOWAIT on a signal death");
        CHECK_EQ(si.si_code, CLD_KILLED, sigs[i] == SIGSEGV ? "SIGSEGV with RLIMIT_CORE 0: si_code CLD_KILLED"
                                                            : "SIGABRT with RLIMIT_CORE 0: si_code CLD_KILLED");
        CHECK_EQ(si.si_status, sigs[i], "si_status is the signal");
        CHECK_EQ(waitpid(c, &st, 0), c, "reap the signalled child");
        kt_check(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i] && !WCOREDUMP(st),
                 sigs[i] == SIGSEGV ? "SIGSEGV death with RLIMIT_CORE 0: WTERMSIG SIGSEGV, no core flag"
                                    : "abort() with RLIMIT_CORE 0: WTERMSIG SIGABRT, no core flag",
                 "%s", kt_wstr(st));
    }

    /* with RLIMIT_CORE unlimited, a core is written (in a temp dir) and the core flag is set */
    if (kt_qemu()) {
        kt_skip("SIGSEGV/SIGABRT with RLIMIT_CORE unlimited set the core flag",
                "qemu-user writes its own core file and kills itself without a host core dump");
        return;
    }
    const char *dir = kt_mktemp("wait-core");
    dd_pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(dd_pages != MAP_FAILED, "mmap two pages for MADV_DONTDUMP");
    for (int j = 0; j < 2; j++) {
        unsigned v = (unsigned)getpid() * 2654435761u + (unsigned)j;
        char *m = dd_pages + j * 4096;
        memcpy(m, "dump-advice:", 12);
        for (int k = 0; k < 8; k++)
            m[12 + k] = "0123456789abcdef"[(v >> (28 - 4 * k)) & 15];
        m[20] = 0;
        memcpy(dd_marker[j], m, 21);
    }
    for (int i = 0; i < 2; i++) {
        c = fork();
        if (c == 0) {
            struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
            setrlimit(RLIMIT_CORE, &rl);
            if (madvise(dd_pages, 2 * 4096, MADV_DONTDUMP) != 0 || madvise(dd_pages + 4096, 4096, MADV_DODUMP) != 0)
                _exit(3);
            if (chdir(dir) != 0)
                _exit(2);
            if (sigs[i] == SIGSEGV)
                *(volatile int *)KT_BAD_PTR = 1;
            else
                abort();
            _exit(1);
        }
        siginfo_t si;
        memset(&si, 0, sizeof si);
        waitid(P_PID, c, &si, WEXITED | WNOWAIT);
        CHECK_EQ(si.si_code, CLD_DUMPED, sigs[i] == SIGSEGV ? "SIGSEGV with a core limit: si_code CLD_DUMPED"
                                                            : "SIGABRT with a core limit: si_code CLD_DUMPED");
        CHECK_EQ(waitpid(c, &st, 0), c, "reap the core-dumping child");
        kt_check(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i] && WCOREDUMP(st),
                 sigs[i] == SIGSEGV ? "SIGSEGV default action with a core limit: WCOREDUMP set"
                                    : "SIGABRT default action with a core limit: WCOREDUMP set",
                 "%s", kt_wstr(st));
    }
    core_file(dir, c);
    core_pattern_and_limit(dir);
    kt_cleanup();
}

static volatile sig_atomic_t chld_count, chld_code, chld_pid, chld_status, chld_signo, chld_uid;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    chld_signo = sig;
    chld_count++;
    chld_code = si->si_code;
    chld_pid = si->si_pid;
    chld_status = si->si_status;
    chld_uid = si->si_uid;
}

static void set_chld(void (*fn)(int, siginfo_t *, void *), void (*plain)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (fn) {
        sa.sa_sigaction = fn;
        sa.sa_flags = SA_SIGINFO | flags;
    } else {
        sa.sa_handler = plain;
        sa.sa_flags = flags;
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static void stop_continue(void)
{
    int st;
    set_chld(on_chld, NULL, 0);
    chld_count = 0;
    pid_t c = spawn_sleeper();
    CHECK_EQ(kill(c, SIGSTOP), 0, "SIGSTOP a child");
    /* no EINTR retry: the stop's own SIGCHLD (handler without SA_RESTART) must not make the wait fail */
    CHECK_OK(waitpid(c, &st, WUNTRACED), "waitpid WUNTRACED returns the stopped child (not EINTR)");
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && !WIFEXITED(st) && !WIFSIGNALED(st),
          "WIFSTOPPED, WSTOPSIG == SIGSTOP");
    CHECK_EQ(st, (SIGSTOP << 8) | 0x7f, "stopped status word is (SIGSTOP << 8) | 0x7f");
    KT_WAIT_FOR(chld_count > 0, 2000);
    CHECK_EQ(chld_count, 1, "SIGCHLD delivered for the stop");
    CHECK_EQ(chld_code, CLD_STOPPED, "SIGCHLD si_code CLD_STOPPED");
    CHECK_EQ(chld_status, SIGSTOP, "SIGCHLD si_status is SIGSTOP");
    CHECK_EQ(chld_pid, c, "SIGCHLD si_pid is the child");
    CHECK_EQ(waitpid(c, &st, WUNTRACED | WNOHANG), 0, "a stop is reported only once");
    CHECK_EQ(waitpid(c, &st, WNOHANG), 0, "without WUNTRACED a stopped child is not reported");

    chld_count = 0;
    CHECK_EQ(kill(c, SIGCONT), 0, "SIGCONT the child");
    CHECK_OK(waitpid(c, &st, WCONTINUED), "waitpid WCONTINUED returns the continued child (not EINTR)");
    CHECK(WIFCONTINUED(st) && !WIFSTOPPED(st) && !WIFEXITED(st), "WIFCONTINUED");
    CHECK_EQ(st, 0xffff, "continued status word is 0xffff");
    KT_WAIT_FOR(chld_code == CLD_CONTINUED, 2000);
    CHECK_EQ(chld_code, CLD_CONTINUED, "SIGCHLD si_code CLD_CONTINUED");
    CHECK_EQ(chld_status, SIGCONT, "SIGCHLD si_status is SIGCONT for a continue");

    /* waitid sees stops and continues too */
    chld_code = 0;
    kill(c, SIGSTOP);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_OK(waitid(P_PID, c, &si, WSTOPPED), "waitid WSTOPPED");
    CHECK(si.si_signo == SIGCHLD && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP && si.si_pid == c,
          "waitid siginfo for a stop: SIGCHLD, CLD_STOPPED, SIGSTOP, pid");
    KT_WAIT_FOR(chld_code == CLD_STOPPED, 2000);
    kill(c, SIGCONT);
    memset(&si, 0, sizeof si);
    CHECK_OK(waitid(P_PID, c, &si, WCONTINUED), "waitid WCONTINUED");
    CHECK(si.si_code == CLD_CONTINUED && si.si_status == SIGCONT && si.si_pid == c,
          "waitid siginfo for a continue: CLD_CONTINUED, SIGCONT");
    KT_WAIT_FOR(chld_code == CLD_CONTINUED, 2000); /* the CLD_CONTINUED SIGCHLD comes asynchronously */

    /* SA_NOCLDSTOP: no SIGCHLD for stops, still one for the exit */
    set_chld(on_chld, NULL, SA_NOCLDSTOP);
    kt_msleep(20); /* let any late SIGCHLD in */
    chld_count = 0;
    kill(c, SIGSTOP);
    CHECK_EQ(kt_waitpid(c, &st, WUNTRACED), c, "stopped again");
    kt_msleep(30);
    if (kt_qemu() && chld_count == 1)
        kt_skip("SA_NOCLDSTOP: no SIGCHLD for a stop", "qemu-user 7.2 does not pass SA_NOCLDSTOP to the host");
    else
        kt_check(chld_count == 0, "SA_NOCLDSTOP: no SIGCHLD for a stop", "got %d SIGCHLD, last si_code %d si_status %d",
             (int)chld_count, (int)chld_code, (int)chld_status);
    kill(c, SIGKILL);
    CHECK_EQ(kt_waitpid(c, &st, 0), c, "SIGKILL a stopped child");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "a stopped child dies of SIGKILL");
    KT_WAIT_FOR(chld_count > 0, 2000);
    CHECK_EQ(chld_code, CLD_KILLED, "SIGCHLD si_code CLD_KILLED for a SIGKILL death");

    /* a child stopping itself */
    c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(33);
    }
    CHECK_EQ(kt_waitpid(c, &st, WUNTRACED), c, "child that raise(SIGSTOP)s itself is reported stopped");
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "self-stop status");
    kill(c, SIGCONT);
    kt_check_exit(c, 33, "it resumes after SIGCONT and exits 33");

    /* SIGCHLD for a normal exit */
    set_chld(on_chld, NULL, 0);
    chld_count = 0;
    c = spawn_exit(7, 0);
    KT_WAIT_FOR(chld_count > 0, 2000);
    CHECK_EQ(chld_signo, SIGCHLD, "SIGCHLD handler runs for an exiting child");
    CHECK_EQ(chld_code, CLD_EXITED, "SIGCHLD si_code CLD_EXITED");
    CHECK_EQ(chld_pid, c, "SIGCHLD si_pid is the exited child");
    CHECK_EQ(chld_status, 7, "SIGCHLD si_status is the exit code");
    CHECK_EQ(chld_uid, getuid(), "SIGCHLD si_uid is the child's uid");
    kt_check_exit(c, 7, "the child is still a zombie to reap");
    set_chld(NULL, SIG_DFL, 0);
}

static void waitid_kinds(void)
{
    siginfo_t si;
    /* WNOWAIT leaves the child waitable */
    pid_t c = spawn_exit(21, 0);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, "waitid P_PID WNOWAIT");
    CHECK(si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 21 && si.si_pid == c &&
              si.si_uid == getuid(),
          "waitid siginfo: SIGCHLD, CLD_EXITED, status 21, pid, uid");
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0, "waitid P_ALL WNOWAIT sees it again");
    CHECK_EQ(si.si_pid, c, "same child");
    int st;
    CHECK_EQ(waitpid(c, &st, 0), c, "and waitpid still reaps it");
    CHECK_EQ(WEXITSTATUS(st), 21, "with status 21");

    /* P_PGID: two children in a new group, one outside */
    pid_t g1 = fork();
    if (g1 == 0) {
        setpgid(0, 0);
        kt_msleep(10);
        _exit(31);
    }
    setpgid(g1, g1);
    pid_t g2 = fork();
    if (g2 == 0) {
        setpgid(0, g1);
        kt_msleep(10);
        _exit(32);
    }
    setpgid(g2, g1);
    pid_t out = spawn_exit(33, 0);
    int seen = 0, ok = 1;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PGID, g1, &si, WEXITED) != 0) {
            ok = 0;
            break;
        }
        if (si.si_pid == g1 && si.si_status == 31)
            seen |= 1;
        else if (si.si_pid == g2 && si.si_status == 32)
            seen |= 2;
        else
            ok = 0;
    }
    CHECK(ok && seen == 3, "waitid P_PGID reaps exactly the group's two members");
    memset(&si, 0, sizeof si);
    CHECK_ERR(waitid(P_PGID, g1, &si, WEXITED), ECHILD, "P_PGID with the group reaped is ECHILD");
    CHECK_EQ(waitpid(-g1, &st, WNOHANG), -1, "waitpid(-pgid) for an empty group fails");
    CHECK_EQ(waitpid(0, &st, 0), out, "waitpid(0) reaps a child in our own group");
    CHECK_EQ(WEXITSTATUS(st), 33, "its status");

    /* waitpid(-pgid) */
    g1 = fork();
    if (g1 == 0) {
        setpgid(0, 0);
        _exit(41);
    }
    setpgid(g1, g1);
    CHECK_EQ(waitpid(-g1, &st, 0), g1, "waitpid(-pgid) reaps a member of that group");

    /* P_PIDFD */
    c = fork();
    if (c == 0) {
        kt_msleep(20);
        _exit(51);
    }
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    CHECK(pfd >= 0, "pidfd_open on a child");
    CHECK_ERR(syscall(SYS_pidfd_open, c, 0x12345), EINVAL, "pidfd_open with bad flags is EINVAL");
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED), 0, "waitid P_PIDFD");
    CHECK(si.si_pid == c && si.si_status == 51 && si.si_code == CLD_EXITED, "P_PIDFD siginfo: pid, status 51");
    CHECK_ERR(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED), ECHILD, "P_PIDFD after reaping is ECHILD");
    close(pfd);
    CHECK_ERR(waitid((idtype_t)P_PIDFD, 999, &si, WEXITED), EBADF, "P_PIDFD with a bad fd is EBADF");
    CHECK_ERR(syscall(SYS_pidfd_open, 0x3ffffff, 0), ESRCH, "pidfd_open of a nonexistent pid is ESRCH");

    /* A PIDFD_NONBLOCK (O_NONBLOCK) pidfd: a blocking waitid on a live child is EAGAIN, as kernel_waitid. */
    int hold[2];
    if (pipe(hold) == 0) {
        c = fork();
        if (c == 0) {
            char b;
            close(hold[1]);
            while (read(hold[0], &b, 1) < 0 && errno == EINTR)
                ;
            _exit(52);
        }
        close(hold[0]);
        pfd = (int)syscall(SYS_pidfd_open, c, O_NONBLOCK);
        CHECK(pfd >= 0 && (fcntl(pfd, F_GETFL) & O_NONBLOCK), "pidfd_open(PIDFD_NONBLOCK) sets O_NONBLOCK");
        CHECK_ERR(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED), EAGAIN, "waitid on a nonblocking pidfd of a live child is EAGAIN");
        memset(&si, 0, sizeof si);
        CHECK_EQ(waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED | WNOHANG), 0, "with WNOHANG it is 0");
        CHECK_EQ(si.si_pid, 0, "and no child is reported");
        close(hold[1]);
        int r;
        do {
            memset(&si, 0, sizeof si);
            r = waitid((idtype_t)P_PIDFD, pfd, &si, WEXITED);
            if (r == -1 && errno == EAGAIN)
                kt_msleep(5);
        } while (r == -1 && errno == EAGAIN);
        CHECK(r == 0 && si.si_pid == c && si.si_status == 52, "once the child exited the nonblocking waitid reaps it");
        close(pfd);
    }
}

static void auto_reap(void)
{
    /* SA_NOCLDWAIT: children do not become zombies; wait blocks until all exit, then ECHILD */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGCHLD, &sa, NULL), 0, "SIGCHLD SIG_DFL with SA_NOCLDWAIT");
    int st;
    pid_t a, b;
    if (kt_qemu()) {
        kt_skip("SA_NOCLDWAIT auto-reaping", "qemu-user 7.2 does not pass SA_NOCLDWAIT to the host");
        goto sig_ign;
    }
    a = spawn_exit(1, 0);
    b = spawn_exit(2, 30);
    long long t0 = kt_now_ms();
    CHECK_ERR(kt_waitpid(-1, &st, 0), ECHILD, "SA_NOCLDWAIT: wait returns ECHILD after the children exit");
    kt_check(kt_now_ms() - t0 >= 20, "SA_NOCLDWAIT: wait blocked until the last child exited",
             "returned after %lld ms", kt_now_ms() - t0);
    CHECK_ERR(kill(a, 0), ESRCH, "SA_NOCLDWAIT: first child left no zombie");
    CHECK_ERR(kill(b, 0), ESRCH, "SA_NOCLDWAIT: second child left no zombie");

sig_ign:
    CHECK(signal(SIGCHLD, SIG_IGN) != SIG_ERR, "SIGCHLD = SIG_IGN");
    a = spawn_exit(3, 0);
    b = spawn_exit(4, 20);
    siginfo_t si;
    CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "SIG_IGN: waitid returns ECHILD once the children are gone");
    CHECK_ERR(kill(a, 0), ESRCH, "SIG_IGN: no zombie left");
    CHECK_ERR(kill(b, 0), ESRCH, "SIG_IGN: second child left no zombie");
    signal(SIGCHLD, SIG_DFL);

    /* with SIG_DFL again, zombies are back */
    a = spawn_exit(5, 0);
    kt_msleep(20);
    CHECK_EQ(kill(a, 0), 0, "SIG_DFL again: an exited child is a zombie (kill 0 succeeds)");
    kt_check_exit(a, 5, "and can be reaped");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    basics();
    signal_deaths();
    stop_continue();
    waitid_kinds();
    auto_reap();
    return kt_done();
}
