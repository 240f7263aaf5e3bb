// Kernel-path micro-benchmarks (issue 9): bench/syscall/sysbench.c run
// natively (x86-64), under qemu-riscv64 and under Ghost, back to back, with
// the ratio of Ghost to qemu (and to native where qemu has no figure:
// fork+execve of a riscv64 program needs binfmt_misc under qemu-user).
// Figures on a loaded machine are noisy: read the ratios, with the load
// average printed beside them.
//
//   npx tsc -p tsconfig.json && node dist/bench/syscall.js [--json] [CASE...]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("bench/syscall");
const cli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const src = join(root, "bench", "syscall", "sysbench.c");
const out = join(root, "build", "bench", "syscall");
// Lower is better for these units; higher for the others (MB/s).
const LOWER = new Set(["ns", "us"]);

type Figures = Map<string, { value: number; unit: string }>;

function parse(text: string): Figures {
  const m: Figures = new Map();
  for (const line of text.split("\n")) {
    const r = /^(\w+) (\d+) (\S+)$/.exec(line.trim());
    if (r) m.set(r[1], { value: Number(r[2]), unit: r[3] });
  }
  return m;
}

function run(cmd: string, args: string[]): Figures {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, killSignal: "SIGKILL", cwd: out });
  if (r.status !== 0) process.stderr.write(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return parse(r.stdout ?? "");
}

function main(): number {
  const argv = process.argv.slice(2);
  const json = argv.includes("--json");
  const cases = argv.filter((a) => !a.startsWith("--"));
  mkdirSync(out, { recursive: true });
  const native = join(out, "sysbench.x86"), rv = join(out, "sysbench.rv");
  for (const [cc, bin] of [["gcc", native], ["riscv64-linux-gnu-gcc", rv]]) {
    const b = spawnSync(cc, ["-O2", "-static", "-pthread", "-o", bin, src], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    if (b.status !== 0) { process.stderr.write(b.stderr); return 1; }
  }
  const load = loadavg()[0];
  const n = run(native, cases);
  const q = run("qemu-riscv64", [rv, ...(cases.length ? cases : ["getppid", "piperr", "pipe64k", "tmpfs64k", "futexcs"])].filter((c) => c !== "forkexec"));
  const g = run(process.execPath, [cli, "run", "-v", `${out}:/b:ro`, "--", "/b/sysbench.rv", ...cases]);
  const rows = [...new Set([...n.keys(), ...g.keys()])].map((name) => {
    const base = q.get(name) ?? n.get(name);
    const gh = g.get(name);
    const unit = gh?.unit ?? base?.unit ?? "";
    // How many times slower Ghost is than the reference (qemu, else native).
    const slower = base && gh ? (LOWER.has(unit) ? gh.value / base.value : base.value / gh.value) : NaN;
    return { case: name, unit, native: n.get(name)?.value ?? null, qemu: q.get(name)?.value ?? null, ghost: gh?.value ?? null, slowerThan: q.has(name) ? "qemu" : "native", ratio: Number(slower.toFixed(2)) };
  });
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  writeFileSync(join(root, "build", "bench", "syscall.json"), JSON.stringify({ date: new Date().toISOString(), loadavg: load, rows }, null, 2) + "\n");
  if (json) { process.stdout.write(JSON.stringify(rows, null, 2) + "\n"); return 0; }
  process.stdout.write(`Kernel paths (load average ${load.toFixed(1)}): Ghost's time as a multiple of qemu-riscv64's (native's where qemu has none)\n`);
  for (const r of rows) {
    process.stdout.write(`${r.case.padEnd(10)} native ${String(r.native ?? "-").padStart(7)}  qemu ${String(r.qemu ?? "-").padStart(7)}  ghost ${String(r.ghost ?? "-").padStart(7)} ${r.unit.padEnd(5)} ${r.ratio}x ${r.slowerThan}\n`);
  }
  return 0;
}

process.exitCode = main();
