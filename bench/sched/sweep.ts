// The wake-up latency sweep: BORE against plain EEVDF for a frame loop
// beside CPU hogs (bench/sched/sweep.c), over frame periods, work per frame
// (percent of the period), numbers of hogs, and hogs as threads of the frame
// loop's process or as processes of their own. On Ghost's virtual clock, so
// every figure is the same on every run and host.
//
//   npm run bench:sched:sweep
//   node dist/bench/sched/sweep.js [--samples N] [--periods 1,5,16,33]
//        [--work 5,20,50] [--hogs 1,3,8] [--kinds threads,processes] [--ghost PATH]
//
// Each cell runs for N frames (at least 0.3 s of virtual time); p99 of N=100
// samples is the second worst. Prints a Markdown table (latency in us), a
// row as each cell ends, and writes build/bench-sched/sweep.json; a "!" marks a cell where BORE's p99
// is worse than EEVDF's.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../../test/helpers/root.js";

const root = findRoot("bench/sched");
const outDir = join(root, "build", "bench-sched");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";

interface Options { samples: number; periods: number[]; work: number[]; hogs: number[]; kinds: string[]; ghost: string }

function parseArgs(argv: string[]): Options {
  const o: Options = {
    samples: 100, periods: [1, 5, 16, 33], work: [5, 20, 50], hogs: [1, 3, 8], kinds: ["threads", "processes"],
    ghost: process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js"),
  };
  const nums = (s: string) => s.split(",").map(Number);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === "--samples") { o.samples = Number(v); i++; }
    else if (a === "--periods") { o.periods = nums(v); i++; }
    else if (a === "--work") { o.work = nums(v); i++; }
    else if (a === "--hogs") { o.hogs = nums(v); i++; }
    else if (a === "--kinds") { o.kinds = v.split(","); i++; }
    else if (a === "--ghost") { o.ghost = v; i++; }
    else { process.stderr.write("usage: node dist/bench/sched/sweep.js [--samples N] [--periods ms,..] [--work pct,..] [--hogs n,..] [--kinds threads,processes] [--ghost PATH]\n"); process.exit(2); }
  }
  return o;
}

function build(): string {
  const src = join(root, "bench", "sched", "sweep.c"), out = join(outDir, "sweep");
  if (existsSync(out) && statSync(out).mtimeMs > statSync(src).mtimeMs) return out;
  const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-pthread", "-o", out, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${CC} sweep.c failed:\n${r.stderr}`);
  return out;
}

type Stats = Record<string, number>;

function runCell(o: Options, sched: string, args: string[]): Promise<Stats> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [o.ghost, "run", "--clock=virtual", `--sched=${sched}`, "--", ...args],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"], timeout: 1_800_000, killSignal: "SIGKILL" });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("close", (status) => {
      const line = out.split("\n").find((l) => l.startsWith("frame "));
      if (status !== 0 || !line) { reject(new Error(`ghost ${args.join(" ")} exited ${status}: ${out}`)); return; }
      const f = line.split(" ").slice(1), r: Stats = {};
      for (let i = 0; i + 1 < f.length; i += 2) r[f[i]] = Number(f[i + 1]);
      resolve(r);
    });
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(outDir, { recursive: true });
  const bin = build();
  const cells: { period: number; work: number; hogs: number; kind: string; bore: Stats; eevdf: Stats }[] = [];
  const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1));
  // Rows go out as they come: a long sweep shows its progress.
  process.stdout.write("| period (ms) | work | hogs | hogs are | BORE p50 | BORE p99 | EEVDF p50 | EEVDF p99 |\n|---:|---:|---:|---|---:|---:|---:|---:|\n");
  let worse = 0;
  for (const kind of o.kinds) for (const hogs of o.hogs) for (const period of o.periods) for (const work of o.work) {
    const seconds = Math.max(0.3, (o.samples * period) / 1000);
    const args = [bin, String(seconds), String(Math.round(period * 1000)), String(work), String(hogs), kind];
    process.stderr.write(`sweep: ${period} ms, ${work}%, ${hogs} ${kind}…\n`);
    const bore = await runCell(o, "bore", args), eevdf = await runCell(o, "eevdf", args);
    cells.push({ period, work, hogs, kind, bore, eevdf });
    const bad = bore.p99 > eevdf.p99;
    if (bad) worse++;
    process.stdout.write(`| ${period} | ${work}% | ${hogs} | ${kind} | ${fmt(bore.p50)} | ${fmt(bore.p99)}${bad ? " !" : ""} | ${fmt(eevdf.p50)} | ${fmt(eevdf.p99)} |\n`);
  }
  writeFileSync(join(outDir, "sweep.json"), JSON.stringify({ date: new Date().toISOString(), samples: o.samples, cells }, null, 2));
  process.stdout.write(`\nBORE's p99 worse than EEVDF's in ${worse} of ${cells.length} cells.\n`);
}

main().catch((e) => { process.stderr.write(`bench:sched:sweep: ${(e as Error).message}\n`); process.exit(1); });
