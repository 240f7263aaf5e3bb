// An Ethernet device (Linux's ether_setup/eth_type_trans on the way in and
// neigh_resolve_output on the way out): IP packets leave as Ethernet II
// frames to the next hop's MAC, resolved by ARP (net/ipv4/arp.c) for IPv4
// and by neighbour discovery (net/ipv6/ndisc.c, ndisc.ts) for IPv6, through
// the neighbour table in neighbour.ts; frames from the wire are checked for
// their destination and handed to ARP, to ND or to the IP layer.

import {
  ETH_ALEN, ETH_HLEN, ETH_ZLEN, ETH_DATA_LEN, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6, ARP_HLEN, ARPOP_REQUEST, ARPOP_REPLY,
} from "../../abi/ether.js";
import {
  IFF_UP, IFF_BROADCAST, IFF_RUNNING, IFF_MULTICAST, ARPHRD_ETHER, IPV4_VERSION, NDISC_NEIGHBOUR_SOLICITATION,
  NDISC_NEIGHBOUR_ADVERTISEMENT, NA_FLAG_SOLICITED, NA_FLAG_OVERRIDE,
} from "../../abi/inet.js";
import type { Kernel } from "../../kernel/kernel.js";
import { type IpAddr, v4, isV4, isAny, isMulticast, isBroadcast, sameAddr, solicitedNode, isLinkLocal6, linkLocalOf } from "../inet/addr.js";

// fe80::/64 (RFC 4291 §2.5.6).
const LINK_LOCAL_PREFIX = 64;
import { type NetDevice, type DevStats, netStack } from "../inet/stack.js";
import { staticRoute } from "../inet/netconf.js";
import type { NicBackend, NicConfig } from "./nic.js";
import { NeighbourTable } from "./neighbour.js";
import { ndiscPacket, parseNdisc, type NdiscMsg } from "./ndisc.js";

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(ETH_ALEN);

export class EtherDevice implements NetDevice {
  readonly name: string;
  readonly index: number;
  mtu: number;
  flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST;
  readonly addrs: { addr: IpAddr; prefix: number }[];
  readonly stats: DevStats = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0 };
  readonly hwaddr: Uint8Array;
  readonly type = ARPHRD_ETHER;
  readonly arp: NeighbourTable;

  constructor(readonly k: Kernel, readonly backend: NicBackend, cfg: NicConfig) {
    const stack = netStack(k);
    this.name = cfg.name;
    this.index = stack.devices.reduce((m, d) => Math.max(m, d.index), 0) + 1;
    this.mtu = cfg.mtu ?? ETH_DATA_LEN;
    // As on Linux, an Ethernet device with IPv6 has its link-local address
    // beside the configured ones, listed after them (narrower scope last).
    this.addrs = [...cfg.addrs, { addr: linkLocalOf(cfg.mac), prefix: LINK_LOCAL_PREFIX }];
    this.hwaddr = cfg.mac;
    // One table for both families, as Linux's arp_tbl and nd_tbl: a
    // request is ARP for an IPv4 next hop, a neighbour solicitation for an
    // IPv6 one (to its solicited-node group, or unicast to refresh).
    this.arp = new NeighbourTable(k, this, (target, mac) => {
      if (isV4(target)) this.arpSend(ARPOP_REQUEST, target, mac ?? ZERO_MAC, mac ?? BROADCAST_MAC);
      else this.ndiscSolicit(target, mac);
    });
    stack.devices.push(this);
    if (cfg.gateway) stack.defaultGateway = { dev: this, gw: cfg.gateway };
    if (cfg.gateway6) stack.defaultGateway6 = { dev: this, gw: cfg.gateway6 };
    // A frame from a host event is processed at once (its own bottom half)
    // and the kernel woken; one arriving during a syscall waits for its end.
    backend.onFrame = (frame) => { stack.bh(() => this.receive(frame)); k.kick(); };
  }

  // One IP packet out: to the MAC of the next hop (the destination when it is
  // on this link, else the gateway), broadcast and multicast mapped directly.
  xmit(pkt: Uint8Array): void {
    if (!(this.flags & IFF_UP)) return;
    const ip4 = pkt[0] >> 4 === IPV4_VERSION;
    const dst = ip4 ? v4(pkt[16], pkt[17], pkt[18], pkt[19]) : pkt.slice(24, 40);
    const type = ip4 ? ETH_P_IP : ETH_P_IPV6;
    if (isBroadcast(dst) || this.isSubnetBroadcast(dst)) { this.sendFrame(BROADCAST_MAC, type, pkt); return; }
    if (isMulticast(dst)) { this.sendFrame(multicastMac(dst), type, pkt); return; }
    const stack = netStack(this.k);
    const sr = this.onLink(dst) ? null : staticRoute(stack, dst);
    const hop = this.onLink(dst) ? dst : sr ? sr.gw ?? dst : (ip4 ? stack.defaultGateway?.gw : stack.defaultGateway6?.gw) ?? dst;
    const mac = this.arp.lookup(hop, pkt);
    if (mac) this.sendFrame(mac, type, pkt);
  }

  // A packet the neighbour table held until its next hop resolved.
  sendResolved(mac: Uint8Array, pkt: Uint8Array): void {
    this.sendFrame(mac, pkt[0] >> 4 === IPV4_VERSION ? ETH_P_IP : ETH_P_IPV6, pkt);
  }

  private sendFrame(dstMac: Uint8Array, type: number, payload: Uint8Array): void {
    // Short frames are padded to the Ethernet minimum, as a NIC does.
    const frame = new Uint8Array(Math.max(ETH_HLEN + payload.length, ETH_ZLEN));
    frame.set(dstMac, 0);
    frame.set(this.hwaddr, ETH_ALEN);
    frame[12] = type >> 8; frame[13] = type & 0xff;
    frame.set(payload, ETH_HLEN);
    this.stats.txPackets++; this.stats.txBytes += frame.length;
    this.backend.send(frame);
  }

  private onLink(a: IpAddr): boolean {
    return this.addrs.some((x) => isV4(x.addr) === isV4(a) && samePrefix(a, x.addr, x.prefix));
  }

  private isSubnetBroadcast(a: IpAddr): boolean {
    if (!isV4(a)) return false;
    return this.addrs.some((x) => isV4(x.addr) && x.prefix < 31 && samePrefix(a, x.addr, x.prefix) && hostBitsAllOnes(a, x.prefix));
  }

  // eth_type_trans: frames to this MAC, broadcast or multicast are taken;
  // others are another host's (PACKET_OTHERHOST) and dropped.
  receive(frame: Uint8Array): void {
    if (frame.length < ETH_HLEN) { this.stats.rxDropped++; return; }
    const to = frame.subarray(0, ETH_ALEN);
    if (!(to[0] & 1) && !sameMac(to, this.hwaddr)) { this.stats.rxDropped++; return; }
    this.stats.rxPackets++; this.stats.rxBytes += frame.length;
    const type = (frame[12] << 8) | frame[13];
    const payload = frame.subarray(ETH_HLEN);
    if (!(this.flags & IFF_UP)) return;
    if (type === ETH_P_IPV6) {
      const nd = parseNdisc(payload);
      if (nd) { this.ndiscInput(nd); return; }
    }
    if (type === ETH_P_IP || type === ETH_P_IPV6) netStack(this.k).netifRx(payload);
    else if (type === ETH_P_ARP) this.arpInput(payload);
    else this.stats.rxDropped++;
  }

  // arp_process: a request for one of our addresses is answered, and the
  // sender learnt; a reply (or any request) updates an entry we have.
  private arpInput(b: Uint8Array): void {
    if (b.length < ARP_HLEN) return;
    const htype = (b[0] << 8) | b[1], ptype = (b[2] << 8) | b[3];
    if (htype !== ARPHRD_ETHER || ptype !== ETH_P_IP || b[4] !== ETH_ALEN || b[5] !== 4) return;
    const op = (b[6] << 8) | b[7];
    const sha = b.slice(8, 14), spa = v4(b[14], b[15], b[16], b[17]), tpa = v4(b[24], b[25], b[26], b[27]);
    if (sha[0] & 1) return; // a multicast sender is bogus (arp_process drops it)
    const forUs = this.addrs.some((x) => sameAddr(x.addr, tpa));
    if (op === ARPOP_REQUEST && forUs) {
      this.arp.learn(spa, sha, true);
      this.arpSend(ARPOP_REPLY, spa, sha, sha, tpa);
      return;
    }
    this.arp.learn(spa, sha, forUs);
  }

  ndiscInput(m: NdiscMsg): void { ndiscInputOf(this, m); }

  sendNdisc(mac: Uint8Array, pkt: Uint8Array): void { this.sendFrame(mac, ETH_P_IPV6, pkt); }

  // A neighbour solicitation for target (ndisc_send_ns): from the address
  // of ours on its prefix (else any of ours, link-local last) to its
  // solicited-node group, or to itself when refreshing a known MAC.
  private ndiscSolicit(target: IpAddr, mac: Uint8Array | null): void {
    const mine = this.addrs.filter((x) => !isV4(x.addr));
    const src = (mine.find((x) => samePrefix(target, x.addr, x.prefix)) ?? mine.find((x) => !isLinkLocal6(x.addr)) ?? mine[0])?.addr;
    if (!src) return;
    const dst = mac ? target : solicitedNode(target);
    this.sendNdisc(mac ?? multicastMac(dst), ndiscPacket(NDISC_NEIGHBOUR_SOLICITATION, src, dst, target, 0, this.hwaddr));
  }

  // An ARP packet: a request (broadcast, or unicast to refresh an entry) or a reply.
  private arpSend(op: number, target: IpAddr, tha: Uint8Array, dstMac: Uint8Array, from?: IpAddr): void {
    const src = from ?? this.addrs.find((x) => isV4(x.addr) && samePrefix(target, x.addr, x.prefix))?.addr ?? this.addrs.find((x) => isV4(x.addr))?.addr;
    if (!src) return;
    const b = new Uint8Array(ARP_HLEN);
    b[0] = ARPHRD_ETHER >> 8; b[1] = ARPHRD_ETHER & 0xff; b[2] = ETH_P_IP >> 8; b[3] = ETH_P_IP & 0xff;
    b[4] = ETH_ALEN; b[5] = 4; b[6] = op >> 8; b[7] = op & 0xff;
    b.set(this.hwaddr, 8); b.set(src.subarray(12), 14);
    b.set(tha, 18); b.set(target.subarray(12), 24);
    this.sendFrame(dstMac, ETH_P_ARP, b);
  }
}

// ndisc_rcv: a solicitation for one of our addresses is answered
// (solicited, override) and its sender learnt; an advertisement updates an
// entry we have (ndisc_recv_na; unsolicited ones create none).
function ndiscInputOf(dev: EtherDevice, m: NdiscMsg): void {
  const ours = dev.addrs.some((x) => sameAddr(x.addr, m.target));
  if (m.type === NDISC_NEIGHBOUR_SOLICITATION) {
    if (!ours) return;
    const dad = isAny(m.src);
    if (!dad && m.lladdr) dev.arp.learn(m.src, m.lladdr, true);
    // A duplicate address probe is answered to all nodes, unsolicited (RFC 4861 §7.2.4).
    const to = dad ? ALL_NODES : m.src;
    const mac = dad ? multicastMac(ALL_NODES) : m.lladdr;
    if (!mac) return; // no option: the answer would need a solicitation of our own first
    dev.sendNdisc(mac, ndiscPacket(NDISC_NEIGHBOUR_ADVERTISEMENT, m.target, to, m.target,
      (dad ? 0 : NA_FLAG_SOLICITED) | NA_FLAG_OVERRIDE, dev.hwaddr));
    return;
  }
  if (m.lladdr && !ours) dev.arp.learn(m.target, m.lladdr, false);
}

// ff02::1, every node on the link.
const ALL_NODES = (() => { const a = new Uint8Array(16); a[0] = 0xff; a[1] = 0x02; a[15] = 1; return a; })();

// RFC 1112 §6.4 and RFC 2464 §7: a multicast group's MAC address.
export function multicastMac(a: IpAddr): Uint8Array {
  if (isV4(a)) return new Uint8Array([0x01, 0x00, 0x5e, a[13] & 0x7f, a[14], a[15]]);
  return new Uint8Array([0x33, 0x33, a[12], a[13], a[14], a[15]]);
}

export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[i] !== b[i]) return false;
  return true;
}

function samePrefix(a: IpAddr, net: IpAddr, prefix: number): boolean {
  const bits = isV4(net) ? 96 + prefix : prefix;
  for (let i = 0; i < bits; i++) {
    const m = 0x80 >> (i & 7);
    if ((a[i >> 3] & m) !== (net[i >> 3] & m)) return false;
  }
  return true;
}

function hostBitsAllOnes(a: IpAddr, prefix: number): boolean {
  for (let i = 96 + prefix; i < 128; i++) if (!(a[i >> 3] & (0x80 >> (i & 7)))) return false;
  return true;
}
