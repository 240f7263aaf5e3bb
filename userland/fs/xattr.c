/* xattr.c - extended attributes on a tmpfs (/dev/shm) and then in the working
 * directory (under Ghost, a host directory: hostfs keeps them in its metadata
 * overlay): set/get/list/remove in the path, l- and f- forms,
 * XATTR_CREATE/REPLACE, ERANGE for small buffers, E2BIG, namespaces,
 * permissions. */
#include "ktest.h"
#include <grp.h>
#include <sys/xattr.h>


/* Does the listxattr buffer contain `name`? */
static int listed(const char *list, ssize_t n, const char *name)
{
    for (ssize_t i = 0; i < n;) {
        if (strcmp(list + i, name) == 0)
            return 1;
        i += (ssize_t)strlen(list + i) + 1;
    }
    return 0;
}

static void on_dir(const char *dir)
{
    kt_printf("# in %s\n", dir);
    char f[PATH_MAX], g[PATH_MAX], l[PATH_MAX], buf[256];
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(g, sizeof g, "%s/hardlink", dir);
    snprintf(l, sizeof l, "%s/symlink", dir);
    vt_put(f, "data", 0644);
    symlink("file", l);

    CHECK_OK(setxattr(f, "user.a", "v1", 2, 0), "tmpfs: setxattr user.a");
    CHECK_EQ(getxattr(f, "user.a", NULL, 0), 2, "getxattr with size 0 returns the value's size");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(getxattr(f, "user.a", buf, sizeof buf), 2, "getxattr returns 2 bytes");
    CHECK_STR(buf, "v1", "getxattr value");
    CHECK_ERR(getxattr(f, "user.a", buf, 1), ERANGE, "getxattr into a 1-byte buffer is ERANGE");
    CHECK_ERR(setxattr(f, "user.a", "v2", 2, XATTR_CREATE), EEXIST, "XATTR_CREATE on an existing name is EEXIST");
    CHECK_ERR(setxattr(f, "user.b", "v2", 2, XATTR_REPLACE), ENODATA, "XATTR_REPLACE on a missing name is ENODATA");
    CHECK_OK(setxattr(f, "user.a", "longer", 6, XATTR_REPLACE), "XATTR_REPLACE on an existing name");
    CHECK(getxattr(f, "user.a", buf, sizeof buf) == 6 && memcmp(buf, "longer", 6) == 0, "the value was replaced");
    CHECK_OK(setxattr(f, "user.b", "", 0, XATTR_CREATE), "XATTR_CREATE with an empty value");
    CHECK_EQ(getxattr(f, "user.b", buf, sizeof buf), 0, "an empty value reads back as 0 bytes");
    CHECK_ERR(setxattr(f, "user.c", "x", 1, XATTR_CREATE | XATTR_REPLACE), ENODATA,
              "XATTR_CREATE|XATTR_REPLACE on a missing name is ENODATA (both conditions apply)");
    removexattr(f, "user.c"); /* keep later checks independent */
    CHECK_ERR(setxattr(f, "user.c", "x", 1, 0x10), EINVAL, "an unknown setxattr flag is EINVAL");
    removexattr(f, "user.c");
    CHECK_ERR(getxattr(f, "user.none", buf, sizeof buf), ENODATA, "getxattr of a missing name is ENODATA");

    ssize_t need = listxattr(f, NULL, 0);
    CHECK_EQ(need, 14, "listxattr size query: \"user.a\\0user.b\\0\" is 14 bytes");
    char list[512];
    ssize_t n = listxattr(f, list, sizeof list);
    CHECK(n == 14 && listed(list, n, "user.a") && listed(list, n, "user.b"), "listxattr lists user.a and user.b");
    CHECK_ERR(listxattr(f, list, 5), ERANGE, "listxattr into a small buffer is ERANGE");

    link(f, g);
    CHECK(getxattr(g, "user.a", buf, sizeof buf) == 6, "a hard link shares the attributes");
    char r[PATH_MAX];
    snprintf(r, sizeof r, "%s/renamed", dir);
    rename(g, r);
    CHECK(getxattr(r, "user.a", buf, sizeof buf) == 6, "attributes survive rename");

    CHECK(getxattr(l, "user.a", buf, sizeof buf) == 6, "getxattr follows a symlink");
    CHECK_ERR(lgetxattr(l, "user.a", buf, sizeof buf), ENODATA, "lgetxattr looks at the link itself");
    CHECK_ERR(lsetxattr(l, "user.x", "1", 1, 0), EPERM, "lsetxattr user.* on a symlink is EPERM");
    lremovexattr(l, "user.x");
    CHECK_EQ(llistxattr(l, list, sizeof list), 0, "llistxattr of the link is empty");

    int fd = open(f, O_RDONLY);
    CHECK_OK(fsetxattr(fd, "user.f", "fd", 2, 0), "fsetxattr on a read-only fd");
    CHECK(fgetxattr(fd, "user.f", buf, sizeof buf) == 2 && memcmp(buf, "fd", 2) == 0, "fgetxattr");
    n = flistxattr(fd, list, sizeof list);
    CHECK(n == 21 && listed(list, n, "user.f"), "flistxattr shows three names");
    CHECK_OK(fremovexattr(fd, "user.f"), "fremovexattr");
    CHECK_ERR(fgetxattr(fd, "user.f", buf, sizeof buf), ENODATA, "removed name is gone");
    close(fd);
    int pfd = open(f, O_PATH);
    CHECK_ERR(fgetxattr(pfd, "user.a", buf, sizeof buf), EBADF, "fgetxattr on an O_PATH fd is EBADF");
    close(pfd);

    CHECK_OK(removexattr(f, "user.b"), "removexattr user.b");
    CHECK_ERR(removexattr(f, "user.b"), ENODATA, "removexattr of a missing name is ENODATA");
    n = listxattr(f, list, sizeof list);
    CHECK(n == 7 && listed(list, n, "user.a"), "only user.a is left");

    CHECK_ERR(setxattr(f, "bogus.name", "x", 1, 0), EOPNOTSUPP, "an unknown namespace is EOPNOTSUPP");
    CHECK_ERR(setxattr(f, "user.", "x", 1, 0), EINVAL, "an empty name after the prefix is EINVAL");
    char longname[300] = "user.";
    memset(longname + 5, 'n', 260);
    longname[265] = 0;
    CHECK_ERR(setxattr(f, longname, "x", 1, 0), ERANGE, "a name longer than 255 is ERANGE");
    static char huge[65537];
    CHECK_ERR(setxattr(f, "user.huge", huge, sizeof huge, 0), E2BIG, "a value over 64 KiB is E2BIG");
    CHECK_OK(setxattr(f, "user.big", huge, 4000, 0), "a 4000-byte value");
    CHECK_EQ(getxattr(f, "user.big", NULL, 0), 4000, "its size reads back");
    removexattr(f, "user.big");

    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/subdir", dir);
    mkdir(d, 0755);
    CHECK_OK(setxattr(d, "user.dir", "yes", 3, 0), "user.* on a directory");
    CHECK_OK(setxattr(f, "trusted.t", "root", 4, 0), "trusted.* as root");
    CHECK(getxattr(f, "trusted.t", buf, sizeof buf) == 4, "trusted.* reads back as root");
    CHECK_ERR(getxattr("/dev/shm/vt-no-such-file", "user.a", buf, sizeof buf), ENOENT, "getxattr of a missing file is ENOENT");

    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        setgid(1000);
        setuid(1000);
        int bad = 0;
        char b[64], ls[512];
        if (getxattr(f, "user.a", b, sizeof b) != 6)
            bad |= 1; /* readable file: readable attributes */
        if (setxattr(f, "user.a", "u", 1, 0) != -1 || errno != EACCES)
            bad |= 2; /* no write permission */
        ssize_t m = listxattr(f, ls, sizeof ls);
        if (m < 0 || listed(ls, m, "trusted.t") || !listed(ls, m, "user.a"))
            bad |= 4; /* trusted.* hidden from non-root */
        if (getxattr(f, "trusted.t", b, sizeof b) != -1 || errno != ENODATA)
            bad |= 8;
        _exit(bad);
    }
    int res = vt_reap(pid);
    CHECK_EQ(res & 1, 0, "uid 1000 reads user.* of a readable file");
    CHECK_EQ(res & 2, 0, "uid 1000 setting user.* without write permission is EACCES");
    CHECK_EQ(res & 4, 0, "uid 1000's listxattr hides trusted.*");
    CHECK_EQ(res & 8, 0, "uid 1000's getxattr of trusted.* is ENODATA");
    CHECK_EQ(res & ~15, 0, "the uid 1000 child exited cleanly");
}

static void on_host(const char *dir)
{
    char f[PATH_MAX], buf[64];
    snprintf(f, sizeof f, "%s/xf", dir);
    vt_put(f, "x", 0644);
    int r = setxattr(f, "user.host", "hv", 2, 0);
    /* Only the host's filesystem may lack them (under qemu); Ghost's host mounts keep them in their overlay. */
    if (r != 0 && errno == EOPNOTSUPP && kt_qemu()) {
        kt_skip("hostdir: user.* xattrs", "EOPNOTSUPP on the host directory");
        return;
    }
    kt_check(r == 0, "hostdir: setxattr user.host", "errno %s", strerror(errno));
    CHECK(getxattr(f, "user.host", buf, sizeof buf) == 2 && memcmp(buf, "hv", 2) == 0, "hostdir: getxattr round trip");
    char list[256];
    ssize_t n = listxattr(f, list, sizeof list);
    CHECK(n > 0 && listed(list, n, "user.host"), "hostdir: listxattr");
    CHECK_OK(removexattr(f, "user.host"), "hostdir: removexattr");
    CHECK_ERR(getxattr(f, "user.host", buf, sizeof buf), ENODATA, "hostdir: removed");
    unlink(f);
    on_dir(dir);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    on_dir(vt_mkshm("xattr"));
    vt_cleanup_shm();
    on_host(kt_mktemp("xattr"));
    kt_cleanup();
    return kt_done();
}
