// TCP's building blocks: sequence-number arithmetic (RFC 9293 §3.4), the
// byte queues of the send and receive sides, and segments built and parsed
// with their options (MSS, window scale, SACK-permitted and SACK blocks,
// timestamps: RFC 7323, RFC 2018).

import {
  TCP_HLEN, TCPOPT_EOL, TCPOPT_NOP, TCPOPT_MSS, TCPOPT_WINDOW, TCP_MAX_WSCALE, TCPHDR_SYN, TCPOPT_SACK_PERM, TCPOPT_SACK,
  TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP, TCPOLEN_SACK_PERBLOCK,
} from "../../abi/inet.js";
import { IPPROTO_TCP } from "../../abi/socket.js";
import { type IpAddr } from "./addr.js";
import { transportChecksum } from "./stack.js";
import type { TcpMem } from "./tcp_mem.js";

export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqLt = (a: number, b: number): boolean => seqDiff(a, b) < 0;
export const seqLe = (a: number, b: number): boolean => seqDiff(a, b) <= 0;

// A FIFO of bytes kept as the chunks written (push takes the array: its
// caller must not reuse it; copyTo reads them out); `pushed` and `popped` count every byte that
// went in and out (the receive side's stream positions).
//
// With mem set, the queue keeps what it holds charged there (tcp_mem.ts):
// its footprint, re-counted after every change.
export class ByteQueue {
  protected chunks: Uint8Array[] = [];
  protected head = 0; // bytes of chunks[0] already gone
  length = 0;
  pushed = 0;
  popped = 0;
  mem: TcpMem | null = null;
  private charged = 0;

  push(data: Uint8Array): void {
    if (!data.length) return;
    this.chunks.push(data);
    this.length += data.length;
    this.pushed += data.length;
    this.recharge();
  }

  // What the queue holds of the host's memory: a received chunk is a view
  // of its segment (headers and all) kept with its object, as an skb's
  // truesize counts more than its data.
  protected footprint(): number { return this.length + this.head + this.chunks.length * CHUNK_COST; }

  protected recharge(): void {
    if (!this.mem) return;
    const f = this.footprint();
    if (f !== this.charged) { this.mem.adjust(f - this.charged); this.charged = f; }
  }

  // Copies `len` bytes starting `off` bytes in (len within what is queued)
  // into dst at `at`, straight from the chunks: no intermediate array.
  copyTo(off: number, len: number, dst: Uint8Array, at: number): void {
    let skip = off + this.head;
    for (const c of this.chunks) {
      if (len <= 0) return;
      if (skip >= c.length) { skip -= c.length; continue; }
      const k = Math.min(c.length - skip, len);
      dst.set(k === c.length ? c : c.subarray(skip, skip + k), at);
      at += k;
      len -= k;
      skip = 0;
    }
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
      if (this.head === c.length) { this.chunks.shift(); this.head = 0; this.consumed(c); }
    }
    this.recharge();
  }

  // A chunk was read to its end and left the queue.
  protected consumed(_c: Uint8Array): void {}

  clear(): void { this.drop(this.length); }
}

// The send queue: what a sender writes is copied into blocks of its own
// (the one copy Linux makes into its skbs), and a block read to its end is
// used again, so a steady stream allocates nothing per write. Nothing
// outside holds a view of a block: segments are copied out of it.
const SND_BLOCK = 64 << 10;
// Blocks kept for reuse: enough for the writes between two ACKs of a fast
// stream; the rest of a burst's blocks go to the garbage collector.
const SND_SPARE = 16;
// The smallest block: what a short write gets when little is queued.
const SND_SMALL = 2048;
// What a received chunk costs beside its bytes: the segment's headers and
// headroom, and the view's object (Linux's skb overhead).
const CHUNK_COST = 256;

export class SendQueue extends ByteQueue {
  private tail: Uint8Array | null = null; // the block being filled
  private fill = 0;
  private spare: Uint8Array[] = [];

  override push(data: Uint8Array): void { this.pushCopy(data); }

  // Appends a copy of src.
  pushCopy(src: Uint8Array): void {
    for (let off = 0; off < src.length;) {
      if (!this.tail || this.fill === this.tail.length) { this.tail = this.newBlock(src.length - off); this.fill = 0; }
      const t = this.tail;
      const k = Math.min(src.length - off, t.length - this.fill);
      t.set(k === src.length ? src : src.subarray(off, off + k), this.fill);
      // The last chunk grows when it ends where this copy starts (same block).
      const i = this.chunks.length - 1;
      const last = this.chunks[i];
      if (last && last.buffer === t.buffer && last.byteOffset + last.length === this.fill) this.chunks[i] = t.subarray(last.byteOffset, this.fill + k);
      else this.chunks.push(t.subarray(this.fill, this.fill + k));
      this.fill += k;
      off += k;
    }
    this.length += src.length;
    this.pushed += src.length;
    this.recharge();
  }

  // The blocks it holds, whole: those with queued bytes, the tail, the
  // spare ones (one chunk per block: a block's bytes are appended in order).
  protected override footprint(): number {
    const tail = this.tail?.buffer;
    let f = this.spare.length * SND_BLOCK + (tail ? tail.byteLength : 0);
    for (const c of this.chunks) if (c.buffer !== tail) f += c.buffer.byteLength;
    return f;
  }

  // A block for `want` more bytes: a full one (reused if there is one) for
  // a stream, a small one for a short write to a short queue (a connection
  // that sends a request of a few bytes allocates no 64 KiB).
  private newBlock(want: number): Uint8Array {
    const b = this.spare.pop();
    if (b) return b;
    if (this.length + want >= SND_BLOCK / 2) return new Uint8Array(SND_BLOCK);
    return new Uint8Array(Math.max(want, SND_SMALL));
  }

  protected override consumed(c: Uint8Array): void {
    // A full-sized block is free once its last byte left (nothing of it is queued then).
    if (c.buffer.byteLength !== SND_BLOCK || c.byteOffset + c.length !== SND_BLOCK) return;
    const b = new Uint8Array(c.buffer);
    if (b.buffer === this.tail?.buffer) this.tail = null;
    // Under memory pressure (tcp_mem[1]) a spare block goes back at once.
    if (this.spare.length < SND_SPARE && !this.mem?.pressure) this.spare.push(b);
  }

  override clear(): void {
    super.clear();
    this.spare = [];
    this.tail = null;
    this.fill = 0;
    this.recharge();
  }
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
  sackOk: boolean; // SACK-permitted (on a SYN)
  ts: boolean; // a timestamps option: tsval and tsecr
  tsval: number;
  tsecr: number;
  sacks: number[] | null; // SACK blocks: start, end, start, end…
}

// The options a segment is built with besides MSS and window scale.
export interface SegOptions {
  sackOk?: boolean; // on a SYN
  ts?: { val: number; ecr: number };
  sacks?: number[];
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
    sackOk: false, ts: false, tsval: 0, tsecr: 0, sacks: null,
  };
  for (let i = TCP_HLEN; i < doff;) {
    const kind = b[i];
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) { i++; continue; }
    const len = b[i + 1];
    if (i + 1 >= doff || len < 2 || i + len > doff) break;
    if (kind === TCPOPT_MSS && len === 4) seg.mss = dv.getUint16(i + 2, false);
    if (kind === TCPOPT_WINDOW && len === 3) seg.wscale = Math.min(b[i + 2], TCP_MAX_WSCALE);
    if (kind === TCPOPT_SACK_PERM && len === 2) seg.sackOk = true;
    if (kind === TCPOPT_TIMESTAMP && len === TCPOLEN_TIMESTAMP) { seg.ts = true; seg.tsval = dv.getUint32(i + 2, false); seg.tsecr = dv.getUint32(i + 6, false); }
    if (kind === TCPOPT_SACK && (len - 2) % TCPOLEN_SACK_PERBLOCK === 0 && len > 2) {
      seg.sacks = [];
      for (let j = i + 2; j < i + len; j += 4) seg.sacks.push(dv.getUint32(j, false));
    }
    i += len;
  }
  return seg;
}

// A segment's payload when built: bytes, or a range of a byte queue copied
// straight into the segment (the send queue, without an intermediate copy).
export type SegmentData = Uint8Array | { q: ByteQueue; off: number; len: number };

// The length of the options buildSegment writes (a multiple of 4).
export function optionsLength(syn: boolean, o?: SegOptions): number {
  let n = syn ? 8 : 0; // MSS, NOP + window scale
  if (o?.ts) n += 12; // (SACK-permitted or two NOPs) + timestamps
  else if (syn && o?.sackOk) n += 4; // two NOPs + SACK-permitted
  if (o?.sacks?.length) n += 4 + (o.sacks.length / 2) * TCPOLEN_SACK_PERBLOCK; // two NOPs, kind, length, blocks
  return n;
}

// Builds a segment, a SYN with MSS and window scale (and the options in `o`,
// laid out as Linux's tcp_options_write: MSS, SACK-permitted + timestamps,
// NOP + window scale; timestamps and SACK blocks behind NOPs on the others). `headroom` bytes are
// left free in front for the IP header, so the packet needs no second copy
// (Linux's skb headroom). Without `csum` the checksum field stays zero: the
// packet goes through loopback, which neither computes nor checks it
// (Linux's lo: CHECKSUM_PARTIAL on the way out, CHECKSUM_UNNECESSARY in).
export function buildSegment(
  src: IpAddr, dst: IpAddr, s: Pick<Segment, "sport" | "dport" | "seq" | "ack" | "flags" | "wnd" | "urp"> & { data: SegmentData }, mss: number, wscale: number,
  headroom = 0, csum = true, o?: SegOptions,
): Uint8Array {
  const syn = (s.flags & TCPHDR_SYN) !== 0;
  const olen = optionsLength(syn, o);
  const d = s.data;
  const dlen = d instanceof Uint8Array ? d.length : d.len;
  const b = new Uint8Array(headroom + TCP_HLEN + olen + dlen);
  const dv = new DataView(b.buffer, headroom);
  dv.setUint16(0, s.sport, false);
  dv.setUint16(2, s.dport, false);
  dv.setUint32(4, s.seq >>> 0, false);
  dv.setUint32(8, s.ack >>> 0, false);
  b[headroom + 12] = ((TCP_HLEN + olen) / 4) << 4;
  b[headroom + 13] = s.flags;
  dv.setUint16(14, s.wnd, false);
  dv.setUint16(18, s.urp, false);
  let p = headroom + TCP_HLEN;
  if (syn) { b[p] = TCPOPT_MSS; b[p + 1] = 4; dv.setUint16(p - headroom + 2, mss, false); p += 4; }
  if (o?.ts) {
    if (syn && o.sackOk) { b[p] = TCPOPT_SACK_PERM; b[p + 1] = 2; } else { b[p] = b[p + 1] = TCPOPT_NOP; }
    b[p + 2] = TCPOPT_TIMESTAMP; b[p + 3] = TCPOLEN_TIMESTAMP;
    dv.setUint32(p - headroom + 4, o.ts.val >>> 0, false); dv.setUint32(p - headroom + 8, o.ts.ecr >>> 0, false);
    p += 12;
  } else if (syn && o?.sackOk) { b[p] = b[p + 1] = TCPOPT_NOP; b[p + 2] = TCPOPT_SACK_PERM; b[p + 3] = 2; p += 4; }
  if (syn) { b[p] = TCPOPT_NOP; b[p + 1] = TCPOPT_WINDOW; b[p + 2] = 3; b[p + 3] = wscale; p += 4; }
  if (o?.sacks?.length) {
    b[p] = b[p + 1] = TCPOPT_NOP; b[p + 2] = TCPOPT_SACK; b[p + 3] = 2 + (o.sacks.length / 2) * TCPOLEN_SACK_PERBLOCK;
    p += 4;
    for (const x of o.sacks) { dv.setUint32(p - headroom, x >>> 0, false); p += 4; }
  }
  const at = headroom + TCP_HLEN + olen;
  if (d instanceof Uint8Array) b.set(d, at); else d.q.copyTo(d.off, d.len, b, at);
  if (csum) dv.setUint16(16, transportChecksum(src, dst, IPPROTO_TCP, b.subarray(headroom)), false);
  return b;
}

// The out-of-order queue: segments that came early, by sequence number,
// charged to TCP memory as the receive queue is (Linux's out_of_order_queue
// skbs count in sk_rmem_alloc).
export class OooQueue extends Map<number, { data: Uint8Array; fin: boolean }> {
  mem: TcpMem | null = null;
  override set(seq: number, seg: { data: Uint8Array; fin: boolean }): this {
    const old = super.get(seq);
    this.mem?.adjust(seg.data.length + CHUNK_COST - (old ? old.data.length + CHUNK_COST : 0));
    return super.set(seq, seg);
  }
  override delete(seq: number): boolean {
    const old = super.get(seq);
    if (old) this.mem?.adjust(-(old.data.length + CHUNK_COST));
    return super.delete(seq);
  }
  override clear(): void {
    let n = 0;
    for (const o of super.values()) n += o.data.length + CHUNK_COST;
    super.clear();
    if (n) this.mem?.adjust(-n);
  }
}
