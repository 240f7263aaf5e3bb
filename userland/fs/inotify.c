/* inotify.c - inotify on a directory and on a file: create, open, modify,
 * attrib, close_write, moved_from/moved_to with a shared cookie, delete,
 * delete_self, IN_ISDIR, coalescing, IN_ONESHOT, IN_MASK_ADD, rm_watch and
 * IN_IGNORED, FIONREAD, errors, the order and flags LTP checks (details()).
 * On the host directory and on a tmpfs. Last, unmount(): a filesystem's
 * shutdown ends the watches on it with IN_UNMOUNT (whatever their mask) and
 * IN_IGNORED (under qemu-user in a private mount namespace; root only). */
#include "ktest.h"
#include "privns.h"
#include <sys/mount.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

static char desc_[300];
#define D(...) (snprintf(desc_, sizeof desc_, __VA_ARGS__), desc_)

struct ev {
    int wd;
    uint32_t mask, cookie;
    char name[256];
};

static struct ev evs[64];
static int nev;

/* Drain the (nonblocking) inotify fd into evs[]. */
static int drain(int in)
{
    static char buf[16384] __attribute__((aligned(8)));
    nev = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            if (nev < 64) {
                evs[nev].wd = e->wd;
                evs[nev].mask = e->mask;
                evs[nev].cookie = e->cookie;
                snprintf(evs[nev].name, sizeof evs[nev].name, "%s", e->len ? e->name : "");
                nev++;
            }
            off += (ssize_t)sizeof *e + e->len;
        }
    }
    return nev;
}

/* Index of the first event with (mask & bit) and name, from `from`, or -1. */
static int find(uint32_t bit, const char *name, int from)
{
    for (int i = from; i < nev; i++)
        if ((evs[i].mask & bit) && strcmp(evs[i].name, name) == 0)
            return i;
    return -1;
}

static int count(uint32_t bit, const char *name)
{
    int c = 0;
    for (int i = 0; i < nev; i++)
        if ((evs[i].mask & bit) && strcmp(evs[i].name, name) == 0)
            c++;
    return c;
}

static void dump(const char *fs)
{
    for (int i = 0; i < nev; i++)
        kt_printf("#   %s event %d: wd %d mask %#x cookie %u name \"%s\"\n", fs, i, evs[i].wd, evs[i].mask, evs[i].cookie,
                  evs[i].name);
}

static void on_dir(const char *base, const char *fs)
{
    char dir[PATH_MAX], p[PATH_MAX], q[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/watched", base);
    mkdir(dir, 0755);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK_OK(in, D("%s: inotify_init1(NONBLOCK|CLOEXEC)", fs));
    int wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
    CHECK(wd > 0, D("%s: add a watch on a directory", fs));
    CHECK_EQ(drain(in), 0, D("%s: no events yet", fs));

    snprintf(p, sizeof p, "%s/a", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    write(fd, "1", 1);
    write(fd, "2", 1);
    close(fd);
    int avail = 0;
    ioctl(in, FIONREAD, &avail);
    CHECK(avail >= (int)(4 * sizeof(struct inotify_event)), D("%s: FIONREAD counts the queued bytes", fs));
    drain(in);
    int c = find(IN_CREATE, "a", 0);
    int o = find(IN_OPEN, "a", 0);
    int m = find(IN_MODIFY, "a", 0);
    int cw = find(IN_CLOSE_WRITE, "a", 0);
    CHECK(c >= 0 && evs[c].wd == wd, D("%s: IN_CREATE \"a\" with the watch's wd", fs));
    CHECK(o > c, D("%s: then IN_OPEN", fs));
    CHECK(m > o, D("%s: then IN_MODIFY", fs));
    CHECK_EQ(count(IN_MODIFY, "a"), 1, D("%s: two writes in a row coalesce into one IN_MODIFY", fs));
    CHECK(cw > m, D("%s: then IN_CLOSE_WRITE", fs));
    if (!(c >= 0 && o > c && m > o && cw > m))
        dump(fs);

    chmod(p, 0600);
    drain(in);
    CHECK(find(IN_ATTRIB, "a", 0) >= 0, D("%s: chmod gives IN_ATTRIB", fs));
    fd = open(p, O_RDONLY);
    char b;
    read(fd, &b, 1);
    close(fd);
    drain(in);
    CHECK(find(IN_ACCESS, "a", 0) >= 0 && find(IN_CLOSE_NOWRITE, "a", 0) >= 0, D("%s: a read gives IN_ACCESS and IN_CLOSE_NOWRITE", fs));

    snprintf(q, sizeof q, "%s/b", dir);
    rename(p, q);
    drain(in);
    int mf = find(IN_MOVED_FROM, "a", 0), mt = find(IN_MOVED_TO, "b", 0);
    CHECK(mf >= 0 && mt >= 0, D("%s: rename gives IN_MOVED_FROM \"a\" and IN_MOVED_TO \"b\"", fs));
    CHECK(mf >= 0 && mt >= 0 && evs[mf].cookie != 0 && evs[mf].cookie == evs[mt].cookie, D("%s: ... with one nonzero cookie", fs));
    CHECK(mf >= 0 && mt == mf + 1, D("%s: ... as adjacent events", fs));
    unlink(q);
    drain(in);
    CHECK(find(IN_DELETE, "b", 0) >= 0, D("%s: unlink gives IN_DELETE \"b\"", fs));
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0755);
    drain(in);
    int s = find(IN_CREATE, "sub", 0);
    CHECK(s >= 0 && (evs[s].mask & IN_ISDIR), D("%s: mkdir gives IN_CREATE|IN_ISDIR", fs));
    rmdir(p);
    drain(in);
    s = find(IN_DELETE, "sub", 0);
    CHECK(s >= 0 && (evs[s].mask & IN_ISDIR), D("%s: rmdir gives IN_DELETE|IN_ISDIR", fs));

    /* moving a file out of the watched dir: only IN_MOVED_FROM */
    snprintf(p, sizeof p, "%s/c", dir);
    snprintf(q, sizeof q, "%s/moved-out", base);
    vt_put(p, "c", 0644);
    drain(in);
    rename(p, q);
    drain(in);
    CHECK(find(IN_MOVED_FROM, "c", 0) >= 0 && find(IN_MOVED_TO, "moved-out", 0) < 0, D("%s: moving out gives only IN_MOVED_FROM", fs));

    CHECK_EQ(inotify_add_watch(in, dir, IN_CREATE), wd, D("%s: a second add_watch of the same dir returns the same wd", fs));
    vt_put(p, "c", 0644);
    unlink(p);
    drain(in);
    CHECK(find(IN_CREATE, "c", 0) >= 0 && find(IN_DELETE, "c", 0) < 0, D("%s: ... and replaced the mask (only IN_CREATE now)", fs));
    CHECK_EQ(inotify_add_watch(in, dir, IN_DELETE | IN_MASK_ADD), wd, D("%s: IN_MASK_ADD", fs));
    vt_put(p, "c", 0644);
    unlink(p);
    drain(in);
    CHECK(find(IN_CREATE, "c", 0) >= 0 && find(IN_DELETE, "c", 0) >= 0, D("%s: IN_MASK_ADD ORs the new bits in", fs));

    CHECK_OK(inotify_rm_watch(in, wd), D("%s: inotify_rm_watch", fs));
    drain(in);
    CHECK(nev == 1 && evs[0].wd == wd && evs[0].mask == IN_IGNORED, D("%s: rm_watch queues IN_IGNORED", fs));
    CHECK_ERR(inotify_rm_watch(in, wd), EINVAL, D("%s: rm_watch of a removed wd is EINVAL", fs));
    vt_put(p, "c", 0644);
    CHECK_EQ(drain(in), 0, D("%s: no events after rm_watch", fs));

    /* IN_ONESHOT */
    int w2 = inotify_add_watch(in, dir, IN_CREATE | IN_ONESHOT);
    snprintf(q, sizeof q, "%s/one", dir);
    vt_put(q, "", 0644);
    snprintf(q, sizeof q, "%s/two", dir);
    vt_put(q, "", 0644);
    drain(in);
    CHECK(find(IN_CREATE, "one", 0) >= 0 && find(IN_CREATE, "two", 0) < 0, D("%s: IN_ONESHOT reports only the first event", fs));
    CHECK(nev >= 1 && evs[nev - 1].mask == IN_IGNORED && evs[nev - 1].wd == w2, D("%s: ... followed by IN_IGNORED", fs));

    /* a watch on a file */
    int fw = inotify_add_watch(in, p, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF);
    CHECK(fw > 0, D("%s: add a watch on a file", fs));
    fd = open(p, O_WRONLY);
    write(fd, "m", 1);
    close(fd);
    drain(in);
    CHECK(nev == 1 && evs[0].wd == fw && evs[0].mask == IN_MODIFY && evs[0].name[0] == 0,
          D("%s: a file watch reports IN_MODIFY without a name", fs));
    unlink(p);
    drain(in);
    int ds = -1, ig = -1;
    for (int i = 0; i < nev; i++) {
        if (evs[i].mask & IN_DELETE_SELF)
            ds = i;
        if (evs[i].mask & IN_IGNORED)
            ig = i;
    }
    CHECK(ds >= 0 && ig > ds, D("%s: unlinking the watched file gives IN_DELETE_SELF then IN_IGNORED", fs));

    CHECK_ERR(inotify_add_watch(in, "/nonexistent-path", IN_ALL_EVENTS), ENOENT, D("%s: add_watch of a missing path is ENOENT", fs));
    vt_put(p, "", 0644);
    CHECK_ERR(inotify_add_watch(in, p, IN_CREATE | IN_ONLYDIR), ENOTDIR, D("%s: IN_ONLYDIR on a file is ENOTDIR", fs));
    CHECK_ERR(inotify_add_watch(in, dir, 0), EINVAL, D("%s: an empty mask is EINVAL", fs));
    int np[2];
    pipe(np);
    CHECK_ERR(inotify_add_watch(np[0], dir, IN_CREATE), EINVAL, D("%s: add_watch on a non-inotify fd is EINVAL", fs));
    close(np[0]);
    close(np[1]);

    /* a read buffer too small for the next event */
    int w3 = inotify_add_watch(in, dir, IN_CREATE);
    snprintf(q, sizeof q, "%s/a-rather-long-name-for-the-event", dir);
    vt_put(q, "", 0644);
    char tiny[sizeof(struct inotify_event) + 4];
    CHECK_ERR(read(in, tiny, sizeof tiny), EINVAL, D("%s: a read buffer too small for the event is EINVAL", fs));
    drain(in);
    inotify_rm_watch(in, w3);
    drain(in);
    close(in);

    /* blocking read and poll */
    in = inotify_init1(0);
    inotify_add_watch(in, dir, IN_CREATE);
    pid_t pid = fork();
    if (pid == 0) {
        vt_msleep(100);
        snprintf(q, sizeof q, "%s/from-child", dir);
        vt_put(q, "", 0644);
        _exit(0);
    }
    struct pollfd pf = {in, POLLIN, 0};
    CHECK(poll(&pf, 1, 3000) == 1, D("%s: poll wakes on an event from a child", fs));
    static char buf[4096] __attribute__((aligned(8)));
    ssize_t n = read(in, buf, sizeof buf);
    struct inotify_event *e = (struct inotify_event *)buf;
    CHECK(n > 0 && (e->mask & IN_CREATE) && strcmp(e->name, "from-child") == 0, D("%s: the blocking read returns it", fs));
    CHECK_EQ((size_t)n, sizeof *e + e->len, D("%s: len pads the name (event size = header + len)", fs));
    CHECK(e->len >= strlen("from-child") + 1 && e->name[strlen("from-child")] == 0, D("%s: len covers the NUL-terminated name", fs));
    vt_reap(pid);
    close(in);
    CHECK_ERR(inotify_init1(0x1), EINVAL, D("%s: inotify_init1 with an unknown flag is EINVAL", fs));
}

/* What LTP's inotify02/04/10/12 check: a watched directory's own
 * IN_MOVE_SELF and IN_DELETE_SELF carry no IN_ISDIR (inotify masks it out);
 * unlinking a watched file gives its watch IN_ATTRIB (the link count) before
 * IN_DELETE_SELF; an event on a directory watched both itself and through its
 * parent reaches the parent's watch first; IN_EXCL_UNLINK drops the events
 * of an open file once it has no name. */
static void details(const char *base, const char *fs)
{
    char dir[PATH_MAX], sub[PATH_MAX + 8], moved[PATH_MAX + 8], file[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/in-details", base);
    mkdir(dir, 0755);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(moved, sizeof moved, "%s/sub2", dir);
    snprintf(file, sizeof file, "%s/f", dir);
    mkdir(sub, 0755);
    vt_put(file, "x", 0644);
    int in = inotify_init1(IN_NONBLOCK);
    int wp = inotify_add_watch(in, dir, IN_ATTRIB | IN_MODIFY);
    int ws = inotify_add_watch(in, sub, IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
    int wf = inotify_add_watch(in, file, IN_ATTRIB | IN_DELETE_SELF);
    chmod(sub, 0700);
    drain(in);
    CHECK(nev == 2 && evs[0].wd == wp && strcmp(evs[0].name, "sub") == 0 && evs[1].wd == ws && evs[1].name[0] == 0 &&
              evs[0].mask == (IN_ATTRIB | IN_ISDIR) && evs[1].mask == (IN_ATTRIB | IN_ISDIR),
          D("%s: chmod of a directory watched twice: the parent's watch first, both IN_ATTRIB|IN_ISDIR", fs));
    if (nev != 2)
        dump(fs);
    rename(sub, moved);
    drain(in);
    CHECK(nev == 1 && evs[0].wd == ws && evs[0].mask == IN_MOVE_SELF, D("%s: a directory's IN_MOVE_SELF has no IN_ISDIR", fs));
    rmdir(moved);
    drain(in);
    CHECK(nev == 2 && evs[0].mask == IN_DELETE_SELF && evs[1].mask == IN_IGNORED, D("%s: rmdir: IN_DELETE_SELF (no IN_ISDIR), IN_IGNORED", fs));
    unlink(file);
    drain(in);
    CHECK(nev == 3 && evs[0].wd == wf && evs[0].mask == IN_ATTRIB && evs[1].mask == IN_DELETE_SELF && evs[2].mask == IN_IGNORED,
          D("%s: unlink of a watched file: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED", fs));
    if (nev != 3)
        dump(fs);
    inotify_rm_watch(in, wp);
    drain(in);

    /* IN_EXCL_UNLINK: a write through an fd of an unlinked file is not reported. */
    vt_put(file, "1", 0644);
    int w = inotify_add_watch(in, dir, IN_MODIFY | IN_EXCL_UNLINK);
    int fd = open(file, O_RDWR);
    write(fd, "2", 1);
    drain(in);
    CHECK(nev == 1 && evs[0].wd == w && evs[0].mask == IN_MODIFY, D("%s: IN_EXCL_UNLINK: a write to the named file is reported", fs));
    unlink(file);
    write(fd, "3", 1);
    close(fd);
    drain(in);
    CHECK_EQ(nev, 0, D("%s: IN_EXCL_UNLINK: not once the file is unlinked", fs));
    close(in);
    rmdir(dir);
}

static void unmount(const char *base)
{
    char mp[512], file[600];
    snprintf(mp, sizeof mp, "%s/mnt", base);
    snprintf(file, sizeof file, "%s/f", mp);
    if (mkdir(mp, 0755) < 0 || mount("tmpfs", mp, "tmpfs", 0, NULL) < 0) {
        kt_skip("unmount", "cannot mount a tmpfs (not root)");
        return;
    }
    close(open(file, O_CREAT | O_WRONLY, 0644));
    int in = inotify_init1(IN_NONBLOCK);
    int wd = inotify_add_watch(in, file, IN_CREATE); /* no IN_UNMOUNT asked for */
    int other = inotify_add_watch(in, base, IN_DELETE_SELF);
    CHECK(wd > 0 && other > 0, "unmount: watches on a file of a tmpfs and on the directory it is mounted in");
    CHECK_OK(umount(mp), "unmount: umount the tmpfs");
    drain(in);
    CHECK_EQ(nev, 2, "unmount: two events");
    if (nev == 2) {
        CHECK(evs[0].wd == wd && evs[0].mask == IN_UNMOUNT, "unmount: IN_UNMOUNT first, on the file's watch");
        CHECK(evs[1].wd == wd && evs[1].mask == IN_IGNORED, "unmount: then IN_IGNORED");
    }
    CHECK_ERR(inotify_rm_watch(in, wd), EINVAL, "unmount: the file's watch is gone (rm_watch EINVAL)");
    CHECK_OK(inotify_rm_watch(in, other), "unmount: the watch on another filesystem stays");
    close(in);
    rmdir(mp);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    const char *host = kt_mktemp("inotify");
    vt_mkshm("inotify");
    on_dir(host, "hostdir");
    on_dir(vt_shmdir, "tmpfs");
    details(host, "hostdir");
    details(vt_shmdir, "tmpfs");
    if (vt_private_mounts("unmount"))
        unmount(host);
    kt_cleanup();
    vt_cleanup_shm();
    return kt_done();
}
