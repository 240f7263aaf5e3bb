/* cwd.c - getcwd, chdir, fchdir. */
#include "ktest.h"

static long raw_getcwd(char *buf, long size)
{
    return syscall(SYS_getcwd, buf, size);
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int main(void)
{
    char start[1024], buf[1024];
    kt_mktemp("cwd");

    long n = raw_getcwd(start, sizeof start);
    CHECK(n > 1, "raw getcwd succeeds");
    CHECK_EQ(n, (long)strlen(start) + 1, "raw getcwd returns the length including the NUL");
    CHECK_EQ(start[0], '/', "getcwd is an absolute path");
    CHECK(same_file(start, "."), "getcwd names the current directory");
    CHECK(getcwd(buf, sizeof buf) != NULL && strcmp(buf, start) == 0, "libc getcwd agrees");
    CHECK_ERR(raw_getcwd(buf, 1), ERANGE, "getcwd with a 1-byte buffer is ERANGE");
    CHECK_ERR(raw_getcwd(buf, n - 1), ERANGE, "getcwd with a buffer one byte short is ERANGE");
    CHECK_EQ(raw_getcwd(buf, n), n, "getcwd with an exact-size buffer succeeds");
    CHECK_ERR(raw_getcwd(buf, 0), ERANGE, "getcwd with size 0 is ERANGE");
    CHECK_ERR(raw_getcwd(KT_BAD_PTR, sizeof buf), EFAULT, "getcwd into a bad pointer is EFAULT");
    /* size is a size_t: (size_t)-1 is large enough, so the NULL buffer faults */
    CHECK_ERR(raw_getcwd(NULL, -1), EFAULT, "getcwd(NULL, (size_t)-1) is EFAULT, not ERANGE");
    char *dyn = getcwd(NULL, 0);
    CHECK(dyn != NULL && strcmp(dyn, start) == 0, "getcwd(NULL, 0) allocates");
    free(dyn);

    /* chdir into the temp dir */
    char want[2048];
    snprintf(want, sizeof want, "%s/%s", start, kt_tmpdir);
    CHECK_EQ(chdir(kt_tmpdir), 0, "chdir to a relative path");
    CHECK(getcwd(buf, sizeof buf) != NULL, "getcwd after chdir");
    CHECK_STR(buf, want, "getcwd reflects the chdir");
    int fd = open("here", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "relative open uses the new cwd");
    close(fd);
    char p[2200];
    snprintf(p, sizeof p, "%s/here", want);
    CHECK_EQ(access(p, F_OK), 0, "file was created in the new cwd");
    CHECK_EQ(mkdir("sub", 0755), 0, "mkdir sub");
    CHECK_EQ(chdir("sub/../sub/."), 0, "chdir through .. and .");
    getcwd(buf, sizeof buf);
    snprintf(p, sizeof p, "%s/sub", want);
    CHECK_STR(buf, p, "getcwd is normalised");
    CHECK_EQ(chdir(".."), 0, "chdir ..");
    getcwd(buf, sizeof buf);
    CHECK_STR(buf, want, "chdir .. goes up one level");

    /* errors */
    CHECK_ERR(chdir("missing"), ENOENT, "chdir to a missing directory is ENOENT");
    CHECK_ERR(chdir("here"), ENOTDIR, "chdir to a regular file is ENOTDIR");
    CHECK_ERR(chdir("here/x"), ENOTDIR, "chdir through a regular file is ENOTDIR");
    CHECK_ERR(chdir(""), ENOENT, "chdir to the empty path is ENOENT");
    CHECK_ERR(syscall(SYS_chdir, KT_BAD_PTR), EFAULT, "chdir with a bad pointer is EFAULT");
    getcwd(buf, sizeof buf);
    CHECK_STR(buf, want, "failed chdir calls leave the cwd alone");

    /* fchdir */
    int root = open("/", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fchdir(root), 0, "fchdir to /");
    getcwd(buf, sizeof buf);
    CHECK_STR(buf, "/", "getcwd after fchdir(/) is /");
    close(root);
    CHECK_EQ(chdir(want), 0, "chdir to an absolute path");
    getcwd(buf, sizeof buf);
    CHECK_STR(buf, want, "getcwd after absolute chdir");
    int filefd = open("here", O_RDONLY);
    CHECK_ERR(fchdir(filefd), ENOTDIR, "fchdir to a regular file is ENOTDIR");
    close(filefd);
    CHECK_ERR(fchdir(9999), EBADF, "fchdir to a bad fd is EBADF");
    /* fchdir needs search permission on the directory now, as chdir does */
    if (getuid() == 0) {
        CHECK_EQ(mkdir("nosearch", 0700), 0, "mkdir a directory only root may search");
        int nfd = open("nosearch", O_RDONLY | O_DIRECTORY);
        pid_t pid = fork();
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(100);
            _exit(fchdir(nfd) == 0 ? 0 : errno);
        }
        int st = -1;
        waitpid(pid, &st, 0);
        kt_check(WIFEXITED(st) && WEXITSTATUS(st) == EACCES, "fchdir to a directory without search permission is EACCES",
                 "child status 0x%x (exit %d)", st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        close(nfd);
    } else {
        kt_skip("fchdir to a directory without search permission is EACCES", "needs root to drop to another user");
    }
    int startfd = open(start, O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fchdir(startfd), 0, "fchdir back to the start directory");
    close(startfd);
    getcwd(buf, sizeof buf);
    CHECK_STR(buf, start, "back in the start directory");

    kt_cleanup();
    return kt_done();
}
