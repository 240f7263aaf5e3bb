// CPU time the benchmarks read from the host (Linux's /proc).

import { readFileSync } from "node:fs";

/**
 * CPU milliseconds (user + system) of this process's waited-for children
 * (/proc/self/stat's cutime and cstime, in USER_HZ = 100 ticks a second): on
 * a loaded machine the wall time is mostly waiting for a core, the CPU time
 * is what a run costs. 10 ms steps, so take the mean over runs. NaN off Linux.
 */
export function childCpuMs(): number {
  try {
    const f = readFileSync("/proc/self/stat", "latin1");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[13]) + Number(rest[14])) * 10; // fields 16 and 17
  } catch {
    return NaN;
  }
}
