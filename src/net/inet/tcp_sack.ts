// Selective acknowledgement (RFC 2018, RFC 6675): the sender's scoreboard
// of what the peer holds beyond the cumulative ACK, so that loss recovery
// resends the holes and nothing the peer already has; and the receiver's
// SACK blocks, made from its out-of-order queue, the block with the most
// recent segment first.

import { seqAdd, seqDiff, seqLt, seqLe } from "./tcp_seg.js";

// The ranges [start, end) the peer reported holding, disjoint, in sequence order.
export class SackScoreboard {
  private ranges: [number, number][] = [];

  get empty(): boolean { return this.ranges.length === 0; }

  // Takes the blocks of one ACK: those within (una, nxt] are merged in
  // (a block at or below una is a D-SACK or stale, and ignored).
  add(blocks: number[], una: number, nxt: number): void {
    for (let i = 0; i + 1 < blocks.length; i += 2) {
      let a = blocks[i], b = blocks[i + 1];
      if (!seqLt(a, b) || seqLt(nxt, b) || seqLe(b, una)) continue;
      if (seqLt(a, una)) a = una;
      const out: [number, number][] = [];
      let placed = false;
      for (const r of this.ranges) {
        if (seqLt(r[1], a)) { out.push(r); continue; }
        if (seqLt(b, r[0])) { if (!placed) { out.push([a, b]); placed = true; } out.push(r); continue; }
        if (seqLt(r[0], a)) a = r[0];
        if (seqLt(b, r[1])) b = r[1];
      }
      if (!placed) out.push([a, b]);
      this.ranges = out;
    }
  }

  // The cumulative ACK moved to una: what it covers is no longer needed.
  trim(una: number): void {
    while (this.ranges.length && seqLe(this.ranges[0][1], una)) this.ranges.shift();
    if (this.ranges.length && seqLt(this.ranges[0][0], una)) this.ranges[0][0] = una;
  }

  clear(): void { this.ranges = []; }

  // The SACKed bytes below `seq`.
  bytesBelow(seq: number): number {
    let n = 0;
    for (const r of this.ranges) {
      if (!seqLt(r[0], seq)) break;
      n += seqDiff(seqLt(r[1], seq) ? r[1] : seq, r[0]);
    }
    return n;
  }

  bytes(): number { let n = 0; for (const r of this.ranges) n += seqDiff(r[1], r[0]); return n; }

  // The end of the highest SACKed range (RFC 6675's HighACK), or null.
  highest(): number | null { return this.ranges.length ? this.ranges[this.ranges.length - 1][1] : null; }

  // `seq` moved past the SACKed range it falls in, if any.
  skip(seq: number): number {
    for (const r of this.ranges) if (seqLe(r[0], seq) && seqLt(seq, r[1])) return r[1];
    return seq;
  }

  // How many bytes from `seq` are not SACKed before the next SACKed range
  // (Infinity when none follows).
  room(seq: number): number {
    for (const r of this.ranges) if (seqLt(seq, r[0])) return seqDiff(r[0], seq);
    return Infinity;
  }

  // The first hole at or after `from` that a SACK above it marks lost
  // (RFC 6675's NextSeg rule 1): its start and length, or null.
  nextHole(from: number): { seq: number; len: number } | null {
    const top = this.highest();
    if (top === null) return null;
    const seq = this.skip(from);
    if (!seqLt(seq, top)) return null;
    return { seq, len: this.room(seq) };
  }
}

// The receiver's SACK blocks (tcp_sack_new_ofo_skb): the out-of-order
// segments merged into ranges, the one holding `recent` first, at most `max`.
export function sackBlocks(ooo: Map<number, { data: Uint8Array }>, rcvNxt: number, recent: number | null, max: number): number[] {
  const segs = [...ooo.entries()].map(([s, o]) => [s, seqAdd(s, o.data.length)] as [number, number])
    .filter(([s, e]) => seqLt(s, e) && seqLt(rcvNxt, e))
    .sort((x, y) => seqDiff(x[0], rcvNxt) - seqDiff(y[0], rcvNxt));
  const ranges: [number, number][] = [];
  for (const [s, e] of segs) {
    const last = ranges[ranges.length - 1];
    if (last && seqLe(s, last[1])) { if (seqLt(last[1], e)) last[1] = e; } else ranges.push([s, e]);
  }
  if (recent !== null) {
    const i = ranges.findIndex(([s, e]) => seqLe(s, recent) && seqLt(recent, e));
    if (i > 0) ranges.unshift(...ranges.splice(i, 1));
  }
  return ranges.slice(0, max).flat();
}
