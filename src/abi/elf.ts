// ELF64 as the riscv64 loader reads it: identification bytes, the file header,
// program headers, and the few dynamic/symbol/note records a vDSO or a core
// dump needs. Little-endian; EM_RISCV.

import { struct, bytes } from "./struct.js";

// e_ident
export const EI_MAG0 = 0;
export const EI_MAG1 = 1;
export const EI_MAG2 = 2;
export const EI_MAG3 = 3;
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const EI_PAD = 9;
export const EI_NIDENT = 16;

export const ELFMAG0 = 0x7f;
export const ELFMAG1 = 0x45; // 'E'
export const ELFMAG2 = 0x4c; // 'L'
export const ELFMAG3 = 0x46; // 'F'
export const ELFMAG: Readonly<Uint8Array> = Uint8Array.of(ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3);
export const SELFMAG = 4;

export const ELFCLASSNONE = 0;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATANONE = 0;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_NONE = 0;
export const EV_CURRENT = 1;
export const ELFOSABI_NONE = 0;
export const ELFOSABI_LINUX = 3;

// e_type
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_RISCV = 243;

// e_flags for riscv
export const EF_RISCV_RVC = 0x0001;
export const EF_RISCV_FLOAT_ABI = 0x0006;
export const EF_RISCV_FLOAT_ABI_SOFT = 0x0000;
export const EF_RISCV_FLOAT_ABI_SINGLE = 0x0002;
export const EF_RISCV_FLOAT_ABI_DOUBLE = 0x0004;
export const EF_RISCV_FLOAT_ABI_QUAD = 0x0006;
export const EF_RISCV_RVE = 0x0008;
export const EF_RISCV_TSO = 0x0010;

/** Elf64_Ehdr. */
export const Elf64_Ehdr = struct("Elf64_Ehdr", 64, {
  e_ident: [0, bytes(EI_NIDENT)],
  e_type: [16, "u16"],
  e_machine: [18, "u16"],
  e_version: [20, "u32"],
  e_entry: [24, "u64"],
  e_phoff: [32, "u64"],
  e_shoff: [40, "u64"],
  e_flags: [48, "u32"],
  e_ehsize: [52, "u16"],
  e_phentsize: [54, "u16"],
  e_phnum: [56, "u16"],
  e_shentsize: [58, "u16"],
  e_shnum: [60, "u16"],
  e_shstrndx: [62, "u16"],
});

// p_type
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_SHLIB = 5;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_LOOS = 0x6000_0000;
export const PT_HIOS = 0x6fff_ffff;
export const PT_LOPROC = 0x7000_0000;
export const PT_HIPROC = 0x7fff_ffff;
export const PT_GNU_EH_FRAME = 0x6474_e550;
export const PT_GNU_STACK = 0x6474_e551;
export const PT_GNU_RELRO = 0x6474_e552;
export const PT_GNU_PROPERTY = 0x6474_e553;
export const PT_RISCV_ATTRIBUTES = PT_LOPROC + 3;

// p_flags
export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

/** e_phnum value meaning "the real count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;

/** Elf64_Phdr. */
export const Elf64_Phdr = struct("Elf64_Phdr", 56, {
  p_type: [0, "u32"],
  p_flags: [4, "u32"],
  p_offset: [8, "u64"],
  p_vaddr: [16, "u64"],
  p_paddr: [24, "u64"],
  p_filesz: [32, "u64"],
  p_memsz: [40, "u64"],
  p_align: [48, "u64"],
});

/** Elf64_Shdr. */
export const Elf64_Shdr = struct("Elf64_Shdr", 64, {
  sh_name: [0, "u32"],
  sh_type: [4, "u32"],
  sh_flags: [8, "u64"],
  sh_addr: [16, "u64"],
  sh_offset: [24, "u64"],
  sh_size: [32, "u64"],
  sh_link: [40, "u32"],
  sh_info: [44, "u32"],
  sh_addralign: [48, "u64"],
  sh_entsize: [56, "u64"],
});

export const SHN_UNDEF = 0;
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;

/** Elf64_Dyn. */
export const Elf64_Dyn = struct("Elf64_Dyn", 16, {
  d_tag: [0, "i64"],
  d_val: [8, "u64"],
});

// d_tag
export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_HASH = 4;
export const DT_STRTAB = 5;
export const DT_SYMTAB = 6;
export const DT_RELA = 7;
export const DT_RELASZ = 8;
export const DT_RELAENT = 9;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_SONAME = 14;
export const DT_GNU_HASH = 0x6fff_fef5;
export const DT_VERSYM = 0x6fff_fff0;
export const DT_VERDEF = 0x6fff_fffc;
export const DT_VERDEFNUM = 0x6fff_fffd;

/** Elf64_Sym. */
export const Elf64_Sym = struct("Elf64_Sym", 24, {
  st_name: [0, "u32"],
  st_info: [4, "u8"],
  st_other: [5, "u8"],
  st_shndx: [6, "u16"],
  st_value: [8, "u64"],
  st_size: [16, "u64"],
});

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_TLS = 6;

/** Elf64_Nhdr; name and descriptor follow, each padded to 4 bytes. */
export const Elf64_Nhdr = struct("Elf64_Nhdr", 12, {
  n_namesz: [0, "u32"],
  n_descsz: [4, "u32"],
  n_type: [8, "u32"],
}, 4);

// note types
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_GNU_PROPERTY_TYPE_0 = 5;
export const NT_SIGINFO = 0x5349_4749;
export const NT_FILE = 0x4649_4c45;
export const NT_RISCV_CSR = 0x900;
export const NT_RISCV_VECTOR = 0x901;

/** True when `b` starts with a little-endian ELF64 header for riscv. */
export function isRiscv64Elf(b: Uint8Array): boolean {
  if (b.length < Elf64_Ehdr.size) return false;
  if (b[EI_MAG0] !== ELFMAG0 || b[EI_MAG1] !== ELFMAG1 || b[EI_MAG2] !== ELFMAG2 || b[EI_MAG3] !== ELFMAG3) return false;
  if (b[EI_CLASS] !== ELFCLASS64 || b[EI_DATA] !== ELFDATA2LSB) return false;
  const machine = b[18]! | (b[19]! << 8);
  return machine === EM_RISCV;
}
