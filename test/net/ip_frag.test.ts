// IPv4 fragmentation and reassembly (src/net/inet/ip_frag.ts), the parts a
// guest cannot time: fragments split at 8-byte units and come back whole in
// any order; a queue left incomplete is dropped after ipfrag_time and gives
// its memory back; past ipfrag_high_thresh or the guest's memory, new
// fragments are refused. (What a guest sees is in userland/net/udpfrag.c.)
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/ip_frag.test.js
import { test } from "node:test";
import assert from "node:assert/strict";
import { V4Reassembler, fragmentV4, fragmentV6, isV6Fragment, IPFRAG_TIME_NS } from "../../src/net/inet/ip_frag.js";
import { csumAdd, csumFold } from "../../src/net/inet/stack.js";
import { IP_MF, IP_OFFMASK } from "../../src/abi/inet.js";

// A UDP-carrying IPv4 packet of `n` payload bytes, header checksum set.
function packet(n: number, id = 7): Uint8Array {
  const p = new Uint8Array(20 + n);
  p[0] = 0x45; p[2] = p.length >> 8; p[3] = p.length & 0xff; p[4] = id >> 8; p[5] = id & 0xff;
  p[8] = 64; p[9] = 17; p.set([127, 0, 0, 1], 12); p.set([127, 0, 0, 1], 16);
  for (let i = 0; i < n; i++) p[20 + i] = (i * 13 + 5) & 0xff;
  const sum = csumFold(csumAdd(0, p, 0, 20));
  p[10] = sum >> 8; p[11] = sum & 0xff;
  return p;
}

function clock() {
  let t = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => t,
    timer: (ns: number, fn: () => void) => { const e = { at: t + ns, fn, live: true }; timers.push(e); return { cancel: () => { e.live = false; } }; },
    advance(ns: number) { t += ns; for (const e of timers) if (e.live && e.at <= t) { e.live = false; e.fn(); } },
  };
}

test("fragments: 8-byte units under the MTU, MF on all but the last, each header valid", () => {
  const frags = fragmentV4(packet(20_000), 1500);
  assert.equal(frags.length, 14);
  for (const [i, f] of frags.entries()) {
    assert.ok(f.length <= 1500);
    assert.equal(csumFold(csumAdd(0, f, 0, 20)), 0);
    const fo = (f[6] << 8) | f[7];
    assert.equal((fo & IP_MF) !== 0, i < frags.length - 1);
    if (i < frags.length - 1) assert.equal((f.length - 20) % 8, 0);
    assert.equal((fo & IP_OFFMASK) * 8, i * 1480);
  }
});

test("reassembly: any order gives back the packet, its header checksum valid", () => {
  const c = clock();
  const r = new V4Reassembler(c);
  const whole = packet(20_000);
  const frags = fragmentV4(whole, 1500).reverse();
  let out: Uint8Array | null = null;
  for (const f of frags) out = r.add(f) ?? out;
  assert.ok(out);
  assert.deepEqual(out!.subarray(20), whole.subarray(20));
  assert.equal(csumFold(csumAdd(0, out!, 0, 20)), 0);
  assert.equal(r.bytes, 0);
  assert.equal(r.pending, 0);
});

test("an incomplete datagram is dropped after ipfrag_time and its memory given back", () => {
  const c = clock();
  let charged = 0;
  const r = new V4Reassembler({ ...c, charge: (d) => { charged += d; return true; } });
  const frags = fragmentV4(packet(5000), 1500);
  for (const f of frags.slice(0, -1)) assert.equal(r.add(f), null);
  assert.ok(r.bytes > 4000);
  assert.equal(charged, r.bytes);
  c.advance(IPFRAG_TIME_NS - 1);
  assert.equal(r.pending, 1);
  c.advance(1);
  assert.equal(r.pending, 0);
  assert.equal(r.bytes, 0);
  assert.equal(charged, 0);
  // Its last fragment, come too late, completes nothing.
  assert.equal(r.add(frags[frags.length - 1]), null);
});

test("past the high threshold or the guest's memory new fragments are refused", () => {
  const c = clock();
  const r = new V4Reassembler(c, 10_000);
  for (let id = 1; id <= 20; id++) r.add(fragmentV4(packet(3000, id), 1500)[0]);
  assert.ok(r.bytes <= 10_000);
  assert.ok(r.dropped > 0);
  let room = 1000;
  const tight = new V4Reassembler({ ...c, charge: (d) => { if (d > room) return false; room -= d; return true; } });
  const f = fragmentV4(packet(5000, 99), 1500);
  assert.equal(tight.add(f[0]), null);
  assert.equal(tight.pending, 0); // the fragment that did not fit ended its datagram
  assert.equal(tight.bytes, 0);
});

// A UDP-carrying IPv6 packet of `n` payload bytes (::1 to ::1).
function packet6(n: number): Uint8Array {
  const p = new Uint8Array(40 + n);
  p[0] = 0x60; p[4] = n >> 8; p[5] = n & 0xff; p[6] = 17; p[7] = 64; p[23] = 1; p[39] = 1;
  for (let i = 0; i < n; i++) p[40 + i] = (i * 11 + 3) & 0xff;
  return p;
}

test("IPv6: fragment headers under the MTU, 8-byte units, M on all but the last; any order gives back the packet", () => {
  const whole = packet6(20_000);
  const frags = fragmentV6(whole, 1500, 0x12345678);
  assert.equal(frags.length, 14); // 1448 bytes of data each
  for (const [i, f] of frags.entries()) {
    assert.ok(f.length <= 1500);
    assert.ok(isV6Fragment(f));
    assert.equal(f[40], 17); // the fragment header's next header
    const fo = (f[42] << 8) | f[43];
    assert.equal((fo & 1) !== 0, i < frags.length - 1);
    assert.equal(fo & 0xfff8, i * 1448);
    assert.deepEqual([...f.subarray(44, 48)], [0x12, 0x34, 0x56, 0x78]);
  }
  const r = new V4Reassembler(clock());
  let out: Uint8Array | null = null;
  for (const f of [...frags.slice(7), ...frags.slice(0, 7)]) out = r.add6(f) ?? out;
  assert.deepEqual(out, whole);
  assert.equal(r.pending, 0);
  // Another identification is another datagram: one fragment alone stays pending.
  assert.equal(r.add6(fragmentV6(whole, 1500, 9)[3]), null);
  assert.equal(r.pending, 1);
  // An atomic fragment (offset 0, no M) is whole at once (RFC 6946).
  const atomic = fragmentV6(packet6(100), 1500, 5);
  assert.equal(atomic.length, 1);
  assert.deepEqual(r.add6(atomic[0]), packet6(100));
});

// ip_expire's rule: a queue given up tells of its first fragment (for the
// ICMP time exceeded the stack sends another host), and only when that came.
test("expiry reports the first fragment of a datagram given up, none without it", () => {
  const c = clock();
  const expired: Uint8Array[] = [];
  const r = new V4Reassembler({ ...c, expired: (f) => expired.push(f) });
  r.timeNs = 1e9;
  const frags = fragmentV4(packet(3000, 0x4242), 1500);
  r.add(frags[0]);
  r.add(fragmentV4(packet(3000, 0x4343), 1500)[1]);
  c.advance(999_000_000);
  assert.equal(expired.length, 0);
  c.advance(1_000_000);
  assert.equal(r.pending, 0);
  assert.equal(expired.length, 1);
  assert.deepEqual(expired[0], frags[0]);
});
