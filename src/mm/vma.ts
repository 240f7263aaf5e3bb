// Virtual memory areas: the address space as an ordered list of mappings,
// each with its protection, its backing (anonymous, a file, shared memory)
// and its flags. Mirrors Linux's vm_area_struct in what Ghost needs.

import { PAGE_SIZE } from "./phys.js";

export { PROT_READ, PROT_WRITE, PROT_EXEC } from "../abi/mman.js";

// Backing of a file mapping: the file's bytes, and the object that
// identifies it in the page cache (its inode).
export interface MapSource {
  readonly id: string;
  readAt(offset: number, dst: Uint8Array): number;
  writeAt(offset: number, src: Uint8Array): number;
  size(): number;
  readonly key: object;
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  // false: a shared mapping of it may never become writable (the file was
  // opened read-only, or is a memfd sealed against writes): Linux's VM_MAYWRITE.
  mayWrite?: boolean;
}

// Pages of a MAP_SHARED anonymous mapping, shared by every VMA that maps it.
export class SharedAnon {
  readonly pages = new Map<number, number>(); // page index → physical address
  refs = 0;
  // Called when a mapping of it goes (System V shm counts its attaches so).
  onUnref: (() => void) | null = null;
  // A System V shm segment's, for shmdt and /proc: its id.
  shmid = -1;
  // false: a MAP_SHARED mapping of /dev/zero opened read-only, which may never
  // become writable (VM_MAYWRITE cleared by do_mmap before shmem_zero_setup).
  mayWrite = true;

  // Gives its pages back (nothing maps or holds it any more).
  freePages(phys: { put(pa: number): void }): void {
    for (const pa of this.pages.values()) phys.put(pa);
    this.pages.clear();
  }
}

export class Vma {
  constructor(
    public start: number,
    public end: number,
    public prot: number,
    public shared: boolean,
    public source: MapSource | null = null,
    public offset = 0, // file offset of `start`
    public fileEnd = Infinity, // va past which file content ends (bss tail is zero)
    public name = "",
    public growsDown = false,
    public sharedAnon: SharedAnon | null = null,
    public dontFork = false, // MADV_DONTFORK: the child does not get this range
    public wipeOnFork = false, // MADV_WIPEONFORK: the child gets zero pages here
  ) {}

  // mlock: the pages stay resident (VM_LOCKED); Ghost never swaps, so this is what /proc reports.
  locked = false;
  // mseal: no munmap, mprotect, mremap or (read-only anonymous) discard (VM_SEALED).
  sealed = false;
  // MADV_DONTDUMP: a core dump leaves this range's contents out (VM_DONTDUMP).
  dontDump = false;
  // Whether a page of this range is the process's own rather than the page
  // cache's or shared memory's (Linux's anon_vma): a private copy made by a
  // store, or a page filled privately. Fork copies the page table only of
  // ranges that have one (vma_needs_copy); the others are faulted in again.
  anon = false;

  clone(): Vma {
    const v = new Vma(this.start, this.end, this.prot, this.shared, this.source, this.offset,
      this.fileEnd, this.name, this.growsDown, this.sharedAnon, this.dontFork, this.wipeOnFork);
    v.locked = this.locked;
    v.sealed = this.sealed;
    v.dontDump = this.dontDump;
    v.anon = this.anon;
    return v;
  }

  // The VMA's part from `at` on; this one keeps [start, at).
  splitAt(at: number): Vma {
    const tail = this.clone();
    tail.start = at;
    tail.offset = this.offset + (at - this.start);
    if (this.sharedAnon) this.sharedAnon.refs++;
    this.end = at;
    return tail;
  }

  // Whether `next`, which starts where this ends, continues it seamlessly.
  canMerge(next: Vma): boolean {
    return this.end === next.start && this.prot === next.prot && this.shared === next.shared &&
      this.source === next.source && this.name === next.name && this.growsDown === next.growsDown &&
      this.sharedAnon === next.sharedAnon && this.fileEnd === next.fileEnd &&
      this.dontFork === next.dontFork && this.wipeOnFork === next.wipeOnFork && this.locked === next.locked &&
      this.sealed === next.sealed && this.dontDump === next.dontDump &&
      // File and shared anonymous pages are found by offset: it must run on.
      ((this.source === null && this.sharedAnon === null) || this.offset + (this.end - this.start) === next.offset);
  }
}

// A MAP_SHARED file mapping: its pages are the page cache's, written back when dirty.
export function isSharedFile(v: Vma): v is Vma & { source: MapSource } { return v.shared && v.source !== null; }
// Index in the mapped file (or shared memory) of the page at va.
export function fileIndex(v: Vma, va: number): number { return (v.offset + (va - v.start)) / PAGE_SIZE; }
