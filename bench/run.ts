// CPU benchmarks: runs each bench/programs/*.c natively (x86-64), under
// qemu-riscv64 and under Ghost, checks that all three print the same output,
// and reports median wall times, slowdowns and Ghost's MIPS.
//
//   npx tsc -p tsconfig.json && node dist/bench/run.js [options] [PROGRAM...]
//
// Options:
//   --reps N           runs per program and runner; the median is reported (default 3)
//   --json             print the results as JSON on stdout (progress goes to stderr)
//   --arg NAME=VALUE   pass VALUE as the size argument to program NAME (repeatable)
//   --no-native, --no-qemu, --no-ghost   skip a runner
//   --ghost PATH       Ghost CLI script (default dist/src/cli/main.js; or $GHOST_CLI)
//   --timeout SECONDS  per-run timeout (default 600)
//   --rebuild          recompile even if the binaries are up to date
//
// Results are also written to build/bench/results.json.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, relative } from "node:path";
import { findRoot } from "../test/helpers/root.js";

// ---------------------------------------------------------------- setup


const root = findRoot("bench/programs");
const programsDir = join(root, "bench", "programs");
const outDir = join(root, "build", "bench");

const NATIVE_CC = process.env.CC ?? "gcc";
const RISCV_CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
// -ffp-contract=off: GCC would otherwise fuse a*b+c into FMA instructions on
// riscv64 (but not on baseline x86-64), and the FP benchmark's output would
// differ in the last bits between the native and riscv64 builds.
const COMMON_FLAGS = ["-O2", "-Wall", "-ffp-contract=off"];

type RunnerName = "native" | "qemu" | "ghost";

interface Options {
  reps: number;
  json: boolean;
  args: Map<string, string>;
  runners: Set<RunnerName>;
  ghostCli: string;
  timeoutMs: number;
  rebuild: boolean;
  only: string[];
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    "usage: node dist/bench/run.js [--reps N] [--json] [--arg NAME=VALUE]... [--no-native] [--no-qemu] [--no-ghost]\n" +
      "                              [--ghost PATH] [--timeout SECONDS] [--rebuild] [PROGRAM...]\n",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    reps: 3,
    json: false,
    args: new Map(),
    runners: new Set<RunnerName>(["native", "qemu", "ghost"]),
    ghostCli: process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js"),
    timeoutMs: 600_000,
    rebuild: false,
    only: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.startsWith("--") ? a.split("=")[0] : a;
    switch (name) {
      case "--reps": {
        o.reps = Number(value());
        if (!Number.isInteger(o.reps) || o.reps < 1) usage("--reps needs a positive integer");
        break;
      }
      case "--json":
        o.json = true;
        break;
      case "--arg": {
        const v = value();
        const eq = v.indexOf("=");
        if (eq <= 0) usage("--arg needs NAME=VALUE");
        o.args.set(v.slice(0, eq), v.slice(eq + 1));
        break;
      }
      case "--no-native":
        o.runners.delete("native");
        break;
      case "--no-qemu":
        o.runners.delete("qemu");
        break;
      case "--no-ghost":
        o.runners.delete("ghost");
        break;
      case "--ghost":
        o.ghostCli = value();
        break;
      case "--timeout": {
        const s = Number(value());
        if (!(s > 0)) usage("--timeout needs a positive number of seconds");
        o.timeoutMs = s * 1000;
        break;
      }
      case "--rebuild":
        o.rebuild = true;
        break;
      case "--help":
      case "-h":
        usage();
      default:
        if (a.startsWith("-")) usage(`unknown option ${a}`);
        o.only.push(a.replace(/\.c$/, ""));
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (s: string) => process.stderr.write(s + "\n");

// ---------------------------------------------------------------- build

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function compile(cc: string, flags: string[], src: string, out: string): string | undefined {
  if (!opts.rebuild && mtime(out) > mtime(src)) return undefined;
  const args = [...COMMON_FLAGS, ...flags, "-o", out, src, "-lm"];
  const r = spawnSync(cc, args, { encoding: "utf8" });
  if (r.error) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) return `${cc} ${args.join(" ")}\n${r.stderr}`;
  log(`built ${relative(root, out)}`);
  return undefined;
}

// ---------------------------------------------------------------- running

interface RunOutcome {
  ok: boolean;
  ms: number;
  stdout: string;
  error?: string;
  stats?: { instret?: number; wallMs?: number };
}

function runOnce(cmd: string, args: string[], statsFile?: string): Promise<RunOutcome> {
  return new Promise((resolve) => {
    if (statsFile) rmSync(statsFile, { force: true });
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: 0, stdout, error: `${cmd}: ${err.message}` });
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const errTail = stderr.trim().split("\n").slice(-5).join("\n");
      let error: string | undefined;
      if (timedOut) error = `timed out after ${opts.timeoutMs / 1000} s`;
      else if (status !== 0) error = `exit ${status ?? signal}${errTail ? `: ${errTail}` : ""}`;
      let stats: RunOutcome["stats"];
      if (statsFile && !error) {
        try {
          stats = JSON.parse(readFileSync(statsFile, "utf8")) as RunOutcome["stats"];
        } catch (e) {
          error = `cannot read --stats file: ${(e as Error).message}`;
        }
      }
      resolve({ ok: !error, ms, stdout, error, stats });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface RunnerResult {
  ok: boolean;
  /** median external wall time over the repetitions, ms */
  ms?: number;
  runsMs?: number[];
  output?: string;
  error?: string;
  /** Ghost only: retired guest instructions and Ghost's own wall time */
  instret?: number;
  internalMs?: number;
  mips?: number;
}

async function measure(name: string, cmd: string, args: string[], statsFile?: string): Promise<RunnerResult> {
  const runs: number[] = [];
  const internal: number[] = [];
  let output: string | undefined;
  let instret: number | undefined;
  for (let i = 0; i < opts.reps; i++) {
    const r = await runOnce(cmd, args, statsFile);
    if (!r.ok) return { ok: false, error: r.error, output: r.stdout };
    if (output !== undefined && r.stdout !== output) {
      return { ok: false, error: `output changed between repetitions`, output: r.stdout };
    }
    output = r.stdout;
    runs.push(r.ms);
    if (statsFile) {
      if (typeof r.stats?.instret !== "number") return { ok: false, error: "stats file has no instret", output };
      instret = r.stats.instret;
      if (typeof r.stats.wallMs === "number") internal.push(r.stats.wallMs);
    }
    log(`  ${name.padEnd(7)} run ${i + 1}/${opts.reps}: ${r.ms.toFixed(0)} ms`);
  }
  const result: RunnerResult = { ok: true, ms: median(runs), runsMs: runs, output };
  if (statsFile && instret !== undefined) {
    result.instret = instret;
    const secs = (internal.length ? median(internal) : median(runs)) / 1000;
    if (internal.length) result.internalMs = median(internal);
    result.mips = secs > 0 ? instret / secs / 1e6 : undefined;
  }
  return result;
}

// ---------------------------------------------------------------- main

interface Row {
  program: string;
  args: string[];
  native?: RunnerResult;
  qemu?: RunnerResult;
  ghost?: RunnerResult;
  outputsMatch: boolean;
  output?: string;
  ghostOverQemu?: number;
  ghostOverNative?: number;
  qemuOverNative?: number;
}

async function main(): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  const all = readdirSync(programsDir)
    .filter((f) => f.endsWith(".c"))
    .map((f) => basename(f, ".c"))
    .sort();
  for (const n of opts.only) if (!all.includes(n)) usage(`no such benchmark: bench/programs/${n}.c`);
  const programs = opts.only.length ? all.filter((n) => opts.only.includes(n)) : all;

  const qemuOk = opts.runners.has("qemu") && !spawnSync("qemu-riscv64", ["--version"]).error;
  const ghostOk = opts.runners.has("ghost") && existsSync(opts.ghostCli);
  if (opts.runners.has("qemu") && !qemuOk) log("bench: qemu-riscv64 not found; qemu column will fail");
  if (opts.runners.has("ghost") && !ghostOk) log(`bench: Ghost CLI ${opts.ghostCli} not found; ghost column will fail`);

  const rows: Row[] = [];
  for (const name of programs) {
    const src = join(programsDir, `${name}.c`);
    const nativeBin = join(outDir, `${name}.native`);
    const riscvBin = join(outDir, `${name}.riscv64`);
    const args = opts.args.has(name) ? [opts.args.get(name)!] : [];
    const row: Row = { program: name, args, outputsMatch: false };
    rows.push(row);
    log(`${name}${args.length ? " " + args.join(" ") : ""}:`);

    if (opts.runners.has("native")) {
      const err = compile(NATIVE_CC, [], src, nativeBin);
      row.native = err ? { ok: false, error: `build failed: ${err}` } : await measure("native", nativeBin, args);
    }
    let riscvErr: string | undefined;
    if (opts.runners.has("qemu") || opts.runners.has("ghost")) riscvErr = compile(RISCV_CC, ["-static"], src, riscvBin);
    const riscvRel = relative(root, riscvBin);
    if (opts.runners.has("qemu")) {
      row.qemu = riscvErr
        ? { ok: false, error: `build failed: ${riscvErr}` }
        : !qemuOk
          ? { ok: false, error: "qemu-riscv64 not found" }
          : await measure("qemu", "qemu-riscv64", [riscvRel, ...args]);
    }
    if (opts.runners.has("ghost")) {
      const statsFile = join(outDir, `ghost-stats-${name}.json`);
      row.ghost = riscvErr
        ? { ok: false, error: `build failed: ${riscvErr}` }
        : !ghostOk
          ? { ok: false, error: `Ghost CLI not found (${opts.ghostCli})` }
          : await measure(
              "ghost",
              process.execPath,
              [opts.ghostCli, "run", `--stats=${statsFile}`, "--", riscvRel, ...args],
              statsFile,
            );
    }

    // All successful runners must agree; Ghost disagreeing is a Ghost failure.
    const ref = row.native?.ok ? row.native : row.qemu?.ok ? row.qemu : undefined;
    row.output = ref?.output?.trim();
    row.outputsMatch = true;
    for (const r of [row.native, row.qemu, row.ghost]) {
      if (r?.ok && ref && r.output !== ref.output) {
        row.outputsMatch = false;
        r.ok = false;
        r.error = `output differs: ${JSON.stringify(r.output?.trim())} vs ${JSON.stringify(ref.output?.trim())}`;
      }
    }
    // Keep one copy of the common output; keep a runner's own only if it differs.
    for (const r of [row.native, row.qemu, row.ghost]) if (r?.ok) delete r.output;
    if (row.ghost?.ok && row.qemu?.ok) row.ghostOverQemu = row.ghost.ms! / row.qemu.ms!;
    if (row.ghost?.ok && row.native?.ok) row.ghostOverNative = row.ghost.ms! / row.native.ms!;
    if (row.qemu?.ok && row.native?.ok) row.qemuOverNative = row.qemu.ms! / row.native.ms!;
  }

  const qemuVersion = spawnSync("qemu-riscv64", ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0];
  const report = {
    date: new Date().toISOString(),
    host: { cpu: cpus()[0]?.model, cpus: cpus().length, node: process.version, qemu: qemuVersion ?? null },
    reps: opts.reps,
    flags: { native: [NATIVE_CC, ...COMMON_FLAGS], riscv64: [RISCV_CC, ...COMMON_FLAGS, "-static"] },
    results: rows,
  };
  writeFileSync(join(outDir, "results.json"), JSON.stringify(report, null, 2) + "\n");

  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else process.stdout.write(table(rows));
  log(`results written to ${relative(root, join(outDir, "results.json"))}`);

  const anyFailed = rows.some((r) => [r.native, r.qemu, r.ghost].some((x) => x && !x.ok));
  return anyFailed ? 1 : 0;
}

function table(rows: Row[]): string {
  const fmtMs = (r?: RunnerResult) => (!r ? "-" : r.ok ? r.ms!.toFixed(0) : "FAILED");
  const fmtX = (x?: number) => (x === undefined ? "-" : x.toFixed(1) + "x");
  const header = ["program", "native ms", "qemu ms", "ghost ms", "ghost/qemu", "ghost/native", "ghost MIPS"];
  const body = rows.map((r) => [
    r.program + (r.args.length ? ` ${r.args.join(" ")}` : ""),
    fmtMs(r.native),
    fmtMs(r.qemu),
    fmtMs(r.ghost),
    fmtX(r.ghostOverQemu),
    fmtX(r.ghostOverNative),
    r.ghost?.ok && r.ghost.mips !== undefined ? r.ghost.mips.toFixed(1) : r.ghost ? (r.ghost.ok ? "-" : "FAILED") : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ") + "\n";
  let out = line(header) + line(widths.map((w) => "-".repeat(w)));
  for (const b of body) out += line(b);
  const notes: string[] = [];
  for (const r of rows) {
    for (const [k, v] of [
      ["native", r.native],
      ["qemu", r.qemu],
      ["ghost", r.ghost],
    ] as const) {
      if (v && !v.ok) notes.push(`${r.program} ${k}: ${v.error}`);
    }
  }
  if (notes.length) out += "\n" + notes.join("\n") + "\n";
  return out;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
