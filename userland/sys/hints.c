/* hints.c - process attributes and memory/I/O hints: getcpu, personality,
 * ioprio_get/set, posix_fadvise, readahead, sync_file_range, mlock/munlock
 * (with VmLck), mlock2, mlockall (Ghost only: qemu-user would lock all of
 * qemu), unshare of the fd table and fs context. */
#include "ktest.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define IOPRIO_PRIO_VALUE(c, d) (((c) << 13) | (d))

static long vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int main(void)
{
    unsigned cpu = 99, node = 99;
    CHECK_OK(syscall(SYS_getcpu, &cpu, &node, NULL), "getcpu");
    if (!kt_qemu())
        CHECK(cpu == 0 && node == 0, "Ghost runs on cpu 0, node 0");
    CHECK_OK(syscall(SYS_getcpu, NULL, NULL, NULL), "getcpu with NULL pointers");

    int p = personality(0xffffffff);
    CHECK_EQ(p & PER_MASK, PER_LINUX, "the personality is PER_LINUX");
    CHECK_EQ(personality(PER_LINUX | ADDR_NO_RANDOMIZE), p, "personality returns the old value");
    CHECK_EQ(personality(0xffffffff), PER_LINUX | ADDR_NO_RANDOMIZE, "and keeps the new flags");
    pid_t c = fork();
    if (c == 0)
        _exit(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child inherits it");
    personality(p);

    /* I/O priorities */
    long io = syscall(SYS_ioprio_get, 1, 0);
    CHECK_EQ(io, 0, "ioprio_get of a task that set none: IOPRIO_CLASS_NONE");
    CHECK_OK(syscall(SYS_ioprio_set, 1, 0, IOPRIO_PRIO_VALUE(2, 7)), "ioprio_set best-effort 7");
    CHECK_EQ(syscall(SYS_ioprio_get, 1, 0), IOPRIO_PRIO_VALUE(2, 7), "ioprio_get reads it back");
    CHECK_ERR(syscall(SYS_ioprio_set, 1, 0, IOPRIO_PRIO_VALUE(0, 1)), EINVAL, "class NONE with a level is EINVAL");
    CHECK_ERR(syscall(SYS_ioprio_set, 1, 0, IOPRIO_PRIO_VALUE(4, 0)), EINVAL, "class 4 is EINVAL");
    CHECK_ERR(syscall(SYS_ioprio_set, 9, 0, IOPRIO_PRIO_VALUE(2, 0)), EINVAL, "an unknown 'which' is EINVAL");
    CHECK_ERR(syscall(SYS_ioprio_get, 1, 999999), ESRCH, "no such process is ESRCH");
    CHECK_OK(syscall(SYS_ioprio_set, 1, 0, IOPRIO_PRIO_VALUE(3, 0)), "the idle class");
    CHECK_EQ(syscall(SYS_ioprio_get, 1, 0), IOPRIO_PRIO_VALUE(3, 0), "reads back");

    /* page-cache hints */
    const char *path = kt_mktemp("hints");
    char fpath[600];
    snprintf(fpath, sizeof fpath, "%s/f", path);
    int fd = open(fpath, O_RDWR | O_CREAT, 0600);
    CHECK(write(fd, "0123456789", 10) == 10, "write a file");
    CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0, "posix_fadvise SEQUENTIAL");
    CHECK_EQ(posix_fadvise(fd, 0, 10, POSIX_FADV_DONTNEED), 0, "posix_fadvise DONTNEED");
    CHECK_EQ(posix_fadvise(fd, 0, 0, 99), EINVAL, "an unknown advice is EINVAL");
    CHECK_EQ(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL), EINVAL, "a negative length is EINVAL");
    int pp[2];
    pipe(pp);
    CHECK_EQ(posix_fadvise(pp[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE, "on a pipe: ESPIPE");
    CHECK_OK(readahead(fd, 0, 4096), "readahead of a file");
    CHECK_ERR(readahead(pp[0], 0, 4096), EINVAL, "readahead of a pipe is EINVAL");
    CHECK_OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER), "sync_file_range");
    CHECK_ERR(sync_file_range(fd, 0, 0, 8), EINVAL, "sync_file_range with an unknown flag is EINVAL");
    CHECK_ERR(sync_file_range(fd, -1, 0, 0), EINVAL, "a negative offset is EINVAL");
    CHECK_ERR(sync_file_range(pp[0], 0, 0, 0), ESPIPE, "on a pipe: ESPIPE");
    close(pp[0]);
    close(pp[1]);

    /* mlock */
    long before = vmlck_kb();
    char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_OK(mlock(m + 100, 3 * 4096), "mlock of part of a mapping (unaligned start)");
    CHECK_EQ(vmlck_kb() - before, 16, "VmLck counts the 4 pages it touches");
    unsigned char vec[8];
    mincore(m, 8 * 4096, vec);
    CHECK((vec[0] & 1) && (vec[3] & 1) && !(vec[5] & 1), "the locked pages are resident, the others not yet");
    CHECK_OK(munlock(m, 8 * 4096), "munlock");
    CHECK_EQ(vmlck_kb(), before, "VmLck back");
    if (!kt_qemu()) { /* qemu-user 7.2 has no mlock2 */
        CHECK_OK(syscall(SYS_mlock2, m, 4096, 1 /* MLOCK_ONFAULT */), "mlock2 MLOCK_ONFAULT");
        CHECK_ERR(syscall(SYS_mlock2, m, 4096, 2), EINVAL, "mlock2 with an unknown flag is EINVAL");
        munlock(m, 4096);
    }
    munmap(m + 4 * 4096, 4096);
    CHECK_ERR(mlock(m, 8 * 4096), ENOMEM, "mlock over a hole is ENOMEM");
    CHECK_ERR(mlockall(0), EINVAL, "mlockall(0) is EINVAL");
    CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT) alone is EINVAL");
    c = fork();
    if (c == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_MEMLOCK, &rl);
        /* root keeps CAP_IPC_LOCK: drop to nobody first */
        if (setuid(65534) != 0)
            _exit(2);
        _exit(mlock(m, 4096) == -1 && errno == EPERM ? 0 : 1);
    }
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK: mlock is EPERM");
    if (!kt_qemu()) {
        c = fork();
        if (c == 0) {
            if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
                _exit(1);
            long all = vmlck_kb();
            void *n = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            long more = vmlck_kb();
            munlockall();
            _exit(all > 0 && n != MAP_FAILED && more == all + 4 && vmlck_kb() == 0 ? 0 : 3);
        }
        waitpid(c, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mlockall(CURRENT|FUTURE) locks everything and new maps; munlockall undoes it");
    }

    /* unshare */
    CHECK_OK(unshare(0), "unshare(0)");
    CHECK_ERR(unshare(0x80000000 /* CLONE_IO */), EINVAL, "unshare of CLONE_IO is EINVAL");
    c = fork();
    if (c == 0) {
        int ok = 1;
        c = syscall(SYS_clone, CLONE_FILES | CLONE_FS | SIGCHLD, NULL, NULL, NULL, NULL);
        if (c == 0) {
            /* sharing the table and cwd with the parent: make them private, then change them */
            if (unshare(CLONE_FILES | CLONE_FS) != 0)
                _exit(1);
            close(fd);
            if (chdir("/") != 0)
                _exit(2);
            _exit(0);
        }
        int s2;
        waitpid(c, &s2, 0);
        char cwd[256];
        ok = WIFEXITED(s2) && WEXITSTATUS(s2) == 0 && fcntl(fd, F_GETFD) >= 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") != 0;
        _exit(ok ? 0 : 1);
    }
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "after unshare(CLONE_FILES|CLONE_FS) a close and a chdir stay in the child");
    close(fd);
    kt_cleanup();
    return kt_done();
}
