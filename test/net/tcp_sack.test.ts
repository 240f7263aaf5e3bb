// TCP's SACK and timestamps (src/net/inet/tcp_sack.ts, tcp_seg.ts): the
// sender's scoreboard merges blocks, trims at the cumulative ACK and names
// the holes recovery resends; the receiver's blocks put the newest first;
// options written by buildSegment read back the same through parseSegment.
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/tcp_sack.test.js
import { test } from "node:test";
import assert from "node:assert/strict";
import { SackScoreboard, sackBlocks } from "../../src/net/inet/tcp_sack.js";
import { buildSegment, parseSegment } from "../../src/net/inet/tcp_seg.js";
import { v4 } from "../../src/net/inet/addr.js";
import { TCPHDR_ACK, TCPHDR_SYN } from "../../src/abi/inet.js";

// Sequence numbers near the wrap, so that comparisons must be modular.
const BASE = 0xffff_f000;
const at = (n: number) => (BASE + n) >>> 0;

test("scoreboard: blocks merge, the ACK trims, holes come in order", () => {
  const sb = new SackScoreboard();
  const una = at(0), nxt = at(10_000);
  sb.add([at(3000), at(4000)], una, nxt);
  sb.add([at(6000), at(7000), at(3500), at(5000)], una, nxt);
  assert.equal(sb.bytes(), 3000);
  assert.equal(sb.highest(), at(7000));
  assert.deepEqual(sb.nextHole(una), { seq: at(0), len: 3000 });
  assert.deepEqual(sb.nextHole(at(3000)), { seq: at(5000), len: 1000 });
  assert.equal(sb.nextHole(at(6500)), null); // nothing above the highest SACK is known lost
  assert.equal(sb.skip(at(3200)), at(5000));
  assert.equal(sb.bytesBelow(at(6500)), 2500);
  // A block beyond what was sent, or below the ACK, is ignored.
  sb.add([at(9000), at(11_000), at(0) - 100 >>> 0, at(0)], una, nxt);
  assert.equal(sb.bytes(), 3000);
  sb.trim(at(3600));
  assert.equal(sb.bytes(), 1400 + 1000);
  assert.deepEqual(sb.nextHole(at(3600)), { seq: at(5000), len: 1000 });
  sb.trim(at(7000));
  assert.ok(sb.empty);
});

test("receiver blocks: contiguous segments merge, the newest block first, at most max", () => {
  const ooo = new Map<number, { data: Uint8Array }>();
  const seg = (n: number, len: number) => ooo.set(at(n), { data: new Uint8Array(len) });
  seg(1000, 500); seg(1500, 500); seg(3000, 100); seg(5000, 100); seg(7000, 100);
  assert.deepEqual(sackBlocks(ooo, at(0), at(5000), 3), [at(5000), at(5100), at(1000), at(2000), at(3000), at(3100)]);
  assert.deepEqual(sackBlocks(ooo, at(0), null, 4).length, 8);
});

test("options: SYN with SACK-permitted and timestamps, SACK blocks after, read back", () => {
  const a = v4(10, 0, 2, 15), b = v4(10, 0, 2, 2);
  const hdr = { sport: 1, dport: 2, seq: 5, ack: 0, flags: TCPHDR_SYN, wnd: 100, urp: 0, data: new Uint8Array(0) };
  const syn = parseSegment(a, b, buildSegment(a, b, hdr, 1460, 7, 0, true, { sackOk: true, ts: { val: 0xdeadbeef, ecr: 0 } }))!;
  assert.equal(syn.mss, 1460); assert.equal(syn.wscale, 7); assert.ok(syn.sackOk);
  assert.ok(syn.ts); assert.equal(syn.tsval, 0xdeadbeef); assert.equal(syn.tsecr, 0);
  const data = new Uint8Array([1, 2, 3]);
  const raw = buildSegment(a, b, { ...hdr, flags: TCPHDR_ACK, data }, 0, 0, 0, true, { ts: { val: 9, ecr: 8 }, sacks: [at(10), at(20), at(30), at(40)] });
  const s = parseSegment(a, b, raw)!;
  assert.ok(s.ts); assert.equal(s.tsval, 9); assert.equal(s.tsecr, 8);
  assert.deepEqual(s.sacks, [at(10), at(20), at(30), at(40)]);
  assert.deepEqual([...s.data], [1, 2, 3]);
  assert.equal(s.mss, 0); assert.equal(s.wscale, -1); assert.ok(!s.sackOk);
});
