// Auxiliary vector (the AT_* pairs after envp on the initial stack) for
// riscv64, and the bits the kernel puts in AT_HWCAP.
//
// Generic keys come from linux/auxvec.h, riscv ones from
// arch/riscv/include/uapi/asm/auxvec.h. riscv's ARCH_DLINFO adds the vDSO
// (AT_SYSINFO_EHDR), the cache descriptions (AT_L*_CACHE*) and, since Linux
// 6.5, AT_MINSIGSTKSZ.

import { struct } from "./struct.js";

export const AT_NULL = 0;
export const AT_IGNORE = 1;
export const AT_EXECFD = 2;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_NOTELF = 10;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
// 18–22 are reserved (used by other architectures).
export const AT_SECURE = 23;
export const AT_BASE_PLATFORM = 24;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
/** rseq: supported struct rseq feature size (Linux 6.3). */
export const AT_RSEQ_FEATURE_SIZE = 27;
/** rseq: required alignment of struct rseq (Linux 6.3). */
export const AT_RSEQ_ALIGN = 28;
/** More hwcap words (added after 6.1; riscv does not emit them). */
export const AT_HWCAP3 = 29;
export const AT_HWCAP4 = 30;
export const AT_EXECFN = 31;
// riscv
export const AT_SYSINFO_EHDR = 33;
export const AT_L1I_CACHESIZE = 40;
export const AT_L1I_CACHEGEOMETRY = 41;
export const AT_L1D_CACHESIZE = 42;
export const AT_L1D_CACHEGEOMETRY = 43;
export const AT_L2_CACHESIZE = 44;
export const AT_L2_CACHEGEOMETRY = 45;
export const AT_L3_CACHESIZE = 46;
export const AT_L3_CACHEGEOMETRY = 47;
export const AT_MINSIGSTKSZ = 51;

/**
 * Number of arch-specific auxv entries riscv's ARCH_DLINFO may add
 * (AT_VECTOR_SIZE_ARCH): 9 before Linux 6.5, 10 once AT_MINSIGSTKSZ was added.
 */
export const AT_VECTOR_SIZE_ARCH = 10;

/** Size of the random bytes AT_RANDOM points to. */
export const AT_RANDOM_BYTES = 16;

/** Elf64_auxv_t: one (key, value) pair. */
export const Elf64_auxv_t = struct("Elf64_auxv_t", 16, {
  a_type: [0, "u64"],
  a_val: [8, "u64"],
});

/** Linux's names for the keys above, by number. */
export const AUXV_NAMES: ReadonlyMap<number, string> = new Map([
  [AT_NULL, "AT_NULL"], [AT_IGNORE, "AT_IGNORE"], [AT_EXECFD, "AT_EXECFD"], [AT_PHDR, "AT_PHDR"],
  [AT_PHENT, "AT_PHENT"], [AT_PHNUM, "AT_PHNUM"], [AT_PAGESZ, "AT_PAGESZ"], [AT_BASE, "AT_BASE"],
  [AT_FLAGS, "AT_FLAGS"], [AT_ENTRY, "AT_ENTRY"], [AT_NOTELF, "AT_NOTELF"], [AT_UID, "AT_UID"],
  [AT_EUID, "AT_EUID"], [AT_GID, "AT_GID"], [AT_EGID, "AT_EGID"], [AT_PLATFORM, "AT_PLATFORM"],
  [AT_HWCAP, "AT_HWCAP"], [AT_CLKTCK, "AT_CLKTCK"], [AT_SECURE, "AT_SECURE"],
  [AT_BASE_PLATFORM, "AT_BASE_PLATFORM"], [AT_RANDOM, "AT_RANDOM"], [AT_HWCAP2, "AT_HWCAP2"],
  [AT_RSEQ_FEATURE_SIZE, "AT_RSEQ_FEATURE_SIZE"], [AT_RSEQ_ALIGN, "AT_RSEQ_ALIGN"],
  [AT_HWCAP3, "AT_HWCAP3"], [AT_HWCAP4, "AT_HWCAP4"], [AT_EXECFN, "AT_EXECFN"],
  [AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR"], [AT_L1I_CACHESIZE, "AT_L1I_CACHESIZE"],
  [AT_L1I_CACHEGEOMETRY, "AT_L1I_CACHEGEOMETRY"], [AT_L1D_CACHESIZE, "AT_L1D_CACHESIZE"],
  [AT_L1D_CACHEGEOMETRY, "AT_L1D_CACHEGEOMETRY"], [AT_L2_CACHESIZE, "AT_L2_CACHESIZE"],
  [AT_L2_CACHEGEOMETRY, "AT_L2_CACHEGEOMETRY"], [AT_L3_CACHESIZE, "AT_L3_CACHESIZE"],
  [AT_L3_CACHEGEOMETRY, "AT_L3_CACHEGEOMETRY"], [AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ"],
]);

/** AT_HWCAP bit for single-letter ISA extension `letter` ('A'..'Z'). */
export function hwcapIsa(letter: string): number {
  const c = letter.toUpperCase().charCodeAt(0) - 0x41;
  if (letter.length !== 1 || c < 0 || c > 25) throw new RangeError(`not an ISA letter: ${letter}`);
  return 1 << c;
}

// arch/riscv/include/uapi/asm/hwcap.h: 1 << (letter - 'A')
export const COMPAT_HWCAP_ISA_I = 1 << (0x49 - 0x41);
export const COMPAT_HWCAP_ISA_M = 1 << (0x4d - 0x41);
export const COMPAT_HWCAP_ISA_A = 1 << (0x41 - 0x41);
export const COMPAT_HWCAP_ISA_F = 1 << (0x46 - 0x41);
export const COMPAT_HWCAP_ISA_D = 1 << (0x44 - 0x41);
export const COMPAT_HWCAP_ISA_C = 1 << (0x43 - 0x41);
/** Linux 6.5. */
export const COMPAT_HWCAP_ISA_V = 1 << (0x56 - 0x41);

/** The AT_HWCAP of an RV64GC hart ("rv64imafdc"). */
export const HWCAP_RV64GC =
  COMPAT_HWCAP_ISA_I | COMPAT_HWCAP_ISA_M | COMPAT_HWCAP_ISA_A | COMPAT_HWCAP_ISA_F | COMPAT_HWCAP_ISA_D |
  COMPAT_HWCAP_ISA_C;
