// IPv4 fragmentation and reassembly (Linux's net/ipv4/ip_output.c
// ip_fragment and net/ipv4/ip_fragment.c with inet_fragment.c,
// reimplemented). Used by the stack for its devices and by the user-mode
// NAT for the guest's link, so nothing here imports Node.
//
// Reassembly follows Linux's rules: fragments are kept per (source,
// destination, id, protocol) until the datagram is whole; a queue not
// complete within ipfrag_time (30 s) is dropped; a fragment overlapping one
// already held discards the whole datagram (RFC 5722's rule, which Linux
// applies to IPv4 too since 4.19), an exact duplicate only itself; all the
// queues together hold at most ipfrag_high_thresh (4 MiB), past which new
// fragments are dropped; what they hold is charged to the guest's memory.

import { IP_DF, IP_MF, IP_OFFMASK, IP_MAXPACKET } from "../../abi/inet.js";
import { csumAdd, csumFold } from "./stack.js";

const NS_PER_SEC = 1_000_000_000;
// net.ipv4.ipfrag_time and ipfrag_high_thresh, Linux's defaults.
export const IPFRAG_TIME_NS = 30 * NS_PER_SEC;
export const IPFRAG_HIGH_THRESH = 4 << 20;
// What one held fragment costs beyond its bytes (its sk_buff's truesize).
const FRAG_OVERHEAD = 256;

// Whether an IPv4 header (checked already) is that of a fragment.
export function isV4Fragment(raw: Uint8Array): boolean {
  return (((raw[6] << 8) | raw[7]) & (IP_MF | IP_OFFMASK)) !== 0;
}

function setHeaderCsum(p: Uint8Array, ihl: number): void {
  p[10] = p[11] = 0;
  const sum = csumFold(csumAdd(0, p, 0, ihl));
  p[10] = sum >> 8; p[11] = sum & 0xff;
}

// Splits an IPv4 packet (header checksum may be stale) into fragments of at
// most `mtu` bytes, each a copy of the header with its offset, MF and
// checksum: every fragment but the last carries a multiple of 8 bytes.
export function fragmentV4(pkt: Uint8Array, mtu: number): Uint8Array[] {
  const ihl = (pkt[0] & 0xf) * 4;
  const total = (pkt[2] << 8) | pkt[3];
  const payload = pkt.subarray(ihl, total);
  const step = ((mtu - ihl) >> 3) << 3;
  const baseOff = ((pkt[6] << 8) | pkt[7]) & IP_OFFMASK;
  const moreAfter = (((pkt[6] << 8) | pkt[7]) & IP_MF) !== 0; // a fragment fragmented again
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += step) {
    const len = Math.min(step, payload.length - at);
    const f = new Uint8Array(ihl + len);
    f.set(pkt.subarray(0, ihl), 0);
    f.set(payload.subarray(at, at + len), ihl);
    f[2] = f.length >> 8; f[3] = f.length & 0xff;
    const last = at + len >= payload.length;
    const fo = baseOff + (at >> 3) | (!last || moreAfter ? IP_MF : 0);
    f[6] = fo >> 8; f[7] = fo & 0xff;
    setHeaderCsum(f, ihl);
    out.push(f);
  }
  return out;
}

// The clock, timers and memory a reassembler works with (a kernel's, or
// the NAT's host process).
export interface FragEnv {
  now(): number; // nanoseconds
  timer?(ns: number, fn: () => void): { cancel(): void };
  // Charges (d > 0) or gives back (d < 0) guest memory; false: none left.
  charge?(d: number): boolean;
}

interface Piece { off: number; end: number; data: Uint8Array }
interface FragQueue {
  pieces: Piece[]; // sorted by offset, never overlapping
  header: Uint8Array | null; // the first fragment's header
  total: number; // the payload's length once the last fragment came, else -1
  cost: number;
  deadline: number;
  timer: { cancel(): void } | null;
}

export class V4Reassembler {
  private readonly queues = new Map<string, FragQueue>();
  private held = 0;
  dropped = 0; // datagrams given up (Linux's ReasmFails)

  constructor(private readonly env: FragEnv, readonly highThresh = IPFRAG_HIGH_THRESH) {}

  get bytes(): number { return this.held; }
  get pending(): number { return this.queues.size; }

  // One fragment (its header checked); the whole datagram when this one
  // completes it, else null.
  add(raw: Uint8Array): Uint8Array | null {
    const now = this.env.now();
    this.expire(now);
    const ihl = (raw[0] & 0xf) * 4;
    const total = (raw[2] << 8) | raw[3];
    if (ihl < 20 || total < ihl || total > raw.length) return null;
    const fo = (raw[6] << 8) | raw[7];
    const off = (fo & IP_OFFMASK) << 3;
    const more = (fo & IP_MF) !== 0;
    let data = raw.subarray(ihl, total);
    let end = off + data.length;
    if (end > IP_MAXPACKET - ihl) return null;
    // ip_frag_queue: a fragment that is not the last carries whole 8-byte units.
    if (more && end & 7) { end &= ~7; data = data.subarray(0, end - off); }
    const key = `${raw[9]}:${raw.subarray(12, 20).join(".")}:${(raw[4] << 8) | raw[5]}`;
    let q = this.queues.get(key);
    if (!q) {
      // inet_frag_find: past the high threshold no new queue is made.
      if (this.held >= this.highThresh) { this.dropped++; return null; }
      q = { pieces: [], header: null, total: -1, cost: 0, deadline: now + IPFRAG_TIME_NS, timer: null };
      const qq = q;
      if (this.env.timer) q.timer = this.env.timer(IPFRAG_TIME_NS, () => { if (this.queues.get(key) === qq) this.discard(key, qq); });
      this.queues.set(key, q);
    }
    if (!more) {
      // The last fragment fixes the length; one that contradicts it, or data past it, spoils the datagram.
      if ((q.total >= 0 && q.total !== end) || q.pieces.some((p) => p.end > end)) { this.discard(key, q); return null; }
      q.total = end;
    } else if (q.total >= 0 && end > q.total) { this.discard(key, q); return null; }
    if (end === off) return null; // nothing to keep
    // Where it goes; an exact duplicate is dropped, any other overlap ends the datagram.
    let i = 0;
    while (i < q.pieces.length && q.pieces[i].off < off) i++;
    const prev = q.pieces[i - 1], next = q.pieces[i];
    if (next && next.off === off && next.end === end) return null;
    if ((prev && prev.end > off) || (next && next.off < end)) { this.discard(key, q); return null; }
    const cost = data.length + FRAG_OVERHEAD;
    if (this.held + cost > this.highThresh || (this.env.charge && !this.env.charge(cost))) { this.discard(key, q); return null; }
    this.held += cost;
    q.cost += cost;
    q.pieces.splice(i, 0, { off, end, data: data.slice() });
    if (off === 0) q.header = raw.slice(0, ihl);
    return this.complete(key, q);
  }

  private complete(key: string, q: FragQueue): Uint8Array | null {
    if (q.total < 0 || !q.header) return null;
    let at = 0;
    for (const p of q.pieces) { if (p.off !== at) return null; at = p.end; }
    if (at !== q.total) return null;
    const h = q.header, ihl = h.length;
    const pkt = new Uint8Array(ihl + q.total);
    pkt.set(h, 0);
    for (const p of q.pieces) pkt.set(p.data, ihl + p.off);
    pkt[2] = pkt.length >> 8; pkt[3] = pkt.length & 0xff;
    const df = ((h[6] << 8) | h[7]) & IP_DF;
    pkt[6] = df >> 8; pkt[7] = 0;
    setHeaderCsum(pkt, ihl);
    this.forget(key, q);
    return pkt;
  }

  // Drops a datagram's queue and gives back what it held.
  private discard(key: string, q: FragQueue): void {
    this.dropped++;
    this.forget(key, q);
  }

  private forget(key: string, q: FragQueue): void {
    q.timer?.cancel();
    this.queues.delete(key);
    this.held -= q.cost;
    if (q.cost) this.env.charge?.(-q.cost);
    q.cost = 0;
    q.pieces.length = 0;
  }

  // Queues past their time (without timers, found at the next fragment).
  private expire(now: number): void {
    for (const [key, q] of this.queues) if (q.deadline <= now) this.discard(key, q);
  }

  // Everything held (the stack going away).
  clear(): void { for (const [key, q] of this.queues) this.forget(key, q); }
}
