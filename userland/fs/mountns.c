/* mountns.c - mount namespaces and the new mount API: unshare(CLONE_NEWNS)
 * gives a copy of the tree whose mounts the parent does not see,
 * /proc/PID/ns links ("mnt:[N]", stat's st_ino N, equal for the same
 * namespace), setns back into a saved namespace and its errors, shared and
 * slave propagation (mountinfo's shared:/master: fields), pivot_root in a
 * new namespace, CLONE_NEWUTS hostnames and CLONE_NEWIPC queues, access-time
 * mount flags, and fsopen/fsconfig (with the
 * error log read from the fd)/fsmount/move_mount, open_tree clones,
 * fspick reconfiguration and mount_setattr. Under qemu-user the program
 * first unshares its mount namespace so the host's mounts are never
 * touched (skipped if that is impossible). */
#include "ktest.h"
#include "privns.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/epoll.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/magic.h>
#include <sys/msg.h>
#include <sys/statvfs.h>

#define FSOPEN 430
#define FSCONFIG 431
#define FSMOUNT 432
#define FSPICK 433
#define OPEN_TREE 428
#define MOVE_MOUNT 429
#define MOUNT_SETATTR 442

#ifndef FSCONFIG_SET_FLAG
#define FSCONFIG_SET_FLAG 0
#endif
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef FSCONFIG_CMD_RECONFIGURE
#define FSCONFIG_CMD_RECONFIGURE 7
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 4
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 1
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x100000
#endif

struct mattr { unsigned long long set, clr, propagation, userns_fd; };

static char base[256];

static const char *P(const char *leaf)
{
    static char bufs[16][400];
    static int next;
    char *b = bufs[next++ & 15];
    snprintf(b, sizeof bufs[0], "%s/%s", base, leaf);
    return b;
}

/* The mountinfo line whose mount point is mp (the last one), or "". */
static const char *mountinfo_line(const char *file, const char *mp)
{
    static char buf[65536], line[1024];
    line[0] = 0;
    if (vt_get(file, buf, sizeof buf) < 0)
        return line;
    for (char *s = buf; s && *s;) {
        char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char dir[512];
        if (sscanf(s, "%*s %*s %*s %*s %511s", dir) == 1 && strcmp(dir, mp) == 0)
            snprintf(line, sizeof line, "%.*s", (int)n, s);
        s = nl ? nl + 1 : NULL;
    }
    return line;
}

/* Whether something is mounted at p (its device differs from its parent's):
 * the test directory is itself on a tmpfs. */
static int is_tmpfs(const char *p)
{
    char up[512];
    struct stat a, b;
    struct statfs sf;
    snprintf(up, sizeof up, "%s/..", p);
    return statfs(p, &sf) == 0 && sf.f_type == TMPFS_MAGIC && stat(p, &a) == 0 && stat(up, &b) == 0 && a.st_dev != b.st_dev;
}

static void ns_links(void)
{
    char link[64], link2[64];
    ssize_t n = readlink("/proc/self/ns/mnt", link, sizeof link - 1);
    CHECK(n > 0, "readlink /proc/self/ns/mnt");
    link[n > 0 ? n : 0] = 0;
    unsigned long long inum = 0;
    CHECK(sscanf(link, "mnt:[%llu]", &inum) == 1, "the link reads mnt:[N]");
    struct stat a, b;
    CHECK_OK(stat("/proc/self/ns/mnt", &a), "stat the mnt link");
    CHECK_EQ((unsigned long long)a.st_ino, inum, "st_ino is the namespace's number");
    CHECK(S_ISREG(a.st_mode), "the namespace file is a regular file");
    int fd = open("/proc/self/ns/mnt", O_RDONLY);
    CHECK(fd >= 0, "open the mnt link");
    CHECK_OK(fstat(fd, &b), "fstat the namespace fd");
    CHECK(a.st_dev == b.st_dev && a.st_ino == b.st_ino, "the fd and the link stat alike");
    char fdl[64], fdtext[64];
    snprintf(fdl, sizeof fdl, "/proc/self/fd/%d", fd);
    n = readlink(fdl, fdtext, sizeof fdtext - 1);
    fdtext[n > 0 ? n : 0] = 0;
    CHECK_STR(fdtext, link, "/proc/self/fd names the open namespace as the link does");
    char c;
    CHECK_ERR(read(fd, &c, 1), EINVAL, "read of a namespace file");
    close(fd);
    n = readlink("/proc/self/ns/uts", link2, sizeof link2 - 1);
    link2[n > 0 ? n : 0] = 0;
    CHECK(strncmp(link2, "uts:[", 5) == 0, "the uts link reads uts:[N]");
    struct stat l;
    CHECK_OK(lstat("/proc/self/ns/mnt", &l), "lstat the link");
    CHECK(S_ISLNK(l.st_mode), "lstat sees a symlink");
}

static void new_namespace(void)
{
    const char *mp = P("nsmnt");
    mkdir(mp, 0755);
    struct stat before;
    stat("/proc/self/ns/mnt", &before);
    int ready[2], done[2];
    CHECK_OK(pipe(ready), "pipe");
    CHECK_OK(pipe(done), "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        struct stat after;
        EXPECT(1, unshare(CLONE_NEWNS) == 0);
        EXPECT(2, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        EXPECT(4, mount("tmpfs", mp, "tmpfs", 0, "size=64k") == 0);
        EXPECT(8, stat("/proc/self/ns/mnt", &after) == 0 && after.st_ino != before.st_ino);
        EXPECT(16, is_tmpfs(mp));
        EXPECT(32, mountinfo_line("/proc/self/mountinfo", mp)[0] != 0);
        write(ready[1], "r", 1);
        char c;
        read(done[0], &c, 1);
        _exit(bad);
    }
    char c;
    read(ready[0], &c, 1);
    char file[64];
    snprintf(file, sizeof file, "/proc/%d/mountinfo", pid);
    CHECK(mountinfo_line(file, mp)[0] != 0, "the child's mountinfo lists its mount");
    CHECK(mountinfo_line("/proc/self/mountinfo", mp)[0] == 0, "the parent's mountinfo does not");
    CHECK(!is_tmpfs(mp), "the parent does not see the child's mount");
    struct stat theirs;
    snprintf(file, sizeof file, "/proc/%d/ns/mnt", pid);
    CHECK(stat(file, &theirs) == 0 && theirs.st_ino != before.st_ino, "the child's namespace is another one");
    write(done[1], "d", 1);
    int st;
    kt_waitpid(pid, &st, 0);
    kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child unshared and mounted in its namespace", "%s", kt_wstr(st));
    close(ready[0]); close(ready[1]); close(done[0]); close(done[1]);
}

static void setns_back(void)
{
    const char *mp = P("setnsmnt");
    mkdir(mp, 0755);
    IN_CHILD("setns returns to a saved mount namespace", {
        int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        int uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        EXPECT(1, unshare(CLONE_NEWNS) == 0);
        EXPECT(1, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        EXPECT(2, mount("tmpfs", mp, "tmpfs", 0, NULL) == 0 && is_tmpfs(mp));
        EXPECT(4, syscall(SYS_setns, fd, CLONE_NEWUTS) == -1 && errno == EINVAL);
        EXPECT(8, syscall(SYS_setns, uts, CLONE_NEWNS) == -1 && errno == EINVAL);
        EXPECT(16, syscall(SYS_setns, -1, 0) == -1 && errno == EBADF);
        int reg = open("/proc/self/status", O_RDONLY);
        EXPECT(32, syscall(SYS_setns, reg, 0) == -1 && errno == EINVAL);
        EXPECT(64, syscall(SYS_setns, fd, CLONE_NEWNS) == 0);
        EXPECT(128, !is_tmpfs(mp));
    });
    IN_CHILD("unshare(CLONE_NEWNS) without CAP_SYS_ADMIN is EPERM", {
        EXPECT(1, setresuid(65534, 65534, 65534) == 0);
        EXPECT(2, unshare(CLONE_NEWNS) == -1 && errno == EPERM);
        EXPECT(4, mount("tmpfs", mp, "tmpfs", 0, NULL) == -1 && errno == EPERM);
    });
}

static void propagation(void)
{
    const char *a = P("pa"), *b = P("pb"), *c = P("pc");
    mkdir(a, 0755); mkdir(b, 0755); mkdir(c, 0755);
    CHECK_OK(mount("tmpfs", a, "tmpfs", 0, NULL), "mount tmpfs at a");
    CHECK_OK(mount(NULL, a, NULL, MS_SHARED, NULL), "make a shared");
    CHECK(strstr(mountinfo_line("/proc/self/mountinfo", a), " shared:") != NULL, "mountinfo shows shared:N");
    CHECK_OK(mount(a, b, NULL, MS_BIND, NULL), "bind a on b (a peer)");
    CHECK_OK(mount(a, c, NULL, MS_BIND, NULL), "bind a on c");
    CHECK_OK(mount(NULL, c, NULL, MS_SLAVE, NULL), "make c a slave");
    CHECK(strstr(mountinfo_line("/proc/self/mountinfo", c), " master:") != NULL, "mountinfo shows master:N");
    mkdir(P("pa/sub"), 0755);
    mkdir(P("pa/other"), 0755);
    CHECK_OK(mount("tmpfs", P("pa/sub"), "tmpfs", 0, NULL), "mount at a/sub");
    CHECK(is_tmpfs(P("pb/sub")), "the mount appears at the peer b/sub");
    CHECK(is_tmpfs(P("pc/sub")), "and at the slave c/sub");
    CHECK_OK(mount("tmpfs", P("pc/other"), "tmpfs", 0, NULL), "mount at the slave's c/other");
    CHECK(!is_tmpfs(P("pa/other")), "the slave's mount does not reach its master");
    CHECK_OK(umount(P("pa/sub")), "umount a/sub");
    CHECK(!is_tmpfs(P("pb/sub")) && !is_tmpfs(P("pc/sub")), "the umount propagates to peer and slave");
    umount(P("pc/other"));
    umount(c); umount(b);
    /* A shared mount bound inside itself is not propagated onto itself. */
    mkdir(P("pa/self"), 0755);
    CHECK_OK(mount(a, P("pa/self"), NULL, MS_BIND, NULL), "bind shared a inside itself");
    CHECK(access(P("pa/self/self"), F_OK) == 0 && !is_tmpfs(P("pa/self/self")), "no copy appears below the bind");
    CHECK_OK(umount(P("pa/self")), "and it unmounts");
    CHECK_OK(umount(P("pa")), "umount a");
}

static void atime(void)
{
    const char *mp = P("atime");
    mkdir(mp, 0755);
    CHECK_OK(mount("tmpfs", mp, "tmpfs", MS_NOATIME | MS_NODIRATIME, NULL), "mount with noatime,nodiratime");
    struct statvfs sv;
    CHECK(statvfs(mp, &sv) == 0 && (sv.f_flag & ST_NOATIME) && (sv.f_flag & ST_NODIRATIME), "statvfs shows ST_NOATIME|ST_NODIRATIME");
    const char *line = mountinfo_line("/proc/self/mountinfo", mp);
    kt_check(strstr(line, "noatime,nodiratime") != NULL && strstr(line, "relatime") == NULL, "mountinfo shows noatime,nodiratime", "line \"%s\"", line);
    CHECK_OK(umount(mp), "umount");
    CHECK_OK(mount("tmpfs", mp, "tmpfs", 0, NULL), "mount with the default");
    CHECK(statvfs(mp, &sv) == 0 && (sv.f_flag & ST_RELATIME) && !(sv.f_flag & ST_NOATIME), "the default is relatime");
    CHECK_OK(umount(mp), "umount");
}

static void ipc(void)
{
    key_t key = 0x4d4e5331;
    int id = msgget(key, IPC_CREAT | 0600);
    CHECK(id >= 0, "a message queue in the parent's IPC namespace");
    IN_CHILD("CLONE_NEWIPC: the parent's queue is not there", {
        EXPECT(1, unshare(CLONE_NEWIPC) == 0);
        EXPECT(2, msgget(key, 0) == -1 && errno == ENOENT);
        EXPECT(4, msgget(key, IPC_CREAT | 0600) >= 0);
    });
    CHECK(msgget(key, 0) == id, "the parent's queue is still its own");
    msgctl(id, IPC_RMID, NULL);
}

static void pivot(void)
{
    const char *dir = P("pivot");
    mkdir(dir, 0755);
    IN_CHILD("pivot_root in a new namespace", {
        EXPECT(1, unshare(CLONE_NEWNS | CLONE_FS) == 0);
        EXPECT(1, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        EXPECT(2, mount("none", dir, "tmpfs", 0, NULL) == 0);
        EXPECT(2, chroot(dir) == 0 && chdir("/") == 0);
        EXPECT(4, mkdir("/new", 0777) == 0);
        EXPECT(8, syscall(SYS_pivot_root, "/new", "/new") == -1 && errno == EBUSY);
        EXPECT(16, mount("none", "/new", "tmpfs", 0, NULL) == 0 && mkdir("/new/old", 0777) == 0);
        EXPECT(32, mkdir("/other", 0777) == 0 && syscall(SYS_pivot_root, "/new", "/other") == -1 && errno == EBUSY);
        EXPECT(32, mount("none", "/other", "tmpfs", 0, NULL) == 0 && mkdir("/other/x", 0777) == 0);
        EXPECT(32, syscall(SYS_pivot_root, "/new", "/other/x") == -1 && errno == EINVAL);
        EXPECT(64, creat("/new/file", 0644) >= 0 && syscall(SYS_pivot_root, "/new", "/new/file") == -1 && errno == ENOTDIR);
        EXPECT(128, syscall(SYS_pivot_root, "/new", "/new/old") == 0);
        struct stat st;
        EXPECT(128, stat("/old/other", &st) == 0 && stat("/file", &st) == 0);
    });
}

static void uts(void)
{
    struct utsname before;
    uname(&before);
    IN_CHILD("CLONE_NEWUTS: a hostname of the child's own", {
        struct utsname u;
        EXPECT(1, unshare(CLONE_NEWUTS) == 0);
        EXPECT(2, sethostname("mountns-test", 12) == 0);
        EXPECT(4, uname(&u) == 0 && strcmp(u.nodename, "mountns-test") == 0);
    });
    struct utsname after;
    uname(&after);
    CHECK_STR(after.nodename, before.nodename, "the parent's hostname is unchanged");
}

static void new_api(void)
{
    const char *mp = P("fsmnt");
    mkdir(mp, 0755);
    int fd = syscall(FSOPEN, "tmpfs", 0);
    if (fd < 0 && errno == ENOSYS && kt_qemu()) {
        kt_skip("new mount API", "qemu-user does not pass fsopen through");
        return;
    }
    CHECK(fd >= 0, "fsopen tmpfs");
    CHECK_ERR(syscall(FSOPEN, "nosuchfs", 0), ENODEV, "fsopen of an unknown filesystem");
    CHECK_ERR(syscall(FSOPEN, "tmpfs", 2), EINVAL, "fsopen with an unknown flag");
    {
        /* No poll method on a filesystem context (file_can_poll; LTP epoll_ctl06). */
        struct epoll_event ev = {.events = EPOLLIN};
        int ep = epoll_create1(EPOLL_CLOEXEC);
        CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM, "epoll_ctl on an fsopen fd is EPERM");
        close(ep);
    }
    CHECK_ERR(syscall(FSCONFIG, fd, FSCONFIG_SET_STRING, "foo", "bar", 0), EINVAL, "an unknown parameter");
    CHECK_ERR(syscall(FSCONFIG, -1, FSCONFIG_SET_FLAG, "ro", NULL, 0), EINVAL, "fsconfig on a negative fd is EINVAL");
    CHECK_ERR(syscall(FSCONFIG, 999, FSCONFIG_SET_FLAG, "ro", NULL, 0), EBADF, "fsconfig on a closed fd is EBADF");
    CHECK_ERR(syscall(FSCONFIG, fd, FSCONFIG_SET_STRING, "size", "xyz", 0), EINVAL, "a bad size");
    char msg[256];
    ssize_t n = read(fd, msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    CHECK_STR(msg, "e tmpfs: Unknown parameter 'foo'\n", "the first error read from the fd");
    CHECK_ERR(read(fd, msg, 3), EMSGSIZE, "a buffer too small for the next message");
    n = read(fd, msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    CHECK_STR(msg, "e tmpfs: Bad value for 'size'\n", "the second error");
    CHECK_ERR(read(fd, msg, sizeof msg), ENODATA, "no more messages");
    CHECK_ERR(syscall(FSCONFIG, fd, 99, NULL, NULL, 0), EOPNOTSUPP, "an unknown command");
    CHECK_ERR(syscall(FSMOUNT, fd, 0, 0), EINVAL, "fsmount before CMD_CREATE");
    CHECK_OK(syscall(FSCONFIG, fd, FSCONFIG_SET_STRING, "size", "128k", 0), "size=128k");
    CHECK_OK(syscall(FSCONFIG, fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0), "CMD_CREATE");
    CHECK_ERR(syscall(FSCONFIG, fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY, "CMD_CREATE twice");
    int mfd = syscall(FSMOUNT, fd, 0, 0);
    CHECK(mfd >= 0, "fsmount");
    CHECK_ERR(syscall(FSMOUNT, fd, 0, 0), EBUSY, "fsmount twice");
    CHECK_OK(syscall(MOVE_MOUNT, mfd, "", AT_FDCWD, mp, MOVE_MOUNT_F_EMPTY_PATH), "move_mount the new mount into place");
    struct statfs sf;
    CHECK(statfs(mp, &sf) == 0 && sf.f_type == TMPFS_MAGIC && (long long)sf.f_blocks * sf.f_bsize == 131072, "a 128k tmpfs is mounted there");
    close(mfd);

    int pick = syscall(FSPICK, AT_FDCWD, mp, 0);
    CHECK(pick >= 0, "fspick the mount");
    CHECK_OK(syscall(FSCONFIG, pick, FSCONFIG_SET_FLAG, "ro", NULL, 0), "ro");
    CHECK_OK(syscall(FSCONFIG, pick, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0), "CMD_RECONFIGURE");
    char f[400];
    snprintf(f, sizeof f, "%s/x", mp);
    CHECK_ERR(creat(f, 0644), EROFS, "the superblock is read-only now");
    CHECK_OK(syscall(FSCONFIG, pick, FSCONFIG_SET_FLAG, "rw", NULL, 0), "rw");
    CHECK_OK(syscall(FSCONFIG, pick, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0), "CMD_RECONFIGURE again");
    int w = creat(f, 0644);
    CHECK(w >= 0, "writable again");
    close(w);
    close(pick);

    const char *clone = P("clone");
    mkdir(clone, 0755);
    int tfd = syscall(OPEN_TREE, AT_FDCWD, mp, OPEN_TREE_CLONE);
    CHECK(tfd >= 0, "open_tree(OPEN_TREE_CLONE)");
    CHECK_ERR(syscall(OPEN_TREE, AT_FDCWD, mp, 0x8000 /* AT_RECURSIVE */), EINVAL, "AT_RECURSIVE without OPEN_TREE_CLONE");
    CHECK_OK(syscall(MOVE_MOUNT, tfd, "", AT_FDCWD, clone, MOVE_MOUNT_F_EMPTY_PATH), "attach the clone");
    snprintf(f, sizeof f, "%s/x", clone);
    CHECK(access(f, F_OK) == 0, "the clone shows the same filesystem");
    close(tfd);

    struct mattr at = { MOUNT_ATTR_RDONLY, 0, 0, 0 };
    CHECK_OK(syscall(MOUNT_SETATTR, AT_FDCWD, clone, 0, &at, sizeof at), "mount_setattr RDONLY on the clone");
    snprintf(f, sizeof f, "%s/y", clone);
    CHECK_ERR(creat(f, 0644), EROFS, "the clone is read-only");
    snprintf(f, sizeof f, "%s/y", mp);
    w = creat(f, 0644);
    CHECK(w >= 0, "the original mount stays writable");
    close(w);
    CHECK_ERR(syscall(MOUNT_SETATTR, AT_FDCWD, clone, 0, &at, 16), EINVAL, "a struct smaller than its first size");
    struct mattr bad = { 0, 0, MS_SHARED | MS_PRIVATE, 0 };
    CHECK_ERR(syscall(MOUNT_SETATTR, AT_FDCWD, clone, 0, &bad, sizeof bad), EINVAL, "two propagation types");
    int userns = open("/proc/self/ns/user", O_RDONLY);
    struct mattr idmap = { MOUNT_ATTR_IDMAP, 0, 0, (unsigned)userns };
    CHECK_ERR(syscall(MOUNT_SETATTR, AT_FDCWD, clone, 0, &idmap, sizeof idmap), EPERM, "an idmapping to the initial user namespace");
    close(userns);
    CHECK_OK(umount(clone), "umount the clone");
    CHECK_OK(umount(mp), "umount the new mount");
    close(fd);

    /* MOVE_MOUNT_BENEATH: a clone of A goes under B's mount at B's place */
    const char *da = P("beneath-a"), *db = P("beneath-b");
    mkdir(da, 0755);
    mkdir(db, 0755);
    CHECK_OK(mount("tmpfs", da, "tmpfs", 0, NULL), "mount tmpfs A");
    CHECK_OK(mount("tmpfs", db, "tmpfs", 0, NULL), "mount tmpfs B");
    snprintf(f, sizeof f, "%s/A", da);
    close(creat(f, 0644));
    snprintf(f, sizeof f, "%s/B", db);
    close(creat(f, 0644));
    int ta = syscall(OPEN_TREE, AT_FDCWD, da, OPEN_TREE_CLONE);
    int pb = open(db, O_PATH);
    CHECK_OK(syscall(MOVE_MOUNT, ta, "", pb, "", 0x200 /* MOVE_MOUNT_BENEATH */ | MOVE_MOUNT_F_EMPTY_PATH | 0x40 /* T_EMPTY_PATH */),
             "move_mount MOVE_MOUNT_BENEATH");
    close(ta);
    close(pb);
    snprintf(f, sizeof f, "%s/B", db);
    CHECK(access(f, F_OK) == 0, "B stays on top");
    snprintf(f, sizeof f, "%s/A", db);
    CHECK_ERR(access(f, F_OK), ENOENT, "A's clone is beneath it");
    CHECK_OK(umount(db), "umount the top (B)");
    CHECK(access(f, F_OK) == 0, "A's clone is uncovered");
    CHECK_OK(umount(db), "umount A's clone");
    CHECK_OK(umount(da), "umount A");
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    if (!vt_private_mounts("mount namespace tests"))
        return kt_done();
    snprintf(base, sizeof base, "%s", vt_mkshm("mountns"));
    ns_links();
    new_namespace();
    setns_back();
    propagation();
    pivot();
    uts();
    atime();
    ipc();
    new_api();
    vt_cleanup_shm();
    return kt_done();
}
