// Changing the stack's configuration, as root does with `ip` and `ifconfig`
// (Linux's devinet.c, addrconf.c, fib_frontend.c and dev.c): addresses,
// static routes, a device's up/down state and MTU. Netlink requests
// (net/netlink.ts) and the SIOCSIF* ioctls (netdev.ts) both come here; the
// stack reads the result directly (addresses in isLocal and route(), routes
// in route() and the next hop, IFF_UP in route() and the devices' xmit).

import { kerr } from "../../lib/errors.js";
import { EEXIST, EADDRNOTAVAIL, EINVAL, ESRCH, ENETUNREACH } from "../../abi/errno.js";
import { IFF_UP, IFF_LOOPBACK, IFF_RUNNING } from "../../abi/inet.js";
import { type IpAddr, isV4, sameAddr } from "./addr.js";
import type { NetDevice, NetStack } from "./stack.js";

// The smallest MTU an Ethernet device takes (ETH_MIN_MTU) and the largest (a
// virtual NIC's, as virtio-net's without a device limit: 65535); lo's own is 64 KiB.
const ETH_MIN_MTU = 68;
const ETH_MAX_MTU = 65535;
const LO_MAX_MTU = 65536;

// A static route of the main table (`ip route add`): to dst/prefix, through
// gw (null: on the link) on dev.
export interface StaticRoute { dst: IpAddr; prefix: number; gw: IpAddr | null; dev: NetDevice }

export function masked(a: IpAddr, prefix: number): IpAddr {
  const bits = isV4(a) ? 96 + prefix : prefix;
  const out = a.slice();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] &= (0xff00 >> keep) & 0xff;
  }
  return out;
}

// RTM_NEWADDR, SIOCSIFADDR: EEXIST for an address the device already has
// (with NLM_F_EXCL; `ip addr add` sets it). The same address with another
// prefix is another address to Linux as well.
export function addAddr(dev: NetDevice, addr: IpAddr, prefix: number): void {
  if (prefix < 0 || prefix > (isV4(addr) ? 32 : 128)) kerr(EINVAL);
  if (dev.addrs.some((a) => sameAddr(a.addr, addr) && a.prefix === prefix)) kerr(EEXIST);
  dev.addrs.push({ addr: addr.slice(), prefix });
}

// RTM_DELADDR: EADDRNOTAVAIL when the device has no such address. A prefix
// of null matches any (the request gave none).
export function delAddr(stack: NetStack, dev: NetDevice, addr: IpAddr, prefix: number | null): void {
  const i = dev.addrs.findIndex((a) => sameAddr(a.addr, addr) && (prefix === null || a.prefix === prefix));
  if (i < 0) kerr(EADDRNOTAVAIL);
  dev.addrs.splice(i, 1);
  // fib_del_ifaddr: the routes whose preferred source it was go; here, the
  // static routes no longer reachable on the link.
  if (isV4(addr)) dropUnreachable(stack, dev);
}

// The up/down flag (dev_change_flags). Taking a device down removes the
// IPv4 routes through it (fib_disable_ip: the default route does not come
// back with the device), and its traffic stops: route() skips it, xmit drops.
export function setUp(stack: NetStack, dev: NetDevice, up: boolean): void {
  if (up) { dev.flags |= IFF_UP | IFF_RUNNING; return; }
  if (dev.flags & IFF_LOOPBACK) kerr(EINVAL); // lo stays up here: every local delivery goes through it
  dev.flags &= ~(IFF_UP | IFF_RUNNING);
  if (stack.defaultGateway?.dev === dev) stack.defaultGateway = null;
  stack.staticRoutes = stack.staticRoutes.filter((r) => r.dev !== dev || !isV4(r.dst));
}

// dev_set_mtu: EINVAL outside the device's range.
export function setMtu(dev: NetDevice, mtu: number): void {
  const lo = (dev.flags & IFF_LOOPBACK) !== 0;
  if (!Number.isInteger(mtu) || mtu < ETH_MIN_MTU || mtu > (lo ? LO_MAX_MTU : ETH_MAX_MTU)) kerr(EINVAL);
  dev.mtu = mtu;
}

// RTM_NEWROUTE: a default route (prefix 0) replaces none (EEXIST when there
// is one, with NLM_F_EXCL), as a prefix route already there; a gateway must
// be on the device's link (fib_check_nh: ENETUNREACH otherwise).
export function addRoute(stack: NetStack, r: StaticRoute): void {
  if (r.prefix < 0 || r.prefix > (isV4(r.dst) ? 32 : 128)) kerr(EINVAL);
  const dst = masked(r.dst, r.prefix);
  if (r.gw && !r.dev.addrs.some((a) => isV4(a.addr) === isV4(r.gw!) && sameAddr(masked(a.addr, a.prefix), masked(r.gw!, a.prefix)))) kerr(ENETUNREACH);
  if (!(r.dev.flags & IFF_UP)) kerr(ENETUNREACH);
  if (r.prefix === 0 && r.gw) {
    const v4 = isV4(dst);
    if (v4 ? stack.defaultGateway : stack.defaultGateway6) kerr(EEXIST);
    if (v4) stack.defaultGateway = { dev: r.dev, gw: r.gw.slice() };
    else stack.defaultGateway6 = { dev: r.dev, gw: r.gw.slice() };
    return;
  }
  if (stack.staticRoutes.some((x) => x.prefix === r.prefix && sameAddr(x.dst, dst) && isV4(x.dst) === isV4(dst))) kerr(EEXIST);
  stack.staticRoutes.push({ dst, prefix: r.prefix, gw: r.gw?.slice() ?? null, dev: r.dev });
}

// RTM_DELROUTE: ESRCH when no route matches (fib_table_delete).
export function delRoute(stack: NetStack, dst: IpAddr, prefix: number, gw: IpAddr | null, dev: NetDevice | null): void {
  const d = masked(dst, prefix);
  if (prefix === 0) {
    const v4 = isV4(dst);
    const g = v4 ? stack.defaultGateway : stack.defaultGateway6;
    if (g && (!gw || sameAddr(g.gw, gw)) && (!dev || g.dev === dev)) {
      if (v4) stack.defaultGateway = null; else stack.defaultGateway6 = null;
      return;
    }
  }
  const i = stack.staticRoutes.findIndex((x) => x.prefix === prefix && sameAddr(x.dst, d) && isV4(x.dst) === isV4(d) &&
    (!gw || (x.gw !== null && sameAddr(x.gw, gw))) && (!dev || x.dev === dev));
  if (i < 0) kerr(ESRCH);
  stack.staticRoutes.splice(i, 1);
}

// The static route to dst with the longest prefix, if any.
export function staticRoute(stack: NetStack, dst: IpAddr): StaticRoute | null {
  let best: StaticRoute | null = null;
  for (const r of stack.staticRoutes) {
    if (isV4(r.dst) !== isV4(dst) || !(r.dev.flags & IFF_UP)) continue;
    if (!sameAddr(masked(dst, r.prefix), r.dst)) continue;
    if (!best || r.prefix > best.prefix) best = r;
  }
  return best;
}

function dropUnreachable(stack: NetStack, dev: NetDevice): void {
  const onLink = (gw: IpAddr) => dev.addrs.some((a) => isV4(a.addr) === isV4(gw) && sameAddr(masked(a.addr, a.prefix), masked(gw, a.prefix)));
  stack.staticRoutes = stack.staticRoutes.filter((r) => r.dev !== dev || !r.gw || onLink(r.gw));
  const g = stack.defaultGateway;
  if (g && g.dev === dev && !onLink(g.gw)) stack.defaultGateway = null;
}

// The classful prefix SIOCSIFADDR gives a new IPv4 address (inet_abc_len).
function classfulPrefix(a: IpAddr): number {
  const b = a[12];
  if (b < 128) return 8;
  if (b < 192) return 16;
  return 24;
}

// SIOCSIFADDR (devinet_ioctl): the device's first IPv4 address becomes addr
// with its class's prefix, or addr is its first one.
export function setIfAddr(stack: NetStack, dev: NetDevice, addr: IpAddr): void {
  const i = dev.addrs.findIndex((a) => isV4(a.addr));
  if (i >= 0 && sameAddr(dev.addrs[i].addr, addr)) return;
  const entry = { addr: addr.slice(), prefix: classfulPrefix(addr) };
  if (i >= 0) dev.addrs[i] = entry; else dev.addrs.push(entry);
  dropUnreachable(stack, dev);
}

// SIOCSIFNETMASK: EADDRNOTAVAIL without an IPv4 address, EINVAL for a mask
// whose ones are not contiguous (bad_mask).
export function setIfNetmask(stack: NetStack, dev: NetDevice, mask: Uint8Array): void {
  const i = dev.addrs.findIndex((a) => isV4(a.addr));
  if (i < 0) kerr(EADDRNOTAVAIL);
  const m = ((mask[0] << 24) | (mask[1] << 16) | (mask[2] << 8) | mask[3]) >>> 0;
  const ones = Math.clz32(~m >>> 0);
  if ((ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0) !== m) kerr(EINVAL);
  dev.addrs[i] = { addr: dev.addrs[i].addr, prefix: ones };
  dropUnreachable(stack, dev);
}
