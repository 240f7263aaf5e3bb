/* contain.c - hostfs containment: no guest operation reaches, reads, changes
 * or creates anything on the host outside a -v mount, through symlinks planted
 * on the host or by the guest, through `..`, /proc/self/cwd and /proc/self/fd,
 * or through hostfs's own hidden names (Ghost only).
 *
 *   ghost run -v B/mnt:/mnt/h -v B/ro:/mnt/ro:ro -v BIN:/vt:ro -- /vt/contain B KEEP
 *
 * The runner (test/fs/hostfs-containment.test.ts) builds B on the host:
 *   B/out/victim      "VICTIM", mode 600, outside every mount
 *   B/out/vdir/       an empty directory, mode 700, outside every mount
 *   B/mnt/file.txt    "inside" (and file2, file3, file4)
 *   B/mnt/hv -> B/out/victim, hrel -> ../out/victim, hnew -> B/out/newfile,
 *        hnewrel -> ../out/newfile, hdir -> B/out/vdir, hdirrel -> ../out/vdir,
 *        hroot -> /, hunlink, hrename, hswap -> B/out/victim
 *   B/mnt/KEEP/keep   a hidden directory of a live Ghost (argv[2] is its name)
 *   B/ro/file.txt, B/ro/subdir/, B/ro/hv -> B/out/victim  (mounted :ro)
 * and writes Ghost's host pid to B/mnt/ghost.pid once Ghost runs (what the
 * original attack found by probing names with mkdir). Afterwards it checks
 * on the host that B/out, B/ro and B itself are unchanged.
 *
 * Host symlinks resolve in the guest's namespace, where B/out does not
 * exist: reads and writes through them are ENOENT; operations that act on
 * the link itself (lstat, lchown, utimensat AT_SYMLINK_NOFOLLOW, unlink,
 * rename, link) act on the link inside the mount. */
#include "ktest.h"
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/sysmacros.h>

static const char *B;

static int bind_at(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int r = bind(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static int no_victim(const char *path)
{
    char b[64];
    ssize_t n = vt_get(path, b, sizeof b);
    return !(n >= 0 && strstr(b, "VICTIM"));
}

static int has_hidden(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, ".ghost-unlinked-", 16) == 0)
            found = 1;
    closedir(d);
    return found;
}

/* Every operation through a symlink to a file outside the mount. */
static void through_file_link(const char *L)
{
    char d[512], p[600];
    struct timespec t[2] = {{1, 123456789}, {2, 987654321}};
    struct stat st;
#define D(what) (snprintf(d, sizeof d, "%s: %s", L, what), d)
    CHECK(no_victim(L), D("reading never shows the victim"));
    CHECK_ERR(open(L, O_RDONLY), ENOENT, D("open O_RDONLY dangles in the guest (ENOENT)"));
    CHECK_ERR(open(L, O_WRONLY | O_TRUNC), ENOENT, D("open O_WRONLY|O_TRUNC is ENOENT"));
    CHECK_ERR(open(L, O_WRONLY | O_CREAT, 0777), ENOENT, D("creat through it is ENOENT (no such guest directory)"));
    CHECK_ERR(open(L, O_WRONLY | O_CREAT | O_EXCL, 0777), EEXIST, D("O_CREAT|O_EXCL is EEXIST"));
    CHECK_ERR(open(L, O_RDONLY | O_NOFOLLOW), ELOOP, D("O_NOFOLLOW is ELOOP"));
    CHECK_ERR(chmod(L, 0777), ENOENT, D("chmod is ENOENT"));
    CHECK_ERR(fchmodat(AT_FDCWD, L, 0777, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, D("fchmodat AT_SYMLINK_NOFOLLOW is EOPNOTSUPP"));
    CHECK_ERR(chown(L, 4321, 4321), ENOENT, D("chown is ENOENT"));
    int r = lchown(L, 4321, 4321);
    CHECK(r == 0 || errno == EPERM, D("lchown acts on the link (or EPERM)"));
    CHECK_ERR(utimensat(AT_FDCWD, L, t, 0), ENOENT, D("utimensat is ENOENT"));
    CHECK_OK(utimensat(AT_FDCWD, L, t, AT_SYMLINK_NOFOLLOW), D("utimensat AT_SYMLINK_NOFOLLOW sets the link's times"));
    CHECK(lstat(L, &st) == 0 && S_ISLNK(st.st_mode) && st.st_mtim.tv_sec == 2 && st.st_mtim.tv_nsec == 987654321,
          D("... with nanoseconds, on the link"));
    CHECK_ERR(truncate(L, 0), ENOENT, D("truncate is ENOENT"));
    CHECK_ERR(stat(L, &st), ENOENT, D("stat is ENOENT"));
    CHECK_ERR(access(L, F_OK), ENOENT, D("access is ENOENT"));
    CHECK_ERR(mkdir(L, 0777), EEXIST, D("mkdir is EEXIST"));
    CHECK_ERR(mknod(L, S_IFIFO | 0666, 0), EEXIST, D("mknod S_IFIFO is EEXIST"));
    CHECK_ERR(mkfifo(L, 0666), EEXIST, D("mkfifo is EEXIST"));
    CHECK_ERR(mknod(L, S_IFREG | 0666, 0), EEXIST, D("mknod S_IFREG is EEXIST"));
    CHECK_ERR(bind_at(L), EADDRINUSE, D("bind of an AF_UNIX socket is EADDRINUSE"));
    CHECK_ERR(symlink("x", L), EEXIST, D("symlink is EEXIST"));
    CHECK_ERR(link("/mnt/h/file.txt", L), EEXIST, D("link onto it is EEXIST"));
    snprintf(p, sizeof p, "%s.hard", L);
    CHECK_OK(link(L, p), D("link of the link makes a second name for the link"));
    CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode), D("... which is a symlink"));
    CHECK_OK(unlink(p), D("... and goes again"));
#undef D
}

/* Every operation below a symlink to a directory outside the mount. */
static void through_dir_link(const char *L)
{
    char d[512], p[600];
    struct stat st;
#define D(what) (snprintf(d, sizeof d, "%s: %s", L, what), d)
#define P(leaf) (snprintf(p, sizeof p, "%s/%s", L, leaf), p)
    CHECK_ERR(mkdir(P("x"), 0777), ENOENT, D("mkdir below it is ENOENT"));
    CHECK_ERR(open(P("x"), O_WRONLY | O_CREAT, 0666), ENOENT, D("creat below it is ENOENT"));
    CHECK_ERR(mkfifo(P("f"), 0666), ENOENT, D("mkfifo below it is ENOENT"));
    CHECK_ERR(bind_at(P("s")), ENOENT, D("bind below it is ENOENT"));
    CHECK_ERR(symlink("x", P("y")), ENOENT, D("symlink below it is ENOENT"));
    CHECK_ERR(link("/mnt/h/file.txt", P("h")), ENOENT, D("link below it is ENOENT"));
    CHECK_ERR(rename("/mnt/h/file.txt", P("f")), ENOENT, D("rename below it is ENOENT"));
    CHECK_ERR(stat(P("."), &st), ENOENT, D("stat of L/. is ENOENT"));
    CHECK_ERR(open(L, O_RDONLY | O_DIRECTORY), ENOENT, D("opendir is ENOENT"));
    CHECK_ERR(chdir(L), ENOENT, D("chdir is ENOENT"));
    CHECK_ERR(rmdir(L), ENOTDIR, D("rmdir is ENOTDIR"));
    CHECK_ERR(chmod(L, 0777), ENOENT, D("chmod is ENOENT"));
#undef D
#undef P
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 120);
    if (argc < 3) {
        kt_fail("usage", "contain BASE KEEP");
        return kt_done();
    }
    B = argv[1];
    const char *KEEP = argv[2];
    char p[PATH_MAX], q[PATH_MAX];
    umask(0);

    CHECK_EQ(access("/mnt/h/file.txt", R_OK), 0, "the rw host mount is at /mnt/h");

    /* guest-planted symlinks, pointing where the host ones do */
    snprintf(p, sizeof p, "%s/out/victim", B);
    CHECK_OK(symlink(p, "/mnt/h/gv"), "symlink(2) of gv -> B/out/victim in the mount");
    CHECK_OK(symlink("../out/victim", "/mnt/h/grel"), "symlink(2) of grel -> ../out/victim");
    snprintf(p, sizeof p, "%s/out/vdir", B);
    CHECK_OK(symlink(p, "/mnt/h/gdir"), "symlink(2) of gdir -> B/out/vdir");

    const char *files[] = {"/mnt/h/hv", "/mnt/h/hrel", "/mnt/h/hnew", "/mnt/h/hnewrel", "/mnt/h/gv", "/mnt/h/grel"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        through_file_link(files[i]);
    const char *dirs[] = {"/mnt/h/hdir", "/mnt/h/hdirrel", "/mnt/h/gdir"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        through_dir_link(dirs[i]);
    snprintf(p, sizeof p, "/mnt/h/hroot%s/out/victim", B);
    CHECK(no_victim(p), "hroot -> / is the guest's root: B/out/victim is not there");

    /* names that are links: unlink, rename over, rename, exchange act on the links */
    CHECK_OK(unlink("/mnt/h/hunlink"), "unlink of a host link removes the link");
    CHECK_OK(rename("/mnt/h/file2", "/mnt/h/hrename"), "rename of a file over a host link replaces the link");
    CHECK(no_victim("/mnt/h/hrename") && vt_get("/mnt/h/hrename", q, sizeof q) == 6, "... which is now the file");
    CHECK_OK(syscall(SYS_renameat2, AT_FDCWD, "/mnt/h/file3", AT_FDCWD, "/mnt/h/hswap", RENAME_EXCHANGE),
             "RENAME_EXCHANGE of a file and a host link");
    struct stat st;
    CHECK(lstat("/mnt/h/file3", &st) == 0 && S_ISLNK(st.st_mode), "... the link is now file3");
    CHECK_OK(rename("/mnt/h/gv", "/mnt/h/gv-moved"), "rename of a guest link moves the link");
    CHECK(no_victim("/mnt/h/gv-moved"), "... which still dangles in the guest");

    /* `..` at the mount root is the guest's /mnt */
    CHECK(no_victim("/mnt/h/../out/victim"), "/mnt/h/../out/victim is not the victim");
    CHECK_ERR(open("/mnt/h/../out/victim", O_WRONLY | O_TRUNC), ENOENT, "open O_TRUNC of /mnt/h/../out/victim is ENOENT");
    CHECK_ERR(chmod("/mnt/h/../out/victim", 0777), ENOENT, "chmod of /mnt/h/../out/victim is ENOENT");
    int dfd = open("/mnt/h", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(openat(dfd, "../out/victim", O_RDWR), ENOENT, "openat(/mnt/h, ../out/victim) is ENOENT");
    CHECK_ERR(mkdirat(dfd, "../out/vdir/x", 0777), ENOENT, "mkdirat(/mnt/h, ../out/vdir/x) is ENOENT");
    CHECK_OK(mkdir("/mnt/h/../made-in-guest-mnt", 0777), "mkdir /mnt/h/../x makes a guest directory");
    CHECK_OK(chmod("/mnt/h/..", 0700), "chmod /mnt/h/.. changes the guest's /mnt (not the host's B)");

    /* /proc/self/cwd and /proc/self/fd */
    CHECK_OK(chdir("/mnt/h"), "chdir /mnt/h");
    CHECK_ERR(open("/proc/self/cwd/hv", O_WRONLY | O_TRUNC), ENOENT, "/proc/self/cwd/hv O_TRUNC is ENOENT");
    CHECK_ERR(open("/proc/self/cwd/../out/victim", O_RDWR), ENOENT, "/proc/self/cwd/../out/victim is ENOENT");
    CHECK_ERR(chmod("/proc/self/cwd/hrel", 0777), ENOENT, "chmod /proc/self/cwd/hrel is ENOENT");
    snprintf(p, sizeof p, "/proc/self/fd/%d/hv", dfd);
    CHECK_ERR(open(p, O_WRONLY | O_TRUNC), ENOENT, "/proc/self/fd/N/hv O_TRUNC is ENOENT");
    CHECK_ERR(fchmodat(AT_FDCWD, p, 0777, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, "fchmodat(/proc/self/fd/N/hv, NOFOLLOW) is EOPNOTSUPP");
    CHECK_ERR(bind_at(p), EADDRINUSE, "bind /proc/self/fd/N/hv is EADDRINUSE");
    snprintf(p, sizeof p, "/proc/self/fd/%d/../out/vdir/x", dfd);
    CHECK_ERR(mkdir(p, 0777), ENOENT, "mkdir /proc/self/fd/N/../out/vdir/x is ENOENT");
    int lfd = open("/mnt/h/hv", O_PATH | O_NOFOLLOW);
    CHECK_OK(lfd, "an O_PATH|O_NOFOLLOW descriptor of hv");
    snprintf(p, sizeof p, "/proc/self/fd/%d", lfd);
    CHECK(chmod(p, 0777) != 0 || 1, "chmod /proc/self/fd/<O_PATH of hv> (the runner checks the victim)");
    CHECK(truncate(p, 0) != 0 || 1, "truncate /proc/self/fd/<O_PATH of hv> (the runner checks the victim)");
    CHECK(utimensat(AT_FDCWD, p, NULL, 0) != 0 || 1, "utimensat /proc/self/fd/<O_PATH of hv> (the runner checks the victim)");
    close(lfd);

    /* hostfs's hidden names in the root: nothing to see, nothing to make */
    snprintf(p, sizeof p, "/mnt/h/%s", KEEP);
    CHECK_ERR(stat(p, &st), ENOENT, "a live hidden directory is ENOENT to stat");
    snprintf(q, sizeof q, "/mnt/h/%s/keep", KEEP);
    CHECK_ERR(open(q, O_RDONLY), ENOENT, "... and its files to open");
    CHECK_ERR(unlink(q), ENOENT, "... and to unlink");
    CHECK_ERR(rmdir(p), ENOENT, "rmdir of it is ENOENT");
    CHECK_ERR(unlink(p), ENOENT, "unlink of it is ENOENT");
    CHECK_ERR(mkdir(p, 0777), EPERM, "mkdir of a hidden name is EPERM");
    CHECK_ERR(rename("/mnt/h/file4", p), EPERM, "rename onto a hidden name is EPERM");
    CHECK_ERR(link("/mnt/h/file4", p), EPERM, "link onto a hidden name is EPERM");
    CHECK_ERR(symlink("/", p), EPERM, "symlink at a hidden name is EPERM");
    CHECK_ERR(open("/mnt/h/.ghost-unlinked-new", O_CREAT | O_WRONLY, 0666), EPERM, "creat of a hidden name is EPERM");
    CHECK_ERR(mkfifo("/mnt/h/.ghost-unlinked-fifo", 0666), EPERM, "mkfifo of a hidden name is EPERM");
    CHECK_ERR(bind_at("/mnt/h/.ghost-unlinked-sock"), EPERM, "bind at a hidden name is EPERM");
    CHECK_EQ(has_hidden("/mnt/h"), 0, "readdir of the root lists no hidden name");

    /* the attack: make a hidden file, guess its neighbour's name,
     * plant a symlink there, bind a socket. */
    int afd = open("/mnt/h/attack", O_CREAT | O_RDWR, 0600);
    CHECK_OK(afd, "open a file in the mount");
    CHECK_OK(unlink("/mnt/h/attack"), "unlink it while open (hostfs hides it)");
    CHECK(write(afd, "still", 5) == 5 && pread(afd, q, 5, 0) == 5 && memcmp(q, "still", 5) == 0, "the unlinked file stays usable");
    CHECK_EQ(has_hidden("/mnt/h"), 0, "readdir of the root still lists no hidden name");
    long pid = 0;
    for (int i = 0; i < 600 && pid <= 0; i++) {
        if (vt_get("/mnt/h/ghost.pid", q, sizeof q) > 0)
            pid = atol(q);
        else
            vt_msleep(100);
    }
    CHECK(pid > 0, "the runner gave Ghost's host pid");
    snprintf(p, sizeof p, "/mnt/h/.ghost-unlinked-%ld-1", pid);
    CHECK_ERR(mkdir(p, 0777), EPERM, "mkdir .ghost-unlinked-<pid>-1 is EPERM (no EEXIST oracle)");
    int planted = 0;
    snprintf(q, sizeof q, "%s/out/victim", B);
    for (int seq = 1; seq <= 8; seq++) {
        snprintf(p, sizeof p, "/mnt/h/.ghost-unlinked-%ld-%d", pid, seq);
        if (symlink(q, p) == 0)
            planted++;
    }
    CHECK_EQ(planted, 0, "no symlink can be planted at .ghost-unlinked-<pid>-<seq>");
    CHECK_OK(bind_at("/mnt/h/attack.sock"), "bind of an AF_UNIX socket in the mount");
    CHECK(lstat("/mnt/h/attack.sock", &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0777,
          "... makes a socket node of mode 777 (umask 0)");
    CHECK_OK(mkfifo("/mnt/h/attack.fifo", 0640), "mkfifo in the mount");
    CHECK(lstat("/mnt/h/attack.fifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640, "... makes a FIFO of mode 640");
    close(afd);

    /* the read-only mount: every write-type operation is EROFS */
    struct timespec t[2] = {{1, 1}, {2, 2}};
    CHECK_ERR(open("/mnt/ro/file.txt", O_WRONLY), EROFS, "ro: open O_WRONLY");
    CHECK_ERR(open("/mnt/ro/file.txt", O_RDONLY | O_TRUNC), EROFS, "ro: open O_TRUNC");
    CHECK_ERR(open("/mnt/ro/new", O_WRONLY | O_CREAT, 0666), EROFS, "ro: creat");
    CHECK_ERR(chmod("/mnt/ro/file.txt", 0777), EROFS, "ro: chmod");
    CHECK_ERR(chown("/mnt/ro/file.txt", 1, 1), EROFS, "ro: chown");
    CHECK_ERR(lchown("/mnt/ro/hv", 1, 1), EROFS, "ro: lchown of a link");
    CHECK_ERR(utimensat(AT_FDCWD, "/mnt/ro/file.txt", t, 0), EROFS, "ro: utimensat");
    CHECK_ERR(utimensat(AT_FDCWD, "/mnt/ro/hv", t, AT_SYMLINK_NOFOLLOW), EROFS, "ro: utimensat of a link");
    CHECK_ERR(truncate("/mnt/ro/file.txt", 0), EROFS, "ro: truncate");
    CHECK_ERR(mkdir("/mnt/ro/d", 0777), EROFS, "ro: mkdir");
    CHECK_ERR(mkfifo("/mnt/ro/f", 0666), EROFS, "ro: mkfifo");
    CHECK_ERR(mknod("/mnt/ro/n", S_IFREG | 0666, 0), EROFS, "ro: mknod");
    CHECK_ERR(bind_at("/mnt/ro/s"), EROFS, "ro: bind of an AF_UNIX socket");
    CHECK_ERR(symlink("x", "/mnt/ro/l"), EROFS, "ro: symlink");
    CHECK_ERR(link("/mnt/ro/file.txt", "/mnt/ro/h"), EROFS, "ro: link");
    CHECK_ERR(rename("/mnt/ro/file.txt", "/mnt/ro/r"), EROFS, "ro: rename");
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, "/mnt/ro/file.txt", AT_FDCWD, "/mnt/ro/hv", RENAME_EXCHANGE), EROFS, "ro: RENAME_EXCHANGE");
    CHECK_ERR(unlink("/mnt/ro/hv"), EROFS, "ro: unlink of a link");
    CHECK_ERR(rmdir("/mnt/ro/subdir"), EROFS, "ro: rmdir");
    CHECK(no_victim("/mnt/ro/hv"), "ro: reading hv never shows the victim");

    close(dfd);
    return kt_done();
}
