// riscv_hwprobe: what the hart implements (arch/riscv64/kernel/sys_hwprobe.c).

import { kerr } from "../lib/errors.js";
import { EINVAL } from "../abi/errno.js";
import {
  riscv_hwprobe, RISCV_HWPROBE_KEY_MVENDORID, RISCV_HWPROBE_KEY_MARCHID, RISCV_HWPROBE_KEY_MIMPID,
  RISCV_HWPROBE_KEY_BASE_BEHAVIOR, RISCV_HWPROBE_KEY_IMA_EXT_0, RISCV_HWPROBE_KEY_CPUPERF_0,
  RISCV_HWPROBE_KEY_HIGHEST_VIRT_ADDRESS, RISCV_HWPROBE_KEY_TIME_CSR_FREQ, RISCV_HWPROBE_KEY_MISALIGNED_SCALAR_PERF,
  RISCV_HWPROBE_KEY_MISALIGNED_VECTOR_PERF, RISCV_HWPROBE_WHICH_CPUS, RISCV_HWPROBE_BASE_BEHAVIOR_IMA,
  RISCV_HWPROBE_IMA_FD, RISCV_HWPROBE_IMA_C, RISCV_HWPROBE_MISALIGNED_SCALAR_FAST, RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED,
} from "../abi/hwprobe.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { sizeArg, u32Arg } from "./args.js";
import type { Task } from "../kernel/task.js";
import { CPUMASK_SIZE } from "./sys_info.js";

function hwprobeValue(key: number): bigint | null {
  switch (key) {
    case RISCV_HWPROBE_KEY_MVENDORID: case RISCV_HWPROBE_KEY_MARCHID: case RISCV_HWPROBE_KEY_MIMPID: return 0n;
    case RISCV_HWPROBE_KEY_BASE_BEHAVIOR: return RISCV_HWPROBE_BASE_BEHAVIOR_IMA;
    case RISCV_HWPROBE_KEY_IMA_EXT_0: return RISCV_HWPROBE_IMA_FD | RISCV_HWPROBE_IMA_C;
    // Misaligned scalar accesses are done by the hart itself, at full speed.
    case RISCV_HWPROBE_KEY_CPUPERF_0: case RISCV_HWPROBE_KEY_MISALIGNED_SCALAR_PERF: return BigInt(RISCV_HWPROBE_MISALIGNED_SCALAR_FAST);
    case RISCV_HWPROBE_KEY_MISALIGNED_VECTOR_PERF: return BigInt(RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED);
    case RISCV_HWPROBE_KEY_HIGHEST_VIRT_ADDRESS: return (1n << 47n) - 1n;
    case RISCV_HWPROBE_KEY_TIME_CSR_FREQ: return 10_000_000n;
    default: return null;
  }
}

// As Linux: the CPU set is read for at most cpumask_size() bytes, and the
// pairs one at a time, so a pair_count past the caller's buffer answers the
// pairs before the fault and then EFAULT (never one read of count * 16).
function hwprobe(t: Task, pairs: number, count: number, cpusetsize: number, cpus: number, flags: number): number {
  if (flags & ~RISCV_HWPROBE_WHICH_CPUS) kerr(EINVAL);
  const m = um(t);
  const n = sizeArg(count);
  const setSize = Math.min(sizeArg(cpusetsize), CPUMASK_SIZE);
  const pairAt = (i: number): DataView => new DataView(m.read(pairs + i * riscv_hwprobe.size, riscv_hwprobe.size).buffer);
  if (flags & RISCV_HWPROBE_WHICH_CPUS) {
    // Which CPUs match every pair: CPU 0 matches when each value agrees.
    if (!cpusetsize || !cpus) kerr(EINVAL);
    let match = true;
    for (let i = 0; i < n; i++) {
      const dv = pairAt(i);
      const key = riscv_hwprobe.getBig(dv, 0, "key");
      const v = key < 0n || key > 100n ? null : hwprobeValue(Number(key));
      const want = riscv_hwprobe.getBig(dv, 0, "value");
      if (v === null) kerr(EINVAL);
      if (v !== want && !((Number(key) === RISCV_HWPROBE_KEY_IMA_EXT_0 || Number(key) === RISCV_HWPROBE_KEY_BASE_BEHAVIOR) && (v & want) === want)) match = false;
    }
    const set = m.read(cpus, setSize);
    const keep = set[0] & 1 && match ? 1 : 0;
    set.fill(0);
    set[0] = keep;
    m.write(cpus, set);
    return 0;
  }
  if (cpusetsize || cpus) {
    const set = m.read(cpus, setSize);
    if (!(set[0] & 1)) { /* no CPU we have: the answer is still CPU 0's */ }
  }
  for (let i = 0; i < n; i++) {
    const dv = pairAt(i);
    const key = riscv_hwprobe.getBig(dv, 0, "key");
    const v = key < 0n || key > 100n ? null : hwprobeValue(Number(key));
    if (v === null) { riscv_hwprobe.set(dv, 0, "key", -1n); riscv_hwprobe.set(dv, 0, "value", 0n); }
    else riscv_hwprobe.set(dv, 0, "value", v);
    m.write(pairs + i * riscv_hwprobe.size, new Uint8Array(dv.buffer));
  }
  return 0;
}

defineSyscalls({
  riscv_hwprobe: (t, pairs, count, size, cpus, flags) => hwprobe(t, pairs, count, size, cpus, u32Arg(flags)),
});
