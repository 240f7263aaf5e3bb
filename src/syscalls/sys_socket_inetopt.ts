// Socket options of AF_INET and AF_INET6 sockets (getsockopt/setsockopt at
// SOL_SOCKET, SOL_TCP, SOL_UDP, SOL_RAW, SOL_ICMPV6; SOL_IP and SOL_IPV6 go on
// to net/inet/sockopt_ip.ts): sys_socket_inet.ts hands them here.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, ENOPROTOOPT, EOPNOTSUPP, ENOENT } from "../abi/errno.js";
import {
  AF_INET, AF_INET6, SOL_SOCKET, SOL_IP, SOL_TCP, SOL_IPV6, SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF, SO_REUSEADDR,
  SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_KEEPALIVE, SO_LINGER, SO_RCVTIMEO, SO_SNDTIMEO, SO_SNDBUFFORCE,
  SO_RCVBUFFORCE, SO_PRIORITY, SO_REUSEPORT, SO_BROADCAST, SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO_NEW,
  SO_SNDTIMEO_NEW, SO_OOBINLINE, IP_TOS, IP_TTL, IP_HDRINCL, SOL_RAW, SOL_ICMPV6, IPV6_V6ONLY, IPV6_RECVHOPLIMIT,
  IPV6_2292HOPLIMIT, IPV6_UNICAST_HOPS, TCP_NODELAY, TCP_CORK, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
  TCP_USER_TIMEOUT, TCP_INFO, TCP_CONGESTION, TCP_QUICKACK, IP_RECVERR, IPV6_RECVERR, IP_MTU_DISCOVER,
  IP_PMTUDISC_DONT, IP_PMTUDISC_OMIT, SOL_UDP,
} from "../abi/socket.js";
import {
  ICMP_FILTER, ICMPV6_FILTER, IPV6_CHECKSUM, LINGER_SIZE, TCP_CLOSE, TCP_LISTEN, TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK,
  TCPI_OPT_WSCALE,
} from "../abi/inet.js";
import { CAP_NET_ADMIN } from "../abi/prctl.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { um } from "./util.js";
import type { InetDataSocket } from "../net/inet/socket.js";
import { TcpSocket } from "../net/inet/tcp.js";
import { UdpSocket } from "../net/inet/udp.js";
import { PingSocket, RawIcmpSocket } from "../net/inet/icmp_sock.js";
import { ipGetsockopt, ipSetsockopt } from "../net/inet/sockopt_ip.js";
import { u32Arg } from "./args.js";
import { readTimeo } from "./sys_socket_io.js";

const SOCK_MIN_SNDBUF = 4608;
const SOCK_MIN_RCVBUF = 2304;
const WMEM_MAX = 212992; // net.core.wmem_max and rmem_max
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPCNT = 127;
const TCP_INFO_SIZE = 104; // through tcpi_total_retrans
const TCP_CA_NAME = "reno";
const INET_ECN_MASK = 3; // the tos byte's two ECN bits
const MAX_IP_OPTLEN = 256; // the largest option sockopt_ip.ts reads (struct group_req is 136 bytes)

function capable(t: Task, cap: number): boolean { return hasCap(t.cred, cap); }

function timeoOut(ns: number | null): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  const v = ns ?? 0;
  dv.setBigInt64(0, BigInt(Math.floor(v / 1e9)), true);
  dv.setBigInt64(8, BigInt(Math.floor((v % 1e9) / 1000)), true);
  return out;
}

function intOut(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  return out;
}

function tcpInfo(s: TcpSocket): Uint8Array {
  const b = new Uint8Array(TCP_INFO_SIZE);
  const dv = new DataView(b.buffer);
  const i = s.info();
  b[0] = s.state;
  b[2] = s.retries;
  b[3] = s.probes;
  // tcpi_options: what both SYNs negotiated.
  b[5] = (s.tsOk ? TCPI_OPT_TIMESTAMPS : 0) | (s.sackOk ? TCPI_OPT_SACK : 0) | (s.wscaleOk ? TCPI_OPT_WSCALE : 0);
  b[6] = (s.sndWscale & 0xf) | ((s.rcvWscale & 0xf) << 4);
  dv.setUint32(8, Math.round(s.rto / 1000), true); // tcpi_rto, µs
  dv.setUint32(16, s.mss, true); // tcpi_snd_mss
  dv.setUint32(20, s.mss, true); // tcpi_rcv_mss
  dv.setUint32(24, i.unacked, true);
  dv.setUint32(68, i.rtt, true);
  dv.setUint32(72, i.rttvar, true);
  dv.setUint32(76, Math.min(s.ssthresh, 0x7fffffff) / Math.max(s.mss, 1) | 0, true);
  dv.setUint32(80, Math.round(s.cwnd / Math.max(s.mss, 1)), true);
  dv.setUint32(84, s.mss, true);
  dv.setUint32(100, s.totalRetrans, true);
  return b;
}

export function inetGetsockopt(t: Task, s: InetDataSocket, level: number, name: number, va: number, lenVa: number): number {
  return s.stack.bh(() => {
    const m = um(t);
    const len = m.i32(lenVa);
    if (len < 0) kerr(EINVAL);
    const tcp = s instanceof TcpSocket ? s : null;
    let out: Uint8Array, ipOpt: Uint8Array | null;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_TYPE: out = intOut(s.type); break;
        case SO_PROTOCOL: out = intOut(s.protocol); break;
        case SO_DOMAIN: out = intOut(s.family); break;
        case SO_ERROR: out = intOut(s.takeError()); break;
        case SO_SNDBUF: out = intOut(s.sndbuf); break;
        case SO_RCVBUF: out = intOut(s.rcvbuf); break;
        case SO_REUSEADDR: out = intOut(s.reuseaddr ? 1 : 0); break;
        case SO_REUSEPORT: out = intOut(s.reuseport ? 1 : 0); break;
        case SO_KEEPALIVE: out = intOut(s.keepalive ? 1 : 0); break;
        case SO_BROADCAST: out = intOut(s.broadcast ? 1 : 0); break;
        case SO_PRIORITY: out = intOut(s.priority); break;
        case SO_OOBINLINE: out = intOut(tcp?.oobinline ? 1 : 0); break;
        case SO_ACCEPTCONN: out = intOut(tcp?.state === TCP_LISTEN ? 1 : 0); break;
        case SO_RCVLOWAT: case SO_SNDLOWAT: out = intOut(1); break;
        case SO_LINGER: {
          out = new Uint8Array(LINGER_SIZE);
          const dv = new DataView(out.buffer);
          dv.setInt32(0, s.linger.onoff, true);
          dv.setInt32(4, s.linger.secs, true);
          break;
        }
        case SO_RCVTIMEO: case SO_RCVTIMEO_NEW: out = timeoOut(s.rcvtimeo); break;
        case SO_SNDTIMEO: case SO_SNDTIMEO_NEW: out = timeoOut(s.sndtimeo); break;
        default: return kerr(ENOPROTOOPT);
      }
    } else if (s instanceof RawIcmpSocket && ((level === SOL_RAW && name === ICMP_FILTER && s.family === AF_INET) || (level === SOL_ICMPV6 && name === ICMPV6_FILTER && s.family === AF_INET6))) {
      out = s.filter.slice(0, s.family === AF_INET ? 4 : 32);
    } else if ((ipOpt = ipGetsockopt(s, level, name, len))) {
      out = ipOpt;
    } else if (level === SOL_IP) {
      if (name === IP_TOS) out = intOut(s.tos);
      else if (name === IP_HDRINCL && s instanceof RawIcmpSocket && s.family === AF_INET) out = intOut(s.hdrincl ? 1 : 0);
      else if (name === IP_TTL) out = intOut(s.ipTtl);
      else if (name === IP_RECVERR) out = intOut(s.recverr ? 1 : 0);
      else if (name === IP_MTU_DISCOVER) out = intOut(s.pmtudisc);
      else return kerr(ENOPROTOOPT);
    } else if (level === SOL_IPV6 && s.family === AF_INET6) {
      if (name === IPV6_V6ONLY) out = intOut(s.v6only ? 1 : 0);
      else if (name === IPV6_RECVHOPLIMIT && (s instanceof PingSocket || s instanceof RawIcmpSocket)) out = intOut(s.recvHoplimit ? 1 : 0);
      else if (name === IPV6_2292HOPLIMIT && (s instanceof PingSocket || s instanceof RawIcmpSocket)) out = intOut(s.recvHoplimit2292 ? 1 : 0);
      else if (name === IPV6_UNICAST_HOPS) out = intOut(s.ipTtl);
      else if (name === IPV6_RECVERR) out = intOut(s.recverr ? 1 : 0);
      else return kerr(ENOPROTOOPT);
    } else if (level === SOL_TCP && tcp) {
      switch (name) {
        case TCP_NODELAY: out = intOut(tcp.nodelay ? 1 : 0); break;
        case TCP_CORK: out = intOut(tcp.cork ? 1 : 0); break;
        case TCP_MAXSEG: out = intOut(tcp.state === TCP_CLOSE || tcp.state === TCP_LISTEN ? (tcp.userMss || 536) : tcp.mss); break;
        case TCP_KEEPIDLE: out = intOut(tcp.keepIdle); break;
        case TCP_KEEPINTVL: out = intOut(tcp.keepIntvl); break;
        case TCP_KEEPCNT: out = intOut(tcp.keepCnt); break;
        case TCP_USER_TIMEOUT: out = intOut(tcp.userTimeout); break;
        case TCP_QUICKACK: out = intOut(tcp.quickackOpt); break;
        case TCP_INFO: out = tcpInfo(tcp); break;
        case TCP_CONGESTION: { out = new Uint8Array(16); out.set(Buffer.from(TCP_CA_NAME)); break; }
        default: return kerr(ENOPROTOOPT);
      }
    } else {
      // A level of the socket's own protocols answers an unknown name
      // ENOPROTOOPT; on IPv4 any other level falls through to
      // ip_getsockopt, which refuses it with EOPNOTSUPP; ipv6_getsockopt
      // answers ENOPROTOOPT for the inet levels.
      const own = level === SOL_IP || (level === SOL_TCP && tcp) || (level === SOL_UDP && s instanceof UdpSocket) ||
        (level === SOL_RAW && s instanceof RawIcmpSocket) ||
        (s.family === AF_INET6 && (level === SOL_IPV6 || level === SOL_TCP || level === SOL_UDP));
      return kerr(own ? ENOPROTOOPT : EOPNOTSUPP);
    }
    const n = Math.min(len, out.length);
    m.write(va, out.subarray(0, n));
    m.setU32(lenVa, n);
    return 0;
  });
}

function readInt(t: Task, va: number, len: number): number {
  if (len < 4) kerr(EINVAL);
  return new DataView(um(t).read(va, 4).buffer).getInt32(0, true);
}

export function inetSetsockopt(t: Task, s: InetDataSocket, level: number, name: number, va: number, len: number): number {
  return s.stack.bh(() => {
    const tcp = s instanceof TcpSocket ? s : null;
    if (level === SOL_SOCKET) {
      if (name === SO_RCVTIMEO || name === SO_SNDTIMEO || name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO_NEW) {
        const ns = readTimeo(t, va, len);
        if (name === SO_RCVTIMEO || name === SO_RCVTIMEO_NEW) s.rcvtimeo = ns; else s.sndtimeo = ns;
        return 0;
      }
      if (name === SO_LINGER) {
        if (len < LINGER_SIZE) kerr(EINVAL);
        const dv = new DataView(um(t).read(va, LINGER_SIZE).buffer);
        s.linger = { onoff: dv.getInt32(0, true) ? 1 : 0, secs: Math.max(dv.getInt32(4, true), 0) };
        return 0;
      }
      const v = readInt(t, va, len);
      switch (name) {
        case SO_SNDBUF: case SO_SNDBUFFORCE:
          if (name === SO_SNDBUFFORCE && !capable(t, CAP_NET_ADMIN)) kerr(EPERM);
          s.sndbuf = Math.max(Math.min(u32Arg(v), name === SO_SNDBUF ? WMEM_MAX : 0x3fffffff) * 2, SOCK_MIN_SNDBUF);
          if (tcp) tcp.userSndbuf = true;
          s.wq.wakeAll();
          break;
        case SO_RCVBUF: case SO_RCVBUFFORCE:
          if (name === SO_RCVBUFFORCE && !capable(t, CAP_NET_ADMIN)) kerr(EPERM);
          s.rcvbuf = Math.max(Math.min(u32Arg(v), name === SO_RCVBUF ? WMEM_MAX : 0x3fffffff) * 2, SOCK_MIN_RCVBUF);
          if (tcp) tcp.userRcvbuf = true;
          break;
        case SO_REUSEADDR: s.reuseaddr = v !== 0; break;
        case SO_REUSEPORT: s.reuseport = v !== 0; break;
        case SO_BROADCAST: s.broadcast = v !== 0; break;
        case SO_KEEPALIVE: s.keepalive = v !== 0; tcp?.armKeepalive(); break;
        case SO_OOBINLINE: if (!tcp) kerr(ENOPROTOOPT); tcp.oobinline = v !== 0; break;
        case SO_PRIORITY:
          if ((v < 0 || v > 6) && !capable(t, CAP_NET_ADMIN)) kerr(EPERM);
          s.priority = v;
          break;
        default: kerr(ENOPROTOOPT);
      }
      return 0;
    }
    const raw = s instanceof RawIcmpSocket ? s : null;
    if (raw && ((level === SOL_RAW && name === ICMP_FILTER && raw.family === AF_INET) || (level === SOL_ICMPV6 && name === ICMPV6_FILTER && raw.family === AF_INET6))) {
      // raw_seticmpfilter: at most the 32-bit mask of IPv4; ICMPv6's takes 256 bits.
      const size = raw.family === AF_INET ? 4 : 32;
      if (len < 0 || (raw.family === AF_INET && len < 4)) kerr(EINVAL);
      raw.filter.fill(0);
      raw.filter.set(um(t).read(va, Math.min(len, size)));
      return 0;
    }
    if (raw && raw.family === AF_INET6 && name === IPV6_CHECKSUM && (level === SOL_RAW || level === SOL_IPV6)) {
      // do_rawv6_setsockopt: ICMPv6's checksum is always the kernel's; only an odd offset is refused.
      const v = readInt(t, va, len);
      if (level === SOL_IPV6 || (v > 0 && v & 1)) kerr(EINVAL);
      return 0;
    }
    if (level === SOL_IP || level === SOL_IPV6 || level === SOL_UDP) {
      if (len < 0) kerr(EINVAL);
      if (ipSetsockopt(s, level, name, () => um(t).read(va, Math.min(len, MAX_IP_OPTLEN)))) return 0;
    }
    if (level === SOL_IP) {
      const v = readInt(t, va, len);
      if (name === IP_HDRINCL && raw && raw.family === AF_INET) { raw.hdrincl = v !== 0; return 0; }
      // ip_setsockopt: a stream socket's ECN bits are TCP's own; a datagram socket sets them too.
      if (name === IP_TOS) { s.tos = tcp ? (v & 0xff & ~INET_ECN_MASK) | (s.tos & INET_ECN_MASK) : v & 0xff; return 0; }
      if (name === IP_MTU_DISCOVER) {
        if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) kerr(EINVAL);
        s.pmtudisc = v;
        return 0;
      }
      // Turning IP_RECVERR off empties the error queue (ip_setsockopt).
      if (name === IP_RECVERR) { s.recverr = v !== 0; if (!s.recverr) s.errQueue.length = 0; return 0; }
      if (name === IP_TTL) {
        if (v !== -1 && (v < 1 || v > 255)) kerr(EINVAL);
        s.ttl = v;
        return 0;
      }
      return kerr(ENOPROTOOPT);
    }
    if (level === SOL_IPV6 && s.family === AF_INET6) {
      const v = readInt(t, va, len);
      if (name === IPV6_V6ONLY) {
        if (s.lport) kerr(EINVAL);
        s.v6only = v !== 0;
        return 0;
      }
      if (name === IPV6_RECVHOPLIMIT && (s instanceof PingSocket || s instanceof RawIcmpSocket)) { s.recvHoplimit = v !== 0; return 0; }
      if (name === IPV6_2292HOPLIMIT && (s instanceof PingSocket || s instanceof RawIcmpSocket)) { s.recvHoplimit2292 = v !== 0; return 0; }
      if (name === IPV6_RECVERR) { s.recverr = v !== 0; if (!s.recverr) s.errQueue.length = 0; return 0; }
      if (name === IPV6_UNICAST_HOPS) {
        if (v < -1 || v > 255) kerr(EINVAL);
        s.ttl = v;
        return 0;
      }
      return kerr(ENOPROTOOPT);
    }
    if (level === SOL_TCP && tcp) {
      if (name === TCP_CONGESTION) {
        const b = um(t).read(va, Math.min(Math.max(len, 0), 16));
        const end = b.indexOf(0);
        const want = Buffer.from(end < 0 ? b : b.subarray(0, end)).toString("latin1");
        if (want !== TCP_CA_NAME) kerr(ENOENT);
        return 0;
      }
      const v = readInt(t, va, len);
      switch (name) {
        case TCP_NODELAY: tcp.nodelay = v !== 0; if (tcp.nodelay) tcp.output(); break;
        case TCP_CORK: tcp.cork = v !== 0; if (!tcp.cork) tcp.output(); break;
        case TCP_MAXSEG:
          if (v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) kerr(EINVAL);
          tcp.userMss = v;
          break;
        case TCP_KEEPIDLE: if (v < 1 || v > MAX_TCP_KEEPIDLE) kerr(EINVAL); tcp.keepIdle = v; tcp.armKeepalive(); break;
        case TCP_KEEPINTVL: if (v < 1 || v > MAX_TCP_KEEPIDLE) kerr(EINVAL); tcp.keepIntvl = v; break;
        case TCP_KEEPCNT: if (v < 1 || v > MAX_TCP_KEEPCNT) kerr(EINVAL); tcp.keepCnt = v; break;
        case TCP_USER_TIMEOUT: if (v < 0) kerr(EINVAL); tcp.userTimeout = v; break;
        case TCP_QUICKACK: tcp.quickackOpt = v ? 1 : 0; break;
        default: kerr(ENOPROTOOPT);
      }
      return 0;
    }
    return kerr(ENOPROTOOPT);
  });
}

