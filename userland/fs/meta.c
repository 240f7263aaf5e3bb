/* meta.c - file metadata: stat/statx fields, link counts, modes, owners,
 * timestamps with nanoseconds (utimensat, UTIME_NOW, UTIME_OMIT), umask,
 * permission checks as uid 1000, link/unlink/rename/renameat2, mkdir/rmdir,
 * mknod (FIFO, device) on a tmpfs, truncate/ftruncate/fallocate,
 * fsync/fdatasync/sync, statfs magic numbers. Most of it runs both on the
 * host directory (hostfs under Ghost) and on a tmpfs (/dev/shm). */
#include "ktest.h"
#include <grp.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/falloc.h>
#include <linux/magic.h>
#include <sys/mount.h>

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

static const char *J(const char *dir, const char *leaf)
{
    static char bufs[64][PATH_MAX];
    static int next;
    char *b = bufs[next++ & 63];
    snprintf(b, PATH_MAX, "%s/%s", dir, leaf);
    return b;
}

static struct stat S(const char *path)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    if (lstat(path, &st) != 0)
        st.st_mode = 0, st.st_nlink = (nlink_t)-1;
    return st;
}

static void stats(const char *dir, const char *fs)
{
    umask(022);
    int fd = open(J(dir, "f"), O_RDWR | O_CREAT | O_TRUNC, 0666);
    char buf[1000];
    memset(buf, 'z', sizeof buf);
    write(fd, buf, sizeof buf);
    struct stat st;
    fstat(fd, &st);
    CHECK_EQ(st.st_size, 1000, D("%s: st_size after writing 1000 bytes", fs));
    CHECK_EQ(st.st_mode, S_IFREG | 0644, D("%s: st_mode is S_IFREG|0666&~022", fs));
    CHECK_EQ(st.st_nlink, 1, D("%s: st_nlink 1", fs));
    CHECK(st.st_uid == getuid() && st.st_gid == getgid(), D("%s: st_uid/st_gid are the creator's", fs));
    CHECK(st.st_blksize > 0 && st.st_blocks * 512 >= 1000, D("%s: st_blksize > 0 and st_blocks covers the data", fs));
    struct stat ls = S(J(dir, "f"));
    CHECK(ls.st_ino == st.st_ino && ls.st_dev == st.st_dev, D("%s: stat by path and fstat agree on dev/ino", fs));

    CHECK_OK(link(J(dir, "f"), J(dir, "g")), D("%s: link f g", fs));
    fstat(fd, &st);
    CHECK_EQ(st.st_nlink, 2, D("%s: st_nlink 2 after link (fstat of the open fd)", fs));
    CHECK_EQ(S(J(dir, "g")).st_nlink, 2, D("%s: st_nlink 2 through the new name", fs));
    CHECK_EQ(S(J(dir, "g")).st_ino, st.st_ino, D("%s: both names have the same inode", fs));
    CHECK_OK(unlink(J(dir, "f")), D("%s: unlink f", fs));
    fstat(fd, &st);
    CHECK_EQ(st.st_nlink, 1, D("%s: st_nlink 1 after unlink", fs));
    unlink(J(dir, "g"));
    fstat(fd, &st);
    CHECK_EQ(st.st_nlink, 0, D("%s: st_nlink 0 when the last name is gone, fd still open", fs));
    CHECK_EQ(pread(fd, buf, 10, 990), 10, D("%s: an unlinked open file is still readable", fs));
    close(fd);

    /* an open file keeps its inode: unlink or rename before the first read or write */
    vt_put(J(dir, "fresh"), "fresh data", 0644);
    fd = open(J(dir, "fresh"), O_RDONLY);
    unlink(J(dir, "fresh"));
    memset(buf, 0, 16);
    ssize_t got = read(fd, buf, 10);
    kt_check(got == 10 && memcmp(buf, "fresh data", 10) == 0, D("%s: open, unlink, then the first read still reads the data", fs),
             "got %zd (%s)", got, got < 0 ? strerror(errno) : "wrong data");
    close(fd);
    vt_put(J(dir, "ren1"), "1234", 0644);
    fd = open(J(dir, "ren1"), O_RDWR);
    rename(J(dir, "ren1"), J(dir, "ren2"));
    got = pwrite(fd, "AB", 2, 0);
    kt_check(got == 2, D("%s: open, rename, then the first write through the fd works", fs), "got %zd (%s)", got,
             got < 0 ? strerror(errno) : "short");
    close(fd);
    char rb[16];
    CHECK(vt_get(J(dir, "ren2"), rb, sizeof rb) == 4 && memcmp(rb, "AB34", 4) == 0, D("%s: ... and lands in the renamed file", fs));
    CHECK_ERR(access(J(dir, "ren1"), F_OK), ENOENT, D("%s: ... and the old name was not recreated", fs));

    mkdir(J(dir, "d"), 0777);
    CHECK_EQ(S(J(dir, "d")).st_mode, S_IFDIR | 0755, D("%s: mkdir mode is 0777&~022", fs));
    CHECK_EQ(S(J(dir, "d")).st_nlink, 2, D("%s: an empty directory has nlink 2", fs));
    mkdir(J(dir, "d/s"), 0777);
    CHECK_EQ(S(J(dir, "d")).st_nlink, 3, D("%s: a subdirectory raises the parent's nlink to 3", fs));
    rmdir(J(dir, "d/s"));
    CHECK_EQ(S(J(dir, "d")).st_nlink, 2, D("%s: rmdir brings it back to 2", fs));

    /* statx */
    vt_put(J(dir, "sx"), "12345", 0640);
    struct statx sx;
    memset(&sx, 0, sizeof sx);
    CHECK_OK(statx(AT_FDCWD, J(dir, "sx"), 0, STATX_BASIC_STATS, &sx), D("%s: statx", fs));
    struct stat ss = S(J(dir, "sx"));
    CHECK_EQ(sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS, D("%s: statx returns all basic stats", fs));
    CHECK(sx.stx_size == 5 && sx.stx_mode == (S_IFREG | 0640) && sx.stx_nlink == 1, D("%s: statx size/mode/nlink", fs));
    CHECK(sx.stx_ino == ss.st_ino && makedev(sx.stx_dev_major, sx.stx_dev_minor) == ss.st_dev,
          D("%s: statx ino and dev match stat", fs));
    CHECK((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT),
          D("%s: statx of a file: STATX_ATTR_MOUNT_ROOT known and clear", fs));
    struct statx rx;
    memset(&rx, 0, sizeof rx);
    CHECK(statx(AT_FDCWD, "/proc", 0, STATX_BASIC_STATS, &rx) == 0 && (rx.stx_attributes & STATX_ATTR_MOUNT_ROOT),
          D("%s: statx of /proc has STATX_ATTR_MOUNT_ROOT", fs));
    CHECK(sx.stx_mtime.tv_sec == ss.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == (uint32_t)ss.st_mtim.tv_nsec,
          D("%s: statx mtime matches stat", fs));
    CHECK(sx.stx_blksize == (uint32_t)ss.st_blksize && sx.stx_uid == ss.st_uid, D("%s: statx blksize/uid match stat", fs));
    fd = open(J(dir, "sx"), O_RDONLY);
    memset(&sx, 0, sizeof sx);
    CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), D("%s: statx(fd, \"\", AT_EMPTY_PATH)", fs));
    CHECK_EQ(sx.stx_size, 5, D("%s: statx through the fd", fs));
    close(fd);
    CHECK_ERR(statx(AT_FDCWD, J(dir, "sx"), 0, 0x80000000u, &sx), EINVAL, D("%s: statx with STATX__RESERVED is EINVAL", fs));
    CHECK_ERR(statx(AT_FDCWD, J(dir, "sx"), 0x40000000, STATX_BASIC_STATS, &sx), EINVAL,
              D("%s: statx with an unknown flag is EINVAL", fs));
    CHECK_ERR(statx(AT_FDCWD, J(dir, "nope"), 0, STATX_BASIC_STATS, &sx), ENOENT, D("%s: statx of a missing file", fs));
}

static long long ts_ns(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void times_(const char *dir, const char *fs)
{
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/t", dir);
    vt_put(f, "x", 0644);
    struct timespec tv[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
    CHECK_OK(utimensat(AT_FDCWD, f, tv, 0), D("%s: utimensat with explicit times", fs));
    struct stat st = S(f);
    CHECK(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789, D("%s: atime exact to the ns", fs));
    kt_check(st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 987654321, D("%s: mtime exact to the ns", fs),
             "got %lld.%09ld want 1500000000.987654321", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    struct timespec tv2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    CHECK_OK(utimensat(AT_FDCWD, f, tv2, 0), D("%s: utimensat UTIME_OMIT/UTIME_NOW", fs));
    st = S(f);
    CHECK(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789, D("%s: UTIME_OMIT left atime alone", fs));
    long long now = ts_ns(before), m = ts_ns(st.st_mtim);
    kt_check(m >= now - 1000000000LL && m <= now + 30000000000LL, D("%s: UTIME_NOW set mtime to now", fs),
             "mtime %lld now %lld", m, now);
    CHECK(st.st_ctim.tv_sec >= before.tv_sec - 1, D("%s: utimensat updated ctime", fs));
    struct timespec tv3[2] = {{5, 0}, {6, 0}};
    int fd = open(f, O_WRONLY);
    CHECK_OK(futimens(fd, tv3), D("%s: futimens", fs));
    st = S(f);
    CHECK(st.st_atim.tv_sec == 5 && st.st_mtim.tv_sec == 6 && st.st_mtim.tv_nsec == 0, D("%s: futimens set both", fs));
    clock_gettime(CLOCK_REALTIME, &before);
    write(fd, "more", 4);
    st = S(f);
    CHECK(st.st_mtim.tv_sec >= before.tv_sec - 1 && st.st_ctim.tv_sec >= before.tv_sec - 1,
          D("%s: write updates mtime and ctime", fs));
    close(fd);
    futimens(fd = open(f, O_RDONLY), tv3);
    struct stat a = S(f);
    vt_msleep(20);
    chmod(f, 0600);
    struct stat b = S(f);
    CHECK(ts_ns(b.st_ctim) > ts_ns(a.st_ctim) && b.st_mtim.tv_sec == 6, D("%s: chmod updates ctime, not mtime", fs));
    close(fd);
    CHECK_OK(utimensat(AT_FDCWD, f, NULL, 0), D("%s: utimensat(NULL) sets both to now", fs));
    st = S(f);
    CHECK(st.st_atim.tv_sec >= before.tv_sec - 1 && st.st_mtim.tv_sec >= before.tv_sec - 1,
          D("%s: ... atime and mtime are now", fs));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERR(utimensat(AT_FDCWD, f, bad, 0), EINVAL, D("%s: tv_nsec 1e9 is EINVAL", fs));
    /* do_utimes: a NULL path means dirfd's file, but with AT_FDCWD it is a path: EFAULT */
    CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0), EFAULT, D("%s: utimensat(AT_FDCWD, NULL) is EFAULT", fs));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_ERR(syscall(SYS_utimensat, dfd, NULL, NULL, AT_SYMLINK_NOFOLLOW), EINVAL,
              D("%s: utimensat(fd, NULL) with a flag is EINVAL (do_utimes_fd)", fs));
    close(dfd);
    symlink("t", J(dir, "tl"));
    CHECK_OK(utimensat(AT_FDCWD, J(dir, "tl"), tv, AT_SYMLINK_NOFOLLOW), D("%s: utimensat AT_SYMLINK_NOFOLLOW", fs));
    st = S(J(dir, "tl"));
    struct stat tgt = S(f);
    CHECK(st.st_mtim.tv_sec == 1500000000 && tgt.st_mtim.tv_sec != 1500000000,
          D("%s: AT_SYMLINK_NOFOLLOW changed the link's times only", fs));

    /* mkdir / create / unlink update the directory's mtime */
    mkdir(J(dir, "tdir"), 0755);
    struct timespec old[2] = {{100, 0}, {100, 0}};
    utimensat(AT_FDCWD, J(dir, "tdir"), old, 0);
    vt_put(J(dir, "tdir/new"), "", 0644);
    st = S(J(dir, "tdir"));
    CHECK(st.st_mtim.tv_sec > 100, D("%s: creating an entry updates the directory's mtime", fs));
    utimensat(AT_FDCWD, J(dir, "tdir"), old, 0);
    unlink(J(dir, "tdir/new"));
    st = S(J(dir, "tdir"));
    CHECK(st.st_mtim.tv_sec > 100, D("%s: removing an entry updates the directory's mtime", fs));
}

static void modes(const char *dir, const char *fs)
{
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/m", dir);
    vt_put(f, "#!/bin/sh\n", 0644);
    CHECK_OK(chmod(f, 0751), D("%s: chmod 0751", fs));
    CHECK_EQ(S(f).st_mode & 07777, 0751, D("%s: mode is 0751", fs));
    int fd = open(f, O_RDONLY);
    CHECK_OK(fchmod(fd, 04755), D("%s: fchmod 04755", fs));
    CHECK_EQ(S(f).st_mode & 07777, 04755, D("%s: setuid bit kept by chmod as root", fs));
    CHECK_OK(fchmodat(AT_FDCWD, f, 0600, 0), D("%s: fchmodat", fs));
    CHECK_EQ(S(f).st_mode & 07777, 0600, D("%s: mode is 0600", fs));
    CHECK_EQ(S(f).st_mode & S_IFMT, S_IFREG, D("%s: chmod keeps the file type", fs));
    close(fd);

    CHECK_OK(chown(f, 1000, 1001), D("%s: chown 1000:1001 as root", fs));
    struct stat st = S(f);
    CHECK(st.st_uid == 1000 && st.st_gid == 1001, D("%s: owner is 1000:1001", fs));
    CHECK_OK(chown(f, -1, 1002), D("%s: chown -1:1002", fs));
    st = S(f);
    CHECK(st.st_uid == 1000 && st.st_gid == 1002, D("%s: -1 leaves the uid", fs));
    fd = open(f, O_RDONLY);
    CHECK_OK(fchown(fd, 0, -1), D("%s: fchown 0:-1", fs));
    st = S(f);
    CHECK(st.st_uid == 0 && st.st_gid == 1002, D("%s: fchown changed only the uid", fs));
    close(fd);
    chmod(f, 06755);
    chown(f, 1000, 1000);
    st = S(f);
    CHECK_EQ(st.st_mode & 07777, 0755, D("%s: chown of an executable clears setuid and setgid", fs));
    symlink("m", J(dir, "ml"));
    CHECK_OK(lchown(J(dir, "ml"), 1005, 1006), D("%s: lchown on a symlink", fs));
    st = S(J(dir, "ml"));
    struct stat t = S(f);
    CHECK(st.st_uid == 1005 && st.st_gid == 1006 && t.st_uid == 1000, D("%s: lchown changed the link, not the target", fs));
    CHECK_OK(fchownat(AT_FDCWD, J(dir, "ml"), 1007, -1, 0), D("%s: fchownat follows by default", fs));
    CHECK_EQ(S(f).st_uid, 1007, D("%s: ... the target changed", fs));
    CHECK_OK(fchownat(AT_FDCWD, J(dir, "ml"), 1008, -1, AT_SYMLINK_NOFOLLOW), D("%s: fchownat AT_SYMLINK_NOFOLLOW", fs));
    CHECK(S(J(dir, "ml")).st_uid == 1008 && S(f).st_uid == 1007, D("%s: ... the link changed", fs));
    CHECK_ERR(chown(J(dir, "nope"), 0, 0), ENOENT, D("%s: chown of a missing file", fs));

    /* umask */
    mode_t old = umask(077);
    CHECK_EQ(old, 022, D("%s: umask returns the previous mask", fs));
    close(open(J(dir, "u1"), O_WRONLY | O_CREAT, 0666));
    CHECK_EQ(S(J(dir, "u1")).st_mode & 0777, 0600, D("%s: umask 077: create 0666 gives 0600", fs));
    mkdir(J(dir, "u2"), 0777);
    CHECK_EQ(S(J(dir, "u2")).st_mode & 0777, 0700, D("%s: umask 077: mkdir 0777 gives 0700", fs));
    symlink("u1", J(dir, "u3"));
    CHECK_EQ(S(J(dir, "u3")).st_mode & 0777, 0777, D("%s: symlinks are 0777 whatever the umask", fs));
    umask(0);
    close(open(J(dir, "u4"), O_WRONLY | O_CREAT, 0666));
    CHECK_EQ(S(J(dir, "u4")).st_mode & 0777, 0666, D("%s: umask 0 keeps the mode", fs));
    umask(022);
    CHECK_OK(chmod(J(dir, "u4"), 0777), D("%s: chmod is not masked by umask", fs));
    CHECK_EQ(S(J(dir, "u4")).st_mode & 0777, 0777, D("%s: mode 0777 after chmod", fs));
}

/* Runs fn(dir) in a child as uid/gid 1000 and returns its exit status. */
static int as_user(int (*fn)(const char *), const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(1000) != 0 || setuid(1000) != 0)
            _exit(99);
        _exit(fn(dir));
    }
    return vt_reap(pid);
}

#define BIT(n, cond) \
    if (!(cond))     \
    r |= 1 << (n)

static int user_checks(const char *dir)
{
    int r = 0;
    char b[16];
    BIT(0, open(J(dir, "p/secret"), O_RDONLY) == -1 && errno == EACCES);
    BIT(1, open(J(dir, "p/noexec/f"), O_RDONLY) == -1 && errno == EACCES);
    BIT(2, access(J(dir, "p/noexec/f"), F_OK) == -1 && errno == EACCES);
    int d = open(J(dir, "p/noexec"), O_RDONLY | O_DIRECTORY);
    BIT(3, d >= 0); /* r-- dir can be opened and listed */
    struct stat st;
    BIT(4, d >= 0 && fstatat(d, "f", &st, 0) == -1 && errno == EACCES);
    close(d);
    BIT(5, vt_get(J(dir, "p/xonly/f"), b, sizeof b) == 2); /* --x dir: known names work */
    BIT(6, open(J(dir, "p/xonly"), O_RDONLY | O_DIRECTORY) == -1 && errno == EACCES);
    BIT(7, open(J(dir, "p/newfile"), O_WRONLY | O_CREAT, 0644) == -1 && errno == EACCES);
    BIT(8, unlink(J(dir, "p/pub")) == -1 && errno == EACCES);
    BIT(9, access(J(dir, "p/pub"), W_OK) == -1 && errno == EACCES);
    BIT(10, access(J(dir, "p/pub"), R_OK) == 0);
    BIT(11, open(J(dir, "p/sticky/mine"), O_WRONLY | O_CREAT, 0644) >= 0);
    BIT(12, unlink(J(dir, "p/sticky/roots")) == -1 && errno == EPERM);
    BIT(13, unlink(J(dir, "p/sticky/mine")) == 0);
    BIT(14, chmod(J(dir, "p/pub"), 0777) == -1 && errno == EPERM);
    BIT(15, chown(J(dir, "p/own"), 1000, 0) == -1 && errno == EPERM);
    BIT(16, chmod(J(dir, "p/own"), 0600) == 0); /* the owner may chmod */
    BIT(17, open(J(dir, "p/ro-own"), O_WRONLY) == -1 && errno == EACCES); /* owner without w */
    BIT(18, utimensat(AT_FDCWD, J(dir, "p/pub"), NULL, 0) == -1 && errno == EACCES);
    struct timespec tv[2] = {{1, 0}, {1, 0}};
    BIT(19, utimensat(AT_FDCWD, J(dir, "p/pub"), tv, 0) == -1 && errno == EPERM);
    BIT(20, utimensat(AT_FDCWD, J(dir, "p/pubw"), NULL, 0) == 0); /* write permission suffices for NOW */
    BIT(21, rename(J(dir, "p/sticky/roots"), J(dir, "p/sticky/x")) == -1 && errno == EPERM);
    BIT(22, truncate(J(dir, "p/pub"), 0) == -1 && errno == EACCES);
    BIT(23, faccessat(AT_FDCWD, J(dir, "p/secret"), R_OK, AT_EACCESS) == -1 && errno == EACCES);
    BIT(24, mkdir(J(dir, "p/noexec/sub"), 0755) == -1 && errno == EACCES);
    return r;
}

static const char *user_names[] = {
    "open of a root 0600 file is EACCES",
    "open under a dir without x is EACCES",
    "access under a dir without x is EACCES",
    "a r-- dir can still be opened",
    "but fstatat of its entries is EACCES",
    "a --x dir gives access to known names",
    "but opening it for listing is EACCES",
    "creating in a root 0755 dir is EACCES",
    "unlinking in a root 0755 dir is EACCES",
    "access(W_OK) of a root 0644 file is EACCES",
    "access(R_OK) of a root 0644 file works",
    "creating in a sticky 01777 dir works",
    "unlinking root's file in a sticky dir is EPERM",
    "unlinking one's own file in a sticky dir works",
    "chmod of someone else's file is EPERM",
    "chown by a non-root owner is EPERM",
    "the owner may chmod",
    "the owner of a 0400 file cannot open it for writing",
    "utimensat(NULL) without write permission is EACCES",
    "utimensat with explicit times by a non-owner is EPERM",
    "utimensat(NULL) with write permission works",
    "renaming root's file in a sticky dir is EPERM",
    "truncate without write permission is EACCES",
    "faccessat(AT_EACCESS) of a root 0600 file is EACCES",
    "mkdir under a dir without x is EACCES",
};

static void perms(const char *dir, const char *fs)
{
    umask(0);
    mkdir(J(dir, "p"), 0755);
    vt_put(J(dir, "p/secret"), "s", 0600);
    mkdir(J(dir, "p/noexec"), 0744);
    vt_put(J(dir, "p/noexec/f"), "f", 0644);
    mkdir(J(dir, "p/xonly"), 0711);
    vt_put(J(dir, "p/xonly/f"), "ok", 0644);
    vt_put(J(dir, "p/pub"), "p", 0644);
    vt_put(J(dir, "p/pubw"), "p", 0666);
    mkdir(J(dir, "p/sticky"), 01777);
    vt_put(J(dir, "p/sticky/roots"), "r", 0666);
    vt_put(J(dir, "p/own"), "o", 0644);
    chown(J(dir, "p/own"), 1000, 1000);
    vt_put(J(dir, "p/ro-own"), "o", 0400);
    chown(J(dir, "p/ro-own"), 1000, 1000);
    umask(022);
    int r = as_user(user_checks, dir);
    if (r == 99 || r < 0 || r >= 1000) {
        kt_fail(D("%s: run permission checks as uid 1000", fs), "child status %d", r);
        return;
    }
    for (int i = 0; i < 25; i++)
        kt_check(!(r & (1 << i)), D("%s: uid 1000: %s", fs, user_names[i]), "failed");
    /* root bypasses permission bits but not missing x bits for exec */
    int fd = open(J(dir, "p/ro-own"), O_WRONLY);
    kt_check(fd >= 0, D("%s: root opens a 0400 file for writing (CAP_DAC_OVERRIDE)", fs), "errno %s", strerror(errno));
    close(fd);
    CHECK_OK(access(J(dir, "p/ro-own"), W_OK), D("%s: access(W_OK) as root on a 0400 file", fs));
    CHECK_ERR(access(J(dir, "p/ro-own"), X_OK), EACCES, D("%s: access(X_OK) as root without any x bit is EACCES", fs));
    char *argv[] = {(char *)"x", NULL};
    CHECK_ERR(execve(J(dir, "p/ro-own"), argv, argv + 1), EACCES, D("%s: execve without any x bit is EACCES as root", fs));
    CHECK_ERR(execve(J(dir, "p"), argv, argv + 1), EACCES, D("%s: execve of a directory is EACCES", fs));
}

static void names(const char *dir, const char *other, const char *fs)
{
    mkdir(J(dir, "n"), 0755);
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/n/a", dir);
    snprintf(b, sizeof b, "%s/n/b", dir);
    vt_put(a, "AAAA", 0644);
    vt_put(b, "BB", 0644);
    char buf[64];
    CHECK_ERR(link(a, b), EEXIST, D("%s: link onto an existing name is EEXIST", fs));
    CHECK_ERR(link(J(dir, "n"), J(dir, "n2")), EPERM, D("%s: link of a directory is EPERM", fs));
    CHECK_ERR(link(a, J(other, "cross")), EXDEV, D("%s: link across filesystems is EXDEV", fs));
    CHECK_ERR(rename(a, J(other, "cross")), EXDEV, D("%s: rename across filesystems is EXDEV", fs));
    CHECK_ERR(unlink(J(dir, "n")), EISDIR, D("%s: unlink of a directory is EISDIR", fs));
    CHECK_ERR(link(J(dir, "n/none"), J(dir, "n/x")), ENOENT, D("%s: link of a missing file is ENOENT", fs));

    struct stat sa = S(a);
    CHECK_OK(rename(a, b), D("%s: rename a over b", fs));
    CHECK(vt_get(b, buf, sizeof buf) == 4 && S(b).st_ino == sa.st_ino, D("%s: b is now a's inode", fs));
    CHECK_ERR(access(a, F_OK), ENOENT, D("%s: a is gone", fs));
    link(b, a);
    CHECK_OK(rename(a, b), D("%s: rename between two links of one inode", fs));
    CHECK(access(a, F_OK) == 0 && access(b, F_OK) == 0, D("%s: ... is a no-op that keeps both names", fs));
    unlink(a);

    mkdir(J(dir, "n/d1"), 0755);
    mkdir(J(dir, "n/d1/sub"), 0755);
    mkdir(J(dir, "n/d2"), 0755);
    mkdir(J(dir, "n/full"), 0755);
    vt_put(J(dir, "n/full/x"), "x", 0644);
    CHECK_ERR(rename(b, J(dir, "n/d2")), EISDIR, D("%s: rename file over dir is EISDIR", fs));
    CHECK_ERR(rename(J(dir, "n/d2"), b), ENOTDIR, D("%s: rename dir over file is ENOTDIR", fs));
    CHECK_ERR(rename(J(dir, "n/d1"), J(dir, "n/full")), ENOTEMPTY, D("%s: rename dir over a non-empty dir is ENOTEMPTY", fs));
    CHECK_ERR(rename(J(dir, "n/d1"), J(dir, "n/d1/sub/inside")), EINVAL, D("%s: rename dir into its own subdir is EINVAL", fs));
    CHECK_ERR(rename(J(dir, "n/d1"), J(dir, "n/d1/sub")), EINVAL, D("%s: rename dir onto its own subdir is EINVAL", fs));
    struct stat d1 = S(J(dir, "n/d1"));
    CHECK_OK(rename(J(dir, "n/d1"), J(dir, "n/d2")), D("%s: rename dir over an empty dir", fs));
    CHECK(S(J(dir, "n/d2")).st_ino == d1.st_ino && access(J(dir, "n/d2/sub"), F_OK) == 0, D("%s: d2 is the old d1", fs));
    CHECK_OK(rename(J(dir, "n/d2/sub"), J(dir, "n/moved")), D("%s: move a subdir up", fs));
    CHECK_EQ(S(J(dir, "n/d2")).st_nlink, 2, D("%s: its old parent's nlink dropped", fs));
    struct stat mv = S(J(dir, "n/moved/.."));
    CHECK(mv.st_ino == S(J(dir, "n")).st_ino, D("%s: moved/.. is the new parent", fs));

    /* renameat2 */
    vt_put(a, "AAAA", 0644);
    CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE), EEXIST, D("%s: RENAME_NOREPLACE onto a name is EEXIST", fs));
    CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, J(dir, "n/c"), RENAME_NOREPLACE), D("%s: RENAME_NOREPLACE to a free name", fs));
    rename(J(dir, "n/c"), a);
    vt_put(b, "BB", 0644);
    CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), D("%s: RENAME_EXCHANGE", fs));
    ssize_t la = vt_get(a, buf, sizeof buf);
    ssize_t lb = vt_get(b, buf, sizeof buf);
    CHECK(la == 2 && lb == 4, D("%s: RENAME_EXCHANGE swapped the files", fs));
    CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, J(dir, "n/moved"), RENAME_EXCHANGE), D("%s: RENAME_EXCHANGE of a file and a dir", fs));
    CHECK(S(a).st_mode & S_IFDIR && S(J(dir, "n/moved")).st_mode & S_IFREG, D("%s: ... swapped types", fs));
    CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, J(dir, "n/moved"), RENAME_EXCHANGE), D("%s: swap back", fs));
    CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, J(dir, "n/none"), RENAME_EXCHANGE), ENOENT,
              D("%s: RENAME_EXCHANGE with a missing target is ENOENT", fs));
    CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL,
              D("%s: RENAME_EXCHANGE|RENAME_NOREPLACE is EINVAL", fs));
    CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, 0x100), EINVAL, D("%s: renameat2 unknown flag is EINVAL", fs));

    /* mkdir / rmdir */
    CHECK_ERR(mkdir(J(dir, "n/full"), 0755), EEXIST, D("%s: mkdir of an existing dir is EEXIST", fs));
    CHECK_ERR(mkdir(a, 0755), EEXIST, D("%s: mkdir over a file is EEXIST", fs));
    symlink("nowhere", J(dir, "n/dl"));
    CHECK_ERR(mkdir(J(dir, "n/dl"), 0755), EEXIST, D("%s: mkdir over a dangling symlink is EEXIST", fs));
    CHECK_ERR(rmdir(J(dir, "n/full")), ENOTEMPTY, D("%s: rmdir of a non-empty dir is ENOTEMPTY", fs));
    CHECK_ERR(rmdir(a), ENOTDIR, D("%s: rmdir of a file is ENOTDIR", fs));
    CHECK_ERR(rmdir(J(dir, "n/dl")), ENOTDIR, D("%s: rmdir of a symlink is ENOTDIR", fs));
    CHECK_ERR(rmdir(J(dir, "n/none")), ENOENT, D("%s: rmdir of a missing dir is ENOENT", fs));
    unlink(J(dir, "n/full/x"));
    CHECK_OK(rmdir(J(dir, "n/full")), D("%s: rmdir once empty", fs));

    /* a removed cwd */
    mkdir(J(dir, "n/gone"), 0755);
    int here = open(".", O_RDONLY | O_DIRECTORY);
    chdir(J(dir, "n/gone"));
    CHECK_OK(unlinkat(here, J(dir, "n/gone"), AT_REMOVEDIR), D("%s: rmdir of the cwd", fs));
    CHECK_ERR(open("newfile", O_WRONLY | O_CREAT, 0644), ENOENT, D("%s: creating in a removed cwd is ENOENT", fs));
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) == NULL && errno == ENOENT, D("%s: getcwd of a removed cwd is ENOENT", fs));
    fchdir(here);
    close(here);
}

static void special(void)
{
    const char *dir = vt_shmdir;
    CHECK_ERR(rmdir("/proc"), EBUSY, "rmdir of a mount point is EBUSY");
    CHECK_OK(mknod(J(dir, "fifo"), S_IFIFO | 0644, 0), "tmpfs: mknod S_IFIFO");
    struct stat st = S(J(dir, "fifo"));
    CHECK(S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0644, "tmpfs: the FIFO's stat is S_IFIFO|0644");
    CHECK_ERR(open(J(dir, "fifo"), O_WRONLY | O_NONBLOCK), ENXIO, "FIFO: O_WRONLY|O_NONBLOCK without a reader is ENXIO");
    int r = open(J(dir, "fifo"), O_RDONLY | O_NONBLOCK);
    CHECK_OK(r, "FIFO: O_RDONLY|O_NONBLOCK opens at once");
    int w = open(J(dir, "fifo"), O_WRONLY | O_NONBLOCK);
    CHECK_OK(w, "FIFO: O_WRONLY|O_NONBLOCK with a reader");
    write(w, "fifo!", 5);
    char buf[16] = {0};
    CHECK(read(r, buf, sizeof buf) == 5 && memcmp(buf, "fifo!", 5) == 0, "FIFO: data flows");
    close(w);
    CHECK_EQ(read(r, buf, sizeof buf), 0, "FIFO: EOF once the writer closed");
    close(r);
    pid_t pid = fork();
    if (pid == 0) {
        vt_alarm(10);
        int fd = open(J(dir, "fifo"), O_WRONLY); /* blocks for a reader */
        write(fd, "hi", 2);
        _exit(fd >= 0 ? 0 : 1);
    }
    r = open(J(dir, "fifo"), O_RDONLY); /* blocks for the writer */
    CHECK(r >= 0 && vt_read_full(r, buf, 2) == 2 && memcmp(buf, "hi", 2) == 0, "FIFO: blocking opens rendezvous");
    CHECK_EQ(vt_reap(pid), 0, "FIFO: the writer finished");
    close(r);
    CHECK_EQ(S(J(dir, "fifo")).st_size, 0, "FIFO: st_size stays 0");
    CHECK_OK(mkfifo(J(dir, "fifo2"), 0600), "mkfifo");
    CHECK_ERR(mkfifo(J(dir, "fifo2"), 0600), EEXIST, "mkfifo on an existing name is EEXIST");
    CHECK_ERR(lseek(open(J(dir, "fifo2"), O_RDONLY | O_NONBLOCK), 0, SEEK_SET), ESPIPE, "lseek on a FIFO is ESPIPE");

    CHECK_OK(mknod(J(dir, "reg"), S_IFREG | 0600, 0), "tmpfs: mknod S_IFREG");
    CHECK(S_ISREG(S(J(dir, "reg")).st_mode), "... creates a regular file");
    CHECK_OK(mknod(J(dir, "null"), S_IFCHR | 0666, makedev(1, 3)), "tmpfs: mknod S_IFCHR 1:3 as root");
    st = S(J(dir, "null"));
    CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "... is a char device with st_rdev 1:3");
    int n = open(J(dir, "null"), O_RDWR);
    CHECK(n >= 0 && write(n, "x", 1) == 1 && read(n, buf, 1) == 0, "... and behaves as /dev/null");
    close(n);
    CHECK_ERR(mknod(J(dir, "bad"), 0170000 | 0644, 0), EINVAL, "mknod with a bad type is EINVAL");
    pid = fork();
    if (pid == 0) {
        setuid(1000);
        _exit(mknod("/dev/shm/vt-nodev", S_IFCHR | 0666, makedev(1, 3)) == -1 && errno == EPERM ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "mknod of a device as uid 1000 is EPERM");

    /* statfs */
    struct statfs sf;
    CHECK_OK(statfs("/dev/shm", &sf), "statfs /dev/shm");
    CHECK_EQ(sf.f_type, TMPFS_MAGIC, "/dev/shm is TMPFS_MAGIC");
    CHECK(sf.f_bsize > 0 && sf.f_namelen == 255, "tmpfs f_bsize > 0, f_namelen 255");
    CHECK_OK(statfs("/proc", &sf), "statfs /proc");
    CHECK_EQ(sf.f_type, PROC_SUPER_MAGIC, "/proc is PROC_SUPER_MAGIC");
    CHECK_OK(statfs("/proc/self/status", &sf), "statfs of a file in /proc");
    CHECK_EQ(sf.f_type, PROC_SUPER_MAGIC, "... is PROC_SUPER_MAGIC");
    CHECK_OK(statfs("/sys", &sf), "statfs /sys");
    CHECK_EQ(sf.f_type, SYSFS_MAGIC, "/sys is SYSFS_MAGIC");
    int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    struct statfs sf2;
    CHECK(fstatfs(fd, &sf2) == 0 && sf2.f_type == TMPFS_MAGIC, "fstatfs on a /dev/shm fd");
    close(fd);
    CHECK_ERR(statfs("/nonexistent", &sf), ENOENT, "statfs of a missing path");
}

/* tmpfs knows its holes: lseek SEEK_DATA/SEEK_HOLE go by the pages it holds
   (shmem_file_llseek), not "all data up to the end" */
static void tmpfs_holes(const char *dir)
{
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/holes", dir);
    int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
    const off_t pg = 4096;
    pwrite(fd, "a", 1, 0);
    pwrite(fd, "b", 1, 3 * pg + 10);
    ftruncate(fd, 5 * pg);
    CHECK_EQ(lseek(fd, 0, SEEK_HOLE), pg, "tmpfs: SEEK_HOLE finds the hole after the first page");
    CHECK_EQ(lseek(fd, 10, SEEK_DATA), 10, "tmpfs: SEEK_DATA inside data is the offset");
    CHECK_EQ(lseek(fd, pg + 5, SEEK_DATA), 3 * pg, "tmpfs: SEEK_DATA from a hole finds the next data page");
    CHECK_EQ(lseek(fd, 3 * pg, SEEK_HOLE), 4 * pg, "tmpfs: SEEK_HOLE from data finds the page after it");
    CHECK_EQ(lseek(fd, 4 * pg + 1, SEEK_HOLE), 4 * pg + 1, "tmpfs: SEEK_HOLE inside a hole is the offset");
    CHECK_ERR(lseek(fd, 4 * pg, SEEK_DATA), ENXIO, "tmpfs: SEEK_DATA with only a hole after is ENXIO");
    CHECK_ERR(lseek(fd, -1, SEEK_DATA), ENXIO, "tmpfs: SEEK_DATA at a negative offset is ENXIO");
    CHECK_ERR(lseek(fd, 5 * pg, SEEK_HOLE), ENXIO, "tmpfs: SEEK_HOLE at the end is ENXIO");
    CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, pg), "tmpfs: punch out the first page");
    CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 0, "tmpfs: the punched page is a hole");
    CHECK_EQ(lseek(fd, 0, SEEK_DATA), 3 * pg, "tmpfs: and SEEK_DATA skips it");
    close(fd);
    unlink(f);

    /* A fallocated page is not up to date until written (shmem_fallocate):
       SEEK_DATA passes it by, and reading it does not make it data; a write
       into it does, the whole page. On a size= tmpfs of its own where it can
       mount one (fallocate must reserve pages there), else in dir (qemu-user:
       the host's own tmpfs, where a mount would be the host's). */
    char mnt[PATH_MAX];
    snprintf(mnt, sizeof mnt, "%s/sized", dir);
    mkdir(mnt, 0755);
    int mounted = !kt_qemu() && mount("none", mnt, "tmpfs", 0, "size=1m") == 0;
    snprintf(f, sizeof f, "%s/falloc", mounted ? mnt : dir);
    fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
    pwrite(fd, "b", 1, 3 * pg + 10);
    CHECK_OK(fallocate(fd, 0, 0, 2 * pg), "tmpfs: fallocate the first two pages");
    char z[8];
    CHECK_EQ(pread(fd, z, sizeof z, pg), (long)sizeof z, "tmpfs: a fallocated page reads");
    CHECK_EQ(lseek(fd, 0, SEEK_DATA), 3 * pg, "tmpfs: fallocated pages are holes for SEEK_DATA");
    CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 0, "tmpfs: and for SEEK_HOLE");
    pwrite(fd, "c", 1, pg + 7);
    CHECK_EQ(lseek(fd, 0, SEEK_DATA), pg, "tmpfs: a write makes its fallocated page data");
    CHECK_EQ(lseek(fd, pg, SEEK_HOLE), 2 * pg, "tmpfs: the whole page");
    close(fd);
    unlink(f);
    if (mounted)
        umount(mnt);
    rmdir(mnt);
}

static void sizes(const char *dir, const char *fs, int strict_falloc)
{
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/z", dir);
    vt_put(f, "abcdef", 0644);
    CHECK_OK(truncate(f, 10000), D("%s: truncate to grow", fs));
    char buf[16];
    int fd = open(f, O_RDWR);
    CHECK(pread(fd, buf, 4, 5000) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0, D("%s: the grown part reads as zeros", fs));
    CHECK_EQ(S(f).st_size, 10000, D("%s: size 10000", fs));
    CHECK_OK(ftruncate(fd, 3), D("%s: ftruncate to shrink", fs));
    CHECK(pread(fd, buf, 16, 0) == 3 && memcmp(buf, "abc", 3) == 0, D("%s: shrunk to 3 bytes", fs));
    ftruncate(fd, 6);
    CHECK(pread(fd, buf, 16, 0) == 6 && memcmp(buf, "abc\0\0\0", 6) == 0, D("%s: shrink then grow gives zeros, not the old data", fs));
    CHECK_ERR(ftruncate(fd, -1), EINVAL, D("%s: ftruncate negative is EINVAL", fs));
    CHECK_ERR(truncate(dir, 0), EISDIR, D("%s: truncate of a directory is EISDIR", fs));
    int ro = open(f, O_RDONLY);
    CHECK_ERR(ftruncate(ro, 0), EINVAL, D("%s: ftruncate of an O_RDONLY fd is EINVAL", fs));
    close(ro);
    int rc = fallocate(fd, 0, 0, 8192);
    if (rc != 0 && errno == EOPNOTSUPP && !strict_falloc) {
        kt_skip(D("%s: fallocate", fs), "EOPNOTSUPP on this filesystem");
    } else {
        kt_check(rc == 0, D("%s: fallocate 8192", fs), "errno %s", strerror(errno));
        CHECK_EQ(S(f).st_size, 8192, D("%s: fallocate extends the size", fs));
        CHECK(pread(fd, buf, 3, 0) == 3 && memcmp(buf, "abc", 3) == 0, D("%s: fallocate keeps existing data", fs));
        CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192), D("%s: fallocate KEEP_SIZE", fs));
        CHECK_EQ(S(f).st_size, 8192, D("%s: KEEP_SIZE leaves the size", fs));
        pwrite(fd, "XXXXXXXX", 8, 100);
        CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 102, 4), D("%s: PUNCH_HOLE", fs));
        CHECK(pread(fd, buf, 8, 100) == 8 && memcmp(buf, "XX\0\0\0\0XX", 8) == 0, D("%s: the punched range reads zeros", fs));
        CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4), EOPNOTSUPP, D("%s: PUNCH_HOLE without KEEP_SIZE is EOPNOTSUPP", fs));
        CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL, D("%s: fallocate length 0 is EINVAL", fs));
    }
    CHECK_OK(fsync(fd), D("%s: fsync", fs));
    CHECK_OK(fdatasync(fd), D("%s: fdatasync", fs));
    CHECK_OK(syncfs(fd), D("%s: syncfs", fs));
    sync();
    kt_pass(D("%s: sync returns", fs));
    close(fd);
    int p[2];
    pipe(p);
    CHECK_ERR(fsync(p[0]), EINVAL, "fsync on a pipe is EINVAL");
    close(p[0]);
    close(p[1]);
    /* vfs_fsync_range: a file whose f_op has no fsync is EINVAL (FIFOs, sockets, character devices);
     * a directory has one (noop_fsync on tmpfs). */
    const char *fifo = J(dir, "fsync-fifo");
    unlink(fifo);
    if (mkfifo(fifo, 0600) == 0) {
        int ff = open(fifo, O_RDWR | O_NONBLOCK);
        CHECK_ERR(fsync(ff), EINVAL, D("%s: fsync on a FIFO is EINVAL", fs));
        CHECK_ERR(fdatasync(ff), EINVAL, D("%s: fdatasync on a FIFO is EINVAL", fs));
        close(ff);
        unlink(fifo);
    }
    int so = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(fsync(so), EINVAL, D("%s: fsync on a socket is EINVAL", fs));
    close(so);
    int dn = open("/dev/null", O_WRONLY);
    CHECK_ERR(fdatasync(dn), EINVAL, D("%s: fdatasync on /dev/null is EINVAL", fs));
    close(dn);
    int dd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_OK(fsync(dd), D("%s: fsync on a directory", fs));
    close(dd);
}

/* RENAME_WHITEOUT (tmpfs supports it, as ext4 does): the old name becomes a
 * whiteout, a character device 0:0 with mode 0; the new name is the file. */
static void whiteout(const char *dir, const char *fs)
{
    char a[PATH_MAX], b[PATH_MAX], buf[16];
    snprintf(a, sizeof a, "%s/wo-a", dir);
    snprintf(b, sizeof b, "%s/wo-b", dir);
    vt_put(a, "AAAA", 0644);
    vt_put(b, "BB", 0644);
    CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE | RENAME_WHITEOUT), EINVAL,
              D("%s: RENAME_EXCHANGE|RENAME_WHITEOUT is EINVAL", fs));
    struct stat sa = S(a);
    CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_WHITEOUT), D("%s: RENAME_WHITEOUT over an existing name", fs));
    struct stat w = S(a), sb = S(b);
    CHECK(sb.st_ino == sa.st_ino && vt_get(b, buf, sizeof buf) == 4, D("%s: the new name is the old file", fs));
    CHECK(S_ISCHR(w.st_mode) && (w.st_mode & 07777) == 0 && w.st_rdev == 0 && w.st_ino != sa.st_ino,
          D("%s: the old name is a whiteout (char 0:0, mode 0)", fs));
    CHECK_ERR(renameat2(AT_FDCWD, J(dir, "wo-none"), AT_FDCWD, J(dir, "wo-c"), RENAME_WHITEOUT), ENOENT,
              D("%s: RENAME_WHITEOUT of a missing name is ENOENT", fs));
    unlink(a);
    unlink(b);

    /* The whiteout is made before anything moves (shmem_rename2,
       ext4_rename): with no inode left for it, the rename fails whole with
       ENOSPC and both names stay as they were. On a tmpfs of its own with
       nr_inodes=, where it can mount one (not under qemu-user: the mount would
       be the host's). */
    char mnt[PATH_MAX];
    snprintf(mnt, sizeof mnt, "%s/wo-full", dir);
    mkdir(mnt, 0755);
    if (!kt_qemu() && mount("none", mnt, "tmpfs", 0, "nr_inodes=8") == 0) {
        char f[PATH_MAX + 16];
        int made = 0;
        for (int i = 0; i < 16; i++) {
            snprintf(f, sizeof f, "%s/f%d", mnt, i);
            int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0)
                break;
            close(fd);
            made++;
        }
        CHECK(made > 0 && made < 16, D("%s: a tmpfs with nr_inodes=8 fills (%d files)", fs, made));
        snprintf(a, sizeof a, "%s/f0", mnt);
        snprintf(b, sizeof b, "%s/moved", mnt);
        CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_WHITEOUT), ENOSPC,
                  D("%s: RENAME_WHITEOUT with no inode left for the whiteout is ENOSPC", fs));
        CHECK(access(a, F_OK) == 0 && access(b, F_OK) != 0 && errno == ENOENT,
              D("%s: and nothing was renamed", fs));
        CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, b, 0), D("%s: a plain rename still works", fs));
        umount2(mnt, MNT_DETACH);
    }
    rmdir(mnt);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    const char *host = kt_mktemp("meta");
    vt_mkshm("meta");
    char shm[256];
    snprintf(shm, sizeof shm, "%s", vt_shmdir);
    stats(host, "hostdir");
    stats(shm, "tmpfs");
    times_(host, "hostdir");
    times_(shm, "tmpfs");
    modes(host, "hostdir");
    modes(shm, "tmpfs");
    perms(host, "hostdir");
    perms(shm, "tmpfs");
    names(host, shm, "hostdir");
    names(shm, host, "tmpfs");
    whiteout(shm, "tmpfs");
    special();
    sizes(host, "hostdir", 0);
    sizes(shm, "tmpfs", 1);
    tmpfs_holes(shm);
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
