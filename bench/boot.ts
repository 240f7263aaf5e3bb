// Boot benchmark: milliseconds from starting `ghost boot` (as `npm start`
// does, without the build step) to the shell's first prompt on the console,
// on a real pseudo-terminal.
//
//   npx tsc -p tsconfig.json && node dist/bench/boot.js [--reps N] [--json] [--command]
//
// --command starts the CLI as a program, as `npm start` and the `ghost`
// command do (its shell lines keep NODE_EXTRA_CA_CERTS from Node's start,
// scripts/build.mjs); without it, `node main.cjs boot`, as before.
//
// The host's script(1) provides the terminal; each run is ended with
// `poweroff -f` once the prompt shows. Reports every run and the median wall
// time to the prompt, the mean CPU time of a whole boot (to power-off), and
// writes build/bench/boot.json. Exits 1 if the median is over --budget ms
// (default 1000).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";
import { childCpuMs } from "./cpu.js";


const root = findRoot("src/cli");
const cli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.cjs");
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const reps = Number(opt("--reps", "5"));
const budget = Number(opt("--budget", "1000"));
const json = args.includes("--json");
const asCommand = args.includes("--command");
const PROMPT = /root@ghost:[^\r\n]*# /;

function oneBoot(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // script(1) runs the command on a new pty; its own stdin stays a pipe we write to.
    const child = spawn("script", ["-qfec", asCommand ? `${cli} boot` : `${process.execPath} ${cli} boot`, "/dev/null"], {
      stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, TERM: "xterm" },
    });
    let out = "";
    let ms = -1;
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`no prompt after 30 s; output: ${JSON.stringify(out)}`)); }, 30_000);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("latin1");
      if (ms < 0 && PROMPT.test(out)) {
        ms = performance.now() - start;
        child.stdin.write("poweroff -f\n");
      }
    });
    child.on("close", () => {
      clearTimeout(timer);
      if (ms < 0) reject(new Error(`ghost boot ended before a prompt: ${JSON.stringify(out)}`));
      else resolve(ms);
    });
  });
}

async function main(): Promise<void> {
  if (spawnSync("script", ["--version"]).status !== 0) {
    process.stderr.write("bench/boot: script(1) (util-linux) is needed for a terminal\n");
    process.exit(2);
  }
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c = childCpuMs();
    const ms = await oneBoot();
    times.push(ms);
    cpu.push(childCpuMs() - c);
    if (!json) process.stderr.write(`boot ${i + 1}/${reps}: ${ms.toFixed(0)} ms to the first prompt, ${cpu[i]} ms of CPU to power-off\n`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const meanCpuMs = Math.round(cpu.reduce((a, b) => a + b, 0) / cpu.length);
  const result = { benchmark: "boot-to-prompt", unit: "ms", runs: times.map((t) => Math.round(t)), median: Math.round(median), meanCpuMs, budget, loadAverage: Math.round(loadavg()[0] * 100) / 100 };
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  writeFileSync(join(root, "build", "bench", "boot.json"), JSON.stringify(result, null, 2) + "\n");
  if (json) process.stdout.write(JSON.stringify(result) + "\n");
  else process.stdout.write(`boot to first prompt: median ${median.toFixed(0)} ms over ${reps} runs (budget ${budget} ms); mean CPU to power-off ${meanCpuMs} ms (load average ${result.loadAverage})\n`);
  process.exit(median <= budget ? 0 : 1);
}

main().catch((e) => { process.stderr.write(`bench/boot: ${(e as Error).message}\n`); process.exit(2); });
