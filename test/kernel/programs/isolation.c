/*
 * isolation <a|b> DIR: one half of the two-kernels test
 * (test/kernel/two-kernels.test.ts). Two kernels run in one Node process,
 * each with its own copy of this program; they share only the host
 * directory DIR. Each writes what it saw as "key value" lines to DIR/<role>.out.
 *
 * a: reports its time, the numbers of its first pipe, socket, /tmp's device
 *    and its root mount, a new file's mtime and random bytes; binds an
 *    abstract AF_UNIX name and holds a CPU latency request; then wakes futex waiters on DIR/word until b is done.
 * b: the same reports; once a is bound, tries to connect to a's abstract
 *    name and to bind it itself, reads the CPU latency in force, and waits on the futex word a keeps waking.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static FILE *out;
static char dir[256];

static const char *at(const char *name)
{
    static char buf[2][512];
    static int i;
    i ^= 1;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void hex(const char *key, const unsigned char *b, int n)
{
    fprintf(out, "%s ", key);
    for (int i = 0; i < n; i++) fprintf(out, "%02x", b[i]);
    fprintf(out, "\n");
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

static void nap(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

static int abstract_socket(struct sockaddr_un *sa, socklen_t *len)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    static const char name[] = "ghost-isolation";
    memcpy(sa->sun_path + 1, name, sizeof name - 1);
    *len = offsetof(struct sockaddr_un, sun_path) + 1 + sizeof name - 1;
    return socket(AF_UNIX, SOCK_STREAM, 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    const char *role = argv[1];
    snprintf(dir, sizeof dir, "%s", argv[2]);
    char path[64];
    snprintf(path, sizeof path, "%s.out", role);
    out = fopen(at(path), "w");
    if (!out) return 3;
    setvbuf(out, NULL, _IOLBF, 0);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fprintf(out, "time %lld\n", (long long)now.tv_sec);

    /* Numbers a kernel hands out (inodes of pipes and sockets, device numbers,
       mount ids): each kernel counts its own, the same in every kernel. */
    struct stat st;
    int pfd[2];
    if (pipe(pfd) != 0 || fstat(pfd[0], &st) != 0) return 7;
    fprintf(out, "pipe_ino %lu\n", (unsigned long)st.st_ino);
    close(pfd[0]);
    close(pfd[1]);
    int sfd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (sfd < 0 || fstat(sfd, &st) != 0) return 8;
    fprintf(out, "sock_ino %lu\n", (unsigned long)st.st_ino);
    close(sfd);
    if (stat("/tmp", &st) != 0) return 9;
    fprintf(out, "tmp_dev %lu\n", (unsigned long)st.st_dev);
    FILE *mi = fopen("/proc/self/mountinfo", "r");
    int mnt_id = -1;
    if (!mi || fscanf(mi, "%d", &mnt_id) != 1) return 10;
    fclose(mi);
    fprintf(out, "root_mnt_id %d\n", mnt_id);

    snprintf(path, sizeof path, "/tmp/only-%s", role);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    fstat(fd, &st);
    close(fd);
    fprintf(out, "mtime %lld\n", (long long)st.st_mtime);
    snprintf(path, sizeof path, "/tmp/only-%s", role[0] == 'a' ? "b" : "a");
    fprintf(out, "other_file %d\n", access(path, F_OK) == 0 ? 0 : errno);

    unsigned char r[16];
    fd = open("/dev/urandom", O_RDONLY);
    if (read(fd, r, sizeof r) != sizeof r) return 4;
    close(fd);
    hex("urandom", r, sizeof r);
    if (getrandom(r, sizeof r, 0) != sizeof r) return 5;
    hex("getrandom", r, sizeof r);

    struct sockaddr_un sa;
    socklen_t len;
    int wfd = open(at("word"), O_RDWR);
    unsigned *word = wfd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    if (word == MAP_FAILED) return 6;

    if (role[0] == 'a') {
        int s = abstract_socket(&sa, &len);
        fprintf(out, "bind %d\n", bind(s, (struct sockaddr *)&sa, len) == 0 && listen(s, 1) == 0 ? 0 : errno);
        /* A strict CPU latency request, held open while b looks. */
        int lat = open("/dev/cpu_dma_latency", O_RDWR);
        int32_t want = 5, got = 0;
        if (lat < 0 || write(lat, &want, 4) != 4 || pread(lat, &got, 4, 0) != 4) return 11;
        fprintf(out, "dma_latency %d\n", (int)got);
        close(open(at("a-bound"), O_CREAT | O_WRONLY, 0644));
        /* Keep the name bound and keep waking the word's waiters until b is done. */
        long woken = 0;
        while (!exists(at("b-done"))) {
            woken += syscall(SYS_futex, word, FUTEX_WAKE, 1 << 30, NULL, NULL, 0);
            nap(1000000);
        }
        fprintf(out, "woken %ld\n", woken);
    } else {
        while (!exists(at("a-bound"))) nap(5000000);
        int s = abstract_socket(&sa, &len);
        fprintf(out, "connect %d\n", connect(s, (struct sockaddr *)&sa, len) == 0 ? 0 : errno);
        int lat = open("/dev/cpu_dma_latency", O_RDONLY);
        int32_t got = 0;
        if (lat < 0 || read(lat, &got, 4) != 4) return 11;
        close(lat);
        fprintf(out, "dma_latency %d\n", (int)got);
        close(s);
        s = abstract_socket(&sa, &len);
        fprintf(out, "bind %d\n", bind(s, (struct sockaddr *)&sa, len) == 0 ? 0 : errno);
        close(s);
        struct timespec to = { 0, 500000000 };
        long w = syscall(SYS_futex, word, FUTEX_WAIT, 0, &to, NULL, 0);
        fprintf(out, "futex_wait %ld\n", w == 0 ? 0L : (long)errno);
        close(open(at("b-done"), O_CREAT | O_WRONLY, 0644));
    }
    fprintf(out, "done\n");
    return 0;
}
