#define _GNU_SOURCE
// Kernel-memory exhaustion, one resource at a time (issue 15, finding 5):
// makes N objects of a kind, each holding what Linux charges to RAM, and
// stops at the first failure. Prints one line: the kind, how many were
// made, and the errno that stopped it (0: all N made). Under a small --mem
// the kernel's memory budget must stop it (ENOMEM, ENOSPC, EAGAIN...)
// before the host's memory grows past the bound.
//
//   hog pipes N        N pipes, each filled with 64 KiB
//   hog files N DIR    N files of 1 byte in DIR
//   hog eventfd N      N eventfds
//   hog epoll N        N epoll instances
//   hog epitems N      N epoll items: one eventfd dup'ed 1,000 times, all
//                      watched by one epoll instance after another (the
//                      items cost no new file)
//   hog inotify N DIR  20 inotify instances watch DIR; N files with 200-byte
//                      names made and removed in it; prints the events the
//                      first instance read and whether it overflowed
//   hog unix N         N socketpairs, each with 64 KiB queued
//   hog tcp N          N loopback TCP connections, each written to (never
//                      read) until a send is EAGAIN: prints the MiB queued
//   hog socks N        N sockets held open, TCP, UDP, raw ICMP and ping in turn
//                      (each a struct sock beside its file), and Slab before
//                      and after
//   hog churn N [S]    N loopback TCP connections, each connected, accepted
//                      and closed by the client first (a TIME_WAIT socket
//                      with no fd left behind), then Slab before, after the
//                      N, and after 32 more never accepted (half reset by
//                      the client), the listener closed, and sleeping S
//                      seconds (TIME_WAIT's end)
//   hog stat N DIR     stat DIR/f0 .. DIR/f(N-1) (made beforehand, on a host
//                      mount: each name cached is charged), then drop_caches
//                      and Slab before and after
//   hog fill FILE MiB  write MiB of 1 MiB blocks to FILE (ENOSPC expected on tmpfs)
//   hog anon MiB       touch MiB of anonymous memory (the OOM killer expected)
//   hog memfd MiB      a memfd of MiB, written through a MAP_SHARED mapping,
//                      unmapped, then read back with pread (its frames are
//                      the mapping's: the data costs guest RAM once)
//   hog memfdgone MiB  a memfd mapped twice and closed: written through one
//                      mapping, that one unmapped, read through the other
//                      (the data lives while mapped), then Shmem before and
//                      after the last munmap (its frames go with it)
//   hog bigsend MiB    send and sendmsg MiB of never-touched memory on a stream
//                      socketpair (MSG_DONTWAIT): a send buffer's worth goes
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static char buf[1 << 20];

static void raise_nofile(void) {
  struct rlimit r = { 1 << 20, 1 << 20 };
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// Shmem from /proc/meminfo, in KiB (-1 if unreadable).
static long shmem_kib(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f)) if (sscanf(line, "Shmem: %ld kB", &v) == 1) break;
  if (f) fclose(f);
  return v;
}

// A /proc/meminfo field, in KiB (-1 if unreadable).
static long meminfo_kib(const char *field) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f)) if (!strncmp(line, field, n) && line[n] == ':') { v = atol(line + n + 1); break; }
  if (f) fclose(f);
  return v;
}

// Writes all of n bytes to a non-blocking fd; returns 0 or the errno.
static int fill(int fd, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) return errno;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: hog KIND N [ARG]\n"); return 2; }
  const char *kind = argv[1];
  long n = atol(argv[2]);
  long made = 0;
  int err = 0;
  memset(buf, 'x', sizeof buf);
  raise_nofile();
  if (!strcmp(kind, "pipes")) {
    for (; made < n; made++) {
      int p[2];
      if (pipe2(p, O_NONBLOCK) != 0) { err = errno; break; }
      if ((err = fill(p[1], 65536)) != 0) break;
    }
  } else if (!strcmp(kind, "files") && argc > 3) {
    char path[4096];
    for (; made < n; made++) {
      snprintf(path, sizeof path, "%s/f%ld", argv[3], made);
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd < 0) { err = errno; break; }
      ssize_t w = write(fd, "x", 1);
      if (w != 1) err = w < 0 ? errno : EIO;
      close(fd);
      if (err) break;
    }
  } else if (!strcmp(kind, "stat") && argc > 3) {
    char path[4096];
    struct stat st;
    for (; made < n; made++) {
      snprintf(path, sizeof path, "%s/f%ld", argv[3], made);
      if (stat(path, &st) != 0) { err = errno; break; }
    }
    long before = meminfo_kib("Slab");
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    int dropped = fd >= 0 && write(fd, "2", 1) == 1;
    if (fd >= 0) close(fd);
    printf("stat slab_before=%ld slab_after=%ld dropped=%d\n", before, meminfo_kib("Slab"), dropped);
  } else if (!strcmp(kind, "eventfd")) {
    for (; made < n; made++) if (eventfd(0, 0) < 0) { err = errno; break; }
  } else if (!strcmp(kind, "epoll")) {
    for (; made < n; made++) if (epoll_create1(0) < 0) { err = errno; break; }
  } else if (!strcmp(kind, "epitems")) {
    enum { DUPS = 1000 };
    static int fds[DUPS];
    fds[0] = eventfd(0, 0);
    for (int i = 1; i < DUPS && fds[0] >= 0; i++) fds[i] = dup(fds[0]);
    if (fds[0] < 0 || fds[DUPS - 1] < 0) { printf("epitems setup failed\n"); return 1; }
    while (made < n && !err) {
      int ep = epoll_create1(0);
      if (ep < 0) { err = errno; break; }
      for (int i = 0; i < DUPS && made < n; i++, made++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) { err = errno; break; }
      }
    }
  } else if (!strcmp(kind, "inotify") && argc > 3) {
    enum { GROUPS = 20 };
    int in[GROUPS];
    for (int i = 0; i < GROUPS; i++) {
      in[i] = inotify_init1(IN_NONBLOCK);
      if (in[i] < 0 || inotify_add_watch(in[i], argv[3], IN_CREATE | IN_DELETE) < 0) { printf("inotify setup failed\n"); return 1; }
    }
    char path[4096];
    for (; made < n; made++) {
      snprintf(path, sizeof path, "%s/%0200ld", argv[3], made);
      int fd = open(path, O_WRONLY | O_CREAT, 0644);
      if (fd < 0) { err = errno; break; }
      close(fd);
      unlink(path);
    }
    long events = 0;
    int overflow = 0;
    ssize_t r;
    while ((r = read(in[0], buf, sizeof buf)) > 0) {
      for (ssize_t off = 0; off < r;) {
        struct inotify_event *e = (struct inotify_event *)(buf + off);
        if (e->mask & IN_Q_OVERFLOW) overflow = 1; else events++;
        off += (ssize_t)(sizeof *e + e->len);
      }
    }
    printf("inotify events=%ld overflow=%d\n", events, overflow);
  } else if (!strcmp(kind, "unix")) {
    for (; made < n; made++) {
      int s[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s) != 0) { err = errno; break; }
      if ((err = fill(s[0], 65536)) != 0) break;
    }
  } else if (!strcmp(kind, "tcp")) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4096) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) != 0) { printf("tcp setup failed\n"); return 1; }
    long long queued = 0;
    for (; made < n; made++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (c < 0) { err = errno; break; }
      if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) { err = errno; break; }
      int s = accept(l, NULL, NULL);
      if (s < 0) { err = errno; break; }
      if (fcntl(c, F_SETFL, O_NONBLOCK) != 0) { err = errno; break; }
      ssize_t w;
      while ((w = write(c, buf, sizeof buf)) > 0) queued += w;
      if (w < 0 && errno != EAGAIN) { err = errno; break; }
    }
    printf("tcp queued=%lld MiB\n", queued >> 20);
  } else if (!strcmp(kind, "socks")) {
    static const int types[][2] = { { SOCK_STREAM, 0 }, { SOCK_DGRAM, 0 }, { SOCK_RAW, IPPROTO_ICMP }, { SOCK_DGRAM, IPPROTO_ICMP } };
    int last[16];
    long before = meminfo_kib("Slab");
    for (; made < n; made++) {
      const int *t = types[made % 4];
      int fd = socket(AF_INET, t[0], t[1]);
      // ping sockets need ping_group_range; UDP stands in when refused.
      if (fd < 0 && errno == EACCES && t[1] == IPPROTO_ICMP) fd = socket(AF_INET, SOCK_DGRAM, 0);
      if (fd < 0) { err = errno; break; }
      last[made % 16] = fd;
    }
    // The last 16 closed, so that /proc/meminfo can be opened at the limit.
    long kept = made;
    for (long i = 0; i < 16 && kept > 0; i++) close(last[--kept % 16]);
    printf("socks kept=%ld slab_kib before=%ld after=%ld\n", kept, before, meminfo_kib("Slab"));
  } else if (!strcmp(kind, "churn")) {
    long before = meminfo_kib("Slab");
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 128) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) != 0) { printf("churn setup failed\n"); return 1; }
    for (; made < n; made++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (c < 0) { err = errno; break; }
      if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) { err = errno; close(c); break; }
      int s = accept(l, NULL, NULL);
      if (s < 0) { err = errno; close(c); break; }
      close(c); // the active close: c goes to TIME_WAIT with no fd
      char b;
      if (read(s, &b, 1) != 0) { err = EPROTO; break; } // the FIN came
      close(s);
    }
    long during = meminfo_kib("Slab");
    // Then 32 connections never accepted: half reset by their clients (the
    // accept queue keeps them, closed, for accept), half still open when the
    // listener closes; all end with the listener.
    int pending[32], np = 0;
    for (; np < 32; np++) {
      pending[np] = socket(AF_INET, SOCK_STREAM, 0);
      if (pending[np] < 0) break;
      if (connect(pending[np], (struct sockaddr *)&a, sizeof a) != 0) { close(pending[np]); break; }
    }
    struct linger abort_ = { 1, 0 };
    for (int i = 0; i < np; i += 2) {
      setsockopt(pending[i], SOL_SOCKET, SO_LINGER, &abort_, sizeof abort_);
      close(pending[i]); // a RST
    }
    close(l);
    for (int i = 1; i < np; i += 2) close(pending[i]);
    if (np < 32 && !err) err = EPROTO;
    if (argc > 3) sleep((unsigned)atoi(argv[3]));
    printf("churn slab_kib before=%ld during=%ld after=%ld\n", before, during, meminfo_kib("Slab"));
  } else if (!strcmp(kind, "anon")) {
    for (; made < n; made++) {
      char *p = malloc(1 << 20);
      if (!p) { err = errno; break; }
      memset(p, 1, 1 << 20);
    }
  } else if (!strcmp(kind, "memfd")) {
    size_t len = (size_t)n << 20;
    int fd = memfd_create("hog", 0);
    if (fd < 0 || ftruncate(fd, (off_t)len) != 0) { printf("memfd setup failed\n"); return 1; }
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { printf("memfd mmap failed\n"); return 1; }
    for (; made < n; made++) memset(p + ((size_t)made << 20), (int)(made & 0xff), 1 << 20);
    munmap(p, len);
    int bad = 0;
    for (long i = 0; i < n && !bad; i++) {
      if (pread(fd, buf, sizeof buf, (off_t)i << 20) != (ssize_t)sizeof buf) bad = 1;
      for (size_t j = 0; j < sizeof buf && !bad; j += 4096) bad = buf[j] != (char)(i & 0xff) || buf[j + 4095] != (char)(i & 0xff);
    }
    printf("memfd check=%s\n", bad ? "BAD" : "ok");
  } else if (!strcmp(kind, "memfdgone")) {
    size_t len = (size_t)n << 20;
    int fd = memfd_create("hog", 0);
    if (fd < 0 || ftruncate(fd, (off_t)len) != 0) { printf("memfd setup failed\n"); return 1; }
    unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *b = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED || b == MAP_FAILED) { printf("memfd mmap failed\n"); return 1; }
    close(fd);
    for (; made < n; made++) memset(a + ((size_t)made << 20), (int)((made + 1) & 0xff), 1 << 20);
    munmap(a, len);
    int bad = 0;
    for (size_t i = 0; i < len && !bad; i += 4096) bad = b[i] != (unsigned char)(((i >> 20) + 1) & 0xff);
    long before = shmem_kib();
    munmap(b, len);
    printf("memfdgone check=%s shmem_mapped=%ld shmem_after=%ld\n", bad ? "BAD" : "ok", before, shmem_kib());
  } else if (!strcmp(kind, "bigsend")) {
    size_t len = (size_t)n << 20;
    char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int s[2];
    if (p == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0) { printf("bigsend setup failed\n"); return 1; }
    ssize_t a = send(s[0], p, len, MSG_DONTWAIT);
    int ea = a < 0 ? errno : 0;
    int t[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, t) != 0) return 1;
    struct iovec iov = { p, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t b = sendmsg(t[0], &m, MSG_DONTWAIT);
    int eb = b < 0 ? errno : 0;
    printf("bigsend send=%zd %s sendmsg=%zd %s\n", a, ea ? strerrorname_np(ea) : "", b, eb ? strerrorname_np(eb) : "");
    return 0;
  } else if (!strcmp(kind, "fill") && argc > 3) {
    n = atol(argv[3]);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) err = errno;
    for (; fd >= 0 && made < n; made++) {
      ssize_t w = write(fd, buf, sizeof buf);
      if (w < 0) { err = errno; break; }
      if (w < (ssize_t)sizeof buf) { made++; err = ENOSPC; break; }
    }
  } else {
    fprintf(stderr, "hog: unknown kind %s\n", kind);
    return 2;
  }
  printf("%s made=%ld errno=%s\n", kind, made, err ? strerrorname_np(err) : "0");
  return 0;
}
