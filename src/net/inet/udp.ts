// UDP (RFC 768; Linux's net/ipv4/udp.c and net/ipv6/udp.c, reimplemented):
// datagrams queued per socket up to SO_RCVBUF, demultiplexed by the
// best-matching bound socket (a connected socket only hears its peer), and
// an ICMP port unreachable for a datagram nobody receives, which a
// connected sender sees as ECONNREFUSED.

import { kerr, KernelError } from "../../lib/errors.js";
import { EAGAIN, EDESTADDRREQ, EINVAL, EMSGSIZE, ENOTCONN, EPIPE, EOPNOTSUPP } from "../../abi/errno.js";
import { AF_INET, IPPROTO_UDP, MSG_PEEK, MSG_OOB, MSG_MORE } from "../../abi/socket.js";
import { UDP_HLEN, IPV4_HLEN, IP_MAXPACKET, ICMP_PORT_UNREACH, ICMPV6_PORT_UNREACH } from "../../abi/inet.js";
import { KernelLocal } from "../../kernel/local.js";
import { kernelMem } from "../../fs/kmem.js";
import type { Kernel } from "../../kernel/kernel.js";
import { type IpAddr, type SockAddr, isV4, isAny, isMulticast, sameAddr, encodeSockaddr, V4_ANY, V6_ANY } from "./addr.js";
import { type NetStack, type IpPacket, type IcmpError, type OutputOpts, transportChecksum, netStack } from "./stack.js";
import { mcastRoute, mcastWants, mcastRelease } from "./mcast.js";
import { InetDataSocket, type InetRecv } from "./socket.js";
import type { PortTable } from "./ports.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN } from "../shutdown.js";

// net.core.rmem_default / wmem_default.
export const UDP_RMEM_DEFAULT = 212992;
export const UDP_WMEM_DEFAULT = 212992;
// What a queued datagram costs beyond its bytes (an skb's truesize overhead).
const SKB_OVERHEAD = 768;

interface Dgram { data: Uint8Array; from: IpAddr; port: number; truesize: number }

export class UdpSocket extends InetDataSocket {
  sndbuf = UDP_WMEM_DEFAULT;
  rcvbuf = UDP_RMEM_DEFAULT;
  connected = false;
  private readonly queue: Dgram[] = [];
  private rmem = 0;
  private readonly mem = kernelMem(); // the budget queued datagrams are charged to
  drops = 0;

  get ports(): PortTable { return this.stack.udpPorts; }
  isListening(): boolean { return false; }

  // connect(2) on a datagram socket (ip4_datagram_connect): the default
  // destination, and the source address it implies; AF_UNSPEC dissolves it.
  connect(sa: SockAddr): void {
    if (sa.unspec) {
      this.connected = false;
      this.raddr = this.family === AF_INET ? V4_ANY : V6_ANY;
      this.rport = 0;
      // __udp_disconnect: a port the kernel picked is given back, and the address with it.
      if (!this.userBound) { this.unhashPort(); this.laddr = this.raddr; }
      return;
    }
    this.setPeer(sa);
    this.connected = true;
  }

  // A datagram corked by MSG_MORE (udp_sendmsg's corkreq, ip_append_data):
  // its destination and the pieces sent so far, sent whole by the next send
  // without MSG_MORE. Bounded by the largest datagram (64 KiB).
  private pending: { dst: IpAddr; port: number; scope: number; parts: Uint8Array[]; len: number } | null = null;
  cork = false; // UDP_CORK: every send corks until the option is cleared

  send(data: Uint8Array, flags: number, dest: SockAddr | null): number {
    if (flags & MSG_OOB) kerr(EOPNOTSUPP);
    let dst: IpAddr, port: number, scope = 0;
    const corked = this.pending;
    if (corked) {
      // Appending to a corked datagram: the address of this call is not looked at.
      dst = corked.dst; port = corked.port; scope = corked.scope;
    } else if (dest && !dest.unspec) {
      dst = this.target(dest);
      port = dest.port;
      scope = dest.scope;
      if (port === 0) kerr(EINVAL);
    } else {
      if (!this.connected) kerr(EDESTADDRREQ);
      dst = this.raddr; port = this.rport;
    }
    // sock_alloc_send_skb reports a pending error (an ICMP that came back) first.
    const e = this.takeError();
    if (e) kerr(e);
    if (this.shut & SEND_SHUTDOWN) kerr(EPIPE);
    const max = IP_MAXPACKET - UDP_HLEN - (isV4(dst) ? IPV4_HLEN : 0);
    // Past the largest datagram the corked one is dropped too (udp_flush_pending_frames).
    if ((corked?.len ?? 0) + data.length > max) { this.pending = null; kerr(EMSGSIZE); }
    const src = isMulticast(dst) ? mcastRoute(this, dst, scope).src : this.sourceFor(dst);
    this.autobind();
    // corkreq: MSG_MORE on this call, or UDP_CORK on the socket.
    if (flags & MSG_MORE || this.cork) {
      const p = corked ?? (this.pending = { dst, port, scope, parts: [], len: 0 });
      p.parts.push(data.slice());
      p.len += data.length;
      return data.length;
    }
    this.pending = null;
    this.transmit(src, dst, port, scope, corked?.parts ?? [], data);
    return data.length;
  }

  // UDP_CORK cleared (udp_lib_setsockopt → udp_push_pending_frames): the
  // corked datagram goes out now; its error, if any, is not reported.
  uncork(): void {
    this.cork = false;
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    try {
      const src = isMulticast(p.dst) ? mcastRoute(this, p.dst, p.scope).src : this.sourceFor(p.dst);
      this.transmit(src, p.dst, p.port, p.scope, p.parts, new Uint8Array(0));
    } catch (e) { if (!(e instanceof KernelError)) throw e; }
  }

  // One datagram to dst:port of the corked pieces, then data.
  private transmit(src: IpAddr, dst: IpAddr, port: number, scope: number, parts: Uint8Array[], data: Uint8Array): void {
    const bodyLen = parts.reduce((n, x) => n + x.length, 0) + data.length;
    const seg = new Uint8Array(UDP_HLEN + bodyLen);
    const dv = new DataView(seg.buffer);
    dv.setUint16(0, this.lport, false);
    dv.setUint16(2, port, false);
    dv.setUint16(4, seg.length, false);
    let at = UDP_HLEN;
    for (const part of parts) { seg.set(part, at); at += part.length; }
    seg.set(data, at);
    const sum = transportChecksum(src, dst, IPPROTO_UDP, seg);
    dv.setUint16(6, sum === 0 ? 0xffff : sum, false);
    const v6 = !isV4(dst);
    // A group's datagram takes the multicast route, TTL and loop (mcast.ts);
    // an IPv6 one IPV6_MTU_DISCOVER and IPV6_DONTFRAG, not IP_MTU_DISCOVER.
    const mc = isMulticast(dst) ? mcastRoute(this, dst, scope) : null;
    const opts: OutputOpts | undefined = mc || v6 ? { dev: mc?.dev, mcLoop: mc?.loop, dontfrag: v6 && this.dontfrag } : undefined;
    try {
      this.stack.output(src, dst, IPPROTO_UDP, seg, mc ? mc.ttl : this.ipTtl, this.tos, v6 ? this.pmtudisc6 : this.pmtudisc, opts);
    } catch (e) {
      // ip_local_error (ipv6_local_error): under IP_RECVERR a datagram too
      // big for the path's MTU is also queued as a local error, naming its
      // destination (with the connected port, 0 unconnected) and the MTU; no payload.
      if (e instanceof KernelError && e.errno === EMSGSIZE && this.recverr) {
        this.errQueue.push({ errno: EMSGSIZE, v6, type: 0, code: 0, offender: dst, dst, dport: this.connected ? this.rport : 0,
          payload: new Uint8Array(0), local: { info: mc ? mc.dev.mtu : this.stack.mtuTo(dst) } });
        this.wq.wakeAll();
      }
      throw e;
    }
  }

  // A datagram for this socket; dropped when the receive buffer is full.
  deliver(data: Uint8Array, from: IpAddr, port: number): void {
    const truesize = data.length + SKB_OVERHEAD;
    if (this.rmem + truesize > this.rcvbuf && this.queue.length > 0) { this.drops++; return; }
    // Charged to the guest's memory budget (mm/budget.ts): past it the
    // datagram is dropped, as when Linux cannot charge an skb to memory.
    if (this.mem && !this.mem.tryCharge("sock", truesize)) { this.drops++; return; }
    this.queue.push({ data: data.slice(), from, port, truesize });
    this.rmem += truesize;
    this.wq.wakeAll();
  }

  recv(dst: Uint8Array, flags: number): InetRecv {
    if (flags & MSG_OOB) kerr(EINVAL);
    const d = this.queue[0];
    if (!d) {
      const e = this.takeError();
      if (e) kerr(e);
      if (this.shut & RCV_SHUTDOWN) return { n: 0, msgLen: 0, truncated: false, from: null };
      kerr(EAGAIN);
    }
    const n = Math.min(dst.length, d.data.length);
    dst.set(d.data.subarray(0, n));
    if (!(flags & MSG_PEEK)) { this.queue.shift(); this.rmem -= d.truesize; this.mem?.uncharge("sock", d.truesize); }
    return { n, msgLen: d.data.length, truncated: n < d.data.length, from: encodeSockaddr(this.family, d.from, d.port) };
  }

  shutdown(how: number): void {
    if (!this.connected) { this.shut |= how + 1; this.wq.wakeAll(); kerr(ENOTCONN); }
    this.shut |= how + 1;
    this.wq.wakeAll();
  }

  // udp_poll / datagram_poll.
  poll(): number { return this.datagramPoll(this.queue.length > 0); }

  bytesQueued(): number { return this.queue[0]?.data.length ?? 0; }
  bytesUnsent(): number { return 0; }

  release(): void {
    mcastRelease(this);
    this.unhashPort();
    this.queue.length = 0;
    this.mem?.uncharge("sock", this.rmem);
    this.rmem = 0;
    this.sockFree(); // a datagram socket ends with its last close
  }

  // How well this socket matches a datagram (compute_score): -1 not at all.
  score(p: IpPacket, sport: number): number {
    if (this.family === AF_INET && p.v6) return -1;
    if (this.v6only && !p.v6) return -1;
    let s = this.family === AF_INET ? 2 : 1;
    if (!isAny(this.laddr)) {
      if (isV4(this.laddr) === p.v6 || !sameAddr(this.laddr, p.dst)) return -1;
      s += 4;
    } else if (isV4(this.laddr) && p.v6) return -1;
    if (this.connected) {
      if (!sameAddr(this.raddr, p.src) || this.rport !== sport) return -1;
      s += 4;
    }
    return s;
  }
}

class Udp {
  constructor(readonly stack: NetStack) {}

  input(p: IpPacket): void {
    const b = p.payload;
    if (b.length < UDP_HLEN) return;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sport = dv.getUint16(0, false), dport = dv.getUint16(2, false), len = dv.getUint16(4, false);
    if (len < UDP_HLEN || len > b.length) return;
    const seg = b.subarray(0, len);
    if (!p.csumOk && (dv.getUint16(6, false) !== 0 || p.v6) && transportChecksum(p.src, p.dst, IPPROTO_UDP, seg) !== 0) return;
    const socks = this.stack.udpPorts.socketsOn(dport) as UdpSocket[];
    // A group's datagram goes to every socket on the port that matches and
    // wants the group, and never brings an ICMP error (__udp4_lib_mcast_deliver).
    if (isMulticast(p.dst)) {
      for (const s of socks) if (s.score(p, sport) >= 0 && mcastWants(s, p.dst)) s.deliver(seg.subarray(UDP_HLEN), p.src, sport);
      return;
    }
    let best: UdpSocket | null = null, bestScore = -1;
    for (const s of socks) {
      const sc = s.score(p, sport);
      if (sc > bestScore) { best = s; bestScore = sc; }
    }
    if (!best) {
      this.stack.icmpUnreach(p, ICMP_PORT_UNREACH, ICMPV6_PORT_UNREACH);
      return;
    }
    best.deliver(seg.subarray(UDP_HLEN), p.src, sport);
  }

  // An ICMP error about a datagram we sent (__udp4_lib_err): the socket it
  // came from — the connected one, else the one bound to its port — takes
  // it as its pending error when connected or under IP_RECVERR, and under
  // IP_RECVERR also queues it for MSG_ERRQUEUE with the datagram's payload.
  error(e: IcmpError): void {
    if (e.header.length < UDP_HLEN) return;
    const sport = (e.header[0] << 8) | e.header[1], dport = (e.header[2] << 8) | e.header[3];
    let hit: UdpSocket | null = null;
    for (const s of this.stack.udpPorts.socketsOn(sport) as UdpSocket[]) {
      if (!isAny(s.laddr) && !sameAddr(s.laddr, e.src)) continue;
      if (s.connected) {
        if (s.rport === dport && sameAddr(s.raddr, e.dst)) { hit = s; break; }
      } else if (!hit) hit = s;
    }
    if (!hit || (!hit.recverr && !hit.connected)) return;
    if (hit.recverr) {
      const payload = e.header.slice(UDP_HLEN);
      const queued = hit.errQueue.reduce((n, x) => n + x.payload.length, 0);
      // sock_queue_err_skb: the error queue shares the receive buffer.
      if (queued + payload.length <= hit.rcvbuf) {
        hit.errQueue.push({ errno: e.errno, v6: e.v6, type: e.type, code: e.code, offender: e.from, dst: e.dst, dport, payload });
      }
    }
    hit.setError(e.errno);
  }
}

const UDP = new KernelLocal("udp", (k: Kernel) => {
  const stack = netStack(k);
  const u = new Udp(stack);
  stack.register(IPPROTO_UDP, u);
  return u;
});
export function udpInit(k: Kernel): void { k.local(UDP); }
