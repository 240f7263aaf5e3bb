// A kernel's random source (getrandom, /dev/urandom, AT_RANDOM, boot_id):
// the host's CSPRNG, or with the virtual clock a seeded generator
// (time/virtual.ts) so runs are reproducible. Each kernel owns its own.

export type RandomSource = (dst: Uint8Array) => void;

// crypto.getRandomValues fills at most 65536 bytes per call.
const HOST_RANDOM_CHUNK = 65536;

export const hostRandom: RandomSource = (dst) => {
  for (let i = 0; i < dst.length; i += HOST_RANDOM_CHUNK) crypto.getRandomValues(dst.subarray(i, Math.min(dst.length, i + HOST_RANDOM_CHUNK)));
};
