/* hostesc.c - escapes from a host directory mount (Ghost only).
 *
 *   ghost run -v H/mnt:/mnt/h -v H/ro:/mnt/ro:ro -v BIN:/vt:ro -- /vt/hostesc H [nodes]
 *
 * The test runner (test/fs/vfs.test.ts) builds H on the host:
 *   H/secret.txt            "HOST-SECRET" (outside every mount)
 *   H/mnt/file.txt          "inside"
 *   H/mnt/sub/deep.txt      "deep"
 *   H/mnt/up1           ->  ../secret.txt
 *   H/mnt/upmany        ->  ../../../../../../../../secret.txt
 *   H/mnt/abs_host      ->  H/secret.txt   (absolute host path)
 *   H/mnt/abs_dir       ->  H              (absolute host directory)
 *   H/mnt/etc_shadow    ->  /etc/shadow
 *   H/mnt/dotdot        ->  ..
 *   H/mnt/root          ->  /
 *   H/ro/file.txt           "readonly"
 * Every symlink must resolve in the guest's namespace: the program plants
 * decoys (GUEST-...) where the guest resolution lands and checks that
 * HOST-SECRET is never read. Writes to /mnt/ro must fail with EROFS; the
 * runner then checks that H/ro is untouched and that /mnt/h/created.txt
 * reached the host. */
#include "ktest.h"
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/xattr.h>

static int same(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int lists(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

/* Read path; check it equals want (and is never the host secret). */
static void reads(const char *path, const char *want, const char *desc)
{
    char b[256];
    ssize_t n = vt_get(path, b, sizeof b);
    if (n >= 0 && strstr(b, "HOST-SECRET")) {
        kt_fail(desc, "ESCAPE: %s read the host's secret", path);
        return;
    }
    if (want == NULL)
        kt_check(n == -ENOENT, desc, "got %zd (%s) want ENOENT", n, n >= 0 ? b : strerror((int)-n));
    else
        kt_check(n >= 0 && strcmp(b, want) == 0, desc, "got %zd \"%s\" want \"%s\"", n, n >= 0 ? b : strerror((int)-n), want);
}

static void mkdirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    if (argc < 2) {
        kt_fail("usage", "hostesc HOSTDIR");
        return kt_done();
    }
    const char *H = argv[1];
    char p[PATH_MAX];

    CHECK_EQ(access("/mnt/h/file.txt", R_OK), 0, "the rw host mount is at /mnt/h");
    reads("/mnt/h/file.txt", "inside", "reading a file inside the mount");
    CHECK(same("/mnt/h/..", "/mnt"), "/mnt/h/.. is the guest's /mnt");
    CHECK(same("/mnt/h/sub/../..", "/mnt"), "/mnt/h/sub/../.. is the guest's /mnt");
    CHECK(same("/mnt/h/../../../..", "/"), "/mnt/h/../../../.. is the guest's /");
    CHECK_EQ(lists("/mnt/h/..", "secret.txt"), 0, "listing /mnt/h/.. does not show the host's parent (no secret.txt)");
    CHECK_EQ(lists("/mnt/h/..", "h"), 1, "listing /mnt/h/.. shows the mount point h");
    reads("/mnt/h/../secret.txt", NULL, "/mnt/h/../secret.txt is ENOENT");
    int dfd = open("/mnt/h", O_RDONLY | O_DIRECTORY);
    struct stat st, root;
    stat("/", &root);
    CHECK(fstatat(dfd, "../../../..", &st, 0) == 0 && st.st_ino == root.st_ino && st.st_dev == root.st_dev,
          "openat(/mnt/h fd, ../../../..) is the guest's /");
    CHECK_ERR(openat(dfd, "../secret.txt", O_RDONLY), ENOENT, "openat(/mnt/h fd, ../secret.txt) is ENOENT");

    /* before any decoy exists, outward links dangle */
    reads("/mnt/h/up1", NULL, "up1 -> ../secret.txt dangles in the guest (ENOENT)");
    reads("/mnt/h/abs_host", NULL, "abs_host -> H/secret.txt dangles in the guest (ENOENT)");
    reads("/mnt/h/upmany", NULL, "upmany -> ../../../../secret.txt dangles in the guest (ENOENT)");

    /* decoys where the guest resolution lands */
    vt_put("/mnt/secret.txt", "GUEST-MNT", 0644);
    vt_put("/secret.txt", "GUEST-ROOT", 0644);
    mkdirs(H);
    snprintf(p, sizeof p, "%s/secret.txt", H);
    vt_put(p, "GUEST-DECOY", 0644);
    reads("/mnt/h/up1", "GUEST-MNT", "up1 -> ../secret.txt resolves to the guest's /mnt/secret.txt");
    reads("/mnt/h/upmany", "GUEST-ROOT", "upmany resolves to the guest's /secret.txt (.. stops at the guest root)");
    reads("/mnt/h/abs_host", "GUEST-DECOY", "abs_host (an absolute host path) resolves in the guest's namespace");
    reads("/mnt/h/abs_dir/secret.txt", "GUEST-DECOY", "abs_dir/secret.txt resolves in the guest's namespace");
    reads("/mnt/h/dotdot/secret.txt", "GUEST-MNT", "dotdot -> .. is the guest's /mnt");
    CHECK(same("/mnt/h/dotdot", "/mnt"), "stat(dotdot) is the guest's /mnt");
    CHECK(same("/mnt/h/root", "/"), "root -> / is the guest's /");
    char shadow[4096];
    ssize_t n1 = vt_get("/etc/shadow", shadow, sizeof shadow);
    char viaLink[4096];
    ssize_t n2 = vt_get("/mnt/h/etc_shadow", viaLink, sizeof viaLink);
    CHECK(n1 >= 0 && n1 == n2 && memcmp(shadow, viaLink, (size_t)n1) == 0, "etc_shadow -> /etc/shadow reads the guest's /etc/shadow");
    char rp[PATH_MAX];
    CHECK(realpath("/mnt/h/up1", rp) && strcmp(rp, "/mnt/secret.txt") == 0, "realpath(up1) is /mnt/secret.txt");
    CHECK(realpath("/mnt/h/abs_host", rp) && strcmp(rp, p) == 0, "realpath(abs_host) is the guest path");

    /* cwd and /proc never show host paths */
    int here = open(".", O_RDONLY | O_DIRECTORY);
    chdir("/mnt/h/sub");
    char cwd[PATH_MAX] = "";
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/mnt/h/sub") == 0, "getcwd inside the mount is the guest path");
    char lbuf[PATH_MAX];
    ssize_t ln = readlink("/proc/self/cwd", lbuf, sizeof lbuf - 1);
    lbuf[ln > 0 ? ln : 0] = 0;
    CHECK_STR(lbuf, "/mnt/h/sub", "/proc/self/cwd is the guest path");
    chdir("../../../../..");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "chdir ../../../../.. from /mnt/h/sub reaches the guest's /");
    fchdir(here);
    int fd = open("/mnt/h/sub/deep.txt", O_RDONLY);
    char fdp[64];
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
    ln = readlink(fdp, lbuf, sizeof lbuf - 1);
    lbuf[ln > 0 ? ln : 0] = 0;
    CHECK_STR(lbuf, "/mnt/h/sub/deep.txt", "/proc/self/fd/N of a host file is the guest path");
    close(fd);

    /* openat2 confinement */
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
    CHECK_ERR(syscall(SYS_openat2, dfd, "up1", &how, sizeof how), EXDEV, "openat2 RESOLVE_BENEATH on up1 is EXDEV");
    how.resolve = RESOLVE_IN_ROOT;
    long r = syscall(SYS_openat2, dfd, "upmany", &how, sizeof how);
    int e = errno;
    kt_check(r == -1 && e == ENOENT, "openat2 RESOLVE_IN_ROOT on upmany stays under /mnt/h (ENOENT)", "got %ld (%s)", r,
             r < 0 ? strerror(e) : "opened");
    if (r >= 0)
        close((int)r);
    how.resolve = RESOLVE_IN_ROOT;
    r = syscall(SYS_openat2, dfd, "dotdot/file.txt", &how, sizeof how);
    CHECK(r >= 0, "openat2 RESOLVE_IN_ROOT dotdot/file.txt is /mnt/h/file.txt");
    if (r >= 0)
        close((int)r);

    /* moving things out is EXDEV */
    CHECK_ERR(link("/mnt/h/file.txt", "/mnt/hard"), EXDEV, "link out of the mount is EXDEV");
    CHECK_ERR(rename("/mnt/h/sub", "/mnt/sub"), EXDEV, "rename of a dir out of the mount is EXDEV");
    CHECK_ERR(rename("/mnt/secret.txt", "/mnt/h/secret.txt"), EXDEV, "rename into the mount is EXDEV");

    /* a chroot into the mount stays inside */
    pid_t pid = fork();
    if (pid == 0) {
        if (chroot("/mnt/h") != 0 || chdir("/") != 0)
            _exit(1);
        char b[64];
        if (vt_get("/../../file.txt", b, sizeof b) != 6)
            _exit(2);
        if (vt_get("/up1", b, sizeof b) != -ENOENT)
            _exit(3); /* ../secret.txt from the jail root is /secret.txt in the jail */
        if (vt_get("/abs_host", b, sizeof b) != -ENOENT)
            _exit(4);
        struct stat a, c;
        stat("/", &a);
        stat("/dotdot", &c);
        if (a.st_ino != c.st_ino || a.st_dev != c.st_dev)
            _exit(5);
        _exit(0);
    }
    CHECK_EQ(vt_reap(pid), 0, "chroot(/mnt/h): .., up1, abs_host and dotdot all stay inside the jail");

    /* a bind of a subdirectory: its .. is the bind's parent, not the host's */
    mkdir("/mnt/b", 0755);
    if (mount("/mnt/h/sub", "/mnt/b", NULL, MS_BIND, NULL) == 0) {
        CHECK(same("/mnt/b/..", "/mnt"), "a bind of /mnt/h/sub at /mnt/b: /mnt/b/.. is /mnt");
        reads("/mnt/b/deep.txt", "deep", "the bind shows the host subdirectory");
        reads("/mnt/b/../h/file.txt", "inside", "and /mnt/b/../h is the mount");
        umount("/mnt/b");
    } else {
        kt_fail("bind a host subdirectory", "mount: %s", strerror(errno));
    }

    /* a write through the rw mount reaches the host (checked by the runner) */
    CHECK_EQ(vt_put("/mnt/h/created.txt", "guest-wrote", 0644), 0, "create /mnt/h/created.txt through the rw mount");

    /* the read-only mount */
    reads("/mnt/ro/file.txt", "readonly", "reading through the :ro mount works");
    CHECK_ERR(open("/mnt/ro/file.txt", O_WRONLY), EROFS, "ro: open O_WRONLY is EROFS");
    CHECK_ERR(open("/mnt/ro/file.txt", O_RDWR), EROFS, "ro: open O_RDWR is EROFS");
    CHECK_ERR(open("/mnt/ro/file.txt", O_RDONLY | O_TRUNC), EROFS, "ro: open O_TRUNC is EROFS");
    CHECK_ERR(open("/mnt/ro/new.txt", O_WRONLY | O_CREAT, 0644), EROFS, "ro: create is EROFS");
    CHECK_ERR(mkdir("/mnt/ro/newdir", 0755), EROFS, "ro: mkdir is EROFS");
    CHECK_ERR(unlink("/mnt/ro/file.txt"), EROFS, "ro: unlink is EROFS");
    CHECK_ERR(rename("/mnt/ro/file.txt", "/mnt/ro/renamed.txt"), EROFS, "ro: rename is EROFS");
    CHECK_ERR(symlink("file.txt", "/mnt/ro/link"), EROFS, "ro: symlink is EROFS");
    CHECK_ERR(link("/mnt/ro/file.txt", "/mnt/ro/hard"), EROFS, "ro: link is EROFS");
    CHECK_ERR(chmod("/mnt/ro/file.txt", 0777), EROFS, "ro: chmod is EROFS");
    CHECK_ERR(chown("/mnt/ro/file.txt", 1000, 1000), EROFS, "ro: chown is EROFS");
    CHECK_ERR(truncate("/mnt/ro/file.txt", 0), EROFS, "ro: truncate is EROFS");
    CHECK_ERR(utimensat(AT_FDCWD, "/mnt/ro/file.txt", NULL, 0), EROFS, "ro: utimensat is EROFS");
    CHECK_ERR(mkfifo("/mnt/ro/fifo", 0644), EROFS, "ro: mkfifo is EROFS");
    CHECK_ERR(setxattr("/mnt/ro/file.txt", "user.x", "1", 1, 0), EROFS, "ro: setxattr is EROFS");
    CHECK_ERR(access("/mnt/ro/file.txt", W_OK), EROFS, "ro: access(W_OK) is EROFS");
    CHECK_ERR(rmdir("/mnt/ro/subdir"), EROFS, "ro: rmdir is EROFS");
    int rofd = open("/mnt/ro/file.txt", O_RDONLY);
    CHECK_ERR(ftruncate(rofd, 0), EINVAL, "ro: ftruncate of an O_RDONLY fd is EINVAL");
    CHECK_ERR(fchmod(rofd, 0777), EROFS, "ro: fchmod is EROFS");
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0);
    CHECK(m == MAP_FAILED && errno == EACCES, "ro: a writable shared mapping is EACCES");
    close(rofd);
    int ro_dir = open("/mnt/ro", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(openat(ro_dir, "x", O_WRONLY | O_CREAT, 0644), EROFS, "ro: openat(dirfd, O_CREAT) is EROFS");
    close(ro_dir);

    /* special files the host put in the mount (argv[2] == "nodes"):
     *   H/mnt/fifo (a FIFO), H/mnt/nulldev (char 1:3), H/mnt/kmsg (char 1:11),
 *   H/mnt/oldmem (char 1:12, a device Ghost does not have),
     *   H/mnt/disk (block 8:0). Device numbers name the guest kernel's devices,
     *   never the host's. */
    if (argc > 2 && strcmp(argv[2], "nodes") == 0) {
        vt_alarm(20); /* a FIFO opened on the host side could block */
        int rf = open("/mnt/h/fifo", O_RDONLY | O_NONBLOCK);
        CHECK_OK(rf, "a host FIFO opens O_RDONLY|O_NONBLOCK at once");
        int wf = open("/mnt/h/fifo", O_WRONLY | O_NONBLOCK);
        CHECK_OK(wf, "... and O_WRONLY|O_NONBLOCK with that reader");
        char c = 0;
        CHECK(write(wf, "f", 1) == 1 && read(rf, &c, 1) == 1 && c == 'f', "data flows through the host FIFO inside the guest");
        close(wf);
        close(rf);
        struct stat fst;
        CHECK(lstat("/mnt/h/fifo", &fst) == 0 && fst.st_size == 0, "the FIFO stays empty on the host side");
        int nd = open("/mnt/h/nulldev", O_RDWR);
        CHECK(nd >= 0 && write(nd, "x", 1) == 1 && read(nd, &c, 1) == 0, "a host char node 1:3 behaves as the guest's /dev/null");
        close(nd);
        /* 1:11 is the guest's /dev/kmsg: the node reads the guest's log, the
         * first record the same as through /dev/kmsg, never the host's. */
        char kb[256], gb[256];
        int kf = open("/mnt/h/kmsg", O_RDONLY | O_NONBLOCK);
        ssize_t kn = kf >= 0 ? read(kf, kb, sizeof kb - 1) : -1;
        int gf = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
        ssize_t gn = gf >= 0 ? read(gf, gb, sizeof gb - 1) : -1;
        kt_check(kn > 0 && kn == gn && memcmp(kb, gb, (size_t)kn) == 0,
                 "a host char node 1:11 reads the guest's kernel log (its /dev/kmsg), not the host's",
                 "node: fd %d read %zd; /dev/kmsg: fd %d read %zd", kf, kn, gf, gn);
        if (kf >= 0)
            close(kf);
        if (gf >= 0)
            close(gf);
        int of = open("/mnt/h/oldmem", O_RDONLY | O_NONBLOCK);
        kt_check(of < 0 && errno == ENXIO, "a host char node 1:12 (oldmem) is ENXIO: no such guest device",
                 "open gave fd %d", of);
        if (of >= 0)
            close(of);
        int bf = open("/mnt/h/disk", O_RDONLY | O_NONBLOCK);
        ssize_t bn = bf >= 0 ? read(bf, kb, sizeof kb) : -1;
        kt_check(bf < 0 && errno == ENXIO, "a host block node 8:0 is ENXIO: the host's disk is not reachable", "open gave fd %d, read %zd",
                 bf, bn);
        if (bf >= 0)
            close(bf);
    } else {
        kt_skip("host special files", "the runner could not create host device nodes");
    }
    close(dfd);
    close(here);
    return kt_done();
}
