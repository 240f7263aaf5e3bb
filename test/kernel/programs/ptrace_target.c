/*
 * What test/kernel/ptrace.test.ts runs under strace (Debian's riscv64 strace
 * inside Ghost, the host's strace natively): a few syscalls whose arguments
 * and results strace decodes, a signal, and a forked child.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(void)
{
    signal(SIGUSR1, on_usr1);
    static const char hello[] = "hello from the tracee\n";
    if (write(1, hello, sizeof hello - 1) != sizeof hello - 1)
        return 1;
    if (open("/nonexistent/ptrace-target", O_RDONLY) != -1)
        return 2;
    kill(getpid(), SIGUSR1);
    pid_t c = fork();
    if (c == 0) {
        if (write(1, "child\n", 6) != 6)
            _exit(1);
        _exit(7);
    }
    int st;
    if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
        return 3;
    return 0;
}
