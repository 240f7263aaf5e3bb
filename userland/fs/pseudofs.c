/* pseudofs.c - the kernel's internal filesystems as fstat, fstatfs and
 * /proc/self/fd show them: every anonymous-inode file (eventfd, signalfd,
 * timerfd, epoll, inotify) is the one anon inode of anon_inodefs; pipes are
 * inodes of pipefs, one per pipe; sockets of every family are inodes of the
 * one sockfs. */
#include "ktest.h"
#include <signal.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>

#define ANON_INODE_FS_MAGIC 0x09041934
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534f434b

static struct stat st_of(int fd)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    if (fstat(fd, &st) != 0)
        st.st_ino = (ino_t)-1;
    return st;
}

static long fs_type(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0)
        return -errno;
    return (long)sf.f_type;
}

/* Whether /proc/self/fd/<fd> reads `prefix` followed by `[ino]` (ino 0: any). */
static int link_is(int fd, const char *prefix, unsigned long ino)
{
    char path[64], buf[128], want[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return 0;
    buf[n] = 0;
    if (ino)
        snprintf(want, sizeof want, "%s[%lu]", prefix, ino);
    else
        snprintf(want, sizeof want, "%s", prefix);
    if (strcmp(buf, want) != 0) {
        printf("# %s reads %s, want %s\n", path, buf, want);
        return 0;
    }
    return 1;
}

int main(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    int efd = eventfd(0, 0), sfd = signalfd(-1, &mask, 0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0), epfd = epoll_create1(0), ifd = inotify_init1(0);
    CHECK(efd >= 0 && sfd >= 0 && tfd >= 0 && epfd >= 0 && ifd >= 0, "eventfd, signalfd, timerfd, epoll and inotify descriptors");
    struct stat e = st_of(efd), s = st_of(sfd), t = st_of(tfd), ep = st_of(epfd), in = st_of(ifd);
    CHECK(e.st_dev == s.st_dev && e.st_dev == t.st_dev && e.st_dev == ep.st_dev && e.st_dev == in.st_dev,
          "every anonymous-inode file has anon_inodefs's st_dev");
    CHECK(e.st_ino == s.st_ino && e.st_ino == t.st_ino && e.st_ino == ep.st_ino && e.st_ino == in.st_ino,
          "every anonymous-inode file is the one anon inode (same st_ino)");
    CHECK_EQ(fs_type(efd), ANON_INODE_FS_MAGIC, "fstatfs(eventfd).f_type is ANON_INODE_FS_MAGIC");
    CHECK_EQ(fs_type(epfd), ANON_INODE_FS_MAGIC, "fstatfs(epoll).f_type is ANON_INODE_FS_MAGIC");
    CHECK(link_is(efd, "anon_inode:[eventfd]", 0), "/proc/self/fd of an eventfd is anon_inode:[eventfd]");
    CHECK(link_is(epfd, "anon_inode:[eventpoll]", 0), "/proc/self/fd of an epoll is anon_inode:[eventpoll]");

    int p1[2], p2[2];
    CHECK_EQ(pipe(p1) | pipe(p2), 0, "two pipes");
    struct stat a = st_of(p1[0]), aw = st_of(p1[1]), b = st_of(p2[0]);
    CHECK(a.st_dev == b.st_dev, "pipes share pipefs's st_dev");
    CHECK(a.st_ino == aw.st_ino, "a pipe's two ends are one inode");
    CHECK(a.st_ino != b.st_ino, "two pipes are two inodes");
    CHECK(a.st_dev != e.st_dev, "pipefs is not anon_inodefs");
    CHECK(S_ISFIFO(a.st_mode), "a pipe is S_IFIFO");
    CHECK_EQ(fs_type(p1[0]), PIPEFS_MAGIC, "fstatfs(pipe).f_type is PIPEFS_MAGIC");
    CHECK(link_is(p1[0], "pipe:", (unsigned long)a.st_ino), "/proc/self/fd of a pipe is pipe:[st_ino]");

    int us[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, us), 0, "a unix socketpair");
    int in4 = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(in4 >= 0, "an inet socket");
    struct stat u0 = st_of(us[0]), u1 = st_of(us[1]), i4 = st_of(in4);
    CHECK(u0.st_dev == i4.st_dev, "unix and inet sockets share sockfs's st_dev");
    CHECK(u0.st_ino != u1.st_ino && u0.st_ino != i4.st_ino, "every socket is an inode of its own");
    CHECK(u0.st_dev != a.st_dev && u0.st_dev != e.st_dev, "sockfs is neither pipefs nor anon_inodefs");
    CHECK(S_ISSOCK(u0.st_mode) && S_ISSOCK(i4.st_mode), "sockets are S_IFSOCK");
    CHECK_EQ(fs_type(us[0]), SOCKFS_MAGIC, "fstatfs(unix socket).f_type is SOCKFS_MAGIC");
    CHECK_EQ(fs_type(in4), SOCKFS_MAGIC, "fstatfs(inet socket).f_type is SOCKFS_MAGIC");
    CHECK(link_is(in4, "socket:", (unsigned long)i4.st_ino), "/proc/self/fd of a socket is socket:[st_ino]");
    return kt_done();
}
