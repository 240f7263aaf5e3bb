/*
 * xattrs DIR - extended attributes past the inode's room on the ext4
 * filesystem mounted at DIR, as Linux's ext4 keeps them in an external
 * block: set, get, list, replace, remove, XATTR_CREATE/XATTR_REPLACE, a
 * value too large for the block (ENOSPC without ea_inode), the block
 * counted in st_blocks and given back when the attributes go.
 * Leaves DIR/xa (with attributes user.a0..user.a9) for the host's debugfs.
 */
#include "ktest.h"
#include <sys/statvfs.h>
#include <sys/xattr.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        kt_printf("usage: xattrs DIR\n");
        return 2;
    }
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/xa", argv[1]);
    snprintf(q, sizeof q, "%s/gone", argv[1]);
    struct statvfs sv;
    statvfs(argv[1], &sv);
    long per = sv.f_bsize / 512;
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "a file");
    struct stat st;
    fstat(fd, &st);
    long long base = st.st_blocks;
    char name[32], val[200], got[400];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "user.a%d", i);
        memset(val, 'a' + i, sizeof val);
        if (setxattr(p, name, val, 100 + i, 0) != 0)
            kt_fail("setxattr", "%s: %s", name, strerror(errno));
    }
    kt_pass("ten attributes of 100 bytes and more set");
    fstat(fd, &st);
    CHECK_EQ(st.st_blocks, base + per, "one xattr block counted in st_blocks");
    int same = 1;
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "user.a%d", i);
        ssize_t n = getxattr(p, name, got, sizeof got);
        same = same && n == 100 + i;
        for (int j = 0; same && j < n; j++)
            same = got[j] == 'a' + i;
    }
    CHECK(same, "each reads back");
    char list[1024];
    ssize_t ln = listxattr(p, list, sizeof list);
    int count = 0;
    for (ssize_t o = 0; o < ln; o += strlen(list + o) + 1)
        count += strncmp(list + o, "user.a", 6) == 0;
    CHECK_EQ(count, 10, "listxattr names all ten");
    CHECK_ERR(setxattr(p, "user.a3", "x", 1, XATTR_CREATE), EEXIST, "XATTR_CREATE on one that exists is EEXIST");
    CHECK_ERR(setxattr(p, "user.none", "x", 1, XATTR_REPLACE), ENODATA, "XATTR_REPLACE on a missing one is ENODATA");
    CHECK_OK(setxattr(p, "user.a5", "short", 5, XATTR_REPLACE), "a value replaced");
    CHECK_EQ(getxattr(p, "user.a5", got, sizeof got), 5, "the new value's length");
    CHECK_OK(setxattr(p, "user.a5", val, 105, 0), "and put back");
    static char big[8192];
    memset(big, 'B', sizeof big);
    CHECK_ERR(setxattr(p, "user.big", big, sv.f_bsize, 0), ENOSPC, "a value larger than the block is ENOSPC");
    CHECK_ERR(getxattr(p, "user.big", got, sizeof got), ENODATA, "and is not there");
    CHECK_OK(setxattr(p, "user.empty", "", 0, 0), "an empty value");
    CHECK_EQ(getxattr(p, "user.empty", got, sizeof got), 0, "reads back empty");
    CHECK_OK(removexattr(p, "user.empty"), "removed");
    CHECK_ERR(removexattr(p, "user.empty"), ENODATA, "removing it again is ENODATA");

    /* A second file: its attributes go one by one, and the block with them. */
    int g = open(q, O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "user.b%d", i);
        setxattr(q, name, val, 150, 0);
    }
    fstat(g, &st);
    CHECK_EQ(st.st_blocks, base + per, "the second file has its block");
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "user.b%d", i);
        removexattr(q, name);
    }
    fstat(g, &st);
    CHECK_EQ(st.st_blocks, base, "without attributes its block is gone");
    CHECK_EQ(listxattr(q, list, sizeof list), 0, "and it lists none");
    close(g);
    close(fd);
    return kt_done();
}
