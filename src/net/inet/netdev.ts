// What programs learn of the network devices without netlink: the SIOCGIF*
// ioctls any socket answers (Linux's dev_ioctl and dev_ifconf), and
// /proc/net/{dev,route,if_inet6} with the socket listings /proc/net/{tcp,
// tcp6,udp,udp6} (tcp4_seq_show and friends) and the sysctls of the stack.

import { kerr } from "../../lib/errors.js";
import { ENODEV, ENOTTY, EINVAL, EADDRNOTAVAIL, EPERM } from "../../abi/errno.js";
import { CAP_NET_ADMIN } from "../../abi/prctl.js";
import { setUp, setMtu, setIfAddr, setIfNetmask } from "./netconf.js";
import { v4 } from "./addr.js";
import { AF_INET, AF_INET6, SIOCSIFFLAGS, SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFNAME } from "../../abi/socket.js";
import {
  SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFTXQLEN, IFREQ_SIZE, IFR_UNION, IFCONF_SIZE,
  IFC_BUF, IFNAMSIZ, IFF_LOOPBACK, IFF_UP, SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFMTU, ARPHRD_ETHER, ARPHRD_LOOPBACK, TCP_LISTEN, TCP_TIME_WAIT, IPV6_ADDR_LOOPBACK, IPV6_ADDR_LINKLOCAL, IPV6_ADDR_SITELOCAL,
} from "../../abi/inet.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { IoctlContext } from "../../fs/file.js";
import { procNetFiles, procNetSysctls } from "../../fs/procfs/registry.js";
import { USER_HZ } from "../../abi/netlink.js";
import { type IpAddr, isV4, isLinkLocal6, isSiteLocal6 } from "./addr.js";
import { type NetDevice, type NetStack, netStack } from "./stack.js";
import type { InetSocket } from "./socket.js";
import { EtherDevice } from "../dev/ether.js";
import { TXQUEUELEN } from "./netsysfs.js"; // and /sys/class/net


export const NETDEV_IOCTLS = new Set([SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFNAME,
  SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFTXQLEN, SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFMTU]);
const SET_IOCTLS = new Set([SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFMTU]);

function prefixMask(prefix: number): number[] {
  const m = [0, 0, 0, 0];
  for (let i = 0; i < prefix && i < 32; i++) m[i >> 3] |= 0x80 >> (i & 7);
  return m;
}

function sockaddrIn(b: Uint8Array, at: number, a: number[]): void {
  b[at] = AF_INET; b[at + 1] = 0;
  b.set(a, at + 4);
}

// The SIOCGIF* ioctls: ifconf lists the devices with an IPv4 address; the others look one up by name or index.
export function netdevIoctl(k: Kernel, cmd: number, arg: number, ctx: IoctlContext): number {
  const stack = netStack(k);
  if (cmd === SIOCGIFCONF) {
    const hdr = ctx.copyIn(arg, IFCONF_SIZE);
    const dv = new DataView(hdr.buffer, hdr.byteOffset);
    const len = dv.getInt32(0, true);
    const buf = Number(dv.getBigUint64(IFC_BUF, true));
    const rows: Uint8Array[] = [];
    for (const d of stack.devices) for (const a of d.addrs) {
      if (!isV4(a.addr)) continue;
      const r = new Uint8Array(IFREQ_SIZE);
      r.set(Buffer.from(d.name, "latin1").subarray(0, IFNAMSIZ - 1));
      sockaddrIn(r, IFR_UNION, [...a.addr.subarray(12)]);
      rows.push(r);
    }
    let used = 0;
    if (buf === 0) used = rows.length * IFREQ_SIZE; // a NULL buffer asks for the size
    else {
      if (len < 0) kerr(EINVAL);
      for (const r of rows) { if (used + IFREQ_SIZE > len) break; ctx.copyOut(buf + used, r); used += IFREQ_SIZE; }
    }
    dv.setInt32(0, used, true);
    ctx.copyOut(arg, hdr.subarray(0, 4));
    return 0;
  }
  const req = ctx.copyIn(arg, IFREQ_SIZE);
  const dv = new DataView(req.buffer, req.byteOffset);
  // dev_ioctl and devinet_ioctl: a change needs CAP_NET_ADMIN, asked before the device is looked up.
  if (SET_IOCTLS.has(cmd) && !ctx.capable?.(CAP_NET_ADMIN)) kerr(EPERM);
  let dev: NetDevice | undefined;
  if (cmd === SIOCGIFNAME) dev = stack.devices.find((d) => d.index === dv.getInt32(IFR_UNION, true));
  else {
    const end = req.subarray(0, IFNAMSIZ).indexOf(0);
    const name = Buffer.from(req.subarray(0, end < 0 ? IFNAMSIZ : end)).toString("latin1");
    dev = stack.devices.find((d) => d.name === name);
  }
  if (!dev) kerr(ENODEV);
  if (SET_IOCTLS.has(cmd)) { netdevSet(stack, dev, cmd, req); return 0; }
  const u = req.subarray(IFR_UNION);
  u.fill(0);
  const v4 = dev.addrs.find((a) => isV4(a.addr));
  switch (cmd) {
    case SIOCGIFNAME: req.fill(0, 0, IFNAMSIZ); req.set(Buffer.from(dev.name, "latin1")); break;
    case SIOCGIFFLAGS: dv.setInt16(IFR_UNION, dev.flags, true); break;
    case SIOCGIFINDEX: dv.setInt32(IFR_UNION, dev.index, true); break;
    case SIOCGIFMTU: dv.setInt32(IFR_UNION, dev.mtu, true); break;
    case SIOCGIFMETRIC: dv.setInt32(IFR_UNION, 0, true); break;
    case SIOCGIFTXQLEN: dv.setInt32(IFR_UNION, TXQUEUELEN, true); break;
    case SIOCGIFHWADDR:
      dv.setUint16(IFR_UNION, dev.flags & IFF_LOOPBACK ? ARPHRD_LOOPBACK : ARPHRD_ETHER, true);
      u.set(dev.hwaddr, 2);
      break;
    case SIOCGIFADDR: case SIOCGIFDSTADDR:
      if (!v4) kerr(EADDRNOTAVAIL);
      sockaddrIn(req, IFR_UNION, [...v4.addr.subarray(12)]);
      break;
    case SIOCGIFNETMASK:
      if (!v4) kerr(EADDRNOTAVAIL);
      sockaddrIn(req, IFR_UNION, prefixMask(v4.prefix));
      break;
    case SIOCGIFBRDADDR: {
      if (!v4) kerr(EADDRNOTAVAIL);
      const m = prefixMask(v4.prefix);
      sockaddrIn(req, IFR_UNION, dev.flags & IFF_LOOPBACK ? [0, 0, 0, 0] : [...v4.addr.subarray(12)].map((x, i) => (x & m[i]) | (~m[i] & 0xff)));
      break;
    }
    default: return kerr(ENOTTY);
  }
  ctx.copyOut(arg, req);
  return 0;
}

// The SIOCSIF* changes (dev_ifsioc, devinet_ioctl): the new IPv4 address or
// mask comes as a sockaddr_in (EINVAL for another family).
function netdevSet(stack: NetStack, dev: NetDevice, cmd: number, req: Uint8Array): void {
  const dv = new DataView(req.buffer, req.byteOffset);
  const sin = () => {
    if (dv.getUint16(IFR_UNION, true) !== AF_INET) kerr(EINVAL);
    return req.subarray(IFR_UNION + 4, IFR_UNION + 8);
  };
  switch (cmd) {
    case SIOCSIFFLAGS: setUp(stack, dev, (dv.getInt16(IFR_UNION, true) & IFF_UP) !== 0); break;
    case SIOCSIFMTU: setMtu(dev, dv.getInt32(IFR_UNION, true)); break;
    case SIOCSIFADDR: { const a = sin(); setIfAddr(stack, dev, v4(a[0], a[1], a[2], a[3])); break; }
    case SIOCSIFNETMASK: setIfNetmask(stack, dev, sin()); break;
  }
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, "0");
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
// An address as /proc/net prints it: each 32-bit word in the host's (little-endian) order.
function procAddr(a: IpAddr, v6: boolean): string {
  const words = v6 ? [0, 4, 8, 12] : [12];
  return words.map((i) => hex8(a[i] | (a[i + 1] << 8) | (a[i + 2] << 16) | (a[i + 3] << 24))).join("");
}

interface Row { s: InetSocket; state: number; txq: number; rxq: number }

function listing(stack: NetStack, proto: "tcp" | "udp", v6: boolean): string {
  const table = proto === "tcp" ? stack.tcpPorts : stack.udpPorts;
  const rows: Row[] = [];
  for (const socks of table.byPort.values()) for (const b of socks) {
    const s = b as InetSocket & { state?: number; connected?: boolean };
    if ((s.family === AF_INET6) !== v6) continue;
    const state = proto === "tcp" ? s.state! : s.connected ? 1 : 7;
    rows.push({ s, state, txq: s.bytesUnsent(), rxq: state === TCP_LISTEN ? 0 : s.bytesQueued() });
  }
  const w = v6 ? 32 : 8;
  const head = proto === "tcp"
    ? `  sl  ${"local_address".padEnd(w + 5)} ${"rem_address".padEnd(w + 5)} st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n`
    : `   sl  ${"local_address".padEnd(w + 5)} ${"rem_address".padEnd(w + 5)} st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n`;
  return head + rows.map((r, i) => {
    const s = r.s;
    const st = r.state;
    // A connection in TIME_WAIT is Linux's timewait socket (get_timewait4_sock):
    // no queues, owner or file, its timer (03) with what is left of it.
    if (proto === "tcp" && st === TCP_TIME_WAIT) {
      const left = Math.max(0, ((s as InetSocket & { timeWaitEnd: number }).timeWaitEnd - stack.k.clock.monotonic()) / (1e9 / USER_HZ));
      return `${String(i).padStart(4)}: ${procAddr(s.laddr, v6)}:${hex4(s.lport)} ${procAddr(s.raddr, v6)}:${hex4(s.rport)} ` +
        `${st.toString(16).toUpperCase().padStart(2, "0")} ${hex8(0)}:${hex8(0)} 03:${hex8(Math.floor(left))} 00000000 ${"0".padStart(5)} ${"0".padStart(8)} 0 3 0000000000000000\n`;
    }
    return `${String(i).padStart(proto === "tcp" ? 4 : 5)}: ${procAddr(s.laddr, v6)}:${hex4(s.lport)} ${procAddr(s.raddr, v6)}:${hex4(s.rport)} ` +
      `${st.toString(16).toUpperCase().padStart(2, "0")} ${hex8(r.txq)}:${hex8(r.rxq)} 00:00000000 00000000 ${String(s.uid).padStart(5)} ` +
      `${"0".padStart(8)} ${s.inode.ino} ${proto === "tcp" ? "1 0000000000000000 100 0 0 10 0" : "2 0000000000000000 0"}\n`;
  }).join("");
}

function devText(stack: NetStack): string {
  let out = "Inter-|   Receive                                                |  Transmit\n" +
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
  for (const d of stack.devices) {
    const s = d.stats;
    const n = (v: number, w: number) => String(v).padStart(w);
    out += `${d.name.padStart(6)}: ${n(s.rxBytes, 7)} ${n(s.rxPackets, 7)} ${n(0, 4)} ${n(s.rxDropped, 4)} ${n(0, 4)} ${n(0, 5)} ${n(0, 10)} ${n(0, 9)} ` +
      `${n(s.txBytes, 8)} ${n(s.txPackets, 7)} ${n(0, 4)} ${n(0, 4)} ${n(0, 4)} ${n(0, 5)} ${n(0, 7)} ${n(0, 10)}\n`;
  }
  return out;
}

function ifInet6(stack: NetStack): string {
  let out = "";
  for (const d of stack.devices) for (const a of d.addrs) {
    if (isV4(a.addr)) continue;
    const scope = d.flags & IFF_LOOPBACK ? IPV6_ADDR_LOOPBACK : isLinkLocal6(a.addr) ? IPV6_ADDR_LINKLOCAL : isSiteLocal6(a.addr) ? IPV6_ADDR_SITELOCAL : 0;
    out += `${Buffer.from(a.addr).toString("hex")} ${d.index.toString(16).padStart(2, "0")} ${a.prefix.toString(16).padStart(2, "0")} ` +
      `${scope.toString(16).padStart(2, "0")} 80 ${d.name.padStart(8)}\n`;
  }
  return out;
}

// Linux lists in /proc/net/route only the main table's IPv4 routes: none for lo.
function routeText(stack: NetStack): string {
  let out = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n";
  for (const r of stack.routes()) {
    out += `${r.dev.name}\t${hex8(r.dst)}\t${hex8(r.gw)}\t${hex4(r.flags)}\t0\t0\t${r.metric}\t${hex8(r.mask)}\t0\t0\t0                                                                            \n`;
  }
  return out;
}

procNetFiles.set("tcp", (k) => listing(netStack(k), "tcp", false));
procNetFiles.set("tcp6", (k) => listing(netStack(k), "tcp", true));
procNetFiles.set("udp", (k) => listing(netStack(k), "udp", false));
procNetFiles.set("udp6", (k) => listing(netStack(k), "udp", true));
procNetFiles.set("dev", (k) => devText(netStack(k)));
procNetFiles.set("if_inet6", (k) => ifInet6(netStack(k)));
procNetFiles.set("route", (k) => routeText(netStack(k)));
// The ARP cache (arp_seq_show), as `arp -n` and `cat /proc/net/arp` read it.
procNetFiles.set("arp", (k) => "IP address       HW type     Flags       HW address            Mask     Device\n" +
  netStack(k).devices.map((d) => (d instanceof EtherDevice ? d.arp.procRows() : "")).join(""));
procNetSysctls.set("ipv4/ip_local_port_range", {
  get: (k) => netStack(k).portRange.join("\t"),
  set: (k, v) => {
    const [lo, hi] = v.split(/\s+/).map(Number);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) kerr(EINVAL);
    netStack(k).portRange = [lo, hi];
  },
});
// net.ipv4.ipfrag_time, in seconds (also the IPv6 reassembly time here).
procNetSysctls.set("ipv4/ipfrag_time", {
  get: (k) => String(Math.round(netStack(k).reasm.timeNs / 1e9)),
  set: (k, v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff / 1000) kerr(EINVAL);
    netStack(k).reasm.timeNs = n * 1e9;
  },
});
// net.ipv4.tcp_max_tw_buckets (proc_dointvec: any int; at or below the
// number waiting, no more connections enter TIME_WAIT).
procNetSysctls.set("ipv4/tcp_max_tw_buckets", {
  get: (k) => String(netStack(k).maxTwBuckets),
  set: (k, v) => {
    const n = Number(v.trim());
    if (!/^\s*-?\d+\s*$/.test(v) || n < -0x80000000 || n > 0x7fffffff) kerr(EINVAL);
    netStack(k).maxTwBuckets = n;
  },
});
procNetSysctls.set("ipv4/ip_default_ttl", { get: () => "64" });
procNetSysctls.set("ipv4/tcp_fin_timeout", { get: () => "60" });
procNetSysctls.set("ipv4/tcp_syn_retries", { get: () => "6" });
procNetSysctls.set("ipv4/tcp_congestion_control", { get: () => "reno" });
procNetSysctls.set("core/somaxconn", { get: () => "4096" });
// net.ipv4.conf.{all,default,lo}.tag (devinet's IPV4_DEVCONF_TAG, a
// proc_dointvec the stack keeps and never reads), per stack. Ghost has no
// network namespaces, so a program that would set it in a fresh one can
// only read it here.
const devconfTag = new WeakMap<NetStack, Map<string, number>>();
for (const dev of ["all", "default", "lo"]) {
  procNetSysctls.set(`ipv4/conf/${dev}/tag`, {
    get: (k) => String(devconfTag.get(netStack(k))?.get(dev) ?? 0),
    set: (k, v) => {
      const n = Number(v.trim());
      if (!/^\s*[-+]?\d+\s*$/.test(v) || n < -0x80000000 || n > 0x7fffffff) kerr(EINVAL);
      const stack = netStack(k);
      let m = devconfTag.get(stack);
      if (!m) devconfTag.set(stack, m = new Map());
      m.set(dev, n);
    },
  });
}
