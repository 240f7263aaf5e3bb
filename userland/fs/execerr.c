/* execerr.c - execveat's errors, in do_open_execat's order (LTP execveat02):
 * a flag other than AT_SYMLINK_NOFOLLOW/AT_EMPTY_PATH is EINVAL, a symlink
 * named with AT_SYMLINK_NOFOLLOW is ELOOP (may_open), a relative path with a
 * non-directory fd is ENOTDIR, AT_EMPTY_PATH on a bad fd is EBADF. Each call
 * runs in a child that exits with the errno, so an exec that wrongly
 * succeeds cannot replace the test. qemu-user 7.2 has no execveat (ENOSYS):
 * skipped there, the runner runs this natively. */
#include "ktest.h"
#include <sys/syscall.h>

static int try_exec(int fd, const char *path, int flags)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)"execerr", (char *)"child", NULL};
        syscall(SYS_execveat, fd, path, argv, environ, flags);
        _exit(errno);
    }
    int st = 0;
    kt_waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + st;
}

static void expect(int fd, const char *path, int flags, int err, const char *desc)
{
    int got = try_exec(fd, path, flags);
    kt_check(got == err, desc, "errno %d (%s), want %d (%s)", got, strerror(got), err, strerror(err));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return 0;
    kt_init(argc, argv);
    if (kt_qemu()) {
        kt_skip("execveat", "qemu-user 7.2 has no execveat; the runner runs this natively");
        return kt_done();
    }
    kt_mktemp("execerr");
    char prog[600], link[600], dangling[600];
    snprintf(prog, sizeof prog, "%s", kt_path("prog"));
    snprintf(link, sizeof link, "%s", kt_path("link"));
    snprintf(dangling, sizeof dangling, "%s", kt_path("dangling"));
    int fd = open(prog, O_CREAT | O_WRONLY, 0755);
    CHECK_OK(write(fd, "#!/bin/true\n", 12), "write a script");
    close(fd);
    CHECK_OK(symlink("prog", link), "symlink to the script");
    CHECK_OK(symlink("nowhere/prog", dangling), "dangling symlink");

    expect(AT_FDCWD, prog, -1, EINVAL, "execveat(flags -1) is EINVAL");
    expect(AT_FDCWD, prog, AT_REMOVEDIR, EINVAL, "execveat(AT_REMOVEDIR) is EINVAL");
    expect(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, ELOOP, "execveat(symlink, AT_SYMLINK_NOFOLLOW) is ELOOP");
    expect(AT_FDCWD, dangling, AT_SYMLINK_NOFOLLOW, ELOOP,
           "execveat(dangling symlink, AT_SYMLINK_NOFOLLOW) is ELOOP");
    expect(AT_FDCWD, dangling, 0, ENOENT, "execveat(dangling symlink) is ENOENT");
    int pfd = open(prog, O_PATH);
    expect(pfd, "prog", 0, ENOTDIR, "execveat(file fd, relative path) is ENOTDIR");
    close(pfd);
    expect(-1, "", AT_EMPTY_PATH, EBADF, "execveat(-1, \"\", AT_EMPTY_PATH) is EBADF");
    kt_cleanup();
    return kt_done();
}
