// Scheduler benchmarks: BORE against plain EEVDF, on Ghost's virtual clock
// (reproducible: the same figures every run on any host).
//
//   npm run bench:sched            (builds first)
//   node dist/bench/sched/run.js [--seconds S] [--json] [--ghost PATH]
//
// - latency: wake-up latency beside CPU hogs (bench/sched/latency.c): a
//   60 Hz frame loop sleeping to absolute times (cyclictest) and a message
//   thread waking worker threads (schbench); p50/p90/p99/p99.9/max in us.
// - hackbench: groups of senders and receivers over pipes
//   (bench/sched/hackbench.c); time to move every message, context switches.
//
// The riscv64 programs are compiled with riscv64-linux-gnu-gcc -static into
// build/bench-sched/. Results also go to build/bench-sched/results.json.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../../test/helpers/root.js";


const root = findRoot("bench/sched");
const srcDir = join(root, "bench", "sched");
const outDir = join(root, "build", "bench-sched");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";

interface Options { seconds: number; json: boolean; ghost: string }

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 5, json: false, ghost: process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--seconds") o.seconds = Number(argv[++i]);
    else if (a === "--json") o.json = true;
    else if (a === "--ghost") o.ghost = argv[++i];
    else { process.stderr.write(`usage: node dist/bench/sched/run.js [--seconds S] [--json] [--ghost PATH]\n`); process.exit(2); }
  }
  return o;
}

function build(name: string): string {
  const src = join(srcDir, `${name}.c`), out = join(outDir, name);
  if (existsSync(out) && statSync(out).mtimeMs > statSync(src).mtimeMs) return out;
  const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-pthread", "-o", out, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${CC} ${name}.c failed:\n${r.stderr}`);
  return out;
}

function ghostRun(o: Options, sched: string, args: string[]): Promise<{ out: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [o.ghost, "run", "--clock=virtual", `--sched=${sched}`, ...args], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("close", (status) => {
      if (status !== 0) reject(new Error(`ghost ${args.join(" ")} exited ${status}`));
      else resolve({ out, wallMs: performance.now() - start });
    });
  });
}

// "name p50 X p90 X ... n N" → {p50: X, ...}
function parseLine(out: string, name: string): Record<string, number> {
  const line = out.split("\n").find((l) => l.startsWith(name + " "));
  if (!line) throw new Error(`no "${name}" line in: ${out}`);
  const f = line.split(" ").slice(1);
  const r: Record<string, number> = {};
  for (let i = 0; i + 1 < f.length; i += 2) r[f[i]] = Number(f[i + 1]);
  return r;
}

interface Row { bench: string; metric: string; bore: number; eevdf: number; unit: string }

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(outDir, { recursive: true });
  const latency = build("latency");
  const hackbench = build("hackbench");
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const scheds = ["bore", "eevdf"] as const;
  for (const hogs of [2, 6]) {
    const res: Record<string, string> = {};
    for (const s of scheds) {
      process.stderr.write(`latency: ${s}, ${hogs} hogs, ${o.seconds} s of virtual time…\n`);
      res[s] = (await ghostRun(o, s, [latency, String(o.seconds), String(hogs), "4"])).out;
    }
    raw[`latency-${hogs}`] = res;
    for (const [kind, label] of [["frame", "frame loop 60 Hz (cyclictest)"], ["wakeup", "worker wake-up (schbench)"]] as const) {
      const b = parseLine(res.bore, kind), e = parseLine(res.eevdf, kind);
      for (const m of ["p50", "p99", "p99.9", "max"]) rows.push({ bench: `${label}, ${hogs} hogs`, metric: m, bore: b[m], eevdf: e[m], unit: "us" });
      rows.push({ bench: `${label}, ${hogs} hogs`, metric: "samples", bore: b.n, eevdf: e.n, unit: "" });
    }
  }
  const hb: Record<string, { out: string; wallMs: number }> = {};
  for (const s of scheds) {
    process.stderr.write(`hackbench: ${s}…\n`);
    hb[s] = await ghostRun(o, s, [hackbench, "4", "10", "200"]);
  }
  raw.hackbench = hb;
  // "time_ms X ctxt Y tasks Z failed 0"
  const pairs = (out: string) => {
    const f = out.trim().split(/\s+/);
    const r: Record<string, number> = {};
    for (let i = 0; i + 1 < f.length; i += 2) r[f[i]] = Number(f[i + 1]);
    return r;
  };
  const hbB = pairs(hb.bore.out), hbE = pairs(hb.eevdf.out);
  rows.push({ bench: "hackbench pipes, 4 groups x 10+10 tasks x 200 loops", metric: "time (virtual)", bore: hbB.time_ms, eevdf: hbE.time_ms, unit: "ms" });
  rows.push({ bench: "hackbench pipes, 4 groups x 10+10 tasks x 200 loops", metric: "context switches", bore: hbB.ctxt, eevdf: hbE.ctxt, unit: "" });
  rows.push({ bench: "hackbench pipes, 4 groups x 10+10 tasks x 200 loops", metric: "host wall time", bore: Math.round(hb.bore.wallMs), eevdf: Math.round(hb.eevdf.wallMs), unit: "ms" });

  writeFileSync(join(outDir, "results.json"), JSON.stringify({ date: new Date().toISOString(), seconds: o.seconds, rows, raw }, null, 2));
  if (o.json) { process.stdout.write(JSON.stringify(rows, null, 2) + "\n"); return; }
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  let table = "| benchmark | metric | BORE | EEVDF |\n|---|---|---:|---:|\n";
  for (const r of rows) table += `| ${r.bench} | ${r.metric}${r.unit ? ` (${r.unit})` : ""} | ${fmt(r.bore)} | ${fmt(r.eevdf)} |\n`;
  process.stdout.write(table);
}

main().catch((e) => { process.stderr.write(`bench:sched: ${(e as Error).message}\n`); process.exit(1); });
