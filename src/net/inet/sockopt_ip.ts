// The IP-, IPv6- and UDP-level socket options beyond the few
// sys_socket_inet.ts decodes itself: UDP_CORK (udp_lib_setsockopt),
// IPV6_MTU_DISCOVER and IPV6_DONTFRAG (do_ipv6_setsockopt), IP_MTU and
// IPV6_MTU (the path MTU of a connected socket), and the multicast options
// (mcast.ts). Each returns null (get) or false (set) for an option it does
// not know, so the caller goes on to ENOPROTOOPT.

import { kerr } from "../../lib/errors.js";
import { EINVAL, ENOTCONN } from "../../abi/errno.js";
import {
  AF_INET6, SOL_IP, SOL_IPV6, SOL_UDP, UDP_CORK, IP_MTU, IPV6_MTU, IPV6_MTU_DISCOVER, IPV6_DONTFRAG, IP_PMTUDISC_DONT, IP_PMTUDISC_OMIT,
} from "../../abi/socket.js";
import { isAny, isV4 } from "./addr.js";
import { IP_MAXPACKET } from "../../abi/inet.js";
import type { InetSocket } from "./socket.js";
import { UdpSocket } from "./udp.js";
import { mcastGetsockopt, mcastSetsockopt } from "./mcast.js";

function int(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function optInt(opt: Uint8Array): number {
  if (opt.length < 4) kerr(EINVAL);
  return new DataView(opt.buffer, opt.byteOffset, 4).getInt32(0, true);
}

// The path MTU of a connected socket (IP_MTU, IPV6_MTU): ENOTCONN unconnected.
function pathMtu(s: InetSocket): Uint8Array {
  const connected = s instanceof UdpSocket ? s.connected : s.rport !== 0 && !isAny(s.raddr);
  if (!connected) kerr(ENOTCONN);
  // An IPv4 route's MTU is at most IP_MAX_MTU (ipv4_mtu); IPv6's is the device's.
  const mtu = s.stack.mtuTo(s.raddr);
  return int(isV4(s.raddr) ? Math.min(mtu, IP_MAXPACKET) : mtu);
}

export function ipGetsockopt(s: InetSocket, level: number, name: number, len: number): Uint8Array | null {
  if (level === SOL_UDP) return s instanceof UdpSocket && name === UDP_CORK ? int(s.cork ? 1 : 0) : null;
  if (level === SOL_IP && name === IP_MTU) return pathMtu(s);
  if (level === SOL_IPV6 && s.family === AF_INET6) {
    if (name === IPV6_MTU_DISCOVER) return int(s.pmtudisc6);
    if (name === IPV6_DONTFRAG) return int(s.dontfrag ? 1 : 0);
    if (name === IPV6_MTU) return pathMtu(s);
  }
  return mcastGetsockopt(s, level, name, len);
}

// `read` gives the option's bytes (at most optlen), read only for an option taken.
export function ipSetsockopt(s: InetSocket, level: number, name: number, read: () => Uint8Array): boolean {
  if (level === SOL_UDP) {
    if (!(s instanceof UdpSocket) || name !== UDP_CORK) return false;
    // UDP_CORK set corks every send; cleared, the corked datagram goes out.
    if (optInt(read()) !== 0) s.cork = true; else s.uncork();
    return true;
  }
  if (level === SOL_IPV6 && s.family === AF_INET6) {
    if (name === IPV6_MTU_DISCOVER) {
      const v = optInt(read());
      if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) kerr(EINVAL);
      s.pmtudisc6 = v;
      return true;
    }
    if (name === IPV6_DONTFRAG) { s.dontfrag = optInt(read()) !== 0; return true; }
  }
  return mcastSetsockopt(s, level, name, read);
}
