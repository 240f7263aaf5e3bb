/* devfs.c - the character devices in /dev (null, zero, full, random,
 * urandom, tty without a controlling terminal), /dev/fd and /dev/std*,
 * and sysfs's /sys/devices/system/cpu. */
#include "ktest.h"
#include <dirent.h>
#include <sys/sysmacros.h>

static void chr(const char *path, int maj, int min)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    char desc[128];
    snprintf(desc, sizeof desc, "%s is a char device %d:%d", path, maj, min);
    int r = stat(path, &st);
    kt_check(r == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == (unsigned)maj && minor(st.st_rdev) == (unsigned)min, desc,
             "stat %d (%s) mode %o rdev %u:%u", r, r ? strerror(errno) : "ok", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
}

static void devices(void)
{
    unsigned char b[4096];
    chr("/dev/null", 1, 3);
    chr("/dev/zero", 1, 5);
    chr("/dev/full", 1, 7);
    chr("/dev/random", 1, 8);
    chr("/dev/urandom", 1, 9);
    chr("/dev/tty", 5, 0);
    struct stat st;
    stat("/dev/null", &st);
    CHECK_EQ(st.st_mode & 0777, 0666, "/dev/null is mode 0666");

    int fd = open("/dev/null", O_RDWR);
    CHECK_EQ(write(fd, b, sizeof b), sizeof b, "/dev/null swallows writes");
    CHECK_EQ(read(fd, b, sizeof b), 0, "/dev/null reads EOF");
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 0, "lseek on /dev/null returns 0");
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT), "/dev/null polls readable and writable");
    close(fd);

    fd = open("/dev/zero", O_RDWR);
    memset(b, 0xff, sizeof b);
    CHECK_EQ(read(fd, b, sizeof b), sizeof b, "/dev/zero fills a read");
    int zeros = 1;
    for (size_t i = 0; i < sizeof b; i++)
        if (b[i])
            zeros = 0;
    CHECK(zeros, "... with zeros");
    CHECK_EQ(write(fd, b, 100), 100, "/dev/zero accepts writes");
    unsigned char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && m[0] == 0 && m[8191] == 0, "mmap of /dev/zero gives zero pages");
    if (m != MAP_FAILED) {
        m[5] = 7;
        CHECK_EQ(m[5], 7, "... that are writable");
        munmap(m, 8192);
    }
    close(fd);

    fd = open("/dev/full", O_RDWR);
    CHECK_ERR(write(fd, "x", 1), ENOSPC, "writing /dev/full is ENOSPC");
    memset(b, 0xff, 16);
    CHECK(read(fd, b, 16) == 16 && b[0] == 0 && b[15] == 0, "/dev/full reads zeros");
    close(fd);

    unsigned char r1[64], r2[64];
    for (int k = 0; k < 2; k++) {
        const char *dev = k ? "/dev/random" : "/dev/urandom";
        char desc[128];
        fd = open(dev, O_RDONLY);
        snprintf(desc, sizeof desc, "%s reads 64 bytes twice", dev);
        CHECK(read(fd, r1, 64) == 64 && read(fd, r2, 64) == 64, desc);
        snprintf(desc, sizeof desc, "%s gives different bytes each time", dev);
        CHECK(memcmp(r1, r2, 64) != 0, desc);
        int nz = 0;
        for (int i = 0; i < 64; i++)
            nz += r1[i] != 0;
        snprintf(desc, sizeof desc, "%s bytes are not all zero", dev);
        CHECK(nz > 32, desc);
        struct pollfd pp = {fd, POLLIN, 0};
        snprintf(desc, sizeof desc, "%s polls readable", dev);
        CHECK(poll(&pp, 1, 0) == 1 && (pp.revents & POLLIN), desc);
        close(fd);
    }
    fd = open("/dev/urandom", O_WRONLY);
    CHECK_EQ(write(fd, "entropy", 7), 7, "root may write to /dev/urandom");
    close(fd);
    int big = 0;
    fd = open("/dev/urandom", O_RDONLY);
    static unsigned char mb[1 << 20];
    ssize_t got = vt_read_full(fd, mb, sizeof mb);
    int counts[256] = {0};
    for (ssize_t i = 0; i < got; i++)
        counts[mb[i]]++;
    for (int i = 0; i < 256; i++)
        if (counts[i] > 4096 + 600 || counts[i] < 4096 - 600)
            big++;
    close(fd);
    CHECK(got == (ssize_t)sizeof mb && big == 0, "1 MiB of /dev/urandom is roughly uniform over byte values");

    /* /dev/tty without a controlling terminal */
    pid_t pid = fork();
    if (pid == 0) {
        if (setsid() < 0)
            _exit(2);
        int t = open("/dev/tty", O_RDWR);
        _exit(t == -1 && errno == ENXIO ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "opening /dev/tty in a new session (no controlling tty) is ENXIO");

    char link[64];
    ssize_t n = readlink("/dev/fd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    CHECK_STR(link, "/proc/self/fd", "/dev/fd links to /proc/self/fd");
    n = readlink("/dev/stdin", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    CHECK_STR(link, "/proc/self/fd/0", "/dev/stdin links to /proc/self/fd/0");
    fd = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    struct stat ss;
    fstat(fd, &ss);
    CHECK(S_ISDIR(ss.st_mode) && (ss.st_mode & 07777) == 01777, "/dev/shm is a sticky 01777 directory");
    close(fd);
    int pp[2];
    pipe(pp);
    snprintf(link, sizeof link, "/dev/fd/%d", pp[1]);
    int w;
    CHECK_OK(w = open(link, O_WRONLY), "open /dev/fd/N of a pipe's write end");
    char c = 0;
    CHECK(write(w, "p", 1) == 1 && read(pp[0], &c, 1) == 1 && c == 'p', "... writes into that pipe");
    close(w);
    close(pp[0]);
    close(pp[1]);
}

static void sysfs(void)
{
    char b[128];
    CHECK(vt_get("/sys/devices/system/cpu/online", b, sizeof b) > 0, "read /sys/devices/system/cpu/online");
    int lo = -1, hi = -1;
    int k = sscanf(b, "%d-%d", &lo, &hi);
    if (k == 1)
        hi = lo;
    kt_check(k >= 1 && lo == 0 && hi >= 0 && b[strlen(b) - 1] == '\n', "online is \"0\" or \"0-N\" and a newline", "got \"%s\"", b);
    int ncpu = hi - lo + 1;
    CHECK(vt_get("/sys/devices/system/cpu/possible", b, sizeof b) > 0, "read possible");
    CHECK(vt_get("/sys/devices/system/cpu/present", b, sizeof b) > 0, "read present");
    DIR *d = opendir("/sys/devices/system/cpu");
    int dirs = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int id;
        char rest;
        if (sscanf(e->d_name, "cpu%d%c", &id, &rest) == 1)
            dirs++;
    }
    if (d)
        closedir(d);
    CHECK(dirs >= ncpu, "one cpuN directory per online cpu (at least)");
    CHECK_EQ(sysconf(_SC_NPROCESSORS_ONLN), ncpu, "sysconf(_SC_NPROCESSORS_ONLN) matches online");
    struct stat st;
    CHECK(stat("/sys/devices/system/cpu/online", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0444,
          "online is a 0444 regular file");
    CHECK_EQ(st.st_size, 4096, "online's size is a page, as every sysfs attribute's");
    CHECK_ERR(open("/sys/devices/system/cpu/online", O_WRONLY), EACCES, "opening online for writing as root is EACCES");
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    devices();
    sysfs();
    return kt_done();
}
