/* unix.c - AF_UNIX sockets: socketpair, bind/listen/accept/connect, names,
 * message boundaries, shutdown, SIGPIPE, SCM_RIGHTS, options, poll. */
#include "ktest.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strncpy(a->sun_path, path, sizeof a->sun_path - 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static int send_fd(int sock, int fd)
{
    char byte = 'F';
    struct iovec iov = { &byte, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return (int)sendmsg(sock, &msg, 0);
}

static void test_stream_pair(void)
{
    int sv[2];
    char buf[64];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair stream");
    CHECK_EQ(write(sv[0], "hello", 5), 5, "stream write a->b");
    CHECK_EQ(send(sv[1], "world!", 6, 0), 6, "stream send b->a");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 5, "stream read at b");
    CHECK_STR(buf, "hello", "stream data a->b");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 6, "stream recv at a");
    CHECK_STR(buf, "world!", "stream data b->a");

    /* a byte stream: two writes read as one, a short read leaves the rest */
    CHECK_EQ(write(sv[0], "abc", 3), 3, "stream write abc");
    CHECK_EQ(write(sv[0], "def", 3), 3, "stream write def");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(sv[1], buf, 4, MSG_PEEK), 4, "MSG_PEEK returns 4 bytes");
    CHECK_STR(buf, "abcd", "MSG_PEEK data spans writes");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(sv[1], buf, 2), 2, "short stream read");
    CHECK_STR(buf, "ab", "short stream read data");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 4, "stream read rest after peek");
    CHECK_STR(buf, "cdef", "stream rest data");

    /* readv/writev */
    struct iovec wv[2] = { { "12", 2 }, { "345", 3 } };
    CHECK_EQ(writev(sv[0], wv, 2), 5, "writev on socket");
    char p1[3] = { 0 }, p2[8] = { 0 };
    struct iovec rv[2] = { { p1, 2 }, { p2, 7 } };
    CHECK_EQ(readv(sv[1], rv, 2), 5, "readv on socket");
    CHECK(memcmp(p1, "12", 2) == 0 && strcmp(p2, "345") == 0, "readv scatters data");

    /* fstat, /proc/self/fd */
    struct stat st;
    CHECK_OK(fstat(sv[0], &st), "fstat socket");
    CHECK(S_ISSOCK(st.st_mode), "fstat reports S_IFSOCK");
    char link[64], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", sv[0]);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
    CHECK_STR(buf, want, "/proc/self/fd of a socket reads socket:[ino]");

    /* options */
    int v = -1;
    socklen_t l = sizeof v;
    CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l), "getsockopt SO_TYPE");
    CHECK_EQ(v, SOCK_STREAM, "SO_TYPE is SOCK_STREAM");
    CHECK_EQ(l, sizeof(int), "SO_TYPE length");
    l = sizeof v;
    CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &l), "getsockopt SO_DOMAIN");
    CHECK_EQ(v, AF_UNIX, "SO_DOMAIN is AF_UNIX");
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &l);
    CHECK_EQ(v, 0, "SO_PROTOCOL is 0");
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
    CHECK_EQ(v, 0, "SO_ACCEPTCONN is 0 on a pair");
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &l);
    CHECK_EQ(v, 0, "SO_ERROR is 0");
    l = sizeof v;
    CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &l), "getsockopt SO_SNDBUF");
    CHECK(v > 0, "SO_SNDBUF positive");
    v = 65536;
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v), "setsockopt SO_RCVBUF");
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &l);
    CHECK_EQ(v, 131072, "SO_RCVBUF reads back doubled");
    v = 1;
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof v), "setsockopt SO_PASSCRED");
    v = 0;
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, &l);
    CHECK_EQ(v, 1, "SO_PASSCRED reads back");
    v = 1;
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), "setsockopt SO_REUSEADDR");
    struct ucred cr;
    l = sizeof cr;
    CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l), "getsockopt SO_PEERCRED");
    CHECK_EQ(cr.pid, getpid(), "SO_PEERCRED pid of a pair is ours");
    CHECK_EQ(cr.uid, geteuid(), "SO_PEERCRED uid");
    CHECK_EQ(l, sizeof cr, "SO_PEERCRED length");

    /* EOF after close */
    CHECK_EQ(write(sv[0], "x", 1), 1, "write before close");
    close(sv[0]);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 1, "data written before close is read");
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "EOF after peer close");
    struct pollfd pf = { sv[1], POLLIN, 0 };
    CHECK_EQ(poll(&pf, 1, 0), 1, "poll after peer close");
    CHECK((pf.revents & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP), "POLLIN|POLLHUP after peer close");
    close(sv[1]);
}

static void test_nonblock_poll(void)
{
    int sv[2];
    char buf[4096];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), "socketpair nonblock cloexec");
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0, "SOCK_NONBLOCK sets O_NONBLOCK");
    CHECK((fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0, "SOCK_CLOEXEC sets FD_CLOEXEC");
    CHECK_ERR(read(sv[0], buf, 1), EAGAIN, "nonblocking read of empty socket is EAGAIN");
    struct pollfd pf = { sv[0], POLLIN | POLLOUT, 0 };
    CHECK_EQ(poll(&pf, 1, 0), 1, "poll fresh pair");
    CHECK_EQ(pf.revents, POLLOUT, "fresh pair: POLLOUT only");
    CHECK_EQ(write(sv[1], "z", 1), 1, "write one byte");
    pf.revents = 0;
    poll(&pf, 1, 0);
    CHECK_EQ(pf.revents, POLLIN | POLLOUT, "data: POLLIN|POLLOUT");
    read(sv[0], buf, 1);

    /* fill the buffer until EAGAIN */
    memset(buf, 'q', sizeof buf);
    long total = 0;
    for (int i = 0; i < 10000; i++) {
        ssize_t w = write(sv[0], buf, sizeof buf);
        if (w < 0)
            break;
        total += w;
    }
    CHECK_ERR(write(sv[0], buf, sizeof buf), EAGAIN, "write to full socket is EAGAIN");
    CHECK(total > 0, "some bytes fit before the socket is full");
    pf.fd = sv[0];
    pf.events = POLLOUT;
    pf.revents = 0;
    CHECK_EQ(poll(&pf, 1, 0), 0, "full socket is not POLLOUT");
    long drained = 0;
    for (;;) {
        ssize_t r = read(sv[1], buf, sizeof buf);
        if (r <= 0)
            break;
        drained += r;
    }
    CHECK_EQ(drained, total, "everything written is read back");
    close(sv[0]);
    close(sv[1]);

    /* MSG_DONTWAIT on a blocking socket, epoll readiness */
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair blocking");
    CHECK_ERR(recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN, "MSG_DONTWAIT recv is EAGAIN");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = sv[0] };
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), "epoll_ctl add socket");
    CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0, "epoll: not readable yet");
    write(sv[1], "e", 1);
    CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1, "epoll: readable after write");
    close(ep);

    /* MSG_WAITALL across writes from a child */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        write(sv[1], "abc", 3);
        usleep(20000);
        write(sv[1], "def", 3);
        _exit(0);
    }
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(sv[0], buf, 1, 0), 1, "recv the first byte");
    CHECK_EQ(recv(sv[0], buf, 6, MSG_WAITALL), 6, "MSG_WAITALL waits for all bytes");
    CHECK(memcmp(buf, "abcdef", 6) == 0, "MSG_WAITALL data");
    waitpid(pid, NULL, 0);
    close(sv[0]);
    close(sv[1]);
}

static void test_shutdown_sigpipe(void)
{
    int sv[2];
    char buf[16];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    CHECK_OK(shutdown(sv[0], SHUT_WR), "shutdown SHUT_WR");
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "peer reads EOF after SHUT_WR");
    CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE, "send after SHUT_WR is EPIPE");
    CHECK_EQ(write(sv[1], "back", 4), 4, "other direction still works");
    CHECK_EQ(read(sv[0], buf, sizeof buf), 4, "read other direction");
    struct pollfd pf = { sv[1], POLLIN, 0 };
    poll(&pf, 1, 0);
    CHECK((pf.revents & POLLIN) != 0, "EOF side polls POLLIN");
    CHECK_ERR(shutdown(sv[0], 7), EINVAL, "shutdown with bad how is EINVAL");
    close(sv[0]);
    close(sv[1]);

    signal(SIGPIPE, on_sigpipe);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    sigpipes = 0;
    CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE, "send to closed peer with MSG_NOSIGNAL is EPIPE");
    CHECK_EQ(sigpipes, 0, "MSG_NOSIGNAL: no SIGPIPE");
    CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE, "send to closed peer is EPIPE");
    CHECK_EQ(sigpipes, 1, "send without MSG_NOSIGNAL raises SIGPIPE");
    CHECK_ERR(write(sv[0], "x", 1), EPIPE, "write to closed peer is EPIPE");
    CHECK_EQ(sigpipes, 2, "write raises SIGPIPE");
    signal(SIGPIPE, SIG_DFL);
    close(sv[0]);
}

static void test_boundaries(int type, const char *name)
{
    int sv[2];
    char buf[64], desc[128];
#define D(s) (snprintf(desc, sizeof desc, "%s: %s", name, s), desc)
    CHECK_OK(socketpair(AF_UNIX, type, 0, sv), D("socketpair"));
    CHECK_EQ(send(sv[0], "first", 5, 0), 5, D("send first"));
    CHECK_EQ(send(sv[0], "second", 6, 0), 6, D("send second"));
    CHECK_EQ(send(sv[1], "reply", 5, 0), 5, D("send other way"));
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 5, D("MSG_PEEK one message"));
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5, D("recv keeps boundary"));
    CHECK_STR(buf, "first", D("first message"));
    memset(buf, 0, sizeof buf);
    struct iovec iov = { buf, 3 };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    CHECK_EQ(recvmsg(sv[1], &msg, 0), 3, D("short recvmsg truncates"));
    CHECK((msg.msg_flags & MSG_TRUNC) != 0, D("MSG_TRUNC in msg_flags"));
    CHECK_STR(buf, "sec", D("truncated data"));
    CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, D("rest of message was dropped"));
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 5, D("recv other way"));
    CHECK_STR(buf, "reply", D("reply data"));
    send(sv[0], "longmessage", 11, 0);
    CHECK_EQ(recv(sv[1], buf, 4, MSG_TRUNC), 11, D("recv MSG_TRUNC returns the full length"));
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l);
    CHECK_EQ(v, type, D("SO_TYPE"));
    if (type == SOCK_SEQPACKET) {
        close(sv[0]);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, D("EOF after peer close"));
        close(sv[1]);
    } else {
        close(sv[0]);
        close(sv[1]);
    }
#undef D
}

static void test_listen_path(const char *dir)
{
    (void)dir;
    const char *path = kt_path("srv");
    struct sockaddr_un a, got;
    socklen_t alen = path_addr(&a, path), gl;
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(ls >= 0, "socket AF_UNIX SOCK_STREAM");
    CHECK_ERR(listen(ls, 5), EINVAL, "listen on unbound socket is EINVAL");
    CHECK_OK(bind(ls, (struct sockaddr *)&a, alen), "bind to a path");
    struct stat st;
    CHECK_OK(stat(path, &st), "stat bound path");
    CHECK(S_ISSOCK(st.st_mode), "bound path is a socket inode");
    CHECK_ERR(bind(ls, (struct sockaddr *)&a, alen), EADDRINUSE, "bind again to the same path is EADDRINUSE");
    struct sockaddr_un a2;
    socklen_t a2len = path_addr(&a2, kt_path("srv2"));
    CHECK_ERR(bind(ls, (struct sockaddr *)&a2, a2len), EINVAL, "bind a bound socket to a new path is EINVAL");
    CHECK_ERR(access(kt_path("srv2"), F_OK), ENOENT, "failed bind leaves no path");
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(bind(other, (struct sockaddr *)&a, alen), EADDRINUSE, "bind to existing path is EADDRINUSE");
    close(other);
    CHECK_OK(listen(ls, 5), "listen");
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
    CHECK_EQ(v, 1, "SO_ACCEPTCONN on a listener");
    gl = sizeof got;
    memset(&got, 0, sizeof got);
    CHECK_OK(getsockname(ls, (struct sockaddr *)&got, &gl), "getsockname on listener");
    CHECK_EQ(gl, alen, "getsockname length");
    CHECK_STR(got.sun_path, path, "getsockname path");
    CHECK_ERR(getpeername(ls, (struct sockaddr *)&got, &gl), ENOTCONN, "getpeername on listener is ENOTCONN");

    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            int c = socket(AF_UNIX, SOCK_STREAM, 0);
            if (connect(c, (struct sockaddr *)&a, alen) != 0)
                _exit(10);
            struct sockaddr_un p;
            socklen_t pl = sizeof p;
            if (getpeername(c, (struct sockaddr *)&p, &pl) != 0 || strcmp(p.sun_path, path) != 0)
                _exit(11);
            struct ucred cr;
            socklen_t cl = sizeof cr;
            if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || cr.pid != getppid())
                _exit(12);
            int me = getpid();
            if (write(c, &me, sizeof me) != sizeof me)
                _exit(13);
            char r[8] = { 0 };
            if (read(c, r, sizeof r) != 2 || strcmp(r, "ok") != 0)
                _exit(14);
            _exit(0);
        }
    }
    for (int i = 0; i < 2; i++) {
        struct sockaddr_un peer;
        socklen_t pl = sizeof peer;
        int c = i == 0 ? accept(ls, (struct sockaddr *)&peer, &pl) : accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        CHECK(c >= 0, i == 0 ? "accept first connection" : "accept4 second connection");
        if (c < 0)
            continue;
        CHECK_EQ(pl, sizeof(sa_family_t), "accepted peer address is unnamed");
        if (i == 1)
            CHECK((fcntl(c, F_GETFD) & FD_CLOEXEC) != 0, "accept4 SOCK_CLOEXEC");
        int who = 0;
        CHECK_EQ(read(c, &who, sizeof who), sizeof who, "read the child's pid");
        struct ucred cr;
        socklen_t cl = sizeof cr;
        CHECK_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl), "SO_PEERCRED on accepted socket");
        CHECK_EQ(cr.pid, who, "SO_PEERCRED pid is the connecting child");
        CHECK_EQ(cr.uid, geteuid(), "SO_PEERCRED uid of the child");
        CHECK(who == kids[0] || who == kids[1], "pid is one of the children");
        gl = sizeof got;
        memset(&got, 0, sizeof got);
        getsockname(c, (struct sockaddr *)&got, &gl);
        CHECK_STR(got.sun_path, path, "getsockname of accepted socket is the listener's path");
        CHECK_EQ(write(c, "ok", 2), 2, "reply to child");
        close(c);
    }
    for (int i = 0; i < 2; i++) {
        int status = -1;
        waitpid(kids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child connected and checked its peer");
    }

    /* nonblocking accept with nothing pending */
    int fl = fcntl(ls, F_GETFL);
    fcntl(ls, F_SETFL, fl | O_NONBLOCK);
    CHECK_ERR(accept(ls, NULL, NULL), EAGAIN, "nonblocking accept with no connection is EAGAIN");
    struct pollfd pf = { ls, POLLIN, 0 };
    CHECK_EQ(poll(&pf, 1, 0), 0, "listener not readable without connections");
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen), "connect completes before accept");
    CHECK_EQ(write(c, "early", 5), 5, "write before accept");
    CHECK_EQ(poll(&pf, 1, 0), 1, "listener readable with a pending connection");
    int s = accept(ls, NULL, NULL);
    CHECK(s >= 0, "accept pending connection");
    char buf[16] = { 0 };
    CHECK_EQ(read(s, buf, sizeof buf), 5, "data written before accept arrives");
    CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), EISCONN, "connect twice is EISCONN");
    close(s);
    close(c);
    close(ls);

    /* a socket file whose socket is gone, a missing path, a regular file */
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED, "connect to a closed socket's path is ECONNREFUSED");
    struct sockaddr_un b;
    socklen_t blen = path_addr(&b, kt_path("missing"));
    CHECK_ERR(connect(c, (struct sockaddr *)&b, blen), ENOENT, "connect to a missing path is ENOENT");
    int rf = open(kt_path("plain"), O_CREAT | O_WRONLY, 0644);
    close(rf);
    blen = path_addr(&b, kt_path("plain"));
    CHECK_ERR(connect(c, (struct sockaddr *)&b, blen), ECONNREFUSED, "connect to a regular file is ECONNREFUSED");
    close(c);
    CHECK_OK(unlink(path), "unlink a socket path");
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_OK(bind(ls, (struct sockaddr *)&a, alen), "bind again after unlink");
    close(ls);
    unlink(path);
}

static void test_abstract(void)
{
    char name[64], buf[64];
    snprintf(name, sizeof name, "ghost-unix-test-%d", (int)getpid());
    struct sockaddr_un a, got;
    socklen_t alen = abstract_addr(&a, name), gl;
    int ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_OK(bind(ls, (struct sockaddr *)&a, alen), "bind abstract name");
    int other = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_ERR(bind(other, (struct sockaddr *)&a, alen), EADDRINUSE, "abstract name in use is EADDRINUSE");
    close(other);
    CHECK_OK(listen(ls, 1), "listen on abstract name");
    gl = sizeof got;
    memset(&got, 0, sizeof got);
    getsockname(ls, (struct sockaddr *)&got, &gl);
    CHECK_EQ(gl, alen, "abstract getsockname length");
    CHECK(got.sun_path[0] == 0 && memcmp(got.sun_path + 1, name, strlen(name)) == 0, "abstract getsockname bytes");
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen), "connect to abstract name");
    int s = accept(ls, NULL, NULL);
    CHECK(s >= 0, "accept abstract connection");
    CHECK_EQ(send(c, "pkt1", 4, 0), 4, "seqpacket send");
    CHECK_EQ(send(c, "pkt22", 5, 0), 5, "seqpacket send 2");
    CHECK_EQ(recv(s, buf, sizeof buf, 0), 4, "seqpacket recv keeps boundary");
    CHECK_EQ(recv(s, buf, sizeof buf, 0), 5, "seqpacket second message");
    gl = sizeof got;
    getpeername(c, (struct sockaddr *)&got, &gl);
    CHECK_EQ(gl, alen, "getpeername of abstract peer");
    close(c);
    close(s);
    close(ls);
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect(st, (struct sockaddr *)&a, alen), ECONNREFUSED, "closed abstract name is ECONNREFUSED");
    close(st);

    /* datagrams to a named socket: sender address via recvfrom; autobind */
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_OK(bind(d1, (struct sockaddr *)&a, alen), "bind dgram to abstract name");
    struct sockaddr_un auto_a;
    memset(&auto_a, 0, sizeof auto_a);
    auto_a.sun_family = AF_UNIX;
    CHECK_OK(bind(d2, (struct sockaddr *)&auto_a, sizeof(sa_family_t)), "autobind with an empty address");
    gl = sizeof got;
    getsockname(d2, (struct sockaddr *)&got, &gl);
    CHECK_EQ(gl, offsetof(struct sockaddr_un, sun_path) + 6, "autobind name length");
    CHECK(got.sun_path[0] == 0, "autobind name is abstract");
    CHECK_EQ(sendto(d2, "dg", 2, 0, (struct sockaddr *)&a, alen), 2, "sendto abstract dgram");
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    memset(&from, 0, sizeof from);
    CHECK_EQ(recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 2, "recvfrom dgram");
    CHECK(fl == gl && memcmp(&from, &got, gl) == 0, "recvfrom reports the sender's autobound name");
    int d3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(send(d3, "x", 1, 0), ENOTCONN, "unconnected dgram send is ENOTCONN");
    close(d1);
    CHECK_ERR(sendto(d2, "dg", 2, 0, (struct sockaddr *)&a, alen), ECONNREFUSED, "sendto closed dgram name is ECONNREFUSED");
    close(d2);
    close(d3);
}

static void test_rights(void)
{
    int sv[2];
    char buf[32];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int fd = open(kt_path("secret"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    write(fd, "secret data", 11);
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ(send_fd(sv[0], fd), 1, "sendmsg with SCM_RIGHTS");
    close(fd);

    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    CHECK_EQ(recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC), 1, "recvmsg with SCM_RIGHTS");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    CHECK(c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS, "control message is SCM_RIGHTS");
    CHECK(c != NULL && c->cmsg_len == CMSG_LEN(sizeof(int)), "SCM_RIGHTS length");
    CHECK_EQ(msg.msg_flags & MSG_CTRUNC, 0, "no MSG_CTRUNC");
    int got = -1;
    if (c)
        memcpy(&got, CMSG_DATA(c), sizeof got);
    CHECK(got >= 0, "received a descriptor");
    CHECK((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0, "MSG_CMSG_CLOEXEC sets FD_CLOEXEC");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(got, buf, sizeof buf), 11, "read through the passed descriptor");
    CHECK_STR(buf, "secret data", "passed descriptor reaches the file");
    close(got);

    /* a passed pipe end, and a control buffer too small for it */
    int p[2];
    pipe(p);
    CHECK_EQ(send_fd(sv[0], p[1]), 1, "pass a pipe's write end");
    msg.msg_controllen = sizeof u.buf;
    msg.msg_flags = 0;
    recvmsg(sv[1], &msg, 0);
    c = CMSG_FIRSTHDR(&msg);
    got = -1;
    if (c)
        memcpy(&got, CMSG_DATA(c), sizeof got);
    CHECK_EQ(write(got, "via", 3), 3, "write through a passed pipe end");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(p[0], buf, sizeof buf), 3, "pipe carries the data");
    close(got);
    send_fd(sv[0], p[0]);
    msg.msg_control = NULL;
    msg.msg_controllen = 0;
    msg.msg_flags = 0;
    CHECK_EQ(recvmsg(sv[1], &msg, 0), 1, "recvmsg without control buffer");
    CHECK((msg.msg_flags & MSG_CTRUNC) != 0, "fds without room: MSG_CTRUNC");
    close(p[0]);
    close(p[1]);
    CHECK_ERR(send_fd(sv[0], 999), EBADF, "SCM_RIGHTS with a bad fd is EBADF");

    /* SO_PASSCRED: the receiver gets the sender's credentials */
    int on = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    CHECK_EQ(send(sv[0], "c", 1, 0), 1, "send to a SO_PASSCRED socket");
    union { char buf[CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } cu;
    memset(&cu, 0, sizeof cu);
    msg.msg_control = cu.buf;
    msg.msg_controllen = sizeof cu.buf;
    msg.msg_flags = 0;
    CHECK_EQ(recvmsg(sv[1], &msg, 0), 1, "recvmsg with SO_PASSCRED");
    c = CMSG_FIRSTHDR(&msg);
    CHECK(c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS, "control message is SCM_CREDENTIALS");
    struct ucred uc = { 0, 0, 0 };
    if (c)
        memcpy(&uc, CMSG_DATA(c), sizeof uc);
    CHECK(uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid(), "SCM_CREDENTIALS carries pid, uid, gid");
    close(sv[0]);
    close(sv[1]);
}

static void test_errors(void)
{
    CHECK_ERR(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT, "unknown family is EAFNOSUPPORT");
    CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT, "SOCK_RDM unix socket is ESOCKTNOSUPPORT");
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT, "bad protocol is EPROTONOSUPPORT");
    /* __sock_create: a type past SOCK_PACKET is EINVAL, in any family */
    CHECK_ERR(socket(AF_UNIX, 12, 0), EINVAL, "socket type 12 (unix) is EINVAL");
    CHECK_ERR(socket(AF_INET, 12, 0), EINVAL, "socket type 12 (inet) is EINVAL");
    /* inet_create: SOCK_RAW's wildcard entry never matches protocol 0 */
    CHECK_ERR(socket(AF_INET, SOCK_RAW, 0), EPROTONOSUPPORT, "an inet raw socket with protocol 0 is EPROTONOSUPPORT");
    /* socketpair of an inet family: socket(2)'s errors, else EOPNOTSUPP (sock_no_socketpair) */
    int sv[2];
    CHECK_ERR(socketpair(AF_INET, SOCK_DGRAM, IPPROTO_UDP, sv), EOPNOTSUPP, "socketpair(AF_INET, UDP) is EOPNOTSUPP");
    CHECK_ERR(socketpair(AF_INET6, SOCK_STREAM, 0, sv), EOPNOTSUPP, "socketpair(AF_INET6, TCP) is EOPNOTSUPP");
    CHECK_ERR(socketpair(AF_INET, SOCK_DGRAM, IPPROTO_TCP, sv), EPROTONOSUPPORT, "socketpair(AF_INET, TCP dgram) is EPROTONOSUPPORT");
    CHECK_ERR(socketpair(AF_INET, SOCK_RAW, 0, sv), EPROTONOSUPPORT, "socketpair(AF_INET, SOCK_RAW, 0) is EPROTONOSUPPORT");
    CHECK_ERR(socketpair(AF_INET, SOCK_SEQPACKET, 0, sv), ESOCKTNOSUPPORT, "socketpair(AF_INET, SOCK_SEQPACKET) is ESOCKTNOSUPPORT");
    CHECK_ERR(socketpair(AF_INET, 75, 0, sv), EINVAL, "socketpair(AF_INET, type 75) is EINVAL");
    int fd = open("/dev/null", O_RDONLY);
    struct sockaddr_un a;
    socklen_t l = sizeof a;
    CHECK_ERR(getsockname(fd, (struct sockaddr *)&a, &l), ENOTSOCK, "getsockname on a file is ENOTSOCK");
    close(fd);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    char b;
    CHECK_ERR(getpeername(s, (struct sockaddr *)&a, &l), ENOTCONN, "getpeername unconnected is ENOTCONN");
    CHECK_ERR(send(s, "x", 1, MSG_NOSIGNAL), ENOTCONN, "send on unconnected stream is ENOTCONN");
    l = sizeof a;
    CHECK_OK(getsockname(s, (struct sockaddr *)&a, &l), "getsockname unbound");
    CHECK_EQ(l, sizeof(sa_family_t), "unbound name is just the family");
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(listen(d, 1), EOPNOTSUPP, "listen on dgram is EOPNOTSUPP");
    (void)b;
    close(d);
    close(s);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig) { (void)sig; alarmed = 1; }

/* SO_RCVTIMEO / SO_SNDTIMEO: a blocking call gives up with EAGAIN after the
 * timeout; the value reads back; a signal with SA_RESTART still ends it with
 * EINTR (socket calls with a timeout are never restarted). */
static void test_timeouts(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair for timeouts");
    struct timeval tv = {0, 150000}, got = {0, 0};
    socklen_t len = sizeof got;
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "set SO_RCVTIMEO 150 ms");
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && len == sizeof got && got.tv_sec == 0 &&
              got.tv_usec >= 148000 && got.tv_usec <= 152000,
          "SO_RCVTIMEO reads back (to a tick)");
    char b[8];
    long long t0 = mono_ms();
    ssize_t n = recv(sv[0], b, sizeof b, 0);
    int e = errno;
    long long took = mono_ms() - t0;
    kt_check(n == -1 && e == EAGAIN && took >= 140 && took < 5000, "a recv with nothing to read gives up with EAGAIN after the timeout",
             "got %zd errno %d after %lld ms", n, e, took);
    struct timeval bad = {0, 1000000};
    CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), EDOM, "tv_usec of a million is EDOM");
    CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL, "a short timeval is EINVAL");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct timeval longer = {5, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &longer, sizeof longer);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    t0 = mono_ms();
    n = recv(sv[0], b, sizeof b, 0);
    e = errno;
    took = mono_ms() - t0;
    kt_check(n == -1 && e == EINTR && alarmed && took < 4000, "a signal ends a recv with a timeout with EINTR despite SA_RESTART",
             "got %zd errno %d after %lld ms", n, e, took);
    signal(SIGALRM, SIG_DFL);

    /* fill the sender's buffer, then a send with SO_SNDTIMEO times out */
    int small = 4096;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    static char fill[65536];
    while (send(sv[1], fill, sizeof fill, 0) > 0)
        ;
    fcntl(sv[1], F_SETFL, 0);
    CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), "set SO_SNDTIMEO 150 ms");
    t0 = mono_ms();
    n = send(sv[1], fill, sizeof fill, 0);
    e = errno;
    took = mono_ms() - t0;
    kt_check(n == -1 && e == EAGAIN && took >= 140 && took < 5000, "a send into a full buffer gives up with EAGAIN after the timeout",
             "got %zd errno %d after %lld ms", n, e, took);
    close(sv[0]);
    close(sv[1]);
}

/* sendmmsg/recvmmsg: several datagrams in one call, msg_len for each. */
static void test_mmsg(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair for sendmmsg");
    char a[] = "one", b[] = "three", c[] = "fifteen";
    struct iovec iov[3] = {{a, 3}, {b, 5}, {c, 7}};
    struct mmsghdr out[3];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out[i].msg_hdr.msg_iov = &iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(sendmmsg(sv[0], out, 3, 0), 3, "sendmmsg sends 3 datagrams");
    CHECK(out[0].msg_len == 3 && out[1].msg_len == 5 && out[2].msg_len == 7, "msg_len of each");
    char buf[5][16];
    struct iovec riov[5];
    struct mmsghdr in[5];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 5; i++) {
        riov[i].iov_base = buf[i];
        riov[i].iov_len = sizeof buf[i];
        in[i].msg_hdr.msg_iov = &riov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(recvmmsg(sv[1], in, 5, MSG_WAITFORONE, NULL), 3, "recvmmsg MSG_WAITFORONE takes the 3 there are");
    CHECK(in[0].msg_len == 3 && in[1].msg_len == 5 && in[2].msg_len == 7 && memcmp(buf[2], "fifteen", 7) == 0,
          "each with its length and bytes");
    CHECK_ERR(recvmmsg(sv[1], in, 5, MSG_DONTWAIT, NULL), EAGAIN, "recvmmsg of nothing, MSG_DONTWAIT: EAGAIN");
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const char *dir = kt_mktemp("unix");
    test_stream_pair();
    test_nonblock_poll();
    test_shutdown_sigpipe();
    test_boundaries(SOCK_DGRAM, "dgram");
    test_boundaries(SOCK_SEQPACKET, "seqpacket");
    test_listen_path(dir);
    test_abstract();
    test_rights();
    test_errors();
    test_timeouts();
    test_mmsg();
    kt_cleanup();
    return kt_done();
}
