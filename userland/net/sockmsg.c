/*
 * sockmsg.c - message calls on inet sockets over loopback (IPv4 and IPv6):
 * sendmmsg and recvmmsg on UDP (several datagrams in one call, msg_len of
 * each, the recvmmsg timeout's EINVAL, a bad message vector's EFAULT once
 * the descriptor is known to be a socket: EBADF, ENOTSOCK come first); a
 * negative msg_namelen (copy_msghdr_from_user) and a negative recvfrom
 * *addrlen, also on TCP which has no address to give (move_addr_to_user),
 * are EINVAL; MSG_MORE corks a UDP datagram; getsockname/getpeername/accept
 * give an address back as move_addr_to_user (names()).
 */
#include "nettest.h"

static void run(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    struct sockaddr_storage sa;
    socklen_t la = nt_addr(fam, &sa, 0);
    int r = socket(fam, SOCK_DGRAM, 0), s = socket(fam, SOCK_DGRAM, 0);
    snprintf(d, sizeof d, "%s: a receiver bound to port 0 and a sender connected to it", F);
    int ok = r >= 0 && s >= 0 && bind(r, (struct sockaddr *)&sa, la) == 0;
    la = sizeof sa;
    ok = ok && getsockname(r, (struct sockaddr *)&sa, &la) == 0 && connect(s, (struct sockaddr *)&sa, la) == 0;
    CHECK(ok, d);

    struct iovec one[2] = {{"one", 3}, {"two", 3}}, three = {"three", 5};
    struct mmsghdr out[2];
    memset(out, 0, sizeof out);
    out[0].msg_hdr.msg_iov = one;
    out[0].msg_hdr.msg_iovlen = 2;
    out[1].msg_hdr.msg_iov = &three;
    out[1].msg_hdr.msg_iovlen = 1;
    snprintf(d, sizeof d, "%s: sendmmsg sends both datagrams", F);
    CHECK_EQ(sendmmsg(s, out, 2, 0), 2, d);
    snprintf(d, sizeof d, "%s: msg_len of each", F);
    CHECK(out[0].msg_len == 6 && out[1].msg_len == 5, d);

    char b0[16], b1[16];
    struct iovec i0 = {b0, sizeof b0}, i1 = {b1, sizeof b1};
    struct mmsghdr in[2];
    memset(in, 0, sizeof in);
    in[0].msg_hdr.msg_iov = &i0;
    in[0].msg_hdr.msg_iovlen = 1;
    in[1].msg_hdr.msg_iov = &i1;
    in[1].msg_hdr.msg_iovlen = 1;
    struct timespec to = {5, 0};
    snprintf(d, sizeof d, "%s: recvmmsg receives both", F);
    CHECK_EQ(recvmmsg(r, in, 2, 0, &to), 2, d);
    snprintf(d, sizeof d, "%s: in order, with their lengths", F);
    CHECK(in[0].msg_len == 6 && memcmp(b0, "onetwo", 6) == 0 && in[1].msg_len == 5 && memcmp(b1, "three", 5) == 0, d);

    snprintf(d, sizeof d, "%s: sendmmsg with a bad vector is EFAULT", F);
    CHECK_ERR(syscall(SYS_sendmmsg, s, KT_BAD_PTR, 2, 0), EFAULT, d);
    snprintf(d, sizeof d, "%s: recvmmsg with a bad vector is EFAULT", F);
    CHECK_ERR(syscall(SYS_recvmmsg, r, KT_BAD_PTR, 2, MSG_DONTWAIT, NULL), EFAULT, d);
    struct timespec neg = {-1, 0};
    snprintf(d, sizeof d, "%s: recvmmsg with a negative timeout is EINVAL", F);
    if (kt_qemu()) /* qemu-user passes it on unchecked and waits: the native run checks it */
        kt_skip(d, "qemu-user does not check the timeout");
    else
        CHECK_ERR(syscall(SYS_recvmmsg, r, in, 2, 0, &neg), EINVAL, d);

    /* a negative msg_namelen with a name is EINVAL before anything is taken */
    CHECK_EQ(send(s, "four", 4, 0), 4, "one more datagram");
    struct sockaddr_storage from;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &i0;
    mh.msg_iovlen = 1;
    mh.msg_name = &from;
    mh.msg_namelen = -1;
    snprintf(d, sizeof d, "%s: recvmsg with msg_namelen -1 is EINVAL", F);
    CHECK_ERR(recvmsg(r, &mh, MSG_DONTWAIT), EINVAL, d);
    mh.msg_name = NULL;
    snprintf(d, sizeof d, "%s: ... but without msg_name the length is not looked at", F);
    CHECK_EQ(recvmsg(r, &mh, MSG_DONTWAIT), 4, d);
    /* MSG_MORE corks a UDP datagram (udp_sendmsg's corkreq): the bytes wait
     * and go out as one datagram with the next send without it; an address
     * given meanwhile is not looked at. */
    char big[32];
    memset(big, 'B', 16);
    snprintf(d, sizeof d, "%s: UDP send with MSG_MORE takes the bytes", F);
    CHECK_EQ(send(s, big, 16, MSG_MORE), 16, d);
    snprintf(d, sizeof d, "%s: ... and nothing arrives yet", F);
    CHECK_ERR(recv(r, b0, sizeof b0, MSG_DONTWAIT), EAGAIN, d);
    CHECK_EQ(send(s, "ab", 2, MSG_MORE), 2, "a second corked piece");
    snprintf(d, sizeof d, "%s: the send without MSG_MORE sends one datagram of all three pieces", F);
    CHECK_EQ(send(s, "c", 1, 0), 1, d);
    memset(big, 0, sizeof big);
    snprintf(d, sizeof d, "%s: ... 19 bytes in order", F);
    CHECK(recv(r, big, sizeof big, MSG_DONTWAIT) == 19 && memcmp(big + 14, "BBabc", 5) == 0, d);
    snprintf(d, sizeof d, "%s: corked pieces past 65,507 bytes (IPv4) or 65,527 (IPv6) are EMSGSIZE", F);
    static char huge[40000];
    CHECK_EQ(send(s, huge, sizeof huge, MSG_MORE), (long)sizeof huge, "a 40,000-byte corked piece");
    CHECK_ERR(send(s, huge, sizeof huge, 0), EMSGSIZE, d);
    snprintf(d, sizeof d, "%s: ... and the corked datagram is dropped", F);
    CHECK(send(s, "z", 1, 0) == 1 && recv(r, big, sizeof big, MSG_DONTWAIT) == 1 && big[0] == 'z', d);

    close(r);
    close(s);

    /* TCP: recvfrom's negative *addrlen is EINVAL though there is no address */
    int l = nt_listen(fam, 1, 0);
    int c = nt_connect(fam, nt_port(l));
    int a = accept(l, NULL, NULL);
    socklen_t bad = -1;
    snprintf(d, sizeof d, "%s: TCP recvfrom with *addrlen -1 is EINVAL", F);
    CHECK(write(c, "data", 4) == 4, "TCP data sent");
    CHECK_ERR(recvfrom(a, b0, sizeof b0, 0, (struct sockaddr *)&from, &bad), EINVAL, d);
    close(a);
    close(c);
    close(l);
}

/* Addresses back to the caller (move_addr_to_user): getsockname and
 * getpeername always copy, so a null length pointer or a null buffer with
 * room in it is EFAULT (LTP getsockname01, getpeername01), a zero length
 * copies nothing but learns the size; accept and recvfrom copy only when
 * given a buffer. */
static void names(int fam)
{
    char d[160];
    const char *F = nt_fam(fam);
    struct sockaddr_storage sa;
    socklen_t la;
    int l = nt_listen(fam, 4, 0);
    int c = nt_connect(fam, nt_port(l));
    int a = accept4(l, NULL, NULL, 0);
    snprintf(d, sizeof d, "%s: accept4 with no address buffer and no length", F);
    CHECK(a >= 0, d);
    snprintf(d, sizeof d, "%s: getsockname with a null length pointer is EFAULT", F);
    CHECK_ERR(getsockname(c, (struct sockaddr *)&sa, NULL), EFAULT, d);
    snprintf(d, sizeof d, "%s: getpeername with a null length pointer is EFAULT", F);
    CHECK_ERR(getpeername(c, (struct sockaddr *)&sa, NULL), EFAULT, d);
    la = sizeof sa;
    snprintf(d, sizeof d, "%s: getsockname into a null buffer with room is EFAULT", F);
    CHECK_ERR(getsockname(c, NULL, &la), EFAULT, d);
    la = 0;
    snprintf(d, sizeof d, "%s: a zero length copies nothing and learns the size", F);
    CHECK(getpeername(c, NULL, &la) == 0 && la == (fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), d);
    int c2 = nt_connect(fam, nt_port(l));
    snprintf(d, sizeof d, "%s: accept with a buffer and a null length pointer is EFAULT", F);
    CHECK_ERR(accept(l, (struct sockaddr *)&sa, NULL), EFAULT, d);
    close(c2);
    close(a);
    close(c);
    close(l);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(getsockname(u, (struct sockaddr *)&sa, NULL), EFAULT, "AF_UNIX: getsockname with a null length pointer is EFAULT");
    close(u);
}

int main(int argc, char **argv)
{
    vt_init(argc, argv, 60);
    run(AF_INET);
    run(AF_INET6);
    names(AF_INET);
    names(AF_INET6);
    struct iovec v = {"x", 1};
    struct mmsghdr m;
    memset(&m, 0, sizeof m);
    m.msg_hdr.msg_iov = &v;
    m.msg_hdr.msg_iovlen = 1;
    CHECK_ERR(sendmmsg(0x7fff, &m, 1, 0), EBADF, "sendmmsg on a closed descriptor is EBADF");
    int p[2];
    pipe(p);
    CHECK_ERR(sendmmsg(p[1], &m, 1, 0), ENOTSOCK, "sendmmsg on a pipe is ENOTSOCK");
    return kt_done();
}
