/*
 * fuzz.h - the deterministic world the syscall fuzzer (fuzz.c) runs each
 * batch in, shared with the C reproductions its driver prints
 * (scripts/fuzz.mjs): a fixed-address arena of biased bytes with a guard page
 * after it, a pool of paths, and a fixed set of open descriptors. The same
 * batch seed gives the same world, so a recorded list of syscalls replays.
 */
#ifndef FUZZ_H
#define FUZZ_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define FZ_ARENA ((char *)0x40000000UL)
#define FZ_ARENA_SIZE (64 * 4096UL)
#define FZ_GUARD (FZ_ARENA + FZ_ARENA_SIZE)  /* one PROT_NONE page */
#define FZ_PATHS FZ_ARENA                    /* the path pool: FZ_NPATHS strings, 256 bytes apart */
#define FZ_NPATHS 16
#define FZ_LOGFD 1000                        /* where the fuzzer writes its record; no argument may name it */
#define FZ_DIR "/tmp/fz"

static uint64_t fz_state;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t fz_rand(void)
{
    uint64_t z = (fz_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t fz_below(uint64_t n) { return n ? fz_rand() % n : 0; }

/* 64-bit values that sit on edges: signs, 2^31/2^32, 2^53 +- 1, 2^63, pages. */
static const uint64_t fz_edges[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 255, 256, 4095, 4096, 4097, 8192, 65536, 0x7fffffff, 0x80000000,
    0xffffffff, 0x100000000ULL, 0x1fffffffffffffULL, 0x20000000000000ULL, 0x20000000000001ULL,
    0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffff000ULL, 0xffffffffffffffffULL,
    0xfffffffffffffffeULL, 0x7ffff000, 0x800000000000ULL, 0x7fffffffffffULL, 0xffffffc000000000ULL,
    1000000000, 999999999, 0x10000000000ULL,
};
#define FZ_NEDGES (sizeof fz_edges / sizeof fz_edges[0])

static const char *const fz_paths[FZ_NPATHS] = {
    FZ_DIR "/f0", FZ_DIR "/f1", FZ_DIR "/d", FZ_DIR "/l", FZ_DIR "/new", "/dev/null", "/proc/self/status",
    "/proc/self/maps", ".", "..", "", "/", "f0", "d/x", "/dev/zero", "/tmp",
};

/* Fills the arena with biased bytes: edge values at random 8-byte slots, then the path pool. */
static void fz_fill_arena(void)
{
    uint64_t *w = (uint64_t *)FZ_ARENA;
    for (size_t i = 0; i < FZ_ARENA_SIZE / 8; i++) {
        uint64_t r = fz_rand();
        switch (r & 7) {
        case 0: case 1: w[i] = fz_edges[(r >> 8) % FZ_NEDGES]; break;
        case 2: w[i] = (uint64_t)(uintptr_t)FZ_ARENA + ((r >> 8) % FZ_ARENA_SIZE); break;
        case 3: w[i] = (r >> 8) & 0xff; break;
        case 4: w[i] = 0; break;
        default: w[i] = r; break;
        }
    }
    for (int i = 0; i < FZ_NPATHS; i++)
        strcpy(FZ_PATHS + 256 * i, fz_paths[i]);
    /* one path longer than PATH_MAX, right after the pool */
    memset(FZ_PATHS + 256 * FZ_NPATHS, 'a', 5000);
    FZ_PATHS[256 * FZ_NPATHS + 5000] = 0;
}

/* Maps the arena and its guard page (once, in the fuzzer's first process). */
static int fz_map(void)
{
    if (mmap(FZ_ARENA, FZ_ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != FZ_ARENA)
        return -1;
    if (mmap(FZ_GUARD, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != FZ_GUARD)
        return -1;
    return 0;
}

/* The descriptors a batch starts with (3 upwards), in a fixed order. */
static int fz_nfds;
static int fz_fds[24];

static void fz_add(int fd) { if (fd >= 0 && fz_nfds < 24) fz_fds[fz_nfds++] = fd; }

/* Sets up a batch's world from its seed: run in the batch's own process. */
static void fz_setup(uint64_t seed)
{
    fz_state = seed;
    fz_fill_arena();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
    mkdir(FZ_DIR, 0777);
    chdir(FZ_DIR);
    mkdir(FZ_DIR "/d", 0777);
    int f = open(FZ_DIR "/f0", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (f >= 0) {
        (void)!write(f, FZ_ARENA + 4096, 8192);
        close(f);
    }
    symlink("f0", FZ_DIR "/l");
    fz_nfds = 0;
    fz_add(open(FZ_DIR "/f0", O_RDWR));
    fz_add(open(FZ_DIR "/f1", O_RDWR | O_CREAT | O_TRUNC, 0600));
    fz_add(open(FZ_DIR "/d", O_RDONLY | O_DIRECTORY));
    int p[2];
    if (pipe2(p, O_NONBLOCK) == 0) { fz_add(p[0]); fz_add(p[1]); }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) { fz_add(sv[0]); fz_add(sv[1]); }
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0) { fz_add(sv[0]); fz_add(sv[1]); }
    fz_add(eventfd(1, EFD_NONBLOCK));
    fz_add(epoll_create1(0));
    fz_add(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
    fz_add(open("/dev/zero", O_RDONLY));
    fz_add(open("/proc/self/status", O_RDONLY));
    fz_add(memfd_create("fz", MFD_ALLOW_SEALING));
    fz_add(open("/", O_PATH));
    fz_add(open("/dev/tty", O_RDWR | O_NONBLOCK));
}

/* No-op: its only job is to interrupt a blocking syscall (installed without SA_RESTART). */
static void fz_tick(int sig) { (void)sig; }

/* A periodic SIGALRM every 10 ms: a syscall that would sleep ends with EINTR instead. */
static void fz_arm_tick(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fz_tick;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

/* A line of the fuzzer's record, to FZ_LOGFD (one write: lines never interleave). */
static __attribute__((unused)) void fz_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fz_log(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)!write(FZ_LOGFD, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

#endif
