// Sv48 page tables, written into guest physical memory where the hart's MMU
// walks them. Four levels of 512 eight-byte entries; Ghost maps 4 KiB leaves
// only. Guest RAM is below 4 GiB, so a PTE's upper 32 bits are always zero.

import type { Hart } from "../arch/riscv64/hart.js";
import { RAM_BASE } from "../arch/riscv64/layout.js";
import { PAGE_SIZE, type PhysAllocator } from "./phys.js";

export const PTE_V = 1;
export const PTE_R = 2;
export const PTE_W = 4;
export const PTE_X = 8;
export const PTE_U = 16;
export const PTE_G = 32;
export const PTE_A = 64;
export const PTE_D = 128;
// Software bit (RSW): the page is shared copy-on-write; a write fault copies it.
export const PTE_COW = 256;

const TWO18 = 1 << 18;

export function ptePa(pte: number): number { return (pte >>> 10) * PAGE_SIZE; }
export function makePte(pa: number, flags: number): number { return ((pa / PAGE_SIZE) << 10 | flags) >>> 0; }

export class PageTable {
  readonly root: number;
  private tables = 1;

  constructor(private readonly phys: PhysAllocator, private readonly hart: Hart) {
    this.root = phys.alloc();
  }

  // The hart's view, read at each use: a table allocated on the way may grow the memory.
  private get dv(): DataView { return this.hart.dv; }

  get tablePages(): number { return this.tables; }

  private entry(tablePa: number, idx: number): number { return RAM_BASE + tablePa + idx * 8; }

  // Byte offset (in wasm memory) of the leaf PTE for va, or -1 if an
  // intermediate table is missing and create is false.
  leaf(va: number, create: boolean): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    const hi = Math.floor(vpn / TWO18), lo = vpn % TWO18;
    // No array of the four indexes: every copy to or from user memory and
    // every PTE fork copies comes through here.
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const i = level === 0 ? (hi >>> 9) & 511 : level === 1 ? hi & 511 : lo >>> 9;
      const off = this.entry(table, i);
      let pte = this.dv.getUint32(off, true);
      if ((pte & PTE_V) === 0) {
        if (!create) return -1;
        const pa = this.phys.alloc();
        this.tables++;
        pte = makePte(pa, PTE_V);
        this.dv.setUint32(off, pte, true);
        this.dv.setUint32(off + 4, 0, true);
      }
      table = ptePa(pte);
    }
    return this.entry(table, lo & 511);
  }

  get(va: number): number {
    const off = this.leaf(va, false);
    return off < 0 ? 0 : this.dv.getUint32(off, true);
  }

  set(va: number, pte: number): void {
    const off = this.leaf(va, true);
    this.dv.setUint32(off, pte, true);
    this.dv.setUint32(off + 4, 0, true);
  }

  // Calls fn for every valid leaf in [start, end), skipping empty subtrees.
  forEach(start: number, end: number, fn: (va: number, off: number, pte: number) => void): void {
    this.walkRange(this.root, 0, 0, start, end, fn);
  }

  private walkRange(table: number, level: number, base: number, start: number, end: number,
    fn: (va: number, off: number, pte: number) => void): void {
    const span = PAGE_SIZE * Math.pow(512, 3 - level);
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(511, Math.floor((end - 1 - base) / span));
    for (let i = first; i <= last; i++) {
      const off = this.entry(table, i);
      const pte = this.dv.getUint32(off, true);
      if ((pte & PTE_V) === 0) continue;
      const va = base + i * span;
      if (level === 3) fn(va, off, pte);
      else this.walkRange(ptePa(pte), level + 1, va, start, end, fn);
    }
  }

  // Frees the table pages and drops one reference to each mapped leaf's
  // frame (the address space's last act: Linux's exit_mmap unmaps and
  // frees the tables in one pass too). One walk of the whole tree, where a
  // walk per VMA and then one of the tables took two.
  destroy(): void { this.freeTable(this.root, 0); }

  private freeTable(table: number, level: number): void {
    for (let i = 0; i < 512; i++) {
      const pte = this.dv.getUint32(this.entry(table, i), true);
      if ((pte & PTE_V) === 0) continue;
      if (level < 3) this.freeTable(ptePa(pte), level + 1);
      else this.phys.put(ptePa(pte));
    }
    this.phys.put(table);
  }
}
