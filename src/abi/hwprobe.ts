// riscv_hwprobe(2) (syscall 258, Linux 6.4+): keys, values and struct layout
// as of Linux 6.15 (arch/riscv/include/uapi/asm/hwprobe.h).
//
//   long riscv_hwprobe(struct riscv_hwprobe *pairs, size_t pair_count,
//                      size_t cpusetsize, cpu_set_t *cpus, unsigned int flags);
//
// An unknown key comes back with key = -1 and value = 0.
//
// None of this is in the installed Linux 6.1 headers, so the test cannot check
// it against them. Provenance: the values are the header's; which of them 6.15
// has follows the header history — IMA_EXT_0 bits 0–48 (through Zawrs) were in
// by 6.11, Supm (49) came in 6.13, bits 50–58 (Zicntr, Zihpm, Zfbfmin,
// Zvfbfmin, Zvfbfwma, Zicbom, Zaamo, Zalrsc, Zabha) and KEY_ZICBOM_BLOCK_SIZE
// (12) in 6.15. Later additions (KEY_VENDOR_EXT_SIFIVE_0 = 13, Zalasr and
// others, KEY_IMA_EXT_1) are not part of 6.15 and are left out.

import { struct } from "./struct.js";

export const riscv_hwprobe = struct("struct riscv_hwprobe", 16, {
  key: [0, "i64"],
  value: [8, "u64"],
});

// keys
export const RISCV_HWPROBE_KEY_MVENDORID = 0;
export const RISCV_HWPROBE_KEY_MARCHID = 1;
export const RISCV_HWPROBE_KEY_MIMPID = 2;
export const RISCV_HWPROBE_KEY_BASE_BEHAVIOR = 3;
export const RISCV_HWPROBE_KEY_IMA_EXT_0 = 4;
/** Deprecated in favour of KEY_MISALIGNED_SCALAR_PERF; same values. */
export const RISCV_HWPROBE_KEY_CPUPERF_0 = 5;
export const RISCV_HWPROBE_KEY_ZICBOZ_BLOCK_SIZE = 6;
export const RISCV_HWPROBE_KEY_HIGHEST_VIRT_ADDRESS = 7;
export const RISCV_HWPROBE_KEY_TIME_CSR_FREQ = 8;
export const RISCV_HWPROBE_KEY_MISALIGNED_SCALAR_PERF = 9;
export const RISCV_HWPROBE_KEY_MISALIGNED_VECTOR_PERF = 10;
export const RISCV_HWPROBE_KEY_VENDOR_EXT_THEAD_0 = 11;
export const RISCV_HWPROBE_KEY_ZICBOM_BLOCK_SIZE = 12;
/** Highest key Linux 6.15 knows (RISCV_HWPROBE_MAX_KEY). */
export const RISCV_HWPROBE_MAX_KEY = 12;

// flags
/** Reverse mode: reduce the cpu set to the CPUs matching every pair. */
export const RISCV_HWPROBE_WHICH_CPUS = 1 << 0;

// KEY_BASE_BEHAVIOR
export const RISCV_HWPROBE_BASE_BEHAVIOR_IMA = 1n << 0n;

// KEY_IMA_EXT_0 (a 64-bit mask, so bigint)
export const RISCV_HWPROBE_IMA_FD = 1n << 0n;
export const RISCV_HWPROBE_IMA_C = 1n << 1n;
export const RISCV_HWPROBE_IMA_V = 1n << 2n;
export const RISCV_HWPROBE_EXT_ZBA = 1n << 3n;
export const RISCV_HWPROBE_EXT_ZBB = 1n << 4n;
export const RISCV_HWPROBE_EXT_ZBS = 1n << 5n;
export const RISCV_HWPROBE_EXT_ZICBOZ = 1n << 6n;
export const RISCV_HWPROBE_EXT_ZBC = 1n << 7n;
export const RISCV_HWPROBE_EXT_ZBKB = 1n << 8n;
export const RISCV_HWPROBE_EXT_ZBKC = 1n << 9n;
export const RISCV_HWPROBE_EXT_ZBKX = 1n << 10n;
export const RISCV_HWPROBE_EXT_ZKND = 1n << 11n;
export const RISCV_HWPROBE_EXT_ZKNE = 1n << 12n;
export const RISCV_HWPROBE_EXT_ZKNH = 1n << 13n;
export const RISCV_HWPROBE_EXT_ZKSED = 1n << 14n;
export const RISCV_HWPROBE_EXT_ZKSH = 1n << 15n;
export const RISCV_HWPROBE_EXT_ZKT = 1n << 16n;
export const RISCV_HWPROBE_EXT_ZVBB = 1n << 17n;
export const RISCV_HWPROBE_EXT_ZVBC = 1n << 18n;
export const RISCV_HWPROBE_EXT_ZVKB = 1n << 19n;
export const RISCV_HWPROBE_EXT_ZVKG = 1n << 20n;
export const RISCV_HWPROBE_EXT_ZVKNED = 1n << 21n;
export const RISCV_HWPROBE_EXT_ZVKNHA = 1n << 22n;
export const RISCV_HWPROBE_EXT_ZVKNHB = 1n << 23n;
export const RISCV_HWPROBE_EXT_ZVKSED = 1n << 24n;
export const RISCV_HWPROBE_EXT_ZVKSH = 1n << 25n;
export const RISCV_HWPROBE_EXT_ZVKT = 1n << 26n;
export const RISCV_HWPROBE_EXT_ZFH = 1n << 27n;
export const RISCV_HWPROBE_EXT_ZFHMIN = 1n << 28n;
export const RISCV_HWPROBE_EXT_ZIHINTNTL = 1n << 29n;
export const RISCV_HWPROBE_EXT_ZVFH = 1n << 30n;
export const RISCV_HWPROBE_EXT_ZVFHMIN = 1n << 31n;
export const RISCV_HWPROBE_EXT_ZFA = 1n << 32n;
export const RISCV_HWPROBE_EXT_ZTSO = 1n << 33n;
export const RISCV_HWPROBE_EXT_ZACAS = 1n << 34n;
export const RISCV_HWPROBE_EXT_ZICOND = 1n << 35n;
export const RISCV_HWPROBE_EXT_ZIHINTPAUSE = 1n << 36n;
export const RISCV_HWPROBE_EXT_ZVE32X = 1n << 37n;
export const RISCV_HWPROBE_EXT_ZVE32F = 1n << 38n;
export const RISCV_HWPROBE_EXT_ZVE64X = 1n << 39n;
export const RISCV_HWPROBE_EXT_ZVE64F = 1n << 40n;
export const RISCV_HWPROBE_EXT_ZVE64D = 1n << 41n;
export const RISCV_HWPROBE_EXT_ZIMOP = 1n << 42n;
export const RISCV_HWPROBE_EXT_ZCA = 1n << 43n;
export const RISCV_HWPROBE_EXT_ZCB = 1n << 44n;
export const RISCV_HWPROBE_EXT_ZCD = 1n << 45n;
export const RISCV_HWPROBE_EXT_ZCF = 1n << 46n;
export const RISCV_HWPROBE_EXT_ZCMOP = 1n << 47n;
export const RISCV_HWPROBE_EXT_ZAWRS = 1n << 48n;
export const RISCV_HWPROBE_EXT_SUPM = 1n << 49n;
export const RISCV_HWPROBE_EXT_ZICNTR = 1n << 50n;
export const RISCV_HWPROBE_EXT_ZIHPM = 1n << 51n;
export const RISCV_HWPROBE_EXT_ZFBFMIN = 1n << 52n;
export const RISCV_HWPROBE_EXT_ZVFBFMIN = 1n << 53n;
export const RISCV_HWPROBE_EXT_ZVFBFWMA = 1n << 54n;
export const RISCV_HWPROBE_EXT_ZICBOM = 1n << 55n;
export const RISCV_HWPROBE_EXT_ZAAMO = 1n << 56n;
export const RISCV_HWPROBE_EXT_ZALRSC = 1n << 57n;
export const RISCV_HWPROBE_EXT_ZABHA = 1n << 58n;

// KEY_CPUPERF_0 (deprecated) — values shared with KEY_MISALIGNED_SCALAR_PERF
export const RISCV_HWPROBE_MISALIGNED_UNKNOWN = 0;
export const RISCV_HWPROBE_MISALIGNED_EMULATED = 1;
export const RISCV_HWPROBE_MISALIGNED_SLOW = 2;
export const RISCV_HWPROBE_MISALIGNED_FAST = 3;
export const RISCV_HWPROBE_MISALIGNED_UNSUPPORTED = 4;
export const RISCV_HWPROBE_MISALIGNED_MASK = 7;

// KEY_MISALIGNED_SCALAR_PERF
export const RISCV_HWPROBE_MISALIGNED_SCALAR_UNKNOWN = 0;
export const RISCV_HWPROBE_MISALIGNED_SCALAR_EMULATED = 1;
export const RISCV_HWPROBE_MISALIGNED_SCALAR_SLOW = 2;
export const RISCV_HWPROBE_MISALIGNED_SCALAR_FAST = 3;
export const RISCV_HWPROBE_MISALIGNED_SCALAR_UNSUPPORTED = 4;

// KEY_MISALIGNED_VECTOR_PERF (no "emulated" value)
export const RISCV_HWPROBE_MISALIGNED_VECTOR_UNKNOWN = 0;
export const RISCV_HWPROBE_MISALIGNED_VECTOR_SLOW = 2;
export const RISCV_HWPROBE_MISALIGNED_VECTOR_FAST = 3;
export const RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED = 4;

// KEY_VENDOR_EXT_THEAD_0 (asm/vendor/thead.h)
export const RISCV_HWPROBE_VENDOR_EXT_XTHEADVECTOR = 1n << 0n;

/** Keys whose value is a bitmask (matched with AND under WHICH_CPUS). */
export const HWPROBE_BITMASK_KEYS: ReadonlySet<number> = new Set([
  RISCV_HWPROBE_KEY_BASE_BEHAVIOR,
  RISCV_HWPROBE_KEY_IMA_EXT_0,
  RISCV_HWPROBE_KEY_CPUPERF_0,
  RISCV_HWPROBE_KEY_VENDOR_EXT_THEAD_0,
]);

/** IMA_EXT_0 bits by the extension's lower-case name. */
export const HWPROBE_IMA_EXT_0: ReadonlyMap<string, bigint> = new Map([
  ["fd", RISCV_HWPROBE_IMA_FD], ["c", RISCV_HWPROBE_IMA_C], ["v", RISCV_HWPROBE_IMA_V],
  ["zba", RISCV_HWPROBE_EXT_ZBA], ["zbb", RISCV_HWPROBE_EXT_ZBB], ["zbs", RISCV_HWPROBE_EXT_ZBS],
  ["zicboz", RISCV_HWPROBE_EXT_ZICBOZ], ["zbc", RISCV_HWPROBE_EXT_ZBC], ["zbkb", RISCV_HWPROBE_EXT_ZBKB],
  ["zbkc", RISCV_HWPROBE_EXT_ZBKC], ["zbkx", RISCV_HWPROBE_EXT_ZBKX], ["zknd", RISCV_HWPROBE_EXT_ZKND],
  ["zkne", RISCV_HWPROBE_EXT_ZKNE], ["zknh", RISCV_HWPROBE_EXT_ZKNH], ["zksed", RISCV_HWPROBE_EXT_ZKSED],
  ["zksh", RISCV_HWPROBE_EXT_ZKSH], ["zkt", RISCV_HWPROBE_EXT_ZKT], ["zvbb", RISCV_HWPROBE_EXT_ZVBB],
  ["zvbc", RISCV_HWPROBE_EXT_ZVBC], ["zvkb", RISCV_HWPROBE_EXT_ZVKB], ["zvkg", RISCV_HWPROBE_EXT_ZVKG],
  ["zvkned", RISCV_HWPROBE_EXT_ZVKNED], ["zvknha", RISCV_HWPROBE_EXT_ZVKNHA],
  ["zvknhb", RISCV_HWPROBE_EXT_ZVKNHB], ["zvksed", RISCV_HWPROBE_EXT_ZVKSED],
  ["zvksh", RISCV_HWPROBE_EXT_ZVKSH], ["zvkt", RISCV_HWPROBE_EXT_ZVKT], ["zfh", RISCV_HWPROBE_EXT_ZFH],
  ["zfhmin", RISCV_HWPROBE_EXT_ZFHMIN], ["zihintntl", RISCV_HWPROBE_EXT_ZIHINTNTL],
  ["zvfh", RISCV_HWPROBE_EXT_ZVFH], ["zvfhmin", RISCV_HWPROBE_EXT_ZVFHMIN], ["zfa", RISCV_HWPROBE_EXT_ZFA],
  ["ztso", RISCV_HWPROBE_EXT_ZTSO], ["zacas", RISCV_HWPROBE_EXT_ZACAS], ["zicond", RISCV_HWPROBE_EXT_ZICOND],
  ["zihintpause", RISCV_HWPROBE_EXT_ZIHINTPAUSE], ["zve32x", RISCV_HWPROBE_EXT_ZVE32X],
  ["zve32f", RISCV_HWPROBE_EXT_ZVE32F], ["zve64x", RISCV_HWPROBE_EXT_ZVE64X],
  ["zve64f", RISCV_HWPROBE_EXT_ZVE64F], ["zve64d", RISCV_HWPROBE_EXT_ZVE64D],
  ["zimop", RISCV_HWPROBE_EXT_ZIMOP], ["zca", RISCV_HWPROBE_EXT_ZCA], ["zcb", RISCV_HWPROBE_EXT_ZCB],
  ["zcd", RISCV_HWPROBE_EXT_ZCD], ["zcf", RISCV_HWPROBE_EXT_ZCF], ["zcmop", RISCV_HWPROBE_EXT_ZCMOP],
  ["zawrs", RISCV_HWPROBE_EXT_ZAWRS], ["supm", RISCV_HWPROBE_EXT_SUPM], ["zicntr", RISCV_HWPROBE_EXT_ZICNTR],
  ["zihpm", RISCV_HWPROBE_EXT_ZIHPM], ["zfbfmin", RISCV_HWPROBE_EXT_ZFBFMIN],
  ["zvfbfmin", RISCV_HWPROBE_EXT_ZVFBFMIN], ["zvfbfwma", RISCV_HWPROBE_EXT_ZVFBFWMA],
  ["zicbom", RISCV_HWPROBE_EXT_ZICBOM], ["zaamo", RISCV_HWPROBE_EXT_ZAAMO],
  ["zalrsc", RISCV_HWPROBE_EXT_ZALRSC], ["zabha", RISCV_HWPROBE_EXT_ZABHA],
]);
