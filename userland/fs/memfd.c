/* memfd.c - memfd_create and file seals: F_SEAL_WRITE (EBUSY with a shared
 * writable mapping, EPERM on write/mmap), F_SEAL_SHRINK, F_SEAL_GROW,
 * F_SEAL_FUTURE_WRITE, F_SEAL_SEAL, MFD_ALLOW_SEALING, names, mmap sharing. */
#include "ktest.h"
#include <linux/falloc.h>
#include <linux/memfd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static void basics(void)
{
    int m = memfd_create("vt-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK_OK(m, "memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)");
    CHECK_EQ(fcntl(m, F_GETFD), FD_CLOEXEC, "MFD_CLOEXEC sets FD_CLOEXEC");
    struct stat st;
    memset(&st, 0, sizeof st);
    int fr = fstat(m, &st);
    kt_check(fr == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && st.st_nlink == 0, "a memfd is an empty regular file with nlink 0",
             "fstat %d (%s) mode %o size %lld nlink %ld", fr, fr ? strerror(errno) : "ok", st.st_mode, (long long)st.st_size,
             (long)st.st_nlink);
    CHECK_EQ(st.st_mode & 0777, 0777, "its mode is 0777");
    char link[128], fdp[64];
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", m);
    ssize_t n = readlink(fdp, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    CHECK_STR(link, "/memfd:vt-test (deleted)", "/proc/self/fd shows /memfd:NAME (deleted)");
    CHECK_EQ(write(m, "hello memfd", 11), 11, "write to a memfd");
    char b[32] = {0};
    CHECK(pread(m, b, sizeof b, 0) == 11 && strcmp(b, "hello memfd") == 0, "read it back");
    CHECK_OK(ftruncate(m, 8192), "ftruncate a memfd to 8192");
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    kt_check(map != MAP_FAILED && memcmp(map, "hello", 5) == 0, "mmap MAP_SHARED sees the data", "mmap: %s",
             map == MAP_FAILED ? strerror(errno) : "wrong data");
    if (map != MAP_FAILED) {
        map[6] = 'M';
        CHECK(pread(m, b, 11, 0) == 11 && b[6] == 'M', "a store through the mapping shows in read()");
    } else {
        pwrite(m, "M", 1, 6);
        kt_fail("a store through the mapping shows in read()", "no mapping");
    }
    int r = open(fdp, O_RDWR);
    CHECK(r >= 0 && pread(r, b, 5, 0) == 5 && memcmp(b, "hello", 5) == 0, "reopening through /proc/self/fd works");
    close(r);
    CHECK_EQ(fcntl(m, F_GET_SEALS), 0, "no seals initially with MFD_ALLOW_SEALING");

    /* F_SEAL_WRITE is refused while a writable shared mapping exists */
    CHECK_ERR(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "F_SEAL_WRITE with a writable shared mapping is EBUSY");
    if (map != MAP_FAILED)
        munmap(map, 8192);
    CHECK_OK(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), "F_SEAL_WRITE after munmap");
    CHECK_EQ(fcntl(m, F_GET_SEALS), F_SEAL_WRITE, "F_GET_SEALS shows F_SEAL_WRITE");
    CHECK_ERR(write(m, "x", 1), EPERM, "write is EPERM under F_SEAL_WRITE");
    CHECK_ERR(pwrite(m, "x", 1, 0), EPERM, "pwrite is EPERM");
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0) == MAP_FAILED && errno == EPERM,
          "mmap PROT_WRITE MAP_SHARED is EPERM");
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m, 0);
    CHECK(ro != MAP_FAILED && ro[6] == 'M', "a read-only shared mapping is fine");
    if (ro != MAP_FAILED) {
        CHECK_ERR(mprotect(ro, 4096, PROT_READ | PROT_WRITE), EACCES, "mprotect of it to PROT_WRITE is EACCES");
        munmap(ro, 4096);
    }
    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, m, 0);
    CHECK(priv != MAP_FAILED, "a private writable mapping is fine");
    if (priv != MAP_FAILED) {
        priv[0] = 'P';
        CHECK(pread(m, b, 1, 0) == 1 && b[0] == 'h', "... and its stores stay private");
        munmap(priv, 4096);
    }
    int d = dup(m);
    CHECK_ERR(write(d, "x", 1), EPERM, "seals belong to the file: a dup is sealed too");
    close(d);
    /* As shmem_fallocate: a hole is a write (EPERM), an allocation within the size is not. */
    CHECK_ERR(fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM, "punching a hole is EPERM under F_SEAL_WRITE");
    CHECK_OK(fallocate(m, 0, 0, 4096), "fallocate inside the size is fine under F_SEAL_WRITE");
    CHECK_OK(ftruncate(m, 16384), "F_SEAL_WRITE alone still allows growing");
    CHECK_OK(ftruncate(m, 4096), "... and shrinking");

    CHECK_OK(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK), "add F_SEAL_SHRINK");
    CHECK_ERR(ftruncate(m, 100), EPERM, "shrinking is EPERM under F_SEAL_SHRINK");
    CHECK_OK(ftruncate(m, 8192), "growing is fine");
    CHECK_OK(fcntl(m, F_ADD_SEALS, F_SEAL_GROW), "add F_SEAL_GROW");
    CHECK_ERR(ftruncate(m, 9000), EPERM, "growing is EPERM under F_SEAL_GROW");
    CHECK_ERR(fallocate(m, 0, 0, 16384), EPERM, "fallocate past the size is EPERM under F_SEAL_GROW");
    CHECK_ERR(fallocate(m, FALLOC_FL_KEEP_SIZE, 0, 16384), EPERM, "... even with FALLOC_FL_KEEP_SIZE");
    CHECK_OK(ftruncate(m, 8192), "truncating to the same size is fine");
    CHECK_OK(fcntl(m, F_ADD_SEALS, F_SEAL_SEAL), "add F_SEAL_SEAL");
    CHECK_EQ(fcntl(m, F_GET_SEALS), F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, "all four seals are set");
    CHECK_ERR(fcntl(m, F_ADD_SEALS, F_SEAL_GROW), EPERM, "F_ADD_SEALS after F_SEAL_SEAL is EPERM");
    close(m);
}

static void more(void)
{
    int m = memfd_create("grow", MFD_ALLOW_SEALING);
    ftruncate(m, 10);
    fcntl(m, F_ADD_SEALS, F_SEAL_GROW);
    CHECK_ERR(pwrite(m, "x", 1, 20), EPERM, "writing past the end under F_SEAL_GROW is EPERM");
    CHECK_EQ(pwrite(m, "xy", 2, 8), 2, "writing inside the size is fine");
    CHECK_ERR(fallocate(m, 0, 0, 4096), EPERM, "fallocate past the end under F_SEAL_GROW is EPERM");
    CHECK_ERR(fcntl(m, F_ADD_SEALS, 0x8000), EINVAL, "unknown seal bits are EINVAL");
    close(m);

    m = memfd_create("future", MFD_ALLOW_SEALING);
    ftruncate(m, 4096);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    CHECK_OK(fcntl(m, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), "F_SEAL_FUTURE_WRITE with a writable mapping is allowed");
    if (map != MAP_FAILED) {
        map[0] = 'F';
        char b = 0;
        CHECK(pread(m, &b, 1, 0) == 1 && b == 'F', "the existing writable mapping keeps working");
    }
    CHECK_ERR(write(m, "x", 1), EPERM, "write after F_SEAL_FUTURE_WRITE is EPERM");
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0) == MAP_FAILED && errno == EPERM,
          "a new writable shared mapping is EPERM");
    if (map != MAP_FAILED)
        munmap(map, 4096);
    close(m);

    m = memfd_create("nosealing", 0);
    CHECK_EQ(fcntl(m, F_GET_SEALS), F_SEAL_SEAL, "without MFD_ALLOW_SEALING the seal set is F_SEAL_SEAL");
    CHECK_ERR(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "... so F_ADD_SEALS is EPERM");
    CHECK_EQ(fcntl(m, F_GETFD), 0, "without MFD_CLOEXEC no FD_CLOEXEC");
    close(m);

    char name[300];
    memset(name, 'n', 249);
    name[249] = 0;
    m = memfd_create(name, 0);
    CHECK(m >= 0, "a 249-byte name is fine");
    close(m);
    name[249] = 'n';
    name[250] = 0;
    CHECK_ERR(memfd_create(name, 0), EINVAL, "a 250-byte name is EINVAL");
    CHECK_ERR(memfd_create("x", 0x100), EINVAL, "unknown flags are EINVAL");
    CHECK_ERR(memfd_create("x", MFD_HUGETLB | MFD_ALLOW_SEALING | 0x40), EINVAL, "a huge page size bit without a valid combo is EINVAL");

    const char *host = kt_mktemp("memfd");
    char f[512];
    snprintf(f, sizeof f, "%s/plain", host);
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EINVAL, "F_ADD_SEALS on a host file is EINVAL");
    CHECK_ERR(fcntl(fd, F_GET_SEALS), EINVAL, "F_GET_SEALS on a host file is EINVAL");
    close(fd);
    kt_cleanup();

    /* a memfd shared with a child */
    m = memfd_create("shared", 0);
    ftruncate(m, 4096);
    pid_t pid = fork();
    if (pid == 0) {
        char *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
        if (c == MAP_FAILED)
            _exit(1);
        strcpy(c, "from child");
        _exit(0);
    }
    vt_reap(pid);
    char b[16] = {0};
    CHECK(pread(m, b, 10, 0) == 10 && strcmp(b, "from child") == 0, "a child's stores through a shared mapping reach the memfd");
    close(m);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    basics();
    more();
    return kt_done();
}
