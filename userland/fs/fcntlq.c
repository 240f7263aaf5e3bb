/* fcntlq.c - the newer fcntl commands: F_DUPFD_QUERY (6.10: the same open
 * file?), F_CREATED_QUERY (6.12: did this open create the file?), both also
 * on O_PATH descriptors; F_SET_RW_HINT/F_GET_RW_HINT (per inode, checked,
 * EFAULT, EINVAL past RWH_WRITE_LIFE_EXTREME); the removed per-file hints
 * are EINVAL. */
#include "ktest.h"
#include <stdint.h>

#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY 1027
#endif
#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY 1028
#endif

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    const char *path = kt_path("fcntlq");
    unlink(path);
    int a = open(path, O_CREAT | O_RDWR, 0644);
    int b = open(path, O_CREAT | O_RDWR, 0644);
    int d = dup(a);
    if (fcntl(a, F_DUPFD_QUERY, d) < 0 && errno == EINVAL && kt_qemu()) {
        kt_skip("F_DUPFD_QUERY, F_CREATED_QUERY", "qemu-user 7.2 does not know them");
    } else {
        CHECK_EQ(fcntl(a, F_DUPFD_QUERY, d), 1, "F_DUPFD_QUERY: a dup is the same open file");
        CHECK_EQ(fcntl(a, F_DUPFD_QUERY, b), 0, "another open of the same file is not");
        CHECK_ERR(fcntl(a, F_DUPFD_QUERY, 999), EBADF, "a closed descriptor is EBADF");
        CHECK_ERR(fcntl(a, F_DUPFD_QUERY, -1), EBADF, "-1 is EBADF");
        CHECK_EQ(fcntl(a, F_CREATED_QUERY), 1, "F_CREATED_QUERY: the open that created the file");
        CHECK_EQ(fcntl(b, F_CREATED_QUERY), 0, "the O_CREAT open that found it did not");
        CHECK_EQ(fcntl(d, F_CREATED_QUERY), 1, "a dup shares the answer");
        int pa = open(path, O_PATH);
        CHECK_EQ(fcntl(pa, F_DUPFD_QUERY, pa), 1, "F_DUPFD_QUERY works on an O_PATH descriptor");
        CHECK_EQ(fcntl(pa, F_CREATED_QUERY), 0, "so does F_CREATED_QUERY");
        CHECK_ERR(fcntl(pa, F_GET_RW_HINT, 0), EBADF, "F_GET_RW_HINT on O_PATH is EBADF");
        close(pa);
    }
    uint64_t h = RWH_WRITE_LIFE_SHORT;
    if (fcntl(a, F_SET_RW_HINT, &h) < 0 && errno == EINVAL && kt_qemu()) {
        kt_skip("F_SET_RW_HINT, F_GET_RW_HINT", "qemu-user 7.2 does not know them");
        return kt_done();
    }
    CHECK_OK(fcntl(a, F_SET_RW_HINT, &h), "F_SET_RW_HINT RWH_WRITE_LIFE_SHORT");
    h = 0;
    CHECK_OK(fcntl(b, F_GET_RW_HINT, &h), "F_GET_RW_HINT through another open file");
    CHECK_EQ(h, RWH_WRITE_LIFE_SHORT, "the hint belongs to the inode");
    h = RWH_WRITE_LIFE_EXTREME + 1;
    CHECK_ERR(fcntl(a, F_SET_RW_HINT, &h), EINVAL, "a hint past RWH_WRITE_LIFE_EXTREME is EINVAL");
    CHECK_ERR(fcntl(a, F_SET_RW_HINT, KT_BAD_PTR), EFAULT, "a bad pointer is EFAULT");
    CHECK_ERR(fcntl(a, F_GET_RW_HINT, KT_BAD_PTR), EFAULT, "also to read it back");
    CHECK_ERR(fcntl(a, F_GET_FILE_RW_HINT, &h), EINVAL, "F_GET_FILE_RW_HINT (removed) is EINVAL");
    CHECK_ERR(fcntl(a, F_SET_FILE_RW_HINT, &h), EINVAL, "F_SET_FILE_RW_HINT (removed) is EINVAL");
    pid_t c = fork();
    if (c == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        uint64_t x = 1;
        _exit(fcntl(b, F_SET_RW_HINT, &x) < 0 && errno == EPERM ? 0 : 1);
    }
    CHECK_EQ(vt_reap(c), 0, "setting a hint on a file another user owns is EPERM");
    close(a);
    close(b);
    close(d);
    unlink(path);
    return kt_done();
}
