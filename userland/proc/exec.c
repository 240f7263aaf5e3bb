/* exec.c - vfork + execve, execve of #! scripts, close-on-exec, signal
 * dispositions/mask across exec, exec from a thread, and execve errors.
 *
 * The program re-executes itself with a mode word in argv[1]. Under
 * qemu-user (GHOST_TEST_QEMU=1) a riscv64 program cannot execve another
 * riscv64 program directly (no binfmt_misc), so kt_exec() goes through the
 * host's qemu-riscv64 instead; #! scripts cannot be tested there. */
#include "ktest.h"
#include <pthread.h>

extern char **environ;

/* ---------------- modes run in the re-executed image ---------------- */

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int mode_main(int argc, char **argv)
{
    const char *mode = argv[1];
    if (strcmp(mode, "exit") == 0)
        return atoi(argv[2]);
    if (strcmp(mode, "fds") == 0) { /* exit code: bit i set if argv[2+i] is an open fd */
        int bits = 0;
        for (int i = 2; i < argc; i++)
            if (fd_open(atoi(argv[i])))
                bits |= 1 << (i - 2);
        return bits;
    }
    if (strcmp(mode, "sigs") == 0) { /* exit code: bit set for each wrong property */
        int bad = 0;
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        if (sa.sa_handler != SIG_DFL)
            bad |= 1; /* handled -> default */
        sigaction(SIGUSR2, NULL, &sa);
        if (sa.sa_handler != SIG_IGN)
            bad |= 2; /* ignored stays ignored */
        sigset_t m;
        sigprocmask(SIG_BLOCK, NULL, &m);
        if (!sigismember(&m, SIGINT))
            bad |= 4; /* the blocked mask is kept */
        if (sigismember(&m, SIGUSR1))
            bad |= 8;
        stack_t ss;
        if (sigaltstack(NULL, &ss) != 0 || !(ss.ss_flags & SS_DISABLE))
            bad |= 16; /* the alternate stack is gone */
        sigset_t p;
        sigpending(&p);
        if (!sigismember(&p, SIGINT))
            bad |= 32; /* pending signals are kept */
        return bad;
    }
    if (strcmp(mode, "ids") == 0) { /* write pid, ppid, tid to fd argv[2] */
        int fd = atoi(argv[2]);
        pid_t v[3] = {getpid(), getppid(), gettid()};
        write(fd, v, sizeof v);
        return 0;
    }
    if (strcmp(mode, "args") == 0) { /* argv[2..] must be "a", "", "b c"; env must have KT_EXEC_VAR=v */
        if (argc != 5)
            return 1;
        if (strcmp(argv[2], "a") || strcmp(argv[3], "") || strcmp(argv[4], "b c"))
            return 2;
        const char *v = getenv("KT_EXEC_VAR");
        if (!v || strcmp(v, "v=1"))
            return 3;
        if (getenv("KT_EXEC_DROPPED"))
            return 4;
        return 0;
    }
    if (strcmp(mode, "shebang-arg") == 0) { /* via "#!<self> shebang-arg": argv = self, arg, script, extra */
        if (argc != 4)
            return 10 + argc;
        if (strcmp(argv[3], "extra") != 0)
            return 2;
        if (strstr(argv[2], "script2") == NULL)
            return 3;
        return 0;
    }
    return 99;
}

/* ---------------- the tests ---------------- */

static void vfork_exec(void)
{
    char *bargv[] = {(char *)"true", NULL};
    static volatile int vflag;
    vflag = 0;
    long long t0 = kt_now_ms();
    pid_t c = vfork();
    if (c == 0) {
        vflag = 1; /* shared with the parent until exec (real vfork) */
        kt_msleep(30);
        kt_exec(kt_busybox(), bargv, environ);
        _exit(127);
    }
    long long dt = kt_now_ms() - t0;
    CHECK(c > 0, "vfork");
    if (kt_qemu()) {
        kt_skip("vfork shares memory with the parent until exec", "qemu-user implements vfork as fork");
        kt_skip("vfork suspends the parent until the child execs", "qemu-user implements vfork as fork");
    } else {
        CHECK_EQ(vflag, 1, "vfork shares memory with the parent until exec");
        kt_check(dt >= 25, "vfork suspends the parent until the child execs", "parent resumed after %lld ms", dt);
    }
    kt_check_exit(c, 0, "vfork + execve(/bin/busybox true) exits 0");

    char *fargv[] = {(char *)"false", NULL};
    c = vfork();
    if (c == 0) {
        kt_exec(kt_busybox(), fargv, environ);
        _exit(127);
    }
    kt_check_exit(c, 1, "vfork + execve(/bin/busybox false) exits 1");

    /* vfork + exec of ourselves, with arguments and environment */
    char *sargv[] = {kt_self, (char *)"args", (char *)"a", (char *)"", (char *)"b c", NULL};
    char *senv[] = {(char *)"KT_EXEC_VAR=v=1", (char *)(kt_qemu() ? "GHOST_TEST_QEMU=1" : "X=1"), NULL};
    c = vfork();
    if (c == 0) {
        kt_exec(kt_self, sargv, senv);
        _exit(127);
    }
    kt_check_exit(c, 0, "vfork + execve of itself sees exactly the new argv and envp");

    /* vfork child that fails to exec */
    c = vfork();
    if (c == 0) {
        execve("/nonexistent/prog", bargv, environ);
        _exit(errno == ENOENT ? 66 : 67);
    }
    kt_check_exit(c, 66, "vfork child: execve of a missing path fails with ENOENT and _exits");

    /* exec keeps the pid and the parent */
    int p[2];
    pipe(p);
    char fdstr[16];
    snprintf(fdstr, sizeof fdstr, "%d", p[1]);
    char *iargv[] = {kt_self, (char *)"ids", fdstr, NULL};
    c = fork();
    if (c == 0) {
        kt_exec(kt_self, iargv, environ);
        _exit(127);
    }
    close(p[1]);
    pid_t v[3] = {0, 0, 0};
    kt_read_full(p[0], v, sizeof v);
    close(p[0]);
    CHECK_EQ(v[0], c, "execve keeps the pid");
    CHECK_EQ(v[1], getpid(), "execve keeps the parent");
    CHECK_EQ(v[2], c, "after execve tid == pid");
    kt_check_exit(c, 0, "ids child exits 0");
}

static const char *exec_thread_path;
static void *exec_thread(void *arg)
{
    char **a = arg;
    kt_exec(exec_thread_path, a, environ);
    return NULL;
}

static void exec_from_thread(void)
{
    int p[2];
    pipe(p);
    char fdstr[16];
    snprintf(fdstr, sizeof fdstr, "%d", p[1]);
    static char *iargv[4];
    iargv[0] = kt_self;
    iargv[1] = (char *)"ids";
    iargv[2] = fdstr;
    iargv[3] = NULL;
    exec_thread_path = kt_self;
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exec_thread, iargv);
        for (;;)
            pause(); /* the main thread is killed by the other thread's exec */
    }
    close(p[1]);
    pid_t v[3] = {0, 0, 0};
    kt_read_full(p[0], v, sizeof v);
    close(p[0]);
    CHECK_EQ(v[0], c, "execve from a non-main thread: the new image has the process's pid");
    CHECK_EQ(v[2], c, "execve from a non-main thread: the exec'ing thread takes the pid as its tid");
    kt_check_exit(c, 0, "exec from a thread: the process exits 0 (other threads gone)");
}

static void cloexec(void)
{
    int a = open("/dev/null", O_RDONLY);
    int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int c = open("/dev/null", O_RDONLY);
    fcntl(c, F_SETFD, FD_CLOEXEC);
    int d = dup(b); /* dup clears close-on-exec */
    int e = fcntl(a, F_DUPFD_CLOEXEC, 20);
    int pp[2];
    pipe2(pp, O_CLOEXEC);
    CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC, "O_CLOEXEC sets FD_CLOEXEC");
    CHECK_EQ(fcntl(d, F_GETFD), 0, "dup clears FD_CLOEXEC");
    char s[7][16];
    int fds[7] = {a, b, c, d, e, pp[0], pp[1]};
    char *argv[10];
    argv[0] = kt_self;
    argv[1] = (char *)"fds";
    for (int i = 0; i < 7; i++) {
        snprintf(s[i], sizeof s[i], "%d", fds[i]);
        argv[2 + i] = s[i];
    }
    argv[9] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        kt_exec(kt_self, argv, environ);
        _exit(255);
    }
    int st;
    kt_waitpid(pid, &st, 0);
    int bits = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    kt_check(bits == ((1 << 0) | (1 << 3)), "after execve only the fds without FD_CLOEXEC are open",
             "open-fd bitmask %#x (plain, O_CLOEXEC, F_SETFD, dup, F_DUPFD_CLOEXEC, pipe2 r, pipe2 w) want 0x9",
             bits);
    close(a);
    close(b);
    close(c);
    close(d);
    close(e);
    close(pp[0]);
    close(pp[1]);
}

static void on_usr1(int s)
{
    (void)s;
}

static void signals_across_exec(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGUSR1, on_usr1);
        signal(SIGUSR2, SIG_IGN);
        static char alt[65536];
        stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGINT);
        sigprocmask(SIG_BLOCK, &m, NULL);
        raise(SIGINT); /* stays pending */
        char *argv[] = {kt_self, (char *)"sigs", NULL};
        kt_exec(kt_self, argv, environ);
        _exit(255);
    }
    int st;
    kt_waitpid(pid, &st, 0);
    int bad = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (kt_qemu() && bad == 32) {
        kt_pass("signal state across execve (handled->SIG_DFL, SIG_IGN kept, mask kept, altstack reset)");
        kt_skip("pending signals survive execve", "qemu-user keeps pending signals in its own memory");
        return;
    }
    kt_check(bad == 0, "signal state across execve (handled->SIG_DFL, SIG_IGN kept, mask kept, altstack reset)",
             "wrong-property bits %#x (1 handler kept, 2 SIG_IGN lost, 4 mask lost, 8 extra blocked, 16 altstack "
             "kept, 32 pending lost) [%s]",
             bad, kt_wstr(st));
    kt_check(bad >= 0 && !(bad & 32), "pending signals survive execve", "bits %#x", bad);
}

static int write_file(const char *path, const char *data, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, data, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

static void scripts_and_errors(void)
{
    kt_mktemp("exec");
    char *argv[] = {(char *)"x", NULL};

    /* errors (these fail inside the kernel before any interpreter is involved) */
    static const char garbage[] = "\x01\x02\x03garbage that is not an executable\n";
    write_file(kt_path("garbage"), garbage, sizeof garbage - 1, 0755);
    CHECK_ERR(execve(kt_path("garbage"), argv, environ), ENOEXEC, "execve of a garbage file with exec permission is ENOEXEC");
    write_file(kt_path("noexec"), "#!/bin/busybox sh\nexit 0\n", 25, 0644);
    CHECK_ERR(execve(kt_path("noexec"), argv, environ), EACCES, "execve of a file without exec permission is EACCES");
    CHECK_ERR(execve(kt_path("missing"), argv, environ), ENOENT, "execve of a missing file is ENOENT");
    CHECK_ERR(execve(kt_tmpdir, argv, environ), EACCES, "execve of a directory is EACCES");
    CHECK_ERR(execve(kt_path("garbage/x"), argv, environ), ENOTDIR, "execve through a non-directory is ENOTDIR");
    CHECK_ERR(execve("", argv, environ), ENOENT, "execve of an empty path is ENOENT");
    write_file(kt_path("tiny"), "\x7f" "ELF", 4, 0755);
    CHECK_ERR(execve(kt_path("tiny"), argv, environ), ENOEXEC, "execve of a truncated ELF header is ENOEXEC");
    write_file(kt_path("badinterp"), "#!/nonexistent/interp\n", 22, 0755);
    CHECK_ERR(execve(kt_path("badinterp"), argv, environ), ENOENT, "execve of a script whose interpreter is missing is ENOENT");

    if (kt_qemu()) {
        kt_skip("execve of #! scripts", "qemu-user cannot run a riscv64 #! interpreter through the host kernel");
        kt_cleanup();
        return;
    }
    /* #!/bin/busybox sh */
    const char *s1 = "#!/bin/busybox sh\n[ \"$1\" = one ] || exit 3\n[ \"$#\" = 2 ] || exit 4\nexit 7\n";
    write_file(kt_path("script1"), s1, strlen(s1), 0755);
    pid_t c = fork();
    if (c == 0) {
        char *a[] = {(char *)"script1", (char *)"one", (char *)"two", NULL};
        execve(kt_path("script1"), a, environ);
        _exit(127);
    }
    kt_check_exit(c, 7, "execve of a #!/bin/busybox sh script runs it with its arguments");

    /* #!<self> shebang-arg */
    char s2[PATH_MAX + 64];
    int n = snprintf(s2, sizeof s2, "#!%s shebang-arg\nthis line is not read\n", kt_self);
    write_file(kt_path("script2"), s2, (size_t)n, 0755);
    c = fork();
    if (c == 0) {
        char *a[] = {(char *)"script2", (char *)"extra", NULL};
        execve(kt_path("script2"), a, environ);
        _exit(127);
    }
    kt_check_exit(c, 0, "#!<interpreter> <arg>: interpreter gets argv = interp, arg, script path, extra args");

    /* blanks around the interpreter and its argument are dropped */
    n = snprintf(s2, sizeof s2, "#!  /bin/busybox \t sh  \nexit 9\n");
    write_file(kt_path("script3"), s2, (size_t)n, 0755);
    c = fork();
    if (c == 0) {
        char *a[] = {(char *)"script3", NULL};
        execve(kt_path("script3"), a, environ);
        _exit(127);
    }
    kt_check_exit(c, 9, "#!  /bin/busybox <tab> sh  : blanks around interpreter and argument are dropped");
    kt_cleanup();
}

/* An entry point of its own for a patched copy of this program: exit(42)
 * at once, before libc starts. */
__asm__(".text\n.globl exec_alt_entry\nexec_alt_entry:\n\tli a0, 42\n\tli a7, 93\n\tecall\n");
extern void exec_alt_entry(void);

/* Runs path with argv {path, "exit", "5"} and returns its exit status, or -1. */
static int run_copy(const char *path)
{
    pid_t c = fork();
    if (c == 0) {
        char *a[] = {(char *)path, (char *)"exit", (char *)"5", NULL};
        kt_exec(path, a, environ);
        _exit(127);
    }
    int st;
    if (kt_waitpid(c, &st, 0) != c || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* A program changed between two execs runs as it is now: rewritten in place
 * (same inode, another entry point in its ELF header), unlinked and made
 * anew, made non-executable after it ran (exec reads the file's head and
 * maps its text through the page cache: nothing of the old file may stay). */
static void changed_between_execs(void)
{
    kt_mktemp("execchg");
    int fd = open(kt_self, O_RDONLY);
    struct stat st;
    CHECK_OK(fd >= 0 && fstat(fd, &st) == 0 ? 0 : -1, "open and stat this program");
    char *img = malloc((size_t)st.st_size), *alt = malloc((size_t)st.st_size);
    CHECK(img && alt && read(fd, img, (size_t)st.st_size) == st.st_size, "read this program");
    close(fd);
    memcpy(alt, img, (size_t)st.st_size);
    uint64_t entry = (uint64_t)(uintptr_t)exec_alt_entry;
    memcpy(alt + 24, &entry, 8); /* e_entry (a static, non-PIE program: its address is the link address) */
    const char *p = kt_path("prog");
    CHECK_OK(write_file(p, img, (size_t)st.st_size, 0755), "copy this program");
    CHECK_EQ(run_copy(p), 5, "the copy runs");
    ino_t ino = (stat(p, &st), st.st_ino);
    fd = open(p, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, alt, (size_t)st.st_size) == st.st_size && close(fd) == 0, "rewrite it in place with another entry point");
    CHECK(stat(p, &st) == 0 && st.st_ino == ino, "the same inode");
    CHECK_EQ(run_copy(p), 42, "execve runs the rewritten program (its new entry point)");
    CHECK_OK(unlink(p), "unlink it");
    CHECK_OK(write_file(p, img, (size_t)st.st_size, 0755), "and make it anew with the first contents");
    CHECK_EQ(run_copy(p), 5, "execve runs the new file");
    CHECK_OK(chmod(p, 0644), "chmod 0644");
    char *a[] = {(char *)p, NULL};
    CHECK_ERR(execve(p, a, environ), EACCES, "execve of the program made non-executable after it ran is EACCES");
    free(img);
    free(alt);
    kt_cleanup();
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "test") != 0)
        return mode_main(argc, argv);
    kt_init(argc, argv);
    kt_watchdog(60);
    vfork_exec();
    exec_from_thread();
    cloexec();
    signals_across_exec();
    scripts_and_errors();
    changed_between_execs();
    return kt_done();
}
