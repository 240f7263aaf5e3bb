// What a virtual-clock run fixes so that the same program with the same input
// behaves the same every time: besides the clock itself (clock.ts), the random
// source (getrandom, /dev/urandom, AT_RANDOM, boot_id) becomes a seeded
// generator.

export const VIRTUAL_RANDOM_SEED = 0x67686f73; // "ghos"

// A deterministic byte generator (xoshiro128**), seeded through splitmix32.
export function seededRandom(seed: number): (dst: Uint8Array) => void {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = new Uint32Array([split(), split(), split(), split()]);
  const next = () => {
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return r;
  };
  return (dst) => {
    for (let i = 0; i < dst.length; i += 4) {
      const v = next();
      for (let j = 0; j < 4 && i + j < dst.length; j++) dst[i + j] = (v >>> (8 * j)) & 0xff;
    }
  };
}
