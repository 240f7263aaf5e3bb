// TCP's send queue (src/net/inet/tcp_seg.ts): bytes copied in as written,
// read out from any offset, dropped as acknowledged, with its 64 KiB blocks
// reused once read to their end. Against a plain array as the reference,
// with writes and drops of sizes that straddle the blocks.
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/tcp_seg.test.js
import { test } from "node:test";
import assert from "node:assert/strict";
import { SendQueue, ByteQueue } from "../../src/net/inet/tcp_seg.js";

// A deterministic pseudo-random sequence (xorshift32).
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

test("send queue: what is read back is what was written, across block reuse", () => {
  const q = new SendQueue();
  const next = rng(7);
  let ref = Buffer.alloc(0);
  let stamp = 0;
  const src = new Uint8Array(200_000);
  for (let step = 0; step < 600; step++) {
    const n = next() % 3 === 0 ? 65536 : next() % 150_000;
    for (let i = 0; i < n; i++) src[i] = (stamp + i * 31) & 0xff;
    q.pushCopy(src.subarray(0, n));
    ref = Buffer.concat([ref, src.subarray(0, n)]);
    stamp++;
    // The caller's buffer is reused at once: the queue must hold its own copy.
    src.fill(0xee);
    assert.equal(q.length, ref.length);
    // A segment from anywhere in the queue.
    if (q.length > 0) {
      const off = next() % q.length;
      const len = Math.min(q.length - off, next() % 70_000);
      const out = new Uint8Array(len + 3);
      q.copyTo(off, len, out, 3);
      assert.ok(Buffer.from(out.subarray(3)).equals(ref.subarray(off, off + len)), `step ${step}: bytes ${off}+${len}`);
    }
    // An ACK of part of it or, every few steps, of all (the block being
    // filled then has nothing queued); the queue is kept under 1 MB.
    const drop = step % 5 === 4 ? ref.length : ref.length > (1 << 20) ? ref.length - (512 << 10) : next() % (ref.length + 1);
    q.drop(drop);
    ref = ref.subarray(drop);
    assert.equal(q.popped + q.length, q.pushed);
  }
  const all = new Uint8Array(q.length);
  q.copyTo(0, q.length, all, 0);
  assert.ok(Buffer.from(all).equals(ref));
  q.clear();
  assert.equal(q.length, 0);
  q.pushCopy(new Uint8Array([1, 2, 3]));
  const three = new Uint8Array(3);
  q.copyTo(0, 3, three, 0);
  assert.deepEqual([...three], [1, 2, 3]);
});

test("byte queue: copyTo spans the chunks it was given", () => {
  const q = new ByteQueue();
  q.push(new Uint8Array([1, 2, 3]));
  q.push(new Uint8Array([4, 5]));
  q.push(new Uint8Array([6, 7, 8, 9]));
  q.drop(2);
  const out = new Uint8Array(6);
  q.copyTo(0, 6, out, 0);
  assert.deepEqual([...out], [3, 4, 5, 6, 7, 8]);
  const mid = new Uint8Array(2);
  q.copyTo(3, 2, mid, 0);
  assert.deepEqual([...mid], [6, 7]);
});
