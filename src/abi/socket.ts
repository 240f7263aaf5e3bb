// Sockets for riscv64: families, types, options, message flags and the
// address/message layouts (asm-generic/socket.h, asm-generic/sockios.h,
// linux/socket.h, linux/in.h, linux/in6.h, linux/un.h, linux/tcp.h).
// 64-bit, so SO_TIMESTAMP* and SO_RCVTIMEO/SO_SNDTIMEO mean the "_OLD" numbers.

import { struct, bytes } from "./struct.js";

// address families (PF_* equal AF_*)
export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_LOCAL = AF_UNIX;
export const AF_INET = 2;
export const AF_AX25 = 3;
export const AF_IPX = 4;
export const AF_APPLETALK = 5;
export const AF_NETROM = 6;
export const AF_BRIDGE = 7;
export const AF_ATMPVC = 8;
export const AF_X25 = 9;
export const AF_INET6 = 10;
export const AF_ROSE = 11;
export const AF_DECnet = 12;
export const AF_NETBEUI = 13;
export const AF_SECURITY = 14;
export const AF_KEY = 15;
export const AF_NETLINK = 16;
export const AF_ROUTE = AF_NETLINK;
export const AF_PACKET = 17;
export const AF_ASH = 18;
export const AF_ECONET = 19;
export const AF_ATMSVC = 20;
export const AF_RDS = 21;
export const AF_SNA = 22;
export const AF_IRDA = 23;
export const AF_PPPOX = 24;
export const AF_WANPIPE = 25;
export const AF_LLC = 26;
export const AF_IB = 27;
export const AF_MPLS = 28;
export const AF_CAN = 29;
export const AF_TIPC = 30;
export const AF_BLUETOOTH = 31;
export const AF_IUCV = 32;
export const AF_RXRPC = 33;
export const AF_ISDN = 34;
export const AF_PHONET = 35;
export const AF_IEEE802154 = 36;
export const AF_CAIF = 37;
export const AF_ALG = 38;
export const AF_NFC = 39;
export const AF_VSOCK = 40;
export const AF_KCM = 41;
export const AF_QIPCRTR = 42;
export const AF_SMC = 43;
export const AF_XDP = 44;
export const AF_MCTP = 45;
export const AF_MAX = 46;
export const PF_UNSPEC = AF_UNSPEC;
export const PF_UNIX = AF_UNIX;
export const PF_LOCAL = AF_LOCAL;
export const PF_INET = AF_INET;
export const PF_INET6 = AF_INET6;
export const PF_NETLINK = AF_NETLINK;
export const PF_PACKET = AF_PACKET;

// socket types; SOCK_NONBLOCK/SOCK_CLOEXEC are O_NONBLOCK/O_CLOEXEC on riscv64
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_DCCP = 6;
export const SOCK_PACKET = 10;
// One past the last socket type: a type at or past it is EINVAL (__sock_create).
export const SOCK_MAX = SOCK_PACKET + 1;
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

// socket option levels
export const SOL_IP = 0;
export const SOL_SOCKET = 1;
export const SOL_TCP = 6;
export const SOL_UDP = 17;
export const SOL_IPV6 = 41;
export const SOL_ICMPV6 = 58;
export const SOL_RAW = 255;
export const SOL_PACKET = 263;
export const SOL_NETLINK = 270;

// SOL_SOCKET options (asm-generic values)
export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_NO_CHECK = 11;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_BSDCOMPAT = 14;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO_OLD = 20;
export const SO_SNDTIMEO_OLD = 21;
export const SO_SECURITY_AUTHENTICATION = 22;
export const SO_SECURITY_ENCRYPTION_TRANSPORT = 23;
export const SO_SECURITY_ENCRYPTION_NETWORK = 24;
export const SO_BINDTODEVICE = 25;
export const SO_ATTACH_FILTER = 26;
export const SO_DETACH_FILTER = 27;
export const SO_GET_FILTER = SO_ATTACH_FILTER;
export const SO_PEERNAME = 28;
export const SO_TIMESTAMP_OLD = 29;
export const SO_ACCEPTCONN = 30;
export const SO_PEERSEC = 31;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_PASSSEC = 34;
export const SO_TIMESTAMPNS_OLD = 35;
export const SO_MARK = 36;
export const SO_TIMESTAMPING_OLD = 37;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;
export const SO_RXQ_OVFL = 40;
export const SO_WIFI_STATUS = 41;
export const SO_PEEK_OFF = 42;
export const SO_NOFCS = 43;
export const SO_LOCK_FILTER = 44;
export const SO_SELECT_ERR_QUEUE = 45;
export const SO_BUSY_POLL = 46;
export const SO_MAX_PACING_RATE = 47;
export const SO_BPF_EXTENSIONS = 48;
export const SO_INCOMING_CPU = 49;
export const SO_ATTACH_BPF = 50;
export const SO_DETACH_BPF = SO_DETACH_FILTER;
export const SO_ATTACH_REUSEPORT_CBPF = 51;
export const SO_ATTACH_REUSEPORT_EBPF = 52;
export const SO_CNX_ADVICE = 53;
export const SCM_TIMESTAMPING_OPT_STATS = 54;
export const SO_MEMINFO = 55;
export const SO_INCOMING_NAPI_ID = 56;
export const SO_COOKIE = 57;
export const SCM_TIMESTAMPING_PKTINFO = 58;
export const SO_PEERGROUPS = 59;
export const SO_ZEROCOPY = 60;
export const SO_TXTIME = 61;
export const SO_BINDTOIFINDEX = 62;
export const SO_TIMESTAMP_NEW = 63;
export const SO_TIMESTAMPNS_NEW = 64;
export const SO_TIMESTAMPING_NEW = 65;
export const SO_RCVTIMEO_NEW = 66;
export const SO_SNDTIMEO_NEW = 67;
export const SO_DETACH_REUSEPORT_BPF = 68;
export const SO_PREFER_BUSY_POLL = 69;
export const SO_BUSY_POLL_BUDGET = 70;
export const SO_NETNS_COOKIE = 71;
export const SO_BUF_LOCK = 72;
export const SO_RESERVE_MEM = 73;
export const SO_TXREHASH = 74;
export const SO_RCVMARK = 75;
/** Linux 6.5. */
export const SO_PASSPIDFD = 76;
/** Linux 6.5. */
export const SO_PEERPIDFD = 77;
/** Linux 6.12. */
export const SO_DEVMEM_LINEAR = 78;
export const SO_DEVMEM_DMABUF = 79;
export const SO_DEVMEM_DONTNEED = 80;
/** Linux 6.13. */
export const SCM_TS_OPT_ID = 81;
/** Linux 6.14. */
export const SO_RCVPRIORITY = 82;
// 64-bit spellings
export const SO_TIMESTAMP = SO_TIMESTAMP_OLD;
export const SO_TIMESTAMPNS = SO_TIMESTAMPNS_OLD;
export const SO_TIMESTAMPING = SO_TIMESTAMPING_OLD;
export const SO_RCVTIMEO = SO_RCVTIMEO_OLD;
export const SO_SNDTIMEO = SO_SNDTIMEO_OLD;
export const SCM_TIMESTAMP = SO_TIMESTAMP;
export const SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
export const SCM_TIMESTAMPING = SO_TIMESTAMPING;
export const SCM_WIFI_STATUS = SO_WIFI_STATUS;
export const SCM_TXTIME = SO_TXTIME;

// SOL_SOCKET control messages
export const SCM_RIGHTS = 0x01;
export const SCM_CREDENTIALS = 0x02;
export const SCM_SECURITY = 0x03;
/** Linux 6.5. */
export const SCM_PIDFD = 0x04;
/** Most fds one SCM_RIGHTS message may carry. */
export const SCM_MAX_FD = 253;

// send/recv flags
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_TRYHARD = 0x4;
export const MSG_CTRUNC = 0x8;
export const MSG_PROBE = 0x10;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_FIN = 0x200;
export const MSG_SYN = 0x400;
export const MSG_CONFIRM = 0x800;
export const MSG_RST = 0x1000;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x1_0000;
export const MSG_BATCH = 0x4_0000;
export const MSG_ZEROCOPY = 0x400_0000;
export const MSG_FASTOPEN = 0x2000_0000;
export const MSG_CMSG_CLOEXEC = 0x4000_0000;

// shutdown
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** Default and maximum listen() backlog (since Linux 5.4). */
export const SOMAXCONN = 4096;

// IP protocols
export const IPPROTO_IP = 0;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_EGP = 8;
export const IPPROTO_PUP = 12;
export const IPPROTO_UDP = 17;
export const IPPROTO_IDP = 22;
export const IPPROTO_TP = 29;
export const IPPROTO_DCCP = 33;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_RSVP = 46;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MTP = 92;
export const IPPROTO_BEETPH = 94;
export const IPPROTO_ENCAP = 98;
export const IPPROTO_PIM = 103;
export const IPPROTO_COMP = 108;
export const IPPROTO_L2TP = 115;
export const IPPROTO_MH = 135;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;
export const IPPROTO_MPLS = 137;
export const IPPROTO_ETHERNET = 143;
export const IPPROTO_RAW = 255;
export const IPPROTO_MPTCP = 262;

// SOL_IP options
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_HDRINCL = 3;
export const IP_OPTIONS = 4;
export const IP_PKTINFO = 8;
export const IP_MTU_DISCOVER = 10;
// IP_MTU_DISCOVER's values (linux/in.h).
export const IP_PMTUDISC_DONT = 0;
export const IP_PMTUDISC_WANT = 1;
export const IP_PMTUDISC_DO = 2;
export const IP_PMTUDISC_PROBE = 3;
export const IP_PMTUDISC_INTERFACE = 4;
export const IP_PMTUDISC_OMIT = 5;
export const IP_RECVERR = 11;
export const IP_RECVTTL = 12;
export const IP_MTU = 14;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;
export const IP_MULTICAST_ALL = 49;
// Protocol-independent group membership (linux/in.h, RFC 3678).
export const MCAST_JOIN_GROUP = 42;
export const MCAST_LEAVE_GROUP = 45;
// struct ip_mreq, struct ip_mreqn and struct group_req (gr_group at 8, a sockaddr_storage).
export const IP_MREQ_SIZE = 8;
export const IP_MREQN_SIZE = 12;
export const GROUP_REQ_SIZE = 136;
export const GROUP_REQ_GROUP = 8;
// struct ipv6_mreq: the group, then the interface index.
export const IPV6_MREQ_SIZE = 20;
// net.ipv4.igmp_max_memberships and net.ipv6.mld_max_msf's sibling default.
export const IGMP_MAX_MEMBERSHIPS = 20;

// SOL_IPV6 options
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_ADD_MEMBERSHIP = 20;
export const IPV6_DROP_MEMBERSHIP = 21;
export const IPV6_MTU_DISCOVER = 23;
export const IPV6_MTU = 24;
export const IPV6_DONTFRAG = 62;
// SOL_UDP options (linux/udp.h)
export const UDP_CORK = 1;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVERR = 25;
// struct sock_extended_err (linux/errqueue.h): ee_errno u32, ee_origin,
// ee_type, ee_code, ee_pad u8, ee_info u32, ee_data u32; the offender's
// sockaddr follows it in the control message (SO_EE_OFFENDER).
export const SOCK_EE_SIZE = 16;
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ICMP6 = 3;
export const IPV6_2292HOPLIMIT = 8;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;

// SOL_TCP options
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_SYNCNT = 7;
export const TCP_LINGER2 = 8;
export const TCP_DEFER_ACCEPT = 9;
export const TCP_WINDOW_CLAMP = 10;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_CONGESTION = 13;
export const TCP_MD5SIG = 14;
export const TCP_THIN_LINEAR_TIMEOUTS = 16;
export const TCP_THIN_DUPACK = 17;
export const TCP_USER_TIMEOUT = 18;
export const TCP_REPAIR = 19;
export const TCP_REPAIR_QUEUE = 20;
export const TCP_QUEUE_SEQ = 21;
export const TCP_REPAIR_OPTIONS = 22;
export const TCP_FASTOPEN = 23;
export const TCP_TIMESTAMP = 24;
export const TCP_NOTSENT_LOWAT = 25;
export const TCP_CC_INFO = 26;
export const TCP_SAVE_SYN = 27;
export const TCP_SAVED_SYN = 28;
export const TCP_REPAIR_WINDOW = 29;
export const TCP_FASTOPEN_CONNECT = 30;
export const TCP_ULP = 31;
export const TCP_MD5SIG_EXT = 32;
export const TCP_FASTOPEN_KEY = 33;
export const TCP_FASTOPEN_NO_COOKIE = 34;
export const TCP_ZEROCOPY_RECEIVE = 35;
export const TCP_INQ = 36;
export const TCP_CM_INQ = TCP_INQ;
export const TCP_TX_DELAY = 37;

// well-known IPv4 addresses (host byte order)
export const INADDR_ANY = 0x0000_0000;
export const INADDR_BROADCAST = 0xffff_ffff;
export const INADDR_NONE = 0xffff_ffff;
export const INADDR_LOOPBACK = 0x7f00_0001;

// socket ioctls (asm-generic/sockios.h, linux/sockios.h)
export const FIOSETOWN = 0x8901;
export const SIOCSPGRP = 0x8902;
export const FIOGETOWN = 0x8903;
export const SIOCGPGRP = 0x8904;
export const SIOCATMARK = 0x8905;
export const SIOCGSTAMP_OLD = 0x8906;
export const SIOCGSTAMPNS_OLD = 0x8907;
export const SIOCGIFNAME = 0x8910;
export const SIOCGIFCONF = 0x8912;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const SIOCGIFADDR = 0x8915;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;
export const SIOCOUTQNSD = 0x894b;

/** struct sockaddr. */
export const sockaddr = struct("struct sockaddr", 16, {
  sa_family: [0, "u16"],
  sa_data: [2, bytes(14)],
}, 2);

/** struct sockaddr_storage (__kernel_sockaddr_storage). */
export const _K_SS_MAXSIZE = 128;
export const sockaddr_storage = struct("struct sockaddr_storage", 128, {
  ss_family: [0, "u16"],
}, 8);

/** struct sockaddr_in; port and address are in network byte order (big-endian). */
export const sockaddr_in = struct("struct sockaddr_in", 16, {
  sin_family: [0, "u16"],
  sin_port: [2, "u16"],
  sin_addr: [4, "u32"],
  __pad: [8, bytes(8)],
}, 4);

/** struct sockaddr_in6. */
export const sockaddr_in6 = struct("struct sockaddr_in6", 28, {
  sin6_family: [0, "u16"],
  sin6_port: [2, "u16"],
  sin6_flowinfo: [4, "u32"],
  sin6_addr: [8, bytes(16)],
  sin6_scope_id: [24, "u32"],
}, 4);

export const UNIX_PATH_MAX = 108;
/** struct sockaddr_un. */
export const sockaddr_un = struct("struct sockaddr_un", 110, {
  sun_family: [0, "u16"],
  sun_path: [2, bytes(UNIX_PATH_MAX)],
}, 2);

/** struct sockaddr_nl (AF_NETLINK). */
export const sockaddr_nl = struct("struct sockaddr_nl", 12, {
  nl_family: [0, "u16"],
  nl_pad: [2, "u16"],
  nl_pid: [4, "u32"],
  nl_groups: [8, "u32"],
}, 4);

/** struct iovec. */
export const iovec = struct("struct iovec", 16, {
  iov_base: [0, "u64"],
  iov_len: [8, "u64"],
});
/** Most iovecs one call takes (UIO_MAXIOV). */
export const UIO_MAXIOV = 1024;

/** struct user_msghdr (what sendmsg/recvmsg read from user space). */
export const msghdr = struct("struct user_msghdr", 56, {
  msg_name: [0, "u64"],
  msg_namelen: [8, "i32"],
  msg_iov: [16, "u64"],
  msg_iovlen: [24, "u64"],
  msg_control: [32, "u64"],
  msg_controllen: [40, "u64"],
  msg_flags: [48, "u32"],
});

/** struct mmsghdr (sendmmsg/recvmmsg). */
export const mmsghdr = struct("struct mmsghdr", 64, {
  msg_hdr: [0, bytes(56)],
  msg_len: [56, "u32"],
});

/** struct cmsghdr; data follows at CMSG_DATA_OFFSET. */
export const cmsghdr = struct("struct cmsghdr", 16, {
  cmsg_len: [0, "u64"],
  cmsg_level: [8, "i32"],
  cmsg_type: [12, "i32"],
});
export const CMSG_DATA_OFFSET = 16;
export const CMSG_ALIGN = (len: number): number => (len + 7) & ~7;
export const CMSG_LEN = (len: number): number => CMSG_DATA_OFFSET + len;
export const CMSG_SPACE = (len: number): number => CMSG_DATA_OFFSET + CMSG_ALIGN(len);

/** struct ucred (SO_PEERCRED, SCM_CREDENTIALS). */
export const ucred = struct("struct ucred", 12, {
  pid: [0, "i32"],
  uid: [4, "u32"],
  gid: [8, "u32"],
}, 4);

/** struct linger (SO_LINGER). */
export const linger = struct("struct linger", 8, {
  l_onoff: [0, "i32"],
  l_linger: [4, "i32"],
}, 4);

// /proc/net/unix's columns (unix_seq_show): a listener's flag (__SO_ACCEPTCON
// of linux/net.h) and the socket states of socket_state.
export const __SO_ACCEPTCON = 1 << 16;
export const SS_UNCONNECTED = 1;
export const SS_CONNECTING = 2;
export const SS_CONNECTED = 3;
