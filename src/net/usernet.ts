// User-mode networking (in the spirit of qemu's `-netdev user`/slirp): the
// device eth0 (10.0.2.15/24, gateway 10.0.2.2; fec0::15/64, gateway
// fec0::2) is wired to a NAT in the host
// process. A guest TCP connection is ended here by a small TCP endpoint and
// carried on by a host socket (Node's `net`): to 10.0.2.2 it reaches the
// host's own loopback (127.0.0.1), to fec0::2 the host's ::1. `-p HOSTPORT:GUESTPORT` listens on the
// host and opens a connection into the guest the same way. ICMP echo to the
// gateway and to the DNS address is answered by the NAT itself, as slirp's
// icmp_input does; echo requests to any other address are dropped (no host
// raw socket carries them out). Host events arrive outside any syscall: the packets
// they make are processed at once (in a bottom-half section) and the kernel
// is kicked out of its idle wait.
//
// eth0 is an Ethernet device (dev/ether.ts) whose backend is the NAT's end
// of the wire (usernet_ether.ts: ARP, neighbour discovery and framing). Its
// segments are never lost unless --net-loss asks, so the endpoint keeps its
// unacknowledged data and resends it from the first byte after a timeout.

import * as net from "node:net";
import * as dgram from "node:dgram";
import * as dns from "node:dns";
import { IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_ICMPV6 } from "../abi/socket.js";
import {
  TCPHDR_FIN, TCPHDR_SYN, TCPHDR_RST, TCPHDR_ACK,
  ICMP_ECHO, ICMP_ECHOREPLY, ICMP_HLEN, IPV4_HLEN, IPV6_HLEN, UDP_HLEN, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, IPDEFTTL,
} from "../abi/inet.js";
import type { Kernel } from "../kernel/kernel.js";
import { type IpAddr, v4, sameAddr, formatAddr, isV4, parseV6, isMulticast, isBroadcast } from "./inet/addr.js";
import { csumAdd, csumFold, transportChecksum } from "./inet/stack.js";
import { attachNic } from "./dev/nic.js";
import { V4Reassembler, fragmentV4, isV4Fragment, fragmentV6, isV6Fragment } from "./inet/ip_frag.js";
import { ETH_DATA_LEN } from "../abi/ether.js";
import type { EtherDevice } from "./dev/ether.js";
import { NatEther } from "./usernet_ether.js";
import { NatTcp } from "./usernet_tcp.js";
import { parseSegment, buildSegment, seqAdd, type Segment } from "./inet/tcp_seg.js";

import {
  GUEST_ADDR, GUEST_PREFIX, GATEWAY_ADDR, DNS_ADDR, GUEST_MAC, GATEWAY_MAC, GUEST_ADDR6, GUEST_PREFIX6, GATEWAY_ADDR6, DNS_ADDR6, LINK_BROADCAST,
} from "./usernet_addr.js";
export { GUEST_ADDR, GATEWAY_ADDR, DNS_ADDR, GUEST_MAC, GATEWAY_MAC, GUEST_ADDR6, GATEWAY_ADDR6, DNS_ADDR6 };
const UDP_IDLE_MS = 60_000;
// DNS (RFC 1035): the header, its flags, and the answer records the NAT makes.
const DNS_PORT = 53;
const DNS_HLEN = 12;
const DNS_RESPONSE = 0x8000;
const DNS_RD = 0x0100;
const DNS_RA = 0x0080;
const DNS_NXDOMAIN = 3;
const DNS_SERVFAIL = 2;
const DNS_NAME_PTR = 0xc00c; // a pointer to the question's name
const DNS_CLASS_IN = 1;
const DNS_TYPE_A = 1;
const DNS_TYPE_AAAA = 28;
const DNS_TTL = 60;

export interface PortForward { hostAddr: string; hostPort: number; guestPort: number; udp: boolean }
export interface UserNetOptions {
  forwards: PortForward[];
  lossPct: number;
  delayMs: number;
  // The guest's NIC is not in this process (the browser's eth0, whose frames
  // the WebSocket relay carries): no eth0 is attached here; the caller wires
  // the NAT's end of the link, `ether` (a NicBackend: send() takes the
  // guest's frames, onFrame gives the NAT's), to wherever the NIC is.
  externalNic?: boolean;
}

// Parses `-p [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]`, ADDR an IPv4 address or
// an IPv6 one in brackets (`-p [::1]:8080:80`, as Docker writes it); null when malformed.
export function parseForward(spec: string): PortForward | null {
  const m = /^(?:([0-9.]+|\[[0-9A-Fa-f:.]+\]):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(spec);
  if (!m) return null;
  const hostPort = Number(m[2]), guestPort = Number(m[3]);
  if (hostPort > 65535 || guestPort < 1 || guestPort > 65535) return null;
  let hostAddr = m[1] ?? "127.0.0.1";
  if (hostAddr.startsWith("[")) {
    hostAddr = hostAddr.slice(1, -1);
    if (!parseV6(hostAddr)) return null;
  }
  return { hostAddr, hostPort, guestPort, udp: m[4] === "udp" };
}

// A host address of a forward: IPv6 ones reach the guest over IPv6.
function isHostV6(addr: string): boolean { return addr.includes(":"); }

export class UserNet {
  readonly dev: EtherDevice | null;
  readonly ether: NatEther;
  private readonly flows = new Map<string, NatTcp>();
  private readonly servers: net.Server[] = [];
  private readonly udpFlows = new Map<string, { sock: dgram.Socket; timer: NodeJS.Timeout | null }>();
  // -p …/udp: a host peer as the guest sees it (the gateway and a port of
  // its own), keyed by that port, and the peer's port by its host address.
  private readonly udpPeers = new Map<number, { sock: dgram.Socket; guestPort: number; address: string; port: number }>();
  private readonly udpPeerPorts = new Map<string, number>();
  private readonly udpServers: dgram.Socket[] = [];
  private nextPort = 40000;
  private nextFragId = 1;
  private closed = false;

  constructor(readonly k: Kernel, readonly opts: UserNetOptions) {
    this.ether = new NatEther({
      mac: GATEWAY_MAC, ownAddrs: [GATEWAY_ADDR, DNS_ADDR, GATEWAY_ADDR6, DNS_ADDR6], guestAddr: GUEST_ADDR, guestAddr6: GUEST_ADDR6,
      wire: (f, deliver) => this.link(f, deliver), ipInput: (p) => this.fromGuest(p), closed: () => this.closed,
    });
    this.dev = opts.externalNic ? null
      : attachNic(k, this.ether, {
        name: "eth0", mac: GUEST_MAC, addrs: [{ addr: GUEST_ADDR, prefix: GUEST_PREFIX }, { addr: GUEST_ADDR6, prefix: GUEST_PREFIX6 }],
        gateway: GATEWAY_ADDR, gateway6: GATEWAY_ADDR6,
      });
    for (const f of opts.forwards) this.listen(f);
  }

  // The virtual wire, with the fault injection asked for.
  link(pkt: Uint8Array, deliver: (p: Uint8Array) => void): void {
    if (this.opts.lossPct > 0 && this.rand() * 100 < this.opts.lossPct) return;
    if (this.opts.delayMs > 0) setTimeout(() => { if (!this.closed) deliver(pkt); }, this.opts.delayMs);
    else deliver(pkt);
  }

  private rand(): number {
    const b = new Uint8Array(4);
    this.k.random(b);
    return new DataView(b.buffer).getUint32(0, true) / 2 ** 32;
  }

  // An IP packet into the guest, framed for its MAC; an IPv4 one larger
  // than the link's MTU in fragments, as a router before the guest would.
  toGuest(pkt: Uint8Array): void {
    if (pkt.length > ETH_DATA_LEN) {
      const frags = pkt[0] >> 4 === 4 ? fragmentV4(pkt, ETH_DATA_LEN) : fragmentV6(pkt, ETH_DATA_LEN, this.nextFragId++);
      for (const f of frags) this.ether.ipToGuest(f);
      return;
    }
    this.ether.ipToGuest(pkt);
  }

  // The guest's fragments, whole again before they go out through the
  // host's sockets (which fragment by themselves as needed).
  private readonly reasm = new V4Reassembler({
    now: () => Number(process.hrtime.bigint()),
    timer: (ns, fn) => { const t = setTimeout(fn, ns / 1e6); t.unref(); return { cancel: () => clearTimeout(t) }; },
  });

  // An IP packet the guest sent on eth0.
  fromGuest(pkt: Uint8Array): void {
    if (pkt.length >= IPV6_HLEN && pkt[0] >> 4 === 6) {
      // The guest's fragments are made whole first; no other extension header is followed.
      if (isV6Fragment(pkt)) {
        const whole = this.reasm.add6(pkt);
        if (!whole) return;
        pkt = whole;
      }
      const plen = (pkt[4] << 8) | pkt[5];
      if (IPV6_HLEN + plen > pkt.length) return;
      const src = pkt.slice(8, 24), dst = pkt.slice(24, 40), payload = pkt.subarray(IPV6_HLEN, IPV6_HLEN + plen);
      if (!sameAddr(src, GUEST_ADDR6)) return;
      if (pkt[6] === IPPROTO_ICMPV6) { this.icmp6(src, dst, payload); return; }
      this.transport(pkt[6], src, dst, payload);
      return;
    }
    if (pkt.length < IPV4_HLEN || pkt[0] >> 4 !== 4) return;
    if (isV4Fragment(pkt)) {
      const whole = this.reasm.add(pkt);
      if (!whole) return;
      pkt = whole;
    }
    const ihl = (pkt[0] & 0xf) * 4;
    const src = v4(pkt[12], pkt[13], pkt[14], pkt[15]), dst = v4(pkt[16], pkt[17], pkt[18], pkt[19]);
    const payload = pkt.subarray(ihl, (pkt[2] << 8) | pkt[3]);
    if (pkt[9] === IPPROTO_ICMP) { this.icmp(src, dst, payload); return; }
    this.transport(pkt[9], src, dst, payload);
  }

  // UDP and TCP, either family.
  private transport(proto: number, src: IpAddr, dst: IpAddr, payload: Uint8Array): void {
    // A datagram to a group or a broadcast address is the link's alone: the
    // NAT is no multicast router, and nothing of it may reach the host's network.
    if (isMulticast(dst) || isBroadcast(dst) || sameAddr(dst, LINK_BROADCAST)) return;
    if (proto === IPPROTO_UDP) { this.udp(src, dst, payload); return; }
    if (proto !== IPPROTO_TCP) return;
    const s = parseSegment(src, dst, payload);
    if (!s) return;
    const key = flowKey(s.sport, dst, s.dport);
    const f = this.flows.get(key);
    if (f) { f.input(s); return; }
    if ((s.flags & (TCPHDR_SYN | TCPHDR_ACK)) === TCPHDR_SYN) {
      const nf = new NatTcp(this, key, src, s.sport, dst, s.dport);
      this.flows.set(key, nf);
      nf.acceptFromGuest(s, hostTarget(dst));
    } else if (!(s.flags & TCPHDR_RST)) this.reset(dst, s.dport, src, s);
  }

  // Echo requests to the gateway and the DNS address are answered; nothing else is routed.
  private icmp(src: IpAddr, dst: IpAddr, b: Uint8Array): void {
    if (b.length < ICMP_HLEN || b[0] !== ICMP_ECHO || !(sameAddr(dst, GATEWAY_ADDR) || sameAddr(dst, DNS_ADDR))) return;
    const r = b.slice();
    r[0] = ICMP_ECHOREPLY; r[2] = r[3] = 0;
    const sum = csumFold(csumAdd(0, r));
    r[2] = sum >> 8; r[3] = sum & 0xff;
    this.toGuest(ipv4(dst, src, IPPROTO_ICMP, r));
  }

  // ICMPv6 echo requests to the gateway and the DNS address are answered (slirp's icmp6_input).
  private icmp6(src: IpAddr, dst: IpAddr, b: Uint8Array): void {
    if (b.length < ICMP_HLEN || b[0] !== ICMPV6_ECHO_REQUEST || !(sameAddr(dst, GATEWAY_ADDR6) || sameAddr(dst, DNS_ADDR6))) return;
    if (transportChecksum(src, dst, IPPROTO_ICMPV6, b) !== 0) return;
    const r = b.slice();
    r[0] = ICMPV6_ECHO_REPLY; r[2] = r[3] = 0;
    const sum = transportChecksum(dst, src, IPPROTO_ICMPV6, r);
    r[2] = sum >> 8; r[3] = sum & 0xff;
    this.toGuest(ipPacket(dst, src, IPPROTO_ICMPV6, r));
  }

  // A datagram from the guest: DNS queries to 10.0.2.3 are answered through
  // the host's resolver; others go out through a host UDP socket per flow,
  // whose replies come back from the address the guest sent to.
  private udp(src: IpAddr, dst: IpAddr, b: Uint8Array): void {
    if (b.length < UDP_HLEN) return;
    const sport = (b[0] << 8) | b[1], dport = (b[2] << 8) | b[3], len = (b[4] << 8) | b[5];
    if (len < UDP_HLEN || len > b.length) return;
    const data = Buffer.from(b.subarray(UDP_HLEN, len));
    const reply = (from: IpAddr, fromPort: number, msg: Uint8Array) => this.sendUdp(from, fromPort, src, sport, msg);
    if ((sameAddr(dst, DNS_ADDR) || sameAddr(dst, DNS_ADDR6)) && dport === DNS_PORT) { this.dns(data, (r) => reply(dst, dport, r)); return; }
    // A reply to a host peer of a -p …/udp forward: out through the forward's own socket.
    const peer = sameAddr(dst, GATEWAY_ADDR) || sameAddr(dst, GATEWAY_ADDR6) ? this.udpPeers.get(dport) : undefined;
    if (peer && peer.guestPort === sport) { this.sendHost(peer.sock, data, peer.port, peer.address); return; }
    const key = `udp:${sport}:${formatAddr(dst)}:${dport}`;
    let f = this.udpFlows.get(key);
    if (!f) {
      const sock = dgram.createSocket(isV4(dst) ? "udp4" : "udp6");
      const flow = { sock, timer: null as NodeJS.Timeout | null };
      const idle = () => { if (flow.timer) clearTimeout(flow.timer); flow.timer = setTimeout(() => { sock.close(); }, UDP_IDLE_MS); };
      sock.on("message", (msg) => { idle(); reply(dst, dport, msg); });
      sock.on("error", () => sock.close());
      sock.on("close", () => { if (flow.timer) clearTimeout(flow.timer); this.udpFlows.delete(key); this.release(); });
      this.hold();
      idle();
      this.udpFlows.set(key, flow);
      f = flow;
    }
    this.sendHost(f.sock, data, dport, hostTarget(dst));
  }

  // A datagram out to the host: counted until the host's socket has sent it,
  // so that close() lets the last ones go out (a guest that answers and exits
  // at once, as a server's reply to "quit", must not lose the answer).
  private sendHost(sock: dgram.Socket, data: Uint8Array, port: number, address: string): void {
    this.sending++;
    const done = () => { if (--this.sending === 0) for (const w of this.drained.splice(0)) w(); };
    try { sock.send(data, port, address, done); } catch { done(); }
  }
  private sending = 0;
  private drained: (() => void)[] = [];

  private sendUdp(from: IpAddr, fromPort: number, to: IpAddr, toPort: number, msg: Uint8Array): void {
    const seg = new Uint8Array(UDP_HLEN + msg.length);
    const dv = new DataView(seg.buffer);
    dv.setUint16(0, fromPort, false);
    dv.setUint16(2, toPort, false);
    dv.setUint16(4, seg.length, false);
    seg.set(msg, UDP_HLEN);
    const sum = transportChecksum(from, to, IPPROTO_UDP, seg);
    dv.setUint16(6, sum === 0 ? 0xffff : sum, false);
    this.toGuest(ipPacket(from, to, IPPROTO_UDP, seg));
  }

  // One DNS query (RFC 1035) for A or AAAA, answered from the host's
  // resolver (its /etc/hosts and its servers); other types get no answer.
  private dns(q: Buffer, done: (r: Uint8Array) => void): void {
    if (q.length < DNS_HLEN || q.readUInt16BE(4) !== 1) return;
    const labels: string[] = [];
    let off = DNS_HLEN;
    while (off < q.length && q[off] !== 0) {
      const n = q[off];
      if (n > 63 || off + 1 + n > q.length) return;
      labels.push(q.subarray(off + 1, off + 1 + n).toString("latin1"));
      off += 1 + n;
    }
    if (off + 5 > q.length) return;
    const qtype = q.readUInt16BE(off + 1);
    const question = q.subarray(DNS_HLEN, off + 5);
    const answer = (rcode: number, addrs: Uint8Array[]) => {
      const r = Buffer.alloc(DNS_HLEN + question.length + addrs.reduce((n, a) => n + 12 + a.length, 0));
      r.writeUInt16BE(q.readUInt16BE(0), 0);
      r.writeUInt16BE(DNS_RESPONSE | (q.readUInt16BE(2) & DNS_RD) | DNS_RA | rcode, 2);
      r.writeUInt16BE(1, 4);
      r.writeUInt16BE(addrs.length, 6);
      question.copy(r, DNS_HLEN);
      let at = DNS_HLEN + question.length;
      for (const a of addrs) {
        r.writeUInt16BE(DNS_NAME_PTR, at); r.writeUInt16BE(qtype, at + 2); r.writeUInt16BE(DNS_CLASS_IN, at + 4);
        r.writeUInt32BE(DNS_TTL, at + 6); r.writeUInt16BE(a.length, at + 10);
        r.set(a, at + 12);
        at += 12 + a.length;
      }
      if (!this.closed) done(r);
    };
    if (qtype !== DNS_TYPE_A && qtype !== DNS_TYPE_AAAA) { answer(0, []); return; }
    const family = qtype === DNS_TYPE_A ? 4 : 6;
    const name = labels.join(".");
    dns.lookup(name, { family, all: true }, (err, list) => {
      // A name with addresses of the other family only has no data of this type (NOERROR, no answer).
      if (err) { dns.lookup(name, { family: 10 - family }, (e2) => answer(!e2 ? 0 : err.code === "ENOTFOUND" ? DNS_NXDOMAIN : DNS_SERVFAIL, [])); return; }
      answer(0, list.map((x) => (family === 4 ? Uint8Array.from(x.address.split(".").map(Number)) : parseV6(x.address) ?? new Uint8Array(16))));
    });
  }

  sendTcp(from: IpAddr, to: IpAddr, seg: Uint8Array): void { this.toGuest(ipPacket(from, to, IPPROTO_TCP, seg)); }

  reset(from: IpAddr, sport: number, to: IpAddr, s: Segment): void {
    const ack = s.flags & TCPHDR_ACK;
    const len = s.data.length + (s.flags & TCPHDR_SYN ? 1 : 0) + (s.flags & TCPHDR_FIN ? 1 : 0);
    this.sendTcp(from, to, buildSegment(from, to, {
      sport, dport: s.sport, seq: ack ? s.ack : 0, ack: ack ? 0 : seqAdd(s.seq, len), flags: ack ? TCPHDR_RST : TCPHDR_RST | TCPHDR_ACK,
      wnd: 0, urp: 0, data: new Uint8Array(0),
    }, 0, 0));
  }

  forget(key: string): void { this.flows.delete(key); }

  // -p …/udp: a host UDP socket whose datagrams reach the guest's port from
  // the gateway, a gateway port per host peer; the guest's answers to that
  // port go back to the peer from the forwarded host port.
  private listenUdp(f: PortForward): void {
    const v6 = isHostV6(f.hostAddr);
    const sock = dgram.createSocket(v6 ? "udp6" : "udp4");
    sock.on("message", (msg, rinfo) => {
      const key = `${f.guestPort}:${rinfo.address}:${rinfo.port}`;
      let gwPort = this.udpPeerPorts.get(key);
      if (gwPort === undefined) {
        gwPort = this.nextPort++;
        if (this.nextPort > 60000) this.nextPort = 40000;
        const old = this.udpPeers.get(gwPort);
        if (old) this.udpPeerPorts.delete(`${old.guestPort}:${old.address}:${old.port}`);
        this.udpPeerPorts.set(key, gwPort);
        this.udpPeers.set(gwPort, { sock, guestPort: f.guestPort, address: rinfo.address, port: rinfo.port });
      }
      this.sendUdp(v6 ? GATEWAY_ADDR6 : GATEWAY_ADDR, gwPort, v6 ? GUEST_ADDR6 : GUEST_ADDR, f.guestPort, msg);
    });
    sock.on("error", (e) => process.stderr.write(`ghost: -p ${f.hostAddr}:${f.hostPort}:${f.guestPort}/udp: ${e.message}\n`));
    sock.bind(f.hostPort, f.hostAddr);
    this.udpServers.push(sock);
  }

  // -p: a host listener whose connections become guest connections from the gateway.
  private listen(f: PortForward): void {
    if (f.udp) { this.listenUdp(f); return; }
    const srv = net.createServer((sock) => {
      const port = this.nextPort++;
      if (this.nextPort > 60000) this.nextPort = 40000;
      // A forward on a host IPv6 address connects to the guest's IPv6 address from fec0::2.
      const v6 = isHostV6(f.hostAddr);
      const gw = v6 ? GATEWAY_ADDR6 : GATEWAY_ADDR;
      const key = flowKey(f.guestPort, gw, port);
      const nf = new NatTcp(this, key, v6 ? GUEST_ADDR6 : GUEST_ADDR, f.guestPort, gw, port);
      this.flows.set(key, nf);
      nf.connectToGuest(sock);
    });
    srv.on("error", (e) => process.stderr.write(`ghost: -p ${f.hostAddr}:${f.hostPort}:${f.guestPort}: ${e.message}\n`));
    srv.listen(f.hostPort, f.hostAddr);
    this.servers.push(srv);
  }

  hold(): void { this.k.hostWaiters++; }
  release(): void { this.k.hostWaiters--; }

  // Ends the link: datagrams already handed to the host go out first (for at
  // most a second), then every host socket closes.
  async close(): Promise<void> {
    if (this.sending > 0) {
      await new Promise<void>((r) => { const t = setTimeout(r, 1000); this.drained.push(() => { clearTimeout(t); r(); }); });
    }
    this.closed = true;
    this.reasm.clear();
    this.ether.close();
    for (const s of this.servers) s.close();
    for (const s of this.udpServers) s.close();
    for (const f of [...this.flows.values()]) f.destroy();
    for (const f of [...this.udpFlows.values()]) f.sock.close();
  }
}

// Where a guest connection to `dst` goes on the host: the gateway is the
// host's loopback (10.0.2.2 its 127.0.0.1, fec0::2 its ::1).
function hostTarget(dst: IpAddr): string {
  if (sameAddr(dst, GATEWAY_ADDR)) return "127.0.0.1";
  if (sameAddr(dst, GATEWAY_ADDR6)) return "::1";
  return formatAddr(dst);
}
function flowKey(guestPort: number, remote: IpAddr, remotePort: number): string { return `${guestPort}:${formatAddr(remote)}:${remotePort}`; }

// An IP packet from the NAT: IPv4 between IPv4 addresses, else IPv6.
function ipPacket(src: IpAddr, dst: IpAddr, proto: number, payload: Uint8Array): Uint8Array {
  if (isV4(src) && isV4(dst)) return ipv4(src, dst, proto, payload);
  const p = new Uint8Array(IPV6_HLEN + payload.length);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, (6 << 28) >>> 0, false);
  dv.setUint16(4, payload.length, false);
  p[6] = proto;
  p[7] = IPDEFTTL;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, IPV6_HLEN);
  return p;
}

function ipv4(src: IpAddr, dst: IpAddr, proto: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(IPV4_HLEN + payload.length);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, p.length, false);
  p[8] = 64;
  p[9] = proto;
  p.set(src.subarray(12), 12);
  p.set(dst.subarray(12), 16);
  dv.setUint16(10, csumFold(csumAdd(0, p, 0, IPV4_HLEN)), false);
  p.set(payload, IPV4_HLEN);
  return p;
}

export function attachUserNet(k: Kernel, opts: UserNetOptions): UserNet { return new UserNet(k, opts); }
