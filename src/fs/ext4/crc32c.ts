// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as ext4 and jbd2 use
// it: ext4_chksum(seed, data) is the raw table update with no inversion on
// the way in or out; the callers pass ~0 or a seed derived from the UUID.

const POLY = 0x82f63b78;
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c >>> 0;
}

export function crc32c(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  let c = seed >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

const word = new Uint8Array(4);
const wordView = new DataView(word.buffer);
// The CRC of a little-endian 32-bit number (an inode number, a group number).
export function crc32cU32(seed: number, v: number): number {
  wordView.setUint32(0, v >>> 0, true);
  return crc32c(seed, word);
}

// The CRC of `zeros` zero bytes (a checksum field taken as zero).
export function crc32cZeros(seed: number, zeros: number): number {
  let c = seed >>> 0;
  for (let i = 0; i < zeros; i++) c = TABLE[c & 0xff] ^ (c >>> 8);
  return c >>> 0;
}
