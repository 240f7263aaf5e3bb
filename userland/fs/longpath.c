/* longpath.c - paths past PATH_MAX and names that are gone, as Linux shows
 * them: getcwd deeper than one page is ENAMETOOLONG (never a truncated or
 * wrong path), and so is readlink of /proc/self/cwd; the levels above still
 * answer exactly; a file whose name was unlinked or renamed over shows in
 * /proc/self/fd with " (deleted)". Run in a temp dir of the working
 * directory (a host directory under Ghost) and in /tmp. */
#include "ktest.h"

#include <stdarg.h>
#include <sys/syscall.h>

#define LEVEL "d123456789abcdefghi" /* 19 bytes, 20 with the slash */

/* A check's description, formatted, in a rotating static buffer. */
static const char *fmt(const char *f, ...)
{
    static char bufs[4][700];
    static int next;
    char *b = bufs[next++ & 3];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof bufs[0], f, ap);
    va_end(ap);
    return b;
}

static void deep(const char *where)
{
    char top[PATH_MAX];
    if (!getcwd(top, sizeof top)) {
        kt_fail("getcwd at the top", "%s", strerror(errno));
        return;
    }
    char d[64];
    snprintf(d, sizeof d, "%s/longpath-%d", where, (int)getpid());
    mkdir(d, 0700);
    if (chdir(d) != 0) {
        kt_fail("chdir into the temp dir", "%s: %s", d, strerror(errno));
        return;
    }
    char here[PATH_MAX];
    getcwd(here, sizeof here);
    size_t base = strlen(here);
    /* Down until the path passes one page by a few levels. */
    int levels = 0;
    while (base + 20 * (size_t)levels < PATH_MAX + 100) {
        if (mkdir(LEVEL, 0700) != 0 || chdir(LEVEL) != 0)
            break;
        levels++;
    }
    char buf[PATH_MAX + 64];
    CHECK(base + 20 * (size_t)levels >= PATH_MAX + 100, fmt("made %d levels under %s", levels, where));
    /* The syscall itself: glibc's getcwd() walks ".." by itself after ENAMETOOLONG. */
    CHECK_ERR(syscall(SYS_getcwd, buf, sizeof buf), ENAMETOOLONG, fmt("getcwd(2) %d levels down (past PATH_MAX) is ENAMETOOLONG (%s)", levels, where));
    char *r;
    errno = 0;
    ssize_t n = readlink("/proc/self/cwd", buf, sizeof buf);
    CHECK(n == -1 && errno == ENAMETOOLONG, fmt("readlink /proc/self/cwd there is ENAMETOOLONG (%s)", where));
    CHECK_OK(mkdir("bottom", 0700), fmt("mkdir at the bottom (%s)", where));
    struct stat st;
    CHECK_OK(stat("bottom", &st), fmt("stat at the bottom (%s)", where));
    CHECK_OK(rmdir("bottom"), fmt("rmdir at the bottom (%s)", where));
    /* Back up to where the path fits again: getcwd is exact there. */
    int up = 0;
    while (base + 20 * (size_t)(levels - up) >= PATH_MAX - 1 && up < levels) {
        if (chdir("..") != 0)
            break;
        up++;
    }
    r = getcwd(buf, sizeof buf);
    int exact = r != NULL && strlen(buf) == base + 20 * (size_t)(levels - up) && strncmp(buf, here, base) == 0;
    CHECK(exact, fmt("getcwd is exact again %d levels up (%s)", up, where));
    /* Remove the levels, bottom first. */
    for (int i = levels - up; i > 0; i--) {
        if (chdir("..") != 0 || rmdir(LEVEL) != 0)
            break;
    }
    if (chdir(top) == 0)
        rmdir(d);
}

static void deleted(const char *where)
{
    char a[128], b[128], link[64], got[512];
    snprintf(a, sizeof a, "%s/gone-%d", where, (int)getpid());
    snprintf(b, sizeof b, "%s/other-%d", where, (int)getpid());
    int fd = open(a, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(fd >= 0, fmt("create a file (%s)", where));
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    char want[160];
    /* /proc shows the absolute path */
    CHECK(n > 0 && strstr(got, "deleted") == NULL, fmt("while it has its name: %s (%s)", got, where));
    unlink(a);
    n = readlink(link, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, " (deleted)");
    CHECK(n > 10 && strcmp(got + n - 10, want) == 0, fmt("after unlink the fd shows \"%s\" (%s)", got, where));
    close(fd);

    fd = open(a, O_CREAT | O_RDWR | O_TRUNC, 0600);
    int fd2 = open(b, O_CREAT | O_RDWR | O_TRUNC, 0600);
    rename(b, a); /* a's file loses its name */
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    CHECK(n > 10 && strcmp(got + n - 10, " (deleted)") == 0, fmt("a file renamed over shows (deleted): %s (%s)", got, where));
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd2);
    n = readlink(link, got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    CHECK(n > 0 && strstr(got, "deleted") == NULL && strstr(got, "gone-") != NULL, fmt("the file moved in shows its new name: %s (%s)", got, where));
    close(fd);
    close(fd2);
    unlink(a);
}

/* Renaming a directory above the working directory moves the working directory with it. */
static void moved(const char *where)
{
    char x[128], z[128], top[PATH_MAX], cwd[PATH_MAX];
    if (!getcwd(top, sizeof top))
        return;
    /* absolute: the rename happens from inside */
    char abs[PATH_MAX + 8];
    snprintf(abs, sizeof abs, "%s%s%s", where[0] == '/' ? "" : top, where[0] == '/' ? "" : "/", where);
    snprintf(x, sizeof x, "%.100s/mvx-%d", abs, (int)getpid());
    snprintf(z, sizeof z, "%.100s/mvz-%d", abs, (int)getpid());
    if (mkdir(x, 0700) != 0)
        return;
    char xy[160];
    snprintf(xy, sizeof xy, "%s/y", x);
    mkdir(xy, 0700);
    CHECK_OK(chdir(xy), fmt("chdir into x/y (%s)", where));
    CHECK_OK(rename(x, z), fmt("rename x to z above the working directory (%s)", where));
    char want[160];
    snprintf(want, sizeof want, "/mvz-%d/y", (int)getpid());
    long n = syscall(SYS_getcwd, cwd, sizeof cwd);
    CHECK(n > 0 && strlen(cwd) > strlen(want) && strcmp(cwd + strlen(cwd) - strlen(want), want) == 0,
          fmt("getcwd(2) follows: %s (%s)", n > 0 ? cwd : "error", where));
    chdir(top);
    char zy[160];
    snprintf(zy, sizeof zy, "%s/y", z);
    rmdir(zy);
    rmdir(z);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    const char *tmp = kt_mktemp("longpath");
    deep(tmp);
    deep("/tmp");
    deleted(tmp);
    deleted("/tmp");
    moved(tmp);
    moved("/tmp");
    kt_rmtree_at(AT_FDCWD, tmp);
    return kt_done();
}
