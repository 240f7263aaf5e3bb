/* fexecpath.c - execveat(fd, "", ..., AT_EMPTY_PATH) runs the file fd names,
 * also when fd is an O_PATH descriptor (as glibc's fexecve and LTP execveat01
 * use it). qemu-user cannot execve a riscv64 file itself (no binfmt_misc):
 * skipped there, checked natively. */
#include "ktest.h"
#include <sys/syscall.h>

static int run(int fd, const char *desc)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)"fexecpath", (char *)"child", NULL};
        syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
        _exit(100 + errno);
    }
    int st = 0;
    kt_waitpid(pid, &st, 0);
    return kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, desc, "status %#x", st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return 42;
    kt_init(argc, argv);
    kt_set_self(argv[0]);
    if (kt_qemu()) {
        kt_skip("fexecpath", "qemu-user cannot execve a riscv64 file directly (checked natively)");
        return kt_done();
    }
    int fd = open(kt_self, O_RDONLY | O_CLOEXEC);
    run(fd, "execveat(AT_EMPTY_PATH) on an O_RDONLY fd runs the file");
    close(fd);
    fd = open(kt_self, O_PATH | O_CLOEXEC);
    run(fd, "execveat(AT_EMPTY_PATH) on an O_PATH fd runs the file");
    close(fd);
    return kt_done();
}
