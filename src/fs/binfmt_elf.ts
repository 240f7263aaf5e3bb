// ELF64 riscv64 executables: header and program-header parsing with every
// check that keeps a corrupt file an ENOEXEC rather than a crash.

import { kerr, KernelError } from "../lib/errors.js";
import { ENOEXEC } from "../abi/errno.js";
import {
  Elf64_Ehdr, Elf64_Phdr, EI_CLASS, EI_DATA, EI_VERSION, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
  ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, EM_RISCV, ET_DYN, ET_EXEC, PT_INTERP, PT_LOAD, PT_GNU_STACK,
} from "../abi/elf.js";

export interface ProgramHeader {
  type: number; flags: number; offset: number; vaddr: number; filesz: number; memsz: number; align: number;
}

export interface ElfImage {
  type: number; // ET_EXEC or ET_DYN
  entry: number;
  phoff: number;
  phnum: number;
  phentsize: number;
  phdrs: ProgramHeader[];
  interp: string | null;
  execStack: boolean;
}

export const ELF_MAX_PHDRS = 65536 / 56;

// Parses an ELF image; `read` reads file bytes at an offset. Throws ENOEXEC on anything malformed.
export function parseElf(read: (off: number, len: number) => Uint8Array, fileSize: number): ElfImage {
  try {
    return parse(read, fileSize);
  } catch (e) {
    if (e instanceof KernelError) throw e;
    if (e instanceof RangeError) kerr(ENOEXEC, "ELF field out of range");
    throw e;
  }
}

function parse(read: (off: number, len: number) => Uint8Array, fileSize: number): ElfImage {
  if (fileSize < Elf64_Ehdr.size) kerr(ENOEXEC);
  const hb = read(0, Elf64_Ehdr.size);
  if (hb.length < Elf64_Ehdr.size) kerr(ENOEXEC);
  if (hb[0] !== ELFMAG0 || hb[1] !== ELFMAG1 || hb[2] !== ELFMAG2 || hb[3] !== ELFMAG3) kerr(ENOEXEC);
  if (hb[EI_CLASS] !== ELFCLASS64 || hb[EI_DATA] !== ELFDATA2LSB || hb[EI_VERSION] !== EV_CURRENT) kerr(ENOEXEC);
  const dv = new DataView(hb.buffer, hb.byteOffset, hb.byteLength);
  const type = Elf64_Ehdr.get(dv, 0, "e_type");
  if (type !== ET_EXEC && type !== ET_DYN) kerr(ENOEXEC);
  if (Elf64_Ehdr.get(dv, 0, "e_machine") !== EM_RISCV) kerr(ENOEXEC);
  const phentsize = Elf64_Ehdr.get(dv, 0, "e_phentsize");
  const phnum = Elf64_Ehdr.get(dv, 0, "e_phnum");
  const phoff = Elf64_Ehdr.get(dv, 0, "e_phoff");
  if (phentsize !== Elf64_Phdr.size || phnum < 1 || phnum > ELF_MAX_PHDRS) kerr(ENOEXEC);
  if (phoff + phnum * phentsize > fileSize) kerr(ENOEXEC);
  const pb = read(phoff, phnum * phentsize);
  if (pb.length < phnum * phentsize) kerr(ENOEXEC);
  const pdv = new DataView(pb.buffer, pb.byteOffset, pb.byteLength);
  const phdrs: ProgramHeader[] = [];
  let interp: string | null = null;
  let execStack = false;
  for (let i = 0; i < phnum; i++) {
    const b = i * phentsize;
    const ph: ProgramHeader = {
      type: Elf64_Phdr.get(pdv, b, "p_type"),
      flags: Elf64_Phdr.get(pdv, b, "p_flags"),
      offset: Elf64_Phdr.get(pdv, b, "p_offset"),
      vaddr: Elf64_Phdr.get(pdv, b, "p_vaddr"),
      filesz: Elf64_Phdr.get(pdv, b, "p_filesz"),
      memsz: Elf64_Phdr.get(pdv, b, "p_memsz"),
      align: Elf64_Phdr.get(pdv, b, "p_align"),
    };
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz || ph.offset + ph.filesz > fileSize) kerr(ENOEXEC);
      if ((ph.vaddr % 4096) !== (ph.offset % 4096)) kerr(ENOEXEC);
    }
    if (ph.type === PT_INTERP) {
      if (interp !== null || ph.filesz < 2 || ph.filesz > 4096 || ph.offset + ph.filesz > fileSize) kerr(ENOEXEC);
      const s = read(ph.offset, ph.filesz);
      if (s[s.length - 1] !== 0) kerr(ENOEXEC);
      interp = Buffer.from(s.subarray(0, s.length - 1)).toString("latin1");
    }
    if (ph.type === PT_GNU_STACK) execStack = (ph.flags & 1) !== 0;
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) kerr(ENOEXEC);
  return {
    type, entry: Elf64_Ehdr.get(dv, 0, "e_entry"), phoff, phnum, phentsize, phdrs, interp, execStack,
  };
}
