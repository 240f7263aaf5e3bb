// Exec and start-up of real programs (issue #9: translations reused across
// execs and runs): Debian's riscv64 python3 (`-c pass`) and a shell loop of
// twenty execs of /bin/true, both from build/dynroot, under qemu-riscv64 -L
// and `ghost run --root=build/dynroot` four ways: the interpreter alone
// (GHOST_JIT=0), the JIT without its persistent cache (GHOST_JIT_CACHE=0), and
// with it, cold (an empty private directory before each run) and warm (the
// directory a previous run filled). CPU time (user + system, all threads:
// V8 compiles wasm in background threads) and wall time, medians; ratios to
// qemu and to the interpreter.
//
//   npx tsc -p tsconfig.json && node dist/bench/exec.js [--reps N] [--json]
//
// qemu-user passes a guest's execve to the host kernel, which cannot run a
// riscv64 /bin/true without binfmt_misc: the loop's qemu column is left out
// unless the host has that. Also written to build/bench/exec.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("bench");
const outDir = join(root, "build", "bench");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const dynroot = join(root, "build", "dynroot");
const TIMEOUT_MS = 600_000;

interface Row { name: string; guest: string[]; qemu: boolean }
const ROWS: Row[] = [
  { name: "python3 -c pass", guest: ["/usr/bin/python3", "-c", "pass"], qemu: true },
  { name: "sh: 20 x /bin/true", guest: ["/bin/sh", "-c", "for i in $(seq 20); do /bin/true; done"], qemu: existsSync("/proc/sys/fs/binfmt_misc/qemu-riscv64") },
];

type Way = "qemu" | "interp" | "jit-nocache" | "jit-cold" | "jit-warm";
const WAYS: Way[] = ["qemu", "interp", "jit-nocache", "jit-cold", "jit-warm"];

interface Sample { cpuS: number; wallMs: number }

// One run under /usr/bin/time (CPU of the child and its threads); must exit 0.
function once(argv: string[], env: NodeJS.ProcessEnv): Sample {
  const t = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "cpu %U %S", ...argv], { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
  const wallMs = performance.now() - t;
  const m = /cpu ([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr ?? "");
  if (r.status !== 0 || !m) throw new Error(`${argv.join(" ")}: status ${r.status} ${r.signal ?? ""} ${r.stderr}`);
  return { cpuS: Number(m[1]) + Number(m[2]), wallMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  if (!existsSync(join(dynroot, "usr", "bin", "python3"))) {
    process.stderr.write("bench/exec: no build/dynroot (scripts/dynroot.sh makes it): skipped\n");
    return;
  }
  if (spawnSync("/usr/bin/time", ["true"], { timeout: 10_000, killSignal: "SIGKILL" }).status !== 0) {
    process.stderr.write("bench/exec: no /usr/bin/time: skipped\n");
    return;
  }
  const args = process.argv.slice(2);
  const at = args.indexOf("--reps");
  const reps = at >= 0 ? Number(args[at + 1]) : 3;
  const json = args.includes("--json");
  mkdirSync(outDir, { recursive: true });
  const load = loadavg()[0];
  const cacheRoot = mkdtempSync(join(tmpdir(), "ghost-bench-exec-"));
  const results = [];
  try {
    for (const row of ROWS) {
      const samples: Partial<Record<Way, Sample[]>> = {};
      const warm = join(cacheRoot, "warm");
      const ghost = [process.execPath, ghostCli, "run", `--root=${dynroot}`, "--", ...row.guest];
      // The warm directory's first filling is not measured.
      once(ghost, { ...process.env, GHOST_JIT_CACHE_DIR: warm });
      // Interleaved, so a change of load falls on every way alike.
      for (let i = 0; i < reps; i++) {
        for (const way of WAYS) {
          if (way === "qemu" && !row.qemu) continue;
          const env: NodeJS.ProcessEnv = { ...process.env };
          let argv = ghost;
          if (way === "qemu") argv = ["qemu-riscv64", "-L", dynroot, join(dynroot, row.guest[0]), ...row.guest.slice(1)];
          else if (way === "interp") env.GHOST_JIT = "0";
          else if (way === "jit-nocache") env.GHOST_JIT_CACHE = "0";
          else if (way === "jit-warm") env.GHOST_JIT_CACHE_DIR = warm;
          else {
            const cold = join(cacheRoot, `cold-${i}`);
            rmSync(cold, { recursive: true, force: true });
            env.GHOST_JIT_CACHE_DIR = cold;
          }
          (samples[way] ??= []).push(once(argv, env));
        }
      }
      const cpu = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v.map((s) => s.cpuS)) * 100) / 100]));
      const wall = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v.map((s) => s.wallMs)))]));
      results.push({ name: row.name, cpuS: cpu, wallMs: wall });
    }
  } finally {
    rmSync(cacheRoot, { recursive: true, force: true });
  }
  const report = { benchmark: "exec", unit: "CPU s (user+sys) and wall ms, medians", reps, loadAverage: Math.round(load * 100) / 100, results };
  writeFileSync(join(outDir, "exec.json"), JSON.stringify(report, null, 2) + "\n");
  if (json) { process.stdout.write(JSON.stringify(report) + "\n"); return; }
  process.stdout.write(`exec and start-up of dynroot programs, median CPU s over ${reps} runs (load average ${load.toFixed(2)}); ratio to qemu, to the interpreter\n`);
  process.stdout.write(`${"workload".padEnd(22)}${WAYS.map((w) => w.padStart(18)).join("")}\n`);
  for (const r of results) {
    const c = r.cpuS as Record<string, number>;
    const cell = (w: Way): string => {
      if (c[w] === undefined) return "-";
      if (w === "qemu" || w === "interp") return String(c[w]);
      const q = c.qemu ? ` ${(c[w] / c.qemu).toFixed(1)}q` : "";
      return `${c[w]}${q} ${(c[w] / c.interp).toFixed(2)}i`;
    };
    process.stdout.write(`${r.name.padEnd(22)}${WAYS.map((w) => cell(w).padStart(18)).join("")}\n`);
  }
}

main();
