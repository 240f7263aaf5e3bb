/*
 * sfuzz.h - the structured modes of the syscall fuzzer (fuzz.c's `struct`
 * mode): each op builds one structured input in the arena from its own seed
 * and issues the few syscalls that take it, so the kernel's parsers see
 * well-formed headers with one field wrong rather than flat random words:
 *
 *   nl      NETLINK_ROUTE messages: nlmsghdr chains, family headers,
 *           rtattr trees nested and truncated, RTM_NEW / DEL / GET (root)
 *   sock    setsockopt / getsockopt on every socket kind, every level Ghost
 *           knows, optnames 0-99, edge lengths, structured values
 *   cmsg    sendmsg with cmsg chains (SCM_RIGHTS counts, SCM_CREDENTIALS,
 *           IP_PKTINFO, truncated headers) and recvmsg with small buffers
 *   ioctl   tty / pty / block / socket / eventfd / timerfd / signalfd /
 *           epoll / inotify descriptors with the requests Linux defines
 *   sig     a SIGUSR1 handler that corrupts its own signal frame before
 *           returning through rt_sigreturn
 *   ptrace  requests, regsets and addresses on an attached child
 *   prctl   prctl options and arguments, riscv_flush_icache, riscv_hwprobe
 *   raw     IPv4 packets written whole (IP_HDRINCL) to the loopback: options,
 *           fragments, lengths, TCP/UDP/ICMP inside with valid checksums; and
 *           ICMPv6 errors and neighbour discovery through a raw ICMPv6 socket
 *
 * (nl and raw live in sfuzz_net.h.)
 *
 * An op is named by (kind, seed): `fz_op(kind, seed)` redoes it exactly, so
 * a recorded batch replays, and the driver's C reproduction is a list of
 * fz_op calls after fz_setup and sfz_setup (see scripts/fuzz.mjs).
 */
#ifndef SFUZZ_H
#define SFUZZ_H

#include "fuzz.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pty.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>

/* Each structured syscall is logged as "C nr a0..a5" before it is issued
 * (the driver shows the last one for a hang); the op itself as "S o KIND SEED". */

static long sfz_call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    fz_log("C %lx %lx %lx %lx %lx %lx %lx\n", (unsigned long)nr, (unsigned long)a0, (unsigned long)a1,
            (unsigned long)a2, (unsigned long)a3, (unsigned long)a4, (unsigned long)a5);
    return syscall(nr, a0, a1, a2, a3, a4, a5);
}
#define SC(nr, a, b, c, d, e, f) sfz_call(nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e), (uint64_t)(f))

/* ---- the structured world: more descriptors of every kind ---- */

enum { S_NL, S_TCP4, S_TCPL, S_TCPC, S_TCPA, S_TCP6, S_UDP4, S_UDP6, S_RAW4, S_RAW6, S_USTREAM0, S_USTREAM1,
       S_UDGRAM0, S_UDGRAM1, S_PTM, S_PTS, S_TTY, S_VDA, S_SIGFD, S_INOTIFY, S_EVENTFD, S_TIMERFD, S_EPOLL, S_FILE,
       S_PIPE, S_NFDS };
static int sfz_fds[S_NFDS];

static void sfz_setup(void)
{
    for (int i = 0; i < S_NFDS; i++)
        sfz_fds[i] = -1;
    signal(SIGPIPE, SIG_IGN); /* a write to a reset TCP socket is EPIPE, not the batch's end */
    sfz_fds[S_NL] = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
    sfz_fds[S_TCP4] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sfz_fds[S_TCPL] = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (bind(sfz_fds[S_TCPL], (struct sockaddr *)&a, sizeof a) == 0 && listen(sfz_fds[S_TCPL], 8) == 0 &&
        getsockname(sfz_fds[S_TCPL], (struct sockaddr *)&a, &al) == 0) {
        sfz_fds[S_TCPC] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(sfz_fds[S_TCPC], (struct sockaddr *)&a, sizeof a) == 0)
            sfz_fds[S_TCPA] = accept4(sfz_fds[S_TCPL], NULL, NULL, SOCK_NONBLOCK);
        fcntl(sfz_fds[S_TCPC], F_SETFL, O_NONBLOCK);
        fcntl(sfz_fds[S_TCPL], F_SETFL, O_NONBLOCK);
    }
    sfz_fds[S_TCP6] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sfz_fds[S_UDP4] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in u = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bind(sfz_fds[S_UDP4], (struct sockaddr *)&u, sizeof u);
    sfz_fds[S_UDP6] = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sfz_fds[S_RAW4] = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
    int one = 1;
    setsockopt(sfz_fds[S_RAW4], IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
    sfz_fds[S_RAW6] = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMPV6);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) { sfz_fds[S_USTREAM0] = sv[0]; sfz_fds[S_USTREAM1] = sv[1]; }
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0) { sfz_fds[S_UDGRAM0] = sv[0]; sfz_fds[S_UDGRAM1] = sv[1]; }
    sfz_fds[S_PTM] = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (sfz_fds[S_PTM] >= 0 && grantpt(sfz_fds[S_PTM]) == 0 && unlockpt(sfz_fds[S_PTM]) == 0) {
        char *n = ptsname(sfz_fds[S_PTM]);
        if (n)
            sfz_fds[S_PTS] = open(n, O_RDWR | O_NOCTTY | O_NONBLOCK);
    }
    sfz_fds[S_TTY] = open("/dev/tty", O_RDWR | O_NONBLOCK);
    sfz_fds[S_VDA] = open("/dev/vda", O_RDWR);
    if (sfz_fds[S_VDA] < 0)
        sfz_fds[S_VDA] = open("/dev/vda", O_RDONLY);
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGUSR2);
    sfz_fds[S_SIGFD] = signalfd(-1, &ss, SFD_NONBLOCK);
    sfz_fds[S_INOTIFY] = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(sfz_fds[S_INOTIFY], FZ_DIR, IN_ALL_EVENTS);
    sfz_fds[S_EVENTFD] = eventfd(3, EFD_NONBLOCK);
    sfz_fds[S_TIMERFD] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    sfz_fds[S_EPOLL] = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    epoll_ctl(sfz_fds[S_EPOLL], EPOLL_CTL_ADD, sfz_fds[S_EVENTFD], &ev);
    sfz_fds[S_FILE] = open(FZ_DIR "/f0", O_RDWR);
    int p[2];
    if (pipe2(p, O_NONBLOCK) == 0) { sfz_fds[S_PIPE] = p[0]; close(p[1]); }
}

static int sfz_fd(void) { return sfz_fds[fz_below(S_NFDS)]; }

/* A socket descriptor, most of the time. */
static int sfz_sock(void)
{
    static const int socks[] = { S_NL, S_TCP4, S_TCPL, S_TCPC, S_TCPA, S_TCP6, S_UDP4, S_UDP6, S_RAW4, S_RAW6,
                                 S_USTREAM0, S_USTREAM1, S_UDGRAM0, S_UDGRAM1 };
    if (fz_below(32) == 0)
        return sfz_fd();
    return sfz_fds[socks[fz_below(sizeof socks / sizeof socks[0])]];
}

/* Lengths on the edges of structures. */
static uint64_t sfz_len(void)
{
    static const uint64_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 24, 28, 32, 40, 48, 64, 100, 128,
                                     255, 256, 1024, 4096, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffffffffff0ULL };
    return fz_below(8) ? lens[fz_below(sizeof lens / sizeof lens[0])] : fz_below(600);
}

/* A 32-bit value of the kind options take. */
static uint32_t sfz_val32(void)
{
    static const uint32_t vals[] = { 0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 1500, 4096, 65535, 65536, 0x7fffffff,
                                     0x80000000, 0xffffffff, 0xfffffffe, 0x7f000001, 0x0100007f, 0xe0000001, 0x010000e0 };
    return fz_below(4) ? vals[fz_below(sizeof vals / sizeof vals[0])] : (uint32_t)fz_rand();
}

/* Fills n bytes at p with option-like values: small ints, addresses, garbage. */
static void sfz_fill(char *p, size_t n)
{
    size_t i = 0;
    while (i + 4 <= n) {
        uint32_t v = sfz_val32();
        memcpy(p + i, &v, 4);
        i += 4;
    }
    for (; i < n; i++)
        p[i] = (char)fz_rand();
    if (n >= 16 && fz_below(4) == 0) {
        /* an in6_addr: ::1, ff02::1 or a v4-mapped loopback */
        static const unsigned char a6[3][16] = { { [15] = 1 }, { 0xff, 2, [15] = 1 }, { [10] = 0xff, 0xff, 127, 0, 0, 1 } };
        memcpy(p + fz_below(n - 15), a6[fz_below(3)], 16);
    }
}

/* A buffer near the arena's end for an op's input: its last byte may touch the guard page. */
static char *sfz_buf(size_t n)
{
    if (n > 8192)
        n = 8192;
    if (fz_below(8) == 0)
        return FZ_GUARD - n;
    return FZ_ARENA + 32 * 4096 + fz_below(16) * 64;
}

/* ---- sock: socket options ---- */

static int sfz_level(void)
{
    static const int levels[] = { SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
                                  IPPROTO_ICMPV6, 255 /* SOL_RAW */, 270 /* SOL_NETLINK */, IPPROTO_RAW };
    return fz_below(16) ? levels[fz_below(sizeof levels / sizeof levels[0])] : (int)fz_rand();
}

static void op_sock(void)
{
    int fd = sfz_sock(), level = sfz_level();
    int name = fz_below(16) ? (int)fz_below(100) : (int)fz_rand();
    uint64_t len = sfz_len();
    char *val = sfz_buf(len < 4096 ? len : 4096);
    sfz_fill(val, len < 4096 ? len : 4096);
    if (fz_below(3)) {
        SC(SYS_setsockopt, fd, level, name, fz_below(32) ? (uint64_t)(uintptr_t)val : fz_edges[fz_below(FZ_NEDGES)], len, 0);
    }
    socklen_t *lp = (socklen_t *)(FZ_ARENA + 39 * 4096 + 512);
    *lp = (socklen_t)sfz_len();
    SC(SYS_getsockopt, fd, level, name, fz_below(32) ? (uint64_t)(uintptr_t)(FZ_ARENA + 44 * 4096) : 0,
       fz_below(32) ? (uint64_t)(uintptr_t)lp : (uint64_t)(uintptr_t)(FZ_GUARD - 2), 0);
}

/* ---- cmsg: control messages ---- */

static size_t sfz_cmsgs(char *p, size_t room)
{
    size_t at = 0;
    int n = 1 + (int)fz_below(4);
    for (int i = 0; i < n && at + sizeof(struct cmsghdr) <= room; i++) {
        struct cmsghdr *c = (struct cmsghdr *)(p + at);
        size_t dl;
        switch (fz_below(8)) {
        case 0: case 1: { /* SCM_RIGHTS: counts from none to past SCM_MAX_FD */
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            static const unsigned counts[] = { 0, 1, 2, 3, 253, 254, 255, 300 };
            unsigned k = fz_below(4) ? (unsigned)fz_below(4) : counts[fz_below(8)];
            dl = 4 * k;
            if (sizeof *c + dl > room - at)
                dl = (room - at - sizeof *c) & ~3UL;
            for (size_t j = 0; j < dl / 4; j++) {
                int fd = fz_below(8) ? sfz_fd() : (int)sfz_val32();
                memcpy(CMSG_DATA(c) + 4 * j, &fd, 4);
            }
            break;
        }
        case 2: { /* SCM_CREDENTIALS: our own, someone else's, garbage */
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_CREDENTIALS;
            struct ucred u = { getpid(), getuid(), getgid() };
            if (fz_below(2)) u.pid = (pid_t)sfz_val32();
            if (fz_below(3) == 0) u.uid = sfz_val32();
            if (fz_below(3) == 0) u.gid = sfz_val32();
            dl = fz_below(4) ? sizeof u : fz_below(16);
            if (sizeof *c + dl > room - at)
                dl = room - at - sizeof *c;
            memcpy(CMSG_DATA(c), &u, dl < sizeof u ? dl : sizeof u);
            break;
        }
        default: { /* IP_PKTINFO, IP_TTL, IPV6_PKTINFO, IPV6_HOPLIMIT... or any */
            static const int lv[][2] = { { IPPROTO_IP, IP_PKTINFO }, { IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_TOS },
                                         { IPPROTO_IP, IP_RETOPTS }, { IPPROTO_IPV6, 50 /* IPV6_PKTINFO */ },
                                         { IPPROTO_IPV6, 52 /* IPV6_HOPLIMIT */ }, { IPPROTO_IPV6, 67 /* IPV6_TCLASS */ },
                                         { IPPROTO_IPV6, 54 /* IPV6_RTHDR */ }, { IPPROTO_IPV6, 55 /* IPV6_DSTOPTS */ },
                                         { SOL_SOCKET, SO_TIMESTAMP }, { SOL_SOCKET, 29 /* SCM_TIMESTAMPING */ },
                                         { IPPROTO_UDP, 103 /* UDP_SEGMENT */ } };
            int w = (int)fz_below(sizeof lv / sizeof lv[0]);
            c->cmsg_level = fz_below(16) ? lv[w][0] : (int)sfz_val32();
            c->cmsg_type = fz_below(16) ? lv[w][1] : (int)fz_below(100);
            dl = fz_below(2) ? 4 * fz_below(6) : fz_below(40);
            if (sizeof *c + dl > room - at)
                dl = room - at - sizeof *c;
            sfz_fill((char *)CMSG_DATA(c), dl);
        }
        }
        size_t len = sizeof *c + dl;
        switch (fz_below(12)) {
        case 0: c->cmsg_len = fz_below(sizeof *c); break;          /* shorter than its header */
        case 1: c->cmsg_len = len + 1 + fz_below(64); break;        /* past the buffer */
        case 2: c->cmsg_len = fz_edges[fz_below(FZ_NEDGES)]; break;
        default: c->cmsg_len = len; break;
        }
        at += CMSG_ALIGN(len);
    }
    return at < room ? at : room;
}

static void op_cmsg(void)
{
    static const int pairs[][2] = { { S_USTREAM0, S_USTREAM1 }, { S_UDGRAM0, S_UDGRAM1 }, { S_UDP4, S_UDP4 },
                                    { S_UDP6, S_UDP6 }, { S_TCPC, S_TCPA }, { S_RAW4, S_RAW4 }, { S_RAW6, S_RAW6 },
                                    { S_NL, S_NL } };
    int w = (int)fz_below(sizeof pairs / sizeof pairs[0]);
    int sfd = sfz_fds[pairs[w][0]], rfd = sfz_fds[pairs[w][1]];
    char *ctl = FZ_ARENA + 36 * 4096;
    size_t room = 16 + fz_below(fz_below(4) ? 256 : 2048);
    size_t cl = sfz_cmsgs(ctl, room);
    struct msghdr *mh = (struct msghdr *)(FZ_ARENA + 39 * 4096 + 64);
    memset(mh, 0, sizeof *mh);
    struct iovec *iov = (struct iovec *)(FZ_ARENA + 39 * 4096);
    iov[0].iov_base = FZ_ARENA + 4096;
    iov[0].iov_len = fz_below(4) ? fz_below(64) : sfz_len() % 70000;
    iov[1].iov_base = FZ_ARENA + 8192;
    iov[1].iov_len = fz_below(32);
    mh->msg_iov = iov;
    mh->msg_iovlen = fz_below(3);
    mh->msg_control = fz_below(16) ? ctl : FZ_GUARD - 8;
    mh->msg_controllen = fz_below(8) ? cl : sfz_len();
    /* A destination: this socket's own address most of the time, so the datagram comes back. */
    struct sockaddr_storage *to = (struct sockaddr_storage *)(FZ_ARENA + 39 * 4096 + 256);
    socklen_t tl = sizeof *to;
    if (fz_below(2) && getsockname(rfd, (struct sockaddr *)to, &tl) == 0) {
        mh->msg_name = to;
        mh->msg_namelen = fz_below(8) ? tl : (socklen_t)sfz_len();
    }
    static const int sflags[] = { MSG_DONTWAIT, MSG_DONTWAIT | MSG_NOSIGNAL, MSG_DONTWAIT | MSG_MORE,
                                  MSG_DONTWAIT | MSG_OOB, MSG_DONTWAIT | MSG_EOR, MSG_DONTWAIT | MSG_CONFIRM };
    SC(SYS_sendmsg, sfd, mh, sflags[fz_below(sizeof sflags / sizeof sflags[0])] | MSG_NOSIGNAL, 0, 0, 0);
    /* Receive with a control buffer of any size, cmsgs cut where it ends. */
    struct msghdr *rh = (struct msghdr *)(FZ_ARENA + 39 * 4096 + 512);
    memset(rh, 0, sizeof *rh);
    struct iovec *riov = (struct iovec *)(FZ_ARENA + 39 * 4096 + 640);
    riov[0].iov_base = FZ_ARENA + 12 * 4096;
    riov[0].iov_len = fz_below(4) ? fz_below(16) : 8192;
    rh->msg_iov = riov;
    rh->msg_iovlen = 1;
    rh->msg_control = FZ_ARENA + 16 * 4096;
    static const size_t rcl[] = { 0, 1, 15, 16, 17, 20, 24, 28, 32, 64, 4096 };
    rh->msg_controllen = rcl[fz_below(sizeof rcl / sizeof rcl[0])];
    if (fz_below(2)) {
        rh->msg_name = FZ_ARENA + 17 * 4096;
        rh->msg_namelen = (socklen_t)sfz_len();
    }
    static const int rflags[] = { MSG_DONTWAIT, MSG_DONTWAIT | MSG_PEEK, MSG_DONTWAIT | MSG_CMSG_CLOEXEC,
                                  MSG_DONTWAIT | MSG_TRUNC, MSG_DONTWAIT | MSG_ERRQUEUE, MSG_DONTWAIT | MSG_OOB };
    /* Ask for the ancillary data the receiver can give. */
    if (fz_below(2)) {
        int one = 1;
        setsockopt(rfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
        setsockopt(rfd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        setsockopt(rfd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
        setsockopt(rfd, IPPROTO_IPV6, 49 /* IPV6_RECVPKTINFO */, &one, sizeof one);
        setsockopt(rfd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof one);
    }
    for (int r = 1 + (int)fz_below(2); r > 0; r--)
        SC(SYS_recvmsg, rfd, rh, rflags[fz_below(sizeof rflags / sizeof rflags[0])], 0, 0, 0);
    /* Descriptors received close again, so the table does not fill up. */
    if (fz_below(2))
        SC(SYS_close_range, 3 + S_NFDS + 32, FZ_LOGFD - 1, 0, 0, 0, 0);
}

/* ---- ioctl ---- */

static void op_ioctl(void)
{
    static const uint32_t reqs[] = {
        0x5401, 0x5402, 0x5403, 0x5404, 0x5405, 0x5406, 0x5407, 0x5408, 0x5409, 0x540a, 0x540b, 0x540c, 0x540d,
        0x540e, 0x540f, 0x5410, 0x5411, 0x5412, 0x5413, 0x5414, 0x5415, 0x5416, 0x5417, 0x5418, 0x5419, 0x541a,
        0x541b, 0x541c, 0x541d, 0x541e, 0x5420, 0x5421, 0x5422, 0x5423, 0x5424, 0x5425, 0x5426, 0x5427, 0x5428,
        0x5429, 0x802c542a, 0x402c542b, 0x402c542c, 0x80045430, 0x40045431, 0x40045432, 0x40045436, 0x5437,
        0x80045438, 0x80045439, 0x80045440, 0x5441, 0x5450, 0x5451, 0x5452, 0x5453, 0x5454, 0x5455, 0x5456,
        0x5457, 0x5458, 0x5459, 0x545a, 0x545b, 0x545c, 0x545d, 0x545e, 0x545f,
        /* sockets */
        0x8910, 0x8912, 0x8913, 0x8914, 0x8915, 0x8916, 0x8917, 0x8918, 0x8919, 0x891a, 0x891b, 0x891c, 0x891d,
        0x891e, 0x891f, 0x8921, 0x8922, 0x8923, 0x8924, 0x8927, 0x8933, 0x8938, 0x8942, 0x8943, 0x8946, 0x8947,
        0x8948, 0x894a, 0x8953, 0x8954, 0x8955, 0x8970, 0x8971, 0x8905, 0x8906, 0x890b, 0x890c,
        /* blocks and files */
        0x125d, 0x125e, 0x1260, 0x1261, 0x1268, 0x127b, 0x80081272, 0x80081270, 0x1262, 0x1263, 0x1264, 0x1265,
        0x40081271, 0x1, 0x2, 0x80086601, 0x40086602, 0xc020660b, 0x40049409, 0x8008660f, 0x80047601, 0x40047602,
        /* timerfd, pidfd, random */
        0x40085400, 0x40045200, 0x80045200, 0x5201, 0x5202, 0x5203, 0x5204, 0xb701, 0xb702, 0xb703, 0xb704,
    };
    int fd = fz_below(16) ? sfz_fd() : fz_fds[fz_below(fz_nfds ? fz_nfds : 1)];
    uint64_t req = fz_below(16) ? reqs[fz_below(sizeof reqs / sizeof reqs[0])] : fz_rand() & 0xffffffffUL;
    if (fz_below(16) == 0)
        req |= (uint64_t)fz_rand() << 32; /* the upper half, which Linux drops */
    char *arg = FZ_ARENA + 52 * 4096;
    size_t n = 256;
    sfz_fill(arg, n);
    if (fz_below(2)) {
        /* an ifreq: a device name, sometimes unterminated, then its union */
        static const char *const names[] = { "lo", "eth0", "", "nope", "lo:1", "eth0.1" };
        memset(arg, 0, 16);
        if (fz_below(8))
            strcpy(arg, names[fz_below(6)]);
        else
            memset(arg, 'x', 16);
    }
    uint64_t a;
    switch (fz_below(8)) {
    case 0: a = fz_below(64); break;
    case 1: a = fz_edges[fz_below(FZ_NEDGES)]; break;
    case 2: a = (uint64_t)(uintptr_t)(FZ_GUARD - fz_below(64)); break;
    default: a = (uint64_t)(uintptr_t)arg; break;
    }
    SC(SYS_ioctl, fd, req, a, 0, 0, 0);
}

/* ---- sig: corrupted signal frames ---- */

static uint64_t sfz_sig_seed;

static void sfz_corrupt(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = uc_;
    uint64_t saved = fz_state;
    fz_state = sfz_sig_seed;
    uint64_t gregs[32];
    memcpy(gregs, uc->uc_mcontext.__gregs, sizeof gregs);
    unsigned char *b = (unsigned char *)uc;
    size_t span = sizeof *uc + 1024; /* the frame and the extension area past it */
    int n = 1 + (int)fz_below(8);
    for (int i = 0; i < n; i++) {
        size_t at = fz_below(span) & ~7UL;
        if ((uintptr_t)(b + at + 8) > (uintptr_t)uc + 4096 * 4)
            continue;
        uint64_t v;
        switch (fz_below(4)) {
        case 0: v = fz_edges[fz_below(FZ_NEDGES)]; break;
        case 1: v = fz_rand(); break;
        case 2: v = 0x53465457ULL | ((uint64_t)fz_below(4096) << 32); break; /* an extension header: magic, size */
        default: v = fz_below(256); break;
        }
        memcpy(b + at, &v, fz_below(2) ? 8 : 4);
    }
    /* The integer registers stay, most of the time, so the batch goes on:
     * the flags, stack, mask, FP state and extension headers are the parser's. */
    if (fz_below(16))
        memcpy(uc->uc_mcontext.__gregs, gregs, sizeof gregs);
    sigdelset(&uc->uc_sigmask, SIGKILL);
    fz_state = saved;
}

/* In a child of its own: a frame Linux finds bad (an unknown extension
 * header, a bad uc_stack) ends the process with SIGSEGV, not the batch. */
static void op_sig(void)
{
    pid_t pid = fork();
    if (pid != 0) {
        int st;
        if (pid > 0)
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sfz_corrupt;
    sa.sa_flags = SA_SIGINFO | (fz_below(2) ? SA_ONSTACK : 0) | (fz_below(4) ? 0 : SA_NODEFER);
    sigaction(SIGUSR1, &sa, NULL);
    if (fz_below(4) == 0) {
        stack_t ss = { .ss_sp = FZ_ARENA + 56 * 4096, .ss_size = fz_below(2) ? 8 * 4096 : 2048 + fz_below(8192) };
        sigaltstack(&ss, NULL);
    }
    sfz_sig_seed = fz_rand();
    SC(SYS_kill, getpid(), SIGUSR1, 0, 0, 0, 0);
    /* A second signal on the alternate stack: what the restored uc_stack left is used. */
    sa.sa_handler = fz_tick;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    SC(SYS_kill, getpid(), SIGUSR2, 0, 0, 0, 0);
    _exit(0);
}

/* ---- ptrace ---- */

static pid_t sfz_tracee;

static pid_t sfz_victim(void)
{
    if (sfz_tracee > 0)
        return sfz_tracee;
    sfz_tracee = fork();
    if (sfz_tracee == 0) {
        for (;;)
            pause();
    }
    if (sfz_tracee > 0 && ptrace(PTRACE_SEIZE, sfz_tracee, 0, 0) == 0) {
        ptrace(PTRACE_INTERRUPT, sfz_tracee, 0, 0);
        int st;
        waitpid(sfz_tracee, &st, __WALL);
    }
    return sfz_tracee;
}

static void op_ptrace(void)
{
    static const long reqs[] = { PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSER, PTRACE_POKETEXT, PTRACE_POKEDATA,
                                 PTRACE_POKEUSER, PTRACE_GETREGSET, PTRACE_GETREGSET, PTRACE_SETREGSET,
                                 PTRACE_SETREGSET, PTRACE_GETSIGINFO, PTRACE_SETSIGINFO, PTRACE_PEEKSIGINFO,
                                 PTRACE_GETSIGMASK, PTRACE_SETSIGMASK, PTRACE_GETEVENTMSG, PTRACE_SETOPTIONS,
                                 PTRACE_GET_SYSCALL_INFO, PTRACE_SECCOMP_GET_FILTER, PTRACE_INTERRUPT, PTRACE_LISTEN,
                                 PTRACE_SYSCALL, PTRACE_CONT, PTRACE_SINGLESTEP, 0x420e /* GET_RSEQ_CONFIGURATION */,
                                 0x4211 /* SET_SYSCALL_USER_DISPATCH_CONFIG */, 0x4212 };
    pid_t v = sfz_victim();
    if (v <= 0)
        return;
    long req = fz_below(16) ? reqs[fz_below(sizeof reqs / sizeof reqs[0])] : (long)fz_below(0x4220);
    if (req == PTRACE_TRACEME || req == PTRACE_KILL || req == PTRACE_DETACH)
        req = PTRACE_PEEKDATA;
    char *buf = FZ_ARENA + 58 * 4096;
    sfz_fill(buf, 1024);
    struct iovec *iov = (struct iovec *)(FZ_ARENA + 39 * 4096 + 768);
    iov->iov_base = fz_below(8) ? buf : (void *)(uintptr_t)fz_edges[fz_below(FZ_NEDGES)];
    static const size_t iolens[] = { 0, 1, 7, 8, 255, 256, 264, 512, 528, 4096, 0x7fffffff, 0xffffffffffffffffUL };
    iov->iov_len = iolens[fz_below(sizeof iolens / sizeof iolens[0])];
    static const uint64_t notes[] = { 1 /* NT_PRSTATUS */, 2 /* NT_PRFPREG */, 0x4b0 /* NT_ARM? absent */, 0x900,
                                      0x901 /* NT_RISCV_CSR */, 0x902 /* NT_RISCV_VECTOR */, 0x903, 0x53494749 /* NT_SIGINFO */,
                                      0x46e62b7f /* NT_PRXFPREG */, 0 };
    uint64_t addr, data;
    switch (req) {
    case PTRACE_GETREGSET: case PTRACE_SETREGSET:
        addr = fz_below(8) ? notes[fz_below(sizeof notes / sizeof notes[0])] : fz_rand();
        data = fz_below(16) ? (uint64_t)(uintptr_t)iov : fz_edges[fz_below(FZ_NEDGES)];
        break;
    case PTRACE_PEEKUSER: case PTRACE_POKEUSER:
        addr = fz_below(2) ? 8 * fz_below(80) : fz_edges[fz_below(FZ_NEDGES)];
        data = fz_below(2) ? (uint64_t)(uintptr_t)buf : fz_rand();
        break;
    case PTRACE_CONT: case PTRACE_SYSCALL: case PTRACE_SINGLESTEP: case PTRACE_LISTEN:
        addr = 0;
        data = fz_below(2) ? 0 : fz_below(70); /* a signal to deliver; SIGKILL ends the victim */
        break;
    default:
        addr = fz_below(4) ? (uint64_t)(uintptr_t)buf + fz_below(64) : fz_edges[fz_below(FZ_NEDGES)];
        if (req == PTRACE_PEEKSIGINFO || req == PTRACE_GET_SYSCALL_INFO || req == PTRACE_GETSIGMASK || req == PTRACE_SETSIGMASK)
            addr = fz_below(2) ? iolens[fz_below(sizeof iolens / sizeof iolens[0])] : fz_below(100);
        data = fz_below(8) ? (uint64_t)(uintptr_t)buf : fz_edges[fz_below(FZ_NEDGES)];
        break;
    }
    SC(SYS_ptrace, req, v, addr, data, 0, 0);
    /* After a resume, take the stop again so the next request finds it stopped. */
    if (req == PTRACE_CONT || req == PTRACE_SYSCALL || req == PTRACE_SINGLESTEP || req == PTRACE_LISTEN) {
        ptrace(PTRACE_INTERRUPT, v, 0, 0);
        int st;
        if (waitpid(v, &st, __WALL) == v && (WIFEXITED(st) || WIFSIGNALED(st)))
            sfz_tracee = 0;
    }
}

/* ---- prctl and the riscv calls ---- */

static void op_prctl(void)
{
    char *buf = FZ_ARENA + 60 * 4096;
    sfz_fill(buf, 512);
    uint64_t a[5];
    for (int i = 0; i < 5; i++) {
        switch (fz_below(6)) {
        case 0: a[i] = 0; break;
        case 1: a[i] = fz_below(8); break;
        case 2: a[i] = (uint64_t)(uintptr_t)buf; break;
        case 3: a[i] = (uint64_t)(uintptr_t)(FZ_GUARD - 1 - fz_below(16)); break;
        case 4: a[i] = fz_edges[fz_below(FZ_NEDGES)]; break;
        default: a[i] = sfz_val32(); break;
        }
    }
    switch (fz_below(8)) {
    case 0: /* riscv_flush_icache(start, end, flags) */
        SC(259, a[0], a[1], fz_below(4) ? fz_below(2) : a[2], 0, 0, 0);
        return;
    case 1: { /* riscv_hwprobe(pairs, count, cpusetsize, cpus, flags) */
        int64_t *pairs = (int64_t *)buf;
        for (int i = 0; i < 8; i++)
            pairs[2 * i] = fz_below(4) ? (int64_t)fz_below(16) : (int64_t)fz_rand();
        SC(258, fz_below(8) ? (uint64_t)(uintptr_t)pairs : a[0], fz_below(4) ? fz_below(9) : a[1],
           fz_below(2) ? 0 : sfz_len(), fz_below(2) ? 0 : (uint64_t)(uintptr_t)(buf + 256), fz_below(4) ? 0 : a[4], 0);
        return;
    }
    }
    uint64_t opt = fz_below(16) ? fz_below(80) : sfz_val32();
    /* Options that would end the batch's usefulness: strict seccomp only rarely. */
    if (opt == PR_SET_SECCOMP && fz_below(8))
        opt = PR_GET_SECCOMP;
    SC(SYS_prctl, opt, a[0], a[1], a[2], a[3], 0);
}

#include "sfuzz_net.h"

/* ---- ops by name ---- */

static const char *const sfz_kinds[] = { "nl", "sock", "cmsg", "ioctl", "sig", "ptrace", "prctl", "raw" };
#define SFZ_NKINDS 8
static void (*const sfz_ops[SFZ_NKINDS])(void) = { op_nl, op_sock, op_cmsg, op_ioctl, op_sig, op_ptrace, op_prctl, op_raw };

static void fz_op(int kind, uint64_t seed)
{
    fz_log("S o %x %lx\n", kind, (unsigned long)seed);
    fz_state = seed;
    sfz_ops[kind % SFZ_NKINDS]();
}

#endif
