/* owner.c - Linux ownership and permissions in a directory: who owns what a
 * user creates (fsuid, fsgid, a set-group-ID directory's group and bit),
 * chown and chmod by the owner and by others, device nodes, search
 * permission on directories, a directory's link count.
 *
 *   owner [DIR]   (run as root; DIR is made if missing, and emptied;
 *                  default /tmp/ghost-owner-<pid>, removed at the end)
 *
 * The same checks hold on tmpfs and on a host directory (a -v mount under
 * Ghost; the host's own Linux under qemu-riscv64). The program runs as root
 * and drops to test users in children (setresgid/setresuid), each child
 * doing one operation and reporting its errno through its exit status. */
#include "ktest.h"
#include <dirent.h>
#include <grp.h>
#include <sys/sysmacros.h>
#include <sys/fsuid.h>

#define U1 1000
#define G1 1000
#define U2 1001
#define G2 1001
#define GS 3000 /* the set-group-ID directory's group: not one of U1's */

static char W[512];

static const char *P(const char *leaf)
{
    static char buf[4][640];
    static int n;
    char *b = buf[n++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", W, leaf);
    return b;
}

/* What a child does as a user: one operation; 0 or an errno. */
enum op { OP_CREAT, OP_CREAT0, OP_MKDIR, OP_CHMOD, OP_CHOWN, OP_OPEN_RD, OP_OPEN_WR, OP_CHDIR, OP_CHROOT, OP_STAT, OP_MKNOD_CHR, OP_MKFIFO, OP_UTIME, OP_CREAT_UMASK_XGRP, OP_MKNOD_UMASK_XGRP };
struct req { enum op op; const char *path; int mode; uid_t uid; gid_t gid; };

static int perform(const struct req *r)
{
    struct stat st;
    int fd, rc = 0;
    switch (r->op) {
    case OP_CREAT:
        fd = open(r->path, O_CREAT | O_EXCL | O_WRONLY, r->mode);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    case OP_CREAT0:
        /* The creating open succeeds whatever the new mode says (Linux checks no permission on the file it made). */
        fd = open(r->path, O_CREAT | O_EXCL | O_RDWR, 0);
        if (fd < 0)
            return errno;
        rc = write(fd, "made", 4) == 4 ? 0 : errno;
        close(fd);
        return rc;
    case OP_MKDIR: return mkdir(r->path, r->mode) ? errno : 0;
    case OP_CHMOD: return chmod(r->path, r->mode) ? errno : 0;
    case OP_CHOWN: return chown(r->path, r->uid, r->gid) ? errno : 0;
    case OP_OPEN_RD:
    case OP_OPEN_WR:
        fd = open(r->path, r->op == OP_OPEN_RD ? O_RDONLY : O_WRONLY);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    case OP_CHDIR: return chdir(r->path) ? errno : 0;
    case OP_CHROOT: return chroot(r->path) ? errno : 0;
    case OP_STAT: return stat(r->path, &st) ? errno : 0;
    case OP_MKNOD_CHR: return mknod(r->path, S_IFCHR | 0666, makedev(1, 3)) ? errno : 0;
    case OP_MKFIFO: return mkfifo(r->path, r->mode) ? errno : 0;
    case OP_UTIME: return utimes(r->path, NULL) ? errno : 0;
    case OP_CREAT_UMASK_XGRP:
        /* The umask takes S_IXGRP away only after the set-group-ID bit was judged (vfs_prepare_mode). */
        umask(S_IXGRP);
        fd = open(r->path, O_CREAT | O_EXCL | O_WRONLY, r->mode);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    case OP_MKNOD_UMASK_XGRP:
        umask(S_IXGRP);
        return mknod(r->path, S_IFREG | r->mode, 0) ? errno : 0;
    }
    return EINVAL;
}

/* Runs the request as uid/gid (effective = real = saved; fsgid = egid) with
 * the supplementary groups given; returns 0 or the errno, or -1 on trouble. */
static int as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups, struct req r)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        umask(022);
        if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
            _exit(255);
        _exit(perform(&r));
    }
    int st = 0;
    if (vt_waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}
static int u1(struct req r) { return as_user(U1, G1, 0, NULL, r); }
static int u2(struct req r) { return as_user(U2, G2, 0, NULL, r); }

#define CHECK_AS(got, want, desc) CHECK_EQ((got), (want), desc)

static struct stat S(const char *path)
{
    struct stat st;
    memset(&st, 0xff, sizeof st);
    lstat(path, &st);
    return st;
}

static void creation_owner(void)
{
    CHECK_OK(mkdir(P("d"), 0777), "root: mkdir d");
    CHECK_OK(chmod(P("d"), 0777), "root: chmod d 0777");
    CHECK_AS(u1((struct req){ OP_CREAT, P("d/f"), 0644 }), 0, "user 1000: create d/f");
    struct stat st = S(P("d/f"));
    CHECK(st.st_uid == U1 && st.st_gid == G1, "d/f is owned by the creator's fsuid and fsgid (1000:1000)");
    CHECK_EQ(st.st_mode & 07777, 0644, "d/f has the mode asked for less the umask");
    CHECK_AS(u1((struct req){ OP_MKDIR, P("d/sub"), 0755 }), 0, "user 1000: mkdir d/sub");
    st = S(P("d/sub"));
    CHECK(st.st_uid == U1 && st.st_gid == G1, "d/sub is owned by 1000:1000");
    CHECK_AS(u1((struct req){ OP_MKFIFO, P("d/fifo"), 0600 }), 0, "user 1000: mkfifo d/fifo");
    st = S(P("d/fifo"));
    CHECK(S_ISFIFO(st.st_mode) && st.st_uid == U1 && st.st_gid == G1, "d/fifo is a FIFO owned by 1000:1000");

    /* fsgid follows the effective gid: made with egid 1002, group 1002. */
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) || setresgid(G1, 1002, G1) || setresuid(U1, U1, U1))
            _exit(255);
        int fd = open(P("d/g1002"), O_CREAT | O_EXCL | O_WRONLY, 0600);
        _exit(fd < 0 ? errno : 0);
    }
    CHECK_EQ(vt_reap(pid), 0, "user 1000 with egid 1002: create d/g1002");
    st = S(P("d/g1002"));
    CHECK(st.st_uid == U1 && st.st_gid == 1002, "d/g1002's group is the fsgid (1002)");
    pid = fork();
    if (pid == 0) {
        /* setfsuid/setfsgid alone (euid stays root): the file takes the fs ids. */
        setfsgid(1003);
        setfsuid(1004);
        int fd = open(P("d/fs1004"), O_CREAT | O_EXCL | O_WRONLY, 0600);
        _exit(fd < 0 ? errno : 0);
    }
    CHECK_EQ(vt_reap(pid), 0, "root with fsuid 1004, fsgid 1003: create d/fs1004");
    st = S(P("d/fs1004"));
    CHECK(st.st_uid == 1004 && st.st_gid == 1003, "d/fs1004 is owned by fsuid:fsgid (1004:1003)");

    /* The creator may open what it made with mode 0, once. */
    CHECK_AS(u1((struct req){ OP_CREAT0, P("d/zero") }), 0, "user 1000: open(O_CREAT|O_RDWR, 0) and write");
    st = S(P("d/zero"));
    CHECK(st.st_uid == U1 && (st.st_mode & 07777) == 0 && st.st_size == 4, "d/zero: 1000's, mode 0, 4 bytes");
    CHECK_AS(u1((struct req){ OP_OPEN_RD, P("d/zero") }), EACCES, "user 1000: reopening mode-0 d/zero is EACCES");
    int fd = open(P("d/zero"), O_RDWR);
    CHECK(fd >= 0, "root opens mode-0 d/zero read-write");
    if (fd >= 0)
        close(fd);
}

static void chown_chmod(void)
{
    CHECK_AS(u1((struct req){ OP_CHMOD, P("d/f"), 0600 }), 0, "owner 1000: chmod d/f 0600");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 0600, "d/f is 0600");
    CHECK_AS(u2((struct req){ OP_CHMOD, P("d/f"), 0666 }), EPERM, "user 1001: chmod of 1000's d/f is EPERM");
    CHECK_AS(u2((struct req){ OP_CHOWN, P("d/f"), .uid = U2, .gid = -1 }), EPERM, "user 1001: chown of 1000's d/f is EPERM");
    CHECK_AS(u1((struct req){ OP_CHOWN, P("d/f"), .uid = U2, .gid = -1 }), EPERM, "owner 1000: giving d/f away is EPERM");
    CHECK_AS(u1((struct req){ OP_CHOWN, P("d/f"), .uid = -1, .gid = G2 }), EPERM, "owner 1000: chgrp to a group not its own is EPERM");
    gid_t extra = 1005;
    CHECK_AS(as_user(U1, G1, 1, &extra, (struct req){ OP_CHOWN, P("d/f"), .uid = -1, .gid = 1005 }), 0, "owner 1000 in group 1005: chgrp d/f 1005");
    struct stat st = S(P("d/f"));
    CHECK(st.st_uid == U1 && st.st_gid == 1005, "d/f is 1000:1005");
    CHECK_AS(u2((struct req){ OP_OPEN_RD, P("d/f") }), EACCES, "user 1001: reading 0600 d/f is EACCES");
    CHECK_AS(u1((struct req){ OP_OPEN_WR, P("d/f") }), 0, "owner 1000: opening d/f for writing");
    CHECK_OK(chown(P("d/f"), U2, G2), "root: chown d/f 1001:1001");
    st = S(P("d/f"));
    CHECK(st.st_uid == U2 && st.st_gid == G2, "d/f is 1001:1001");
    CHECK_AS(u2((struct req){ OP_OPEN_WR, P("d/f") }), 0, "new owner 1001: opens d/f for writing");
    CHECK_AS(u1((struct req){ OP_OPEN_RD, P("d/f") }), EACCES, "old owner 1000: reading 0600 d/f is EACCES");
    CHECK_AS(u2((struct req){ OP_UTIME, P("d/f") }), 0, "owner 1001: utimes(NULL) on d/f");
    CHECK_OK(chmod(P("d/f"), 04755), "root: chmod d/f 04755");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 04755, "d/f keeps set-user-ID");
    CHECK_AS(u2((struct req){ OP_CHOWN, P("d/f"), .uid = -1, .gid = G2 }), 0, "owner 1001: chown d/f -1:1001");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 0755, "chown clears set-user-ID");
    /* chown_common asks notify_change to kill set-id bits of a non-directory,
       root or not, even for chown(-1, -1): set-user-ID always, set-group-ID
       only when group-executable (otherwise it is kept by a caller in the
       group or with CAP_FSETID: setattr_should_drop_sgid) */
    CHECK_OK(chmod(P("d/f"), 06755), "root: chmod d/f 06755");
    CHECK_OK(chown(P("d/f"), -1, -1), "root: chown d/f -1:-1");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 0755, "root's chown(-1, -1) clears both set-id bits of 06755");
    CHECK_OK(chmod(P("d/f"), 06700), "root: chmod d/f 06700");
    CHECK_OK(chown(P("d/f"), U2, G2), "root: chown d/f 1001:1001");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 02700, "root's chown keeps a set-group-ID without group execute");
    CHECK_AS(u2((struct req){ OP_CHOWN, P("d/f"), .uid = -1, .gid = G2 }), 0, "owner 1001 in group 1001: chown d/f -1:1001");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 02700, "so does the owner's in the file's group");
    CHECK_OK(chown(P("d/f"), U2, GS), "root: chown d/f 1001:3000");
    CHECK_AS(u2((struct req){ OP_CHOWN, P("d/f"), .uid = -1, .gid = -1 }), 0, "owner 1001, not in group 3000: chown d/f -1:-1");
    CHECK_EQ(S(P("d/f")).st_mode & 07777, 0700, "which drops the set-group-ID bit");
    CHECK_OK(chown(P("d/f"), U2, G2), "root: chown d/f 1001:1001 again");
    CHECK_OK(chmod(P("d/f"), 0755), "root: chmod d/f 0755");
    CHECK_OK(chmod(P("d/sub"), 06755), "root: chmod d/sub 06755");
    CHECK_OK(chown(P("d/sub"), -1, -1), "root: chown d/sub -1:-1");
    CHECK_EQ(S(P("d/sub")).st_mode & 07777, 06755, "a directory keeps its set-id bits");
    CHECK_OK(chmod(P("d/sub"), 01777), "root: chmod d/sub 01777 (sticky)");
    CHECK_EQ(S(P("d/sub")).st_mode & 07777, 01777, "d/sub is 01777");
}

static void setgid_dirs(void)
{
    CHECK_OK(mkdir(P("g"), 0777), "root: mkdir g");
    CHECK_OK(chown(P("g"), 0, GS), "root: chown g 0:3000");
    CHECK_OK(chmod(P("g"), 02777), "root: chmod g 02777");
    CHECK_EQ(S(P("g")).st_mode & 07777, 02777, "g is 02777");
    CHECK_AS(u1((struct req){ OP_CREAT, P("g/f"), 0644 }), 0, "user 1000: create g/f");
    struct stat st = S(P("g/f"));
    CHECK(st.st_uid == U1 && st.st_gid == GS, "g/f takes g's group (3000)");
    CHECK_EQ(st.st_mode & 07777, 0644, "g/f has no set-group-ID bit");
    CHECK_AS(u1((struct req){ OP_MKDIR, P("g/sub"), 0755 }), 0, "user 1000: mkdir g/sub");
    st = S(P("g/sub"));
    CHECK(st.st_uid == U1 && st.st_gid == GS, "g/sub takes g's group (3000)");
    CHECK_EQ(st.st_mode & 07777, 02755, "g/sub inherits set-group-ID");
    CHECK_AS(u1((struct req){ OP_MKDIR, P("g/sub/deeper"), 0700 }), 0, "user 1000: mkdir g/sub/deeper");
    st = S(P("g/sub/deeper"));
    CHECK(st.st_gid == GS && (st.st_mode & 07777) == 02700, "g/sub/deeper: group 3000, 02700");
    CHECK_AS(u1((struct req){ OP_CREAT, P("g/sx"), 02755 }), 0, "user 1000 (not in 3000): create g/sx 02755");
    CHECK_EQ(S(P("g/sx")).st_mode & 07777, 0755, "g/sx: set-group-ID dropped (not in the group)");
    CHECK_AS(u1((struct req){ OP_CREAT_UMASK_XGRP, P("g/sxm"), 02777 }), 0, "user 1000, umask 010: create g/sxm 02777");
    CHECK_EQ(S(P("g/sxm")).st_mode & 07777, 0767, "g/sxm: set-group-ID dropped before the umask took S_IXGRP");
    CHECK_AS(u1((struct req){ OP_MKNOD_UMASK_XGRP, P("g/sxn"), 02777 }), 0, "user 1000, umask 010: mknod g/sxn S_IFREG 02777");
    CHECK_EQ(S(P("g/sxn")).st_mode & 07777, 0767, "g/sxn: set-group-ID dropped before the umask");
    int fd = open(P("g/rootsx"), O_CREAT | O_EXCL | O_WRONLY, 02755);
    if (fd >= 0)
        close(fd);
    CHECK_EQ(S(P("g/rootsx")).st_mode & 07777, 02755, "root: g/rootsx keeps 02755 (CAP_FSETID)");
    CHECK_OK(mkdir(P("n"), 0777), "root: mkdir n (no set-group-ID)");
    CHECK_OK(chmod(P("n"), 0777), "root: chmod n 0777");
    CHECK_AS(u1((struct req){ OP_MKDIR, P("n/sub"), 0755 }), 0, "user 1000: mkdir n/sub");
    st = S(P("n/sub"));
    CHECK(st.st_gid == G1 && (st.st_mode & 07777) == 0755, "n/sub: the creator's group, no set-group-ID");
    /* chmod g+s by the owner who is not in the file's group: the bit is dropped silently. */
    CHECK_AS(u1((struct req){ OP_CHMOD, P("g/f"), 02755 }), 0, "owner 1000: chmod g/f 02755 (group 3000 not its own)");
    CHECK_EQ(S(P("g/f")).st_mode & 07777, 0755, "g/f: set-group-ID dropped");
}

static void devices(void)
{
    int r = mknod(P("null"), S_IFCHR | 0666, makedev(1, 3));
    if (r < 0 && kt_qemu() && errno == EPERM) {
        kt_skip("device nodes", "the host refuses mknod (a container without CAP_MKNOD)");
        return;
    }
    CHECK_OK(r, "root: mknod null c 1 3");
    struct stat st = S(P("null"));
    CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3, "null is a character device 1:3");
    CHECK_EQ(st.st_mode & 07777, 0644, "null is 0644 (0666 less the umask)");
    int fd = open(P("null"), O_RDWR);
    if (fd < 0 && kt_qemu() && errno == EACCES) {
        kt_skip("opening device nodes", "the host directory is on a nodev mount");
    } else {
        CHECK(fd >= 0, "open null");
        char b[4];
        CHECK_EQ(write(fd, "xyz", 3), 3, "write to null takes 3 bytes");
        CHECK_EQ(read(fd, b, sizeof b), 0, "read from null is end of file");
        close(fd);
        CHECK_OK(mknod(P("zero"), S_IFCHR | 0644, makedev(1, 5)), "root: mknod zero c 1 5");
        fd = open(P("zero"), O_RDONLY);
        memset(b, 'x', sizeof b);
        CHECK(fd >= 0 && read(fd, b, sizeof b) == 4 && b[0] == 0 && b[3] == 0, "read from zero gives zeros");
        if (fd >= 0)
            close(fd);
    }
    CHECK_OK(mknod(P("blk"), S_IFBLK | 0600, makedev(7, 0)), "root: mknod blk b 7 0");
    st = S(P("blk"));
    CHECK(S_ISBLK(st.st_mode) && major(st.st_rdev) == 7 && minor(st.st_rdev) == 0, "blk is a block device 7:0");
    CHECK_AS(u1((struct req){ OP_MKNOD_CHR, P("d/null") }), EPERM, "user 1000: mknod of a device is EPERM");
    CHECK_OK(chown(P("null"), U1, G1), "root: chown null 1000:1000");
    st = S(P("null"));
    CHECK(S_ISCHR(st.st_mode) && st.st_uid == U1 && st.st_gid == G1, "null is still a device, now 1000:1000");
    CHECK_OK(rename(P("null"), P("null2")), "rename null null2");
    CHECK(S_ISCHR(S(P("null2")).st_mode), "null2 is the device");
    CHECK_OK(unlink(P("null2")), "unlink null2");
    fd = open(P("null2"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    CHECK(fd >= 0, "create a regular file null2 in its place");
    if (fd >= 0)
        close(fd);
    st = S(P("null2"));
    CHECK(S_ISREG(st.st_mode) && st.st_uid == 0, "the new null2 is a regular file of root's");
    /* readdir's types are the guest's. */
    DIR *d = opendir(W);
    int blk_type = -1;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, "blk") == 0)
            blk_type = e->d_type;
    if (d)
        closedir(d);
    CHECK_EQ(blk_type, DT_BLK, "readdir says blk is DT_BLK");
}

static void search_permission(void)
{
    CHECK_OK(mkdir(P("s"), 0777), "root: mkdir s");
    CHECK_OK(vt_put(P("s/f"), "hi", 0644), "root: create s/f");
    CHECK_OK(mkdir(P("s/in"), 0777), "root: mkdir s/in");
    CHECK_OK(chmod(P("s"), 0666), "root: chmod s 0666 (no search)");
    CHECK_AS(u1((struct req){ OP_OPEN_RD, P("s/f") }), EACCES, "user 1000: open s/f is EACCES");
    CHECK_AS(u1((struct req){ OP_STAT, P("s/f") }), EACCES, "user 1000: stat s/f is EACCES");
    CHECK_AS(u1((struct req){ OP_CHDIR, P("s") }), EACCES, "user 1000: chdir s is EACCES");
    CHECK_AS(u1((struct req){ OP_CHDIR, P("s/in") }), EACCES, "user 1000: chdir s/in is EACCES");
    CHECK_AS(u1((struct req){ OP_CHROOT, P("s") }), EACCES, "user 1000: chroot s is EACCES (before EPERM)");
    CHECK_AS(u1((struct req){ OP_CHROOT, P("d") }), EPERM, "user 1000: chroot d (searchable) is EPERM");
    CHECK_AS(u1((struct req){ OP_STAT, P("s") }), 0, "user 1000: stat s itself is allowed");
    CHECK_OK(chmod(P("s"), 0711), "root: chmod s 0711 (search only)");
    CHECK_AS(u1((struct req){ OP_OPEN_RD, P("s/f") }), 0, "user 1000: open s/f through a search-only s");
    CHECK_AS(u1((struct req){ OP_CREAT, P("s/new"), 0644 }), EACCES, "user 1000: create in 0711 s is EACCES");
    char b[8];
    CHECK(vt_get(P("s/f"), b, sizeof b) == 2, "root reads s/f");
}

static void link_counts(void)
{
    CHECK_OK(mkdir(P("l"), 0755), "mkdir l");
    CHECK_EQ(S(P("l")).st_nlink, 2, "an empty directory has 2 links");
    CHECK_OK(mkdir(P("l/a"), 0755), "mkdir l/a");
    CHECK_OK(mkdir(P("l/b"), 0755), "mkdir l/b");
    CHECK_OK(vt_put(P("l/file"), "", 0644), "create l/file");
    CHECK_EQ(S(P("l")).st_nlink, 4, "l with 2 subdirectories has 4 links");
    CHECK_OK(rename(P("l/b"), P("d/b")), "move l/b out");
    CHECK_EQ(S(P("l")).st_nlink, 3, "l has 3 links");
    CHECK_OK(rmdir(P("l/a")), "rmdir l/a");
    CHECK_EQ(S(P("l")).st_nlink, 2, "l has 2 links again");
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    if (getuid() != 0) {
        kt_skip("ownership", "needs root");
        return kt_done();
    }
    umask(022);
    if (argc > 1)
        snprintf(W, sizeof W, "%s", argv[1]);
    else
        snprintf(W, sizeof W, "/tmp/ghost-owner-%d", (int)getpid());
    mkdir(W, 0755);
    chmod(W, 0755);
    DIR *d = opendir(W);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            kt_rmtree_at(dirfd(d), e->d_name);
    if (d)
        closedir(d);
    creation_owner();
    chown_chmod();
    setgid_dirs();
    devices();
    search_permission();
    link_counts();
    if (argc <= 1) {
        chmod(P("s"), 0755);
        kt_rmtree_at(AT_FDCWD, W);
    }
    return kt_done();
}
