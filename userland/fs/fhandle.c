/* fhandle.c - name_to_handle_at and open_by_handle_at: the handle is stable
 * per inode, EOVERFLOW reports the size it needs (and still writes the
 * mount id, which matches /proc/self/mountinfo), AT_EMPTY_PATH and
 * AT_SYMLINK_FOLLOW, the file opened through the handle is the same file,
 * ESTALE once the inode is gone, EPERM without CAP_DAC_READ_SEARCH,
 * EOPNOTSUPP on procfs, EINVAL for bad sizes and flags. */
#include "ktest.h"

#define HSZ 128

static struct file_handle *handle(void)
{
    struct file_handle *h = calloc(1, sizeof *h + HSZ);
    h->handle_bytes = HSZ;
    return h;
}

/* The mount id /proc/self/mountinfo gives the mount of `path` (by st_dev and the longest mount point prefix). */
static int mountinfo_id(const char *path)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    char line[1024], best_mp[512] = "";
    int best = -1;
    size_t best_len = 0;
    while (fgets(line, sizeof line, f)) {
        int id, parent;
        char devs[64], root[512], mp[512];
        if (sscanf(line, "%d %d %63s %511s %511s", &id, &parent, devs, root, mp) != 5)
            continue;
        size_t n = strlen(mp);
        int prefix = strcmp(mp, "/") == 0 || (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == 0));
        if (prefix && n >= best_len) {
            best_len = n;
            best = id;
            snprintf(best_mp, sizeof best_mp, "%s", mp);
        }
    }
    fclose(f);
    return best;
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    char file[600], link[600], dir[600];
    snprintf(dir, sizeof dir, "%s", kt_path(""));
    snprintf(file, sizeof file, "%s", kt_path("fh-file"));
    snprintf(link, sizeof link, "%s", kt_path("fh-link"));
    unlink(file);
    unlink(link);
    int fd = open(file, O_CREAT | O_RDWR, 0644);
    write(fd, "handle!", 7);
    symlink(file, link);

    struct file_handle *h = handle();
    int mid = -1;
    h->handle_bytes = 0;
    CHECK_ERR(name_to_handle_at(AT_FDCWD, file, h, &mid, 0), EOVERFLOW, "a zero-size buffer is EOVERFLOW");
    unsigned need = h->handle_bytes;
    CHECK(need > 0 && need <= MAX_HANDLE_SZ, "EOVERFLOW reports the size the handle needs");
    CHECK_EQ(h->handle_type, 255, "with handle_type FILEID_INVALID");
    CHECK(mid >= 0, "and writes the mount id all the same");
    h->handle_bytes = need;
    CHECK_OK(name_to_handle_at(AT_FDCWD, file, h, &mid, 0), "name_to_handle_at with the size it asked for");
    CHECK_EQ(h->handle_bytes, need, "handle_bytes is the size");
    CHECK_EQ(mid, mountinfo_id(file), "the mount id matches /proc/self/mountinfo");

    struct file_handle *h2 = handle();
    int mid2 = -1;
    CHECK_OK(name_to_handle_at(AT_FDCWD, file, h2, &mid2, 0), "a second handle of the same file");
    CHECK(h2->handle_bytes == h->handle_bytes && h2->handle_type == h->handle_type &&
              memcmp(h2->f_handle, h->f_handle, h->handle_bytes) == 0,
          "is the same bytes (stable per inode)");
    h2->handle_bytes = HSZ;
    CHECK_OK(name_to_handle_at(fd, "", h2, &mid2, AT_EMPTY_PATH), "AT_EMPTY_PATH on the open descriptor");
    CHECK(memcmp(h2->f_handle, h->f_handle, h->handle_bytes) == 0, "gives the same handle");
    h2->handle_bytes = HSZ;
    CHECK_OK(name_to_handle_at(AT_FDCWD, link, h2, &mid2, AT_SYMLINK_FOLLOW), "AT_SYMLINK_FOLLOW through a symlink");
    CHECK(memcmp(h2->f_handle, h->f_handle, h->handle_bytes) == 0, "gives the target's handle");
    h2->handle_bytes = HSZ;
    CHECK_OK(name_to_handle_at(AT_FDCWD, link, h2, &mid2, 0), "without it: the symlink's own handle");
    CHECK(h2->handle_bytes != h->handle_bytes || memcmp(h2->f_handle, h->f_handle, h->handle_bytes) != 0, "which differs");
    struct file_handle *hl = h2;
    h2 = handle();

    h2->handle_bytes = MAX_HANDLE_SZ + 1;
    CHECK_ERR(name_to_handle_at(AT_FDCWD, file, h2, &mid2, 0), EINVAL, "handle_bytes past MAX_HANDLE_SZ is EINVAL");
    h2->handle_bytes = HSZ;
    CHECK_ERR(name_to_handle_at(AT_FDCWD, file, h2, &mid2, 0x8000), EINVAL, "an unknown flag is EINVAL");
    CHECK_ERR(name_to_handle_at(AT_FDCWD, "/proc/self/status", h2, &mid2, 0), EOPNOTSUPP, "procfs has no handles: EOPNOTSUPP");
    /* but a file id (AT_HANDLE_FID, never decoded) it has: the default one, the
     * 64-bit inode number and a generation (exportfs_encode_ino64_fid; LTP name_to_handle_at03) */
    {
        struct stat pst;
        unsigned long long fino = 0;
        h2->handle_bytes = HSZ;
        CHECK_OK(name_to_handle_at(AT_FDCWD, "/proc/self/status", h2, &mid2, 0x200 /* AT_HANDLE_FID */),
                 "AT_HANDLE_FID on procfs gives a file id");
        stat("/proc/self/status", &pst);
        memcpy(&fino, h2->f_handle, sizeof fino);
        kt_check(h2->handle_type == 0x81 && h2->handle_bytes == 12 && fino == (unsigned long long)pst.st_ino,
                 "of type FILEID_INO64_GEN, 12 bytes, the inode number first",
                 "type %#x, %u bytes, ino %llu (stat %llu)", h2->handle_type, h2->handle_bytes, fino, (unsigned long long)pst.st_ino);
        h2->handle_bytes = HSZ;
    }
    CHECK_ERR(name_to_handle_at(AT_FDCWD, file, KT_BAD_PTR, &mid2, 0), EFAULT, "a bad handle pointer is EFAULT");
    CHECK_ERR(name_to_handle_at(AT_FDCWD, file, h2, KT_BAD_PTR, 0), EFAULT, "a bad mount id pointer is EFAULT");

    /* open_by_handle_at: AT_FDCWD names the mount of the working directory. */
    char oldcwd[600];
    getcwd(oldcwd, sizeof oldcwd);
    chdir(dir);
    int r = open_by_handle_at(AT_FDCWD, h, O_RDONLY);
    chdir(oldcwd);
    CHECK(r >= 0, "open_by_handle_at(AT_FDCWD) opens the file");
    struct stat a, b;
    fstat(fd, &a);
    fstat(r, &b);
    CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "the same inode");
    char buf[16] = {0};
    CHECK(pread(r, buf, sizeof buf, 0) == 7 && memcmp(buf, "handle!", 7) == 0, "with its contents");
    close(r);
    int mfd = open(dir, O_RDONLY | O_DIRECTORY);
    r = open_by_handle_at(mfd, h, O_RDWR | O_CLOEXEC);
    CHECK(r >= 0, "through a directory descriptor on the mount, O_RDWR|O_CLOEXEC");
    CHECK(fcntl(r, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC is honoured");
    close(r);
    CHECK_ERR(open_by_handle_at(mfd, hl, O_RDONLY), ELOOP, "a symlink's handle without O_PATH is ELOOP");
    r = open_by_handle_at(mfd, hl, O_PATH | O_NOFOLLOW);
    CHECK(r >= 0, "with O_PATH it opens the symlink");
    close(r);

    CHECK_ERR(open_by_handle_at(-1, h, O_RDONLY), EBADF, "a bad mount descriptor is EBADF");
    h2->handle_bytes = 0;
    h2->handle_type = 1;
    CHECK_ERR(open_by_handle_at(mfd, h2, O_RDONLY), EINVAL, "handle_bytes 0 is EINVAL");
    h2->handle_bytes = MAX_HANDLE_SZ + 1;
    CHECK_ERR(open_by_handle_at(mfd, h2, O_RDONLY), EINVAL, "handle_bytes past MAX_HANDLE_SZ is EINVAL");
    h2->handle_bytes = need;
    h2->handle_type = -1;
    CHECK_ERR(open_by_handle_at(mfd, h2, O_RDONLY), EINVAL, "a negative handle_type is EINVAL");
    h2->handle_type = h->handle_type;
    memset(h2->f_handle, 0xff, need);
    CHECK_ERR(open_by_handle_at(mfd, h2, O_RDONLY), ESTALE, "a handle naming no inode is ESTALE");
    CHECK_ERR(open_by_handle_at(mfd, KT_BAD_PTR, O_RDONLY), EFAULT, "a bad handle pointer is EFAULT");
    /* A pipe's filesystem (pipefs) decodes no handle: ESTALE, not EBADF. */
    int pp[2];
    if (pipe(pp) == 0) {
        CHECK_ERR(open_by_handle_at(pp[0], h, O_RDONLY), ESTALE, "a handle under a pipe's fd is ESTALE");
        close(pp[0]);
        close(pp[1]);
    }

    pid_t c = fork();
    if (c == 0) {
        if (setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        _exit(open_by_handle_at(mfd, h, O_RDONLY) < 0 && errno == EPERM ? 0 : 1);
    }
    CHECK_EQ(vt_reap(c), 0, "without CAP_DAC_READ_SEARCH: EPERM");

    /* The file goes: the handle is stale. */
    close(fd);
    unlink(file);
    CHECK_ERR(open_by_handle_at(mfd, h, O_RDONLY), ESTALE, "the handle of an unlinked file is ESTALE");
    close(mfd);
    unlink(link);
    return kt_done();
}
