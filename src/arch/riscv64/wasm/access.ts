// Loads and stores through the software TLB, shared by the interpreter's fast
// and slow paths (hart.ts, exec-slow.ts).

import { TLB_R, TLB_W, TLB_MASK } from "./layout";
import { ACC_R, ACC_W, asidTag, translateSlow } from "./mmu";

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

@inline export function extendLoad(v: u64, f3: u32): u64 {
  switch (f3) {
    case 0: return <u64><i64><i8>v;
    case 1: return <u64><i64><i16>v;
    case 2: return <u64><i64><i32>v;
    case 4: return v & 0xff;
    case 5: return v & 0xffff;
    case 6: return v & 0xffffffff;
    default: return v;
  }
}
