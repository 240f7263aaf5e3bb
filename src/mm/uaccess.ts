// The only way the kernel touches user memory: copy in, copy out, strings.
// Each page is found through the address space's page table; a page not yet
// present is faulted in as the hart would; anything else is EFAULT.

import { RAM_BASE, ACC_R, ACC_W } from "../arch/riscv64/layout.js";
import { kerr, KernelError } from "../lib/errors.js";
import { EFAULT, ENAMETOOLONG, E2BIG } from "../abi/errno.js";
import { i64Word, u64Word } from "../abi/word.js";
import { PAGE_SIZE } from "./phys.js";
import { PTE_R, PTE_V, PTE_W, ptePa } from "./pagetable.js";
import { TASK_SIZE, type AddressSpace } from "./mm.js";

// Wasm address of the byte at va, faulting the page in if the access is allowed.
function hostAddr(mm: AddressSpace, va: number, write: boolean): number {
  if (!(va >= 0 && va < TASK_SIZE)) kerr(EFAULT);
  const need = write ? PTE_W : PTE_R;
  let pte = mm.pt.get(va - (va % PAGE_SIZE));
  if ((pte & PTE_V) === 0 || (pte & need) === 0) {
    if (mm.handleFault(va, write ? ACC_W : ACC_R) !== 0) kerr(EFAULT);
    pte = mm.pt.get(va - (va % PAGE_SIZE));
    if ((pte & PTE_V) === 0 || (pte & need) === 0) kerr(EFAULT);
  }
  return RAM_BASE + ptePa(pte) + (va % PAGE_SIZE);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// C strings packed back to back, each with its NUL (execve's argv and envp).
export interface CStrings { readonly bytes: Uint8Array; readonly count: number }
const NO_STRINGS: CStrings = { bytes: new Uint8Array(0), count: 0 };
// readCStringVector's buffer, kept for the next exec while it is this small.
const VECTOR_SCRATCH_KEEP = 64 * 1024;
let vectorScratch = new Uint8Array(4096);

export class UserMemory {
  constructor(readonly mm: AddressSpace) {}

  // The address space's own (the helper holds no state but mm): made once,
  // not at every syscall that touches user memory.
  static of(mm: AddressSpace): UserMemory {
    let u = mm.userMemory as UserMemory | null;
    if (u === null) { u = new UserMemory(mm); mm.userMemory = u; }
    return u;
  }

  private get u8(): Uint8Array { return this.mm.hart.u8; }

  // Copies len bytes at va into dst (or a new array).
  // A length that is not a count of bytes the user half could hold is
  // EFAULT, as Linux's access_ok, before anything is allocated for it.
  read(va: number, len: number, dst?: Uint8Array): Uint8Array {
    if (!(Number.isSafeInteger(len) && len >= 0 && (len === 0 || va + len <= TASK_SIZE))) kerr(EFAULT);
    const out = dst ?? new Uint8Array(len);
    this.copyUser(va, out, this.ramOffset(out), 0, len, false);
    return out;
  }

  write(va: number, src: Uint8Array): void {
    // Check every page first, so a fault part-way leaves no partial write.
    const len = src.length, ram = this.ramOffset(src);
    for (let a = va; a < va + len; a += PAGE_SIZE - (a % PAGE_SIZE)) hostAddr(this.mm, a, true);
    this.copyUser(va, src, ram, 0, len, true);
  }

  // Where arr starts in the wasm memory if it is a view of guest RAM (a
  // frame), else -1. Taken before any page of user memory is looked up: a
  // fault may grow the memory (Hart.growRam), which detaches arr and every
  // other view of it.
  ramOffset(arr: Uint8Array): number { return arr.buffer === this.u8.buffer ? arr.byteOffset : -1; }

  // n bytes between user memory at va and arr at at (toUser: into user
  // memory), page by page; ram is ramOffset(arr), taken by the caller before
  // anything could fault. A frame of guest RAM is the same wasm memory as
  // the user's pages: copyWithin moves the bytes without a view per piece.
  // Each page is looked up again (the op between may have faulted others
  // in); one that went is EFAULT, as before. The memory's view is read after
  // each lookup, which may have grown it.
  private copyUser(va: number, arr: Uint8Array, ram: number, at: number, n: number, toUser: boolean): void {
    for (let done = 0; done < n;) {
      const a = va + done;
      const k = Math.min(n - done, PAGE_SIZE - (a % PAGE_SIZE));
      const h = hostAddr(this.mm, a, toUser), s = at + done;
      const u8 = this.u8;
      if (ram >= 0) {
        if (toUser) u8.copyWithin(h, ram + s, ram + s + k);
        else u8.copyWithin(ram + s, h, h + k);
      } else if (toUser) u8.set(arr.subarray(s, s + k), h);
      else arr.set(u8.subarray(h, h + k), s);
      done += k;
    }
  }

  // Linux's copy_to_user, copy_from_user and clear_user for a range the
  // caller found accessible (UserBuffer.accessible): n bytes between user
  // memory at va and arr at at, page by page, with no buffer between (a
  // pipe's ring or a tmpfs frame to the user's page). ram: ramOffset(arr),
  // when the caller took it before something could fault (several calls
  // with one array); by default taken here.
  copyToUser(va: number, src: Uint8Array, at: number, n: number, ram = this.ramOffset(src)): void {
    this.copyUser(va, src, ram, at, n, true);
  }
  copyFromUser(va: number, dst: Uint8Array, at: number, n: number, ram = this.ramOffset(dst)): void {
    this.copyUser(va, dst, ram, at, n, false);
  }
  clearUser(va: number, n: number): void {
    for (let done = 0; done < n;) {
      const a = va + done;
      const k = Math.min(n - done, PAGE_SIZE - (a % PAGE_SIZE));
      const h = hostAddr(this.mm, a, true);
      this.u8.fill(0, h, h + k);
      done += k;
    }
  }

  // How many bytes from va on (at most len) the task may read, or write,
  // faulting pages in as the hart would; stops at the first page it may not
  // (Linux copies as far as that page and returns a short count).
  accessible(va: number, len: number, write: boolean): number {
    let done = 0;
    while (done < len) {
      const a = va + done;
      try {
        hostAddr(this.mm, a, write);
      } catch (e) {
        if (e instanceof KernelError && e.errno === EFAULT) break;
        throw e;
      }
      done += Math.min(len - done, PAGE_SIZE - (a % PAGE_SIZE));
    }
    return done;
  }

  // The bytes of a NUL-terminated string at va, without the NUL; more than
  // max bytes before it is kerr(tooLong). Each page is searched for the NUL
  // and copied whole (execve's argv and envp, every path: this was a loop
  // pushing one byte at a time into a number array). A page past the NUL is
  // never touched, and a string longer than max fails before the page after
  // the one where it reached max, as the byte-wise walk did.
  private cBytes(va: number, max: number, tooLong: number): Uint8Array {
    let parts: Uint8Array[] | undefined;
    let total = 0;
    let a = va;
    for (;;) {
      const h = hostAddr(this.mm, a, false);
      const page = this.u8.subarray(h, h + (PAGE_SIZE - (a % PAGE_SIZE)));
      const z = page.indexOf(0);
      const n = z < 0 ? page.length : z;
      if (total + n > max) kerr(tooLong);
      if (z >= 0 && parts === undefined) return page.slice(0, n); // the common case: one page
      (parts ??= []).push(page.slice(0, n));
      total += n;
      if (z >= 0) break;
      a += page.length;
    }
    return concat(parts, total);
  }

  // A NUL-terminated string of at most max bytes (ENAMETOOLONG past it),
  // as a byte string (kernel/kstr.ts).
  readCString(va: number, max = 4096): string {
    const b = this.cBytes(va, max, ENAMETOOLONG);
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
  }

  // Raw bytes of a NUL-terminated string (argv/envp: not necessarily UTF-8).
  readCBytes(va: number, max: number): Uint8Array {
    return this.cBytes(va, max, E2BIG);
  }

  // The strings of a NULL-terminated vector of pointers (execve's argv and
  // envp), each at most maxEach bytes (E2BIG past it, or past maxCount
  // strings), packed back to back with their NULs, as they will lie on the
  // new program's stack: one array for the whole vector, not one per string
  // (a shell's environment is some 40 strings, two typed arrays each, at
  // every exec). They usually lie together on a page or two of the
  // caller's stack: the page last translated is remembered for the call
  // (nothing is unmapped while it runs), not walked for again per pointer
  // and string.
  readCStringVector(va: number, maxEach: number, maxCount: number): CStrings {
    if (va === 0) return NO_STRINGS;
    // (The memory's views are read after each lookup: a fault may grow it.)
    let memoPage = -1, memoHost = 0;
    const host = (a: number): number => {
      const page = a - (a % PAGE_SIZE);
      if (page !== memoPage) { memoHost = hostAddr(this.mm, a, false) - (a - page); memoPage = page; }
      return memoHost + (a - page);
    };
    let buf = vectorScratch;
    let out = 0;
    for (let i = 0; ; i++) {
      if (i >= maxCount) kerr(E2BIG);
      const pva = va + 8 * i;
      let p: number;
      if (pva % PAGE_SIZE <= PAGE_SIZE - 8) {
        const h = host(pva), dv = this.mm.hart.dv;
        p = u64Word(dv.getUint32(h, true), dv.getUint32(h + 4, true));
      } else p = this.u64(pva);
      if (p === 0) {
        const bytes = buf.slice(0, out);
        // A big vector's buffer is not kept between execs.
        if (buf.length <= VECTOR_SCRATCH_KEEP) vectorScratch = buf;
        return { bytes, count: i };
      }
      let len = 0;
      for (let a = p; ;) {
        const h = host(a);
        const room = PAGE_SIZE - (a % PAGE_SIZE);
        if (out + room + 1 > buf.length) {
          const bigger = new Uint8Array(Math.max(2 * buf.length, out + room + 1));
          bigger.set(buf.subarray(0, out));
          buf = bigger;
        }
        // Searched and copied byte by byte: most strings are a few dozen
        // bytes, for which a view and a native copy cost more.
        const u8 = this.u8;
        let n = 0;
        for (let b = u8[h]; n < room && b !== 0; b = u8[h + ++n]) buf[out + n] = b;
        len += n;
        out += n;
        if (len > maxEach) kerr(E2BIG);
        if (n < room) break;
        a += room;
      }
      buf[out++] = 0;
    }
  }

  // Wasm address of n bytes at va when they lie in one page (one lookup,
  // no copy), or -1 when they cross into the next page.
  private within(va: number, n: number): number {
    return PAGE_SIZE - (va % PAGE_SIZE) >= n ? hostAddr(this.mm, va, false) : -1;
  }

  u32(va: number): number {
    const h = this.within(va, 4);
    if (h >= 0) return this.mm.hart.dv.getUint32(h, true);
    const b = this.read(va, 4);
    return (b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24) >>> 0;
  }
  i32(va: number): number { return this.u32(va) | 0; }
  // 64-bit words as numbers, saturated past ±2^53 (abi/word.ts).
  u64(va: number): number {
    const h = this.within(va, 8);
    if (h >= 0) { const dv = this.mm.hart.dv; return u64Word(dv.getUint32(h, true), dv.getUint32(h + 4, true)); }
    const dv = new DataView(this.read(va, 8).buffer);
    return u64Word(dv.getUint32(0, true), dv.getUint32(4, true));
  }
  i64(va: number): number {
    const h = this.within(va, 8);
    if (h >= 0) { const dv = this.mm.hart.dv; return i64Word(dv.getUint32(h, true), dv.getInt32(h + 4, true)); }
    const dv = new DataView(this.read(va, 8).buffer);
    return i64Word(dv.getUint32(0, true), dv.getInt32(4, true));
  }
  big64(va: number): bigint { return new DataView(this.read(va, 8).buffer).getBigUint64(0, true); }
  setU32(va: number, v: number): void {
    // Within one page (an aligned word always is): stored in place, with no
    // buffer (fork's child tid, wait4's status: a word per syscall).
    if (PAGE_SIZE - (va % PAGE_SIZE) >= 4) {
      const h = hostAddr(this.mm, va, true); // EFAULT as below; may grow the memory
      this.mm.hart.dv.setUint32(h, v >>> 0, true);
      return;
    }
    const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.write(va, b);
  }
  setI32(va: number, v: number): void { this.setU32(va, v); }
  setU64(va: number, v: number | bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
    this.write(va, b);
  }
}
