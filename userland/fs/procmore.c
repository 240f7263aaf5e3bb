/* procmore.c - the /proc files, devices and /etc entries that tools and test
 * suites probe for: /proc/config.gz (and /boot/config-<release>), mountinfo,
 * smaps, smaps_rollup, pagemap, /proc/sysvipc, /proc/sys/fs/inotify, the pipe
 * limits, kernel/tainted, inotify's fdinfo lines, /dev/cpu_dma_latency, the
 * random device's ioctls, Debian's standard users and groups. */
#include "ktest.h"
#include <grp.h>
#include <linux/random.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/utsname.h>

static char buf[1 << 20];

/* Does the text have a line containing every one of the words? */
static int has_line_with(const char *text, const char *a, const char *b)
{
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(n < 1000 ? n : 1000), p);
        if (strstr(line, a) && (!b || strstr(line, b)))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static void config(void)
{
    unsigned char head[3] = {0};
    int fd = open("/proc/config.gz", O_RDONLY);
    CHECK(fd >= 0, "/proc/config.gz opens");
    CHECK(fd >= 0 && read(fd, head, 3) == 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8,
          "/proc/config.gz is gzip (deflate)");
    if (fd >= 0)
        close(fd);
    if (kt_qemu()) {
        kt_skip("/boot/config-<release> names the features", "the host need not install it");
        return;
    }
    struct utsname u;
    uname(&u);
    char path[300];
    snprintf(path, sizeof path, "/boot/config-%s", u.release);
    ssize_t n = vt_get(path, buf, sizeof buf);
    CHECK(n > 0 && vt_line(buf, "CONFIG_MMU=y") && vt_line(buf, "CONFIG_PROC_FS=y") && vt_line(buf, "CONFIG_SYSVIPC=y") &&
              vt_line(buf, "# CONFIG_MODULES is not set"),
          "/boot/config-<release> names the features (MMU, PROC_FS, SYSVIPC set; MODULES not set)");
    /* What Ghost has is set: dnotify (F_NOTIFY), block devices, ext4's POSIX ACLs. */
    CHECK(n > 0 && vt_line(buf, "CONFIG_DNOTIFY=y") && vt_line(buf, "CONFIG_BLOCK=y") && vt_line(buf, "CONFIG_FS_POSIX_ACL=y"),
          "/boot/config-<release> sets DNOTIFY, BLOCK and FS_POSIX_ACL");
}

static void mountinfo(void)
{
    ssize_t n = vt_get("/proc/self/mountinfo", buf, sizeof buf);
    CHECK(n > 0, "/proc/self/mountinfo reads");
    CHECK(has_line_with(buf, " / / ", " - "), "mountinfo: the root mount, with the ' - ' separator");
    CHECK(has_line_with(buf, " /proc ", " - proc "), "mountinfo: /proc is a proc mount");
    int fields = 0;
    char copy[512];
    snprintf(copy, sizeof copy, "%.*s", (int)strcspn(buf, "\n"), buf);
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
        fields++;
    CHECK(fields >= 10, "mountinfo: a line has at least 10 fields");
}

static void smaps(void)
{
    static char maps[1 << 16];
    vt_get("/proc/self/maps", maps, sizeof maps);
    ssize_t n = vt_get("/proc/self/smaps", buf, sizeof buf);
    CHECK(n > 0 && vt_line(buf, "Rss:") && vt_line(buf, "VmFlags:"), "/proc/self/smaps has Rss and VmFlags lines");
    int nmaps = 0, nflags = 0;
    for (const char *p = maps; (p = strchr(p, '\n')); p++)
        nmaps++;
    for (const char *p = buf; (p = strstr(p, "\nVmFlags:")); p++)
        nflags++;
    if (kt_qemu()) /* qemu-user fakes maps for the guest, not smaps */
        kt_skip("smaps has one entry per maps line", "qemu-user emulates only maps");
    else
        CHECK_EQ(nflags, nmaps, "smaps has one entry per maps line");
    n = vt_get("/proc/self/smaps_rollup", buf, sizeof buf);
    CHECK(n > 0 && vt_line(buf, "Rss:") && vt_line(buf, "Pss:"), "/proc/self/smaps_rollup sums Rss and Pss");
}

static void pagemap(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1; /* the first page is resident, the second never touched */
    int fd = open("/proc/self/pagemap", O_RDONLY);
    CHECK(fd >= 0, "/proc/self/pagemap opens");
    uint64_t e[2] = {0, 0};
    CHECK_EQ(pread(fd, e, 16, (off_t)((uintptr_t)p / ps) * 8), 16, "pagemap: 16 bytes at the entry of a mapping");
    CHECK(e[0] >> 63, "pagemap: a touched page is present (bit 63)");
    CHECK(!(e[1] >> 63), "pagemap: an untouched page is not present");
    e[0] = 1;
    CHECK_EQ(pread(fd, e, 8, 0), 8, "pagemap: the entry of page 0 reads");
    CHECK_EQ(e[0], 0, "pagemap: page 0 is not mapped");
    close(fd);
    munmap(p, 2 * ps);
}

static void sysvipc(void)
{
    int shm = shmget(IPC_PRIVATE, 12288, IPC_CREAT | 0640);
    int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0604);
    char id[32];
    vt_get("/proc/sysvipc/shm", buf, sizeof buf);
    snprintf(id, sizeof id, " %d ", shm);
    CHECK(vt_line(buf, "       key      shmid perms") && has_line_with(buf, id, " 640 "), "/proc/sysvipc/shm lists the segment (id, perms 640)");
    CHECK(has_line_with(buf, id, " 12288 "), "/proc/sysvipc/shm shows its size 12288");
    vt_get("/proc/sysvipc/sem", buf, sizeof buf);
    snprintf(id, sizeof id, " %d ", sem);
    CHECK(vt_line(buf, "       key      semid perms") && has_line_with(buf, id, " 600 "), "/proc/sysvipc/sem lists the set");
    vt_get("/proc/sysvipc/msg", buf, sizeof buf);
    snprintf(id, sizeof id, " %d ", msg);
    CHECK(vt_line(buf, "       key      msqid perms") && has_line_with(buf, id, " 604 "), "/proc/sysvipc/msg lists the queue");
    shmctl(shm, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    msgctl(msg, IPC_RMID, NULL);
    vt_get("/proc/sysvipc/shm", buf, sizeof buf);
    snprintf(id, sizeof id, " %d ", shm);
    CHECK(!has_line_with(buf, id, " 12288 "), "a removed segment leaves /proc/sysvipc/shm");
}

static long num(const char *path)
{
    char b[64];
    if (vt_get(path, b, sizeof b) <= 0)
        return -1;
    return strtol(b, NULL, 10);
}

static void sysctls(void)
{
    CHECK(num("/proc/sys/fs/inotify/max_queued_events") > 0, "/proc/sys/fs/inotify/max_queued_events");
    CHECK(num("/proc/sys/fs/inotify/max_user_instances") > 0, "/proc/sys/fs/inotify/max_user_instances");
    CHECK(num("/proc/sys/fs/inotify/max_user_watches") > 0, "/proc/sys/fs/inotify/max_user_watches");
    CHECK(num("/proc/sys/fs/pipe-user-pages-soft") >= 0, "/proc/sys/fs/pipe-user-pages-soft");
    CHECK(num("/proc/sys/fs/pipe-user-pages-hard") >= 0, "/proc/sys/fs/pipe-user-pages-hard");
    CHECK_EQ(num("/proc/sys/fs/pipe-max-size"), 1048576, "/proc/sys/fs/pipe-max-size is 1048576");
    CHECK(num("/proc/sys/kernel/tainted") >= 0, "/proc/sys/kernel/tainted");
    CHECK(num("/proc/sys/kernel/shmmni") > 0 && num("/proc/sys/kernel/msgmax") > 0, "/proc/sys/kernel/shmmni and msgmax");
}

static void pid_files(void)
{
    char b[128];
    CHECK(vt_get("/proc/self/personality", b, sizeof b) == 9 && strcmp(b, "00000000\n") == 0, "/proc/self/personality is 00000000");
    CHECK(num("/proc/self/timerslack_ns") == 50000, "/proc/self/timerslack_ns is 50000");
    CHECK(vt_put("/proc/self/oom_score_adj", "1000", 0) == 0 && num("/proc/self/oom_adj") == 15, "oom_adj follows oom_score_adj (1000 -> 15)");
    vt_put("/proc/self/oom_score_adj", "0", 0);
    CHECK(vt_get("/proc/self/coredump_filter", b, sizeof b) > 0 && strtol(b, NULL, 16) > 0, "/proc/self/coredump_filter");
    CHECK(vt_get("/proc/self/loginuid", b, sizeof b) > 0, "/proc/self/loginuid reads");
    CHECK(vt_get("/proc/self/schedstat", b, sizeof b) > 0, "/proc/self/schedstat reads");
    CHECK(vt_get("/proc/vmstat", buf, sizeof buf) > 0 && vt_line(buf, "nr_free_pages "), "/proc/vmstat has nr_free_pages");
    CHECK(vt_get("/proc/swaps", buf, sizeof buf) > 0 && vt_line(buf, "Filename"), "/proc/swaps has its header");
}

static void inotify_fdinfo(void)
{
    const char *d = vt_mkshm("procmore");
    int fd = inotify_init1(IN_CLOEXEC);
    int wd = inotify_add_watch(fd, d, IN_CREATE | IN_DELETE);
    struct stat st;
    stat(d, &st);
    char path[64], want[96];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    vt_get(path, buf, sizeof buf);
    snprintf(want, sizeof want, "inotify wd:%x ino:%lx ", wd, (unsigned long)st.st_ino);
    CHECK(vt_line(buf, want) != NULL, "fdinfo of an inotify fd has its watch line (wd, ino)");
    snprintf(want, sizeof want, " mask:%x ", IN_CREATE | IN_DELETE);
    CHECK(strstr(buf, want) != NULL, "the watch line shows the mask");
    close(fd);
    vt_cleanup_shm();
}

static void cpu_dma_latency(void)
{
    int fd = open("/dev/cpu_dma_latency", O_RDWR);
    CHECK(fd >= 0, "/dev/cpu_dma_latency opens");
    int32_t v = -1;
    CHECK(read(fd, &v, 4) == 4 && v > 0, "it reads the latency target as an s32");
    v = 10;
    CHECK_EQ(write(fd, &v, 4), 4, "writing a 4-byte request");
    v = -1;
    CHECK(pread(fd, &v, 4, 0) == 4 && v <= 10, "the target is now at most 10");
    close(fd);
}

static void random_ioctls(void)
{
    int fd = open("/dev/urandom", O_RDONLY);
    int cnt = -1;
    CHECK_OK(ioctl(fd, RNDGETENTCNT, &cnt), "RNDGETENTCNT on /dev/urandom");
    CHECK(cnt >= 0, "the entropy count is not negative");
    if (kt_qemu()) /* qemu-user refuses ioctls it does not know with ENOSYS */
        kt_skip("an unknown random ioctl is EINVAL", "qemu-user does not forward unknown ioctls");
    else
        CHECK_ERR(ioctl(fd, _IO('R', 0x99)), EINVAL, "an unknown random ioctl is EINVAL");
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        if (setuid(1000) != 0)
            _exit(2);
        _exit(ioctl(fd, RNDZAPENTCNT) == -1 && errno == EPERM ? 0 : 1);
    }
    CHECK_EQ(vt_reap(pid), 0, "RNDZAPENTCNT without CAP_SYS_ADMIN is EPERM");
    close(fd);
    int n = open("/dev/null", O_RDONLY);
    CHECK_ERR(ioctl(n, RNDGETENTCNT, &cnt), ENOTTY, "RNDGETENTCNT on /dev/null is ENOTTY");
    close(n);
}

static void etc_users(void)
{
    vt_get("/etc/passwd", buf, sizeof buf);
    CHECK(vt_line(buf, "daemon:x:1:1:") && vt_line(buf, "bin:x:2:2:"), "/etc/passwd has Debian's daemon and bin");
    vt_get("/etc/group", buf, sizeof buf);
    CHECK(vt_line(buf, "nogroup:x:65534:") && vt_line(buf, "adm:x:4:"), "/etc/group has nogroup and adm");
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    config();
    mountinfo();
    smaps();
    pagemap();
    sysvipc();
    sysctls();
    pid_files();
    inotify_fdinfo();
    cpu_dma_latency();
    random_ioctls();
    etc_users();
    return kt_done();
}
