/* dirs.c - getdents64/readdir: everything created is listed exactly once
 * with the right d_type and d_ino, small buffers, EINVAL for a too-small
 * buffer, seeking to a d_off, rewinding, removal during iteration, and
 * listings of /, /dev, /proc and /sys. On the host dir and a tmpfs. */
#include "ktest.h"
#include <dirent.h>

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

#define NFILES 300

struct ent {
    char name[260];
    unsigned char type;
    ino_t ino;
    long long off;
};

static struct ent ents[NFILES + 100];

/* Reads a whole directory with getdents64 and a buffer of `bufsz`. */
static int list_dir(int fd, size_t bufsz, struct ent *out, int max)
{
    static char buf[65536];
    int n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, bufsz);
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        for (long off = 0; off < r;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            if (n < max) {
                snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
                out[n].type = e->d_type;
                out[n].ino = e->d_ino;
                out[n].off = e->d_off;
            }
            n++;
            off += e->d_reclen;
        }
    }
    return n;
}

static int count_name(struct ent *e, int n, const char *name)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            c++;
    return c;
}

static void name_of(int i, char *out, size_t cap)
{
    /* varied lengths, up to 200 bytes */
    int len = 1 + (i * 37) % 200;
    int k = snprintf(out, cap, "f%d-", i);
    while (k < len && (size_t)k < cap - 1) {
        out[k] = (char)('a' + (i + k) % 26);
        k++;
    }
    out[k] = 0;
}

static void listing(const char *base, const char *fs, int with_fifo)
{
    char dir[PATH_MAX], p[PATH_MAX], nm[256];
    snprintf(dir, sizeof dir, "%s/list", base);
    mkdir(dir, 0755);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < NFILES; i++) {
        name_of(i, nm, sizeof nm);
        int fd = openat(dfd, nm, O_WRONLY | O_CREAT, 0644);
        close(fd);
    }
    mkdirat(dfd, "sub1", 0755);
    mkdirat(dfd, "sub2", 0755);
    symlinkat("f0-", dfd, "link1");
    symlinkat("dangling", dfd, "link2");
    if (with_fifo)
        mkfifoat(dfd, "fifo", 0644);
    int total = NFILES + 4 + (with_fifo ? 1 : 0) + 2;

    int n = list_dir(dfd, 65536, ents, NFILES + 100);
    CHECK_EQ(n, total, D("%s: getdents64 lists every entry plus . and ..", fs));
    int once = 1, types = 1, inos = 1;
    for (int i = 0; i < NFILES; i++) {
        name_of(i, nm, sizeof nm);
        if (count_name(ents, n, nm) != 1) {
            if (once)
                kt_printf("# %s: %s listed %d times\n", fs, nm, count_name(ents, n, nm));
            once = 0;
        }
    }
    for (int i = 0; i < n && i < NFILES + 100; i++) {
        struct stat st;
        if (fstatat(dfd, ents[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            inos = 0;
            continue;
        }
        if (strcmp(ents[i].name, "..") != 0 && st.st_ino != ents[i].ino)
            inos = 0;
        unsigned char want = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISFIFO(st.st_mode) ? DT_FIFO : DT_REG;
        if (ents[i].type != want) {
            if (types)
                kt_printf("# %s: %s has d_type %d want %d\n", fs, ents[i].name, ents[i].type, want);
            types = 0;
        }
    }
    CHECK(once, D("%s: each created file appears exactly once", fs));
    CHECK(count_name(ents, n, ".") == 1 && count_name(ents, n, "..") == 1, D("%s: . and .. appear once", fs));
    CHECK(count_name(ents, n, "sub1") == 1 && count_name(ents, n, "link2") == 1, D("%s: dirs and symlinks listed", fs));
    CHECK(types, D("%s: d_type matches lstat for every entry", fs));
    CHECK(inos, D("%s: d_ino matches st_ino for every entry", fs));

    /* small buffers give the same listing */
    lseek(dfd, 0, SEEK_SET);
    static struct ent small[NFILES + 100];
    int m = list_dir(dfd, 300, small, NFILES + 100);
    CHECK_EQ(m, total, D("%s: a 300-byte buffer (many calls) lists the same number", fs));
    int same = 1;
    for (int i = 0; i < m && i < n; i++)
        if (strcmp(small[i].name, ents[i].name) != 0)
            same = 0;
    CHECK(same, D("%s: ... in the same order", fs));
    lseek(dfd, 0, SEEK_SET);
    char tiny[16];
    CHECK_ERR(syscall(SYS_getdents64, dfd, tiny, sizeof tiny), EINVAL, D("%s: a buffer smaller than one entry is EINVAL", fs));

    /* seek to the d_off of entry 100: the rest follows */
    lseek(dfd, 0, SEEK_SET);
    m = list_dir(dfd, 65536, small, NFILES + 100);
    CHECK_EQ(lseek(dfd, (off_t)ents[99].off, SEEK_SET), (off_t)ents[99].off, D("%s: lseek to a d_off", fs));
    m = list_dir(dfd, 65536, small, NFILES + 100);
    CHECK_EQ(m, n - 100, D("%s: listing from entry 100's d_off gives the remaining entries", fs));
    CHECK(m > 0 && strcmp(small[0].name, ents[100].name) == 0, D("%s: ... starting at entry 100", fs));
    /* the last entry's d_off is past the end: listing from there is empty */
    lseek(dfd, (off_t)ents[n - 1].off, SEEK_SET);
    CHECK_EQ(list_dir(dfd, 65536, small, 10), 0, D("%s: the last d_off is the end", fs));

    /* removal during iteration: untouched names still appear exactly once */
    lseek(dfd, 0, SEEK_SET);
    static char buf[4096];
    long r = syscall(SYS_getdents64, dfd, buf, 1024);
    int seen = 0;
    static char seen_names[NFILES + 100][260];
    for (long off = 0; off < r;) {
        struct dirent64 *e = (struct dirent64 *)(buf + off);
        snprintf(seen_names[seen++], 260, "%s", e->d_name);
        off += e->d_reclen;
    }
    int removed = 0;
    for (int i = 0; i < NFILES; i += 3) {
        name_of(i, nm, sizeof nm);
        if (unlinkat(dfd, nm, 0) == 0)
            removed++;
    }
    static struct ent rest[NFILES + 100];
    int k = list_dir(dfd, 4096, rest, NFILES + 100);
    int dup = 0, missing = 0;
    for (int i = 0; i < NFILES; i++) {
        if (i % 3 == 0)
            continue;
        name_of(i, nm, sizeof nm);
        int before = 0;
        for (int j = 0; j < seen; j++)
            if (strcmp(seen_names[j], nm) == 0)
                before++;
        int c = before + count_name(rest, k, nm);
        if (c > 1)
            dup++;
        if (c < 1)
            missing++;
    }
    kt_check(dup == 0 && missing == 0, D("%s: unlinking during iteration: every kept name seen exactly once", fs),
             "%d duplicated, %d missing (removed %d, %d seen before)", dup, missing, removed, seen);

    int f = openat(dfd, "sub1", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(list_dir(f, 4096, rest, 10), 2, D("%s: an empty dir lists only . and ..", fs));
    close(f);
    name_of(1, nm, sizeof nm);
    snprintf(p, sizeof p, "%s/list/%s", base, nm);
    f = open(p, O_RDONLY);
    CHECK_ERR(syscall(SYS_getdents64, f, buf, sizeof buf), ENOTDIR, D("%s: getdents64 on a file is ENOTDIR", fs));
    close(f);

    /* a directory removed while open lists nothing */
    mkdirat(dfd, "doomed", 0755);
    f = openat(dfd, "doomed", O_RDONLY | O_DIRECTORY);
    unlinkat(dfd, "doomed", AT_REMOVEDIR);
    CHECK_EQ(list_dir(f, 4096, rest, 10), -ENOENT, D("%s: getdents64 of an open but removed directory is ENOENT", fs));
    close(f);

    /* glibc readdir over the same directory */
    DIR *dp = opendir(dir);
    int cnt = 0;
    while (readdir(dp))
        cnt++;
    closedir(dp);
    CHECK_EQ(cnt, total - removed, D("%s: opendir/readdir count after removals", fs));
    close(dfd);
}

static int dir_has(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

static void special_dirs(void)
{
    CHECK(dir_has("/", "proc") && dir_has("/", "dev") && dir_has("/", "sys"), "/ lists proc, dev, sys");
    CHECK(dir_has("/dev", "null") && dir_has("/dev", "zero") && dir_has("/dev", "shm"), "/dev lists null, zero, shm");
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());
    CHECK(dir_has("/proc", me), "/proc lists our pid");
    CHECK(dir_has("/proc", "self") && dir_has("/proc", "meminfo"), "/proc lists self and meminfo");
    CHECK(dir_has("/proc/self", "status") && dir_has("/proc/self", "fd"), "/proc/self lists status and fd");
    CHECK(dir_has("/sys/devices/system/cpu", "online"), "/sys/devices/system/cpu lists online");
    char fdn[16];
    int fd = dup2(open("/dev/null", O_RDONLY), 90); /* above whatever opendir uses */
    snprintf(fdn, sizeof fdn, "%d", fd);
    CHECK(dir_has("/proc/self/fd", fdn), "/proc/self/fd lists a freshly opened fd");
    close(fd);
    CHECK(!dir_has("/proc/self/fd", fdn), "... and not after close");
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    snprintf(me, sizeof me, "%d", (int)child);
    CHECK(dir_has("/proc", me), "/proc lists a child's pid");
    kill(child, SIGKILL);
    vt_reap(child);
    CHECK(!dir_has("/proc", me), "... and not after it was reaped");
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    const char *host = kt_mktemp("dirs");
    vt_mkshm("dirs");
    listing(host, "hostdir", 0);
    listing(vt_shmdir, "tmpfs", 1);
    special_dirs();
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
