/*
 * mapwb - writeback of MAP_SHARED file mappings: only pages written through
 * a writable shared mapping go back to the file (on munmap, msync, exit);
 * a mapping only read never rewrites its file, and exit and exec complete
 * whatever happens to writeback.
 *
 *   mapwb                 files in a fresh temp dir (build/test/tmp-mapwb-PID)
 *   mapwb DIR             files in DIR (writable)
 *   mapwb DIR ro          DIR is a read-only mount holding data.txt (PATTERN_LEN
 *                         bytes of pattern()); only the read-only checks run
 *   mapwb exec-child FILE (internal) the image mapwb execs while FILE is mapped
 */
#include "ktest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PATTERN_LEN 10000 /* three pages, the last one partial */
#define PG 4096

static char pattern(long i) { return (char)('a' + (i * 7) % 26); }

static int pattern_ok(const char *p, long n)
{
    for (long i = 0; i < n; i++)
        if (p[i] != pattern(i))
            return 0;
    return 1;
}

/* The file's bytes equal the pattern except `n` bytes `what` at `at`. */
static int file_is(const char *path, long at, const char *what, long n)
{
    char buf[PATTERN_LEN + 16];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    long got = kt_read_full(fd, buf, sizeof buf);
    close(fd);
    if (got != PATTERN_LEN)
        return 0;
    for (long i = 0; i < PATTERN_LEN; i++) {
        char want = i >= at && i < at + n ? what[i - at] : pattern(i);
        if (buf[i] != want)
            return 0;
    }
    return 1;
}

static void make_file(const char *path)
{
    char buf[PATTERN_LEN];
    for (long i = 0; i < PATTERN_LEN; i++)
        buf[i] = pattern(i);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
        kt_fail("create data file", "%s: %s", path, strerror(errno));
        exit(kt_done());
    }
    close(fd);
}

/* Sets the file's mtime far in the past, so that any rewrite shows. */
static void age(const char *path)
{
    struct timespec ts[2] = {{946684800, 0}, {946684800, 0}};
    utimensat(AT_FDCWD, path, ts, 0);
}

static long long mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* Maps the whole file shared, with prot, through an fd opened with oflags. */
static char *map_file(const char *path, int oflags, int prot)
{
    int fd = open(path, oflags);
    if (fd < 0)
        return MAP_FAILED;
    char *p = mmap(NULL, PATTERN_LEN, prot, MAP_SHARED, fd, 0);
    close(fd);
    return p;
}

/* Reads every page of the mapping; 1 if it holds the pattern. */
static int touch_read(const char *p) { return p != MAP_FAILED && pattern_ok(p, PATTERN_LEN); }

/*
 * In a child: map the file shared (oflags, prot), read every page, then end
 * the child by `how`: 0 exit without munmap, 1 munmap and msync then exit,
 * 2 execve into `mapwb exec-child` (which exits 7). Returns the child's
 * status as vt-style code (exit code, or 1000+signal).
 */
static int child_maps(const char *path, int oflags, int prot, int how)
{
    pid_t pid = fork();
    if (pid == 0) {
        kt_watchdog(60);
        char *p = map_file(path, oflags, prot);
        if (!touch_read(p))
            _exit(3);
        if (how == 1) {
            if (msync(p, PATTERN_LEN, MS_SYNC) != 0)
                _exit(4);
            if (munmap(p, PATTERN_LEN) != 0)
                _exit(5);
        }
        if (how == 2) {
            char *argv[] = {kt_self, (char *)"exec-child", (char *)path, NULL};
            kt_exec(kt_self, argv, environ);
            _exit(6);
        }
        exit(0);
    }
    int st = 0;
    if (kt_waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -1;
}

/* Mapping a file shared and only reading it never writes the file back. */
static void read_only_checks(const char *path, int writable_dir)
{
    long long before = mtime_ns(path);
    CHECK_EQ(child_maps(path, O_RDONLY, PROT_READ, 0), 0, "MAP_SHARED PROT_READ, read every page, exit: the child exits 0");
    CHECK_EQ(mtime_ns(path), before, "... and the file's mtime is unchanged");
    CHECK_EQ(child_maps(path, O_RDONLY, PROT_READ, 1), 0, "MAP_SHARED PROT_READ, msync(MS_SYNC) and munmap succeed");
    CHECK_EQ(mtime_ns(path), before, "... and the file's mtime is unchanged");
    CHECK_EQ(child_maps(path, O_RDONLY, PROT_READ, 2), 7, "MAP_SHARED PROT_READ then execve: the new image runs (exit 7)");
    CHECK_EQ(mtime_ns(path), before, "... and the file's mtime is unchanged");
    if (writable_dir) {
        CHECK_EQ(child_maps(path, O_RDWR, PROT_READ | PROT_WRITE, 0), 0,
                 "MAP_SHARED PROT_READ|PROT_WRITE (O_RDWR), only read, exit: the child exits 0");
        CHECK_EQ(mtime_ns(path), before, "... and the file's mtime is unchanged (no page was dirtied)");
        CHECK_EQ(child_maps(path, O_RDWR, PROT_READ | PROT_WRITE, 1), 0, "... msync(MS_SYNC) and munmap of it succeed");
        CHECK_EQ(mtime_ns(path), before, "... and the file's mtime is still unchanged");
    }
    CHECK(file_is(path, 0, "", 0), "the file's content is unchanged");

    /* A private writable mapping writes nothing back either. */
    int fd = open(path, O_RDONLY);
    char *p = mmap(NULL, PATTERN_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p != MAP_FAILED) {
        memcpy(p + 100, "private", 7);
        munmap(p, PATTERN_LEN);
    }
    CHECK(p != MAP_FAILED && file_is(path, 0, "", 0) && mtime_ns(path) == before,
          "a MAP_PRIVATE copy written and unmapped leaves the file as it was");
    CHECK(map_file(path, O_RDONLY, PROT_READ | PROT_WRITE) == MAP_FAILED && errno == EACCES,
          "MAP_SHARED PROT_WRITE of an O_RDONLY fd is EACCES");
}

/* Stores through a writable shared mapping reach the file on munmap, msync and exit. */
static void write_checks(const char *path)
{
    char *p = map_file(path, O_RDWR, PROT_READ | PROT_WRITE);
    CHECK(p != MAP_FAILED, "map the file shared read-write");
    if (p == MAP_FAILED)
        return;
    memcpy(p + 10, "MUNMAP", 6);
    CHECK_OK(munmap(p, PATTERN_LEN), "munmap after a store");
    CHECK(file_is(path, 10, "MUNMAP", 6), "the store reached the file after munmap");
    make_file(path);

    p = map_file(path, O_RDWR, PROT_READ | PROT_WRITE);
    memcpy(p + PG + 5, "MSYNC", 5);
    CHECK_OK(msync(p, PATTERN_LEN, MS_SYNC), "msync(MS_SYNC) after a store to page 1");
    CHECK(file_is(path, PG + 5, "MSYNC", 5), "... reaches the file (read() sees page 1's store)");

    /* Clean after writeback: no further write until the next store. */
    age(path);
    long long aged = mtime_ns(path);
    CHECK_OK(msync(p, PATTERN_LEN, MS_SYNC), "msync(MS_SYNC) again with nothing dirty");
    CHECK_EQ(mtime_ns(path), aged, "... writes nothing (mtime unchanged)");
    /* The page is clean but still writable through the mapping: a new store re-dirties it. */
    memcpy(p + PG + 5, "AGAIN", 5);
    CHECK_OK(munmap(p, PATTERN_LEN), "munmap after a store to a page msync had cleaned");
    CHECK(file_is(path, PG + 5, "AGAIN", 5), "the second store reached the file too");

    /* Back to the pattern for the exit check. */
    make_file(path);
    pid_t pid = fork();
    if (pid == 0) {
        char *q = map_file(path, O_RDWR, PROT_READ | PROT_WRITE);
        if (q == MAP_FAILED)
            _exit(3);
        memcpy(q + 2 * PG + 1, "EXIT", 4);
        _exit(0); /* no munmap, no msync */
    }
    int st = 0;
    kt_waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child stores through a shared mapping and exits");
    CHECK(file_is(path, 2 * PG + 1, "EXIT", 4), "the child's store reached the file at its exit");

    /* Two mappings share the page; the store through one is written back once
       both are gone, and the other sees it meanwhile. */
    make_file(path);
    char *a = map_file(path, O_RDWR, PROT_READ | PROT_WRITE);
    char *b = map_file(path, O_RDONLY, PROT_READ);
    memcpy(a + 3, "BOTH", 4);
    CHECK(b != MAP_FAILED && memcmp(b + 3, "BOTH", 4) == 0, "a read-only shared mapping sees a store through another");
    munmap(b, PATTERN_LEN);
    munmap(a, PATTERN_LEN);
    CHECK(file_is(path, 3, "BOTH", 4), "and the store reached the file");
    make_file(path);
}

int main(int argc, char **argv)
{
    kt_set_self(argv[0]);
    if (argc >= 3 && strcmp(argv[1], "exec-child") == 0)
        return 7;
    kt_watchdog(120);
    const char *dir = argc >= 2 ? argv[1] : kt_mktemp("mapwb");
    int ro = argc >= 3 && strcmp(argv[2], "ro") == 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/data.txt", dir);
    if (ro) {
        read_only_checks(path, 0);
        CHECK(open(path, O_RDWR) < 0 && errno == EROFS, "open O_RDWR on the read-only mount is EROFS");
    } else {
        make_file(path);
        age(path);
        read_only_checks(path, 1);
        write_checks(path);
        if (argc < 2)
            kt_cleanup();
    }
    return kt_done();
}
