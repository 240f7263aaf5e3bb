// The TCP of one kernel: its connection table and listeners. A segment goes
// to the connection it belongs to, a SYN to the listening socket that takes
// it (a specific address before a wildcard), anything else gets a RST; ICMP
// errors go to the connection they quote. The sockets are in tcp.ts.

import { AF_INET, IPPROTO_TCP } from "../../abi/socket.js";
import { TCPHDR_FIN, TCPHDR_SYN, TCPHDR_RST, TCPHDR_ACK, TCP_SYN_RECV, TCP_LISTEN } from "../../abi/inet.js";
import { KernelLocal } from "../../kernel/local.js";
import type { Kernel } from "../../kernel/kernel.js";
import { type IpAddr, addrKey, isAny, isV4, sameAddr } from "./addr.js";
import { type NetStack, type IpPacket, type IcmpError, netStack } from "./stack.js";
import { seqAdd, parseSegment, buildSegment, type Segment } from "./tcp_seg.js";
import { TcpMem } from "./tcp_mem.js";
import { TcpSocket } from "./tcp.js";

// What the listener and the connection table of one kernel hold.
export class Tcp {
  readonly conns = new Map<string, TcpSocket>();
  readonly mem: TcpMem;
  constructor(readonly stack: NetStack) {
    const phys = stack.k.phys;
    this.mem = new TcpMem(phys.mem, phys.mem.totalBytes);
  }

  input(p: IpPacket): void {
    const s = parseSegment(p.src, p.dst, p.payload, p.csumOk);
    if (!s) return;
    const c = this.conns.get(connKey(p.dst, s.dport, p.src, s.sport));
    if (c) { c.input(s); return; }
    const l = this.listener(p, s.dport);
    if (l) { this.listenInput(l, p, s); return; }
    this.sendReset(p, s);
  }

  // An ICMP error quoting a segment of ours.
  error(e: IcmpError): void {
    if (e.header.length < 4) return;
    const sport = (e.header[0] << 8) | e.header[1], dport = (e.header[2] << 8) | e.header[3];
    this.conns.get(connKey(e.src, sport, e.dst, dport))?.icmpError(e.errno);
  }

  // The listening socket a segment to dport reaches, a specific address before a wildcard.
  private listener(p: IpPacket, dport: number): TcpSocket | null {
    let best: TcpSocket | null = null, bestScore = -1;
    for (const s of this.stack.tcpPorts.socketsOn(dport) as TcpSocket[]) {
      if (s.state !== TCP_LISTEN) continue;
      if (s.family === AF_INET && p.v6) continue;
      if (s.v6only && !p.v6) continue;
      let sc = s.family === AF_INET ? 2 : 1;
      if (!isAny(s.laddr)) {
        if (!sameAddr(s.laddr, p.dst)) continue;
        sc += 4;
      } else if (isV4(s.laddr) && p.v6) continue;
      if (sc > bestScore) { best = s; bestScore = sc; }
    }
    return best;
  }

  private listenInput(l: TcpSocket, p: IpPacket, s: Segment): void {
    if (s.flags & TCPHDR_RST) return;
    if (s.flags & TCPHDR_ACK) { this.sendReset(p, s); return; }
    if (!(s.flags & TCPHDR_SYN)) return;
    // tcp_conn_request: a full accept queue drops the SYN (the client retries).
    if (l.acceptQ.length > l.maxBacklog) return;
    if (l.synQ.size >= Math.max(l.maxBacklog, 1) * 2 + 16) return;
    const c = new TcpSocket(this.stack, l.family, l.type, l.protocol, l.uid);
    c.chargeAnyway();
    c.inheritFrom(l);
    c.laddr = p.dst; c.raddr = p.src; c.rport = s.sport;
    this.stack.tcpPorts.add(c, l.lport);
    c.parent = l;
    c.orphan = true; // nobody holds it until accept()
    l.synQ.add(c);
    c.hash();
    c.synOptions(s);
    c.initRcv(s.seq);
    c.iss = c.random();
    c.sndUna = c.iss;
    c.sndWnd = s.wnd;
    c.sndWl1 = s.seq;
    c.setState(TCP_SYN_RECV);
    c.sendSyn(true);
  }

  // tcp_v4_send_reset: the answer to a segment no socket takes.
  sendReset(p: IpPacket, s: Segment): void {
    if (s.flags & TCPHDR_RST) return;
    const ack = s.flags & TCPHDR_ACK;
    const len = s.data.length + (s.flags & TCPHDR_SYN ? 1 : 0) + (s.flags & TCPHDR_FIN ? 1 : 0);
    const seg = buildSegment(p.dst, p.src, {
      sport: s.dport, dport: s.sport, seq: ack ? s.ack : 0, ack: ack ? 0 : seqAdd(s.seq, len),
      flags: ack ? TCPHDR_RST : TCPHDR_RST | TCPHDR_ACK, wnd: 0, urp: 0, data: new Uint8Array(0),
    }, 0, 0);
    this.stack.output(p.dst, p.src, IPPROTO_TCP, seg);
  }
}

export function connKey(la: IpAddr, lp: number, ra: IpAddr, rp: number): string {
  return `${addrKey(la)}:${lp}:${addrKey(ra)}:${rp}`;
}

export const TCP = new KernelLocal("tcp", (k: Kernel) => {
  const stack = netStack(k);
  const t = new Tcp(stack);
  stack.register(IPPROTO_TCP, t);
  return t;
});
export function tcpInit(k: Kernel): Tcp { return k.local(TCP); }
