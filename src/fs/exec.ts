// execve: replace a task's program. ELF executables (static, static-pie, and
// dynamic through PT_INTERP) and `#!` scripts; the initial stack as Linux's
// create_elf_tables builds it.

import { kerr } from "../lib/errors.js";
import { EACCES, ENOEXEC, ELOOP, E2BIG, ENOENT, ETXTBSY } from "../abi/errno.js";
import { ET_DYN, PT_LOAD, PT_PHDR, PF_R, PF_W, PF_X } from "../abi/elf.js";
import * as AT from "../abi/auxv.js";
import { HWCAP_RV64GC } from "../abi/auxv.js";
import { SIG_IGN } from "../abi/signal.js";
import { REG_SP } from "../arch/riscv64/layout.js";
import { RegisterFile } from "../arch/riscv64/regs.js";
import { AddressSpace, STACK_TOP, pageDown, pageUp } from "../mm/mm.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type MapSource } from "../mm/vma.js";
import { UserMemory, type CStrings } from "../mm/uaccess.js";
import { PAGE_SIZE, type PhysAllocator } from "../mm/phys.js";
import { parseElf, type ElfImage } from "./binfmt_elf.js";
import { isLnk, isReg, type Inode } from "./inode.js";
import { MAY_EXEC, MAY_READ, permission, Walker } from "./namei.js";
import { pathName, MNT_NOEXEC, MNT_NOSUID, type Path } from "./dentry.js";
import type { RandomSource } from "../kernel/random.js";
import type { Task } from "../kernel/task.js";
import { RLIMIT_STACK } from "../abi/resource.js";
import { rlimit, SIG_DFL_ACTION } from "../kernel/task.js";
import { ptraceExec } from "../kernel/ptrace.js";
import { capBnd, credsChangeDumpability } from "../kernel/cred.js";
import { S_ISUID, S_ISGID, S_IXGRP } from "../abi/fcntl.js";

export const ELF_ET_DYN_BASE = 0x2aaaaaa000;
const MAX_ARG_STRLEN = 32 * PAGE_SIZE;
const MAX_INTERP_DEPTH = 4;
const INITIAL_STACK = 128 * 1024;

// A file as the page cache and mappings see it. A class, not an object of
// closures: every exec makes one per image it maps.
class InodeSource implements MapSource {
  readonly id: string;
  readonly dev: number;
  readonly ino: number;
  mayWrite: boolean | undefined = undefined;
  constructor(readonly key: Inode, readonly path: string) { this.id = path; this.dev = key.sb.dev; this.ino = key.ino; }
  readAt(off: number, dst: Uint8Array): number { return this.key.read(off, dst); }
  writeAt(off: number, src: Uint8Array): number { return this.key.writeFromCache(off, src); }
  size(): number { return this.key.size; }
}

export function inodeSource(inode: Inode, path: string): MapSource {
  return new InodeSource(inode, path);
}

function openExecutable(t: Task, start: Path, path: string, follow = true): { p: Path; name: string } {
  const w = new Walker(t.fs, t.cred);
  // An empty path is execveat's AT_EMPTY_PATH: the file start names itself.
  const p = path === "" ? start : w.resolve(start, path, follow);
  const inode = p.dentry.inode;
  // As may_open: execveat's AT_SYMLINK_NOFOLLOW on a symlink opens nothing.
  if (isLnk(inode.mode)) kerr(ELOOP);
  if (!isReg(inode.mode)) kerr(EACCES);
  if (p.mnt.flags & MNT_NOEXEC) kerr(EACCES);
  if (!permission(inode, MAY_EXEC, t.cred)) kerr(EACCES);
  // As Linux's deny_write_access: a file open for writing cannot be executed.
  if (inode.writers > 0) kerr(ETXTBSY);
  return { p, name: pathName(p, t.fs.root) };
}

function readAt(inode: Inode, off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  const n = inode.read(off, b);
  return b.subarray(0, n);
}

// The file's first page, read once: the `#!` line, the ELF header, its
// program headers and PT_INTERP's path nearly always lie in it (Linux's
// BINPRM_BUF_SIZE buffer plays the same part for the first two). It comes
// through the page cache, where the text's first page is mapped from
// anyway: a program run again costs no read of the file (on a host
// directory, no host call; hostfs drops the cached pages of a file the host
// changed, see HostInode.refresh).
const HEAD_SIZE = PAGE_SIZE;

// The parsed ELF header of a file that was executed, kept with its inode
// (issue #9: an exec of a program already in the page cache reuses its
// parsed ELF). It is a function of the head's bytes and the file's size
// alone (the parse read nothing past the head), so it stands while both are
// unchanged: every exec compares the cached head with the page cache's
// first page (a memcmp of at most 4 KiB), and a file rewritten in any way
// (a write, truncate, mmap store, or on a host directory a change on the
// host that drops its cached pages) is parsed again. No invalidation hook
// to forget: a stale entry is never used, it is replaced.
interface ParsedHead { size: number; bytes: Uint8Array; elf: ElfImage }
const parsedHeads = new WeakMap<Inode, ParsedHead>();

class FileHead {
  readonly bytes: Uint8Array;
  private known: ParsedHead | null = null;
  constructor(readonly inode: Inode, name: string, phys: PhysAllocator) {
    const n = Math.min(HEAD_SIZE, inode.size);
    const pa = phys.cache.getPage(inode, inodeSource(inode, name), 0, null);
    try {
      const page = phys.view(pa).subarray(0, n);
      const c = parsedHeads.get(inode);
      if (c !== undefined && c.size === inode.size && c.bytes.length === n && Buffer.compare(c.bytes, page) === 0) {
        this.bytes = c.bytes;
        this.known = c;
      } else {
        this.bytes = page.slice();
      }
    } finally { phys.put(pa); }
  }
  read(off: number, len: number): Uint8Array {
    return off + len <= this.bytes.length ? this.bytes.subarray(off, off + len) : readAt(this.inode, off, len);
  }

  // The file's ELF image (ENOEXEC if it is none): the one parsed from these
  // same bytes before, or parsed now and kept when the head held all of it.
  elf(): ElfImage {
    if (this.known !== null) return this.known.elf;
    const size = this.inode.size, bytes = this.bytes;
    let inHead = true;
    const elf = parseElf((off, len) => {
      if (off + len > bytes.length) inHead = false;
      return this.read(off, len);
    }, size);
    if (inHead) parsedHeads.set(this.inode, { size, bytes, elf });
    return elf;
  }
}

interface Loaded { bias: number; entry: number; phdrAddr: number; end: number; }

function loadImage(mm: AddressSpace, inode: Inode, path: string, elf: ElfImage, isInterp: boolean): Loaded {
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  const minVa = pageDown(Math.min(...loads.map((p) => p.vaddr)));
  const maxVa = pageUp(Math.max(...loads.map((p) => p.vaddr + p.memsz)));
  let bias = 0;
  if (elf.type === ET_DYN) {
    if (isInterp) {
      bias = mm.mmap(0, maxVa - minVa, 0, {}) - minVa;
      mm.unmap(bias + minVa, maxVa - minVa);
    } else {
      bias = ELF_ET_DYN_BASE - minVa;
    }
  }
  const src = inodeSource(inode, path);
  let end = 0;
  for (const ph of loads) {
    const prot = (ph.flags & PF_R ? PROT_READ : 0) | (ph.flags & PF_W ? PROT_WRITE : 0) | (ph.flags & PF_X ? PROT_EXEC : 0);
    const start = pageDown(ph.vaddr + bias);
    const fileEndVa = ph.vaddr + bias + ph.filesz;
    const fileMapEnd = pageUp(fileEndVa);
    const memEnd = pageUp(ph.vaddr + bias + ph.memsz);
    if (ph.filesz > 0) {
      mm.mmap(start, fileMapEnd - start, prot, {
        fixed: true, source: src, offset: pageDown(ph.offset), fileEnd: fileEndVa, name: path,
      });
    }
    const bssStart = ph.filesz > 0 ? fileMapEnd : start;
    if (memEnd > bssStart) mm.mmap(bssStart, memEnd - bssStart, prot, { fixed: true });
    end = Math.max(end, ph.vaddr + bias + ph.memsz);
  }
  let phdrAddr = 0;
  const pt = elf.phdrs.find((p) => p.type === PT_PHDR);
  if (pt) phdrAddr = pt.vaddr + bias;
  else {
    const seg = loads.find((p) => elf.phoff >= p.offset && elf.phoff + elf.phnum * elf.phentsize <= p.offset + p.filesz);
    if (seg) phdrAddr = seg.vaddr + (elf.phoff - seg.offset) + bias;
  }
  return { bias, entry: elf.entry + bias, phdrAddr, end };
}

// The sigreturn trampoline (Linux keeps it in the vDSO): li a7, 139; ecall.
const TRAMPOLINE = new Uint8Array([0x93, 0x08, 0xb0, 0x08, 0x73, 0x00, 0x00, 0x00]);

function mapTrampoline(mm: AddressSpace): number {
  const va = mm.mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, { name: "[vdso]" });
  new UserMemory(mm).write(va, TRAMPOLINE);
  mm.mprotect(va, PAGE_SIZE, PROT_READ | PROT_EXEC);
  return va;
}

// The initial stack, as Linux's create_elf_tables lays it out, from the top
// down: 8 bytes of zeros, execfn, the envp and argv strings (argv[0]
// lowest, so each vector reads upwards), AT_RANDOM's 16 bytes at a 16-byte
// boundary, then argc, argv[], NULL, envp[], NULL and the auxv pairs from sp
// (16-aligned) up. The whole image is built in one buffer and copied out in
// one write.
function buildStack(mm: AddressSpace, random: RandomSource, argv: CStrings, envp: CStrings, execfn: string, aux: readonly number[]): number {
  const argBytes = argv.bytes.length, envBytes = envp.bytes.length;
  const top = STACK_TOP - 8;
  const strLow = top - (argBytes + envBytes + execfn.length + 1);
  const randomAddr = Math.floor(strLow / 16) * 16 - 16;
  const nAux = aux.length / 2 + 3; // and AT_RANDOM, AT_EXECFN, AT_NULL
  const words = 1 + argv.count + 1 + envp.count + 1 + nAux * 2;
  const sp = Math.floor((randomAddr - words * 8) / 16) * 16;
  const img = Buffer.alloc(top - sp);
  const dv = new DataView(img.buffer, img.byteOffset, img.length);
  let o = putWord(dv, 0, argv.count);
  o = putStrings(img, dv, o, sp, argv, strLow);
  o = putStrings(img, dv, o, sp, envp, strLow + argBytes);
  const execfnAddr = strLow + argBytes + envBytes;
  img.write(execfn, execfnAddr - sp, "latin1");
  const auxStart = o;
  for (let i = 0; i < aux.length; i++) o = putWord(dv, o, aux[i]);
  o = putWord(dv, o, AT.AT_RANDOM); o = putWord(dv, o, randomAddr);
  o = putWord(dv, o, AT.AT_EXECFN); o = putWord(dv, o, execfnAddr);
  o = putWord(dv, o, AT.AT_NULL); o = putWord(dv, o, 0);
  random(img.subarray(randomAddr - sp, randomAddr - sp + 16));
  new UserMemory(mm).write(sp, img);
  mm.argStart = strLow; mm.argEnd = mm.envStart = strLow + argBytes; mm.envEnd = execfnAddr;
  mm.startStack = sp;
  mm.auxv = new Uint8Array(img.subarray(auxStart, o)); // /proc/PID/auxv, NT_AUXV (a copy)
  return sp;
}

// One word of the initial stack at o (counts, addresses and auxv values:
// non-negative and below 2^53); returns the offset after it.
function putWord(dv: DataView, o: number, v: number): number {
  dv.setUint32(o, v >>> 0, true);
  dv.setUint32(o + 4, Math.floor(v / 0x1_0000_0000), true);
  return o + 8;
}

// A vector's strings as they came (packed, with their NULs) at address at,
// and from word offset o a pointer to each and a NULL; returns the offset after.
function putStrings(img: Buffer, dv: DataView, o: number, sp: number, v: CStrings, at: number): number {
  img.set(v.bytes, at - sp);
  for (let i = 0, off = 0; i < v.count; i++) { o = putWord(dv, o, at + off); off = v.bytes.indexOf(0, off) + 1; }
  return putWord(dv, o, 0);
}

// A list of strings packed as execve takes them (the kernel's own execs: init, ghost run's program).
export function packStrings(list: readonly Uint8Array[]): CStrings {
  let n = 0;
  for (const b of list) n += b.length + 1;
  const bytes = new Uint8Array(n);
  let at = 0;
  for (const b of list) { bytes.set(b, at); at += b.length + 1; }
  return { bytes, count: list.length };
}

// The vector without its first string, after `first` (a #! line's interpreter, its argument, the script).
function replaceFirst(v: CStrings, first: Uint8Array[]): CStrings {
  const rest = v.count > 0 ? v.bytes.subarray(v.bytes.indexOf(0) + 1) : v.bytes;
  const head = packStrings(first);
  const bytes = new Uint8Array(head.bytes.length + rest.length);
  bytes.set(head.bytes);
  bytes.set(rest, head.bytes.length);
  return { bytes, count: first.length + Math.max(0, v.count - 1) };
}

// The longest string in a vector.
function longest(v: CStrings): number {
  let max = 0;
  for (let i = 0, off = 0; i < v.count; i++) { const end = v.bytes.indexOf(0, off); max = Math.max(max, end - off); off = end + 1; }
  return max;
}

// argv and envp: packed (as execve(2) read them from the caller) or a list.
export interface ExecArgs { argv: CStrings | Uint8Array[]; envp: CStrings | Uint8Array[] }

const packed = (v: CStrings | Uint8Array[]): CStrings => (Array.isArray(v) ? packStrings(v) : v as CStrings);

// Replaces t's program. Throws KernelError before the point of no return.
export function execve(t: Task, start: Path, path: string, args: ExecArgs, follow = true): void {
  let argv = packed(args.argv);
  const envp = packed(args.envp);
  // As Linux 5.18+: an empty argv becomes one empty string, so that argc is 1.
  if (argv.count === 0) argv = { bytes: new Uint8Array(1), count: 1 };
  // Each string with its NUL at most MAX_ARG_STRLEN; all of them, with a pointer each, at most 2 MiB.
  if (longest(argv) + 1 > MAX_ARG_STRLEN || longest(envp) + 1 > MAX_ARG_STRLEN) kerr(E2BIG);
  const total = argv.bytes.length + envp.bytes.length + 8 * (argv.count + envp.count);
  if (total > 2 * 1024 * 1024) kerr(E2BIG);
  let file = openExecutable(t, start, path, follow);
  let fileHead: FileHead;
  const execfn = path;
  // #! scripts: the interpreter runs with the script's path as an argument.
  for (let depth = 0; ; depth++) {
    fileHead = new FileHead(file.p.dentry.inode, file.name, t.k.phys);
    const head = fileHead.bytes.subarray(0, 256);
    if (head[0] !== 0x23 || head[1] !== 0x21) break;
    if (depth >= MAX_INTERP_DEPTH) kerr(ELOOP);
    let nl = head.indexOf(0x0a);
    if (nl < 0) nl = head.length;
    const line = Buffer.from(head.subarray(2, nl)).toString("latin1").replace(/^[ \t]+/, "").replace(/[ \t]+$/, "");
    if (!line) kerr(ENOEXEC);
    const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line)!;
    const interp = m[1];
    const newArgv = [Buffer.from(interp, "latin1")];
    if (m[2]) newArgv.push(Buffer.from(m[2], "latin1"));
    newArgv.push(Buffer.from(path, "latin1"));
    argv = replaceFirst(argv, newArgv);
    path = interp;
    file = openExecutable(t, start, interp);
  }
  const inode = file.p.dentry.inode;
  const elf = fileHead.elf();
  let interpInode: Inode | null = null;
  let interpElf: ElfImage | null = null;
  let interpName = "";
  if (elf.interp) {
    try {
      const ip = openExecutable(t, t.fs.root, elf.interp);
      interpInode = ip.p.dentry.inode;
      interpName = ip.name;
    } catch (e) {
      if ((e as { errno?: number }).errno === ENOENT) kerr(ENOENT);
      throw e;
    }
    const ii = interpInode;
    interpElf = new FileHead(ii, interpName, t.k.phys).elf();
    if (interpElf.interp) kerr(ENOEXEC);
  }

  const k = t.k;
  const mm = new AddressSpace(k.hart, k.phys);
  try {
    const main = loadImage(mm, inode, file.name, elf, false);
    mm.exePath = file.name;
    mm.exePathRef = file.p;
    // As Linux's exec (deny_write_access held by mm->exe_file): writers are refused while it runs.
    mm.exeDenyWrite = inode;
    inode.denyWrite++;
    const loads = elf.phdrs.filter((ph) => ph.type === PT_LOAD);
    const text = loads.find((ph) => ph.flags & PF_X), data = loads.find((ph) => ph.flags & PF_W);
    if (text) { mm.startCode = text.vaddr + main.bias; mm.endCode = text.vaddr + main.bias + text.filesz; }
    if (data) { mm.startData = data.vaddr + main.bias; mm.endData = data.vaddr + main.bias + data.filesz; }
    let entry = main.entry;
    let base = 0;
    if (interpInode && interpElf) {
      const li = loadImage(mm, interpInode, interpName, interpElf, true);
      entry = li.entry;
      base = li.bias;
    }
    mm.brkStart = mm.brk = pageUp(main.end);
    const stack = rlimit(t.tg, RLIMIT_STACK);
    mm.stackLimit = Math.max(stack < 0 ? 8 << 20 : stack, INITIAL_STACK);
    mm.mmap(STACK_TOP - INITIAL_STACK, INITIAL_STACK, PROT_READ | PROT_WRITE | (elf.execStack ? PROT_EXEC : 0),
      { fixed: true, growsDown: true, name: "[stack]" });
    mm.sigreturnTrampoline = mapTrampoline(mm);
    // Set-id bits give the program its file's owner (not on nosuid mounts or under no_new_privs).
    const c = { ...t.cred };
    if (!(file.p.mnt.flags & MNT_NOSUID) && !t.noNewPrivs) {
      if (inode.mode & S_ISUID) c.euid = inode.uid;
      if ((inode.mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) c.egid = inode.gid;
    }
    c.suid = c.euid; c.sgid = c.egid; c.fsuid = c.euid; c.fsgid = c.egid;
    // Without file capabilities: root (real or effective) gets them all, others none (Linux's root emulation).
    if (c.euid === 0 || c.uid === 0) { c.capPrm = t.noNewPrivs ? c.capPrm : c.capInh | capBnd(c); /* as Linux: root gets pI | bounding set */ c.capEff = c.euid === 0 ? c.capPrm : 0n; }
    else { c.capPrm = 0n; c.capEff = 0n; }
    const secure = c.euid !== c.uid || c.egid !== c.gid;
    // (type, value) pairs, flat: one array rather than one per pair.
    const aux = [
      AT.AT_HWCAP, HWCAP_RV64GC, AT.AT_PAGESZ, PAGE_SIZE, AT.AT_CLKTCK, 100,
      AT.AT_PHDR, main.phdrAddr, AT.AT_PHENT, elf.phentsize, AT.AT_PHNUM, elf.phnum,
      AT.AT_BASE, base, AT.AT_FLAGS, 0, AT.AT_ENTRY, main.entry,
      AT.AT_UID, c.uid, AT.AT_EUID, c.euid, AT.AT_GID, c.gid, AT.AT_EGID, c.egid,
      AT.AT_SECURE, secure ? 1 : 0, AT.AT_MINSIGSTKSZ, 2048,
    ];
    const sp = buildStack(mm, t.k.random, argv, envp, execfn, aux);

    // Point of no return.
    k.releaseVfork(t);
    if (t.tg.threads.size > 1) for (const other of [...t.tg.threads]) if (other !== t) k.exitTask(other, 0);
    const oldTid = t.tid;
    if (t.tid !== t.tg.pid) {
      // The exec'ing thread becomes the leader and takes the process's id (Linux's de_thread).
      k.tasks.delete(t.tid);
      t.tid = t.tg.pid;
      k.tasks.set(t.tid, t);
    }
    t.tg.execed = true;
    // Dumpability as Linux's begin_new_exec: off (fs.suid_dumpable is 0) when the
    // exec changes the credentials, when the caller's effective ids already
    // differ from its real ones, or when the caller cannot read the program or
    // its interpreter (would_dump); otherwise on again. A credential change
    // also clears the parent-death signal (commit_creds), as an AT_SECURE exec does.
    const was = t.cred;
    const credsChange = credsChangeDumpability(was, c);
    const nondump = credsChange || was.euid !== was.uid || was.egid !== was.gid ||
      !permission(inode, MAY_READ, was) || (interpInode !== null && !permission(interpInode, MAY_READ, was));
    if (credsChange || secure) t.pdeathSignal = 0; // and a secure exec's parent may not signal it (begin_new_exec)
    for (const th of t.tg.threads) Object.assign(th.cred, c);
    t.tg.dumpable = nondump ? 0 : 1;
    for (const pt of t.tg.posixTimers.values()) pt.timer.disarm();
    t.tg.posixTimers.clear();
    const old = t.mm;
    if (old.maxRssPages > t.tg.maxRss) t.tg.maxRss = old.maxRssPages; // exec_mmap's setmax_mm_hiwater_rss
    t.mm = mm;
    if (k.current === t) mm.activate();
    if (--old.users === 0) old.destroy();
    t.files.closeOnExec();
    if (t.sighand.refs > 1) { t.sighand.refs--; t.sighand = t.sighand.clone(); }
    const acts = t.sighand.actions;
    for (let sig = 0; sig < acts.length; sig++) if (acts[sig].handler !== SIG_IGN) acts[sig] = SIG_DFL_ACTION;
    t.altstack = { sp: 0, flags: 2, size: 0 };
    t.clearChildTid = 0;
    // The name execve was given, not the interpreter's (a script shows as
    // itself, as Linux's kbasename(bprm->filename)); fd-based execs, the file's.
    const named = execfn !== "" && !/^\/dev\/fd\/\d+$/.test(execfn) ? execfn : file.name;
    t.comm = named.slice(named.lastIndexOf("/") + 1).slice(0, 15);
    const regs = k.current === t ? k.hart.liveRegs() : new RegisterFile(t.regs);
    regs.clear();
    regs.pc = entry;
    regs.setX(REG_SP, sp);
    if (t.ptrace) ptraceExec(t, oldTid);
  } catch (e) {
    // Past the point of no return the new image is the task's: never free it under it.
    if (t.mm !== mm) mm.destroy();
    throw e;
  }
}
