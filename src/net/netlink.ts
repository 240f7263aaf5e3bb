// NETLINK_ROUTE sockets (Linux's net/netlink/af_netlink.c with
// net/core/rtnetlink.c's dumps, reimplemented): a program asks the kernel
// for its links, addresses and routes, as glibc's getaddrinfo does for
// AI_ADDRCONFIG and busybox `ip` does for everything. Requests to change
// the configuration need CAP_NET_ADMIN (EPERM) and are made by
// netlink_set.ts; the devices themselves are fixed at boot.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL, EOPNOTSUPP, EPERM, ENODEV, ECONNREFUSED, ENOTCONN, EADDRINUSE } from "../abi/errno.js";
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNSPEC, MSG_PEEK, sockaddr_nl } from "../abi/socket.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import { IFF_UP, IFF_LOOPBACK, IFF_MULTICAST, ARPHRD_ETHER, ARPHRD_LOOPBACK } from "../abi/inet.js";
import { EtherDevice } from "./dev/ether.js";
import {
  NLMSG_HDRLEN, NLMSG_ERROR, NLMSG_DONE, NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP, RTM_NEWLINK, RTM_GETLINK,
  RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE, RTM_GETROUTE, IFINFOMSG_SIZE, IFADDRMSG_SIZE, RTMSG_SIZE, RTA_HDRLEN,
  IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_QDISC, IFLA_STATS, IFLA_TXQLEN, IFLA_OPERSTATE,
  IFLA_LINKMODE, IF_OPER_UNKNOWN, IF_OPER_UP, IF_OPER_DOWN, RTPROT_BOOT, IFF_LOWER_UP, RTNL_LINK_STATS_SIZE, IFA_ADDRESS, IFA_LOCAL, IFA_LABEL,
  IFA_FLAGS, IFA_F_PERMANENT, RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE, RT_TABLE_MAIN, RTPROT_KERNEL,
  RT_SCOPE_UNIVERSE, RT_SCOPE_SITE, RT_SCOPE_LINK, RT_SCOPE_HOST, RTN_UNICAST, IP6_RT_PRIO_ADDRCONF, IP6_RT_PRIO_USER, NLMSG_NOOP,
  RTM_GETNEIGH, RTM_NEWNEIGH, NDMSG_SIZE, NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_PROBES, NDA_CACHEINFO_SIZE, USER_HZ,
  IFA_CACHEINFO, IFA_CACHEINFO_SIZE, INFINITY_LIFE_TIME, RTN_MULTICAST,
} from "../abi/netlink.js";
import { type SockAddr, type IpAddr, isLoopback, isV4, isLinkLocal6, isSiteLocal6 } from "./inet/addr.js";
import type { NetDevice, NetStack } from "./inet/stack.js";
import { InetDataSocket, type InetRecv } from "./inet/socket.js";
import { PortTable } from "./inet/ports.js";
import { rtnlChange } from "./netlink_set.js";

const NETLINK_RMEM = 212992;
const TXQUEUELEN = 1000;
// netlink_autobind: a process's first socket takes its pid, the others count down from here.
const AUTOBIND_START = -4096;

const align = (n: number) => (n + 3) & ~3;
// ff00::/8, every IPv6 multicast group.
const MULTICAST_PREFIX6 = 8;

// A message being built: a header, a fixed part, then attributes.
class Msg {
  private parts: Uint8Array[] = [];
  private len = NLMSG_HDRLEN;
  constructor(readonly type: number, readonly flags: number, readonly seq: number, readonly pid: number, fixed: Uint8Array) { this.add(fixed); }
  private add(b: Uint8Array): void {
    const p = new Uint8Array(align(b.length));
    p.set(b);
    this.parts.push(p);
    this.len += p.length;
  }
  attr(type: number, data: Uint8Array): this {
    const b = new Uint8Array(RTA_HDRLEN + data.length);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, b.length, true);
    dv.setUint16(2, type, true);
    b.set(data, RTA_HDRLEN);
    this.add(b);
    return this;
  }
  u32(type: number, v: number): this { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return this.attr(type, b); }
  u8(type: number, v: number): this { return this.attr(type, new Uint8Array([v])); }
  str(type: number, s: string): this { return this.attr(type, Buffer.from(s + "\0", "latin1")); }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.len);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.len, true);
    dv.setUint16(4, this.type, true);
    dv.setUint16(6, this.flags, true);
    dv.setUint32(8, this.seq >>> 0, true);
    dv.setUint32(12, this.pid >>> 0, true);
    let off = NLMSG_HDRLEN;
    for (const p of this.parts) { out.set(p, off); off += p.length; }
    return out;
  }
}

function concat(bs: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of bs) { out.set(b, off); off += b.length; }
  return out;
}

export class NetlinkSocket extends InetDataSocket {
  sndbuf = NETLINK_RMEM;
  rcvbuf = NETLINK_RMEM;
  portid = 0;
  groups = 0;
  private readonly queue: Uint8Array[] = [];
  private readonly noPorts = new PortTable();

  constructor(stack: NetStack, type: number, protocol: number, uid: number, private readonly tgid: number, private readonly privileged: boolean) {
    super(stack, AF_NETLINK, type, protocol, uid);
  }

  get ports(): PortTable { return this.noPorts; }
  isListening(): boolean { return false; }

  // bind(2): the port id (0: the kernel picks one) and multicast groups.
  override bind(sa: SockAddr): void {
    if (this.portid && sa.port && sa.port !== this.portid) kerr(EINVAL);
    if (!this.portid) {
      if (sa.port) {
        if (this.stack.netlinkPids.has(sa.port)) kerr(EADDRINUSE);
        this.portid = sa.port;
        this.stack.netlinkPids.add(sa.port);
      } else this.autobind();
    }
    this.groups = sa.scope;
  }

  override autobind(): void {
    if (this.portid) return;
    let id = this.tgid;
    for (let n = AUTOBIND_START; this.stack.netlinkPids.has(id >>> 0); n--) id = n;
    this.portid = id >>> 0;
    this.stack.netlinkPids.add(this.portid);
  }

  override localName(): Uint8Array { return this.nlAddr(this.portid, this.groups); }
  override peerName(): Uint8Array { return this.nlAddr(0, 0); }
  private nlAddr(pid: number, groups: number): Uint8Array {
    const b = new Uint8Array(sockaddr_nl.size);
    const dv = new DataView(b.buffer);
    sockaddr_nl.write(dv, 0, { nl_family: AF_NETLINK, nl_pad: 0, nl_pid: pid >>> 0, nl_groups: groups >>> 0 });
    return b;
  }

  connect(sa: SockAddr): void {
    if (sa.unspec) return;
    if (sa.port !== 0) kerr(ECONNREFUSED);
    this.autobind();
  }

  shutdown(_how: number): void { kerr(ENOTCONN); }

  send(data: Uint8Array, _flags: number, dest: SockAddr | null): number {
    // Only the kernel (port id 0) listens on NETLINK_ROUTE here.
    if (dest && !dest.unspec && dest.port !== 0) kerr(ECONNREFUSED);
    this.autobind();
    this.handle(data);
    return data.length;
  }

  recv(dst: Uint8Array, flags: number): InetRecv {
    const d = this.queue[0];
    if (!d) kerr(EAGAIN);
    const n = Math.min(dst.length, d.length);
    dst.set(d.subarray(0, n));
    if (!(flags & MSG_PEEK)) this.queue.shift();
    return { n, msgLen: d.length, truncated: n < d.length, from: this.nlAddr(0, 0) };
  }

  poll(): number { return (this.queue.length ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM; }
  bytesQueued(): number { return this.queue[0]?.length ?? 0; }
  bytesUnsent(): number { return 0; }
  release(): void {
    if (this.portid) this.stack.netlinkPids.delete(this.portid);
    this.queue.length = 0;
    this.sockFree();
  }

  private reply(b: Uint8Array): void { this.queue.push(b); this.wq.wakeAll(); }
  // A datagram the kernel sends this socket unasked (mq_notify's SIGEV_THREAD cookie, netlink_sendskb).
  deliver(b: Uint8Array): void { this.reply(b); }

  // Every request in the datagram, answered in order (netlink_rcv_skb).
  private handle(buf: Uint8Array): void {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let off = 0; off + NLMSG_HDRLEN <= buf.length;) {
      const len = dv.getUint32(off, true);
      if (len < NLMSG_HDRLEN || off + len > buf.length) break;
      const type = dv.getUint16(off + 4, true), flags = dv.getUint16(off + 6, true), seq = dv.getUint32(off + 8, true);
      const msg = buf.subarray(off, off + len);
      off += align(len);
      if (!(flags & NLM_F_REQUEST) || type <= NLMSG_DONE || type === NLMSG_NOOP) continue;
      const body = msg.subarray(NLMSG_HDRLEN);
      const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
      let err = 0;
      if (type === RTM_GETLINK && dump) this.dump(seq, this.links(seq));
      else if (type === RTM_GETLINK) err = this.getLink(seq, body);
      else if (type === RTM_GETADDR && dump) this.dump(seq, this.addrs(seq, body[0] ?? AF_UNSPEC));
      else if (type === RTM_GETROUTE && dump) this.dump(seq, this.routes(seq, body[0] ?? AF_UNSPEC));
      else if (type === RTM_GETNEIGH && dump) this.dump(seq, this.neighbours(seq, body[0] ?? AF_UNSPEC));
      // NEW, DEL, SET: CAP_NET_ADMIN (netlink_net_capable, of the socket's opener here), then the change.
      else if (type >= RTM_NEWLINK && type % 4 !== 2) err = this.privileged ? rtnlChange(this.stack, type, flags, body) : EPERM;
      else err = EOPNOTSUPP;
      if (err || (flags & NLM_F_ACK)) this.ack(seq, msg, err);
    }
  }

  // NLMSG_ERROR: an error with the request, or (0) an acknowledgement with its header.
  private ack(seq: number, req: Uint8Array, err: number): void {
    const quoted = err ? req : req.subarray(0, NLMSG_HDRLEN);
    const body = new Uint8Array(4 + quoted.length);
    new DataView(body.buffer).setInt32(0, -err, true);
    body.set(quoted, 4);
    this.reply(new Msg(NLMSG_ERROR, 0, seq, this.portid, body).bytes());
  }

  private dump(seq: number, msgs: Uint8Array[]): void {
    const done = new Msg(NLMSG_DONE, NLM_F_MULTI, seq, this.portid, new Uint8Array(4)).bytes();
    this.reply(concat([...msgs, done]));
  }

  private linkMsg(seq: number, d: NetDevice, flags: number): Uint8Array {
    const lo = (d.flags & IFF_LOOPBACK) !== 0;
    const fixed = new Uint8Array(IFINFOMSG_SIZE);
    const dv = new DataView(fixed.buffer);
    fixed[0] = AF_UNSPEC;
    dv.setUint16(2, lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER, true);
    dv.setInt32(4, d.index, true);
    // dev_get_flags: a device down has no carrier to report (no IFF_LOWER_UP).
    dv.setUint32(8, d.flags & IFF_UP ? d.flags | IFF_LOWER_UP : d.flags, true);
    const stats = new Uint8Array(RTNL_LINK_STATS_SIZE);
    const sv = new DataView(stats.buffer);
    sv.setUint32(0, d.stats.rxPackets, true);
    sv.setUint32(4, d.stats.txPackets, true);
    sv.setUint32(8, d.stats.rxBytes >>> 0, true);
    sv.setUint32(12, d.stats.txBytes >>> 0, true);
    sv.setUint32(24, d.stats.rxDropped, true);
    return new Msg(RTM_NEWLINK, flags, seq, this.portid, fixed)
      .str(IFLA_IFNAME, d.name).u32(IFLA_TXQLEN, TXQUEUELEN).u8(IFLA_OPERSTATE, lo ? IF_OPER_UNKNOWN : d.flags & IFF_UP ? IF_OPER_UP : IF_OPER_DOWN)
      .u8(IFLA_LINKMODE, 0).u32(IFLA_MTU, d.mtu).str(IFLA_QDISC, "noqueue")
      .attr(IFLA_ADDRESS, d.hwaddr).attr(IFLA_BROADCAST, lo ? new Uint8Array(6) : new Uint8Array(6).fill(0xff))
      .attr(IFLA_STATS, stats).bytes();
  }

  private links(seq: number): Uint8Array[] { return this.stack.devices.map((d) => this.linkMsg(seq, d, NLM_F_MULTI)); }

  // RTM_GETLINK for one device, by index or IFLA_IFNAME.
  private getLink(seq: number, body: Uint8Array): number {
    if (body.length < IFINFOMSG_SIZE) return EINVAL;
    const idx = new DataView(body.buffer, body.byteOffset).getInt32(4, true);
    let name: string | null = null;
    for (let off = IFINFOMSG_SIZE; off + RTA_HDRLEN <= body.length;) {
      const dv = new DataView(body.buffer, body.byteOffset + off);
      const len = dv.getUint16(0, true), type = dv.getUint16(2, true);
      if (len < RTA_HDRLEN) break;
      if (type === IFLA_IFNAME) name = Buffer.from(body.subarray(off + RTA_HDRLEN, off + len)).toString("latin1").replace(/\0.*$/s, "");
      off += align(len);
    }
    const d = this.stack.devices.find((x) => (idx > 0 ? x.index === idx : x.name === name));
    if (!d) return ENODEV;
    this.reply(this.linkMsg(seq, d, 0));
    return 0;
  }

  private addrs(seq: number, family: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const fam of [AF_INET, AF_INET6]) {
      if (family !== AF_UNSPEC && family !== fam) continue;
      for (const d of this.stack.devices) for (const a of d.addrs) {
        if (isV4(a.addr) !== (fam === AF_INET)) continue;
        const lo = (d.flags & IFF_LOOPBACK) !== 0;
        const fixed = new Uint8Array(IFADDRMSG_SIZE);
        fixed[0] = fam; fixed[1] = a.prefix; fixed[2] = IFA_F_PERMANENT; fixed[3] = lo && isLoopback(a.addr) ? RT_SCOPE_HOST : addrScope(a.addr);
        new DataView(fixed.buffer).setUint32(4, d.index, true);
        const raw = fam === AF_INET ? a.addr.subarray(12) : a.addr;
        // Static addresses live for ever (ifa_cacheinfo's INFINITY_LIFE_TIME),
        // made when the stack was (tstamps 0); inet_fill_ifaddr gives the
        // cache information after the flags, inet6_fill_ifaddr before them.
        const ci = new Uint8Array(IFA_CACHEINFO_SIZE);
        const cv = new DataView(ci.buffer);
        cv.setUint32(0, INFINITY_LIFE_TIME, true);
        cv.setUint32(4, INFINITY_LIFE_TIME, true);
        const m = new Msg(RTM_NEWADDR, NLM_F_MULTI, seq, this.portid, fixed).attr(IFA_ADDRESS, raw);
        if (fam === AF_INET) m.attr(IFA_LOCAL, raw).str(IFA_LABEL, d.name).u32(IFA_FLAGS, IFA_F_PERMANENT).attr(IFA_CACHEINFO, ci);
        else m.attr(IFA_CACHEINFO, ci).u32(IFA_FLAGS, IFA_F_PERMANENT);
        out.push(m.bytes());
      }
    }
    return out;
  }

  private neighbours(seq: number, family: number): Uint8Array[] { return neighbourMsgs(this.stack, seq, this.portid, family); }

  // The main table: each IPv4 device subnet (not lo's: those are in the local table) and ::1.
  private routes(seq: number, family: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const route = (fam: number, dstLen: number, dst: Uint8Array | null, dev: NetDevice, scope: number, prio: number, src: Uint8Array | null) => {
      const fixed = new Uint8Array(RTMSG_SIZE);
      fixed[0] = fam; fixed[1] = dstLen; fixed[4] = RT_TABLE_MAIN; fixed[5] = RTPROT_KERNEL; fixed[6] = scope; fixed[7] = RTN_UNICAST;
      const m = new Msg(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portid, fixed).u32(RTA_TABLE, RT_TABLE_MAIN);
      if (dst) m.attr(RTA_DST, dst);
      if (src) m.attr(RTA_PREFSRC, src);
      if (prio) m.u32(RTA_PRIORITY, prio);
      out.push(m.u32(RTA_OIF, dev.index).bytes());
    };
    if (family === AF_UNSPEC || family === AF_INET) {
      const g = this.stack.defaultGateway;
      if (g) {
        const fixed = new Uint8Array(RTMSG_SIZE);
        fixed[0] = AF_INET; fixed[4] = RT_TABLE_MAIN; fixed[5] = RTPROT_KERNEL; fixed[6] = RT_SCOPE_UNIVERSE; fixed[7] = RTN_UNICAST;
        out.push(new Msg(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portid, fixed).u32(RTA_TABLE, RT_TABLE_MAIN)
          .attr(RTA_GATEWAY, g.gw.subarray(12)).u32(RTA_OIF, g.dev.index).bytes());
      }
      for (const d of this.stack.devices) {
        if (d.flags & IFF_LOOPBACK) continue;
        for (const a of d.addrs) {
          if (!isV4(a.addr)) continue;
          const net = a.addr.slice(12);
          for (let i = 0; i < 4; i++) net[i] &= a.prefix >= (i + 1) * 8 ? 0xff : (0xff << (8 - Math.max(a.prefix - i * 8, 0))) & 0xff;
          route(AF_INET, a.prefix, net, d, RT_SCOPE_LINK, 0, a.addr.subarray(12));
        }
      }
    }
    // Routes root added (`ip route add`: RTPROT_BOOT, as iproute2 marks them).
    for (const r of this.stack.staticRoutes) {
      const fam = isV4(r.dst) ? AF_INET : AF_INET6;
      if (family !== AF_UNSPEC && family !== fam) continue;
      const fixed = new Uint8Array(RTMSG_SIZE);
      fixed[0] = fam; fixed[1] = r.prefix; fixed[4] = RT_TABLE_MAIN; fixed[5] = RTPROT_BOOT; fixed[6] = r.gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK; fixed[7] = RTN_UNICAST;
      const m = new Msg(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portid, fixed).u32(RTA_TABLE, RT_TABLE_MAIN);
      const raw = (x: IpAddr) => (fam === AF_INET ? x.subarray(12) : x);
      if (r.prefix) m.attr(RTA_DST, raw(r.dst));
      if (r.gw) m.attr(RTA_GATEWAY, raw(r.gw));
      out.push(m.u32(RTA_OIF, r.dev.index).bytes());
    }
    if (family === AF_UNSPEC || family === AF_INET6) {
      // Each address's prefix route (addrconf_prefix_route: the network, not the address), then the default route.
      // In the order of the routing tree (fib6: by prefix), so fe80::/64 before fec0::/64.
      const v6 = this.stack.devices.flatMap((d) => d.addrs.filter((a) => !isV4(a.addr)).map((a) => ({ d, a })))
        .sort((x, y) => Buffer.compare(x.a.addr, y.a.addr));
      for (const { d, a } of v6) {
        const net = a.addr.slice();
        for (let i = 0; i < 16; i++) net[i] &= a.prefix >= (i + 1) * 8 ? 0xff : (0xff << (8 - Math.max(a.prefix - i * 8, 0))) & 0xff;
        route(AF_INET6, a.prefix, net, d, RT_SCOPE_UNIVERSE, IP6_RT_PRIO_ADDRCONF, null);
      }
      // Every multicast-capable device's ff00::/8 (addrconf_add_mroute): lo has none.
      for (const d of this.stack.devices) {
        if (d.flags & IFF_LOOPBACK || !(d.flags & IFF_MULTICAST)) continue;
        const fixed = new Uint8Array(RTMSG_SIZE);
        fixed[0] = AF_INET6; fixed[1] = MULTICAST_PREFIX6; fixed[4] = RT_TABLE_MAIN; fixed[5] = RTPROT_KERNEL; fixed[6] = RT_SCOPE_UNIVERSE; fixed[7] = RTN_MULTICAST;
        const ff = new Uint8Array(16);
        ff[0] = 0xff;
        out.push(new Msg(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portid, fixed).u32(RTA_TABLE, RT_TABLE_MAIN)
          .attr(RTA_DST, ff).u32(RTA_PRIORITY, IP6_RT_PRIO_ADDRCONF).u32(RTA_OIF, d.index).bytes());
      }
      const g = this.stack.defaultGateway6;
      if (g) {
        const fixed = new Uint8Array(RTMSG_SIZE);
        fixed[0] = AF_INET6; fixed[4] = RT_TABLE_MAIN; fixed[5] = RTPROT_KERNEL; fixed[6] = RT_SCOPE_UNIVERSE; fixed[7] = RTN_UNICAST;
        out.push(new Msg(RTM_NEWROUTE, NLM_F_MULTI, seq, this.portid, fixed).u32(RTA_TABLE, RT_TABLE_MAIN)
          .attr(RTA_GATEWAY, g.gw).u32(RTA_PRIORITY, IP6_RT_PRIO_USER).u32(RTA_OIF, g.dev.index).bytes());
      }
    }
    return out;
  }
}

// RTM_NEWNEIGH for each neighbour entry (neigh_dump_info): the ARP table's,
// then neighbour discovery's; lo, which resolves nothing, has none.
function neighbourMsgs(stack: NetStack, seq: number, portid: number, family: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const ticks = (ns: number) => Math.floor(ns / (1e9 / USER_HZ)) >>> 0;
  for (const fam of [AF_INET, AF_INET6]) {
    if (family !== AF_UNSPEC && family !== fam) continue;
    for (const d of stack.devices) {
      if (!(d instanceof EtherDevice)) continue;
      for (const n of d.arp.neighbours()) {
        if (isV4(n.addr) !== (fam === AF_INET)) continue;
        const fixed = new Uint8Array(NDMSG_SIZE);
        const dv = new DataView(fixed.buffer);
        fixed[0] = fam;
        dv.setInt32(4, d.index, true);
        dv.setUint16(8, n.state, true);
        fixed[11] = RTN_UNICAST;
        const ci = new Uint8Array(NDA_CACHEINFO_SIZE);
        const cv = new DataView(ci.buffer);
        cv.setUint32(0, ticks(n.confirmedAge), true);
        cv.setUint32(4, ticks(n.usedAge), true);
        cv.setUint32(8, ticks(n.updatedAge), true);
        const m = new Msg(RTM_NEWNEIGH, NLM_F_MULTI, seq, portid, fixed).attr(NDA_DST, fam === AF_INET ? n.addr.subarray(12) : n.addr);
        if (n.mac) m.attr(NDA_LLADDR, n.mac);
        out.push(m.attr(NDA_CACHEINFO, ci).u32(NDA_PROBES, n.probes).bytes());
      }
    }
  }
  return out;
}

// An address's ifa_scope (ipv6_addr_scope for IPv6): link-local and
// site-local IPv6 addresses are narrower than the universe.
function addrScope(a: IpAddr): number {
  if (isV4(a)) return RT_SCOPE_UNIVERSE;
  return isLinkLocal6(a) ? RT_SCOPE_LINK : isSiteLocal6(a) ? RT_SCOPE_SITE : RT_SCOPE_UNIVERSE;
}
