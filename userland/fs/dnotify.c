/*
 * dnotify: fcntl(F_NOTIFY) as Linux gives it. A directory fd asks for
 * DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB events on
 * the entries of that directory; each event sends the fd's owner (the caller,
 * if none was set) SIGIO, or the F_SETSIG signal with si_fd, si_code POLL_MSG
 * and si_band POLLIN|POLLRDNORM|POLLMSG. Without DN_MULTISHOT the first event
 * ends the watch; mask 0 and closing the fd end it too. A non-directory is
 * ENOTDIR. Signals here are counted: each event is one queued RT signal.
 */
#include "ktest.h"

#include <poll.h>
#include <signal.h>

#define SIG (SIGRTMIN + 1)

static volatile int hits, last_fd, last_code, bad_info;
static volatile unsigned long fds_seen; /* bit n: a signal named fd n */
static volatile long last_band;
static volatile int sigio_hits, sigio_code;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig == SIGIO) {
        sigio_hits++;
        sigio_code = si->si_code;
        return;
    }
    hits++;
    last_fd = si->si_fd;
    if (si->si_fd >= 0 && si->si_fd < 64)
        fds_seen |= 1UL << si->si_fd;
    last_code = si->si_code;
    last_band = si->si_band;
}

/* A fresh directory fd watching `mask`, its events sent as SIG. */
static int watch(const char *dir, unsigned long mask)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    if (d < 0 || fcntl(d, F_SETSIG, SIG) != 0 || fcntl(d, F_NOTIFY, mask) != 0)
        return -1;
    hits = 0;
    return d;
}

static void put(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, s, strlen(s)) < 0)
            kt_printf("# write %s: %s\n", path, strerror(errno));
        close(fd);
    }
}

int main(void)
{
    kt_watchdog(60);
    const char *dir = kt_mktemp("dnotify");
    char f[600], g[600], sub[600], other[600];
    snprintf(f, sizeof f, "%s/f", dir);
    snprintf(g, sizeof g, "%s/g", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(other, sizeof other, "%s/sub/moved", dir);

    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIG, &sa, NULL);
    sigaction(SIGIO, &sa, NULL);

    int fd = open(dir, O_RDONLY);
    put(f, "x");
    int ff = open(f, O_RDONLY);
    CHECK_ERR(fcntl(ff, F_NOTIFY, DN_CREATE), ENOTDIR, "F_NOTIFY on a regular file is ENOTDIR");
    close(ff);
    close(fd);
    unlink(f);

    int d = watch(dir, DN_CREATE | DN_MULTISHOT);
    CHECK(d >= 0, "F_NOTIFY DN_CREATE|DN_MULTISHOT on a directory");
    put(f, "a");
    CHECK_EQ(hits, 1, "creating a file: one signal");
    CHECK_EQ(last_fd, d, "si_fd is the watching fd");
    CHECK_EQ(last_code, POLL_MSG, "si_code is POLL_MSG");
    CHECK_EQ(last_band, (long)(POLLIN | POLLRDNORM | POLLMSG), "si_band is POLLIN|POLLRDNORM|POLLMSG");
    put(f, "b");
    CHECK_EQ(hits, 1, "rewriting it is not a create");
    mkdir(sub, 0755);
    CHECK_EQ(hits, 2, "mkdir: a second signal (multishot)");
    CHECK_EQ(fcntl(d, F_GETSIG), SIG, "F_GETSIG");
    close(d);
    hits = 0;
    put(g, "c");
    CHECK_EQ(hits, 0, "after close: no signal");
    unlink(g);

    d = watch(dir, DN_MODIFY);
    int w = open(f, O_WRONLY);
    CHECK_EQ(write(w, "1", 1), 1, "write");
    CHECK_EQ(hits, 1, "DN_MODIFY: a write signals");
    CHECK_EQ(write(w, "2", 1), 1, "write again");
    CHECK_EQ(hits, 1, "without DN_MULTISHOT the first event ended the watch");
    close(w);
    close(d);

    d = watch(dir, DN_MODIFY | DN_MULTISHOT);
    CHECK_OK(fcntl(d, F_NOTIFY, 0), "F_NOTIFY 0");
    put(f, "d");
    CHECK_EQ(hits, 0, "mask 0 removed the watch");
    close(d);

    d = watch(dir, DN_ACCESS | DN_MULTISHOT);
    char b[8];
    int r = open(f, O_RDONLY);
    CHECK_EQ(read(r, b, sizeof b), 1, "read");
    CHECK_EQ(hits, 1, "DN_ACCESS: a read signals");
    close(r);
    close(d);

    d = watch(dir, DN_ATTRIB | DN_MULTISHOT);
    CHECK_OK(chmod(f, 0600), "chmod");
    CHECK_EQ(hits, 1, "DN_ATTRIB: chmod signals");
    close(d);

    d = watch(dir, DN_RENAME | DN_MULTISHOT);
    CHECK_OK(rename(f, g), "rename within the directory");
    CHECK_EQ(hits, 1, "DN_RENAME: a rename within the directory signals");
    CHECK_OK(rename(g, other), "rename into a subdirectory");
    CHECK_EQ(hits, 1, "DN_RENAME: a move to another directory does not (it is a delete)");
    close(d);

    d = watch(dir, DN_DELETE | DN_MULTISHOT);
    CHECK_OK(rename(other, f), "move back");
    CHECK_EQ(hits, 0, "a move in is not a delete");
    CHECK_OK(rename(f, other), "move out again");
    CHECK_EQ(hits, 1, "DN_DELETE: a move out signals");
    CHECK_OK(unlink(other), "unlink in the subdirectory");
    CHECK_EQ(hits, 1, "an event in a subdirectory does not reach the parent's watch");
    CHECK_OK(rmdir(sub), "rmdir");
    CHECK_EQ(hits, 2, "DN_DELETE: rmdir signals");
    close(d);

    d = watch(dir, DN_CREATE | DN_MULTISHOT);
    put(f, "e");
    CHECK_OK(rename(f, g), "rename");
    CHECK_EQ(hits, 2, "DN_CREATE: a create and a move in (a rename within) signal");
    close(d);

    /* A directory's own change reaches its own watch too (dnotify takes events on a directory itself). */
    char sd[600];
    snprintf(sd, sizeof sd, "%s/selfdir", dir);
    CHECK_OK(mkdir(sd, 0700), "mkdir selfdir");
    int pd = watch(dir, DN_ATTRIB | DN_MULTISHOT);
    int sdfd = open(sd, O_RDONLY | O_DIRECTORY);
    CHECK(sdfd >= 0 && fcntl(sdfd, F_SETSIG, SIG) == 0 && fcntl(sdfd, F_NOTIFY, DN_ATTRIB | DN_MULTISHOT) == 0,
          "watch selfdir itself for DN_ATTRIB");
    hits = 0;
    fds_seen = 0;
    CHECK_OK(chmod(sd, 0755), "chmod selfdir");
    CHECK_EQ(hits, 2, "DN_ATTRIB: both the parent's and selfdir's own watch signal");
    CHECK(sdfd < 64 && pd < 64 && (fds_seen & (1UL << sdfd)) && (fds_seen & (1UL << pd)), "one names selfdir's fd, one the parent's");
    close(sdfd);
    close(pd);
    rmdir(sd);

    /* Plain SIGIO when no F_SETSIG signal is set: no siginfo of the event (SI_KERNEL). */
    d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_OK(fcntl(d, F_NOTIFY, DN_DELETE), "F_NOTIFY without F_SETSIG");
    CHECK_EQ(fcntl(d, F_GETOWN), getpid(), "F_NOTIFY made the caller the fd's owner");
    CHECK_OK(unlink(g), "unlink");
    CHECK_EQ(sigio_hits, 1, "SIGIO once");
    CHECK_EQ(sigio_code, SI_KERNEL, "SIGIO's si_code is SI_KERNEL");
    close(d);

    kt_cleanup();
    return kt_done();
}
