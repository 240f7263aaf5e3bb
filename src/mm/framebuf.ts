// A kernel buffer in page frames (mm/frames.ts): the bytes a pipe's ring
// holds, as Linux's pipe_buffers are pages from the page allocator, and the
// bytes of a queued socket message. Its frames come from the pool
// anonymous memory and tmpfs use, so bytes in flight never cost the host
// memory beside guest RAM.

import { FRAME_BYTES, type FrameKind, type FramePool } from "./frames.js";
import type { MemBudget } from "./budget.js";
import type { IoIter } from "./uio.js";

export class FrameBytes {
  private frames: number[] = [];

  constructor(private readonly pool: FramePool, private readonly kind: FrameKind) {}

  // Bytes it can hold (whole frames).
  get length(): number { return this.frames.length * FRAME_BYTES; }

  // Grows or shrinks to `bytes` (rounded up to frames); false (nothing
  // changed) when the pool cannot give the frames.
  resize(bytes: number): boolean {
    const want = Math.ceil(bytes / FRAME_BYTES);
    const got: number[] = [];
    while (this.frames.length + got.length < want) {
      const pa = this.pool.take(this.kind, false);
      if (pa === null) {
        for (const f of got) this.pool.release(f, this.kind);
        return false;
      }
      got.push(pa);
    }
    this.frames.push(...got);
    while (this.frames.length > want) this.pool.release(this.frames.pop()!, this.kind);
    return true;
  }

  // Copies n bytes at off (inside length) into dst at at, and back. Written
  // out rather than through each(): a pipe's every read and write comes here,
  // a frame at a time, and a closure per call showed in its profile.
  read(off: number, dst: Uint8Array, at = 0, n = dst.length - at): void {
    for (let done = 0; done < n;) {
      const p = off + done, o = p % FRAME_BYTES;
      const k = Math.min(n - done, FRAME_BYTES - o);
      dst.set(this.pool.view(this.frames[Math.floor(p / FRAME_BYTES)]).subarray(o, o + k), at + done);
      done += k;
    }
  }
  write(off: number, src: Uint8Array, at = 0, n = src.length - at): void {
    for (let done = 0; done < n;) {
      const p = off + done, o = p % FRAME_BYTES;
      const k = Math.min(n - done, FRAME_BYTES - o);
      this.pool.view(this.frames[Math.floor(p / FRAME_BYTES)]).set(src.subarray(at + done, at + done + k), o);
      done += k;
    }
  }

  // The same, to or from an IoIter (read and write of a pipe: straight
  // between the ring's frames and the user's pages).
  readTo(off: number, dst: IoIter, at: number, n: number): void {
    for (let done = 0; done < n;) {
      const p = off + done, o = p % FRAME_BYTES;
      const k = Math.min(n - done, FRAME_BYTES - o);
      const pa = this.frames[Math.floor(p / FRAME_BYTES)];
      dst.toIter(at + done, this.pool.store(pa), this.pool.offset(pa) + o, k);
      done += k;
    }
  }
  writeFrom(off: number, src: IoIter, at: number, n: number): void {
    for (let done = 0; done < n;) {
      const p = off + done, o = p % FRAME_BYTES;
      const k = Math.min(n - done, FRAME_BYTES - o);
      const pa = this.frames[Math.floor(p / FRAME_BYTES)];
      src.fromIter(at + done, this.pool.store(pa), this.pool.offset(pa) + o, k);
      done += k;
    }
  }

  // Copies n bytes at off into another buffer at dstOff, frame by frame.
  copyTo(dst: FrameBytes, off: number, dstOff: number, n: number): void {
    this.each(off, n, (view, o, done, k) => dst.write(dstOff + done, view, o, k));
  }

  private each(off: number, n: number, fn: (view: Uint8Array, o: number, done: number, k: number) => void): void {
    for (let done = 0; done < n;) {
      const at = off + done, o = at % FRAME_BYTES;
      const k = Math.min(n - done, FRAME_BYTES - o);
      fn(this.pool.view(this.frames[Math.floor(at / FRAME_BYTES)]), o, done, k);
      done += k;
    }
  }
}

// The bytes of one queued message (an AF_UNIX skb's data).
export interface MsgBytes {
  readonly length: number;
  read(off: number, dst: Uint8Array, at: number, n: number): void;
  free(): void; // once, when the message is consumed or dropped
}

// Below this a message stays in the heap, charged by its length: a page
// frame for each small datagram would make a queue of them cost many times
// its bytes. The heap then holds at most this much per queued message.
export const SMALL_MSG = 1024;

// A copy of src for a queue, or null when memory is spent (the sender's
// ENOBUFS): small messages in the heap charged to mem, others in frames.
export function queueBytes(src: Uint8Array, mem: MemBudget | null, pool: FramePool | null): MsgBytes | null {
  if (src.length < SMALL_MSG || !pool) {
    if (mem && !mem.tryCharge("sock", src.length)) return null;
    const copy = src.slice();
    return { length: copy.length, read: (off, dst, at, n) => dst.set(copy.subarray(off, off + n), at), free: () => mem?.uncharge("sock", copy.length) };
  }
  const fb = new FrameBytes(pool, "sock");
  if (!fb.resize(src.length)) return null;
  fb.write(0, src);
  return { length: src.length, read: (off, dst, at, n) => fb.read(off, dst, at, n), free: () => { fb.resize(0); } };
}
