// Netlink and rtnetlink (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h): message headers, flags, and the NETLINK_ROUTE messages
// and attributes Ghost answers.

export const NETLINK_ROUTE = 0;
export const SOL_NETLINK_LEVEL = 270;

// struct nlmsghdr, and the alignment of messages and attributes.
export const NLMSG_HDRLEN = 16;
export const NLMSG_ALIGNTO = 4;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of a NEW request (the same bits as GET's ROOT and MATCH).
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_GETNEIGH = 30;

// struct ndmsg (12 bytes: family, pad, ifindex, state, flags, type), its
// attributes and the neighbour states (linux/neighbour.h).
export const NDMSG_SIZE = 12;
export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_CACHEINFO = 3;
export const NDA_PROBES = 4;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
// struct nda_cacheinfo: ndm_confirmed, ndm_used, ndm_updated (ages in clock ticks), ndm_refcnt.
export const NDA_CACHEINFO_SIZE = 16;
// clock_t's unit in what the kernel reports (USER_HZ).
export const USER_HZ = 100;

// struct ifinfomsg (16 bytes), struct ifaddrmsg (8), struct rtmsg (12).
export const IFINFOMSG_SIZE = 16;
export const IFADDRMSG_SIZE = 8;
export const RTMSG_SIZE = 12;
export const RTA_HDRLEN = 4;

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_QDISC = 6;
export const IFLA_STATS = 7;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_DOWN = 2;
export const IF_OPER_UP = 6;
export const IFF_LOWER_UP = 0x10000;
// struct rtnl_link_stats: 24 32-bit counters.
export const RTNL_LINK_STATS_SIZE = 96;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
// struct ifa_cacheinfo: ifa_prefered, ifa_valid (seconds, INFINITY_LIFE_TIME
// for a static address), cstamp, tstamp (hundredths of a second since boot).
export const IFA_CACHEINFO_SIZE = 16;
export const INFINITY_LIFE_TIME = 0xffffffff;
export const IFA_F_PERMANENT = 0x80;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RTN_UNICAST = 1;
export const RTN_MULTICAST = 5;
export const IP6_RT_PRIO_ADDRCONF = 256;
// The metric of a default route added by hand or by a router advertisement (IP6_RT_PRIO_USER).
export const IP6_RT_PRIO_USER = 1024;
