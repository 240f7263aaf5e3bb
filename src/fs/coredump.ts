// Core dumps (Linux's fs/coredump.c and binfmt_elf's elf_core_dump): when a
// signal whose default action is "core" kills a process whose RLIMIT_CORE is
// not 0 and which is dumpable, an ELF core file is written where
// /proc/sys/kernel/core_pattern says (default "core", in the process's
// working directory): PT_NOTE with NT_PRSTATUS and NT_PRFPREG for every
// thread (the dumping one first), NT_PRPSINFO, NT_SIGINFO, NT_AUXV and
// NT_FILE, then a PT_LOAD for every mapping. What a PT_LOAD holds follows the
// default coredump_filter (0x33): anonymous and written private memory whole,
// a file mapping that starts with an ELF header its first page, other file
// mappings nothing. The dump stops at RLIMIT_CORE bytes. A pattern that pipes
// to a program ("|...") is not supported: no dump.

import { KernelError } from "../lib/errors.js";
import { EM_RISCV, ET_CORE, PT_LOAD, PT_NOTE, NT_PRSTATUS, NT_PRFPREG, NT_PRPSINFO, NT_AUXV, NT_SIGINFO, NT_FILE } from "../abi/elf.js";
import { RegisterFile } from "../arch/riscv64/regs.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "../mm/vma.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { UserMemory } from "../mm/uaccess.js";
import { PTE_V } from "../mm/pagetable.js";
import { O_CREAT, O_WRONLY, O_EXCL, O_NOFOLLOW } from "../abi/fcntl.js";
import { openAt, walker, startPath } from "./vfs.js";
import { isReg } from "./inode.js";
import type { Kernel } from "../kernel/kernel.js";
import { KernelLocal } from "../kernel/local.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import { RLIMIT_CORE } from "../abi/resource.js";
import { rlimit } from "../kernel/task.js";

const PRSTATUS_SIZE = 376; // struct elf_prstatus on riscv64
const PRPSINFO_SIZE = 136; // struct elf_prpsinfo
const FPREGS_SIZE = 264; // struct __riscv_d_ext_state (33 u64)

export interface CoreSettings { pattern: string; usesPid: boolean }
// /proc/sys/kernel/core_pattern and core_uses_pid, per kernel; the sysctls
// are registered when the settings are first made.
const CORE_SETTINGS = new KernelLocal<CoreSettings>("core settings", (k) => {
  const cs: CoreSettings = { pattern: "core", usesPid: false };
  k.sysctls.push(["core_pattern", () => cs.pattern, (v) => { cs.pattern = v.replace(/\n$/, "").slice(0, 127); }]);
  k.sysctls.push(["core_uses_pid", () => (cs.usesPid ? "1" : "0"), (v) => { cs.usesPid = v.trim() !== "0"; }]);
  return cs;
});
export function coreSettings(k: Kernel): CoreSettings { return k.local(CORE_SETTINGS); }

// The core file's name from the pattern (%p %P %i %I %e %s %t %u %g %h %%).
function coreName(k: Kernel, tg: ThreadGroup, t: Task, sig: number): string {
  const s = coreSettings(k);
  let name = s.pattern.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case "p": case "P": return String(tg.pid);
      case "i": case "I": return String(t.tid);
      case "e": return t.comm.replace(/\//g, "!");
      case "s": return String(sig);
      case "t": return String(Math.floor(k.clock.realtime() / 1e9));
      case "u": return String(t.cred.uid);
      case "g": return String(t.cred.gid);
      case "h": return k.hostname;
      case "%": return "%";
      default: return "";
    }
  });
  if (s.usesPid && !/%p/.test(s.pattern)) name += `.${tg.pid}`;
  return name;
}

// A copy of a thread's registers (the hart's, if it is the one running).
function regsOf(k: Kernel, t: Task): RegisterFile {
  return (k.current === t ? k.hart.liveRegs() : new RegisterFile(t.regs)).copy();
}

class Notes {
  readonly parts: Uint8Array[] = [];
  add(type: number, desc: Uint8Array): void {
    const name = Buffer.from("CORE\0");
    const pad = (n: number) => (n + 3) & ~3;
    const b = new Uint8Array(12 + pad(name.length) + pad(desc.length));
    const dv = new DataView(b.buffer);
    dv.setUint32(0, name.length, true);
    dv.setUint32(4, desc.length, true);
    dv.setUint32(8, type, true);
    b.set(name, 12);
    b.set(desc, 12 + pad(name.length));
    this.parts.push(b);
  }
  get size(): number { return this.parts.reduce((n, p) => n + p.length, 0); }
}

function timeval(dv: DataView, off: number, ns: number): void {
  dv.setBigInt64(off, BigInt(Math.floor(ns / 1e9)), true);
  dv.setBigInt64(off + 8, BigInt(Math.floor((ns % 1e9) / 1000)), true);
}

function prstatus(k: Kernel, t: Task, sig: number): Uint8Array {
  const b = new Uint8Array(PRSTATUS_SIZE);
  const dv = new DataView(b.buffer);
  const tg = t.tg;
  dv.setInt32(0, sig, true); // pr_info.si_signo
  dv.setInt16(12, sig, true); // pr_cursig
  let pend = t.pending.mask | tg.shared.mask;
  dv.setBigUint64(16, pend >> 1n & 0xffffffffffffffffn, true); // bit n-1 for signal n
  pend = t.sigmask;
  dv.setBigUint64(24, pend >> 1n & 0xffffffffffffffffn, true);
  dv.setInt32(32, t.tid, true);
  dv.setInt32(36, tg.parent?.pid ?? 0, true);
  dv.setInt32(40, tg.pgid, true);
  dv.setInt32(44, tg.sid, true);
  timeval(dv, 48, t.utime);
  timeval(dv, 64, t.stime);
  timeval(dv, 80, tg.childUtime);
  timeval(dv, 96, tg.childStime);
  // pr_reg: pc, then x1..x31
  const r = regsOf(k, t);
  b.set(r.pcBytes, 112);
  b.set(r.gprBytes, 112 + r.pcBytes.length);
  dv.setInt32(368, 1, true); // pr_fpvalid
  return b;
}

function fpregs(k: Kernel, t: Task): Uint8Array {
  const r = regsOf(k, t);
  const b = new Uint8Array(FPREGS_SIZE);
  b.set(r.fprBytes, 0);
  new DataView(b.buffer).setUint32(r.fprBytes.length, r.fcsr, true);
  return b;
}

function prpsinfo(t: Task): Uint8Array {
  const b = new Uint8Array(PRPSINFO_SIZE);
  const dv = new DataView(b.buffer);
  const tg = t.tg;
  b[0] = 0; // pr_state: R
  b[1] = "R".charCodeAt(0);
  b[3] = t.nice & 0xff;
  dv.setUint32(16, t.cred.uid, true);
  dv.setUint32(20, t.cred.gid, true);
  dv.setInt32(24, tg.pid, true);
  dv.setInt32(28, tg.parent?.pid ?? 0, true);
  dv.setInt32(32, tg.pgid, true);
  dv.setInt32(36, tg.sid, true);
  b.set(Buffer.from(t.comm, "latin1").subarray(0, 15), 40);
  // pr_psargs: the command line, NULs as spaces, 80 bytes at most
  let args: Uint8Array = new Uint8Array(0);
  try { args = new UserMemory(t.mm).read(t.mm.argStart, Math.min(79, Math.max(0, t.mm.argEnd - t.mm.argStart))); } catch { /* gone */ }
  const a = Uint8Array.from(args, (c) => (c === 0 ? 32 : c));
  b.set(a.subarray(0, 79), 56);
  return b;
}

function siginfo(sig: number, code: number, addr: number): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, sig, true);
  dv.setInt32(8, code, true);
  dv.setBigUint64(16, BigInt(addr), true);
  return b;
}

// Writes the core file; true when one was written.
export function writeCore(k: Kernel, tg: ThreadGroup, sig: number, info: { code: number; addr: number }): boolean {
  const threads = [...tg.threads];
  const t = k.current && k.current.tg === tg ? k.current : threads[0];
  if (!t) return false;
  const limit = rlimit(tg, RLIMIT_CORE) < 0 ? Infinity : rlimit(tg, RLIMIT_CORE);
  const s = coreSettings(k);
  if (s.pattern.startsWith("|") || s.pattern === "") return false;
  const mm = t.mm;

  const notes = new Notes();
  const ordered = [t, ...threads.filter((x) => x !== t)];
  ordered.forEach((th, i) => {
    notes.add(NT_PRSTATUS, prstatus(k, th, sig));
    if (i === 0) {
      notes.add(NT_PRPSINFO, prpsinfo(th));
      notes.add(NT_SIGINFO, siginfo(sig, info.code, info.addr));
      notes.add(NT_AUXV, mm.auxv);
      const files = mm.vmas.filter((v) => v.source);
      const nf = new Uint8Array(16 + files.length * 24);
      const ndv = new DataView(nf.buffer);
      ndv.setBigUint64(0, BigInt(files.length), true);
      ndv.setBigUint64(8, BigInt(PAGE_SIZE), true);
      files.forEach((v, j) => {
        ndv.setBigUint64(16 + j * 24, BigInt(v.start), true);
        ndv.setBigUint64(24 + j * 24, BigInt(v.end), true);
        ndv.setBigUint64(32 + j * 24, BigInt(Math.floor(v.offset / PAGE_SIZE)), true);
      });
      const names = Buffer.from(files.map((v) => v.source!.path + "\0").join(""), "latin1");
      notes.add(NT_FILE, new Uint8Array(Buffer.concat([nf, names])));
    }
    notes.add(NT_PRFPREG, fpregs(k, th));
  });

  // What each mapping contributes (coredump_filter 0x33).
  const um = new UserMemory(mm);
  const segs = mm.vmas.map((v) => {
    let size = 0;
    if (!(v.prot & PROT_READ) || v.dontDump) size = 0; // vma_dump_size: VM_DONTDUMP gives nothing
    else if (!v.source || (v.prot & PROT_WRITE) || v.sharedAnon) size = v.end - v.start;
    else if (v.offset === 0) {
      try { const h = um.read(v.start, 4); if (h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46) size = PAGE_SIZE; } catch { /* unreadable */ }
    }
    return { v, size };
  });

  const phnum = 1 + segs.length;
  const phoff = 64;
  const noteOff = phoff + phnum * 56;
  let dataOff = Math.ceil((noteOff + notes.size) / PAGE_SIZE) * PAGE_SIZE;
  const head = new Uint8Array(dataOff);
  const dv = new DataView(head.buffer);
  head.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELF64, little-endian, version 1, SYSV
  dv.setUint16(16, ET_CORE, true);
  dv.setUint16(18, EM_RISCV, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setUint16(52, 64, true); // e_ehsize
  dv.setUint16(54, 56, true); // e_phentsize
  dv.setUint16(56, phnum, true);
  const ph = (i: number, type: number, flags: number, off: number, va: number, filesz: number, memsz: number, align: number) => {
    const o = phoff + i * 56;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, flags, true);
    dv.setBigUint64(o + 8, BigInt(off), true);
    dv.setBigUint64(o + 16, BigInt(va), true);
    dv.setBigUint64(o + 32, BigInt(filesz), true);
    dv.setBigUint64(o + 40, BigInt(memsz), true);
    dv.setBigUint64(o + 48, BigInt(align), true);
  };
  ph(0, PT_NOTE, 0, noteOff, 0, notes.size, 0, 0);
  let o = noteOff;
  for (const p of notes.parts) { head.set(p, o); o += p.length; }
  segs.forEach(({ v, size }, i) => {
    const flags = (v.prot & PROT_READ ? 4 : 0) | (v.prot & PROT_WRITE ? 2 : 0) | (v.prot & PROT_EXEC ? 1 : 0);
    ph(i + 1, PT_LOAD, flags, dataOff, v.start, size, v.end - v.start, PAGE_SIZE);
    dataOff += size;
  });

  // The file: an existing one is replaced (unlinked first, as Linux does).
  try {
    const name = coreName(k, tg, t, sig);
    const w = walker(t);
    const { parent, name: leaf } = w.walkParent(startPath(t, -100, name), name);
    if (leaf === null) return false;
    const old = w.lookupLast(parent, leaf, false, false);
    if (old) {
      if (!isReg(old.dentry.inode.mode)) return false;
      parent.dentry.inode.unlink(leaf);
      parent.dentry.drop(leaf);
    }
    const f = openAt(t, -100, name, O_CREAT | O_WRONLY | O_EXCL | O_NOFOLLOW, 0o600);
    let pos = 0;
    const zeros = new Uint8Array(PAGE_SIZE);
    const put = (b: Uint8Array): boolean => {
      const n = Math.min(b.length, limit - pos);
      if (n <= 0) return false;
      f.ops.write!(f, b.subarray(0, n), pos);
      pos += n;
      return n === b.length;
    };
    try {
      if (!put(head)) return true;
      for (const { v, size } of segs) {
        for (let a = v.start; a < v.start + size; a += PAGE_SIZE) {
          // An anonymous page never touched reads as zeros (and is not made now).
          let page: Uint8Array = zeros;
          if (v.source || (mm.pt.get(a) & PTE_V)) {
            try { page = um.read(a, PAGE_SIZE); } catch { page = zeros; } // past the file's end
          }
          if (!put(page)) return true;
        }
      }
    } finally {
      f.put();
    }
    return true;
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}
