// The directory name hash of htree directories (Documentation/filesystems/
// ext4/directory.rst, "Hash Tree Directories"): legacy (dx_hack_hash),
// half-MD4 (mke2fs's default) and TEA, each with the bytes of the name taken
// as signed or unsigned chars (the superblock's s_flags says which; the
// "unsigned" versions are numbered 3 higher). The seed is the superblock's
// s_hash_seed. The result has its low bit clear: an index entry uses that
// bit to say that a run of equal hashes continues in the next leaf.

export const DX_HASH_LEGACY = 0, DX_HASH_HALF_MD4 = 1, DX_HASH_TEA = 2;
export const DX_HASH_LEGACY_UNSIGNED = 3, DX_HASH_HALF_MD4_UNSIGNED = 4, DX_HASH_TEA_UNSIGNED = 5;
// The largest hash a name may get: 0x7fffffff << 1 marks the end of a readdir (EXT4_HTREE_EOF_32BIT).
const HTREE_EOF_32BIT = 0x7fffffff;

const rol = (x: number, s: number) => ((x << s) | (x >>> (32 - s))) >>> 0;

// The name packed into `num` 32-bit words, padded with its length in every byte.
function str2hashbuf(name: Uint8Array, from: number, len: number, num: number, unsigned: boolean): Uint32Array {
  const out = new Uint32Array(num);
  let pad = (len | (len << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;
  let val = pad, w = 0;
  const n = Math.min(len, num * 4);
  for (let i = 0; i < n; i++) {
    const c = unsigned ? name[from + i] : (name[from + i] << 24) >> 24;
    val = (c + ((val << 8) >>> 0)) >>> 0;
    if (i % 4 === 3) { out[w++] = val; val = pad; }
  }
  if (w < num) out[w++] = val;
  while (w < num) out[w++] = pad;
  return out;
}

function halfMd4(buf: Uint32Array, x: Uint32Array): void {
  let a = buf[0], b = buf[1], c = buf[2], d = buf[3];
  const F = (p: number, q: number, r: number) => (r ^ (p & (q ^ r))) >>> 0;
  const G = (p: number, q: number, r: number) => ((p & q) + ((p ^ q) & r)) >>> 0;
  const H = (p: number, q: number, r: number) => (p ^ q ^ r) >>> 0;
  // MD4's round constants (sqrt 2 and sqrt 3 as 2^30 fixed point).
  const K2 = 0x5a827999, K3 = 0x6ed9eba1;
  type Fn = (p: number, q: number, r: number) => number;
  // Each step: one of the four words gains f(other three) + an input word, then rotates.
  const steps: [Fn, number, number, number][] = [
    [F, 0, 0, 3], [F, 1, 0, 7], [F, 2, 0, 11], [F, 3, 0, 19], [F, 4, 0, 3], [F, 5, 0, 7], [F, 6, 0, 11], [F, 7, 0, 19],
    [G, 1, K2, 3], [G, 3, K2, 5], [G, 5, K2, 9], [G, 7, K2, 13], [G, 0, K2, 3], [G, 2, K2, 5], [G, 4, K2, 9], [G, 6, K2, 13],
    [H, 3, K3, 3], [H, 7, K3, 9], [H, 2, K3, 11], [H, 6, K3, 15], [H, 1, K3, 3], [H, 5, K3, 9], [H, 0, K3, 11], [H, 4, K3, 15],
  ];
  steps.forEach(([f, i, k, s], n) => {
    const add = (x[i] + k) >>> 0;
    switch (n % 4) {
      case 0: a = rol((a + f(b, c, d) + add) >>> 0, s); break;
      case 1: d = rol((d + f(a, b, c) + add) >>> 0, s); break;
      case 2: c = rol((c + f(d, a, b) + add) >>> 0, s); break;
      default: b = rol((b + f(c, d, a) + add) >>> 0, s); break;
    }
  });
  buf[0] = (buf[0] + a) >>> 0; buf[1] = (buf[1] + b) >>> 0; buf[2] = (buf[2] + c) >>> 0; buf[3] = (buf[3] + d) >>> 0;
}

function tea(buf: Uint32Array, x: Uint32Array): void {
  let sum = 0, b0 = buf[0], b1 = buf[1];
  const [a, b, c, d] = x;
  for (let n = 0; n < 16; n++) {
    sum = (sum + 0x9e3779b9) >>> 0;
    b0 = (b0 + ((((b1 << 4) >>> 0) + a) ^ (b1 + sum) ^ ((b1 >>> 5) + b))) >>> 0;
    b1 = (b1 + ((((b0 << 4) >>> 0) + c) ^ (b0 + sum) ^ ((b0 >>> 5) + d))) >>> 0;
  }
  buf[0] = (buf[0] + b0) >>> 0;
  buf[1] = (buf[1] + b1) >>> 0;
}

function legacy(name: Uint8Array, unsigned: boolean): number {
  let h0 = 0x12a3fe2d, h1 = 0x37abe8f9;
  for (const byte of name) {
    const c = unsigned ? byte : (byte << 24) >> 24;
    let h = (h1 + ((h0 ^ Math.imul(c, 7152373)) >>> 0)) >>> 0;
    if (h & 0x80000000) h = (h - 0x7fffffff) >>> 0;
    h1 = h0;
    h0 = h;
  }
  return (h0 << 1) >>> 0;
}

// The 32-bit major hash of a name under hash `version` (0…5) and `seed`.
export function dirHash(name: Uint8Array, version: number, seed: Uint32Array): number {
  const unsigned = version >= DX_HASH_LEGACY_UNSIGNED;
  const v = unsigned ? version - 3 : version;
  let hash: number;
  if (v === DX_HASH_LEGACY) hash = legacy(name, unsigned);
  else {
    const buf = seed.some((w) => w !== 0) ? Uint32Array.from(seed) : Uint32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);
    const chunk = v === DX_HASH_HALF_MD4 ? 32 : 16;
    for (let at = 0, len = name.length; len > 0 || at === 0; at += chunk, len -= chunk) {
      const words = str2hashbuf(name, at, Math.max(len, 0), chunk / 4, unsigned);
      if (v === DX_HASH_HALF_MD4) halfMd4(buf, words); else tea(buf, words);
      if (len <= chunk) break;
    }
    hash = v === DX_HASH_HALF_MD4 ? buf[1] : buf[0];
  }
  hash = (hash & ~1) >>> 0;
  if (hash === ((HTREE_EOF_32BIT << 1) >>> 0)) hash = ((HTREE_EOF_32BIT - 1) << 1) >>> 0;
  return hash;
}
