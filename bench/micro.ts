// Issue #9's micro and shell-heavy lines in one table, beside their targets:
// read from what bench/syscall.ts, bench/start.ts and bench/boot.ts wrote
// (build/bench/{syscall,start,boot}.json) and from the last busybox
// testsuite run (build/busybox-testsuite/summary.json, scripts/busybox-testsuite.sh).
// It runs nothing itself: `npm run bench` calls it last.
//
//   node dist/bench/micro.js [--json]
//
// Written to build/bench/micro.json.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("bench");
const outDir = join(root, "build", "bench");

interface Line { what: string; unit: string; native: number | null; qemu: number | null; ghost: number | null; target: string; loadAverage: number | null }

function load(file: string): any {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}

function main(): void {
  const lines: Line[] = [];
  const sys = load(join(outDir, "syscall.json"));
  const sysRow = (name: string, what: string, target: string, scale = 1, unit?: string) => {
    const r = sys?.rows?.find((x: { case: string }) => x.case === name);
    const f = (v: number | null | undefined) => (v == null ? null : Math.round((v / scale) * 10) / 10);
    lines.push({ what, unit: unit ?? r?.unit ?? "", native: f(r?.native), qemu: f(r?.qemu), ghost: f(r?.ghost), target, loadAverage: sys?.loadavg ?? null });
  };
  sysRow("getppid", "null syscall (getppid)", "<= 150 ns");
  sysRow("piperr", "pipe round trip, two processes", "<= 5 us", 1000, "us");
  sysRow("forkexec", "fork + execve + wait", "<= 300 us");
  sysRow("futexcs", "thread switch over a futex", "<= 2 us", 1000, "us");
  const start = load(join(outDir, "start.json"));
  const startRow = (name: string, what: string, target: string) => {
    const r = start?.results?.find((x: { name: string }) => x.name === name);
    lines.push({ what, unit: "ms", native: r?.medianMs?.native ?? null, qemu: r?.medianMs?.qemu ?? null, ghost: r?.medianMs?.ghost ?? null, target, loadAverage: start?.loadAverage ?? null });
  };
  startRow("hello (static)", "`ghost run` static hello, wall", "<= 100 ms");
  const boot = load(join(outDir, "boot.json"));
  lines.push({ what: "boot to the shell prompt", unit: "ms", native: null, qemu: null, ghost: boot?.median ?? null, target: "<= 150 ms", loadAverage: boot?.loadAverage ?? null });
  startRow("sh: 1000 x /bin/true", "shell loop, 1000 x /bin/true", "qemu");
  const bb = load(join(root, "build", "busybox-testsuite", "summary.json"));
  lines.push({ what: "busybox testsuite (last run)", unit: "s", native: null, qemu: bb?.qemu?.seconds ?? null, ghost: bb?.ghost?.seconds ?? null, target: "qemu", loadAverage: null });
  writeFileSync(join(outDir, "micro.json"), JSON.stringify({ date: new Date().toISOString(), lines }, null, 2) + "\n");
  if (process.argv.includes("--json")) { process.stdout.write(JSON.stringify(lines, null, 2) + "\n"); return; }
  const cell = (v: number | null) => (v == null ? "-" : String(v));
  const ratio = (g: number | null, b: number | null) => (g != null && b ? `${(g / b).toFixed(1)}x` : "-");
  process.stdout.write("issue #9 micro and shell-heavy lines (Ghost's time over qemu's and native's; '-' = not measured)\n");
  process.stdout.write(`${"what".padEnd(34)}${"unit".padEnd(5)}${"native".padStart(9)}${"qemu".padStart(9)}${"ghost".padStart(9)}${"/qemu".padStart(8)}${"/native".padStart(9)}  target  load\n`);
  for (const l of lines) {
    process.stdout.write(`${l.what.padEnd(34)}${l.unit.padEnd(5)}${cell(l.native).padStart(9)}${cell(l.qemu).padStart(9)}${cell(l.ghost).padStart(9)}${ratio(l.ghost, l.qemu).padStart(8)}${ratio(l.ghost, l.native).padStart(9)}  ${l.target}  ${l.loadAverage == null ? "-" : l.loadAverage.toFixed(1)}\n`);
  }
}

main();
