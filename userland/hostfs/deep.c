/* deep.c - a tree deeper than the host's PATH_MAX on a hostfs mount (Ghost only).
 *
 *   ghost run -v DIR:/mnt/d -v BIN:/vt:ro -- /vt/deep [LEVELS]
 *
 * Linux allows directories nested to any depth: each step is relative to a
 * directory descriptor, and only getcwd needs the whole path (ENAMETOOLONG
 * past PATH_MAX is fine). Nests LEVELS (3000) directories "d", then at the
 * bottom creates, writes, stats, renames, reads and removes a file, walks
 * back up with "..", and removes every level. The runner checks that DIR is
 * empty on the host afterwards. */
#include "ktest.h"

int main(int argc, char **argv)
{
    vt_init(argc, argv, 1200);
    int levels = argc > 1 ? atoi(argv[1]) : 3000;
    int fd = open("/mnt/d", O_RDONLY | O_DIRECTORY);
    CHECK_OK(fd, "open the mount");
    int made = 0;
    for (int i = 0; i < levels; i++) {
        if (mkdirat(fd, "d", 0755) != 0)
            break;
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        if (next < 0)
            break;
        close(fd);
        fd = next;
        made++;
    }
    CHECK_EQ(made, levels, "mkdirat + openat down every level");

    int f = openat(fd, "bottom.txt", O_CREAT | O_EXCL | O_RDWR, 0640);
    CHECK_OK(f, "create a file at the bottom");
    CHECK_EQ(write(f, "deep down", 9), 9, "write it");
    close(f);
    struct stat st;
    CHECK(fstatat(fd, "bottom.txt", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == 9 && (st.st_mode & 0777) == 0640,
          "fstatat sees a 9-byte regular file of mode 640");
    CHECK_OK(fchmodat(fd, "bottom.txt", 0600, 0), "fchmodat at the bottom");
    CHECK_OK(renameat(fd, "bottom.txt", fd, "moved.txt"), "renameat at the bottom");
    char b[16] = "";
    CHECK(vt_get_at(fd, "moved.txt", b, sizeof b) == 9 && strcmp(b, "deep down") == 0, "read it back");
    CHECK_OK(symlinkat("moved.txt", fd, "link"), "symlinkat at the bottom");
    CHECK(fstatat(fd, "link", &st, 0) == 0 && st.st_size == 9, "stat through the link at the bottom");
    CHECK_OK(unlinkat(fd, "link", 0), "unlink the link");
    CHECK_OK(unlinkat(fd, "moved.txt", 0), "unlink the file");
    CHECK_OK(fchdir(fd), "fchdir to the bottom");
    char cwd[64];
    CHECK(getcwd(cwd, sizeof cwd) == NULL && errno == ERANGE, "getcwd into a small buffer is ERANGE");
    CHECK_OK(mkdir("here", 0700), "mkdir relative to the cwd at the bottom");
    CHECK_OK(rmdir("here"), "and rmdir");

    /* back up, removing each level */
    int removed = 0;
    for (int i = 0; i < levels; i++) {
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY);
        if (up < 0)
            break;
        close(fd);
        fd = up;
        if (unlinkat(fd, "d", AT_REMOVEDIR) != 0)
            break;
        removed++;
    }
    CHECK_EQ(removed, levels, "openat .. and rmdir every level on the way up");
    struct stat root, here;
    stat("/mnt/d", &root);
    fstat(fd, &here);
    CHECK(root.st_ino == here.st_ino && root.st_dev == here.st_dev, "the walk up ends at the mount's root");
    close(fd);
    return kt_done();
}
