// CPU benchmarks: runs each program of bench/programs.ts (bench/programs/*.c
// and CoreMark) natively (x86-64), under qemu-riscv64, under Ghost and under
// Ghost without its JIT (GHOST_JIT=0), checks that all print the same output,
// and reports wall times, ratios to qemu, Ghost's MIPS and, for CoreMark,
// iterations/s. The Ghost column runs with a cold persistent JIT cache (an
// empty private directory before each run: what a first run sees);
// --warm-cache adds a column with a warm one (the directory an unmeasured
// run of the same program filled: what later runs see).
//
//   npx tsc -p tsconfig.json && node dist/bench/run.js [options] [PROGRAM...]
//
// Options:
//   --reps N           runs per program and runner; the median is reported (default 1)
//   --json             print the results as JSON on stdout (progress goes to stderr)
//   --arg NAME=VALUE   pass VALUE as the size argument to program NAME (repeatable)
//   --no-native, --no-qemu, --no-ghost, --no-nojit   skip a runner
//   --warm-cache       also run Ghost with a warm persistent JIT cache
//   --ghost PATH       Ghost CLI script (default dist/src/cli/main.js; or $GHOST_CLI)
//   --timeout SECONDS  per-run timeout (default 1200)
//   --rebuild          recompile even if the binaries are up to date
//
// Results are also written to build/bench/results.json.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { findRoot } from "../test/helpers/root.js";
import { programs as allPrograms, Program } from "./programs.js";

// ---------------------------------------------------------------- setup


const root = findRoot("bench/programs");
const outDir = join(root, "build", "bench");

const NATIVE_CC = process.env.CC ?? "gcc";
const RISCV_CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
// -ffp-contract=off: GCC would otherwise fuse a*b+c into FMA instructions on
// riscv64 (but not on baseline x86-64), and the FP benchmark's output would
// differ in the last bits between the native and riscv64 builds.
const COMMON_FLAGS = ["-O2", "-Wall", "-ffp-contract=off"];

type RunnerName = "native" | "qemu" | "ghost" | "nojit" | "warm";

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
    "usage: node dist/bench/run.js [--reps N] [--json] [--arg NAME=VALUE]... [--no-native] [--no-qemu] [--no-ghost] [--warm-cache]\n" +
      "                              [--ghost PATH] [--timeout SECONDS] [--rebuild] [PROGRAM...]\n",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    reps: 1,
    json: false,
    args: new Map(),
    runners: new Set<RunnerName>(["native", "qemu", "ghost", "nojit"]),
    ghostCli: process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js"),
    timeoutMs: 1_200_000,
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
      case "--no-nojit":
        o.runners.delete("nojit");
        break;
      case "--warm-cache":
        o.runners.add("warm");
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

function compile(cc: string, flags: string[], srcs: string[], out: string): string | undefined {
  if (!opts.rebuild && srcs.every((src) => mtime(out) > mtime(src))) return undefined;
  const args = [...COMMON_FLAGS, ...flags, "-o", out, ...srcs, "-lm"];
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
  stats?: { instret?: number; wallMs?: number; maxRssKiB?: number };
}

function runOnce(cmd: string, args: string[], statsFile?: string, env?: NodeJS.ProcessEnv): Promise<RunOutcome> {
  return new Promise((resolve) => {
    if (statsFile) rmSync(statsFile, { force: true });
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
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
  /** the program's own figure (CoreMark: iterations/s), from the median run */
  rate?: number;
  /** Ghost only: Node's peak resident memory over the repetitions, MiB (--stats maxRssKiB) */
  rssMiB?: number;
}

async function measure(
  prog: Program, name: string, cmd: string, args: string[], statsFile?: string, env?: NodeJS.ProcessEnv, before?: () => void,
): Promise<RunnerResult> {
  const runs: number[] = [];
  const rates: number[] = [];
  const internal: number[] = [];
  let rssKiB = 0;
  let output: string | undefined;
  let instret: number | undefined;
  for (let i = 0; i < opts.reps; i++) {
    before?.();
    const r = await runOnce(cmd, args, statsFile, env);
    if (!r.ok) return { ok: false, error: r.error, output: r.stdout };
    const cmp = prog.compared(r.stdout);
    if (output !== undefined && cmp !== output) {
      return { ok: false, error: `output changed between repetitions`, output: cmp };
    }
    output = cmp;
    const rate = prog.rate?.(r.stdout);
    if (rate !== undefined) rates.push(rate);
    runs.push(r.ms);
    if (statsFile) {
      if (typeof r.stats?.instret !== "number") return { ok: false, error: "stats file has no instret", output };
      instret = r.stats.instret;
      if (typeof r.stats.wallMs === "number") internal.push(r.stats.wallMs);
      if (typeof r.stats.maxRssKiB === "number") rssKiB = Math.max(rssKiB, r.stats.maxRssKiB);
    }
    log(`  ${name.padEnd(7)} run ${i + 1}/${opts.reps}: ${r.ms.toFixed(0)} ms`);
  }
  const result: RunnerResult = { ok: true, ms: median(runs), runsMs: runs, output };
  if (rates.length) result.rate = median(rates);
  if (statsFile && instret !== undefined) {
    result.instret = instret;
    const secs = (internal.length ? median(internal) : median(runs)) / 1000;
    if (internal.length) result.internalMs = median(internal);
    result.mips = secs > 0 ? instret / secs / 1e6 : undefined;
    if (rssKiB) result.rssMiB = rssKiB / 1024;
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
  nojit?: RunnerResult;
  warm?: RunnerResult; // Ghost with a warm persistent JIT cache (--warm-cache)
  rateUnit?: string;
  outputsMatch: boolean;
  output?: string;
  ghostOverQemu?: number;
  nojitOverQemu?: number;
  ghostOverNojit?: number;
  warmOverQemu?: number;
  ghostOverNative?: number;
  qemuOverNative?: number;
}

async function main(): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  const all = allPrograms(root, (n) => opts.args.get(n));
  for (const n of opts.only) if (!all.some((p) => p.name === n)) usage(`no such benchmark: ${n}`);
  const programs = opts.only.length ? all.filter((p) => opts.only.includes(p.name)) : all;

  const qemuOk = opts.runners.has("qemu") && !spawnSync("qemu-riscv64", ["--version"]).error;
  const ghostOk = opts.runners.has("ghost") && existsSync(opts.ghostCli);
  if (opts.runners.has("qemu") && !qemuOk) log("bench: qemu-riscv64 not found; qemu column will fail");
  if (opts.runners.has("ghost") && !ghostOk) log(`bench: Ghost CLI ${opts.ghostCli} not found; ghost column will fail`);

  const rows: Row[] = [];
  for (const prog of programs) {
    const name = prog.name;
    const nativeBin = join(outDir, `${name}${prog.binTag}.native`);
    const riscvBin = join(outDir, `${name}${prog.binTag}.riscv64`);
    const args = prog.args;
    const row: Row = { program: name, args, outputsMatch: false, rateUnit: prog.rateUnit };
    rows.push(row);
    log(`${name}${args.length ? " " + args.join(" ") : ""}:`);

    if (opts.runners.has("native") && !prog.guest) {
      const err = compile(NATIVE_CC, prog.flags, prog.sources, nativeBin);
      row.native = err ? { ok: false, error: `build failed: ${err}` } : await measure(prog, "native", nativeBin, args);
    }
    let riscvErr: string | undefined;
    if (!prog.guest && (opts.runners.has("qemu") || opts.runners.has("ghost") || opts.runners.has("nojit") || opts.runners.has("warm"))) {
      riscvErr = compile(RISCV_CC, ["-static", ...prog.flags], prog.sources, riscvBin);
    }
    const riscvRel = relative(root, riscvBin);
    // A real program runs from its root filesystem under both.
    const g = prog.guest;
    const qemuArgs = g ? ["-L", g.root, join(g.root, g.path), ...args] : [riscvRel, ...args];
    const ghostArgs = g ? [`--root=${g.root}`, "--", g.path, ...args] : ["--", riscvRel, ...args];
    if (opts.runners.has("qemu")) {
      row.qemu = riscvErr
        ? { ok: false, error: `build failed: ${riscvErr}` }
        : !qemuOk
          ? { ok: false, error: "qemu-riscv64 not found" }
          : await measure(prog, "qemu", "qemu-riscv64", qemuArgs);
    }
    for (const runner of ["ghost", "nojit", "warm"] as const) {
      if (!opts.runners.has(runner)) continue;
      const statsFile = join(outDir, `${runner}-stats-${name}.json`);
      // GHOST_JIT=0: the plain interpreter, the baseline the JIT must never lose to.
      // The JIT's persistent cache: a private directory, emptied before each
      // run (cold), or filled once by an unmeasured run (warm).
      const cache = join(outDir, "jit-cache", runner);
      const env = runner === "nojit" ? { ...process.env, GHOST_JIT: "0" } : { ...process.env, GHOST_JIT_CACHE_DIR: cache };
      const empty = (): void => rmSync(cache, { recursive: true, force: true });
      let before: (() => void) | undefined;
      if (runner === "ghost") before = empty;
      if (runner === "warm" && !riscvErr && ghostOk) {
        empty();
        log(`  warm    filling the cache (not measured)`);
        await runOnce(process.execPath, [opts.ghostCli, "run", ...ghostArgs], undefined, env);
      }
      row[runner] = riscvErr
        ? { ok: false, error: `build failed: ${riscvErr}` }
        : !ghostOk
          ? { ok: false, error: `Ghost CLI not found (${opts.ghostCli})` }
          : await measure(
              prog,
              runner,
              process.execPath,
              [opts.ghostCli, "run", `--stats=${statsFile}`, ...ghostArgs],
              statsFile,
              env,
              before,
            );
    }

    // All successful runners must agree; Ghost disagreeing is a Ghost failure.
    const ref = row.native?.ok ? row.native : row.qemu?.ok ? row.qemu : undefined;
    row.output = ref?.output?.trim();
    row.outputsMatch = true;
    for (const r of [row.native, row.qemu, row.ghost, row.nojit, row.warm]) {
      if (r?.ok && ref && r.output !== ref.output) {
        row.outputsMatch = false;
        r.ok = false;
        r.error = `output differs: ${JSON.stringify(r.output?.trim())} vs ${JSON.stringify(ref.output?.trim())}`;
      }
    }
    // Keep one copy of the common output; keep a runner's own only if it differs.
    for (const r of [row.native, row.qemu, row.ghost, row.nojit, row.warm]) if (r?.ok) delete r.output;
    if (row.ghost?.ok && row.qemu?.ok) row.ghostOverQemu = row.ghost.ms! / row.qemu.ms!;
    if (row.nojit?.ok && row.qemu?.ok) row.nojitOverQemu = row.nojit.ms! / row.qemu.ms!;
    if (row.ghost?.ok && row.nojit?.ok) row.ghostOverNojit = row.ghost.ms! / row.nojit.ms!;
    if (row.warm?.ok && row.qemu?.ok) row.warmOverQemu = row.warm.ms! / row.qemu.ms!;
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

  const anyFailed = rows.some((r) => [r.native, r.qemu, r.ghost, r.nojit, r.warm].some((x) => x && !x.ok));
  return anyFailed ? 1 : 0;
}

// Times in ms; ratios are Ghost's time over qemu's (below 1.0: Ghost is faster) and
// the JIT's over the interpreter's (below 1.0: the JIT pays). "ghost" is a
// first run (cold JIT cache), "warm" a later one (--warm-cache).
function table(rows: Row[]): string {
  const fmtMs = (r?: RunnerResult) => (!r ? "-" : r.ok ? r.ms!.toFixed(0) : "FAILED");
  const fmtX = (x?: number) => (x === undefined ? "-" : x.toFixed(2));
  const warm = rows.some((r) => r.warm);
  const header = [
    "program", "native ms", "qemu ms", "ghost ms", "nojit ms", "ghost/qemu", "nojit/qemu", "ghost/nojit", "ghost MIPS",
    "ghost RSS MiB", ...(warm ? ["warm ms", "warm/qemu"] : []),
  ];
  const shown = (args: string[]) => { const a = args.join(" "); return a && a.length <= 24 && !a.includes("\n") ? ` ${a}` : ""; };
  const body = rows.map((r) => [
    r.program + shown(r.args),
    fmtMs(r.native),
    fmtMs(r.qemu),
    fmtMs(r.ghost),
    fmtMs(r.nojit),
    fmtX(r.ghostOverQemu),
    fmtX(r.nojitOverQemu),
    fmtX(r.ghostOverNojit),
    r.ghost?.ok && r.ghost.mips !== undefined ? r.ghost.mips.toFixed(1) : r.ghost ? (r.ghost.ok ? "-" : "FAILED") : "-",
    r.ghost?.ok && r.ghost.rssMiB !== undefined ? r.ghost.rssMiB.toFixed(0) : "-",
    ...(warm ? [fmtMs(r.warm), fmtX(r.warmOverQemu)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ") + "\n";
  let out = line(header) + line(widths.map((w) => "-".repeat(w)));
  for (const b of body) out += line(b);
  for (const r of rows) {
    if (!r.rateUnit) continue;
    const f = (x?: RunnerResult) => (x?.ok && x.rate !== undefined ? x.rate.toFixed(1) : "-");
    out += `\n${r.program} ${r.rateUnit}: native ${f(r.native)}, qemu ${f(r.qemu)}, ghost ${f(r.ghost)}, ` +
      `ghost without JIT ${f(r.nojit)}\n`;
  }
  const notes: string[] = [];
  for (const r of rows) {
    for (const [k, v] of [
      ["native", r.native],
      ["qemu", r.qemu],
      ["ghost", r.ghost],
      ["nojit", r.nojit],
      ["warm", r.warm],
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
