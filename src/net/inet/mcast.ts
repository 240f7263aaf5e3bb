// IP multicast on datagram sockets (Linux's net/ipv4/igmp.c and
// net/ipv6/mcast.c as sockets see them, reimplemented): the
// IP_MULTICAST_*/IPV6_MULTICAST_* options, group memberships
// (IP_ADD_MEMBERSHIP, IPV6_ADD_MEMBERSHIP, MCAST_JOIN_GROUP), the route a
// datagram to a group takes, and which sockets hear one. No IGMP or MLD
// report goes on the wire: the only link, the user-mode NAT, has no
// multicast router, and the NAT drops datagrams to groups.
//
// As on Linux with lo alone: an IPv4 group is reached through lo only with
// IP_MULTICAST_IF naming it (no route covers 224.0.0.0/4), and what lo
// sends it hears, whatever IP_MULTICAST_LOOP says; lo has no IPv6
// multicast route (ENETUNREACH). On eth0 a datagram to a group this host
// joined there is also looped back unless IP_MULTICAST_LOOP is off
// (ip_mc_output's dev_loopback_xmit).

import { kerr } from "../../lib/errors.js";
import { EADDRINUSE, EADDRNOTAVAIL, EINVAL, ENETUNREACH, ENOBUFS, ENODEV } from "../../abi/errno.js";
import {
  AF_INET, AF_INET6, SOL_IP, SOL_IPV6, IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP, IP_MULTICAST_ALL, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, IP_MREQ_SIZE, IP_MREQN_SIZE, GROUP_REQ_SIZE,
  GROUP_REQ_GROUP, IPV6_MREQ_SIZE, IGMP_MAX_MEMBERSHIPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP,
  IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP,
} from "../../abi/socket.js";
import { type IpAddr, isV4, isAny, isMulticast, isLinkLocal6, sameAddr, addrKey, v4, V4_ANY } from "./addr.js";
import type { NetDevice, NetStack } from "./stack.js";
import type { InetSocket } from "./socket.js";

// Linux's defaults: a TTL (hop limit) of 1, looped back, every group heard.
const MC_TTL_DEFAULT = 1;

interface Membership { group: IpAddr; ifindex: number }

export class SockMcast {
  ifAddr: IpAddr = V4_ANY; // IP_MULTICAST_IF's address (inet->mc_addr)
  ifIndex = 0; // and device (inet->mc_index)
  ttl = MC_TTL_DEFAULT;
  loop = true;
  all = true; // IP_MULTICAST_ALL: a socket with no membership of a group hears it when the host joined it
  if6 = 0; // IPV6_MULTICAST_IF
  hops = -1; // IPV6_MULTICAST_HOPS, -1 for the default
  loop6 = true;
  readonly groups: Membership[] = [];
}

// The host's memberships, per device and group: how many sockets joined.
const joins = new WeakMap<NetStack, Map<string, number>>();
function joinTable(stack: NetStack): Map<string, number> {
  let m = joins.get(stack);
  if (!m) joins.set(stack, (m = new Map()));
  return m;
}
const joinKey = (ifindex: number, group: IpAddr) => `${ifindex}/${addrKey(group)}`;

// Whether the host joined `group`, on device `ifindex` or on any (ip_check_mc_rcu).
export function mcastJoined(stack: NetStack, group: IpAddr, ifindex = 0): boolean {
  const m = joins.get(stack);
  if (!m) return false;
  if (ifindex) return m.has(joinKey(ifindex, group));
  const k = `/${addrKey(group)}`;
  for (const key of m.keys()) if (key.endsWith(k)) return true;
  return false;
}

function mcOf(s: InetSocket): SockMcast { return s.mc ?? (s.mc = new SockMcast()); }

// Whether a datagram to `group` reaches socket s (ip_mc_sf_allow, inet6_mc_check):
// its own membership, else IP_MULTICAST_ALL.
export function mcastWants(s: InetSocket, group: IpAddr): boolean {
  const mc = s.mc;
  if (!mc) return true;
  if (mc.groups.some((g) => sameAddr(g.group, group))) return true;
  return isV4(group) ? mc.all : true;
}

// A socket's memberships end with it (ip_mc_drop_socket).
export function mcastRelease(s: InetSocket): void {
  const mc = s.mc;
  if (!mc) return;
  for (const g of mc.groups.splice(0)) unjoin(s.stack, g);
}

function unjoin(stack: NetStack, g: Membership): void {
  const t = joinTable(stack), k = joinKey(g.ifindex, g.group);
  const n = (t.get(k) ?? 1) - 1;
  if (n > 0) t.set(k, n); else t.delete(k);
}

const devByIndex = (stack: NetStack, i: number) => stack.devices.find((d) => d.index === i);
const devByAddr = (stack: NetStack, a: IpAddr) => stack.devices.find((d) => d.addrs.some((x) => sameAddr(x.addr, a)));

// The route of a datagram from s to `group`: its device, source and hop limit.
export function mcastRoute(s: InetSocket, group: IpAddr, scope = 0): { dev: NetDevice; src: IpAddr; ttl: number; loop: boolean } {
  const stack = s.stack, mc = s.mc ?? new SockMcast();
  const bound = !isAny(s.laddr) && !isMulticast(s.laddr) ? s.laddr : null;
  if (isV4(group)) {
    // ip_route_output_key with flowi4_oif = mc_index and saddr = mc_addr: a
    // named device needs no route; else the group is routed as unicast is.
    let dev: NetDevice | undefined;
    if (mc.ifIndex) dev = devByIndex(stack, mc.ifIndex);
    else if (!isAny(mc.ifAddr)) dev = devByAddr(stack, mc.ifAddr);
    if (!dev) dev = stack.route(group).dev;
    if (!dev) kerr(ENETUNREACH);
    // inet_select_addr at universe scope: lo's 127.0.0.1 is host-scoped, so none.
    const own = dev === stack.lo ? V4_ANY : dev.addrs.find((a) => isV4(a.addr))?.addr ?? V4_ANY;
    const src = bound ?? (!isAny(mc.ifAddr) ? mc.ifAddr : own);
    return { dev, src, ttl: mc.ttl, loop: mc.loop };
  }
  // IPv6: the interface IPV6_MULTICAST_IF or the scope id names, else the
  // default route's; lo carries no multicast route.
  const index = mc.if6 || scope;
  const dev = index ? devByIndex(stack, index) : stack.defaultGateway6?.dev;
  if (!dev || dev === stack.lo) return kerr(ENETUNREACH);
  const v6 = dev.addrs.filter((a) => !isV4(a.addr));
  // ipv6_dev_get_saddr's scope rule: a link-local source for a link-scoped group.
  const linkScope = (group[1] & 0x0f) <= 2;
  const pick = v6.find((a) => isLinkLocal6(a.addr) === linkScope) ?? v6[0];
  if (!bound && !pick) kerr(ENETUNREACH);
  return { dev, src: bound ?? pick!.addr, ttl: mc.hops < 0 ? MC_TTL_DEFAULT : mc.hops, loop: mc.loop6 };
}

// Reads an int option as ip_setsockopt does: an int, or one byte for a shorter optlen.
function optInt(opt: Uint8Array, byteOk: boolean): number {
  if (opt.length >= 4) return new DataView(opt.buffer, opt.byteOffset, 4).getInt32(0, true);
  if (byteOk && opt.length >= 1) return opt[0];
  return kerr(EINVAL);
}

// The device a membership names (ip_mc_find_dev, ipv6_sock_mc_join): by
// index, by one of its addresses, else the one the group routes through.
function memberDev(stack: NetStack, group: IpAddr, ifindex: number, addr: IpAddr | null): NetDevice {
  let dev: NetDevice | undefined;
  if (ifindex) dev = devByIndex(stack, ifindex);
  else if (addr && !isAny(addr)) dev = devByAddr(stack, addr);
  else if (isV4(group)) {
    // No route covers 224.0.0.0/4 but a default one.
    const g = stack.defaultGateway;
    dev = g && g.dev !== stack.lo ? g.dev : undefined;
  } else dev = stack.defaultGateway6?.dev;
  if (!dev) kerr(ENODEV);
  return dev;
}

function join(s: InetSocket, group: IpAddr, dev: NetDevice): void {
  const mc = mcOf(s);
  if (!isMulticast(group)) kerr(EINVAL);
  if (mc.groups.some((g) => g.ifindex === dev.index && sameAddr(g.group, group))) kerr(EADDRINUSE);
  if (isV4(group) && mc.groups.filter((g) => isV4(g.group)).length >= IGMP_MAX_MEMBERSHIPS) kerr(ENOBUFS);
  const m = { group, ifindex: dev.index };
  mc.groups.push(m);
  const t = joinTable(s.stack), k = joinKey(m.ifindex, group);
  t.set(k, (t.get(k) ?? 0) + 1);
}

// ip_mc_leave_group / ipv6_sock_mc_drop: EADDRNOTAVAIL when not a member.
function leave(s: InetSocket, group: IpAddr, ifindex: number, addr: IpAddr | null): void {
  const mc = mcOf(s);
  const want = ifindex || (addr && !isAny(addr) ? devByAddr(s.stack, addr)?.index ?? -1 : 0);
  const i = mc.groups.findIndex((g) => sameAddr(g.group, group) && (!want || g.ifindex === want));
  if (i < 0) kerr(EADDRNOTAVAIL);
  unjoin(s.stack, mc.groups.splice(i, 1)[0]);
}

const v4At = (b: Uint8Array, at: number) => v4(b[at], b[at + 1], b[at + 2], b[at + 3]);
const u32At = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true);

const V4_OPTS = new Set([IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_MULTICAST_ALL, IP_MULTICAST_IF, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP]);
const V6_OPTS = new Set([IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_MULTICAST_IF, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP]);

// A multicast option for setsockopt, its bytes from read(); false when `name` is not one.
export function mcastSetsockopt(s: InetSocket, level: number, name: number, read: () => Uint8Array): boolean {
  if (!(level === SOL_IP ? V4_OPTS : level === SOL_IPV6 && s.family === AF_INET6 ? V6_OPTS : null)?.has(name)) return false;
  const opt = read();
  const mc = () => mcOf(s);
  if (level === SOL_IP) {
    switch (name) {
      case IP_MULTICAST_TTL: {
        let v = optInt(opt, true);
        if (v === -1) v = MC_TTL_DEFAULT;
        if (v < 0 || v > 255) kerr(EINVAL);
        mc().ttl = v;
        return true;
      }
      case IP_MULTICAST_LOOP: mc().loop = optInt(opt, true) !== 0; return true;
      case IP_MULTICAST_ALL: mc().all = optInt(opt, true) !== 0; return true;
      case IP_MULTICAST_IF: {
        // struct ip_mreqn, struct ip_mreq (its interface address), or a bare in_addr.
        if (opt.length < 4) kerr(EINVAL);
        const index = opt.length >= IP_MREQN_SIZE ? u32At(opt, 8) : 0;
        const addr = opt.length >= IP_MREQ_SIZE ? v4At(opt, 4) : v4At(opt, 0);
        if (!index && isAny(addr)) { mc().ifIndex = 0; mc().ifAddr = V4_ANY; return true; }
        const dev = index ? devByIndex(s.stack, index) : devByAddr(s.stack, addr);
        if (!dev) kerr(EADDRNOTAVAIL);
        mc().ifIndex = index;
        mc().ifAddr = addr;
        return true;
      }
      case IP_ADD_MEMBERSHIP: case IP_DROP_MEMBERSHIP: {
        if (opt.length < IP_MREQ_SIZE) kerr(EINVAL);
        const group = v4At(opt, 0), addr = v4At(opt, 4);
        const index = opt.length >= IP_MREQN_SIZE ? u32At(opt, 8) : 0;
        if (name === IP_DROP_MEMBERSHIP) {
          // ip_mc_leave_group: no device named and none routed to is ENODEV.
          if (!index && isAny(addr) && !s.stack.defaultGateway) kerr(ENODEV);
          leave(s, group, index, addr);
          return true;
        }
        if (!isMulticast(group)) kerr(EINVAL);
        join(s, group, memberDev(s.stack, group, index, addr));
        return true;
      }
    }
  } else if (level === SOL_IPV6 && s.family === AF_INET6) {
    switch (name) {
      case IPV6_MULTICAST_HOPS: {
        const v = optInt(opt, false);
        if (v < -1 || v > 255) kerr(EINVAL);
        mc().hops = v;
        return true;
      }
      case IPV6_MULTICAST_LOOP: {
        const v = optInt(opt, false);
        if (v < 0 || v > 1) kerr(EINVAL);
        mc().loop6 = v === 1;
        return true;
      }
      case IPV6_MULTICAST_IF: {
        const v = optInt(opt, false);
        if (v && !devByIndex(s.stack, v)) kerr(ENODEV);
        mc().if6 = v;
        return true;
      }
      case IPV6_ADD_MEMBERSHIP: case IPV6_DROP_MEMBERSHIP: {
        if (opt.length < IPV6_MREQ_SIZE) kerr(EINVAL);
        const group = opt.slice(0, 16), index = u32At(opt, 16);
        if (name === IPV6_DROP_MEMBERSHIP) { leave(s, group, index, null); return true; }
        if (!isMulticast(group) || isV4(group)) kerr(EINVAL);
        join(s, group, memberDev(s.stack, group, index, null));
        return true;
      }
    }
  }
  if ((level === SOL_IP || (level === SOL_IPV6 && s.family === AF_INET6)) && (name === MCAST_JOIN_GROUP || name === MCAST_LEAVE_GROUP)) {
    // struct group_req: the interface index, then the group as a sockaddr of the level's family.
    if (opt.length < GROUP_REQ_SIZE) kerr(EINVAL);
    const index = u32At(opt, 0), fam = opt[GROUP_REQ_GROUP] | (opt[GROUP_REQ_GROUP + 1] << 8);
    let group: IpAddr;
    if (level === SOL_IP) {
      if (fam !== AF_INET) kerr(EINVAL);
      group = v4At(opt, GROUP_REQ_GROUP + 4);
    } else {
      if (fam !== AF_INET6) kerr(EINVAL);
      group = opt.slice(GROUP_REQ_GROUP + 8, GROUP_REQ_GROUP + 24);
    }
    if (name === MCAST_LEAVE_GROUP) { leave(s, group, index, null); return true; }
    if (!isMulticast(group)) kerr(EINVAL);
    join(s, group, memberDev(s.stack, group, index, null));
    return true;
  }
  return false;
}

// A multicast option for getsockopt (its value's bytes; an int option
// read into fewer than 4 bytes gives one, as ip_getsockopt); null when
// `name` is not one.
export function mcastGetsockopt(s: InetSocket, level: number, name: number, len: number): Uint8Array | null {
  const mc = s.mc ?? new SockMcast();
  const int = (v: number, byteOk: boolean) => {
    if (byteOk && len > 0 && len < 4 && v >= 0 && v <= 255) return Uint8Array.of(v);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return b;
  };
  if (level === SOL_IP) {
    switch (name) {
      case IP_MULTICAST_TTL: return int(mc.ttl, true);
      case IP_MULTICAST_LOOP: return int(mc.loop ? 1 : 0, true);
      case IP_MULTICAST_ALL: return int(mc.all ? 1 : 0, true);
      case IP_MULTICAST_IF: return mc.ifAddr.slice(12);
    }
  } else if (level === SOL_IPV6 && s.family === AF_INET6) {
    switch (name) {
      case IPV6_MULTICAST_HOPS: return int(mc.hops < 0 ? MC_TTL_DEFAULT : mc.hops, false);
      case IPV6_MULTICAST_LOOP: return int(mc.loop6 ? 1 : 0, false);
      case IPV6_MULTICAST_IF: return int(mc.if6, false);
    }
  }
  return null;
}
