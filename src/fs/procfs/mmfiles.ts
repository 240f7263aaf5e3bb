// /proc/[pid]/smaps, smaps_rollup and pagemap: what the page tables hold for
// each mapping (Linux's fs/proc/task_mmu.c). Ghost maps 4 KiB pages only,
// never swaps and keeps no per-page map count, so a resident page counts
// as private and Pss equals Rss.

import { Inode, S_IFREG } from "../inode.js";
import type { File, FileOps } from "../file.js";
import { procSb, procIno } from "./nodes.js";
import { mapsLine } from "./pid.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC, type Vma } from "../../mm/vma.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { PTE_D, PTE_COW, ptePa } from "../../mm/pagetable.js";
import { RAM_BASE } from "../../arch/riscv64/layout.js";
import type { Task } from "../../kernel/task.js";
import type { Kernel } from "../../kernel/kernel.js";
import { hasCap } from "../../kernel/cred.js";
import { CAP_SYS_ADMIN } from "../../abi/prctl.js";

interface Usage { size: number; rss: number; dirty: number; anon: number; locked: number }

function usage(t: Task, v: Vma): Usage {
  let rss = 0, dirty = 0;
  // Ghost may set D when it maps a page; only a writable mapping can have dirtied one.
  const writable = (v.prot & PROT_WRITE) !== 0;
  t.mm.pt.forEach(v.start, v.end, (_va, _off, pte) => {
    rss++;
    if (writable && pte & PTE_D) dirty++;
  });
  const pages = (v.end - v.start) / PAGE_SIZE;
  // Anonymous: every page of a private anonymous mapping; of a private file
  // mapping, the pages written (copied away from the file).
  const anon = v.source === null && !v.sharedAnon ? rss : v.shared ? 0 : dirty;
  return { size: pages, rss, dirty, anon, locked: v.locked ? rss : 0 };
}

function vmFlags(v: Vma): string {
  const f: string[] = [];
  if (v.prot & PROT_READ) f.push("rd");
  if (v.prot & PROT_WRITE) f.push("wr");
  if (v.prot & PROT_EXEC) f.push("ex");
  if (v.shared) f.push("sh");
  f.push("mr", "mw", "me");
  if (v.shared) f.push("ms");
  if (v.growsDown) f.push("gd");
  if (v.locked) f.push("lo");
  if (v.dontFork) f.push("dc");
  if (!v.shared && (v.prot & PROT_WRITE)) f.push("ac");
  if (v.wipeOnFork) f.push("wf");
  if (v.dontDump) f.push("dd");
  if (v.sealed) f.push("sl"); // mseal (Linux 6.10)
  return f.join(" ") + " ";
}

const kb = (name: string, pages: number) => `${(name + ":").padEnd(16)}${String(pages * 4).padStart(8)} kB\n`;

function body(u: Usage, rollup: boolean): string {
  const clean = u.rss - u.dirty;
  let s = "";
  if (!rollup) s += kb("Size", u.size) + kb("KernelPageSize", 1) + kb("MMUPageSize", 1);
  s += kb("Rss", u.rss) + kb("Pss", u.rss) + kb("Pss_Dirty", u.dirty);
  if (rollup) s += kb("Pss_Anon", u.anon) + kb("Pss_File", u.rss - u.anon) + kb("Pss_Shmem", 0);
  s += kb("Shared_Clean", 0) + kb("Shared_Dirty", 0) + kb("Private_Clean", clean) + kb("Private_Dirty", u.dirty) +
    kb("Referenced", u.rss) + kb("Anonymous", u.anon) + kb("KSM", 0) + kb("LazyFree", 0) + kb("AnonHugePages", 0) +
    kb("ShmemPmdMapped", 0) + kb("FilePmdMapped", 0) + kb("Shared_Hugetlb", 0) + kb("Private_Hugetlb", 0) +
    kb("Swap", 0) + kb("SwapPss", 0) + kb("Locked", u.locked);
  return s;
}

// smaps: each mapping's maps line and its figures; smaps_rollup: their sums.
export function smaps(t: Task, rollup: boolean): string {
  const vmas = t.mm.vmas;
  if (!rollup) {
    return vmas.map((v) => `${mapsLine(t, v)}\n${body(usage(t, v), false)}THPeligible:    0\nVmFlags: ${vmFlags(v)}\n`).join("");
  }
  const sum: Usage = { size: 0, rss: 0, dirty: 0, anon: 0, locked: 0 };
  for (const v of vmas) {
    const u = usage(t, v);
    sum.size += u.size; sum.rss += u.rss; sum.dirty += u.dirty; sum.anon += u.anon; sum.locked += u.locked;
  }
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const lo = vmas.length ? vmas[0].start : 0, hi = vmas.length ? vmas[vmas.length - 1].end : 0;
  return `${hex(lo)}-${hex(hi)} ---p 00000000 00:00 0${" ".repeat(26)}[rollup]\n${body(sum, true)}`;
}

// pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
const PM_PRESENT = 1n << 63n;
const PM_FILE = 1n << 61n; // file page or shared anonymous
const PM_MMAP_EXCLUSIVE = 1n << 56n;
const PM_SOFT_DIRTY = 1n << 55n;

// /proc/[pid]/pagemap: one 64-bit entry per virtual page, read at any offset
// (a multiple of 8). The frame number shows only to CAP_SYS_ADMIN, as Linux
// since 4.2; others read it as 0.
export class PagemapFile extends Inode {
  readonly sb = procSb();
  readonly ino: number;
  constructor(key: string, private readonly k: Kernel, private readonly t: Task) {
    super();
    this.ino = procIno(key);
    this.mode = S_IFREG | 0o400;
  }
  override get size(): number { return 0; }
  override openOps(_f: File): FileOps {
    return {
      read: (_f2, dst, pos) => {
        const reader = this.k.current;
        const showPfn = reader !== null && hasCap(reader.cred, CAP_SYS_ADMIN);
        const first = Math.floor(pos / 8), n = Math.floor(dst.length / 8);
        if (pos % 8 !== 0 || n === 0) return 0;
        const dv = new DataView(dst.buffer, dst.byteOffset, n * 8);
        const mm = this.t.mm;
        for (let i = 0; i < n; i++) {
          const va = (first + i) * PAGE_SIZE;
          let e = 0n;
          const v = mm.findVma(va);
          const pte = v ? mm.pt.get(va) : 0;
          if (v && pte & 1) {
            e = PM_PRESENT | PM_SOFT_DIRTY;
            if (v.source || v.sharedAnon) e |= PM_FILE;
            if (!(pte & PTE_COW) && !v.shared) e |= PM_MMAP_EXCLUSIVE;
            if (showPfn) e |= BigInt((RAM_BASE + ptePa(pte)) / PAGE_SIZE);
          }
          dv.setBigUint64(i * 8, e, true);
        }
        return n * 8;
      },
    };
  }
}
