/* xattrat.c - setxattrat, getxattrat, listxattrat, removexattrat (Linux
 * 6.13): relative to a directory fd, AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH,
 * struct xattr_args and its size checks. On a tmpfs. qemu-user 7.2 lacks
 * them (skipped there); the suite also runs this program natively. */
#include "ktest.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#define NR_setxattrat 463
#define NR_getxattrat 464
#define NR_listxattrat 465
#define NR_removexattrat 466

struct xargs {
    uint64_t value;
    uint32_t size, flags;
};

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    errno = 0;
    if (syscall(NR_listxattrat, -1, "", 0, NULL, 0) == -1 && errno == ENOSYS) {
        kt_skip("*xattrat", "this kernel (qemu-user) lacks them");
        return kt_done();
    }
    vt_mkshm("xattrat");
    int dir = open(vt_shmdir, O_RDONLY | O_DIRECTORY);
    int f = openat(dir, "f", O_CREAT | O_RDWR, 0644);
    char val[] = "value-1";
    struct xargs a = { (uintptr_t)val, 7, 0 };
    CHECK_EQ(syscall(NR_setxattrat, dir, "f", 0, "user.one", &a, sizeof a), 0, "setxattrat relative to a directory fd");
    char got[32] = { 0 };
    struct xargs g = { (uintptr_t)got, sizeof got, 0 };
    CHECK_EQ(syscall(NR_getxattrat, dir, "f", 0, "user.one", &g, sizeof g), 7, "getxattrat reads it back");
    CHECK_STR(got, "value-1", "... the value");
    CHECK_EQ(fgetxattr(f, "user.one", got, sizeof got), 7, "fgetxattr sees the same attribute");
    a.flags = XATTR_CREATE;
    CHECK_ERR(syscall(NR_setxattrat, dir, "f", 0, "user.one", &a, sizeof a), EEXIST, "setxattrat XATTR_CREATE of an existing name");
    a.flags = 0;
    memset(got, 0, sizeof got);
    CHECK_EQ(syscall(NR_getxattrat, f, "", AT_EMPTY_PATH, "user.one", &g, sizeof g), 7, "getxattrat AT_EMPTY_PATH on the file's fd");
    g.size = 0;
    CHECK_EQ(syscall(NR_getxattrat, dir, "f", 0, "user.one", &g, sizeof g), 7, "getxattrat of size 0 tells the length");
    g.size = 3;
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0, "user.one", &g, sizeof g), ERANGE, "getxattrat into a short buffer");
    g.size = sizeof got;
    g.flags = 1;
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0, "user.one", &g, sizeof g), EINVAL, "getxattrat with args.flags set");
    g.flags = 0;
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0, "user.one", &g, 8), EINVAL, "getxattrat with a struct smaller than version 0");
    char bigargs[32] = { 0 };
    memcpy(bigargs, &g, sizeof g);
    CHECK_EQ(syscall(NR_getxattrat, dir, "f", 0, "user.one", bigargs, sizeof bigargs), 7, "getxattrat with a bigger, zero-padded struct");
    bigargs[20] = 1;
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0, "user.one", bigargs, sizeof bigargs), E2BIG, "getxattrat with unknown nonzero bytes");
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0x2, "user.one", &g, sizeof g), EINVAL, "getxattrat with an unknown AT_ flag");
    CHECK_ERR(syscall(NR_getxattrat, dir, "f", 0, "user.none", &g, sizeof g), ENODATA, "getxattrat of a missing name");
    symlinkat("f", dir, "l");
    CHECK_EQ(syscall(NR_getxattrat, dir, "l", 0, "user.one", &g, sizeof g), 7, "getxattrat follows a symlink");
    CHECK_ERR(syscall(NR_getxattrat, dir, "l", AT_SYMLINK_NOFOLLOW, "user.one", &g, sizeof g), ENODATA, "getxattrat AT_SYMLINK_NOFOLLOW reads the link's own");
    char list[64] = { 0 };
    CHECK_EQ(syscall(NR_listxattrat, dir, "f", 0, list, sizeof list), 9, "listxattrat lists the name");
    CHECK_STR(list, "user.one", "... user.one");
    CHECK_EQ(syscall(NR_removexattrat, dir, "f", 0, "user.one"), 0, "removexattrat");
    CHECK_EQ(syscall(NR_listxattrat, dir, "f", 0, list, sizeof list), 0, "listxattrat after the removal");
    CHECK_ERR(syscall(NR_removexattrat, dir, "f", 0, "user.one"), ENODATA, "removexattrat again");
    close(f);
    close(dir);
    vt_cleanup_shm();
    return kt_done();
}
