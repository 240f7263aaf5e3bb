// The frame fuzzer's generator (scripts/fuzz-frames.mjs): seeded random
// Ethernet frames for eth0 that are well-formed enough to reach the parsers
// behind it — ARP; IPv4 with options, bad lengths, overlapping, oversize and
// out-of-order fragments; IPv6 with extension-header chains and fragments;
// TCP with option lists, to the guest's listeners and into the window of
// its connections; UDP; ICMP and ICMPv6 errors quoting the guest's own
// packets, neighbour discovery and router advertisements — each with a
// valid checksum most of the time, so the garbage gets past the check.
// `Peer` plays the far end of the wire: it answers the guest's ARP and
// neighbour solicitations and its SYNs, and tracks each connection's
// sequence numbers so segments land in the window.

export const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
export const PEER_MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
export const GUEST4 = [10, 0, 2, 15];
export const PEER4 = [10, 0, 2, 2];
export const GUEST6 = ip6("fec0::15");
export const PEER6 = ip6("fec0::2");
const LINK6 = ip6("fe80::2");
const ALLNODES6 = ip6("ff02::1");
const SOLICITED6 = ip6("ff02::1:ff00:15");
const ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_IPV6 = 0x86dd;
const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58;
const LISTEN_PORTS = [5000, 5001];

function ip6(s) {
  const [l, r] = s.split("::");
  const parts = (x) => (x ? x.split(":").map((h) => parseInt(h, 16)) : []);
  const a = parts(l), b = parts(r ?? "");
  const words = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

// xorshift128+ in 32-bit halves would do; a 32-bit xorshift with a
// splitmix-style seed mix is enough for picking structure.
export class Rng {
  constructor(seed) {
    let s = (seed ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.s = (s ^ (s >>> 16)) >>> 0 || 1;
  }
  u32() { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s; }
  below(n) { return n > 0 ? this.u32() % n : 0; }
  one(k) { return this.below(k) === 0; }
  pick(a) { return a[this.below(a.length)]; }
  bytes(n) { const b = new Array(n); for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff; return b; }
  edge16() { return this.pick([0, 1, 2, 7, 8, 19, 20, 21, 39, 40, 41, 60, 68, 576, 1279, 1280, 1480, 1500, 1501, 9000, 32767, 32768, 65535]); }
  edge32() { return this.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 65535, 65536]); }
}

export function csum(b, sum = 0) {
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
const put16 = (b, at, v) => { b[at] = (v >> 8) & 0xff; b[at + 1] = v & 0xff; };
const put32 = (b, at, v) => { b[at] = (v >>> 24) & 0xff; b[at + 1] = (v >>> 16) & 0xff; b[at + 2] = (v >>> 8) & 0xff; b[at + 3] = v & 0xff; };
const get16 = (b, at) => (b[at] << 8) | b[at + 1];
const get32 = (b, at) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

function pseudo(src, dst, proto, len) {
  const p = src.length === 4 ? [...src, ...dst, 0, proto, len >> 8, len & 0xff]
    : [...src, ...dst, 0, 0, len >> 8, len & 0xff, 0, 0, 0, proto];
  let s = 0;
  for (let i = 0; i < p.length; i += 2) s += (p[i] << 8) | p[i + 1];
  return s;
}
function l4sum(r, seg, at, src, dst, proto) {
  if (r.one(24)) { put16(seg, at, r.u32() & 0xffff); return; } // a wrong checksum, sometimes
  put16(seg, at, 0);
  put16(seg, at, csum(seg, pseudo(src, dst, proto, seg.length)));
}

// ---- options ----

function tcpOptions(r, conn) {
  const o = [];
  for (let n = r.below(6); n > 0; n--) {
    switch (r.below(10)) {
      case 0: o.push(2, 4, ...[r.edge16()].flatMap((v) => [v >> 8, v & 0xff])); break; // MSS
      case 1: o.push(3, 3, r.pick([0, 1, 7, 14, 15, 255])); break; // window scale
      case 2: o.push(4, 2); break; // SACK permitted
      case 3: { // SACK blocks around what the guest sent
        const k = r.below(5), base = conn ? conn.gseq : r.u32();
        o.push(5, r.one(8) ? r.below(40) : 2 + 8 * k);
        for (let i = 0; i < k; i++) {
          const a = (base + (r.one(2) ? r.below(4000) - 2000 : r.u32())) >>> 0, b = (a + (r.one(4) ? -r.below(100) : r.below(3000))) >>> 0;
          o.push(...[a, b].flatMap((v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]));
        }
        break;
      }
      case 4: o.push(8, 10, ...r.bytes(8)); break; // timestamps
      case 5: o.push(1); break;
      case 6: o.push(0); break;
      case 7: o.push(r.below(256), r.pick([0, 1, 2, 3, 40, 255])); break; // a length shorter than 2 or past the end
      case 8: o.push(34, 2 + 8, ...r.bytes(8)); break; // fast open cookie
      default: o.push(19, 18, ...r.bytes(16)); break; // MD5
    }
  }
  return o.slice(0, 40);
}

function ipOptions(r) {
  const o = [];
  for (let n = r.below(4); n > 0; n--) {
    switch (r.below(8)) {
      case 0: o.push(1); break;
      case 1: o.push(0); break;
      case 2: { const len = r.pick([3, 7, 11, 39, 2, 1, 0]); o.push(7, len, r.pick([4, 5, 8, 40, 255]), ...r.bytes(Math.max(0, len - 3))); break; } // record route
      case 3: { const len = r.pick([4, 8, 12, 36, 40, 5]); o.push(68, len, r.pick([5, 9, 13, 40]), r.below(256), ...r.bytes(Math.max(0, len - 4))); break; } // timestamp
      case 4: { const len = r.pick([3, 7, 11, 2]); o.push(r.pick([131, 137]), len, 4, ...r.bytes(Math.max(0, len - 3))); break; } // source routes
      case 5: o.push(148, 4, 0, 0); break; // router alert
      case 6: o.push(130, 11, ...r.bytes(9)); break;
      default: o.push(r.below(256), r.pick([0, 1, 2, 40, 255]), ...r.bytes(r.below(6))); break;
    }
  }
  const out = o.slice(0, 40);
  while (out.length % 4) out.push(0);
  return out;
}

function v6Options(r, len) {
  // TLVs filling len bytes: pads, router alert, jumbo, and unknown types of each action (the top two bits).
  const o = [];
  while (o.length < len) {
    const room = len - o.length;
    switch (r.below(6)) {
      case 0: o.push(0); break;
      case 1: { const n = Math.min(room - 2, r.below(6)); if (n < 0) { o.push(0); break; } o.push(1, n, ...new Array(n).fill(0)); break; }
      case 2: if (room >= 4) o.push(5, 2, 0, 0); else o.push(0); break;
      case 3: if (room >= 6) o.push(0xc2, 4, ...r.bytes(4)); else o.push(0); break;
      default: { const t = r.pick([0x3e, 0x7e, 0xbe, 0xfe, r.below(256)]), n = r.one(4) ? r.below(256) : Math.min(Math.max(room - 2, 0), r.below(8)); o.push(t, n, ...r.bytes(Math.min(n, Math.max(room - 2, 0)))); }
    }
  }
  return o.slice(0, len);
}

// ---- headers ----

function ipv4(r, proto, payload, src = PEER4, dst = GUEST4, fo = r.one(4) ? 0x4000 : 0, id = r.below(65536)) {
  const opts = r.one(4) ? ipOptions(r) : [];
  const hl = 20 + opts.length;
  const h = [0x45 + opts.length / 4, r.one(8) ? r.below(256) : 0, 0, 0, id >> 8, id & 0xff, fo >> 8, fo & 0xff,
    r.one(16) ? r.pick([0, 1]) : 64, proto, 0, 0, ...src, ...dst, ...opts];
  let total = hl + payload.length;
  if (r.one(12)) total = r.pick([0, 1, 19, 20, hl - 1, total - 1, total + 1, total + 100, 65535, r.below(65536)]);
  put16(h, 2, total & 0xffff);
  if (r.one(24)) h[0] = (r.pick([4, 6, 5, 0, 15]) << 4) | r.below(16); // a bad version or header length
  put16(h, 10, r.one(24) ? r.u32() & 0xffff : csum(h));
  return [...h, ...payload];
}

function ipv6(r, nh, payload, src = PEER6, dst = GUEST6, hop = 64) {
  const h = [0x60 | r.below(16), r.below(256), r.below(256), r.below(256), 0, 0, nh, hop, ...src, ...dst];
  let plen = payload.length;
  if (r.one(12)) plen = r.pick([0, 1, 7, 8, plen - 1, plen + 1, plen + 100, 65535]);
  put16(h, 4, plen & 0xffff);
  if (r.one(32)) h[0] = (r.below(16) << 4);
  return [...h, ...payload];
}

// An extension-header chain before a transport header of protocol `last`.
function v6Chain(r, last, payload) {
  let body = payload, nh = last;
  for (let n = r.below(4); n > 0; n--) {
    const kind = r.pick([0, 43, 60, 60, 51, 44, 59, r.below(256)]);
    let h;
    if (kind === 44) { // a fragment header of an atomic fragment, or not
      const off = r.one(2) ? 0 : r.below(8192);
      h = [nh, 0, (off >> 5) & 0xff, ((off << 3) & 0xf8) | (r.one(4) ? 1 : 0), ...r.bytes(4)];
    } else if (kind === 43) { // routing: type 0 (deprecated), 2, 3, 4, segments left
      const len = r.pick([0, 2, 4, 255]);
      h = [nh, len, r.pick([0, 2, 3, 4, r.below(256)]), r.below(4), 0, 0, 0, 0, ...new Array(8 * len).fill(0).map(() => r.below(256))];
    } else if (kind === 51) { // AH: its length in 4-byte units
      const len = r.pick([0, 1, 4, 255]);
      h = [nh, len, 0, 0, ...r.bytes(4 + 4 * len)].slice(0, 8 + 4 * len);
    } else {
      const len = r.one(8) ? r.below(256) : r.below(3);
      h = [nh, len, ...v6Options(r, 6 + 8 * len)];
      if (r.one(8)) h = h.slice(0, r.below(h.length + 1)); // cut short
    }
    nh = kind;
    body = [...h, ...body];
  }
  return { nh, body };
}

function tcpSeg(r, src, dst, sport, dport, seq, ack, flags, data, conn) {
  const opts = r.one(3) ? tcpOptions(r, conn) : [];
  while (opts.length % 4) opts.push(0);
  const hl = 20 + opts.length;
  const s = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
    (r.one(16) ? r.below(16) : hl / 4) << 4, flags & 0xff, 0, 0, 0, 0, 0, 0, ...opts, ...data];
  put32(s, 4, seq >>> 0); put32(s, 8, ack >>> 0);
  put16(s, 14, r.one(8) ? r.pick([0, 1, 65535]) : 29200);
  if (flags & 0x20 || r.one(16)) put16(s, 18, r.edge16()); // urgent pointer
  if (r.one(16)) s[12] |= r.below(16); // reserved bits (and AccECN's)
  l4sum(r, s, 16, src, dst, TCP);
  return s;
}

function udpDgram(r, src, dst, sport, dport, data) {
  const s = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 0, ...data];
  put16(s, 4, r.one(8) ? r.pick([0, 7, 8, s.length - 1, s.length + 1, 65535]) : s.length);
  if (r.one(8) && src.length === 4) return s; // checksum 0: none (IPv4 only)
  l4sum(r, s, 6, src, dst, UDP);
  return s;
}

// What the guest would have sent: the quote inside an ICMP error.
function quoted(r, v6, conns) {
  const c = conns.length && r.below(4) ? r.pick(conns.filter((x) => x.v6 === v6).concat(conns).slice(0, 8)) : null;
  const sport = c ? c.gport : r.below(65536), dport = c ? c.pport : r.pick([80, 53, r.below(65536)]);
  const proto = c ? TCP : r.pick([TCP, UDP, ICMP, ICMPV6, r.below(256)]);
  const l4 = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...(c ? [c.gseq >>> 24, (c.gseq >>> 16) & 0xff, (c.gseq >>> 8) & 0xff, c.gseq & 0xff] : r.bytes(4)), ...r.bytes(r.below(24))];
  const pkt = v6 ? ipv6(r, proto, l4, GUEST6, c ? PEER6 : r.pick([PEER6, ip6("fec0::99"), ALLNODES6]))
    : ipv4(r, proto, l4, GUEST4, c ? PEER4 : r.pick([PEER4, [10, 0, 2, 99], [8, 8, 8, 8]]));
  return r.one(6) ? pkt.slice(0, r.below(pkt.length + 1)) : pkt;
}

function icmp4(r, conns) {
  const type = r.pick([0, 3, 3, 3, 4, 5, 8, 8, 11, 12, 13, 14, 17, r.below(256)]);
  const code = type === 3 ? r.pick([0, 1, 2, 3, 4, 4, 4, 13, r.below(256)]) : r.below(4);
  let rest = r.bytes(4);
  if (type === 3 && code === 4) rest = [0, 0, ...[r.edge16()].flatMap((v) => [v >> 8, v & 0xff])]; // next-hop MTU
  if (type === 12) rest = [r.below(64), 0, 0, 0];
  const body = [0, 3, 4, 5, 11, 12].includes(type) && type !== 0 ? quoted(r, false, conns) : r.bytes(r.below(64));
  const m = [type, code, 0, 0, ...rest, ...body];
  if (r.one(24)) put16(m, 2, r.u32() & 0xffff); else put16(m, 2, csum(m));
  return m;
}

function ndOptions(r) {
  const o = [];
  for (let n = r.below(4); n > 0; n--) {
    switch (r.below(6)) {
      case 0: o.push(1, 1, ...PEER_MAC); break; // source link-layer address
      case 1: o.push(2, 1, ...r.bytes(6)); break; // target link-layer address
      case 2: o.push(3, 4, r.pick([0, 64, 128, 255]), r.below(256), ...r.bytes(4), ...r.bytes(4), 0, 0, 0, 0, ...PEER6.slice(0, 8), 0, 0, 0, 0, 0, 0, 0, 0); break; // prefix
      case 3: o.push(5, 1, 0, 0, ...[r.edge32()].flatMap((v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff])); break; // MTU
      case 4: o.push(r.below(256), 0); break; // length 0: the message must be dropped
      default: { const len = r.below(4); o.push(r.below(256), len, ...r.bytes(Math.max(0, 8 * len - 2))); }
    }
  }
  return o;
}

function icmp6(r, src, dst, conns) {
  const type = r.pick([1, 2, 2, 3, 4, 128, 129, 130, 133, 134, 134, 135, 135, 136, 136, 137, 143, r.below(256)]);
  let body;
  switch (type) {
    case 1: case 3: body = [0, 0, 0, 0, ...quoted(r, true, conns)]; break;
    case 2: body = [...[r.pick([0, 1, 68, 1279, 1280, 1500, 65535, r.u32()])].flatMap((v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]), ...quoted(r, true, conns)]; break;
    case 4: body = [0, 0, 0, r.below(64), ...quoted(r, true, conns)]; break;
    case 134: body = [r.below(256), r.below(256), r.below(256), r.below(256), ...r.bytes(8), ...ndOptions(r)]; break;
    case 135: case 136: body = [r.below(256), 0, 0, 0, ...r.pick([GUEST6, PEER6, LINK6, r.bytes(16)]), ...ndOptions(r)]; break;
    case 137: body = [0, 0, 0, 0, ...PEER6, ...r.pick([GUEST6, r.bytes(16)]), ...ndOptions(r)]; break;
    default: body = r.bytes(r.below(48));
  }
  const m = [type, r.one(4) ? r.below(256) : 0, 0, 0, ...body];
  l4sum(r, m, 2, src, dst, ICMPV6);
  return m;
}

function eth(r, type, payload) {
  const dst = r.below(16) ? GUEST_MAC : r.pick([[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x33, 0x33, 0, 0, 0, 1], [0x33, 0x33, 0xff, 0, 0, 0x15], [0x01, 0x00, 0x5e, 0, 0, 1], r.bytes(6)]);
  return Uint8Array.from([...dst, ...PEER_MAC, type >> 8, type & 0xff, ...payload]);
}

// ---- the far end of the wire ----

export class Peer {
  constructor() { this.conns = []; this.iss = 1000; }

  conn(v6, gport, pport) { return this.conns.find((c) => c.v6 === v6 && c.gport === gport && c.pport === pport); }

  // A frame the guest sent: the answers it needs (ARP, NA, SYN-ACK, ACK), as frames.
  answer(f) {
    const out = [];
    if (f.length < 14) return out;
    const type = get16(f, 12), p = f.subarray(14);
    if (type === ETH_P_ARP && p.length >= 28 && get16(p, 6) === 1) {
      const a = [0, 1, 8, 0, 6, 4, 0, 2, ...PEER_MAC, ...p.subarray(24, 28), ...p.subarray(8, 14), ...p.subarray(14, 18)];
      out.push(Uint8Array.from([...p.subarray(8, 14), ...PEER_MAC, 8, 6, ...a]));
      return out;
    }
    let v6, l4, src, dst, proto;
    if (type === ETH_P_IP && p.length >= 20) {
      v6 = false; proto = p[9]; l4 = p.subarray((p[0] & 15) * 4, get16(p, 2)); src = [...p.subarray(12, 16)]; dst = [...p.subarray(16, 20)];
    } else if (type === ETH_P_IPV6 && p.length >= 40) {
      v6 = true; proto = p[6]; l4 = p.subarray(40, 40 + get16(p, 4)); src = [...p.subarray(8, 24)]; dst = [...p.subarray(24, 40)];
      if (proto === ICMPV6 && l4[0] === 135) { // a neighbour solicitation: advertise the target as ours
        const target = [...l4.subarray(8, 24)];
        const na = [136, 0, 0, 0, 0x60, 0, 0, 0, ...target, 2, 1, ...PEER_MAC];
        put16(na, 2, csum(na, pseudo(target, src, ICMPV6, na.length)));
        out.push(Uint8Array.from([...f.subarray(6, 12), ...PEER_MAC, 0x86, 0xdd, ...fixedV6(ICMPV6, na, target, src)]));
        return out;
      }
    } else return out;
    if (proto !== TCP || l4.length < 20) return out;
    const gport = get16(l4, 0), pport = get16(l4, 2), seq = get32(l4, 4), flags = l4[13];
    const dlen = l4.length - (l4[12] >> 4) * 4;
    let c = this.conn(v6, gport, pport);
    if (flags & 0x02) { // SYN or SYN-ACK from the guest
      if (!c) {
        c = { v6, gport, pport, gseq: 0, pseq: this.iss += 100003 };
        this.conns.push(c);
        if (this.conns.length > 64) this.conns.shift();
      }
      c.gseq = (seq + 1) >>> 0;
      const reply = (flags & 0x10) ? 0x10 : 0x12; // their SYN-ACK gets our ACK; their SYN our SYN-ACK
      if (reply === 0x10) c.pseq = get32(l4, 8);
      const seg = [pport >> 8, pport & 0xff, gport >> 8, gport & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, reply, 0x72, 0x10, 0, 0, 0, 0, 2, 4, 5, 0xb4];
      put32(seg, 4, reply === 0x12 ? c.pseq : c.pseq); put32(seg, 8, c.gseq);
      if (reply === 0x12) c.pseq = (c.pseq + 1) >>> 0;
      put16(seg, 16, csum(seg, pseudo(dst, src, TCP, seg.length)));
      out.push(Uint8Array.from([...f.subarray(6, 12), ...PEER_MAC, type >> 8, type & 0xff, ...(v6 ? fixedV6(TCP, seg, dst, src) : fixedV4(TCP, seg, dst, src))]));
    } else if (c) {
      c.gseq = (seq + dlen + ((flags & 1) ? 1 : 0)) >>> 0;
    }
    if ((flags & 0x04) && c) this.conns.splice(this.conns.indexOf(c), 1);
    return out;
  }
}

function fixedV4(proto, l4, src, dst) {
  const h = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0, ...src, ...dst];
  put16(h, 2, 20 + l4.length);
  put16(h, 10, csum(h));
  return [...h, ...l4];
}
function fixedV6(proto, l4, src, dst) {
  const h = [0x60, 0, 0, 0, 0, 0, proto, 255, ...src, ...dst];
  put16(h, 4, l4.length);
  return [...h, ...l4];
}

// ---- frames ----

function fragments4(r) {
  const inner = r.one(2) ? udpDgram(r, PEER4, GUEST4, 4000, 5002, r.bytes(r.pick([8, 100, 1500, 3000, 65000]))) : icmp4(r, []);
  const proto = inner.length > 0 && r.one(2) ? UDP : ICMP;
  const id = r.below(65536), out = [];
  for (let n = 1 + r.below(6); n > 0; n--) {
    const off = r.one(3) ? 8 * r.below(Math.ceil(inner.length / 8) + 1) : r.below(8192) * 8;
    const len = r.pick([0, 8, 16, 1480, r.below(1480)]);
    const piece = inner.slice(off, off + len);
    const mf = r.below(3) ? 0x2000 : 0;
    out.push(eth(r, ETH_P_IP, ipv4(r, proto, piece.length ? piece : r.bytes(len), PEER4, GUEST4, mf | ((off / 8) & 0x1fff), id)));
  }
  return out;
}

function fragments6(r) {
  const inner = udpDgram(r, PEER6, GUEST6, 4000, 5003, r.bytes(r.pick([8, 100, 1500, 3000, 65000])));
  const id = r.u32(), out = [];
  for (let n = 1 + r.below(6); n > 0; n--) {
    const off = r.one(3) ? 8 * r.below(Math.ceil(inner.length / 8) + 1) : r.below(8192) * 8;
    const len = r.pick([0, 8, 16, 1232, r.below(1400)]);
    const m = r.below(3) ? 1 : 0;
    const fh = [UDP, 0, ((off / 8) >> 5) & 0xff, (((off / 8) << 3) & 0xf8) | m, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
    out.push(eth(r, ETH_P_IPV6, ipv6(r, 44, [...fh, ...inner.slice(off, off + len)])));
  }
  return out;
}

// One generated unit: a frame, or a train of fragments.
export function generate(r, peer) {
  const conns = peer.conns;
  switch (r.below(14)) {
    case 0: return [eth(r, r.pick([ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, r.below(65536)]), r.bytes(r.pick([0, 1, 19, 20, 39, 40, r.below(1600)])))];
    case 1: { // ARP, well-formed or not
      const a = [0, 1, 8, 0, 6, 4, 0, r.pick([1, 2, r.below(256)]), ...r.pick([PEER_MAC, r.bytes(6)]), ...r.pick([PEER4, r.bytes(4)]), ...r.bytes(6), ...r.pick([GUEST4, r.bytes(4)])];
      if (r.one(4)) a[r.below(a.length)] = r.below(256);
      return [eth(r, ETH_P_ARP, r.one(8) ? a.slice(0, r.below(28)) : a)];
    }
    case 2: case 3: case 4: { // TCP into a connection's window, or to a listener
      const c = conns.length && r.below(3) ? r.pick(conns) : null;
      const v6 = c ? c.v6 : r.one(2);
      const src = v6 ? PEER6 : PEER4, dst = v6 ? GUEST6 : GUEST4;
      const dport = c ? c.gport : r.pick([...LISTEN_PORTS, r.below(65536)]);
      const sport = c ? c.pport : 1024 + r.below(60000);
      const seq = c ? (c.pseq + (r.below(3) ? 0 : r.below(200000) - 100000)) >>> 0 : r.u32();
      const ack = c ? (c.gseq + (r.below(3) ? 0 : r.below(200000) - 100000)) >>> 0 : r.u32();
      const flags = r.below(3) ? r.pick([0x10, 0x18, 0x11, 0x04, 0x14, 0x02, 0x12, 0x30, 0x19]) : r.below(256);
      const data = r.below(3) ? r.bytes(r.pick([0, 1, 10, 536, 1400])) : [];
      const seg = tcpSeg(r, src, dst, sport, dport, seq, ack, flags, data, c);
      if (c && !(flags & 0x04)) c.pseq = (c.pseq + data.length + ((flags & 1) ? 1 : 0)) >>> 0;
      if (v6) { const { nh, body } = r.one(4) ? v6Chain(r, TCP, seg) : { nh: TCP, body: seg }; return [eth(r, ETH_P_IPV6, ipv6(r, nh, body))]; }
      return [eth(r, ETH_P_IP, ipv4(r, TCP, seg))];
    }
    case 5: { // UDP to the guest's sockets or a closed port (an ICMP error back)
      const v6 = r.one(2), src = v6 ? PEER6 : PEER4, dst = v6 ? GUEST6 : GUEST4;
      const d = udpDgram(r, src, dst, r.below(65536), r.pick([5002, 5003, 53, r.below(65536)]), r.bytes(r.pick([0, 1, 100, 1472])));
      if (v6) { const { nh, body } = r.one(3) ? v6Chain(r, UDP, d) : { nh: UDP, body: d }; return [eth(r, ETH_P_IPV6, ipv6(r, nh, body))]; }
      return [eth(r, ETH_P_IP, ipv4(r, UDP, d))];
    }
    case 6: case 7: return [eth(r, ETH_P_IP, ipv4(r, ICMP, icmp4(r, conns), PEER4, r.one(8) ? r.pick([[255, 255, 255, 255], [10, 0, 2, 255], [224, 0, 0, 1]]) : GUEST4))];
    case 8: case 9: { // ICMPv6: errors, ND, RA, redirects (hop limit 255 mostly, as ND needs)
      const dst = r.one(4) ? r.pick([ALLNODES6, SOLICITED6]) : GUEST6, src = r.one(4) ? LINK6 : PEER6;
      const m = icmp6(r, src, dst, conns);
      const { nh, body } = r.one(4) ? v6Chain(r, ICMPV6, m) : { nh: ICMPV6, body: m };
      return [eth(r, ETH_P_IPV6, ipv6(r, nh, body, src, dst, r.below(4) ? 255 : 64))];
    }
    case 10: return fragments4(r);
    case 11: return fragments6(r);
    case 12: { // an IPv6 chain to any next header, or an unknown protocol on IPv4
      if (r.one(2)) return [eth(r, ETH_P_IP, ipv4(r, r.below(256), r.bytes(r.below(100))))];
      const { nh, body } = v6Chain(r, r.below(256), r.bytes(r.below(64)));
      return [eth(r, ETH_P_IPV6, ipv6(r, nh, body))];
    }
    default: { // a well-formed frame with one byte changed after its checksums
      const f = generate(r, peer)[0];
      if (f.length > 14) f[14 + r.below(f.length - 14)] ^= 1 << r.below(8);
      return [f];
    }
  }
}
