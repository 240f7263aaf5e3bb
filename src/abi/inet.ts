// The wire formats and protocol numbers of IPv4, IPv6, ICMP, UDP and TCP
// (linux/ip.h, linux/ipv6.h, linux/icmp.h, linux/icmpv6.h, linux/udp.h,
// linux/tcp.h, net/tcp_states.h) and the loopback defaults Linux uses.

// IPv4 header (RFC 791), without options.
export const IPV4_VERSION = 4;
export const IPV4_HLEN = 20;
// struct iphdr's daddr: the destination address's offset in an IPv4 header.
export const IPV4_DADDR = 16;
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFMASK = 0x1fff;
export const IPDEFTTL = 64;
// IPv6 fixed header (RFC 8200).
export const IPV6_VERSION = 6;
export const IPV6_HLEN = 40;
// Largest datagram payloads: 65535 less the IP and UDP headers.
export const IP_MAXPACKET = 65535;

// ICMP (RFC 792) and ICMPv6 (RFC 4443) types and codes.
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_HOST_UNREACH = 1;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PORT_UNREACH = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
// Time exceeded, for a datagram whose fragments did not all come in time.
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_EXC_FRAGTIME = 1;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_EXC_FRAGTIME = 1;
export const ICMP_HLEN = 8;
// Neighbour discovery (RFC 4861, linux/ndisc.h): the message types, the
// NA flags (in its first byte after the ICMPv6 header), the link-layer
// address options, and the hop limit every ND message carries.
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;
export const ND_OPT_SOURCE_LL_ADDR = 1;
export const ND_OPT_TARGET_LL_ADDR = 2;
// The header (type, code, checksum, 4 reserved/flag bytes) and the target address.
export const NDISC_MSG_LEN = 24;
export const NDISC_HOP_LIMIT = 255;
// /proc/net/if_inet6's scope column (IPV6_ADDR_* of net/ipv6.h).
export const IPV6_ADDR_LOOPBACK = 0x0010;
export const IPV6_ADDR_LINKLOCAL = 0x0020;
export const IPV6_ADDR_SITELOCAL = 0x0040;
// Raw ICMP socket options: ICMP_FILTER at SOL_RAW (linux/icmp.h),
// ICMPV6_FILTER at SOL_ICMPV6 (linux/icmpv6.h), IPV6_CHECKSUM (linux/in6.h).
export const ICMP_FILTER = 1;
export const ICMPV6_FILTER = 1;
export const IPV6_CHECKSUM = 7;

export const UDP_HLEN = 8;

// TCP header (RFC 9293) flags and option kinds.
export const TCP_HLEN = 20;
export const TCPHDR_FIN = 0x01;
export const TCPHDR_SYN = 0x02;
export const TCPHDR_RST = 0x04;
export const TCPHDR_PSH = 0x08;
export const TCPHDR_ACK = 0x10;
export const TCPHDR_URG = 0x20;
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCP_MAX_WSCALE = 14;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOLEN_TIMESTAMP = 10;
// Timestamps behind two NOPs, as Linux sends them on every segment.
export const TCPOLEN_TSTAMP_ALIGNED = 12;
export const TCPOLEN_SACK_PERBLOCK = 8;
// tcp_info's tcpi_options bits (linux/tcp.h).
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;

// TCP states as Linux numbers them (net/tcp_states.h; /proc/net/tcp shows them).
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

// struct linger (SO_LINGER).
export const LINGER_SIZE = 8;

// Interface flags (linux/if.h).
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_MULTICAST = 0x1000;
export const IFNAMSIZ = 16;

// Network device ioctls not in socket.ts (linux/sockios.h).
export const SIOCGIFDSTADDR = 0x8917;
export const SIOCGIFBRDADDR = 0x8919;
export const SIOCGIFNETMASK = 0x891b;
export const SIOCSIFADDR = 0x8916;
export const SIOCSIFNETMASK = 0x891c;
export const SIOCSIFMTU = 0x8922;
export const SIOCGIFMETRIC = 0x891d;
export const SIOCGIFTXQLEN = 0x8942;
// struct ifreq: the name, then a 24-byte union (an address, flags, an index, an MTU…).
export const IFREQ_SIZE = 40;
export const IFR_UNION = 16;
// struct ifconf on a 64-bit ABI: int ifc_len, padding, the buffer pointer.
export const IFCONF_SIZE = 16;
export const IFC_BUF = 8;
// ARPHRD_* link types (linux/if_arp.h).
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
// Route flags (linux/route.h).
export const RTF_UP = 0x1;
export const RTF_GATEWAY = 0x2;
