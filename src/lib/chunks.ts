// A queue of byte chunks read from the front: host input waiting for the
// guest (the host's stdin, a stream given to a machine).

// Moves as many bytes as fit from the front of `chunks` into dst; returns how many.
export function takeChunks(chunks: Uint8Array[], dst: Uint8Array): number {
  let n = 0;
  while (n < dst.length && chunks.length) {
    const c = chunks[0];
    const take = Math.min(c.length, dst.length - n);
    dst.set(c.subarray(0, take), n);
    n += take;
    if (take === c.length) chunks.shift(); else chunks[0] = c.subarray(take);
  }
  return n;
}
