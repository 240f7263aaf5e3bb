// IPv6 neighbour discovery's two messages (RFC 4861 §4.3, §4.4; Linux's
// net/ipv6/ndisc.c): a neighbour solicitation asks who holds a target
// address, a neighbour advertisement answers with its link-layer address.
// They are IPv6's ARP: the guest's eth0 (ether.ts) and the user-mode NAT's
// end of the link (usernet_ether.ts) both build and parse them here. No
// Node import: the browser's eth0 uses this module too.

import { ETH_ALEN } from "../../abi/ether.js";
import { IPPROTO_ICMPV6 } from "../../abi/socket.js";
import {
  IPV6_VERSION, IPV6_HLEN, NDISC_NEIGHBOUR_SOLICITATION, NDISC_NEIGHBOUR_ADVERTISEMENT, NDISC_MSG_LEN, NDISC_HOP_LIMIT,
  ND_OPT_SOURCE_LL_ADDR, ND_OPT_TARGET_LL_ADDR,
} from "../../abi/inet.js";
import { type IpAddr, isMulticast, isAny } from "../inet/addr.js";
import { transportChecksum } from "../inet/stack.js";

// A link-layer address option for Ethernet: type, length in 8-byte units, the MAC.
const ND_OPT_LL_LEN = 8;

export interface NdiscMsg {
  type: number; // NDISC_NEIGHBOUR_SOLICITATION or NDISC_NEIGHBOUR_ADVERTISEMENT
  src: IpAddr;
  dst: IpAddr;
  target: IpAddr;
  flags: number; // an advertisement's R, S, O bits
  lladdr: Uint8Array | null; // the source (NS) or target (NA) link-layer address option
}

// One ND message as a whole IPv6 packet, hop limit 255 (a receiver drops
// any other: the message cannot have crossed a router). `lladdr`: the
// option to carry (omitted when null, as an NS from the unspecified address must).
export function ndiscPacket(type: number, src: IpAddr, dst: IpAddr, target: IpAddr, flags: number, lladdr: Uint8Array | null): Uint8Array {
  const len = NDISC_MSG_LEN + (lladdr ? ND_OPT_LL_LEN : 0);
  const pkt = new Uint8Array(IPV6_HLEN + len);
  const dv = new DataView(pkt.buffer);
  dv.setUint32(0, (IPV6_VERSION << 28) >>> 0, false);
  dv.setUint16(4, len, false);
  pkt[6] = IPPROTO_ICMPV6;
  pkt[7] = NDISC_HOP_LIMIT;
  pkt.set(src, 8);
  pkt.set(dst, 24);
  const msg = pkt.subarray(IPV6_HLEN);
  msg[0] = type;
  if (type === NDISC_NEIGHBOUR_ADVERTISEMENT) msg[4] = flags;
  msg.set(target, 8);
  if (lladdr) {
    msg[NDISC_MSG_LEN] = type === NDISC_NEIGHBOUR_SOLICITATION ? ND_OPT_SOURCE_LL_ADDR : ND_OPT_TARGET_LL_ADDR;
    msg[NDISC_MSG_LEN + 1] = 1;
    msg.set(lladdr, NDISC_MSG_LEN + 2);
  }
  const sum = transportChecksum(src, dst, IPPROTO_ICMPV6, msg);
  msg[2] = sum >> 8; msg[3] = sum & 0xff;
  return pkt;
}

// An IPv6 packet if it is a valid NS or NA (RFC 4861 §7.1.1, §7.1.2: hop
// limit 255, code 0, checksum right, a target that is not multicast, an
// NA's solicited flag never on one to a multicast group, options of
// non-zero length), else null.
export function parseNdisc(pkt: Uint8Array): NdiscMsg | null {
  if (pkt.length < IPV6_HLEN + NDISC_MSG_LEN || pkt[0] >> 4 !== IPV6_VERSION) return null;
  if (pkt[6] !== IPPROTO_ICMPV6 || pkt[7] !== NDISC_HOP_LIMIT) return null;
  const plen = (pkt[4] << 8) | pkt[5];
  if (plen < NDISC_MSG_LEN || IPV6_HLEN + plen > pkt.length) return null;
  const msg = pkt.subarray(IPV6_HLEN, IPV6_HLEN + plen);
  const type = msg[0];
  if ((type !== NDISC_NEIGHBOUR_SOLICITATION && type !== NDISC_NEIGHBOUR_ADVERTISEMENT) || msg[1] !== 0) return null;
  const src = pkt.slice(8, 24), dst = pkt.slice(24, 40);
  if (transportChecksum(src, dst, IPPROTO_ICMPV6, msg) !== 0) return null;
  const target = msg.slice(8, 24);
  if (isMulticast(target)) return null;
  const flags = type === NDISC_NEIGHBOUR_ADVERTISEMENT ? msg[4] : 0;
  let lladdr: Uint8Array | null = null;
  const want = type === NDISC_NEIGHBOUR_SOLICITATION ? ND_OPT_SOURCE_LL_ADDR : ND_OPT_TARGET_LL_ADDR;
  for (let off = NDISC_MSG_LEN; off + 2 <= msg.length;) {
    const olen = msg[off + 1] * 8;
    if (olen === 0 || off + olen > msg.length) return null;
    if (msg[off] === want && olen >= 2 + ETH_ALEN) lladdr = msg.slice(off + 2, off + 2 + ETH_ALEN);
    off += olen;
  }
  // An NS from the unspecified address (duplicate address detection) carries no source option.
  if (type === NDISC_NEIGHBOUR_SOLICITATION && isAny(src) && lladdr) return null;
  return { type, src, dst, target, flags, lladdr };
}
