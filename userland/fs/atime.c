/* atime.c - access times on a tmpfs mount, as Linux's touch_atime: a
 * read (even one at the end of the file) and a getdents update the atime
 * under relatime only while it is not newer than the mtime or ctime;
 * strictatime always; noatime never; nodiratime spares directories;
 * O_NOATIME spares the file. And a remount without MS_BIND turns the
 * superblock read-only or read-write, so a bind mount of it follows.
 * Under qemu-user the program first unshares its mount namespace. */
#include "ktest.h"
#include "privns.h"
#include <dirent.h>
#include <sys/mount.h>
#include <time.h>

static char mp[300], mp2[300], file[400], dir[400];

static struct timespec atime_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        kt_fail("stat", "%s: %s", path, strerror(errno));
    return st.st_atim;
}

static int same(struct timespec a, struct timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }
static int after(struct timespec a, struct timespec b) { return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec); }

/* Until the coarse clock (what Linux stamps inodes with) has passed t. */
static void wait_past(struct timespec t)
{
    for (int i = 0; i < 5000; i++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME_COARSE, &now);
        if (after(now, t))
            return;
        usleep(1000);
    }
}

static void read_end(void)
{
    char c;
    int fd = open(file, O_RDONLY);
    if (pread(fd, &c, 1, 1000) != 0)
        kt_fail("pread at the end", "%s", strerror(errno));
    close(fd);
}

static void read_dir(void)
{
    DIR *d = opendir(dir);
    while (d && readdir(d))
        ;
    if (d)
        closedir(d);
}

/* atime and mtime set far in the past (ctime becomes now). */
static void age(const char *path)
{
    struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
    utimensat(AT_FDCWD, path, ts, 0);
}

static void remount(unsigned long flags, const char *desc)
{
    CHECK_OK(mount(NULL, mp, NULL, MS_REMOUNT | flags, NULL), desc);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    if (!vt_private_mounts("atime tests"))
        return kt_done();
    const char *base = vt_mkshm("atime");
    snprintf(mp, sizeof mp, "%s/mnt", base);
    snprintf(mp2, sizeof mp2, "%s/bind", base);
    snprintf(file, sizeof file, "%s/f", mp);
    snprintf(dir, sizeof dir, "%s/d", mp);
    mkdir(mp, 0755);
    mkdir(mp2, 0755);
    CHECK_OK(mount("tmpfs", mp, "tmpfs", 0, NULL), "mount a tmpfs (relatime by default)");
    int fd = open(file, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1, "create and write a file");
    close(fd);
    mkdir(dir, 0755);

    /* relatime */
    struct timespec a0 = atime_of(file);
    wait_past(a0);
    read_end();
    struct timespec a1 = atime_of(file);
    CHECK(after(a1, a0), "relatime: a read at the end of a file written since its atime updates the atime");
    wait_past(a1);
    read_end();
    CHECK(same(atime_of(file), a1), "relatime: a second read (atime newer than mtime and ctime) leaves it");
    struct timespec d0 = atime_of(dir);
    wait_past(d0);
    read_dir();
    struct timespec d1 = atime_of(dir);
    CHECK(after(d1, d0), "relatime: reading a new directory updates its atime");
    wait_past(d1);
    read_dir();
    CHECK(same(atime_of(dir), d1), "relatime: reading it again leaves it");

    /* O_NOATIME */
    age(file);
    fd = open(file, O_RDONLY | O_NOATIME);
    char c;
    CHECK(fd >= 0 && read(fd, &c, 1) == 1, "read through an O_NOATIME descriptor");
    close(fd);
    CHECK_EQ(atime_of(file).tv_sec, 1000000, "O_NOATIME: the read leaves the atime");

    /* strictatime */
    remount(MS_STRICTATIME, "remount strictatime");
    struct timespec s0 = atime_of(file);
    wait_past(s0);
    read_end();
    struct timespec s1 = atime_of(file);
    CHECK(after(s1, s0), "strictatime: a read updates the atime");
    wait_past(s1);
    read_end();
    CHECK(after(atime_of(file), s1), "strictatime: every read updates it");

    /* noatime */
    remount(MS_NOATIME, "remount noatime");
    age(file);
    age(dir);
    read_end();
    read_dir();
    CHECK_EQ(atime_of(file).tv_sec, 1000000, "noatime: a read leaves the file's atime");
    CHECK_EQ(atime_of(dir).tv_sec, 1000000, "noatime: a getdents leaves the directory's atime");

    /* nodiratime (with relatime) */
    remount(MS_NODIRATIME, "remount nodiratime");
    read_end();
    read_dir();
    CHECK(atime_of(file).tv_sec != 1000000, "nodiratime: a read updates an old file atime");
    CHECK_EQ(atime_of(dir).tv_sec, 1000000, "nodiratime: a getdents leaves the directory's atime");

    /* the superblock's read-only state, seen through a bind mount */
    CHECK_OK(mount(mp, mp2, NULL, MS_BIND, NULL), "bind the tmpfs elsewhere");
    remount(MS_RDONLY, "remount the tmpfs read-only (no MS_BIND)");
    char p2[400];
    snprintf(p2, sizeof p2, "%s/g", mp2);
    CHECK_ERR(open(p2, O_RDWR | O_CREAT, 0644), EROFS, "the bind mount of a read-only superblock refuses a create with EROFS");
    remount(0, "remount it read-write");
    fd = open(p2, O_RDWR | O_CREAT, 0644);
    CHECK_OK(fd, "the bind mount creates again");
    close(fd);
    umount(mp2);
    umount(mp);
    vt_cleanup_shm();
    return kt_done();
}
