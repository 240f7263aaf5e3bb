/*
 * sfuzz_net.h - the network kinds of the structured fuzzer (sfuzz.h): nl,
 * NETLINK_ROUTE messages with their attribute trees, and raw, whole IPv4
 * packets and ICMPv6 messages through the loopback. Included by sfuzz.h
 * after the helpers and the world it shares (sfz_fill, sfz_fds, SC).
 */
#ifndef SFUZZ_NET_H
#define SFUZZ_NET_H

/* ---- nl: NETLINK_ROUTE messages ---- */

static size_t sfz_attrs(char *p, size_t room, int depth)
{
    size_t at = 0;
    int n = (int)fz_below(6);
    for (int i = 0; i < n && at + 4 <= room; i++) {
        struct rtattr *rta = (struct rtattr *)(p + at);
        size_t pl = fz_below(3) ? (size_t)(4 * fz_below(5)) : fz_below(24);
        if (pl == 12)
            pl = 16; /* an in6_addr */
        rta->rta_type = (unsigned short)(fz_below(8) ? fz_below(60) : fz_rand());
        if (fz_below(4) == 0)
            rta->rta_type |= NLA_F_NESTED;
        size_t len = 4 + pl;
        if (depth < 3 && fz_below(4) == 0 && at + 4 < room) {
            len = 4 + sfz_attrs(p + at + 4, room - at - 4, depth + 1);
        } else {
            if (at + len > room)
                len = room - at;
            sfz_fill(p + at + 4, len - 4);
        }
        switch (fz_below(12)) {
        case 0: rta->rta_len = (unsigned short)fz_below(4); break;               /* shorter than the header */
        case 1: rta->rta_len = (unsigned short)(len + 1 + fz_below(64)); break;  /* past the message */
        case 2: rta->rta_len = (unsigned short)fz_rand(); break;
        default: rta->rta_len = (unsigned short)len; break;
        }
        at += RTA_ALIGN(len);
    }
    return at < room ? at : room;
}

static void op_nl(void)
{
    int fd = fz_below(16) ? sfz_fds[S_NL] : sfz_sock();
    char *base = FZ_ARENA + 40 * 4096;
    size_t room = 2048 + fz_below(2048), at = 0;
    int msgs = 1 + (int)fz_below(3);
    for (int m = 0; m < msgs && at + sizeof(struct nlmsghdr) <= room; m++) {
        struct nlmsghdr *h = (struct nlmsghdr *)(base + at);
        h->nlmsg_type = (uint16_t)(fz_below(8) ? RTM_BASE + fz_below(RTM_MAX - RTM_BASE + 1)
                                               : fz_below(2) ? fz_below(20) : fz_rand());
        static const uint16_t flags[] = { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
                                          NLM_F_APPEND, NLM_F_ECHO, NLM_F_MULTI, NLM_F_DUMP_INTR };
        h->nlmsg_flags = NLM_F_REQUEST;
        for (int k = (int)fz_below(4); k > 0; k--)
            h->nlmsg_flags |= flags[fz_below(sizeof flags / sizeof flags[0])];
        if (fz_below(16) == 0)
            h->nlmsg_flags = (uint16_t)fz_rand();
        h->nlmsg_seq = (uint32_t)fz_rand();
        h->nlmsg_pid = fz_below(4) ? 0 : sfz_val32();
        size_t fam = fz_below(4) ? 16 : fz_below(24); /* ifinfomsg is the largest: 16 */
        unsigned char *f = (unsigned char *)NLMSG_DATA(h);
        size_t len = NLMSG_HDRLEN + fam;
        if (at + len > room)
            break;
        sfz_fill((char *)f, fam);
        static const unsigned char fams[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_PACKET, AF_UNIX, AF_NETLINK, 255 };
        if (fam)
            f[0] = fams[fz_below(sizeof fams / sizeof fams[0])];
        if (fam >= 2 && fz_below(2))
            f[1] = (unsigned char)(fz_below(2) ? fz_below(33) : fz_below(256)); /* a prefix length */
        if (fam >= 8 && fz_below(2)) {
            int idx = (int)fz_below(4); /* ifindex 0..3: lo, eth0 or none */
            memcpy(f + 4, &idx, 4);
        }
        len += sfz_attrs((char *)f + NLMSG_ALIGN(fam), room - at - NLMSG_HDRLEN - NLMSG_ALIGN(fam), 0);
        switch (fz_below(10)) {
        case 0: h->nlmsg_len = (uint32_t)fz_below(NLMSG_HDRLEN + 1); break;
        case 1: h->nlmsg_len = (uint32_t)(len + 1 + fz_below(100)); break;
        case 2: h->nlmsg_len = sfz_val32(); break;
        default: h->nlmsg_len = (uint32_t)len; break;
        }
        at += NLMSG_ALIGN(len);
    }
    size_t total = fz_below(8) ? at : fz_below(room);
    struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = fz_below(4) ? 0 : sfz_val32(),
                              .nl_groups = fz_below(4) ? 0 : sfz_val32() };
    switch (fz_below(4)) {
    case 0: SC(SYS_write, fd, base, total, 0, 0, 0); break;
    case 1: SC(SYS_sendto, fd, base, total, MSG_DONTWAIT, &to, fz_below(4) ? sizeof to : sfz_len()); break;
    default: {
        struct iovec *iov = (struct iovec *)(FZ_ARENA + 39 * 4096);
        size_t cut = fz_below(total + 1);
        iov[0].iov_base = base;
        iov[0].iov_len = cut;
        iov[1].iov_base = base + cut;
        iov[1].iov_len = total - cut;
        struct msghdr *mh = (struct msghdr *)(FZ_ARENA + 39 * 4096 + 64);
        memset(mh, 0, sizeof *mh);
        mh->msg_iov = iov;
        mh->msg_iovlen = 2;
        if (fz_below(2)) {
            mh->msg_name = &to;
            mh->msg_namelen = fz_below(4) ? sizeof to : (socklen_t)sfz_len();
        }
        SC(SYS_sendmsg, fd, mh, MSG_DONTWAIT, 0, 0, 0);
    }
    }
    /* Read the answers back in pieces, as a program that guesses its buffer wrong. */
    for (int r = (int)fz_below(4); r > 0; r--) {
        static const int rflags[] = { MSG_DONTWAIT, MSG_DONTWAIT | MSG_PEEK, MSG_DONTWAIT | MSG_TRUNC,
                                      MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC, MSG_DONTWAIT | MSG_WAITALL };
        SC(SYS_recvfrom, fd, FZ_ARENA + 48 * 4096, fz_below(2) ? sfz_len() % 8192 : 8192,
           rflags[fz_below(sizeof rflags / sizeof rflags[0])], fz_below(2) ? (uint64_t)(uintptr_t)&to : 0,
           fz_below(2) ? (uint64_t)(uintptr_t)(FZ_ARENA + 39 * 4096 + 200) : 0);
    }
    if (fz_below(8) == 0) {
        struct sockaddr_nl b = { .nl_family = AF_NETLINK, .nl_pid = fz_below(2) ? 0 : sfz_val32(), .nl_groups = sfz_val32() };
        SC(SYS_bind, fd, &b, fz_below(4) ? sizeof b : sfz_len(), 0, 0, 0);
    }
}

/* ---- raw: packets through the loopback ---- */

static uint16_t sfz_csum(const unsigned char *b, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        sum += (uint32_t)b[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void sfz_put16(unsigned char *b, uint16_t v) { b[0] = (unsigned char)(v >> 8); b[1] = (unsigned char)v; }

static void op_raw(void)
{
    unsigned char *p = (unsigned char *)FZ_ARENA + 20 * 4096;
    if (fz_below(4) == 0) {
        /* ICMPv6 to ::1: the kernel adds the header and the checksum */
        static const unsigned char types[] = { 1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, 143 };
        size_t n = 8 + fz_below(120);
        sfz_fill((char *)p, n);
        p[0] = fz_below(8) ? types[fz_below(sizeof types)] : (unsigned char)fz_rand();
        p[1] = (unsigned char)(fz_below(4) ? 0 : fz_rand());
        if (n >= 48 && fz_below(2)) { /* a quoted IPv6 header from ::1 to ::1 */
            memset(p + 8, 0, 40);
            p[8] = 0x60;
            p[14] = fz_below(2) ? IPPROTO_TCP : IPPROTO_UDP;
            p[15] = 64;
            p[8 + 23] = 1;
            p[8 + 39] = 1;
            sfz_put16(p + 12, (uint16_t)(n - 48));
        }
        struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        SC(SYS_sendto, sfz_fds[S_RAW6], p, n, MSG_DONTWAIT, &to, sizeof to);
        return;
    }
    /* IPv4 header: options, fragment fields, protocol */
    size_t opt = fz_below(4) ? 0 : 4 * fz_below(11);
    memset(p, 0, 60);
    p[0] = (unsigned char)(0x40 | (5 + opt / 4));
    if (fz_below(16) == 0)
        p[0] = (unsigned char)fz_rand();
    p[1] = (unsigned char)(fz_below(4) ? 0 : fz_rand());
    uint16_t fo = fz_below(3) ? 0x4000 : (uint16_t)((fz_below(2) ? 0x2000 : 0) | fz_below(8192));
    sfz_put16(p + 6, fo);
    p[8] = (unsigned char)(fz_below(8) ? 64 : fz_below(3));
    static const unsigned char protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, 0, 255 };
    p[9] = protos[fz_below(sizeof protos)];
    p[12] = 127; p[15] = 1;
    p[16] = 127; p[19] = 1;
    for (size_t i = 0; i < opt;) { /* NOP, EOL, record route, timestamp, router alert, garbage */
        static const unsigned char kinds[] = { 1, 0, 7, 68, 148, 131, 137 };
        unsigned char k = fz_below(8) ? kinds[fz_below(sizeof kinds)] : (unsigned char)fz_rand();
        p[20 + i] = k;
        if (k <= 1) { i++; continue; }
        size_t len = fz_below(4) ? 4 + 4 * fz_below(3) : fz_below(45);
        if (i + 1 < opt) p[21 + i] = (unsigned char)len;
        if (i + 2 < opt) p[22 + i] = (unsigned char)(fz_below(2) ? 5 : fz_below(48));
        i += len >= 2 ? len : 2;
    }
    size_t hl = 20 + opt, pl = fz_below(4) ? fz_below(64) : fz_below(2000);
    unsigned char *l4 = p + hl;
    sfz_fill((char *)l4, pl);
    uint16_t ports[] = { 7, 80, 5000, 65535 };
    int to_udp = 0;
    if (pl >= 20 && p[9] == IPPROTO_TCP) {
        /* TCP: ports of nothing or of the set-up's listener, options, a valid checksum */
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        uint16_t dport = (fz_below(2) && getsockname(sfz_fds[S_TCPL], (struct sockaddr *)&a, &al) == 0)
                             ? ntohs(a.sin_port) : ports[fz_below(4)];
        sfz_put16(l4 + 2, dport);
        size_t doff = 20 + 4 * fz_below(11);
        if (doff > pl) doff = 20;
        l4[12] = (unsigned char)((fz_below(16) ? doff / 4 : fz_below(16)) << 4);
        l4[13] = (unsigned char)(fz_below(2) ? 0x02 : fz_rand());
        l4[16] = l4[17] = 0;
        to_udp = 1;
    } else if (pl >= 8 && p[9] == IPPROTO_UDP) {
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        uint16_t dport = (fz_below(2) && getsockname(sfz_fds[S_UDP4], (struct sockaddr *)&a, &al) == 0)
                             ? ntohs(a.sin_port) : ports[fz_below(4)];
        sfz_put16(l4 + 2, dport);
        sfz_put16(l4 + 4, (uint16_t)(fz_below(8) ? pl : fz_rand()));
        l4[6] = l4[7] = 0;
        to_udp = 2;
    } else if (pl >= 8 && p[9] == IPPROTO_ICMP) {
        static const unsigned char types[] = { 0, 3, 4, 5, 8, 11, 12, 13, 14 };
        l4[0] = types[fz_below(sizeof types)];
        l4[1] = (unsigned char)fz_below(16);
        if (pl >= 36 && fz_below(2)) { /* a quoted header: 127.0.0.1 to itself */
            memset(l4 + 8, 0, 20);
            l4[8] = 0x45;
            l4[17] = (unsigned char)(fz_below(2) ? IPPROTO_TCP : IPPROTO_UDP);
            l4[20] = 127; l4[23] = 1; l4[24] = 127; l4[27] = 1;
        }
        l4[2] = l4[3] = 0;
        sfz_put16(l4 + 2, sfz_csum(l4, pl, 0));
    }
    if (to_udp) {
        uint32_t ps = (127 << 8) + 1 + (127 << 8) + 1 + p[9] + (uint32_t)pl;
        sfz_put16(l4 + (to_udp == 1 ? 16 : 6), sfz_csum(l4, pl, ps));
    }
    size_t total = hl + pl;
    sfz_put16(p + 2, (uint16_t)total);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    SC(SYS_sendto, sfz_fds[S_RAW4], p, fz_below(16) ? total : fz_below(total + 1), MSG_DONTWAIT, &to, sizeof to);
    /* what arrived is read, so queues stay short */
    SC(SYS_recvfrom, sfz_fds[S_UDP4], FZ_ARENA + 48 * 4096, 8192, MSG_DONTWAIT, 0, 0);
    SC(SYS_recvfrom, sfz_fds[S_RAW4], FZ_ARENA + 48 * 4096, 8192, MSG_DONTWAIT, 0, 0);
}

#endif
