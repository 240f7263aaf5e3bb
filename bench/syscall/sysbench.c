// Kernel-path micro-benchmarks (issue 9): what a syscall, a read/write of a
// pipe or a tmpfs file, and fork+execve+wait cost. Each case times itself
// with CLOCK_MONOTONIC and prints one line: "NAME VALUE UNIT".
//
//   sysbench [CASE...]   cases: getppid piperr pipe64k tmpfs64k futexcs forkexec
//                        (all by default)
//   sysbench -exit       the tiny program forkexec runs: exits at once
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char buf[1 << 16];
static const char *self;

static void getppid_loop(void) {
  const long n = 200000;
  // An untimed warm-up of as many calls first (as lmbench's timing loops
  // warm up): the steady state is measured, not the first calls' cache misses
  // (and, under Ghost, not V8 still compiling the kernel's syscall path).
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  double t = now();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  printf("getppid %.0f ns\n", (now() - t) / (double)n * 1e9);
}

// One byte from parent to child and back through two pipes: a round trip
// is two writes, two reads and two wake-ups of the other process.
static void piperr(void) {
  int ab[2], ba[2];
  if (pipe(ab) != 0 || pipe(ba) != 0) { perror("pipe"); exit(1); }
  const long n = 20000;
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); exit(1); }
  char c = 0;
  if (pid == 0) {
    for (long i = 0; i < n; i++) {
      if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  double t = now();
  for (long i = 0; i < n; i++) {
    if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) { perror("piperr"); exit(1); }
  }
  double dt = now() - t;
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "piperr child failed\n"); exit(1); }
  printf("piperr %.0f ns\n", dt / (double)n * 1e9);
  close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
}

// Two threads take turns through one futex word: each hand-over is a
// FUTEX_WAKE by one thread and the other's return from FUTEX_WAIT, that is
// one switch from thread to thread. Reported per switch.
static _Atomic int turn;
static const long futex_n = 20000;

static void futex_wait(int val) {
  syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void futex_wake(void) {
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_peer(void *arg) {
  (void)arg;
  for (long i = 0; i < futex_n; i++) {
    while (atomic_load(&turn) != 1) futex_wait(0);
    atomic_store(&turn, 0);
    futex_wake();
  }
  return NULL;
}

static void futexcs(void) {
  pthread_t th;
  atomic_store(&turn, 0);
  if (pthread_create(&th, NULL, futex_peer, NULL) != 0) { fprintf(stderr, "pthread_create failed\n"); exit(1); }
  double t = now();
  for (long i = 0; i < futex_n; i++) {
    atomic_store(&turn, 1);
    futex_wake();
    while (atomic_load(&turn) != 0) futex_wait(1);
  }
  double dt = now() - t;
  pthread_join(th, NULL);
  printf("futexcs %.0f ns\n", dt / (double)(2 * futex_n) * 1e9);
}

// 64 KiB written then read back through one pipe, in one process.
static void pipe64k(void) {
  int p[2];
  if (pipe(p) != 0) { perror("pipe"); exit(1); }
  const long n = 2000;
  double t = now();
  for (long i = 0; i < n; i++) {
    if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); exit(1); }
    for (size_t got = 0; got < sizeof buf;) {
      ssize_t r = read(p[0], buf, sizeof buf - got);
      if (r <= 0) { perror("read"); exit(1); }
      got += (size_t)r;
    }
  }
  printf("pipe64k %.0f MB/s\n", (double)n * sizeof buf / (now() - t) / 1e6);
  close(p[0]);
  close(p[1]);
}

// A 16 MiB file on /tmp written in 64 KiB writes, then read back (as cat).
static void tmpfs64k(void) {
  const char *path = "/tmp/sysbench.dat";
  const long n = 256;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { perror("open"); exit(1); }
  double t = now();
  for (int rep = 0; rep < 4; rep++) {
    lseek(fd, 0, SEEK_SET);
    for (long i = 0; i < n; i++) if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); exit(1); }
    lseek(fd, 0, SEEK_SET);
    for (long i = 0; i < n; i++) if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("read"); exit(1); }
  }
  printf("tmpfs64k %.0f MB/s\n", 8.0 * n * sizeof buf / (now() - t) / 1e6);
  close(fd);
  unlink(path);
}

static void forkexec(void) {
  const long n = 100;
  double t = now();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
      execl(self, self, "-exit", (char *)NULL);
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "child failed\n"); exit(1); }
  }
  printf("forkexec %.0f us\n", (now() - t) / (double)n * 1e6);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "-exit")) return 0;
  self = argv[0];
  memset(buf, 'x', sizeof buf);
  setvbuf(stdout, NULL, _IOLBF, 0);
  int all = argc < 2;
  for (int i = 1; i < argc || all; i++) {
    const char *c = all ? NULL : argv[i];
    if (all || !strcmp(c, "getppid")) getppid_loop();
    if (all || !strcmp(c, "piperr")) piperr();
    if (all || !strcmp(c, "pipe64k")) pipe64k();
    if (all || !strcmp(c, "tmpfs64k")) tmpfs64k();
    if (all || !strcmp(c, "futexcs")) futexcs();
    if (all || !strcmp(c, "forkexec")) forkexec();
    if (all) break;
  }
  return 0;
}
