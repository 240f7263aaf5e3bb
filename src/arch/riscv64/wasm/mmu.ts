// The MMU: an ASID-tagged software TLB in front of a walker for the Sv48 page
// tables that the kernel's mm/ writes into guest physical memory.
//
// A TLB entry is 16 bytes: tag (u64) = (va >>> 12) | (asid << 52), the wasm
// address of the 4 KiB physical page (u32), and that address minus the low
// 32 bits of the page's va (u32, mod 2^32: translated code adds it to va). Read, write and fetch have
// separate TLBs so one compare decides both the hit and the permission.

import {
  TLB_R, TLB_W, TLB_X, TLB_MASK, TLB_ENTRIES, RAM_BASE, RAM_SIZE, SATP_ROOT, ASID,
  TRAP_TVAL, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_INSN_PAGE_FAULT,
} from "./layout";
import { jitMapFlushAll, jitMapFlushAsid, jitMapFlushPage, noteWrite } from "./jitmap";

export const ACC_R: u32 = 0;
export const ACC_W: u32 = 1;
export const ACC_X: u32 = 2;

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_U: u64 = 16;
const PTE_A: u64 = 64;
const PTE_D: u64 = 128;

// The tag bits of the current ASID; kept in a global so the hot path needs no load.
export let asidTag: u64 = 0;
// Cause of the last failed translation.
export let faultCause: u32 = 0;

export function setAsid(asid: u32): void {
  store<u32>(ASID, asid & 0xfff);
  asidTag = (<u64>(asid & 0xfff)) << 52;
}

@inline export function tlbBase(acc: u32): u32 {
  return acc == ACC_R ? TLB_R : acc == ACC_W ? TLB_W : TLB_X;
}

// Each flush also drops the JIT's dispatch entries for the same pages (jitmap.ts).
export function tlbFlushAll(): void {
  memory.fill(TLB_R, 0xff, TLB_ENTRIES * 16 * 3);
  jitMapFlushAll();
}

// Drops every entry of one ASID (the kernel reuses an ASID for a new address space).
export function tlbFlushAsid(asid: u32): void {
  const want = (<u64>(asid & 0xfff)) << 52;
  for (let t: u32 = 0; t < 3; t++) {
    const base = tlbBase(t);
    for (let i: u32 = 0; i < TLB_ENTRIES; i++) {
      const e = base + (i << 4);
      const tag = load<u64>(e);
      if (tag != 0xffffffffffffffff && (tag & 0xfff0000000000000) == want) store<u64>(e, 0xffffffffffffffff);
    }
  }
  jitMapFlushAsid(asid & 0xfff);
}

// Drops the entries for one virtual page in the current ASID (va as f64: no BigInt for the kernel).
export function tlbFlushPage(vaf: f64): void {
  const vpn = (<u64>vaf) >>> 12;
  const idx = (<u32>vpn & TLB_MASK) << 4;
  const tag = vpn | asidTag;
  if (load<u64>(TLB_R + idx) == tag) store<u64>(TLB_R + idx, 0xffffffffffffffff);
  if (load<u64>(TLB_W + idx) == tag) store<u64>(TLB_W + idx, 0xffffffffffffffff);
  if (load<u64>(TLB_X + idx) == tag) store<u64>(TLB_X + idx, 0xffffffffffffffff);
  jitMapFlushPage(vpn);
}

// Walks the page tables for va. Returns the guest physical address, or -1 on a
// fault (faultCause set). Sets A (and D for writes) in the leaf, as Svadu does.
export function walk(va: u64, acc: u32): i64 {
  const cause = acc == ACC_R ? CAUSE_LOAD_PAGE_FAULT : acc == ACC_W ? CAUSE_STORE_PAGE_FAULT : CAUSE_INSN_PAGE_FAULT;
  // Sv48: bits 63..48 must equal bit 47.
  if (<u64>((<i64>(va << 16)) >> 16) != va) { faultCause = cause; return -1; }
  const ramSize = <u64>load<u32>(RAM_SIZE);
  let table = load<u64>(SATP_ROOT);
  for (let level: i32 = 3; level >= 0; level--) {
    const idx = (va >>> (12 + 9 * <u64>level)) & 0x1ff;
    const pteAddr = table + (idx << 3);
    if (pteAddr + 8 > ramSize) { faultCause = cause; return -1; }
    let pte = load<u64>(RAM_BASE + <u32>pteAddr);
    if ((pte & PTE_V) == 0 || ((pte & PTE_R) == 0 && (pte & PTE_W) != 0)) { faultCause = cause; return -1; }
    const ppn = (pte >>> 10) & 0xfffffffffff;
    if ((pte & (PTE_R | PTE_X)) == 0) { table = ppn << 12; continue; }
    // Leaf.
    if ((pte & PTE_U) == 0) { faultCause = cause; return -1; }
    const need = acc == ACC_R ? PTE_R : acc == ACC_W ? PTE_W : PTE_X;
    if ((pte & need) == 0) { faultCause = cause; return -1; }
    const span = 12 + 9 * <u64>level;
    const mask: u64 = (<u64>1 << span) - 1;
    if (level > 0 && ((ppn << 12) & mask) != 0) { faultCause = cause; return -1; } // misaligned superpage
    const want = PTE_A | (acc == ACC_W ? PTE_D : 0);
    if ((pte & want) != want) { pte |= want; store<u64>(RAM_BASE + <u32>pteAddr, pte); }
    const pa = ((ppn << 12) & ~mask) | (va & mask);
    if (pa >= ramSize) { faultCause = cause; return -1; }
    return <i64>pa;
  }
  faultCause = cause;
  return -1;
}

// Translates va for an access and fills the TLB. Returns the wasm address of
// the byte, or 0 on a fault (faultCause set and TRAP_TVAL = va).
export function translateSlow(va: u64, acc: u32): u32 {
  const pa = walk(va, acc);
  if (pa < 0) { store<u64>(TRAP_TVAL, va); return 0; }
  const vpn = va >>> 12;
  const e = tlbBase(acc) + ((<u32>vpn & TLB_MASK) << 4);
  const page = RAM_BASE + (<u32>pa & ~0xfff);
  if (acc == ACC_W) noteWrite(<u32>(pa >>> 12));
  store<u64>(e, vpn | asidTag);
  store<u32>(e, page, 8);
  // For translated code: the host address is (u32)va + this (mod 2^32).
  store<u32>(e, page - (<u32>va & ~0xfff), 12);
  return page + (<u32>va & 0xfff);
}

// Fast translation: a TLB hit, or the walker.
@inline export function translate(va: u64, acc: u32): u32 {
  const vpn = va >>> 12;
  const e = tlbBase(acc) + ((<u32>vpn & TLB_MASK) << 4);
  if (load<u64>(e) == (vpn | asidTag)) return load<u32>(e, 8) + (<u32>va & 0xfff);
  return translateSlow(va, acc);
}

// Host address for a load of `size` bytes at va: > 1 on a TLB hit or a
// successful walk, 1 if the access crosses a page, 0 on a fault.
@inline export function loadHost(va: u64, size: u32): u32 {
  const vpn = va >>> 12;
  const off = <u32>va & 0xfff;
  if (off > 4096 - size) return 1;
  const e = TLB_R + ((<u32>vpn & TLB_MASK) << 4);
  if (load<u64>(e) == (vpn | asidTag)) return load<u32>(e, 8) + off;
  return translateSlow(va, ACC_R);
}

@inline export function storeHost(va: u64, size: u32): u32 {
  const vpn = va >>> 12;
  const off = <u32>va & 0xfff;
  if (off > 4096 - size) return 1;
  const e = TLB_W + ((<u32>vpn & TLB_MASK) << 4);
  if (load<u64>(e) == (vpn | asidTag)) return load<u32>(e, 8) + off;
  return translateSlow(va, ACC_W);
}

// For the interpreter's inline loads and stores (interp.ts): the host address
// of an access at va of up to 8 bytes when va's page hits the TLB and va is
// not in the page's last 8 bytes (so the access stays in the page whatever
// its size), else 0 (the caller takes the general path: loadHost/storeHost,
// the walker, byte-wise access across a page end). Branch-free: a compare
// and a select, where a size-exact bound compiled to two tests of a bool.
@inline export function tlbLoad(va: u64): u32 {
  const vpn = va >>> 12;
  const off = <u32>va & 0xfff;
  const e = TLB_R + ((<u32>vpn & TLB_MASK) << 4);
  return select<u32>(load<u32>(e, 8) + off, 0, (load<u64>(e) == (vpn | asidTag)) & (off <= 0xff8));
}

@inline export function tlbStore(va: u64): u32 {
  const vpn = va >>> 12;
  const off = <u32>va & 0xfff;
  const e = TLB_W + ((<u32>vpn & TLB_MASK) << 4);
  return select<u32>(load<u32>(e, 8) + off, 0, (load<u64>(e) == (vpn | asidTag)) & (off <= 0xff8));
}

export let crossFault: bool = false;

// Byte-wise access for loads and stores that cross a page boundary. A fault
// sets crossFault (loads) or returns false (stores); every page is translated
// before anything is written.
export function loadBytes(va: u64, size: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const h = translate(va + i, ACC_R);
    if (h == 0) { store<u64>(TRAP_TVAL, va + i); crossFault = true; return 0; }
    v |= (<u64>load<u8>(h)) << (<u64>(i * 8));
  }
  crossFault = false;
  return v;
}

export function storeBytes(va: u64, size: u32, v: u64): bool {
  // Translate both ends first so a fault leaves memory untouched.
  if (translate(va, ACC_W) == 0) return false;
  if (translate(va + size - 1, ACC_W) == 0) return false;
  for (let i: u32 = 0; i < size; i++) {
    const h = translate(va + i, ACC_W);
    store<u8>(h, <u8>(v >>> (<u64>(i * 8))));
  }
  return true;
}

// For the kernel: translate without touching the TLB's contents for other
// accesses. Returns the guest physical address or -1. f64 keeps BigInt off the JS side.
export function translateForKernel(va: f64, acc: u32): f64 {
  const pa = walk(<u64>va, acc);
  return pa < 0 ? -1 : <f64>pa;
}
