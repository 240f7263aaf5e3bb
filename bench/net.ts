// Network benchmarks (issue #10): bench/net/tcpbench.c over 127.0.0.1
// between two processes — bulk TCP throughput, request/response latency and
// connections per second — natively (x86-64), under qemu-riscv64 (the
// host's real stack) and under Ghost (its own stack), each runner's figure
// side by side with Ghost's ratio to qemu and to native. host-up and
// host-down carry a stream between the program and a native sink on the
// host's loopback: Ghost's reaches it through its user-mode NAT (the
// gateway 10.0.2.2), qemu's and native's through 127.0.0.1.
//
//   npx tsc -p tsconfig.json && node dist/bench/net.js [--reps N] [--json] [--no-native] [--no-qemu] [WORKLOAD...]
//
// Workloads: stream (MB sent in 64 KiB writes; NET_BENCH_MB, default 256),
// stream1k (the same in 1 KiB writes; NET_BENCH_MB_1K, default 32), rr (round trips;
// NET_BENCH_RR, default 10000), conn (connections; NET_BENCH_CONN, default
// 1000), host-up and host-down (MB to and from the host; NET_BENCH_MB_HOST,
// default 64). Results are also written to build/bench/net.json.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("bench/net");
const outDir = join(root, "build", "bench");
const source = join(root, "bench", "net", "tcpbench.c");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const TIMEOUT_MS = 600_000;

// host: the stream's direction between the program and the sink on the host.
interface Workload { name: string; args: string[]; unit: string; higherIsBetter: boolean; host?: "up" | "down" }

const WORKLOADS: Workload[] = [
  { name: "stream", args: ["stream", process.env.NET_BENCH_MB ?? "256"], unit: "MB/s", higherIsBetter: true },
  { name: "stream1k", args: ["stream", process.env.NET_BENCH_MB_1K ?? "32", "1024"], unit: "MB/s", higherIsBetter: true },
  { name: "rr", args: ["rr", process.env.NET_BENCH_RR ?? "10000"], unit: "us/round trip", higherIsBetter: false },
  { name: "conn", args: ["conn", process.env.NET_BENCH_CONN ?? "1000"], unit: "connections/s", higherIsBetter: true },
  { name: "host-up", args: [process.env.NET_BENCH_MB_HOST ?? "64"], unit: "MB/s", higherIsBetter: true, host: "up" },
  { name: "host-down", args: [process.env.NET_BENCH_MB_HOST ?? "64"], unit: "MB/s", higherIsBetter: true, host: "down" },
];

type Runner = "native" | "qemu" | "ghost";

function compile(cc: string, flags: string[], out: string): void {
  const r = spawnSync(cc, ["-O2", "-Wall", ...flags, "-o", out, source], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  if (r.status !== 0) throw new Error(`${cc} failed: ${r.stderr || r.error}`);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

// A host workload: the native sink listens on the host's loopback first (its
// port read from the file it writes), then the program streams to or from it
// — Ghost's through the gateway address, the others' through 127.0.0.1.
function hostRun(runner: Runner, bins: Record<Runner, string>, w: Workload): { ok: boolean; rate?: number; error?: string } {
  const portFile = join(outDir, `tcpbench-sink-${process.pid}.port`);
  rmSync(portFile, { force: true });
  const sinkProc = spawn(bins.native, ["sink", portFile], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
  if (!existsSync(portFile)) { sinkProc.kill("SIGKILL"); return { ok: false, error: "the sink did not start" }; }
  const port = readFileSync(portFile, "utf8").trim();
  rmSync(portFile, { force: true });
  const addr = runner === "ghost" ? "10.0.2.2" : "127.0.0.1";
  const r = runOnce(runner, bins, ["host", addr, port, w.host!, ...w.args]);
  sinkProc.kill("SIGKILL");
  return r;
}

// One run: the program's checked stdout and the figure it prints on stderr ("rate X unit").
function runOnce(runner: Runner, bins: Record<Runner, string>, args: string[]): { ok: boolean; rate?: number; error?: string } {
  const [cmd, argv] = runner === "native" ? [bins.native, args]
    : runner === "qemu" ? ["qemu-riscv64", [bins.qemu, ...args]]
    : [process.execPath, [ghostCli, "run", "--", bins.ghost, ...args]];
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
  const m = /^rate ([0-9.]+)/m.exec(r.stderr ?? "");
  if (r.status !== 0 || !/ ok: /.test(r.stdout ?? "") || !m) {
    return { ok: false, error: `exit ${r.status ?? r.signal}: ${(r.stdout + r.stderr).trim().slice(-300)}` };
  }
  return { ok: true, rate: Number(m[1]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function main(): number {
  const argv = process.argv.slice(2);
  let reps = 1, json = false;
  const runners = new Set<Runner>(["native", "qemu", "ghost"]);
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--reps") reps = Math.max(1, Number(argv[++i]) || 1);
    else if (a === "--json") json = true;
    else if (a === "--no-native") runners.delete("native");
    else if (a === "--no-qemu") runners.delete("qemu");
    else if (a.startsWith("--")) { process.stderr.write(`bench/net: unknown option ${a}\n`); return 2; }
    else only.push(a);
  }
  mkdirSync(outDir, { recursive: true });
  const bins: Record<Runner, string> = {
    native: join(outDir, "tcpbench-native"),
    qemu: join(outDir, "tcpbench-riscv64"),
    ghost: relative(root, join(outDir, "tcpbench-riscv64")),
  };
  // The native build is also the host workloads' sink.
  compile(process.env.CC ?? "gcc", [], bins.native);
  compile(process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc", ["-static"], bins.qemu);

  const rows = [];
  for (const w of WORKLOADS.filter((x) => only.length === 0 || only.includes(x.name))) {
    const row: Record<string, unknown> = { name: w.name, args: w.args.join(" "), unit: w.unit, load: loadavg()[0] };
    // The runners alternate within each repetition, so that the machine's load falls on all alike.
    const rates: Record<string, number[]> = {};
    for (let rep = 0; rep < reps; rep++) {
      for (const r of ["native", "qemu", "ghost"] as Runner[]) {
        if (!runners.has(r)) continue;
        const res = w.host ? hostRun(r, bins, w) : runOnce(r, bins, w.args);
        if (!res.ok) { row[`${r}Error`] = res.error; continue; }
        (rates[r] ??= []).push(res.rate!);
      }
    }
    for (const [r, xs] of Object.entries(rates)) row[r] = median(xs);
    // Ghost's slowdown: how many times slower than the other runner, whichever way the unit points.
    const slow = (other: string): number | undefined => {
      const g = row.ghost as number | undefined, o = row[other] as number | undefined;
      if (!g || !o) return undefined;
      return w.higherIsBetter ? o / g : g / o;
    };
    row.ghostSlowdownVsQemu = slow("qemu");
    row.ghostSlowdownVsNative = slow("native");
    rows.push(row);
    if (!json) {
      const f = (x: unknown) => (typeof x === "number" ? x.toFixed(1) : "-").padStart(9);
      const x = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)}x`).padStart(8);
      process.stdout.write(
        `${w.name.padEnd(8)} ${w.unit.padEnd(14)} native ${f(row.native)}  qemu ${f(row.qemu)}  ghost ${f(row.ghost)}` +
        `  ghost slower than qemu ${x(row.ghostSlowdownVsQemu as number | undefined)}, native ${x(row.ghostSlowdownVsNative as number | undefined)}` +
        `  (load ${(row.load as number).toFixed(1)})\n`,
      );
      for (const r of ["native", "qemu", "ghost"]) if (row[`${r}Error`]) process.stdout.write(`  ${r}: ${row[`${r}Error`]}\n`);
    }
  }
  writeFileSync(join(outDir, "net.json"), JSON.stringify({ date: new Date().toISOString(), reps, rows }, null, 2) + "\n");
  if (json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  return rows.every((r) => WORKLOADS.length && !Object.keys(r).some((k) => k.endsWith("Error"))) ? 0 : 1;
}

process.exitCode = main();
