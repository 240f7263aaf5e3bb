/* paths.c - path resolution: . and .. across mount points, nested symlinks,
 * ELOOP, O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, trailing slashes,
 * ENAMETOOLONG, openat2 RESOLVE_* and chroot. The symlink battery runs both
 * on the host directory (hostfs under Ghost) and on a tmpfs (/dev/shm). */
#include "ktest.h"
#include <linux/openat2.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* stat(a) and stat(b) name the same inode */
static void check_same(const char *a, const char *b, const char *desc)
{
    struct stat sa, sb;
    int ra = stat(a, &sa), ea = errno;
    int rb = stat(b, &sb), eb = errno;
    if (ra != 0 || rb != 0) {
        kt_fail(desc, "stat(%s)=%d (%s), stat(%s)=%d (%s)", a, ra, ra ? strerror(ea) : "", b, rb,
                rb ? strerror(eb) : "");
        return;
    }
    kt_check(same_file(&sa, &sb), desc, "%s is dev %#llx ino %llu, %s is dev %#llx ino %llu", a,
             (unsigned long long)sa.st_dev, (unsigned long long)sa.st_ino, b, (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
}

static void dotdot_across_mounts(void)
{
    check_same("/..", "/", "/.. is /");
    check_same("/../../..", "/", "/../../.. is /");
    check_same("/proc/..", "/", "/proc/.. is / (.. from a mount root crosses to the parent mount)");
    check_same("/dev/..", "/", "/dev/.. is /");
    check_same("/sys/..", "/", "/sys/.. is /");
    check_same("/proc/self/..", "/proc", "/proc/self/.. is /proc");
    check_same("/proc/.", "/proc", "/proc/. is /proc");
    check_same("/sys/devices/../..", "/", "/sys/devices/../.. is /");

    struct stat proc_root, st;
    stat("/proc", &proc_root);
    struct stat root;
    stat("/", &root);
    CHECK(proc_root.st_dev != root.st_dev, "/proc is a different filesystem from / (st_dev differs)");

    int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_OK(pfd, "open /proc as a directory");
    kt_check(fstatat(pfd, "..", &st, 0) == 0 && same_file(&st, &root), "fstatat(/proc fd, \"..\") is /",
             "errno %s", strerror(errno));
    close(pfd);

    /* the cwd is a host mount: its .. is the parent directory path */
    char cwd[PATH_MAX], parent[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) {
        snprintf(parent, sizeof parent, "%s", cwd);
        char *slash = strrchr(parent, '/');
        if (slash == parent)
            slash[1] = 0;
        else if (slash)
            *slash = 0;
        check_same("..", parent, "\"..\" of the cwd is the parent of getcwd()");
        check_same(".", cwd, "\".\" is getcwd()");
    } else {
        kt_fail("getcwd", "errno %s", strerror(errno));
    }

    /* chdir across a mount root and back */
    char saved[PATH_MAX];
    getcwd(saved, sizeof saved);
    char got[PATH_MAX] = "";
    int r1 = chdir("/proc");
    int r2 = chdir("..");
    char *g = getcwd(got, sizeof got);
    CHECK(r1 == 0 && r2 == 0 && g && strcmp(got, "/") == 0, "chdir /proc then .. gives getcwd \"/\"");
    r1 = chdir("/dev/shm/..");
    g = getcwd(got, sizeof got);
    kt_check(r1 == 0 && g && strcmp(got, "/dev") == 0, "chdir /dev/shm/.. gives getcwd \"/dev\"", "got %s",
             g ? got : strerror(errno));
    chdir(saved);
}

/* The symlink battery in directory `base` (a path relative to the cwd or absolute). */
static void symlinks_in(const char *base, const char *fs)
{
    char desc[256], p[PATH_MAX], q[PATH_MAX], buf[256];
#define D(...) (snprintf(desc, sizeof desc, __VA_ARGS__), desc)
#define P(...) (snprintf(p, sizeof p, __VA_ARGS__), p)
#define Q(...) (snprintf(q, sizeof q, __VA_ARGS__), q)
    char abase[PATH_MAX];
    if (!realpath(base, abase)) {
        kt_fail(D("%s: realpath of the scratch dir", fs), "%s", strerror(errno));
        return;
    }
    int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    vt_put(P("%s/data", base), "hello", 0644);
    mkdir(P("%s/sub", base), 0755);
    mkdir(P("%s/sub/x", base), 0755);
    mkdir(P("%s/sub/x/y", base), 0755);
    CHECK_OK(symlinkat("data", dfd, "a"), D("%s: symlink a -> data", fs));
    symlinkat("a", dfd, "b");
    symlinkat("b", dfd, "c");
    symlinkat("../c", dfd, "sub/e");
    symlinkat(P("%s/data", abase), dfd, "abs");
    symlinkat("sub/x/y", dfd, "lx");
    symlinkat("lx/../../x/y/../../e", dfd, "twisty");

    ssize_t n = vt_get_at(dfd, "c", buf, sizeof buf);
    kt_check(n == 5 && strcmp(buf, "hello") == 0, D("%s: c -> b -> a -> data reads the data", fs), "got %zd \"%s\"",
             n, buf);
    n = vt_get_at(dfd, "sub/e", buf, sizeof buf);
    kt_check(n == 5, D("%s: sub/e -> ../c (relative to the link's dir) reads the data", fs), "got %zd (%s)", n,
             n < 0 ? strerror((int)-n) : buf);
    n = vt_get_at(dfd, "abs", buf, sizeof buf);
    kt_check(n == 5, D("%s: absolute symlink reads the data", fs), "got %zd", n);
    n = vt_get_at(dfd, "twisty", buf, sizeof buf);
    kt_check(n == 5, D("%s: symlink through a dir symlink and .. components (physical ..)", fs), "got %zd (%s)", n,
             n < 0 ? strerror((int)-n) : buf);
    n = readlinkat(dfd, "c", buf, sizeof buf);
    CHECK(n == 1 && buf[0] == 'b', D("%s: readlink c is \"b\" (not followed)", fs));
    char rp[PATH_MAX];
    kt_check(realpath(P("%s/sub/e", base), rp) && strcmp(rp, Q("%s/data", abase)) == 0,
             D("%s: realpath(sub/e) is the data file", fs), "got %s", rp);

    struct stat st, st2;
    /* physical ..: lx/.. is sub/x, not the base */
    fstatat(dfd, "lx/..", &st, 0);
    fstatat(dfd, "sub/x", &st2, 0);
    CHECK(same_file(&st, &st2), D("%s: lx/.. (lx -> sub/x/y) is sub/x", fs));

    /* AT_SYMLINK_NOFOLLOW / lstat */
    CHECK_OK(fstatat(dfd, "a", &st, AT_SYMLINK_NOFOLLOW), D("%s: fstatat(a, AT_SYMLINK_NOFOLLOW)", fs));
    CHECK(S_ISLNK(st.st_mode), D("%s: AT_SYMLINK_NOFOLLOW gives S_IFLNK", fs));
    CHECK_EQ(st.st_size, 4, D("%s: symlink st_size is the target's length", fs));
    fstatat(dfd, "a", &st, 0);
    CHECK(S_ISREG(st.st_mode) && st.st_size == 5, D("%s: fstatat(a) follows to the regular file", fs));
    fstatat(dfd, "lx/", &st, AT_SYMLINK_NOFOLLOW);
    CHECK(S_ISDIR(st.st_mode), D("%s: trailing slash forces following a dir symlink even with NOFOLLOW", fs));

    /* loops */
    symlinkat("l2", dfd, "l1");
    symlinkat("l1", dfd, "l2");
    symlinkat("self", dfd, "self");
    CHECK_ERR(openat(dfd, "l1", O_RDONLY), ELOOP, D("%s: open l1 -> l2 -> l1 is ELOOP", fs));
    CHECK_ERR(openat(dfd, "self", O_RDONLY), ELOOP, D("%s: open self -> self is ELOOP", fs));
    CHECK_ERR(fstatat(dfd, "self/x", &st, 0), ELOOP, D("%s: stat self/x is ELOOP", fs));
    CHECK_ERR(openat(dfd, "l1", O_RDONLY | O_CREAT, 0644), ELOOP, D("%s: O_CREAT through a loop is ELOOP", fs));
    CHECK_OK(fstatat(dfd, "l1", &st, AT_SYMLINK_NOFOLLOW), D("%s: lstat of a looping link works", fs));

    /* a chain of 40 links resolves, 41 does not */
    mkdir(P("%s/chain", base), 0755);
    symlinkat("../data", dfd, "chain/l0");
    for (int i = 1; i <= 40; i++) {
        char t[16], l[32];
        snprintf(t, sizeof t, "l%d", i - 1);
        snprintf(l, sizeof l, "chain/l%d", i);
        symlinkat(t, dfd, l);
    }
    int fd = openat(dfd, "chain/l39", O_RDONLY);
    kt_check(fd >= 0, D("%s: a chain of 40 symlinks resolves", fs), "errno %s", strerror(errno));
    close(fd);
    CHECK_ERR(openat(dfd, "chain/l40", O_RDONLY), ELOOP, D("%s: a chain of 41 symlinks is ELOOP", fs));

    /* O_NOFOLLOW */
    CHECK_ERR(openat(dfd, "a", O_RDONLY | O_NOFOLLOW), ELOOP, D("%s: O_NOFOLLOW on a symlink is ELOOP", fs));
    fd = openat(dfd, "lx/..", O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
    kt_check(fd >= 0, D("%s: O_NOFOLLOW only concerns the last component", fs), "errno %s", strerror(errno));
    close(fd);
    fd = openat(dfd, "a", O_PATH | O_NOFOLLOW);
    kt_check(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), D("%s: O_PATH|O_NOFOLLOW opens the link itself", fs),
             "fd %d mode %o errno %s", fd, st.st_mode, strerror(errno));
    if (fd >= 0) {
        n = readlinkat(fd, "", buf, sizeof buf);
        kt_check(n == 4 && memcmp(buf, "data", 4) == 0, D("%s: readlinkat(O_PATH link fd, \"\") reads the target", fs),
                 "got %zd (%s) want 4 \"data\"", n, n < 0 ? strerror(errno) : "wrong text");
        /* /proc/self/fd/N of that fd ends at the link itself (the magic
           link's jump ends the walk: the target is not followed again) */
        char mp[64];
        snprintf(mp, sizeof mp, "/proc/self/fd/%d", fd);
        struct stat ms;
        kt_check(stat(mp, &ms) == 0 && S_ISLNK(ms.st_mode) && ms.st_ino == st.st_ino,
                 D("%s: stat(/proc/self/fd/N of an O_PATH link) is the link", fs), "errno %s mode %o", strerror(errno), ms.st_mode);
        CHECK_ERR(chmod(mp, 0), EOPNOTSUPP, D("%s: chmod through it is EOPNOTSUPP (a link's mode never changes)", fs));
        close(fd);
    }

    /* AT_EMPTY_PATH */
    fd = openat(dfd, "data", O_RDONLY);
    fstat(fd, &st);
    memset(&st2, 0, sizeof st2);
    CHECK_OK(fstatat(fd, "", &st2, AT_EMPTY_PATH), D("%s: fstatat(fd, \"\", AT_EMPTY_PATH)", fs));
    CHECK(same_file(&st, &st2) && st2.st_size == 5, D("%s: AT_EMPTY_PATH stats the fd itself", fs));
    CHECK_ERR(fstatat(fd, "", &st2, 0), ENOENT, D("%s: fstatat(fd, \"\") without AT_EMPTY_PATH is ENOENT", fs));
    CHECK_ERR(fstatat(fd, "x", &st2, 0), ENOTDIR, D("%s: fstatat(file fd, \"x\") is ENOTDIR", fs));
    close(fd);

    /* A pipe or socket as dirfd is a file too (on pipefs, sockfs): ENOTDIR, as a regular file. */
    int pp[2], sv[2];
    if (pipe(pp) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        struct statx sx;
        CHECK_ERR(fstatat(pp[0], "x", &st2, 0), ENOTDIR, D("%s: fstatat(pipe fd, \"x\") is ENOTDIR", fs));
        CHECK_ERR(openat(pp[1], "x", O_RDONLY), ENOTDIR, D("%s: openat(pipe fd, \"x\") is ENOTDIR", fs));
        CHECK_ERR(statx(sv[0], "x", 0, 0, &sx), ENOTDIR, D("%s: statx(socket fd, \"x\") is ENOTDIR", fs));
        CHECK_ERR(mkdirat(sv[1], "x", 0755), ENOTDIR, D("%s: mkdirat(socket fd, \"x\") is ENOTDIR", fs));
        CHECK_OK(fstatat(pp[0], "", &st2, AT_EMPTY_PATH), D("%s: fstatat(pipe fd, \"\", AT_EMPTY_PATH)", fs));
        CHECK(S_ISFIFO(st2.st_mode), D("%s: AT_EMPTY_PATH on a pipe stats the pipe", fs));
        close(pp[0]); close(pp[1]); close(sv[0]); close(sv[1]);
    }

    /* trailing slashes */
    CHECK_ERR(openat(dfd, "data/", O_RDONLY), ENOTDIR, D("%s: open(\"file/\") is ENOTDIR", fs));
    CHECK_ERR(fstatat(dfd, "data/", &st, 0), ENOTDIR, D("%s: stat(\"file/\") is ENOTDIR", fs));
    CHECK_ERR(fstatat(dfd, "a/", &st, 0), ENOTDIR, D("%s: stat(\"link-to-file/\") is ENOTDIR", fs));
    CHECK_ERR(unlinkat(dfd, "data/", 0), ENOTDIR, D("%s: unlink(\"file/\") is ENOTDIR", fs));
    CHECK_OK(faccessat(dfd, "data", F_OK, 0), D("%s: ... and the file is still there", fs));
    if (faccessat(dfd, "data", F_OK, 0) != 0)
        vt_put(P("%s/data", base), "hello", 0644); /* keep later checks independent */
    CHECK_ERR(openat(dfd, "newfile/", O_WRONLY | O_CREAT, 0644), EISDIR,
              D("%s: open(\"new/\", O_CREAT) is EISDIR", fs));
    CHECK_ERR(faccessat(dfd, "newfile", F_OK, 0), ENOENT, D("%s: ... and creates nothing", fs));
    CHECK_ERR(renameat(dfd, "data", dfd, "data2/"), ENOTDIR, D("%s: rename(file, \"new/\") is ENOTDIR", fs));
    CHECK_OK(fstatat(dfd, "sub/", &st, 0), D("%s: stat(\"dir/\") works", fs));
    CHECK_OK(fstatat(dfd, "sub//x///y/", &st, 0), D("%s: repeated slashes are one", fs));
    CHECK_OK(mkdirat(dfd, "made/", 0755), D("%s: mkdir(\"new/\") works", fs));
    CHECK_OK(unlinkat(dfd, "made/", AT_REMOVEDIR), D("%s: rmdir(\"dir/\") works", fs));
    mkdirat(dfd, "made", 0755);
    CHECK_ERR(unlinkat(dfd, "made/.", AT_REMOVEDIR), EINVAL, D("%s: rmdir(\"dir/.\") is EINVAL", fs));
    CHECK_ERR(unlinkat(dfd, "made/..", AT_REMOVEDIR), ENOTEMPTY, D("%s: rmdir(\"dir/..\") is ENOTEMPTY", fs));
    CHECK_ERR(unlinkat(dfd, "data/..", AT_REMOVEDIR), ENOTDIR, D("%s: rmdir(\"file/..\") is ENOTDIR", fs));
    CHECK_ERR(mkdirat(dfd, "data/sub", 0755), ENOTDIR, D("%s: mkdir under a file is ENOTDIR", fs));
    CHECK_ERR(openat(dfd, "nonexistent/x", O_RDONLY), ENOENT, D("%s: missing middle component is ENOENT", fs));
    CHECK_ERR(openat(dfd, "", O_RDONLY), ENOENT, D("%s: open(\"\") is ENOENT", fs));

    /* ENAMETOOLONG */
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    CHECK_ERR(openat(dfd, longname, O_RDONLY), ENAMETOOLONG, D("%s: a 256-byte component is ENAMETOOLONG", fs));
    CHECK_ERR(openat(dfd, longname, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG,
              D("%s: creating a 256-byte name is ENAMETOOLONG", fs));
    longname[255] = 0;
    CHECK_ERR(openat(dfd, longname, O_RDONLY), ENOENT, D("%s: a 255-byte component is fine (ENOENT)", fs));
    fd = openat(dfd, longname, O_WRONLY | O_CREAT, 0644);
    kt_check(fd >= 0, D("%s: a 255-byte name can be created", fs), "errno %s", strerror(errno));
    close(fd);
    unlinkat(dfd, longname, 0);

    static char longpath[4200];
    /* "." followed by "/." pairs: 4095 bytes + NUL fits PATH_MAX, 4096 does not */
    longpath[0] = '.';
    for (int i = 1; i < 4095; i += 2) {
        longpath[i] = '/';
        longpath[i + 1] = '.';
    }
    longpath[4095] = 0;
    CHECK_EQ(strlen(longpath), 4095, "built a 4095-byte path");
    CHECK_OK(fstatat(dfd, longpath, &st, 0), D("%s: a 4095-byte path resolves", fs));
    longpath[4095] = '/';
    longpath[4096] = 0;
    CHECK_ERR(fstatat(dfd, longpath, &st, 0), ENAMETOOLONG, D("%s: a 4096-byte path is ENAMETOOLONG", fs));

    /* openat2 */
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY;
    long r = syscall(SYS_openat2, dfd, "data", &how, sizeof how);
    if (r < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip(D("%s: openat2", fs), "qemu-user lacks openat2");
    } else {
        kt_check(r >= 0, D("%s: openat2 plain", fs), "errno %s", strerror(errno));
        close((int)r);
#define O2(path, res, want, what)                                                          \
    do {                                                                                   \
        memset(&how, 0, sizeof how);                                                       \
        how.flags = O_RDONLY;                                                              \
        how.resolve = (res);                                                               \
        long rr = syscall(SYS_openat2, dfd, (path), &how, sizeof how);                     \
        int ee = rr < 0 ? errno : 0;                                                       \
        if (rr >= 0)                                                                       \
            close((int)rr);                                                                \
        kt_check(ee == (want), D("%s: openat2 %s", fs, what), "got %s want %s",            \
                 ee ? strerror(ee) : "success", (want) ? strerror(want) : "success");       \
    } while (0)
        O2("sub/x/../../data", RESOLVE_BENEATH, 0, "RESOLVE_BENEATH sub/x/../../data stays beneath: ok");
        O2("../x", RESOLVE_BENEATH, EXDEV, "RESOLVE_BENEATH ../x is EXDEV");
        O2("sub/../../x", RESOLVE_BENEATH, EXDEV, "RESOLVE_BENEATH sub/../../x is EXDEV");
        O2("/etc/passwd", RESOLVE_BENEATH, EXDEV, "RESOLVE_BENEATH absolute path is EXDEV");
        O2("abs", RESOLVE_BENEATH, EXDEV, "RESOLVE_BENEATH absolute symlink is EXDEV");
        O2("c", RESOLVE_BENEATH, 0, "RESOLVE_BENEATH relative symlinks inside: ok");
        O2("sub/e", RESOLVE_BENEATH, 0, "RESOLVE_BENEATH sub/e -> ../c stays inside: ok");
        O2("c", RESOLVE_NO_SYMLINKS, ELOOP, "RESOLVE_NO_SYMLINKS on a symlink is ELOOP");
        O2("lx/..", RESOLVE_NO_SYMLINKS, ELOOP, "RESOLVE_NO_SYMLINKS on a middle symlink is ELOOP");
        O2("sub/x", RESOLVE_NO_SYMLINKS, 0, "RESOLVE_NO_SYMLINKS without links: ok");
        O2("../../../../../../../data", RESOLVE_IN_ROOT, 0, "RESOLVE_IN_ROOT clamps .. at the root");
        O2("/data", RESOLVE_IN_ROOT, 0, "RESOLVE_IN_ROOT /data is the dirfd's data");
        /* "abs" points at the real absolute path, which does not exist under the root */
        O2("abs", RESOLVE_IN_ROOT, ENOENT, "RESOLVE_IN_ROOT absolute symlink resolves under the root (ENOENT)");
        symlinkat("/data", dfd, "rootabs");
        O2("rootabs", RESOLVE_IN_ROOT, 0, "RESOLVE_IN_ROOT symlink to /data is the dirfd's data");
        O2("rootabs", 0, ENOENT, "without RESOLVE_IN_ROOT /data is the real root's (ENOENT)");
        O2("/etc/passwd", RESOLVE_IN_ROOT, ENOENT, "RESOLVE_IN_ROOT /etc/passwd is not the real one");

        int rfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int keep = dfd;
        dfd = rfd;
        O2("proc/self/stat", RESOLVE_NO_XDEV, EXDEV, "RESOLVE_NO_XDEV crossing into /proc is EXDEV");
        O2("etc", RESOLVE_NO_XDEV, 0, "RESOLVE_NO_XDEV within / is fine");
        int fdn = open("/etc", O_RDONLY | O_CLOEXEC);
        char mp[64];
        snprintf(mp, sizeof mp, "proc/self/fd/%d", fdn);
        O2(mp, RESOLVE_NO_MAGICLINKS, ELOOP, "RESOLVE_NO_MAGICLINKS /proc/self/fd/N is ELOOP");
        O2(mp, 0, 0, "without RESOLVE_NO_MAGICLINKS /proc/self/fd/N opens");
        O2("proc/self/stat", RESOLVE_NO_MAGICLINKS, 0, "RESOLVE_NO_MAGICLINKS /proc/self (not magic) is fine");
        close(fdn);
        close(rfd);
        dfd = keep;

        memset(&how, 0, sizeof how);
        how.flags = O_RDONLY;
        how.resolve = 0x80000000ull;
        CHECK_ERR(syscall(SYS_openat2, dfd, "data", &how, sizeof how), EINVAL,
                  D("%s: openat2 unknown resolve flag is EINVAL", fs));
        memset(&how, 0, sizeof how);
        how.flags = O_RDONLY;
        how.mode = 0644;
        CHECK_ERR(syscall(SYS_openat2, dfd, "data", &how, sizeof how), EINVAL,
                  D("%s: openat2 mode without O_CREAT is EINVAL", fs));
        memset(&how, 0, sizeof how);
        CHECK_ERR(syscall(SYS_openat2, dfd, "data", &how, 8), EINVAL, D("%s: openat2 with a short open_how is EINVAL", fs));
        memset(&how, 0, sizeof how);
        how.resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
        CHECK_ERR(syscall(SYS_openat2, dfd, "data", &how, sizeof how), EINVAL,
                  D("%s: openat2 BENEATH|IN_ROOT together is EINVAL", fs));
    }
    close(dfd);
#undef D
#undef P
#undef Q
}

static void chroot_jail(const char *base)
{
    char jail[PATH_MAX], p[PATH_MAX];
    snprintf(jail, sizeof jail, "%s/jail", base);
    mkdir(jail, 0755);
    snprintf(p, sizeof p, "%s/inner", jail);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/inner/marker", jail);
    vt_put(p, "jailed", 0644);
    snprintf(p, sizeof p, "%s/outside", base);
    vt_put(p, "outside", 0644);
    snprintf(p, sizeof p, "%s/escape", jail);
    symlink("../../../../../../outside", p);

    int pfd[2];
    pipe(pfd);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        /* one byte per check: '1' pass, '0' fail */
        char res[16];
        int k = 0;
        struct stat a, b;
        if (chroot(jail) != 0) {
            res[k++] = '0';
            write(pfd[1], res, k);
            _exit(1);
        }
        res[k++] = '1';
        /* the cwd is still outside the jail: the getcwd syscall says "(unreachable)/…",
         * which glibc's getcwd turns into ENOENT (Linux's getcwd; LTP realpath01) */
        {
            char raw[PATH_MAX] = "", *g;
            long r = syscall(SYS_getcwd, raw, sizeof raw);
            errno = 0;
            g = getcwd(raw + 2048, sizeof raw - 2048);
            res[k++] = (r > 0 && strncmp(raw, "(unreachable)/", 14) == 0 && g == NULL && errno == ENOENT) ? '1' : '0';
        }
        res[k++] = chdir("/") == 0 ? '1' : '0';
        res[k++] = (stat("/..", &a) == 0 && stat("/", &b) == 0 && same_file(&a, &b)) ? '1' : '0';
        res[k++] = (stat("/inner/../../../..", &a) == 0 && same_file(&a, &b)) ? '1' : '0';
        char buf[64];
        res[k++] = (vt_get("/../../inner/marker", buf, sizeof buf) == 6) ? '1' : '0';
        res[k++] = (vt_get("/escape", buf, sizeof buf) == -ENOENT) ? '1' : '0';
        char cwd[PATH_MAX] = "";
        chdir("/inner");
        res[k++] = (getcwd(cwd, sizeof cwd) && strcmp(cwd, "/inner") == 0) ? '1' : '0';
        chdir("../../..");
        res[k++] = (getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0) ? '1' : '0';
        /* /proc is not mounted in the jail */
        res[k++] = (access("/proc/self", F_OK) != 0 && errno == ENOENT) ? '1' : '0';
        /* a non-root process cannot chroot */
        pid_t c = fork();
        if (c == 0) {
            if (setuid(1000) != 0)
                _exit(2);
            _exit(chroot("/inner") == -1 && errno == EPERM ? 0 : 1);
        }
        res[k++] = vt_reap(c) == 0 ? '1' : '0';
        write(pfd[1], res, k);
        _exit(0);
    }
    close(pfd[1]);
    char res[16] = {0};
    ssize_t n = vt_read_full(pfd[0], res, sizeof res);
    close(pfd[0]);
    int st = vt_reap(pid);
    static const char *names[] = {
        "chroot(jail) as root",
        "a cwd left outside by chroot: getcwd(2) gives \"(unreachable)/...\", glibc's getcwd ENOENT",
        "chdir(\"/\") in the jail",
        "in the jail, /.. is /",
        "in the jail, /inner/../../../.. is /",
        "in the jail, /../../inner/marker reads the jailed file",
        "in the jail, a symlink ../../../outside does not escape (ENOENT)",
        "in the jail, getcwd is /inner",
        "in the jail, chdir ../../.. from /inner gives getcwd /",
        "in the jail, /proc/self does not exist",
        "chroot as uid 1000 is EPERM",
    };
    for (int i = 0; i < 11; i++) {
        if (i < n)
            kt_check(res[i] == '1', names[i], "check failed in the chrooted child");
        else
            kt_fail(names[i], "not reached (child status %d)", st);
    }
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    umask(022);
    dotdot_across_mounts();
    const char *host = kt_mktemp("paths");
    symlinks_in(host, "hostdir");
    const char *shm = vt_mkshm("paths");
    symlinks_in(shm, "tmpfs");
    chroot_jail(host);
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
