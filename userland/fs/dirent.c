/* dirent.c - getdents64 through opendir/readdir and through the raw syscall. */
#include "ktest.h"
#include <dirent.h>

struct kt_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

#define NFILES 150

int main(void)
{
    kt_mktemp("dirent");
    char name[64];

    /* A small directory with known contents */
    const char *d1 = kt_path("small");
    CHECK_EQ(mkdir(d1, 0755), 0, "mkdir small");
    char p[700];
    snprintf(p, sizeof p, "%s/regular", d1);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/subdir", d1);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/symlink", d1);
    CHECK_EQ(symlink("regular", p), 0, "symlink");

    DIR *dir = opendir(d1);
    CHECK(dir != NULL, "opendir");
    int seen_dot = 0, seen_dotdot = 0, seen_reg = 0, seen_dir = 0, seen_lnk = 0, other = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0)
            seen_dot++, kt_check(de->d_type == DT_DIR, "readdir: '.' is DT_DIR", "got d_type %d", de->d_type);
        else if (strcmp(de->d_name, "..") == 0)
            seen_dotdot++, kt_check(de->d_type == DT_DIR, "readdir: '..' is DT_DIR", "got d_type %d", de->d_type);
        else if (strcmp(de->d_name, "regular") == 0)
            seen_reg++, kt_check(de->d_type == DT_REG, "readdir: regular file is DT_REG", "got d_type %d", de->d_type);
        else if (strcmp(de->d_name, "subdir") == 0)
            seen_dir++, kt_check(de->d_type == DT_DIR, "readdir: subdirectory is DT_DIR", "got d_type %d", de->d_type);
        else if (strcmp(de->d_name, "symlink") == 0)
            seen_lnk++, kt_check(de->d_type == DT_LNK, "readdir: symlink is DT_LNK", "got d_type %d", de->d_type);
        else
            other++;
    }
    kt_check(seen_dot == 1 && seen_dotdot == 1 && seen_reg == 1 && seen_dir == 1 && seen_lnk == 1 && other == 0,
             "readdir returns each entry exactly once",
             "got . x%d, .. x%d, regular x%d, subdir x%d, symlink x%d, others x%d", seen_dot, seen_dotdot,
             seen_reg, seen_dir, seen_lnk, other);
    if (dir) {
        rewinddir(dir);
        int count = 0;
        while (readdir(dir) != NULL)
            count++;
        CHECK_EQ(count, 5, "rewinddir then readdir sees all 5 entries again");
        CHECK_EQ(closedir(dir), 0, "closedir");
    }

    /* d_ino matches stat */
    int fd = open(d1, O_RDONLY | O_DIRECTORY);
    char buf[4096];
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    CHECK(n > 0, "raw getdents64 returns bytes");
    int ino_ok = 1, reclen_ok = 1, entries = 0;
    for (long off = 0; off < n;) {
        struct kt_dirent64 *e = (struct kt_dirent64 *)(buf + off);
        if (e->d_reclen % 8 != 0 || e->d_reclen < 20 || off + e->d_reclen > n)
            reclen_ok = 0;
        struct stat st;
        if (strcmp(e->d_name, "..") != 0) {
            if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_ino != e->d_ino) {
                ino_ok = 0;
                kt_printf("# %s: d_ino %llu st_ino %llu\n", e->d_name, (unsigned long long)e->d_ino,
                          (unsigned long long)st.st_ino);
            }
        }
        entries++;
        if (e->d_reclen == 0)
            break;
        off += e->d_reclen;
    }
    CHECK(reclen_ok, "d_reclen is a multiple of 8 and stays within the buffer");
    CHECK(ino_ok, "d_ino equals st_ino of each entry");
    CHECK_EQ(entries, 5, "one getdents64 call returns all 5 entries");
    CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0, "getdents64 at end returns 0");
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "lseek(dirfd, 0, SEEK_SET) rewinds");
    CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), n, "after rewind getdents64 returns the same size");
    lseek(fd, 0, SEEK_SET);
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, 10), EINVAL, "buffer too small for one entry is EINVAL");
    CHECK_ERR(syscall(SYS_getdents64, fd, KT_BAD_PTR, sizeof buf), EFAULT, "bad buffer pointer is EFAULT");
    close(fd);

    /* A bigger directory read with a small buffer */
    const char *d2 = kt_path("big");
    mkdir(d2, 0755);
    for (int i = 0; i < NFILES; i++) {
        snprintf(p, sizeof p, "%s/file-with-a-longish-name-%03d", d2, i);
        close(open(p, O_WRONLY | O_CREAT, 0644));
    }
    static int counts[NFILES];
    int dots = 0, bad = 0, calls = 0;
    fd = open(d2, O_RDONLY | O_DIRECTORY);
    for (;;) {
        char small[200];
        n = syscall(SYS_getdents64, fd, small, sizeof small);
        if (n <= 0)
            break;
        calls++;
        for (long off = 0; off < n;) {
            struct kt_dirent64 *e = (struct kt_dirent64 *)(small + off);
            int idx;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                dots++;
            else if (sscanf(e->d_name, "file-with-a-longish-name-%d", &idx) == 1 && idx >= 0 && idx < NFILES)
                counts[idx]++;
            else
                bad++;
            if (e->d_reclen == 0) {
                bad++;
                break;
            }
            off += e->d_reclen;
        }
    }
    CHECK_EQ(n, 0, "getdents64 with a small buffer ends with 0");
    int missing = 0, dup = 0;
    for (int i = 0; i < NFILES; i++) {
        if (counts[i] == 0)
            missing++;
        if (counts[i] > 1)
            dup++;
    }
    kt_check(missing == 0 && dup == 0 && bad == 0 && dots == 2, "small-buffer getdents64 sees every entry exactly once",
             "missing %d, duplicated %d, unexpected %d, dots %d", missing, dup, bad, dots);
    CHECK(calls > 20, "a 200-byte buffer needs many calls");
    close(fd);

    /* telldir / seekdir */
    dir = opendir(d2);
    long pos = 0;
    char saved[256] = "";
    for (int i = 0; i < 40 && (de = readdir(dir)) != NULL; i++) {
        if (i == 20) {
            pos = telldir(dir);
        }
        if (i == 21)
            snprintf(saved, sizeof saved, "%s", de->d_name);
    }
    seekdir(dir, pos);
    de = readdir(dir);
    CHECK_STR(de ? de->d_name : NULL, saved, "seekdir returns to a telldir position");
    closedir(dir);

    /* errors */
    snprintf(name, sizeof name, "regular");
    snprintf(p, sizeof p, "%s/%s", d1, name);
    fd = open(p, O_RDONLY);
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR, "getdents64 on a regular file is ENOTDIR");
    close(fd);
    CHECK_ERR(syscall(SYS_getdents64, 9999, buf, sizeof buf), EBADF, "getdents64 on a bad fd is EBADF");
    CHECK(opendir(kt_path("missing")) == NULL && errno == ENOENT, "opendir of a missing directory fails with ENOENT");

    /* an empty directory has just . and .. */
    const char *d3 = kt_path("empty");
    mkdir(d3, 0755);
    dir = opendir(d3);
    int cnt = 0;
    while (dir && readdir(dir))
        cnt++;
    if (dir)
        closedir(dir);
    CHECK_EQ(cnt, 2, "an empty directory lists only . and ..");

    kt_cleanup();
    return kt_done();
}
