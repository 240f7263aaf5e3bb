/* prlimit.c - prlimit64, getrlimit, setrlimit. */
#include "ktest.h"
#include <sys/resource.h>

struct rlim64 {
    uint64_t cur, max;
};

static long raw_prlimit(int pid, int res, const struct rlim64 *newl, struct rlim64 *oldl)
{
    return syscall(SYS_prlimit64, pid, res, newl, oldl);
}

int main(void)
{
    struct rlimit rl;
    struct rlim64 r64, n64;

    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit RLIMIT_NOFILE");
    CHECK(rl.rlim_cur > 3 && rl.rlim_cur <= rl.rlim_max, "RLIMIT_NOFILE: 3 < cur <= max");
    CHECK_EQ(raw_prlimit(0, RLIMIT_NOFILE, NULL, &r64), 0, "prlimit64 query (pid 0)");
    CHECK(r64.cur == rl.rlim_cur && r64.max == rl.rlim_max, "prlimit64 agrees with getrlimit");
    CHECK_EQ(raw_prlimit(getpid(), RLIMIT_NOFILE, NULL, &r64), 0, "prlimit64 query with our own pid");

    CHECK_EQ(getrlimit(RLIMIT_STACK, &rl), 0, "getrlimit RLIMIT_STACK");
    CHECK(rl.rlim_cur > 0 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur <= rl.rlim_max), "RLIMIT_STACK is sane");
    int all_ok = 1;
    for (int r = 0; r < RLIMIT_NLIMITS; r++) {
        if (raw_prlimit(0, r, NULL, &r64) != 0 || (r64.max != RLIM_INFINITY && r64.cur > r64.max)) {
            all_ok = 0;
            kt_printf("# resource %d: errno %d cur %llu max %llu\n", r, errno, (unsigned long long)r64.cur,
                      (unsigned long long)r64.max);
        }
    }
    CHECK(all_ok, "every resource 0..15 can be queried and has cur <= max");
    CHECK_ERR(raw_prlimit(0, 1000, NULL, &r64), EINVAL, "an unknown resource is EINVAL");
    CHECK_ERR(getrlimit(1000, &rl), EINVAL, "getrlimit of an unknown resource is EINVAL");
    CHECK_ERR(raw_prlimit(0, RLIMIT_NOFILE, NULL, KT_BAD_PTR), EFAULT, "bad old-limit pointer is EFAULT");
    CHECK_ERR(raw_prlimit(0x3fffffff, RLIMIT_NOFILE, NULL, &r64), ESRCH, "a nonexistent pid is ESRCH");

    /* lower RLIMIT_NOFILE and hit it */
    struct rlimit saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    n64.cur = 32;
    n64.max = saved.rlim_max;
    CHECK_EQ(raw_prlimit(0, RLIMIT_NOFILE, &n64, &r64), 0, "prlimit64 sets RLIMIT_NOFILE soft limit to 32");
    CHECK_EQ(r64.cur, saved.rlim_cur, "prlimit64 returns the previous limit");
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_EQ(rl.rlim_cur, 32, "getrlimit sees the new soft limit");
    int last = -1, fd, err = 0;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    err = errno;
    CHECK_EQ(last, 31, "the highest fd opened is limit - 1");
    CHECK_EQ(err, EMFILE, "opening past RLIMIT_NOFILE is EMFILE");
    CHECK_ERR(dup(0), EMFILE, "dup past RLIMIT_NOFILE is EMFILE");
    CHECK_ERR(fcntl(0, F_DUPFD, 32), EINVAL, "F_DUPFD at the limit is EINVAL");
    for (fd = 3; fd <= last; fd++)
        close(fd);

    rl.rlim_cur = saved.rlim_max;
    rl.rlim_max = saved.rlim_max;
    if (saved.rlim_max != RLIM_INFINITY) {
        struct rlimit bad = {.rlim_cur = saved.rlim_max + 1, .rlim_max = saved.rlim_max};
        CHECK_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL, "soft limit above the hard limit is EINVAL");
    }
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0, "setrlimit restores the old limit");
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_EQ(rl.rlim_cur, saved.rlim_cur, "limit restored");

    /* RLIMIT_CORE can be set to 0 and read back */
    struct rlimit core = {0, 0}, core_saved;
    getrlimit(RLIMIT_CORE, &core_saved);
    core.rlim_max = core_saved.rlim_max;
    CHECK_EQ(setrlimit(RLIMIT_CORE, &core), 0, "setrlimit RLIMIT_CORE soft 0");
    getrlimit(RLIMIT_CORE, &rl);
    CHECK_EQ(rl.rlim_cur, 0, "RLIMIT_CORE soft limit reads back as 0");

    return kt_done();
}
