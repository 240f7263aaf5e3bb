/* mounts.c - mount(2) and umount2(2): tmpfs with size= and ENOSPC,
 * nr_inodes=, mode=, MS_RDONLY and EROFS, remount ro/rw (EBUSY with a
 * writer), bind mounts and read-only bind remounts, shadowing, stacking,
 * umount2 EBUSY while a file is open, MNT_DETACH, noexec, /proc/self/mounts,
 * errors. Under qemu-user the program first unshares its mount namespace so
 * the host's mounts are never touched (skipped if that is impossible). */
#include "ktest.h"
#include "privns.h"
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>

static char base[256];

static const char *P(const char *leaf)
{
    static char bufs[16][400];
    static int next;
    char *b = bufs[next++ & 15];
    snprintf(b, sizeof bufs[0], "%s/%s", base, leaf);
    return b;
}

/* The line of /proc/self/mounts for mount point `mp`, or "" */
static const char *mounts_line(const char *mp)
{
    static char buf[65536], line[1024];
    line[0] = 0;
    if (vt_get("/proc/self/mounts", buf, sizeof buf) < 0)
        return line;
    for (char *s = buf; s && *s;) {
        char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char dev[256], dir[512];
        if (sscanf(s, "%255s %511s", dev, dir) == 2 && strcmp(dir, mp) == 0) {
            /* keep the last (topmost) one */
            snprintf(line, sizeof line, "%.*s", (int)n, s);
        }
        s = nl ? nl + 1 : NULL;
    }
    return line;
}

static void tmpfs_size(void)
{
    const char *mp = P("sized");
    mkdir(mp, 0755);
    CHECK_OK(mount("tmpfs", mp, "tmpfs", 0, "size=64k"), "mount tmpfs size=64k");
    struct statfs sf;
    statfs(mp, &sf);
    CHECK_EQ(sf.f_type, TMPFS_MAGIC, "the new mount is a tmpfs");
    CHECK_EQ((long long)sf.f_blocks * sf.f_bsize, 65536, "f_blocks * f_bsize is 64 KiB");
    CHECK_EQ(sf.f_bfree, sf.f_blocks, "an empty tmpfs is all free");
    const char *line = mounts_line(mp);
    kt_check(strstr(line, " tmpfs ") != NULL && strstr(line, "rw") != NULL, "/proc/self/mounts lists it as tmpfs rw",
             "line \"%s\"", line);
    char f[512];
    snprintf(f, sizeof f, "%s/fill", mp);
    int fd = open(f, O_WRONLY | O_CREAT, 0644);
    static char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    long long total = 0;
    int err = 0;
    for (int i = 0; i < 40; i++) {
        ssize_t w = write(fd, chunk, sizeof chunk);
        if (w < 0) {
            err = errno;
            break;
        }
        total += w;
    }
    CHECK_EQ(err, ENOSPC, "writing past size= fails with ENOSPC");
    CHECK_EQ(total, 65536, "exactly 64 KiB fit");
    statfs(mp, &sf);
    CHECK_EQ(sf.f_bfree, 0, "f_bfree is 0 when full");
    char g[512];
    snprintf(g, sizeof g, "%s/other", mp);
    int fd2 = open(g, O_WRONLY | O_CREAT, 0644);
    CHECK_OK(fd2, "creating an empty file in a full tmpfs works (no data blocks)");
    CHECK_ERR(write(fd2, "y", 1), ENOSPC, "but writing a byte to it is ENOSPC");
    CHECK_ERR(ftruncate(fd2, 0) == 0 ? fallocate(fd2, 0, 0, 4096) : -1, ENOSPC, "fallocate in a full tmpfs is ENOSPC");
    close(fd2);
    CHECK_OK(ftruncate(fd, 8192), "shrink the big file");
    statfs(mp, &sf);
    CHECK_EQ((long long)sf.f_bfree * sf.f_bsize, 65536 - 8192, "shrinking frees its blocks");
    CHECK_EQ(pwrite(fd, chunk, 4096, 8192), 4096, "there is room again");
    close(fd);
    unlink(f);
    statfs(mp, &sf);
    CHECK_EQ(sf.f_bfree, sf.f_blocks, "unlinking frees everything");
    CHECK_OK(umount(mp), "umount the sized tmpfs");

    CHECK_OK(mount("tmpfs", mp, "tmpfs", 0, "nr_inodes=4,mode=0700,uid=1000,gid=1001"), "mount tmpfs nr_inodes=4,mode=0700,uid=1000");
    struct stat st;
    stat(mp, &st);
    CHECK_EQ(st.st_mode, S_IFDIR | 0700, "mode= sets the root directory's mode");
    CHECK(st.st_uid == 1000 && st.st_gid == 1001, "uid=/gid= set the root directory's owner");
    int made = 0, e = 0;
    for (int i = 0; i < 10; i++) {
        char n[512];
        snprintf(n, sizeof n, "%s/i%d", mp, i);
        int c = open(n, O_WRONLY | O_CREAT, 0644);
        if (c < 0) {
            e = errno;
            break;
        }
        close(c);
        made++;
    }
    CHECK_EQ(e, ENOSPC, "creating more files than nr_inodes allows is ENOSPC");
    CHECK_EQ(made, 3, "nr_inodes=4 leaves room for 3 files beside the root");
    CHECK_OK(umount(mp), "umount");
}

static void readonly(void)
{
    const char *mp = P("ro");
    mkdir(mp, 0755);
    CHECK_OK(mount("tmpfs", mp, "tmpfs", MS_RDONLY, NULL), "mount tmpfs MS_RDONLY");
    char f[512];
    snprintf(f, sizeof f, "%s/x", mp);
    CHECK_ERR(open(f, O_WRONLY | O_CREAT, 0644), EROFS, "creating on a read-only mount is EROFS");
    CHECK_ERR(mkdir(f, 0755), EROFS, "mkdir on a read-only mount is EROFS");
    CHECK_ERR(access(mp, W_OK), EROFS, "access(W_OK) on a read-only mount is EROFS");
    CHECK_ERR(chmod(mp, 0777), EROFS, "chmod on a read-only mount is EROFS");
    /* do_linkat: the read-only mount is EROFS before the directory's EPERM. */
    CHECK_ERR(link(mp, f), EROFS, "link of the mount's root directory into it is EROFS");
    struct statvfs sv;
    statvfs(mp, &sv);
    CHECK(sv.f_flag & ST_RDONLY, "statvfs reports ST_RDONLY");
    const char *line = mounts_line(mp);
    kt_check(strstr(line, " ro") != NULL, "/proc/self/mounts shows ro", "line \"%s\"", line);
    CHECK_OK(mount(NULL, mp, NULL, MS_REMOUNT, NULL), "remount read-write");
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    CHECK_OK(fd, "creating works after remount rw");
    write(fd, "data", 4);
    CHECK_ERR(mount(NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL), EBUSY, "remount ro with a file open for writing is EBUSY");
    close(fd);
    CHECK_OK(mount(NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL), "remount ro once the writer closed");
    CHECK_ERR(open(f, O_WRONLY), EROFS, "opening an existing file for writing is EROFS");
    CHECK_ERR(unlink(f), EROFS, "unlink is EROFS");
    CHECK_ERR(truncate(f, 0), EROFS, "truncate is EROFS");
    char b[8];
    CHECK_EQ(vt_get(f, b, sizeof b), 4, "reading still works");
    CHECK_OK(umount(mp), "umount the read-only tmpfs");
}

static void binds(void)
{
    const char *src = P("src"), *dst = P("bind");
    mkdir(src, 0755);
    mkdir(dst, 0755);
    char f[512], g[512], b[32];
    snprintf(f, sizeof f, "%s/orig", src);
    vt_put(f, "original", 0644);
    snprintf(g, sizeof g, "%s/under", dst);
    vt_put(g, "hidden", 0644);
    CHECK_OK(mount(src, dst, NULL, MS_BIND, NULL), "bind mount a directory");
    snprintf(g, sizeof g, "%s/orig", dst);
    CHECK(vt_get(g, b, sizeof b) == 8 && strcmp(b, "original") == 0, "the bind mount shows the source's files");
    snprintf(g, sizeof g, "%s/under", dst);
    CHECK_ERR(access(g, F_OK), ENOENT, "the mount point's own files are shadowed");
    snprintf(g, sizeof g, "%s/new", dst);
    vt_put(g, "via bind", 0644);
    snprintf(f, sizeof f, "%s/new", src);
    CHECK_EQ(vt_get(f, b, sizeof b), 8, "a file created through the bind appears in the source");
    struct stat a, c;
    stat(f, &a);
    stat(g, &c);
    CHECK(a.st_ino == c.st_ino && a.st_dev == c.st_dev, "both names are one inode (same st_dev)");
    CHECK_ERR(link(f, P("bind/hard")), EXDEV, "link across a bind mount boundary is EXDEV");
    CHECK_OK(mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), "remount the bind read-only");
    CHECK_ERR(open(g, O_WRONLY), EROFS, "writing through the read-only bind is EROFS");
    int fd = open(f, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "!", 1) == 1, "writing through the source still works");
    close(fd);
    CHECK_OK(umount(dst), "umount the bind");
    snprintf(g, sizeof g, "%s/under", dst);
    CHECK_EQ(vt_get(g, b, sizeof b), 6, "after umount the shadowed file is back");

    /* stacking two mounts on one point */
    CHECK_OK(mount("tmpfs", dst, "tmpfs", 0, NULL), "mount tmpfs #1");
    snprintf(g, sizeof g, "%s/one", dst);
    vt_put(g, "1", 0644);
    CHECK_OK(mount("tmpfs", dst, "tmpfs", 0, NULL), "mount tmpfs #2 on the same point");
    CHECK_ERR(access(g, F_OK), ENOENT, "the second hides the first");
    CHECK_OK(umount(dst), "umount the top one");
    CHECK_OK(access(g, F_OK), "the first one is visible again");
    CHECK_OK(umount(dst), "umount the first one");

    /* a recursive bind carries submounts */
    const char *sub = P("src/sub");
    mkdir(sub, 0755);
    mount("tmpfs", sub, "tmpfs", 0, NULL);
    snprintf(g, sizeof g, "%s/insub", sub);
    vt_put(g, "s", 0644);
    CHECK_OK(mount(src, dst, NULL, MS_BIND | MS_REC, NULL), "MS_BIND|MS_REC");
    snprintf(g, sizeof g, "%s/sub/insub", dst);
    CHECK_OK(access(g, F_OK), "a recursive bind shows the source's submounts");
    CHECK_OK(umount2(dst, MNT_DETACH), "lazy umount of the recursive bind");
    CHECK_ERR(access(g, F_OK), ENOENT, "it is gone");
    umount(sub);
}

static void busy(void)
{
    const char *mp = P("busy");
    mkdir(mp, 0755);
    mount("tmpfs", mp, "tmpfs", 0, NULL);
    char f[512], b[32];
    snprintf(f, sizeof f, "%s/file", mp);
    vt_put(f, "still here", 0644);
    int fd = open(f, O_RDONLY);
    CHECK_ERR(umount(mp), EBUSY, "umount with an open file is EBUSY");
    close(fd);
    int here = open(".", O_RDONLY | O_DIRECTORY);
    chdir(mp);
    CHECK_ERR(umount(mp), EBUSY, "umount of the cwd's mount is EBUSY");
    fchdir(here);
    close(here);
    fd = open(f, O_RDONLY);
    CHECK_OK(umount2(mp, MNT_DETACH), "umount2 MNT_DETACH with an open file");
    CHECK_ERR(access(f, F_OK), ENOENT, "the path no longer reaches the detached filesystem");
    CHECK(read(fd, b, sizeof b) == 10 && memcmp(b, "still here", 10) == 0, "the open fd still reads the detached file");
    const char *line = mounts_line(mp);
    CHECK_STR(line, "", "the detached mount is gone from /proc/self/mounts");
    close(fd);

    CHECK_ERR(umount(mp), EINVAL, "umount of a non-mount point is EINVAL");
    CHECK_ERR(umount(P("nonexistent")), ENOENT, "umount of a missing path is ENOENT");
    CHECK_ERR(mount("tmpfs", P("nonexistent"), "tmpfs", 0, NULL), ENOENT, "mount on a missing path is ENOENT");
    vt_put(P("afile"), "", 0644);
    CHECK_ERR(mount("tmpfs", P("afile"), "tmpfs", 0, NULL), ENOTDIR, "mount of a tmpfs on a file is ENOTDIR");
    CHECK_ERR(mount("none", mp, "nosuchfs", 0, NULL), ENODEV, "an unknown filesystem type is ENODEV");
    CHECK_ERR(mount("none", mp, NULL, 0, NULL), EINVAL, "no filesystem type at all is EINVAL");
    CHECK_ERR(mount(NULL, mp, "ext2", 0, NULL), EINVAL, "a device filesystem without a source is EINVAL");
    CHECK_ERR(umount2(mp, 0x100), EINVAL, "umount2 with an unknown flag is EINVAL");
    /* MNT_EXPIRE: the first call marks the mount (EAGAIN), a second unmounts
     * it, unless a walk used the mount in between (that unmarks it) */
    CHECK_OK(mount("tmpfs", mp, "tmpfs", 0, NULL), "mount a tmpfs to expire");
    CHECK_ERR(umount2(mp, MNT_EXPIRE | MNT_FORCE), EINVAL, "MNT_EXPIRE with MNT_FORCE is EINVAL");
    CHECK_ERR(umount2(mp, MNT_EXPIRE), EAGAIN, "the first MNT_EXPIRE marks the mount: EAGAIN");
    CHECK_OK(access(mp, F_OK), "a walk into the marked mount");
    CHECK_ERR(umount2(mp, MNT_EXPIRE), EAGAIN, "after a use the mount is unmarked: EAGAIN again");
    CHECK_OK(umount2(mp, MNT_EXPIRE), "an unused marked mount expires");
    CHECK_STR(mounts_line(mp), "", "it is gone from /proc/self/mounts");
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        setgid(1000);
        setuid(1000);
        int bad = 0;
        if (mount("tmpfs", mp, "tmpfs", 0, NULL) != -1 || errno != EPERM)
            bad |= 1;
        if (umount("/proc") != -1 || errno != EPERM)
            bad |= 2;
        _exit(bad);
    }
    int r = vt_reap(pid);
    CHECK_EQ(r & 1, 0, "mount as uid 1000 is EPERM");
    CHECK_EQ(r & 2, 0, "umount as uid 1000 is EPERM");
}

static void flags(void)
{
    const char *mp = P("flags");
    mkdir(mp, 0755);
    CHECK_OK(mount("tmpfs", mp, "tmpfs", MS_NOEXEC | MS_NOSUID, NULL), "mount tmpfs noexec,nosuid");
    char f[512];
    snprintf(f, sizeof f, "%s/prog", mp);
    int in = open(vt_self, O_RDONLY), out = open(f, O_WRONLY | O_CREAT, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, (size_t)n);
    close(in);
    close(out);
    CHECK_ERR(access(f, X_OK), EACCES, "access(X_OK) on a noexec mount is EACCES");
    if (kt_qemu()) {
        kt_skip("execve on a noexec mount is EACCES", "qemu-user runs programs without execve");
    } else {
        char *argv[] = {f, NULL};
        CHECK_ERR(execve(f, argv, argv + 1), EACCES, "execve on a noexec mount is EACCES");
    }
    struct statvfs sv;
    statvfs(mp, &sv);
    CHECK((sv.f_flag & ST_NOEXEC) && (sv.f_flag & ST_NOSUID), "statvfs reports ST_NOEXEC|ST_NOSUID");
    const char *line = mounts_line(mp);
    kt_check(strstr(line, "noexec") && strstr(line, "nosuid"), "/proc/self/mounts shows nosuid,noexec", "line \"%s\"", line);
    umount(mp);

    /* MS_NODEV: a device node on the mount does not open (EACCES, even
     * for a device that does not exist: may_open_dev comes first). */
    CHECK_OK(mount("tmpfs", mp, "tmpfs", MS_NODEV, NULL), "mount tmpfs nodev");
    char dn[512], bn[512];
    snprintf(dn, sizeof dn, "%s/null", mp);
    snprintf(bn, sizeof bn, "%s/blk00", mp);
    CHECK_OK(mknod(dn, S_IFCHR | 0666, makedev(1, 3)), "mknod a null device on the nodev mount");
    CHECK_OK(mknod(bn, S_IFBLK | 0666, 0), "mknod a block device 0:0 on the nodev mount");
    CHECK_ERR(open(dn, O_RDWR), EACCES, "a char device on a nodev mount is EACCES");
    CHECK_ERR(open(bn, O_RDWR), EACCES, "a block device on a nodev mount is EACCES");
    CHECK_OK(mount(NULL, mp, NULL, MS_REMOUNT, NULL), "remount without nodev");
    int nfd = open(dn, O_RDWR);
    CHECK(nfd >= 0, "the char device opens once the mount allows devices");
    if (nfd >= 0)
        close(nfd);
    unlink(dn);
    unlink(bn);
    umount(mp);

    /* MS_NOSYMFOLLOW: a symlink on the mount is not followed (ELOOP), readlink still reads it; statfs and
     * /proc/self/mounts show it; a remount without it follows again. */
    CHECK_OK(mount("tmpfs", mp, "tmpfs", MS_NOSYMFOLLOW, NULL), "mount tmpfs nosymfollow");
    char lnk[512], tgt[512], rb[512];
    snprintf(tgt, sizeof tgt, "%s/target", mp);
    snprintf(lnk, sizeof lnk, "%s/link", mp);
    vt_put(tgt, "t", 0644);
    CHECK_OK(symlink(tgt, lnk), "symlink on it");
    CHECK_ERR(open(lnk, O_RDONLY), ELOOP, "open through a symlink on a nosymfollow mount is ELOOP");
    CHECK(readlink(lnk, rb, sizeof rb) == (ssize_t)strlen(tgt), "readlink of it still works");
    struct statfs sf;
    CHECK(statfs(mp, &sf) == 0 && (sf.f_flags & 0x2000 /* ST_NOSYMFOLLOW */), "statfs reports ST_NOSYMFOLLOW");
    line = mounts_line(mp);
    kt_check(strstr(line, "nosymfollow") != NULL, "/proc/self/mounts shows nosymfollow", "line \"%s\"", line);
    CHECK_OK(mount(NULL, mp, NULL, MS_REMOUNT, NULL), "remount without MS_NOSYMFOLLOW");
    int lf = open(lnk, O_RDONLY);
    CHECK(lf >= 0, "the symlink is followed again");
    close(lf);
    umount(mp);

    CHECK_OK(mount("proc", mp, "proc", 0, NULL), "mount a second procfs");
    char st[512], b[64];
    snprintf(st, sizeof st, "%s/self/stat", mp);
    CHECK(vt_get(st, b, sizeof b) > 0 && atoi(b) == getpid(), "its self/stat shows our pid");
    CHECK_OK(umount(mp), "umount it");
}

/* /proc/self/mounts and mountinfo can be polled: readable always, POLLPRI|POLLERR
 * once after the table changed (mounts_poll); a read from offset 0 shows the new table. */
static void poll_table(void)
{
    const char *mp = P("pollmp");
    mkdir(mp, 0755);
    int fd = open("/proc/self/mounts", O_RDONLY), fi = open("/proc/self/mountinfo", O_RDONLY);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLPRI, .data.fd = fd }, got;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl ADD /proc/self/mounts");
    CHECK_EQ(epoll_wait(ep, &got, 1, 0), 0, "no event before the table changes");
    struct pollfd pf = { .fd = fi, .events = POLLPRI };
    CHECK_EQ(poll(&pf, 1, 0), 0, "poll(mountinfo, POLLPRI): nothing yet");
    char buf[65536];
    ssize_t n0 = read(fd, buf, sizeof buf - 1);
    CHECK(n0 > 0, "read /proc/self/mounts");
    CHECK_OK(mount("none", mp, "tmpfs", 0, NULL), "mount tmpfs");
    CHECK(epoll_wait(ep, &got, 1, 2000) == 1 && (got.events & EPOLLPRI), "epoll: EPOLLPRI after mount");
    CHECK_EQ(epoll_wait(ep, &got, 1, 0), 0, "the event is reported once");
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & (POLLPRI | POLLERR)) == (POLLPRI | POLLERR),
          "poll(mountinfo): POLLPRI|POLLERR after mount");
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    CHECK(n > n0 && strstr(buf, mp) != NULL, "re-read from offset 0 shows the new mount");
    CHECK_OK(umount(mp), "umount");
    CHECK(epoll_wait(ep, &got, 1, 2000) == 1 && (got.events & EPOLLPRI), "epoll: EPOLLPRI after umount");
    close(ep);
    close(fd);
    close(fi);
    rmdir(mp);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    if (!vt_private_mounts("mount tests"))
        return kt_done();
    snprintf(base, sizeof base, "%s", vt_mkshm("mounts"));
    tmpfs_size();
    readonly();
    binds();
    busy();
    flags();
    poll_table();
    vt_cleanup_shm();
    return kt_done();
}
