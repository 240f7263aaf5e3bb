// TCP's building blocks: sequence-number arithmetic (RFC 9293 §3.4), the
// byte queues of the send and receive sides, and segments built and parsed
// with their options (MSS, window scale).

import {
  TCP_HLEN, TCPOPT_EOL, TCPOPT_NOP, TCPOPT_MSS, TCPOPT_WINDOW, TCP_MAX_WSCALE, TCPHDR_SYN,
} from "../../abi/inet.js";
import { IPPROTO_TCP } from "../../abi/socket.js";
import { type IpAddr } from "./addr.js";
import { transportChecksum } from "./stack.js";

export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqLt = (a: number, b: number): boolean => seqDiff(a, b) < 0;
export const seqLe = (a: number, b: number): boolean => seqDiff(a, b) <= 0;

// A FIFO of bytes kept as the chunks written (push takes the array: its
// caller must not reuse it); `pushed` and `popped` count every byte that
// went in and out (the receive side's stream positions).
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes of chunks[0] already gone
  length = 0;
  pushed = 0;
  popped = 0;

  push(data: Uint8Array): void {
    if (!data.length) return;
    this.chunks.push(data);
    this.length += data.length;
    this.pushed += data.length;
  }

  // Up to `len` bytes starting `off` bytes in: a view when they lie in one
  // chunk, else a copy. Either is only read.
  peek(off: number, len: number): Uint8Array {
    const n = Math.max(0, Math.min(len, this.length - off));
    let skip = off + this.head;
    for (const c of this.chunks) {
      if (skip >= c.length) { skip -= c.length; continue; }
      if (skip + n <= c.length) return c.subarray(skip, skip + n);
      break;
    }
    const out = new Uint8Array(n);
    skip = off + this.head;
    let got = 0;
    for (const c of this.chunks) {
      if (got >= n) break;
      if (skip >= c.length) { skip -= c.length; continue; }
      const k = Math.min(c.length - skip, n - got);
      out.set(c.subarray(skip, skip + k), got);
      got += k;
      skip = 0;
    }
    return out;
  }

  drop(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    this.popped += n;
    while (n > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, n);
      this.head += k;
      n -= k;
      if (this.head === c.length) { this.chunks.shift(); this.head = 0; }
    }
  }

  clear(): void { this.drop(this.length); }
}

export interface Segment {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  wnd: number;
  urp: number;
  data: Uint8Array;
  mss: number; // 0: no option
  wscale: number; // -1: no option
}

// Parses and checks a TCP segment; null when malformed or its checksum is
// wrong (not looked at when the device vouches for it, as loopback does).
export function parseSegment(src: IpAddr, dst: IpAddr, b: Uint8Array, csumOk = false): Segment | null {
  if (b.length < TCP_HLEN) return null;
  if (!csumOk && transportChecksum(src, dst, IPPROTO_TCP, b) !== 0) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const doff = (b[12] >> 4) * 4;
  if (doff < TCP_HLEN || doff > b.length) return null;
  const seg: Segment = {
    sport: dv.getUint16(0, false), dport: dv.getUint16(2, false), seq: dv.getUint32(4, false), ack: dv.getUint32(8, false),
    flags: b[13] & 0x3f, wnd: dv.getUint16(14, false), urp: dv.getUint16(18, false), data: b.subarray(doff), mss: 0, wscale: -1,
  };
  for (let i = TCP_HLEN; i < doff;) {
    const kind = b[i];
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) { i++; continue; }
    const len = b[i + 1];
    if (i + 1 >= doff || len < 2 || i + len > doff) break;
    if (kind === TCPOPT_MSS && len === 4) seg.mss = dv.getUint16(i + 2, false);
    if (kind === TCPOPT_WINDOW && len === 3) seg.wscale = Math.min(b[i + 2], TCP_MAX_WSCALE);
    i += len;
  }
  return seg;
}

// Builds a segment with its checksum; a SYN carries MSS and window scale.
export function buildSegment(src: IpAddr, dst: IpAddr, s: Omit<Segment, "wscale" | "mss">, mss: number, wscale: number): Uint8Array {
  const syn = (s.flags & TCPHDR_SYN) !== 0;
  const olen = syn ? 8 : 0;
  const b = new Uint8Array(TCP_HLEN + olen + s.data.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, s.sport, false);
  dv.setUint16(2, s.dport, false);
  dv.setUint32(4, s.seq >>> 0, false);
  dv.setUint32(8, s.ack >>> 0, false);
  b[12] = ((TCP_HLEN + olen) / 4) << 4;
  b[13] = s.flags;
  dv.setUint16(14, s.wnd, false);
  dv.setUint16(18, s.urp, false);
  if (syn) {
    b[20] = TCPOPT_MSS; b[21] = 4; dv.setUint16(22, mss, false);
    b[24] = TCPOPT_NOP; b[25] = TCPOPT_WINDOW; b[26] = 3; b[27] = wscale;
  }
  b.set(s.data, TCP_HLEN + olen);
  dv.setUint16(16, transportChecksum(src, dst, IPPROTO_TCP, b), false);
  return b;
}
