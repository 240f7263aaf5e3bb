// The interpreter's speed without the kernel: nanoseconds of CPU time per
// guest instruction that Hart.run() (src/arch/riscv64/wasm/, GHOST_JIT=0)
// retires, on guest code that makes no system calls, so that nothing but the
// interpreter runs (no page faults, no syscalls, no start-up): a tool for
// measuring a change to the interpreter in CPU-time pairs on a loaded
// machine. Rows:
//   floor   1000 c.addi and a jump back: the per-instruction skeleton (fetch,
//           budget, dispatch) with the cheapest handler
//   mix     bench/interp/work.c built for rv64gc: compressed and 32-bit
//           instructions as compilers mix them
//   mix-32  the same built for rv64g: only 32-bit instructions
//
//   node dist/bench/interp.js [--reps N] [--millions M] [--wasm FILE] [--dispatch] [--json]
//
// --dispatch runs the rows through the JIT's dispatcher (jitRun) instead of
// run(), with nothing translated: block starts are counted and every one that
// gets hot is deferred as the compile budget defers it (its count starts
// again, the threshold doubles up to the JIT's cap), which is what a JIT
// window costs on code that translates nothing.
//
// Each rep runs M million instructions (default 100) after a warm-up; the
// median and minimum of N reps (default 5) are printed with the load average,
// and written to build/bench/interp.json. --wasm runs another build of the
// hart (e.g. a copy of dist/hart.wasm from before a change) for A/B pairs.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";
import * as L from "../src/arch/riscv64/layout.js";

const root = findRoot("bench");
const outDir = join(root, "build", "bench");
const RISCV_CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const TIMEOUT_MS = 300_000;

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : d;
};
const reps = Math.max(1, Number(arg("--reps", "5")));
const millions = Math.max(1, Number(arg("--millions", "100")));
const wasmFile = arg("--wasm", join(root, "dist", "hart.wasm"));
const dispatch = process.argv.includes("--dispatch");

// Guest memory: VA 0..2 MiB mapped read/write/execute to PA VA + 1 MiB
// (Sv48, one leaf table); the tables themselves at PA 0..16 KiB.
const RAM = 4 << 20;
const VA_OFFSET = 0x100000;
const CODE = 0x10000;
const STACK_TOP = 0x1ff000;

interface Image { entry: number; segments: { vaddr: number; bytes: Uint8Array }[] }

function compile(march: string): Image {
  mkdirSync(outDir, { recursive: true });
  const elf = join(outDir, `interp-work-${march}.elf`);
  const r = spawnSync(RISCV_CC, ["-O2", `-march=${march}`, "-mabi=lp64d", "-nostdlib", "-static", "-ffreestanding",
    "-fno-pic", `-Wl,-Ttext=0x${CODE.toString(16)}`, "-Wl,--no-relax", "-Wl,--build-id=none", "-Wl,-e,_start",
    "-o", elf, join(root, "bench", "interp", "work.c")], { encoding: "utf8", timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
  if (r.status !== 0) throw new Error(`${RISCV_CC} failed: ${r.stderr || r.error}`);
  // The PT_LOAD segments of a 64-bit little-endian ELF.
  const f = readFileSync(elf);
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const phoff = Number(dv.getBigUint64(0x20, true));
  const phentsize = dv.getUint16(0x36, true);
  const segments: Image["segments"] = [];
  for (let i = 0; i < dv.getUint16(0x38, true); i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== 1) continue;
    const off = Number(dv.getBigUint64(p + 8, true));
    segments.push({ vaddr: Number(dv.getBigUint64(p + 16, true)), bytes: f.subarray(off, off + Number(dv.getBigUint64(p + 32, true))) });
  }
  return { entry: Number(dv.getBigUint64(0x18, true)), segments };
}

// 1000 c.addi a0, 1 and a jal back to the first.
function floorImage(): Image {
  const n = 1000;
  const b = new Uint8Array(2 * n + 4);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setUint16(2 * i, 0x0505, true);
  const imm = (-2 * n) & 0x1fffff;
  dv.setUint32(2 * n, ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | 0x6f) >>> 0, true);
  return { entry: CODE, segments: [{ vaddr: CODE, bytes: b }] };
}

interface Result { row: string; nsPerInsn: { median: number; min: number; all: number[] } }

function measure(row: string, image: Image): Result {
  const pages = Math.ceil((L.RAM_BASE + RAM) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const table = new WebAssembly.Table({ initial: 256, element: "anyfunc" });
  const w = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmFile)), { env: { memory, table } }).exports as
    {
      run(budget: number): number; jitRun(budget: number): number; jitSetThreshold(n: number): void;
      tlbFlushAll(): void; setAsid(asid: number): void;
    };
  const dv = new DataView(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  dv.setUint32(L.RAM_SIZE, RAM, true);
  w.tlbFlushAll();
  const pte = (pa: number, flags: number) => (BigInt(pa >>> 12) << 10n) | BigInt(flags);
  dv.setBigUint64(L.RAM_BASE + 0x0000, pte(0x1000, 1), true);
  dv.setBigUint64(L.RAM_BASE + 0x1000, pte(0x2000, 1), true);
  dv.setBigUint64(L.RAM_BASE + 0x2000, pte(0x3000, 1), true);
  // V R W X U A D
  for (let i = 1; i < 512; i++) dv.setBigUint64(L.RAM_BASE + 0x3000 + 8 * i, pte(VA_OFFSET + i * 4096, 0xdf), true);
  dv.setBigUint64(L.SATP_ROOT, 0n, true);
  w.setAsid(1);
  for (const s of image.segments) u8.set(s.bytes, L.RAM_BASE + VA_OFFSET + s.vaddr);
  dv.setBigUint64(L.PC, BigInt(image.entry), true);
  dv.setBigUint64(L.X_REGS + 8 * 2, BigInt(STACK_TOP), true);
  const budget = 100_000;
  u8.fill(0xff, L.JIT_MAP, L.JIT_MAP + L.JIT_MAP_ENTRIES * 16);
  let threshold = 50;
  w.jitSetThreshold(threshold);
  // jitRun until the budget is spent, deferring every hot block start (jit.ts's hot() over budget).
  const viaDispatcher = (): number => {
    let left = budget;
    for (;;) {
      const cause = w.jitRun(left);
      left = dv.getInt32(L.JIT_LEFT, true);
      if (cause !== L.CAUSE_JIT_HOT) return cause;
      const pc = Number(dv.getBigUint64(L.JIT_HOT_PC, true));
      dv.setInt32(L.JIT_COUNTERS + (((pc >>> 1) & L.JIT_COUNTER_MASK) << 2), 0, true);
      if (threshold < 1 << 16) w.jitSetThreshold(threshold *= 2);
    }
  };
  const step = (): void => {
    const cause = dispatch ? viaDispatcher() : w.run(budget);
    if (cause !== L.CAUSE_BUDGET) throw new Error(`${row}: the guest trapped (cause ${cause}) at pc 0x${dv.getBigUint64(L.PC, true).toString(16)}`);
  };
  for (let i = 0; i < 200; i++) step(); // warm-up: V8's tier-up of the interpreter
  const all: number[] = [];
  for (let r = 0; r < reps; r++) {
    const i0 = dv.getBigUint64(L.INSTRET, true);
    const t0 = process.cpuUsage();
    for (let i = 0; i < millions * 10; i++) step();
    const t = process.cpuUsage(t0);
    all.push(((t.user + t.system) * 1000) / Number(dv.getBigUint64(L.INSTRET, true) - i0));
  }
  const sorted = [...all].sort((a, b) => a - b);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return { row, nsPerInsn: { median: r3(sorted[(sorted.length - 1) >> 1]), min: r3(sorted[0]), all: all.map(r3) } };
}

function main(): void {
  const load = loadavg()[0];
  const results = [measure("floor", floorImage()), measure("mix", compile("rv64gc")), measure("mix-32", compile("rv64g"))];
  const out = { date: new Date().toISOString(), wasm: wasmFile, dispatch, millions, reps, loadAverage: load, results };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "interp.json"), JSON.stringify(out, null, 2) + "\n");
  if (process.argv.includes("--json")) { process.stdout.write(JSON.stringify(out, null, 2) + "\n"); return; }
  process.stdout.write(`interpreter${dispatch ? " under the JIT's dispatcher" : ""}, ns of CPU per guest instruction (${reps} x ${millions}M instructions; load ${load.toFixed(1)})\n`);
  for (const r of results) {
    process.stdout.write(`${r.row.padEnd(8)} median ${r.nsPerInsn.median.toFixed(3).padStart(7)}  min ${r.nsPerInsn.min.toFixed(3).padStart(7)}\n`);
  }
}

main();
