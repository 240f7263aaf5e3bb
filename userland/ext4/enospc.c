/*
 * enospc DIR - a full ext4 filesystem mounted at DIR, as Linux's ext4
 * answers it: a write that fills the disk is short, the next is ENOSPC;
 * the blocks of a file just removed can be written again at once (ext4
 * commits the journal to reuse them: ext4_should_retry_alloc), not only
 * after the 5 s commit; an unprivileged user stops short of the blocks
 * mke2fs reserved for root. DIR must be the root of a small, otherwise empty
 * ext4 filesystem.
 */
#include "ktest.h"
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <linux/falloc.h>

static const char *dir;

/* Writes 64 KiB pieces to path until the disk is full; the bytes written,
 * and in *err the errno that stopped it. */
static long long fill(const char *name, int *err)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    static char buf[65536];
    memset(buf, 'z', sizeof buf);
    long long total = 0;
    *err = 0;
    for (;;) {
        ssize_t w = write(fd, buf, sizeof buf);
        if (w < 0) {
            *err = errno;
            break;
        }
        total += w;
    }
    close(fd);
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        kt_printf("usage: enospc DIR\n");
        return 2;
    }
    dir = argv[1];
    char p[512];

    /* An unprivileged user fills the disk first: root's reserve stays. */
    CHECK_OK(chmod(dir, 0777), "the directory open to all");
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(3);
        int err;
        long long n = fill("user", &err);
        _exit(n > 0 && err == ENOSPC ? 0 : 4);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "the user's writer ran");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the user's writes stop with ENOSPC");
    struct statvfs sv;
    statvfs(dir, &sv);
    CHECK(sv.f_bfree > 0, "blocks are left for root");
    int err;
    long long rootGot = fill("root", &err);
    CHECK(rootGot > 0, "root writes into the reserve");
    CHECK_EQ(err, ENOSPC, "root's writes end with ENOSPC");
    snprintf(p, sizeof p, "%s/user", dir);
    struct stat sb;
    stat(p, &sb);
    long long userGot = sb.st_size;

    /* The disk is full: a new file gets nothing, fallocate neither. */
    snprintf(p, sizeof p, "%s/more", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_ERR(write(fd, "x", 1), ENOSPC, "a write on the full disk is ENOSPC");
    CHECK_ERR(fallocate(fd, 0, 0, 1 << 20), ENOSPC, "fallocate on the full disk is ENOSPC");
    close(fd);

    /* Remove the big file and write as much again at once. */
    snprintf(p, sizeof p, "%s/user", dir);
    CHECK_OK(unlink(p), "the user's file removed");
    int fd2;
    snprintf(p, sizeof p, "%s/again", dir);
    fd2 = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static char buf[65536];
    memset(buf, 'a', sizeof buf);
    long long again = 0;
    int againErr = 0;
    while (again < userGot) {
        ssize_t w = write(fd2, buf, sizeof buf);
        if (w < 0) {
            againErr = errno;
            break;
        }
        again += w;
    }
    close(fd2);
    kt_printf("# user wrote %lld, root %lld, again %lld\n", userGot, rootGot, again);
    CHECK_EQ(againErr, 0, "the freed blocks are written again at once (no ENOSPC)");
    CHECK(again >= userGot, "as much as the removed file held");

    /* And fallocate reuses freed blocks at once too. */
    snprintf(p, sizeof p, "%s/again", dir);
    CHECK_OK(truncate(p, 0), "that file truncated to 0");
    snprintf(p, sizeof p, "%s/prealloc", dir);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_OK(fallocate(fd, 0, 0, userGot / 2), "fallocate of half of it at once");
    close(fd);
    return kt_done();
}
