// A kernel's random source (getrandom, /dev/urandom, AT_RANDOM, boot_id):
// the host's CSPRNG, or with the virtual clock a seeded generator
// (time/virtual.ts) so runs are reproducible. Each kernel owns its own.

export type RandomSource = (dst: Uint8Array) => void;

// crypto.getRandomValues fills at most 65536 bytes per call.
const HOST_RANDOM_CHUNK = 65536;

// Small requests (every execve's 16 AT_RANDOM bytes, glibc's getrandom for
// malloc) are served from a pool filled by the host's CSPRNG: a call of
// getRandomValues costs microseconds whatever its size. Each pooled byte is
// handed out once and wiped as it goes, as Linux's per-CPU batches of
// get_random_bytes are used once.
const POOL_BYTES = 4096;
const POOLED_MAX = 256;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES; // bytes before it were handed out

// Under Node, the host kernel's CSPRNG read from its /dev/urandom (node:fs is
// loaded anyway): the first use of globalThis.crypto loads Node's whole
// WebCrypto, ~5 ms of CPU of every `ghost run`. Elsewhere (a browser), or if
// that read fails, crypto.getRandomValues.
const hostFs = globalThis.process?.getBuiltinModule?.("node:fs");

function urandomFill(dst: Uint8Array): boolean {
  if (!hostFs) return false;
  try {
    const fd = hostFs.openSync("/dev/urandom", "r");
    try {
      for (let at = 0; at < dst.length;) {
        const n = hostFs.readSync(fd, dst, at, dst.length - at, null);
        if (n <= 0) return false;
        at += n;
      }
      return true;
    } finally { hostFs.closeSync(fd); }
  } catch {
    return false;
  }
}

function hostFill(dst: Uint8Array): void {
  if (urandomFill(dst)) return;
  for (let i = 0; i < dst.length; i += HOST_RANDOM_CHUNK) crypto.getRandomValues(dst.subarray(i, Math.min(dst.length, i + HOST_RANDOM_CHUNK)));
}

export const hostRandom: RandomSource = (dst) => {
  if (dst.length > POOLED_MAX) { hostFill(dst); return; }
  if (POOL_BYTES - poolAt < dst.length) { hostFill(pool); poolAt = 0; }
  const end = poolAt + dst.length;
  dst.set(pool.subarray(poolAt, end));
  pool.fill(0, poolAt, end);
  poolAt = end;
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
