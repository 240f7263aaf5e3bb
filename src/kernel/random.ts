// A kernel's random source (getrandom, /dev/urandom, AT_RANDOM, boot_id):
// the host's CSPRNG, or with the virtual clock a seeded generator
// (time/virtual.ts) so runs are reproducible. Each kernel owns its own.

export type RandomSource = (dst: Uint8Array) => void;

// crypto.getRandomValues fills at most 65536 bytes per call.
const HOST_RANDOM_CHUNK = 65536;

export const hostRandom: RandomSource = (dst) => {
  for (let i = 0; i < dst.length; i += HOST_RANDOM_CHUNK) crypto.getRandomValues(dst.subarray(i, Math.min(dst.length, i + HOST_RANDOM_CHUNK)));
};

// A random (version 4) UUID, as /proc/sys/kernel/random/uuid gives.
export function uuid(random: RandomSource): string {
  const b = new Uint8Array(16);
  random(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
