/* fsflags.c - inode flags on a tmpfs (Linux 6.0 on: shmem_fileattr_get/set):
 * FS_IOC_GETFLAGS/SETFLAGS take FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL
 * and FS_NOATIME_FL (anything else EOPNOTSUPP); a new inode inherits its
 * directory's NODUMP/NOATIME; and the VFS enforces immutable and append-only
 * (may_open, may_delete, vfs_link, notify_change, do_truncate, setfl,
 * vfs_fallocate): EPERM. Works on the first tmpfs of /dev/shm, /tmp
 * (skipped where there is none, or without CAP_LINUX_IMMUTABLE). */
#include "ktest.h"
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <utime.h>

static char dir[256];
static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

static const char *P(const char *leaf)
{
    static char bufs[16][PATH_MAX];
    static int next;
    char *b = bufs[next++ & 15];
    snprintf(b, PATH_MAX, "%s/%s", dir, leaf);
    return b;
}

static int getfl(int fd)
{
    int a = -1;
    if (ioctl(fd, FS_IOC_GETFLAGS, &a) != 0)
        return -errno - 1000;
    return a;
}

static int setfl(int fd, int a)
{
    return ioctl(fd, FS_IOC_SETFLAGS, &a) == 0 ? 0 : -errno;
}

static int pathfl(const char *path, int a)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int r = setfl(fd, a);
    close(fd);
    return r;
}

#define ERR(call) ((call) == -1 ? errno : 0)

/* statx's attributes of path, or -1; *mask gets the attributes mask. */
static long long attrs(const char *path, unsigned long long *mask)
{
    struct statx sx;
    if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx) != 0)
        return -1;
    *mask = sx.stx_attributes_mask;
    return (long long)sx.stx_attributes;
}

#define KNOWN (STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP)

static void immutable_file(void)
{
    const char *f = P("imm"), *g = P("imm2");
    int w = open(f, O_RDWR | O_CREAT, 0644);
    CHECK_EQ(write(w, "abc", 3), 3, "immutable: write before");
    CHECK_EQ(setfl(w, FS_IMMUTABLE_FL), 0, "immutable: FS_IOC_SETFLAGS(FS_IMMUTABLE_FL)");
    CHECK_EQ(getfl(w), FS_IMMUTABLE_FL, "immutable: FS_IOC_GETFLAGS reads it back");
    unsigned long long m = 0;
    CHECK_EQ(attrs(f, &m) & KNOWN, STATX_ATTR_IMMUTABLE, "immutable: statx STATX_ATTR_IMMUTABLE");
    CHECK_EQ(ERR(open(f, O_WRONLY)), EPERM, "immutable: open O_WRONLY EPERM");
    CHECK_EQ(ERR(open(f, O_RDONLY | O_TRUNC)), EPERM, "immutable: open O_TRUNC EPERM");
    int r = open(f, O_RDONLY);
    CHECK(r >= 0, "immutable: open O_RDONLY allowed");
    close(r);
    CHECK_EQ(ERR(access(f, W_OK)), EPERM, "immutable: access W_OK EPERM");
    CHECK_EQ(ERR(unlink(f)), EPERM, "immutable: unlink EPERM");
    CHECK_EQ(ERR(rename(f, g)), EPERM, "immutable: rename away EPERM");
    close(open(g, O_RDWR | O_CREAT, 0644));
    CHECK_EQ(ERR(rename(g, f)), EPERM, "immutable: rename over it EPERM");
    CHECK_EQ(ERR(link(f, P("immlink"))), EPERM, "immutable: link EPERM");
    CHECK_EQ(ERR(chmod(f, 0600)), EPERM, "immutable: chmod EPERM");
    CHECK_EQ(ERR(chown(f, 1, 1)), EPERM, "immutable: chown EPERM");
    CHECK_EQ(ERR(utime(f, NULL)), EPERM, "immutable: utime(NULL) EPERM");
    CHECK_EQ(ERR(truncate(f, 0)), EPERM, "immutable: truncate EPERM");
    CHECK_EQ(ERR(fallocate(w, 0, 0, 4096)), EPERM, "immutable: fallocate EPERM");
    CHECK_EQ(ERR(setxattr(f, "user.x", "1", 1, 0)), EPERM, "immutable: setxattr EPERM");
    struct stat st;
    CHECK(stat(f, &st) == 0 && st.st_size == 3 && (st.st_mode & 0777) == 0644, "immutable: size and mode unchanged");
    CHECK_EQ(setfl(w, 0), 0, "immutable: cleared");
    CHECK_EQ(ERR(unlink(f)), 0, "immutable: unlink once cleared");
    close(w);
    unlink(g);
}

static void append_file(void)
{
    const char *f = P("app");
    int w = open(f, O_RDWR | O_CREAT, 0644);
    CHECK_EQ(write(w, "abc", 3), 3, "append: write before");
    CHECK_EQ(setfl(w, FS_APPEND_FL), 0, "append: FS_IOC_SETFLAGS(FS_APPEND_FL)");
    CHECK_EQ(getfl(w), FS_APPEND_FL, "append: FS_IOC_GETFLAGS reads it back");
    unsigned long long m = 0;
    CHECK_EQ(attrs(f, &m) & KNOWN, STATX_ATTR_APPEND, "append: statx STATX_ATTR_APPEND");
    CHECK_EQ(ERR(open(f, O_WRONLY)), EPERM, "append: open O_WRONLY without O_APPEND EPERM");
    CHECK_EQ(ERR(open(f, O_WRONLY | O_APPEND | O_TRUNC)), EPERM, "append: open O_TRUNC EPERM");
    int a = open(f, O_WRONLY | O_APPEND);
    CHECK(a >= 0, "append: open O_WRONLY|O_APPEND allowed");
    CHECK_EQ(write(a, "de", 2), 2, "append: write through O_APPEND");
    CHECK_EQ(ERR(fcntl(a, F_SETFL, 0)), EPERM, "append: F_SETFL clearing O_APPEND EPERM");
    close(a);
    CHECK_EQ(ERR(unlink(f)), EPERM, "append: unlink EPERM");
    CHECK_EQ(ERR(rename(f, P("app2"))), EPERM, "append: rename away EPERM");
    CHECK_EQ(ERR(truncate(f, 1)), EPERM, "append: truncate EPERM");
    CHECK_EQ(ERR(ftruncate(w, 1)), EPERM, "append: ftruncate EPERM");
    CHECK_EQ(ERR(fallocate(w, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1)), EPERM, "append: punch hole EPERM");
    CHECK_EQ(ERR(chmod(f, 0600)), EPERM, "append: chmod EPERM");
    /* notify_change: times may be touched to now, not set (LTP utimensat01). */
    struct timespec now2[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}}, set2[2] = {{1, 0}, {1, 0}};
    CHECK_EQ(ERR(utimensat(AT_FDCWD, f, NULL, 0)), 0, "append: utimensat(NULL) allowed");
    CHECK_EQ(ERR(utimensat(AT_FDCWD, f, now2, 0)), 0, "append: utimensat(UTIME_NOW x2) allowed");
    CHECK_EQ(ERR(utimensat(AT_FDCWD, f, set2, 0)), EPERM, "append: utimensat with explicit times EPERM");
    struct timespec half[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    CHECK_EQ(ERR(utimensat(AT_FDCWD, f, half, 0)), EPERM, "append: utimensat(UTIME_NOW, UTIME_OMIT) EPERM");
    char buf[8] = {0};
    CHECK(pread(w, buf, sizeof buf, 0) == 5 && memcmp(buf, "abcde", 5) == 0, "append: contents abcde");
    CHECK_EQ(setfl(w, 0), 0, "append: cleared");
    CHECK_EQ(ERR(unlink(f)), 0, "append: unlink once cleared");
    close(w);
}

static void directories(void)
{
    const char *d = P("d"), *child = P("d/child"), *nu = P("d/new");
    mkdir(d, 0755);
    close(open(child, O_RDWR | O_CREAT, 0644));
    CHECK_EQ(pathfl(d, FS_IMMUTABLE_FL), 0, "immutable dir: set");
    CHECK_EQ(ERR(open(nu, O_RDWR | O_CREAT, 0644)), EPERM, "immutable dir: create EPERM");
    CHECK_EQ(ERR(unlink(child)), EPERM, "immutable dir: unlink child EPERM");
    CHECK_EQ(pathfl(d, FS_APPEND_FL), 0, "append dir: set");
    int c = open(nu, O_RDWR | O_CREAT, 0644);
    CHECK(c >= 0, "append dir: create allowed");
    close(c);
    CHECK_EQ(ERR(unlink(child)), EPERM, "append dir: unlink child EPERM");
    CHECK_EQ(ERR(rename(child, P("d/renamed"))), EPERM, "append dir: rename child EPERM");
    CHECK_EQ(pathfl(d, FS_NODUMP_FL | FS_NOATIME_FL), 0, "dir: NODUMP|NOATIME set (append cleared)");
    const char *inh = P("d/inherits");
    c = open(inh, O_RDWR | O_CREAT, 0644);
    CHECK_EQ(getfl(c), FS_NODUMP_FL | FS_NOATIME_FL, "a new file inherits its directory's NODUMP|NOATIME");
    close(c);
    mkdir(P("d/sub"), 0755);
    c = open(P("d/sub"), O_RDONLY);
    CHECK_EQ(getfl(c), FS_NODUMP_FL | FS_NOATIME_FL, "a new directory inherits them too");
    close(c);
    CHECK_EQ(pathfl(d, 0), 0, "dir: cleared");
    unlink(child);
    unlink(nu);
    unlink(inh);
    rmdir(P("d/sub"));
    CHECK_EQ(ERR(rmdir(d)), 0, "dir: removed once cleared");
}

static void refusals(void)
{
    const char *f = P("plain");
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    CHECK_EQ(getfl(fd), 0, "a new file has no flags");
    unsigned long long m = 0;
    CHECK_EQ(attrs(f, &m) & KNOWN, 0, "statx: no attributes on a new file");
    CHECK_EQ(m & KNOWN, KNOWN, "statx: tmpfs knows immutable, append and nodump");
    CHECK_EQ(setfl(fd, FS_SYNC_FL), -EOPNOTSUPP, "FS_SYNC_FL is EOPNOTSUPP on tmpfs");
    CHECK_EQ(setfl(fd, FS_NODUMP_FL | FS_COMPR_FL), -EOPNOTSUPP, "any flag beyond the four is EOPNOTSUPP");
    CHECK_EQ(getfl(fd), 0, "a refused set changes nothing");
    CHECK_EQ(setfl(fd, FS_NODUMP_FL | FS_NOATIME_FL), 0, "NODUMP|NOATIME set");
    CHECK_EQ(getfl(fd), FS_NODUMP_FL | FS_NOATIME_FL, "NODUMP|NOATIME read back");
    CHECK_EQ(attrs(f, &m) & KNOWN, STATX_ATTR_NODUMP, "statx STATX_ATTR_NODUMP");
    int rd = open(f, O_RDONLY);
    CHECK_EQ(setfl(rd, 0), 0, "SETFLAGS through a read-only fd (owner)");
    close(rd);
    fchmod(fd, 0666);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0)
            _exit(2);
        int o = open(f, O_RDWR);
        int a = 0;
        _exit(o >= 0 && ioctl(o, FS_IOC_SETFLAGS, &a) == -1 && errno == EPERM ? 0 : 1);
    }
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "SETFLAGS by a non-owner is EPERM");
    close(fd);
    unlink(f);
}

static int is_tmpfs(const char *d)
{
    struct statfs s;
    return statfs(d, &s) == 0 && s.f_type == TMPFS_MAGIC && access(d, W_OK) == 0;
}

int main(void)
{
    const char *cand[] = {"/dev/shm", "/tmp"};
    const char *base = NULL;
    for (unsigned i = 0; i < 2 && !base; i++)
        if (is_tmpfs(cand[i]))
            base = cand[i];
    if (!base) {
        kt_skip("inode flags on tmpfs", "no writable tmpfs at /dev/shm or /tmp");
        return kt_done();
    }
    snprintf(dir, sizeof dir, "%s/ktest-fsflags-%d", base, (int)getpid());
    if (mkdir(dir, 0755) != 0) {
        kt_fail("mkdir", "%s: %s", dir, strerror(errno));
        return kt_done();
    }
    int probe = open(P("probe"), O_RDWR | O_CREAT, 0644);
    int r = setfl(probe, FS_IMMUTABLE_FL);
    setfl(probe, 0);
    close(probe);
    unlink(P("probe"));
    if (r == -EPERM) {
        kt_skip("inode flags on tmpfs", "no CAP_LINUX_IMMUTABLE");
    } else {
        refusals();
        immutable_file();
        append_file();
        directories();
    }
    rmdir(dir);
    return kt_done();
}
