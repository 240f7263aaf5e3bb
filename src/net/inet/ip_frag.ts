// IPv4 and IPv6 fragmentation and reassembly (Linux's net/ipv4/ip_output.c
// ip_fragment, net/ipv6/ip6_output.c ip6_fragment, net/ipv4/ip_fragment.c
// and net/ipv6/reassembly.c with inet_fragment.c, reimplemented). IPv6
// fragments carry a fragment header (RFC 8200 §4.5) right after the fixed
// header; one behind other extension headers is not taken. Used by the stack for its devices and by the user-mode
// NAT for the guest's link, so nothing here imports Node.
//
// Reassembly follows Linux's rules: fragments are kept per (source,
// destination, id, protocol) until the datagram is whole; a queue not
// complete within ipfrag_time (30 s) is dropped; a fragment overlapping one
// already held discards the whole datagram (RFC 5722's rule, which Linux
// applies to IPv4 too since 4.19), an exact duplicate only itself; all the
// queues together hold at most ipfrag_high_thresh (4 MiB), past which new
// fragments are dropped; what they hold is charged to the guest's memory.

import { IP_DF, IP_MF, IP_OFFMASK, IP_MAXPACKET, IPV6_HLEN } from "../../abi/inet.js";
import { IPPROTO_FRAGMENT } from "../../abi/socket.js";
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

// The fragment header (struct frag_hdr): next header, reserved, offset
// with the M flag (IP6_MF), identification.
const FRAG_HLEN = 8;
const IP6_MF = 0x0001;
const IP6_OFFSET = 0xfff8;

// Whether an IPv6 packet is a fragment (its fragment header first).
export function isV6Fragment(raw: Uint8Array): boolean { return raw.length >= IPV6_HLEN + FRAG_HLEN && raw[6] === IPPROTO_FRAGMENT; }

// Splits an IPv6 packet into fragments of at most `mtu` bytes: the fixed
// header, a fragment header with `id`, and 8-byte units of the rest.
export function fragmentV6(pkt: Uint8Array, mtu: number, id: number): Uint8Array[] {
  const plen = (pkt[4] << 8) | pkt[5];
  const payload = pkt.subarray(IPV6_HLEN, IPV6_HLEN + plen);
  const step = ((mtu - IPV6_HLEN - FRAG_HLEN) >> 3) << 3;
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += step) {
    const len = Math.min(step, payload.length - at);
    const f = new Uint8Array(IPV6_HLEN + FRAG_HLEN + len);
    f.set(pkt.subarray(0, IPV6_HLEN), 0);
    f[4] = (FRAG_HLEN + len) >> 8; f[5] = (FRAG_HLEN + len) & 0xff;
    f[6] = IPPROTO_FRAGMENT;
    f[IPV6_HLEN] = pkt[6];
    const fo = at | (at + len < payload.length ? IP6_MF : 0);
    f[IPV6_HLEN + 2] = fo >> 8; f[IPV6_HLEN + 3] = fo & 0xff;
    new DataView(f.buffer).setUint32(IPV6_HLEN + 4, id >>> 0, false);
    f.set(payload.subarray(at, at + len), IPV6_HLEN + FRAG_HLEN);
    out.push(f);
  }
  return out;
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
  // A datagram given up after its time whose first fragment had come
  // (INET_FRAG_FIRST_IN): that fragment, for the ICMP time exceeded
  // (code "fragment reassembly time exceeded") a receiving host sends.
  expired?(first: Uint8Array): void;
}

interface Piece { off: number; end: number; data: Uint8Array }
interface FragQueue {
  v6: boolean;
  pieces: Piece[]; // sorted by offset, never overlapping
  header: Uint8Array | null; // the first fragment's header (IPv6: the fixed header, its next header the fragment's)
  first: Uint8Array | null; // the first fragment as it came
  total: number; // the payload's length once the last fragment came, else -1
  cost: number;
  deadline: number;
  timer: { cancel(): void } | null;
}

export class V4Reassembler {
  private readonly queues = new Map<string, FragQueue>();
  private held = 0;
  dropped = 0; // datagrams given up (Linux's ReasmFails)
  // net.ipv4.ipfrag_time (and ipv6's): how long an incomplete datagram is kept.
  timeNs = IPFRAG_TIME_NS;

  constructor(private readonly env: FragEnv, readonly highThresh = IPFRAG_HIGH_THRESH) {}

  get bytes(): number { return this.held; }
  get pending(): number { return this.queues.size; }

  // One IPv4 fragment (its header checked); the whole datagram when this
  // one completes it, else null.
  add(raw: Uint8Array): Uint8Array | null {
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
    return this.queue(key, false, off, end, more, data, () => raw.slice(0, ihl), raw);
  }

  // One IPv6 fragment (isV6Fragment); the whole packet, without its
  // fragment header, when this one completes it, else null. As
  // ipv6_frag_rcv: an atomic fragment (offset 0, no M) is whole at once;
  // a fragment not the last whose length is not a multiple of 8 is dropped.
  add6(raw: Uint8Array): Uint8Array | null {
    const plen = (raw[4] << 8) | raw[5];
    if (plen < FRAG_HLEN || IPV6_HLEN + plen > raw.length) return null;
    const fh = IPV6_HLEN;
    const fo = (raw[fh + 2] << 8) | raw[fh + 3];
    const off = fo & IP6_OFFSET;
    const more = (fo & IP6_MF) !== 0;
    const data = raw.subarray(fh + FRAG_HLEN, IPV6_HLEN + plen);
    const end = off + data.length;
    if (end > IP_MAXPACKET || (more && data.length & 7)) return null;
    const header = () => { const h = raw.slice(0, IPV6_HLEN); h[6] = raw[fh]; return h; };
    if (off === 0 && !more) return this.rebuild(true, header(), [{ off: 0, end, data }], end);
    const id = new DataView(raw.buffer, raw.byteOffset + fh + 4, 4).getUint32(0, false);
    const key = `6:${raw.subarray(8, 40).join(".")}:${id}`;
    return this.queue(key, true, off, end, more, data, header, raw);
  }

  private queue(key: string, v6: boolean, off: number, end: number, more: boolean, data: Uint8Array, header: () => Uint8Array,
    raw: Uint8Array): Uint8Array | null {
    const now = this.env.now();
    this.expire(now);
    let q = this.queues.get(key);
    if (!q) {
      // inet_frag_find: past the high threshold no new queue is made.
      if (this.held >= this.highThresh) { this.dropped++; return null; }
      q = { v6, pieces: [], header: null, first: null, total: -1, cost: 0, deadline: now + this.timeNs, timer: null };
      const qq = q;
      if (this.env.timer) q.timer = this.env.timer(this.timeNs, () => { if (this.queues.get(key) === qq) this.timeout(key, qq); });
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
    if (off === 0) { q.header = header(); q.first = raw.slice(0, v6 ? IPV6_HLEN + ((raw[4] << 8) | raw[5]) : (raw[2] << 8) | raw[3]); }
    return this.complete(key, q);
  }

  private complete(key: string, q: FragQueue): Uint8Array | null {
    if (q.total < 0 || !q.header) return null;
    let at = 0;
    for (const p of q.pieces) { if (p.off !== at) return null; at = p.end; }
    if (at !== q.total) return null;
    const pkt = this.rebuild(q.v6, q.header, q.pieces, q.total);
    this.forget(key, q);
    return pkt;
  }

  // The datagram from its first header and its pieces.
  private rebuild(v6: boolean, h: Uint8Array, pieces: Piece[], total: number): Uint8Array {
    const hlen = h.length;
    const pkt = new Uint8Array(hlen + total);
    pkt.set(h, 0);
    for (const p of pieces) pkt.set(p.data, hlen + p.off);
    if (v6) { pkt[4] = total >> 8; pkt[5] = total & 0xff; return pkt; }
    pkt[2] = pkt.length >> 8; pkt[3] = pkt.length & 0xff;
    const df = ((h[6] << 8) | h[7]) & IP_DF;
    pkt[6] = df >> 8; pkt[7] = 0;
    setHeaderCsum(pkt, hlen);
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
    q.first = null;
  }

  // Queues past their time (without timers, found at the next fragment).
  private expire(now: number): void {
    for (const [key, q] of this.queues) if (q.deadline <= now) this.timeout(key, q);
  }

  // ip_expire / ip6frag_expire_frag_queue: the datagram is dropped, and its
  // sender hears of it when its first fragment had come.
  private timeout(key: string, q: FragQueue): void {
    const first = q.first;
    this.discard(key, q);
    if (first) this.env.expired?.(first);
  }

  // Everything held (the stack going away).
  clear(): void { for (const [key, q] of this.queues) this.forget(key, q); }
}
