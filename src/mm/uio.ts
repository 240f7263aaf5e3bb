// A user buffer of read/write and their vector forms (Linux's iov_iter over
// user iovecs): segments of guest memory seen as one run of bytes, copied in
// bounded chunks so that no syscall allocates the count it was given (a
// 2 GiB read into a 64 KiB buffer allocates nothing near 2 GiB), and so a
// fault part-way gives a short count, as on Linux.

import type { UserMemory } from "./uaccess.js";

export interface UserSegment { base: number; len: number }

// Bytes copied per step between a file and user memory.
export const IO_CHUNK = 1 << 20;

export class UserBuffer {
  readonly length: number;

  constructor(private readonly um: UserMemory, private readonly segs: UserSegment[]) {
    this.length = segs.reduce((n, s) => n + s.len, 0);
  }

  static of(um: UserMemory, base: number, len: number): UserBuffer { return new UserBuffer(um, [{ base, len }]); }

  // Whether every segment starts and ends on a multiple of align (O_DIRECT's
  // iov_iter_alignment check).
  aligned(align: number): boolean { return this.segs.every((s) => s.base % align === 0 && s.len % align === 0); }

  // Calls fn(va, len) for the pieces of [off, off + len) in segment order.
  private each(off: number, len: number, fn: (va: number, n: number, at: number) => boolean | void): void {
    let skip = off, at = 0;
    for (const s of this.segs) {
      if (len <= 0) return;
      if (skip >= s.len) { skip -= s.len; continue; }
      const n = Math.min(s.len - skip, len);
      if (fn(s.base + skip, n, at) === false) return;
      skip = 0;
      at += n;
      len -= n;
    }
  }

  // How many bytes from off on (at most max) may be read (write false) or
  // written (true), faulting the pages in; stops at the first that may not.
  accessible(off: number, max: number, write: boolean): number {
    let ok = 0;
    this.each(off, max, (va, n) => {
      const got = this.um.accessible(va, n, write);
      ok += got;
      return got === n;
    });
    return ok;
  }

  // Bytes [off, off + len) (accessible() said so) copied out of user memory,
  // into dst when given (at least len long) or a new array.
  copyIn(off: number, len: number, dst?: Uint8Array): Uint8Array {
    const out = dst ? dst.subarray(0, len) : new Uint8Array(len);
    this.each(off, len, (va, n, at) => { this.um.read(va, n, out.subarray(at, at + n)); });
    return out;
  }

  // The bytes [off, off + len) (accessible() said so) for a file op to copy
  // to or from directly (IoIter).
  iter(off: number, len: number): IoIter { return new UserIter(this, off, len); }

  // Moves n bytes at off between user memory and arr at at (MOVE_OUT: into
  // user memory; MOVE_IN: out of it; MOVE_ZERO: zeroes), segment by segment,
  // without a closure (every pipe and tmpfs read and write comes here).
  move(kind: number, off: number, arr: Uint8Array | null, at: number, n: number): void {
    const segs = this.segs;
    // arr's place in guest RAM if it is a frame, taken once: a fault in one
    // segment may grow the memory and detach arr for the next (uaccess.ts).
    const ram = arr === null ? -1 : this.um.ramOffset(arr);
    let i = 0, skip = off;
    while (i < segs.length && skip >= segs[i].len) { skip -= segs[i].len; i++; }
    for (; n > 0 && i < segs.length; i++) {
      const s = segs[i], k = Math.min(s.len - skip, n);
      if (kind === MOVE_OUT) this.um.copyToUser(s.base + skip, arr!, at, k, ram);
      else if (kind === MOVE_IN) this.um.copyFromUser(s.base + skip, arr!, at, k, ram);
      else this.um.clearUser(s.base + skip, k);
      at += k;
      n -= k;
      skip = 0;
    }
  }

  // data copied to user memory at [off, off + data.length).
  copyOut(off: number, data: Uint8Array): void {
    this.each(off, data.length, (va, n, at) => { this.um.write(va, data.subarray(at, at + n)); });
  }
}

// The bytes a file op copies to (read) or from (write), wherever they are
// (Linux's iov_iter): a range of user memory (UserBuffer.iter) or a kernel
// array (ArrayIter). Pipes and tmpfs files move their frames through it, so
// read and write copy once, frame to user page, with no bounce buffer.
export interface IoIter {
  readonly length: number;
  // copy_to_iter: src[at, at + n) to the iterator's bytes [off, off + n).
  toIter(off: number, src: Uint8Array, at: number, n: number): void;
  // copy_from_iter: the iterator's bytes [off, off + n) to dst[at, at + n).
  fromIter(off: number, dst: Uint8Array, at: number, n: number): void;
  // iov_iter_zero: n zero bytes at off (a hole of a sparse file).
  zeroIter(off: number, n: number): void;
}

// A kernel array as an IoIter (the in-kernel callers: splice, sendfile, exec).
export class ArrayIter implements IoIter {
  constructor(private readonly a: Uint8Array) {}
  get length(): number { return this.a.length; }
  toIter(off: number, src: Uint8Array, at: number, n: number): void { this.a.set(src.subarray(at, at + n), off); }
  fromIter(off: number, dst: Uint8Array, at: number, n: number): void { dst.set(this.a.subarray(off, off + n), at); }
  zeroIter(off: number, n: number): void { this.a.fill(0, off, off + n); }
}

// Bytes [start, start + length) of a user buffer that accessible() allowed.
class UserIter implements IoIter {
  constructor(private readonly buf: UserBuffer, private readonly start: number, readonly length: number) {}
  toIter(off: number, src: Uint8Array, at: number, n: number): void { this.buf.move(MOVE_OUT, this.start + off, src, at, n); }
  fromIter(off: number, dst: Uint8Array, at: number, n: number): void { this.buf.move(MOVE_IN, this.start + off, dst, at, n); }
  zeroIter(off: number, n: number): void { this.buf.move(MOVE_ZERO, this.start + off, null, 0, n); }
}
const MOVE_OUT = 0, MOVE_IN = 1, MOVE_ZERO = 2;

// The kernel's bounce buffer of read and write (one per process: Ghost's
// kernels run one syscall at a time): reused, so that a 64 KiB read or
// write allocates (and zeroes, and later collects) nothing. Never handed to
// anything that keeps it: take() returns null while it is lent (a nested
// read), and the caller then allocates.
let bounce: Uint8Array | null = null;
let bounceLent = false;
export const bounceBuffer = {
  take(len: number): Uint8Array | null {
    if (bounceLent || len > IO_CHUNK) return null;
    if (!bounce || bounce.length < len) bounce = new Uint8Array(Math.max(len, 64 << 10));
    bounceLent = true;
    return bounce;
  },
  give(): void { bounceLent = false; },
};
