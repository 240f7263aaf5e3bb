// Ethernet framing and ARP (linux/if_ether.h, linux/if_arp.h).

export const ETH_ALEN = 6;
// Destination and source addresses and the EtherType (struct ethhdr).
export const ETH_HLEN = 14;
export const ETH_DATA_LEN = 1500;
// The shortest frame without its FCS: shorter ones are padded (ETH_ZLEN).
export const ETH_ZLEN = 60;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

// struct arphdr followed by Ethernet/IPv4 addresses (28 bytes).
export const ARP_HLEN = 28;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
// The neighbour table's flags as /proc/net/arp shows them (ATF_COM: completed).
export const ATF_COM = 0x02;

// net.ipv4.neigh.default: mcast_solicit and retrans_time (1 s), and the
// bytes queued for an unresolved neighbour (unres_qlen_bytes, 212992 with
// 4 KiB pages) before the oldest is dropped.
export const NEIGH_MCAST_SOLICIT = 3;
export const NEIGH_RETRANS_TIME_MS = 1000;
export const NEIGH_UNRES_QLEN_BYTES = 212992;
// base_reachable_time (30 s): a resolved entry is trusted this long.
export const NEIGH_REACHABLE_TIME_MS = 30_000;
