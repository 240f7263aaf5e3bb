// The IP layer of one kernel (Linux's net/ipv4/ip_input.c, ip_output.c,
// net/ipv6/ip6_input.c, ip6_output.c, reimplemented): the devices, building
// and parsing IPv4/IPv6 headers with their checksums, routing to a device,
// and handing what arrives to its transport protocol. Packets sent to a
// local address go through the loopback device's queue, which is drained
// in order by whoever queued first (Linux's netif_rx backlog run at the end
// of the sending call), so a reply a packet provokes never re-enters the
// code that is still sending.

import { kerr, KernelError } from "../../lib/errors.js";
import { ENETUNREACH, EMSGSIZE, ECONNREFUSED, EHOSTUNREACH } from "../../abi/errno.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IP_PMTUDISC_DONT, IP_PMTUDISC_WANT, IP_PMTUDISC_DO, IP_PMTUDISC_OMIT } from "../../abi/socket.js";
import {
  IPV4_HLEN, IPV6_HLEN, IPV4_VERSION, IPV6_VERSION, IP_DF, IP_MF, IP_OFFMASK, IPDEFTTL, IP_MAXPACKET,
  IFF_UP, IFF_LOOPBACK, IFF_RUNNING, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_ECHOREPLY, ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, ICMP_HLEN, ICMP_PORT_UNREACH, ICMPV6_PORT_UNREACH, RTF_UP, RTF_GATEWAY, ICMP_HOST_UNREACH, ICMPV6_ADDR_UNREACH,
  ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, ICMPV6_TIME_EXCEED, ICMPV6_EXC_FRAGTIME,
} from "../../abi/inet.js";
import { KernelLocal } from "../../kernel/local.js";
import type { Kernel } from "../../kernel/kernel.js";
import { type IpAddr, isV4, isAny, sameAddr, isLoopback, isLinkLocal6, isMulticast, V4_LOOPBACK, V6_LOOPBACK, v4 } from "./addr.js";
import { PortTable } from "./ports.js";
import { V4Reassembler, fragmentV4, isV4Fragment, fragmentV6, isV6Fragment } from "./ip_frag.js";
import { mcastJoined } from "./mcast.js";
import { type StaticRoute, staticRoute } from "./netconf.js";

// ICMP sockets (icmp_sock.ts) register here, to see each ICMP packet that arrives.
let icmpSockets: ((stack: NetStack, p: IpPacket) => void) | null = null;
let icmpSocketsErr: ((stack: NetStack, e: IcmpError) => void) | null = null;
export function setIcmpSocketsInput(fn: (stack: NetStack, p: IpPacket) => void, err: (stack: NetStack, e: IcmpError) => void): void {
  icmpSockets = fn;
  icmpSocketsErr = err;
}

export interface DevStats { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; rxDropped: number }

export interface NetDevice {
  readonly name: string;
  readonly index: number;
  mtu: number;
  flags: number;
  readonly addrs: { addr: IpAddr; prefix: number }[];
  readonly stats: DevStats;
  readonly hwaddr: Uint8Array; // 6 bytes
  // Puts one IP packet on the link.
  xmit(pkt: Uint8Array): void;
}

// A parsed IP packet as the transports see it.
export interface IpPacket {
  v6: boolean;
  src: IpAddr;
  dst: IpAddr;
  proto: number;
  ttl: number;
  payload: Uint8Array;
  raw: Uint8Array; // the whole packet, for ICMP errors
  // The transport checksum need not be verified: the packet never left
  // this host (Linux's loopback marks it CHECKSUM_UNNECESSARY).
  csumOk: boolean;
}

// What an ICMP error says about a packet we sent: its addresses and the
// first bytes of its transport header.
// `from`: the ICMP message's sender (the offender IP_RECVERR reports), with its type and code.
export interface IcmpError { errno: number; src: IpAddr; dst: IpAddr; header: Uint8Array; v6: boolean; type: number; code: number; from: IpAddr }

// What a socket may ask of one packet's output beyond its addresses: the
// device (a multicast route's), looping a group's datagram back, IPV6_DONTFRAG.
export interface OutputOpts { dev?: NetDevice; mcLoop?: boolean; dontfrag?: boolean }

export interface Transport {
  input(pkt: IpPacket): void;
  error?(e: IcmpError): void;
}

// The Internet checksum (RFC 1071): the ones' complement sum, unfolded.
export function csumAdd(sum: number, b: Uint8Array, off = 0, len = b.length - off): number {
  const end = off + len;
  let i = off;
  for (; i + 7 < end; i += 8) sum += ((b[i] << 8) | b[i + 1]) + ((b[i + 2] << 8) | b[i + 3]) + ((b[i + 4] << 8) | b[i + 5]) + ((b[i + 6] << 8) | b[i + 7]);
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  return sum;
}
export function csumFold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

// The transport checksum over the pseudo-header (RFC 768, RFC 8200 §8.1) and `seg`.
export function transportChecksum(src: IpAddr, dst: IpAddr, proto: number, seg: Uint8Array): number {
  let s = 0;
  if (isV4(src) && isV4(dst)) {
    s = csumAdd(s, src, 12, 4);
    s = csumAdd(s, dst, 12, 4);
    s += proto + seg.length;
  } else {
    s = csumAdd(s, src);
    s = csumAdd(s, dst);
    s += Math.floor(seg.length / 0x10000) + (seg.length & 0xffff) + proto;
  }
  return csumFold(csumAdd(s, seg));
}

// The loopback device: what it transmits it receives.
class Loopback implements NetDevice {
  readonly name = "lo";
  readonly index = 1;
  mtu = 65536;
  flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  readonly addrs = [{ addr: V4_LOOPBACK, prefix: 8 }, { addr: V6_LOOPBACK, prefix: 128 }];
  readonly stats: DevStats = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0 };
  readonly hwaddr = new Uint8Array(6);
  constructor(private readonly stack: NetStack) {}
  xmit(pkt: Uint8Array): void {
    this.stats.txPackets++; this.stats.txBytes += pkt.length;
    this.stats.rxPackets++; this.stats.rxBytes += pkt.length;
    this.stack.netifRx(pkt, true);
  }
}

// net.ipv4.ip_local_port_range.
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;
// net.ipv4.tcp_max_tw_buckets as Linux sizes it for 512 MiB of RAM (half its established hash: 65,536 buckets).
export const TCP_MAX_TW_BUCKETS = 32768;

export class NetStack {
  readonly devices: NetDevice[] = [];
  readonly lo: Loopback;
  private readonly backlog: Uint8Array[] = [];
  private readonly backlogTrusted: boolean[] = [];
  private draining = false;
  private readonly transports = new Map<number, Transport>();
  readonly tcpPorts = new PortTable();
  readonly udpPorts = new PortTable();
  private ipId = 1;
  portRange: [number, number] = [EPHEMERAL_LOW, EPHEMERAL_HIGH];
  // Connections in TIME_WAIT, and net.ipv4.tcp_max_tw_buckets: past it a
  // connection that would enter TIME_WAIT closes at once (tcp_time_wait's
  // overflow).
  timeWaitCount = 0;
  maxTwBuckets = TCP_MAX_TW_BUCKETS;
  // The IPv4 and IPv6 default routes (the user-mode NAT's gateway), if any.
  defaultGateway: { dev: NetDevice; gw: IpAddr } | null = null;
  defaultGateway6: { dev: NetDevice; gw: IpAddr } | null = null;
  // Routes root added (`ip route add`; netconf.ts), besides the devices' prefix routes and the default ones.
  staticRoutes: StaticRoute[] = [];
  // The port ids bound by netlink sockets (net/netlink.ts).
  readonly netlinkPids = new Set<number>();

  // Fragments waiting for the rest of their datagram, charged to guest
  // memory as the sockets' queues are (ip_frag.ts).
  readonly reasm: V4Reassembler;

  constructor(readonly k: Kernel) {
    const mem = k.phys.mem;
    this.reasm = new V4Reassembler({
      now: () => k.clock.monotonic(),
      timer: (ns, fn) => k.timers.addCoarse(k.clock.monotonic() + ns, () => this.bh(fn)),
      charge: (d) => { if (d < 0) { mem.uncharge("sock", -d); return true; } return mem.tryCharge("sock", d); },
      expired: (first) => this.fragExpired(first),
    });
    this.lo = new Loopback(this);
    this.devices.push(this.lo);
    // An error quoting an echo request is the ping socket's that sent it (ping_err).
    const icmp: Transport = { input: (p) => this.icmpInput(p), error: (e) => icmpSocketsErr?.(this, e) };
    this.transports.set(IPPROTO_ICMP, icmp);
    this.transports.set(IPPROTO_ICMPV6, icmp);
  }

  register(proto: number, t: Transport): void { this.transports.set(proto, t); }

  // Whether `a` is one of this host's addresses (bind's EADDRNOTAVAIL test).
  isLocal(a: IpAddr): boolean {
    if (isAny(a)) return true;
    if (isV4(a) && a[12] === 127) return true;
    return this.devices.some((d) => d.addrs.some((x) => sameAddr(x.addr, a)));
  }

  // The device a packet to `dst` leaves by and the source address it gets
  // (Linux's route lookup with its preferred source); ENETUNREACH without a route.
  route(dst: IpAddr): { dev: NetDevice; src: IpAddr } {
    if (this.isLocal(dst) || isLoopback(dst)) {
      if (isLoopback(dst) || isAny(dst)) return { dev: this.lo, src: isV4(dst) ? V4_LOOPBACK : V6_LOOPBACK };
      return { dev: this.lo, src: dst };
    }
    for (const dev of this.devices) {
      if (dev === this.lo || !(dev.flags & IFF_UP)) continue;
      for (const a of dev.addrs) if (isV4(a.addr) === isV4(dst) && inPrefix(dst, a.addr, a.prefix)) return { dev, src: a.addr };
    }
    const sr = staticRoute(this, dst);
    if (sr) {
      // inet_select_addr for a universe-scope route: an address of host scope (127/8) only when there is no other.
      const same = sr.dev.addrs.filter((a) => isV4(a.addr) === isV4(dst) && (isV4(a.addr) || !isLinkLocal6(a.addr)));
      const src = same.find((a) => !isLoopback(a.addr)) ?? same[0];
      if (src) return { dev: sr.dev, src: src.addr };
    }
    const gw = isV4(dst) ? this.defaultGateway : this.defaultGateway6;
    if (gw && gw.dev.flags & IFF_UP) {
      // The preferred source: the device's address of the same family, a
      // link-local one last (ipv6_dev_get_saddr's scope rule).
      const same = gw.dev.addrs.filter((a) => isV4(a.addr) === isV4(dst));
      const src = same.find((a) => isV4(a.addr) || !isLinkLocal6(a.addr)) ?? same[0];
      if (src) return { dev: gw.dev, src: src.addr };
    }
    return kerr(ENETUNREACH);
  }

  // The main table's IPv4 routes, as /proc/net/route and RTM_GETROUTE show them
  // (addresses as host-order words of network-order bytes): one per device
  // subnet other than lo's, whose routes live in the local table.
  routes(): { dev: NetDevice; dst: number; gw: number; mask: number; flags: number; metric: number }[] {
    const out = [];
    for (const dev of this.devices) {
      if (dev === this.lo || !(dev.flags & IFF_UP)) continue;
      for (const a of dev.addrs) {
        if (!isV4(a.addr)) continue;
        const mask = a.prefix === 0 ? 0 : (0xffffffff << (32 - a.prefix)) >>> 0;
        const ip = ((a.addr[12] << 24) | (a.addr[13] << 16) | (a.addr[14] << 8) | a.addr[15]) >>> 0;
        out.push({ dev, dst: swap32((ip & mask) >>> 0), gw: 0, mask: swap32(mask), flags: RTF_UP, metric: 0 });
      }
    }
    for (const r of this.staticRoutes) {
      if (!isV4(r.dst) || !(r.dev.flags & IFF_UP)) continue;
      const mask = r.prefix === 0 ? 0 : (0xffffffff << (32 - r.prefix)) >>> 0;
      const word = (a: IpAddr) => swap32(((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0);
      out.push({ dev: r.dev, dst: word(r.dst), gw: r.gw ? word(r.gw) : 0, mask: swap32(mask), flags: RTF_UP | (r.gw ? RTF_GATEWAY : 0), metric: 0 });
    }
    const g = this.defaultGateway;
    if (g) {
      const gw = ((g.gw[12] << 24) | (g.gw[13] << 16) | (g.gw[14] << 8) | g.gw[15]) >>> 0;
      out.unshift({ dev: g.dev, dst: 0, gw: swap32(gw), mask: 0, flags: RTF_UP | RTF_GATEWAY, metric: 0 });
    }
    return out;
  }

  nextId(): number { this.ipId = (this.ipId + 1) & 0xffff; return this.ipId; }
  // IPv6's fragment identification: 32 bits (ipv6_select_ident), from a random start.
  private ip6Id = -1;
  nextId6(): number {
    if (this.ip6Id < 0) { const b = new Uint8Array(4); this.k.random(b); this.ip6Id = new DataView(b.buffer).getUint32(0, true); }
    this.ip6Id = (this.ip6Id + 1) >>> 0;
    return this.ip6Id;
  }

  // The IP header's length for a packet from src to dst (IPv4 when both are IPv4).
  static ipHlen(src: IpAddr, dst: IpAddr): number { return isV4(src) && isV4(dst) ? IPV4_HLEN : IPV6_HLEN; }

  // Whether a packet to dst leaves through loopback, where transport
  // checksums are neither computed nor checked (Linux's lo).
  viaLoopback(dst: IpAddr): boolean { return isLoopback(dst) || this.route(dst).dev === this.lo; }

  // Sends a transport payload from src to dst (IPv4 when both are IPv4).
  output(src: IpAddr, dst: IpAddr, proto: number, payload: Uint8Array, ttl = IPDEFTTL, tos = 0, pmtudisc = IP_PMTUDISC_WANT, opts?: OutputOpts): void {
    const hlen = NetStack.ipHlen(src, dst);
    const pkt = new Uint8Array(hlen + payload.length);
    pkt.set(payload, hlen);
    this.outputPacket(src, dst, proto, pkt, ttl, tos, pmtudisc, opts);
  }

  // The MTU of the route to dst (a socket's IP_MTU).
  mtuTo(dst: IpAddr): number { return this.route(dst).dev.mtu; }

  // Sends a packet whose transport part is already in place after room for
  // the IP header (ipHlen bytes), which is filled in here. An IPv4 packet
  // larger than the device's MTU is fragmented unless the socket's
  // IP_MTU_DISCOVER forbids it (EMSGSIZE, as __ip_append_data); one that
  // fits carries DF unless IP_PMTUDISC_DONT (ip_dont_fragment). TCP's
  // segments always fit (its MSS comes from the MTU).
  outputPacket(src: IpAddr, dst: IpAddr, proto: number, pkt: Uint8Array, ttl = IPDEFTTL, tos = 0, pmtudisc = IP_PMTUDISC_WANT, opts?: OutputOpts): void {
    const dev = opts?.dev ?? this.route(dst).dev;
    const v6 = !(isV4(src) && isV4(dst));
    const hlen = v6 ? IPV6_HLEN : IPV4_HLEN;
    const plen = pkt.length - hlen;
    if (plen + hlen > IP_MAXPACKET + (v6 ? IPV6_HLEN : 0)) kerr(EMSGSIZE);
    const fits = pkt.length <= dev.mtu;
    // ip_sk_ignore_df: DONT, WANT and OMIT let the stack fragment, and so
    // does IPv6's (ip6_sk_ignore_df) unless IPV6_DONTFRAG (__ip6_append_data).
    // IPv6 past lo's MTU (a UDP datagram over 65,488 bytes) then goes whole,
    // which is what the receiver would reassemble; on eth0 it is fragmented
    // as ip6_fragment does.
    if (!fits && ((pmtudisc >= IP_PMTUDISC_DO && pmtudisc !== IP_PMTUDISC_OMIT) || (v6 && opts?.dontfrag))) kerr(EMSGSIZE);
    // ip_mc_output: a datagram to a group this host joined on the device is
    // also looped back unless IP_MULTICAST_LOOP is off (lo hears it anyway).
    const loopCopy = opts?.mcLoop && dev !== this.lo && isMulticast(dst) && mcastJoined(this, dst, dev.index);
    const dv = new DataView(pkt.buffer, pkt.byteOffset, hlen);
    if (!v6) {
      pkt[0] = (IPV4_VERSION << 4) | (IPV4_HLEN >> 2);
      pkt[1] = tos;
      dv.setUint16(2, pkt.length, false);
      dv.setUint16(4, this.nextId(), false);
      dv.setUint16(6, fits && pmtudisc !== IP_PMTUDISC_DONT ? IP_DF : 0, false);
      pkt[8] = ttl;
      pkt[9] = proto;
      pkt.set(src.subarray(12), 12);
      pkt.set(dst.subarray(12), 16);
      dv.setUint16(10, csumFold(csumAdd(0, pkt, 0, IPV4_HLEN)), false);
    } else {
      dv.setUint32(0, ((IPV6_VERSION << 28) | (tos << 20)) >>> 0, false);
      dv.setUint16(4, plen, false);
      pkt[6] = proto;
      pkt[7] = ttl;
      pkt.set(src, 8);
      pkt.set(dst, 24);
    }
    if (loopCopy) this.netifRx(pkt.slice(), true);
    if (fits || (v6 && dev === this.lo)) { dev.xmit(pkt); return; }
    if (v6) { for (const f of fragmentV6(pkt, dev.mtu, this.nextId6())) dev.xmit(f); return; }
    for (const f of fragmentV4(pkt, dev.mtu)) dev.xmit(f);
  }

  // A packet arrived on a device: queue it. It is processed when the
  // outermost socket operation or timer in progress ends (bh() below), as
  // Linux runs the backlog when bottom halves are enabled again: so a
  // reply never re-enters a protocol half-way through sending.
  netifRx(pkt: Uint8Array, csumOk = false): void {
    this.backlog.push(pkt);
    this.backlogTrusted.push(csumOk);
    if (this.bhDepth === 0) this.drain();
  }

  private bhDepth = 0;
  // Runs fn with packet processing deferred to its end (local_bh_disable/enable).
  bh<T>(fn: () => T): T {
    this.bhDepth++;
    try { return fn(); } finally {
      if (--this.bhDepth === 0) this.drain();
    }
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.bhDepth++;
    try {
      for (let p = this.backlog.shift(); p; p = this.backlog.shift()) this.ipInput(p, this.backlogTrusted.shift() ?? false);
    } finally { this.bhDepth--; this.draining = false; }
  }

  // Parses and checks one IP packet and hands it to its transport; a bad
  // one is dropped, as Linux counts and drops it.
  ipInput(raw: Uint8Array, csumOk = false): void {
    // A fragment is held until its datagram is whole (ip_defrag), then
    // handled as if it came so; a transport checksum is checked on it.
    if (raw.length >= IPV4_HLEN && raw[0] >> 4 === IPV4_VERSION && validV4Header(raw) && isV4Fragment(raw)) {
      const whole = this.reasm.add(raw);
      if (!whole) return;
      raw = whole;
    } else if (raw.length >= IPV6_HLEN && raw[0] >> 4 === IPV6_VERSION && isV6Fragment(raw)) {
      const whole = this.reasm.add6(raw);
      if (!whole) return;
      raw = whole;
    }
    const pkt = parseIp(raw);
    if (!pkt) return;
    pkt.csumOk = csumOk;
    // A group's datagram is taken when the host joined it (ip_check_mc_rcu; mcast.ts).
    if (isMulticast(pkt.dst) ? !mcastJoined(this, pkt.dst) : !this.isLocal(pkt.dst) || isAny(pkt.dst)) return;
    this.transports.get(pkt.proto)?.input(pkt);
  }

  // ICMP and ICMPv6: echo requests are answered; a destination unreachable
  // is handed to the transport of the packet it quotes.
  private icmpInput(p: IpPacket): void {
    const b = p.payload;
    if (b.length < ICMP_HLEN) return;
    const sum = p.v6 ? transportChecksum(p.src, p.dst, IPPROTO_ICMPV6, b) : csumFold(csumAdd(0, b));
    if (sum !== 0) return;
    // raw_local_deliver and ping_rcv see the packet as well as icmp_rcv.
    icmpSockets?.(this, p);
    const type = b[0], code = b[1];
    if ((!p.v6 && type === ICMP_ECHO) || (p.v6 && type === ICMPV6_ECHO_REQUEST)) {
      const r = b.slice();
      r[0] = p.v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHOREPLY;
      this.icmpSend(p.dst, p.src, r);
      return;
    }
    if ((!p.v6 && type === ICMP_DEST_UNREACH) || (p.v6 && type === ICMPV6_DEST_UNREACH)) {
      const inner = parseIp(b.subarray(ICMP_HLEN), true);
      if (!inner) return;
      const errno = unreachErrno(p.v6, code);
      this.transports.get(inner.proto)?.error?.({ errno, src: inner.src, dst: inner.dst, header: inner.payload, v6: p.v6, type, code, from: p.src });
    }
  }

  // Sends an ICMP message (its checksum filled in here).
  icmpSend(src: IpAddr, dst: IpAddr, msg: Uint8Array): void {
    const v6 = !(isV4(src) && isV4(dst));
    msg[2] = msg[3] = 0;
    const sum = v6 ? transportChecksum(src, dst, IPPROTO_ICMPV6, msg) : csumFold(csumAdd(0, msg));
    msg[2] = sum >> 8; msg[3] = sum & 0xff;
    this.output(src, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, msg);
  }

  // Destination unreachable about `p` (Linux's icmp_send/icmpv6_send): the
  // quoted packet as far as the minimum MTU allows.
  icmpUnreach(p: IpPacket, code4: number, code6: number): void {
    this.icmpError(p, p.v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH, p.v6 ? code6 : code4);
  }

  private icmpError(p: IpPacket, type: number, code: number): void {
    const room = p.v6 ? 1280 - IPV6_HLEN - ICMP_HLEN : 576 - IPV4_HLEN - ICMP_HLEN;
    const quote = p.raw.subarray(0, Math.min(p.raw.length, room));
    const msg = new Uint8Array(ICMP_HLEN + quote.length);
    msg[0] = type;
    msg[1] = code;
    msg.set(quote, ICMP_HLEN);
    this.icmpSend(p.dst, p.src, msg);
  }

  // A datagram for us whose fragments did not all come within ipfrag_time:
  // its sender gets a time exceeded quoting the first fragment (ip_expire,
  // ip6frag_expire_frag_queue: only a receiving host sends it, never about
  // a multicast datagram). IPv4's ip_expire routes the fragment again as
  // input first, which fails for a loopback address (route_localnet off)
  // and for a source that is one of ours (accept_local off): on one
  // machine Linux sends itself none; IPv6 does not look again.
  private fragExpired(first: Uint8Array): void {
    const p = parseIp(first, true);
    if (!p || !this.isLocal(p.dst) || isAny(p.dst) || isMulticast(p.dst) || isAny(p.src) || isMulticast(p.src)) return;
    if (!p.v6 && (isLoopback(p.src) || isLoopback(p.dst) || this.isLocal(p.src))) return;
    try {
      this.icmpError(p, p.v6 ? ICMPV6_TIME_EXCEED : ICMP_TIME_EXCEEDED, p.v6 ? ICMPV6_EXC_FRAGTIME : ICMP_EXC_FRAGTIME);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e; // no route back: nothing to tell
    }
  }

  // A packet we sent could not be delivered on its link (the neighbour never
  // answered): its sender hears host unreachable, as ipv4_link_failure and
  // ip6_link_failure send it an ICMP error from its own address.
  linkFailure(raw: Uint8Array): void {
    const p = parseIp(raw);
    if (!p || !this.isLocal(p.src)) return;
    const local = { ...p, dst: p.src }; // from our own address to it
    this.icmpUnreach(local, ICMP_HOST_UNREACH, ICMPV6_ADDR_UNREACH);
  }
}

// Whether an IPv4 header is whole, its lengths sane and its checksum right.
function validV4Header(raw: Uint8Array): boolean {
  const ihl = (raw[0] & 0xf) * 4;
  const total = (raw[2] << 8) | raw[3];
  return ihl >= IPV4_HLEN && total >= ihl && total <= raw.length && csumFold(csumAdd(0, raw, 0, ihl)) === 0;
}

// Parses an IP header; `quoted`: inside an ICMP error (may be cut short, not checked).
function parseIp(raw: Uint8Array, quoted = false): IpPacket | null {
  if (raw.length < 1) return null;
  const ver = raw[0] >> 4;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (ver === IPV4_VERSION) {
    const ihl = (raw[0] & 0xf) * 4;
    if (ihl < IPV4_HLEN || raw.length < ihl) return null;
    const total = dv.getUint16(2, false);
    if (!quoted) {
      if (total < ihl || total > raw.length) return null;
      if (csumFold(csumAdd(0, raw, 0, ihl)) !== 0) return null;
      // Fragments were reassembled before (ipInput).
      if (dv.getUint16(6, false) & (IP_MF | IP_OFFMASK)) return null;
    }
    const end = quoted ? raw.length : total;
    return {
      v6: false, src: v4(raw[12], raw[13], raw[14], raw[15]), dst: v4(raw[16], raw[17], raw[18], raw[19]),
      proto: raw[9], ttl: raw[8], payload: raw.subarray(ihl, end), raw: raw.subarray(0, end), csumOk: false,
    };
  }
  if (ver === IPV6_VERSION) {
    if (raw.length < IPV6_HLEN) return null;
    const plen = dv.getUint16(4, false);
    if (!quoted && IPV6_HLEN + plen > raw.length) return null;
    const end = quoted ? raw.length : IPV6_HLEN + plen;
    return {
      v6: true, src: raw.slice(8, 24), dst: raw.slice(24, 40), proto: raw[6], ttl: raw[7],
      payload: raw.subarray(IPV6_HLEN, end), raw: raw.subarray(0, end), csumOk: false,
    };
  }
  return null;
}

function swap32(x: number): number { return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0; }

function inPrefix(a: IpAddr, net: IpAddr, prefix: number): boolean {
  const bits = isV4(net) ? 96 + prefix : prefix;
  for (let i = 0; i < 128; i++) {
    if (i >= bits) return true;
    const m = 0x80 >> (i & 7);
    if ((a[i >> 3] & m) !== (net[i >> 3] & m)) return false;
  }
  return true;
}

// icmp_err_convert / icmpv6_err_convert for the codes Ghost sends.
function unreachErrno(v6: boolean, code: number): number {
  return (v6 ? code === ICMPV6_PORT_UNREACH : code === ICMP_PORT_UNREACH) ? ECONNREFUSED : EHOSTUNREACH;
}

const NET = new KernelLocal("inet stack", (k) => new NetStack(k));
export function netStack(k: Kernel): NetStack { return k.local(NET); }
