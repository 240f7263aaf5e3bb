// Kernel-path micro-benchmarks (issue 9): what a syscall, a read/write of a
// pipe or a tmpfs file, and fork+execve+wait cost. Each case times itself
// with CLOCK_MONOTONIC and prints one line: "NAME VALUE UNIT".
//
//   sysbench [CASE...]   cases: getppid pipe64k tmpfs64k forkexec (all by default)
//   sysbench -exit       the tiny program forkexec runs: exits at once
#define _GNU_SOURCE
#include <fcntl.h>
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
  double t = now();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  printf("getppid %.0f ns\n", (now() - t) / (double)n * 1e9);
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
    if (all || !strcmp(c, "pipe64k")) pipe64k();
    if (all || !strcmp(c, "tmpfs64k")) tmpfs64k();
    if (all || !strcmp(c, "forkexec")) forkexec();
    if (all) break;
  }
  return 0;
}
