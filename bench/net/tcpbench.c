// Loopback TCP benchmark: two processes over 127.0.0.1.
//   tcpbench stream MB [WRITE_SIZE]
//                        the child sends MB megabytes in writes of WRITE_SIZE
//                        (a divisor of 64 KiB, 64 KiB by default), the
//                        parent reads them all and checks the count and sum
//   tcpbench rr N        N request/response round trips of 64 bytes each way
//   tcpbench conn N      N connections opened, one byte sent and answered, closed
//   tcpbench sink FILE   (on the host) listens on 127.0.0.1, writes its port to
//                        FILE, serves one `host` client and exits
//   tcpbench host ADDR PORT up|down MB
//                        MB megabytes to (up) or from (down) the sink at
//                        ADDR:PORT — guest to host through Ghost's NAT when
//                        ADDR is the gateway 10.0.2.2
// Prints the checked result on stdout ("stream ok" / "rr ok") and the figure
// (MB/s or microseconds per round trip) on stderr, so that runners compare
// stdout and read the figure from stderr.
#include <arpa/inet.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int listener(struct sockaddr_in *sa) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) die("socket");
  socklen_t len = sizeof *sa;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr *)sa, sizeof *sa) < 0) die("bind");
  if (listen(l, 128) < 0) die("listen");
  if (getsockname(l, (struct sockaddr *)sa, &len) < 0) die("getsockname");
  return l;
}

static int dial(const struct sockaddr_in *sa) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) die("socket");
  if (connect(s, (const struct sockaddr *)sa, sizeof *sa) < 0) die("connect");
  return s;
}

static int full(int fd, char *buf, size_t n, int writing) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = writing ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

static int stream(long mb, size_t wsize) {
  struct sockaddr_in sa;
  int l = listener(&sa);
  static char buf[65536];
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int s = dial(&sa);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + 1);
    for (long i = 0; i < mb * 16; i++)
      for (size_t off = 0; off < sizeof buf; off += wsize)
        if (full(s, buf + off, wsize, 1) < 0) die("write");
    close(s);
    _exit(0);
  }
  int c = accept(l, NULL, NULL);
  if (c < 0) die("accept");
  double t0 = now();
  unsigned long long total = 0, bad = 0;
  for (;;) {
    ssize_t r = read(c, buf, sizeof buf);
    if (r < 0) die("read");
    if (r == 0) break;
    // One byte in 61 is checked (the pattern repeats every 64 KiB), so the
    // reader's own work stays small beside the stack's.
    for (ssize_t i = (ssize_t)((61 - total % 61) % 61); i < r; i += 61)
      if (buf[i] != (char)(((total + i) & 0xffff) * 7 + 1)) bad++;
    total += (unsigned long long)r;
  }
  double t = now() - t0;
  int st;
  waitpid(pid, &st, 0);
  if (total != (unsigned long long)mb << 20 || bad || !WIFEXITED(st) || WEXITSTATUS(st)) {
    printf("stream FAILED: %llu bytes\n", total);
    return 1;
  }
  printf("stream ok: %ld MB\n", mb);
  fprintf(stderr, "rate %.1f MB/s\n", mb / t);
  return 0;
}

static int rr(long n) {
  struct sockaddr_in sa;
  int l = listener(&sa);
  char buf[64];
  int one = 1;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int s = dial(&sa);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (full(s, buf, sizeof buf, 0) == 0) {
      buf[0]++;
      if (full(s, buf, sizeof buf, 1) < 0) die("write");
    }
    _exit(0);
  }
  int c = accept(l, NULL, NULL);
  if (c < 0) die("accept");
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  memset(buf, 0, sizeof buf);
  double t0 = now();
  for (long i = 0; i < n; i++) {
    if (full(c, buf, sizeof buf, 1) < 0) die("write");
    if (full(c, buf, sizeof buf, 0) < 0) die("read");
  }
  double t = now() - t0;
  close(c);
  int st;
  waitpid(pid, &st, 0);
  if (buf[0] != (char)n) {
    printf("rr FAILED\n");
    return 1;
  }
  printf("rr ok: %ld round trips\n", n);
  fprintf(stderr, "rate %.1f us/round trip\n", t * 1e6 / n);
  return 0;
}

static int conn(long n) {
  struct sockaddr_in sa;
  int l = listener(&sa);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    for (long i = 0; i < n; i++) {
      int s = dial(&sa);
      char c = (char)i;
      if (write(s, &c, 1) != 1) die("write");
      // The reply before the next connection: the accept queue never
      // overflows (a dropped SYN would measure the 1 s SYN timeout).
      if (read(s, &c, 1) != 1) die("read");
      close(s);
    }
    _exit(0);
  }
  double t0 = now();
  long got = 0;
  for (long i = 0; i < n; i++) {
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    char b[2];
    if (read(c, b, sizeof b) == 1 && b[0] == (char)i && write(c, b, 1) == 1 && read(c, b, sizeof b) == 0) got++;
    close(c);
  }
  double t = now() - t0;
  int st;
  waitpid(pid, &st, 0);
  if (got != n || !WIFEXITED(st) || WEXITSTATUS(st)) {
    printf("conn FAILED: %ld of %ld\n", got, n);
    return 1;
  }
  printf("conn ok: %ld connections\n", n);
  fprintf(stderr, "rate %.1f connections/s\n", n / t);
  return 0;
}

// The pattern of the stream workloads: byte i of every 64 KiB block.
static void pattern(char *buf, size_t n) {
  for (size_t i = 0; i < n; i++) buf[i] = (char)(i * 7 + 1);
}

// Bytes of the pattern not where they belong, checking one byte in 61.
static unsigned long long checked(const char *buf, ssize_t r, unsigned long long total) {
  unsigned long long bad = 0;
  for (ssize_t i = (ssize_t)((61 - total % 61) % 61); i < r; i += 61)
    if (buf[i] != (char)(((total + i) & 0xffff) * 7 + 1)) bad++;
  return bad;
}

// A 16-byte request names the direction and size; up: read to EOF and answer
// the byte count and the bad bytes; down: send the megabytes and close.
static int sink(const char *file) {
  struct sockaddr_in sa;
  int l = listener(&sa);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "w");
  if (!f) die("fopen");
  fprintf(f, "%d\n", ntohs(sa.sin_port));
  fclose(f);
  if (rename(tmp, file) < 0) die("rename");
  int c = accept(l, NULL, NULL);
  if (c < 0) die("accept");
  static char buf[65536];
  char req[16];
  if (full(c, req, sizeof req, 0) < 0) die("request");
  req[15] = 0;
  long mb = atol(req + 5);
  if (!strncmp(req, "up", 2)) {
    unsigned long long total = 0, bad = 0;
    for (;;) {
      ssize_t r = read(c, buf, sizeof buf);
      if (r < 0) die("read");
      if (r == 0) break;
      bad += checked(buf, r, total);
      total += (unsigned long long)r;
    }
    uint64_t answer[2] = {total, bad};
    if (full(c, (char *)answer, sizeof answer, 1) < 0) die("answer");
  } else {
    pattern(buf, sizeof buf);
    for (long i = 0; i < mb * 16; i++)
      if (full(c, buf, sizeof buf, 1) < 0) die("write");
  }
  close(c);
  return 0;
}

static int host(const char *addr, int port, const char *dir, long mb) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) die("address");
  int s = dial(&sa);
  char req[16] = {0};
  snprintf(req, sizeof req, "%-4s %ld", dir, mb);
  if (full(s, req, sizeof req, 1) < 0) die("request");
  static char buf[65536];
  unsigned long long total = 0, bad = 0;
  double t0 = now();
  if (!strcmp(dir, "up")) {
    pattern(buf, sizeof buf);
    for (long i = 0; i < mb * 16; i++)
      if (full(s, buf, sizeof buf, 1) < 0) die("write");
    shutdown(s, SHUT_WR);
    uint64_t answer[2];
    if (full(s, (char *)answer, sizeof answer, 0) < 0) die("answer");
    total = answer[0];
    bad = answer[1];
  } else {
    for (;;) {
      ssize_t r = read(s, buf, sizeof buf);
      if (r < 0) die("read");
      if (r == 0) break;
      bad += checked(buf, r, total);
      total += (unsigned long long)r;
    }
  }
  double t = now() - t0;
  close(s);
  if (total != (unsigned long long)mb << 20 || bad) {
    printf("host-%s FAILED: %llu bytes, %llu bad\n", dir, total, bad);
    return 1;
  }
  printf("host-%s ok: %ld MB\n", dir, mb);
  fprintf(stderr, "rate %.1f MB/s\n", mb / t);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "sink")) return sink(argv[2]);
  if (argc == 6 && !strcmp(argv[1], "host")) return host(argv[2], atoi(argv[3]), argv[4], atol(argv[5]));
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: tcpbench stream MB [WRITE_SIZE] | rr N | conn N | sink FILE | host ADDR PORT up|down MB\n");
    return 2;
  }
  long n = atol(argv[2]);
  size_t wsize = argc == 4 ? (size_t)atol(argv[3]) : 65536;
  if (wsize == 0 || 65536 % wsize) wsize = 65536;
  if (!strcmp(argv[1], "stream")) return stream(n, wsize);
  if (!strcmp(argv[1], "rr")) return rr(n);
  if (!strcmp(argv[1], "conn")) return conn(n);
  return 2;
}
