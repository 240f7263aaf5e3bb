// ICMP sockets: the unprivileged echo ("ping") sockets of Linux's
// net/ipv4/ping.c (socket(AF_INET{,6}, SOCK_DGRAM, IPPROTO_ICMP{V6}), for
// the groups in net.ipv4.ping_group_range), and raw ICMP sockets
// (SOCK_RAW, CAP_NET_RAW; net/ipv4/raw.c, net/ipv6/raw.c), reimplemented.
//
// A ping socket's "port" is the echo identifier: the kernel writes it into
// every request sent and hands it only the echo replies that carry it. A
// raw socket gets a copy of every ICMP packet that arrives (IPv4 with its IP
// header, ICMPv6 without, as Linux) and sends what the program wrote
// behind an IP header the kernel adds (unless IP_HDRINCL on IPv4).

import { kerr } from "../../lib/errors.js";
import { ECONNREFUSED, EAGAIN, EDESTADDRREQ, EINVAL, EMSGSIZE, EOPNOTSUPP, EPIPE, ENOTCONN } from "../../abi/errno.js";
import { AF_INET, IPPROTO_ICMP, IPPROTO_ICMPV6, MSG_PEEK, MSG_OOB } from "../../abi/socket.js";
import {
  ICMP_HLEN, ICMP_ECHO, ICMP_ECHOREPLY, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, IPV4_HLEN, IP_MAXPACKET,
} from "../../abi/inet.js";
import { type IpAddr, type SockAddr, isV4, isAny, sameAddr, encodeSockaddr, V4_ANY, V6_ANY } from "./addr.js";
import { type NetStack, type IpPacket, type IcmpError, csumAdd, csumFold, transportChecksum, netStack, setIcmpSocketsInput } from "./stack.js";
import { InetDataSocket, type InetRecv } from "./socket.js";
import { PortTable } from "./ports.js";
import { procNetSysctls } from "../../fs/procfs/registry.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN } from "../shutdown.js";

// net.core.rmem_default / wmem_default.
const RMEM_DEFAULT = 212992;
// What a queued datagram costs beyond its bytes (an skb's truesize overhead).
const SKB_OVERHEAD = 768;

// net.ipv4.ping_group_range: Linux's default "1 0" lets no group in.
export const PING_GROUP_DEFAULT: [number, number] = [1, 0];
// The largest gid the sysctl takes (GID_T_MAX).
export const PING_GROUP_MAX = 2147483647;

interface Dgram { data: Uint8Array; from: IpAddr; ttl: number; truesize: number }

// What ping and raw sockets share: a datagram queue without ports of UDP's kind.
abstract class IcmpSocketBase extends InetDataSocket {
  sndbuf = RMEM_DEFAULT;
  rcvbuf = RMEM_DEFAULT;
  connected = false;
  // IPV6_RECVHOPLIMIT and RFC 2292's IPV6_2292HOPLIMIT: recvmsg reports
  // each datagram's hop limit, under the option's own cmsg type.
  recvHoplimit = false;
  recvHoplimit2292 = false;
  protected readonly queue: Dgram[] = [];
  private rmem = 0;

  isListening(): boolean { return false; }
  get v6(): boolean { return this.family !== AF_INET; }

  deliver(data: Uint8Array, from: IpAddr, ttl: number): void {
    const truesize = data.length + SKB_OVERHEAD;
    if (this.rmem + truesize > this.rcvbuf && this.queue.length > 0) return;
    this.queue.push({ data: data.slice(), from, ttl, truesize });
    this.rmem += truesize;
    this.wq.wakeAll();
  }

  recv(dst: Uint8Array, flags: number): InetRecv {
    if (flags & MSG_OOB) kerr(EOPNOTSUPP);
    // __skb_try_recv_datagram reports a pending error before any queued datagram.
    const e = this.takeError();
    if (e) kerr(e);
    const d = this.queue[0];
    if (!d) {
      if (this.shut & RCV_SHUTDOWN) return { n: 0, msgLen: 0, truncated: false, from: null };
      kerr(EAGAIN);
    }
    const n = Math.min(dst.length, d.data.length);
    dst.set(d.data.subarray(0, n));
    if (!(flags & MSG_PEEK)) { this.queue.shift(); this.rmem -= d.truesize; }
    // ping_recvmsg and raw_recvmsg report the sender with port 0.
    return { n, msgLen: d.data.length, truncated: n < d.data.length, from: encodeSockaddr(this.family, d.from, 0), hoplimit: d.ttl };
  }

  // The destination of a send: the address given, or the connected peer's.
  protected destination(dest: SockAddr | null): IpAddr {
    if (dest && !dest.unspec) return this.target(dest);
    if (!this.connected) kerr(EDESTADDRREQ);
    return this.raddr;
  }

  protected checkSend(flags: number): void {
    if (flags & MSG_OOB) kerr(EOPNOTSUPP);
    const e = this.takeError();
    if (e) kerr(e);
    if (this.shut & SEND_SHUTDOWN) kerr(EPIPE);
  }

  shutdown(how: number): void {
    this.shut |= how + 1;
    this.wq.wakeAll();
    if (!this.connected) kerr(ENOTCONN);
  }

  // datagram_poll.
  poll(): number { return this.datagramPoll(this.queue.length > 0); }

  bytesQueued(): number { return this.queue[0]?.data.length ?? 0; }
  bytesUnsent(): number { return 0; }

  // Whether a packet to p.dst is for this socket's bound address.
  protected addrMatches(p: IpPacket): boolean {
    if (this.family === AF_INET && p.v6) return false;
    if (!isAny(this.laddr) && !sameAddr(this.laddr, p.dst)) return false;
    if (this.connected && !sameAddr(this.raddr, p.src)) return false;
    return true;
  }
}

export class PingSocket extends IcmpSocketBase {
  get ports(): PortTable { return pingTable(this.stack).ports; }

  // ping_bind: the address must be local; the port is the identifier, any
  // value (no privileged range), 0 for one the kernel picks.
  bindPing(sa: SockAddr): void { this.bind(sa, true, false); }

  // ping_get_port's rover: identifiers from 1 upwards.
  override autobind(): void {
    if (this.lport) return;
    const t = pingTable(this.stack);
    const port = t.ports.ephemeral([1, 0xffff], t.rover);
    if (!port) kerr(EAGAIN);
    t.rover = port;
    t.ports.add(this, port);
  }

  connect(sa: SockAddr): void {
    if (sa.unspec) {
      this.connected = false;
      this.raddr = this.family === AF_INET ? V4_ANY : V6_ANY;
      this.rport = 0;
      return;
    }
    this.setPeer(sa);
    this.connected = true;
  }

  // ping_v4_sendmsg / ping_v6_sendmsg: the message must be an echo request
  // (code 0); the identifier and checksum are the kernel's.
  send(data: Uint8Array, flags: number, dest: SockAddr | null): number {
    const dst = this.destination(dest);
    if (this.v6 && isV4(dst)) kerr(EINVAL);
    if (data.length < ICMP_HLEN) kerr(EINVAL);
    if (data.length > IP_MAXPACKET - (this.v6 ? 0 : IPV4_HLEN)) kerr(EMSGSIZE);
    if (data[0] !== (this.v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) || data[1] !== 0) kerr(EINVAL);
    this.checkSend(flags);
    const src = this.sourceFor(dst);
    this.autobind();
    const msg = data.slice();
    msg[4] = this.lport >> 8; msg[5] = this.lport & 0xff;
    msg[2] = msg[3] = 0;
    const sum = this.v6 ? transportChecksum(src, dst, IPPROTO_ICMPV6, msg) : csumFold(csumAdd(0, msg));
    msg[2] = sum >> 8; msg[3] = sum & 0xff;
    this.stack.output(src, dst, this.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, msg, this.ipTtl, this.tos, this.pmtudisc);
    return data.length;
  }

  release(): void {
    this.unhashPort();
    this.queue.length = 0;
    this.sockFree();
  }

  // ping_lookup: an echo reply whose identifier is this socket's.
  matches(p: IpPacket): boolean { return this.v6 === p.v6 && this.addrMatches(p); }
}

export class RawIcmpSocket extends IcmpSocketBase {
  hdrincl = false;
  // ICMP_FILTER / ICMPV6_FILTER: a bit set per type blocks that type.
  filter = new Uint8Array(32);
  get ports(): PortTable { return pingTable(this.stack).rawPorts; }

  constructor(stack: NetStack, family: number, type: number, protocol: number, uid: number) {
    super(stack, family, type, protocol, uid);
    // inet_create: a raw socket's local "port" is its protocol.
    this.lport = protocol;
    pingTable(stack).raw.add(this);
  }

  // raw_bind: only the address, which must be local.
  bindRaw(sa: SockAddr): void {
    if (!this.stack.isLocal(sa.addr)) this.bind({ ...sa, port: 0 }, true, false); // raises EADDRNOTAVAIL
    this.laddr = sa.addr;
  }

  override autobind(): void { /* raw sockets have no ports */ }

  connect(sa: SockAddr): void {
    if (sa.unspec) { this.connected = false; this.raddr = this.family === AF_INET ? V4_ANY : V6_ANY; return; }
    const dst = this.target(sa);
    if (isAny(this.laddr)) this.laddr = this.sourceFor(dst);
    this.raddr = dst;
    this.connected = true;
  }

  // raw_sendmsg / rawv6_sendmsg.
  send(data: Uint8Array, flags: number, dest: SockAddr | null): number {
    const dst = this.destination(dest);
    this.checkSend(flags);
    if (this.hdrincl && !this.v6) {
      // raw_send_hdrinc: the program's header, with the total length, a
      // zero id and source, and the header checksum filled in.
      if (data.length < IPV4_HLEN) kerr(EINVAL);
      const ihl = (data[0] & 0xf) * 4;
      if (ihl < IPV4_HLEN || ihl > data.length) kerr(EINVAL);
      if (data.length > IP_MAXPACKET) kerr(EMSGSIZE);
      const pkt = data.slice();
      pkt[2] = pkt.length >> 8; pkt[3] = pkt.length & 0xff;
      if (pkt[4] === 0 && pkt[5] === 0) { const id = this.stack.nextId(); pkt[4] = id >> 8; pkt[5] = id & 0xff; }
      if (pkt[12] === 0 && pkt[13] === 0 && pkt[14] === 0 && pkt[15] === 0) pkt.set(this.sourceFor(dst).subarray(12), 12);
      pkt[10] = pkt[11] = 0;
      const sum = csumFold(csumAdd(0, pkt, 0, ihl));
      pkt[10] = sum >> 8; pkt[11] = sum & 0xff;
      this.stack.route(dst).dev.xmit(pkt);
      return data.length;
    }
    if (data.length > IP_MAXPACKET - (this.v6 ? 0 : IPV4_HLEN)) kerr(EMSGSIZE);
    const src = this.sourceFor(dst);
    const msg = data.slice();
    // ICMPv6 raw sockets always get their checksum from the kernel (RFC 3542 §3.1).
    if (this.v6 && msg.length >= 4) {
      msg[2] = msg[3] = 0;
      const sum = transportChecksum(src, dst, IPPROTO_ICMPV6, msg);
      msg[2] = sum >> 8; msg[3] = sum & 0xff;
    }
    this.stack.output(src, dst, this.protocol, msg, this.ipTtl, this.tos, this.pmtudisc);
    return data.length;
  }

  release(): void {
    pingTable(this.stack).raw.delete(this);
    this.queue.length = 0;
    this.sockFree();
  }

  // raw_v4_input / ipv6_raw_deliver: a copy for each matching socket,
  // unless its filter blocks the ICMP type.
  input(p: IpPacket): void {
    if (this.v6 !== p.v6 || !this.addrMatches(p)) return;
    const type = p.payload.length ? p.payload[0] : -1;
    if (type >= 0 && this.filter[type >> 3] & (1 << (type & 7))) return;
    this.deliver(p.v6 ? p.payload : p.raw, p.src, p.ttl);
  }
}

// The per-stack state of ICMP sockets.
class PingTable {
  readonly ports = new PortTable();
  readonly rawPorts = new PortTable();
  readonly raw = new Set<RawIcmpSocket>();
  rover = 0;
  groupRange: [number, number] = [...PING_GROUP_DEFAULT];
}

const tables = new WeakMap<NetStack, PingTable>();
export function pingTable(stack: NetStack): PingTable {
  let t = tables.get(stack);
  if (!t) { t = new PingTable(); tables.set(stack, t); }
  return t;
}

// What the IP layer hands ICMP sockets: every ICMP packet to the raw ones,
// and echo replies to the ping socket whose identifier they carry (ping_rcv).
export function icmpSocketsInput(stack: NetStack, p: IpPacket): void {
  const t = tables.get(stack);
  if (!t) return;
  for (const s of t.raw) s.input(p);
  const b = p.payload;
  if (b.length < ICMP_HLEN || b[0] !== (p.v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHOREPLY)) return;
  const id = (b[4] << 8) | b[5];
  for (const s of t.ports.socketsOn(id) as PingSocket[]) {
    if (s.matches(p)) { s.deliver(b, p.src, p.ttl); return; }
  }
}

// ping_err: an ICMP error quoting an echo request we sent. Without IP_RECVERR
// (which Ghost does not queue yet) only a connected socket takes it, and
// only a hard error (port or protocol unreachable: ECONNREFUSED), as Linux.
export function icmpSocketsError(stack: NetStack, e: IcmpError): void {
  const t = tables.get(stack);
  const h = e.header;
  if (!t || h.length < ICMP_HLEN) return;
  const v6 = !isV4(e.src);
  if (h[0] !== (v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) || e.errno !== ECONNREFUSED) return;
  for (const s of t.ports.socketsOn((h[4] << 8) | h[5]) as PingSocket[]) {
    if (s.v6 !== v6 || !s.connected || !sameAddr(s.raddr, e.dst)) continue;
    if (!isAny(s.laddr) && !sameAddr(s.laddr, e.src)) continue;
    s.setError(e.errno);
    return;
  }
}

setIcmpSocketsInput(icmpSocketsInput, icmpSocketsError);

// ping_init_sock: the caller's group (effective or supplementary) must be in the range.
export function pingAllowed(stack: NetStack, gids: number[]): boolean {
  const [lo, hi] = pingTable(stack).groupRange;
  return gids.some((g) => g >= lo && g <= hi);
}

// ipv4_ping_group_range: two gids; a high below the low empties the range ("1 0").
procNetSysctls.set("ipv4/ping_group_range", {
  get: (k) => pingTable(netStack(k)).groupRange.join("\t"),
  set: (k, v) => {
    const f = v.trim().split(/\s+/).map(Number);
    if (f.length < 2 || !f.slice(0, 2).every((x) => Number.isInteger(x) && x >= 0 && x <= PING_GROUP_MAX)) kerr(EINVAL);
    pingTable(netStack(k)).groupRange = f[1] < f[0] ? [...PING_GROUP_DEFAULT] : [f[0], f[1]];
  },
});
