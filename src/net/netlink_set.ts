// The NEW/DEL/SET requests of NETLINK_ROUTE (rtnetlink.c's do_setlink,
// devinet.c's inet_rtm_newaddr/deladdr, addrconf.c's inet6_rtm_*,
// fib_frontend.c's inet_rtm_newroute/delroute), as `ip addr add/del`,
// `ip route add/del` and `ip link set` send them; netconf.ts makes the change.
// Each returns 0 or an errno for the NLMSG_ERROR answer.

import { KernelError } from "../lib/errors.js";
import { EINVAL, ENODEV, EOPNOTSUPP, ENETUNREACH, EAFNOSUPPORT } from "../abi/errno.js";
import { AF_INET, AF_INET6 } from "../abi/socket.js";
import { IFF_UP } from "../abi/inet.js";
import {
  RTM_NEWLINK, RTM_DELLINK, RTM_SETLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, NLM_F_CREATE,
  IFINFOMSG_SIZE, IFADDRMSG_SIZE, RTMSG_SIZE, RTA_HDRLEN, IFLA_IFNAME, IFLA_MTU, IFA_ADDRESS, IFA_LOCAL,
  RTA_DST, RTA_OIF, RTA_GATEWAY, RT_TABLE_MAIN, RTN_UNICAST,
} from "../abi/netlink.js";
import { type IpAddr, v4, isV4, sameAddr } from "./inet/addr.js";
import type { NetDevice, NetStack } from "./inet/stack.js";
import { addAddr, delAddr, setUp, setMtu, addRoute, delRoute, masked } from "./inet/netconf.js";

// RT_TABLE_UNSPEC: a request naming no table means the main one.
const RT_TABLE_UNSPEC = 0;

// The attributes after a fixed part: type -> payload (the last one wins).
function attrs(body: Uint8Array, fixed: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (let off = fixed; off + RTA_HDRLEN <= body.length;) {
    const dv = new DataView(body.buffer, body.byteOffset + off);
    const len = dv.getUint16(0, true);
    if (len < RTA_HDRLEN || off + len > body.length) break;
    out.set(dv.getUint16(2, true) & 0x3fff, body.subarray(off + RTA_HDRLEN, off + len)); // without NLA_F_NESTED/NET_BYTEORDER
    off += (len + 3) & ~3;
  }
  return out;
}

// An address attribute of the family's length (EINVAL otherwise).
function ipOf(family: number, b: Uint8Array | undefined): IpAddr | null {
  if (!b) return null;
  if (family === AF_INET && b.length === 4) return v4(b[0], b[1], b[2], b[3]);
  if (family === AF_INET6 && b.length === 16) return b.slice();
  throw new KernelError(EINVAL);
}

function u32(b: Uint8Array | undefined): number | null {
  return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : null;
}

export function rtnlChange(stack: NetStack, type: number, flags: number, body: Uint8Array): number {
  try {
    if (type === RTM_NEWLINK || type === RTM_SETLINK || type === RTM_DELLINK) return link(stack, type, flags, body);
    if (type === RTM_NEWADDR || type === RTM_DELADDR) return addr(stack, type, body);
    if (type === RTM_NEWROUTE || type === RTM_DELROUTE) return route(stack, type, body);
    return EOPNOTSUPP;
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}

// do_setlink: the up flag (ifi_change selects the flags that change; none
// selected means all) and IFLA_MTU. Ghost makes and removes no devices.
function link(stack: NetStack, type: number, flags: number, body: Uint8Array): number {
  if (body.length < IFINFOMSG_SIZE) return EINVAL;
  const dv = new DataView(body.buffer, body.byteOffset);
  const index = dv.getInt32(4, true), ifiFlags = dv.getUint32(8, true), change = dv.getUint32(12, true);
  const a = attrs(body, IFINFOMSG_SIZE);
  const name = a.get(IFLA_IFNAME) ? Buffer.from(a.get(IFLA_IFNAME)!).toString("latin1").replace(/\0.*$/s, "") : null;
  const dev = stack.devices.find((d) => (index > 0 ? d.index === index : d.name === name));
  if (!dev) return type === RTM_NEWLINK && flags & NLM_F_CREATE ? EOPNOTSUPP : ENODEV;
  if (type === RTM_DELLINK) return EOPNOTSUPP; // lo and eth0 are not virtual links one may delete
  const mtu = u32(a.get(IFLA_MTU));
  if (mtu !== null) setMtu(dev, mtu);
  if ((ifiFlags || change) && (change === 0 || change & IFF_UP)) setUp(stack, dev, (ifiFlags & IFF_UP) !== 0);
  return 0;
}

function deviceAt(stack: NetStack, index: number): NetDevice {
  const d = stack.devices.find((x) => x.index === index);
  if (!d) throw new KernelError(ENODEV);
  return d;
}

// inet_rtm_newaddr / inet6_rtm_newaddr: IFA_LOCAL is the address (IFA_ADDRESS
// when there is none), on the device of ifa_index.
function addr(stack: NetStack, type: number, body: Uint8Array): number {
  if (body.length < IFADDRMSG_SIZE) return EINVAL;
  const family = body[0], prefix = body[1];
  if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
  const index = new DataView(body.buffer, body.byteOffset).getUint32(4, true);
  const a = attrs(body, IFADDRMSG_SIZE);
  const ip = ipOf(family, a.get(IFA_LOCAL)) ?? ipOf(family, a.get(IFA_ADDRESS));
  if (type === RTM_NEWADDR) {
    const dev = deviceAt(stack, index);
    if (!ip) return EINVAL;
    addAddr(dev, ip, prefix);
    return 0;
  }
  if (!ip) return EINVAL;
  // inet_rtm_deladdr: no index looks on every device.
  const dev = index ? deviceAt(stack, index) : stack.devices.find((d) => d.addrs.some((x) => sameAddr(x.addr, ip))) ?? stack.devices[0];
  delAddr(stack, dev, ip, prefix || null);
  return 0;
}

// inet_rtm_newroute / delroute: unicast routes of the main table, by RTA_OIF
// or through a gateway on a device's link.
function route(stack: NetStack, type: number, body: Uint8Array): number {
  if (body.length < RTMSG_SIZE) return EINVAL;
  const family = body[0], dstLen = body[1], table = body[4], rtype = body[7];
  if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
  if (table !== RT_TABLE_MAIN && table !== RT_TABLE_UNSPEC) return EOPNOTSUPP; // one table here
  if (type === RTM_NEWROUTE && rtype !== RTN_UNICAST) return EOPNOTSUPP; // no blackhole, prohibit, local…
  if (dstLen > (family === AF_INET ? 32 : 128)) return EINVAL;
  const a = attrs(body, RTMSG_SIZE);
  const dst = ipOf(family, a.get(RTA_DST)) ?? ipOf(family, new Uint8Array(family === AF_INET ? 4 : 16))!;
  const gw = ipOf(family, a.get(RTA_GATEWAY));
  const oif = u32(a.get(RTA_OIF));
  let dev = oif ? deviceAt(stack, oif) : null;
  if (type === RTM_DELROUTE) { delRoute(stack, dst, dstLen, gw, dev); return 0; }
  // fib_check_nh without RTA_OIF: the device whose subnet holds the gateway.
  if (!dev && gw) dev = stack.devices.find((d) => d.addrs.some((x) => isV4(x.addr) === isV4(gw) && sameAddr(masked(x.addr, x.prefix), masked(gw, x.prefix)))) ?? null;
  if (!dev) return gw ? ENETUNREACH : ENODEV;
  addRoute(stack, { dst, prefix: dstLen, gw, dev });
  return 0;
}
