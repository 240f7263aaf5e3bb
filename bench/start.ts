// Start-up benchmark (issue #9, "instant start"): wall time of running a
// small program to its exit — userland/proc/hello.c (static) natively, under
// qemu-riscv64 and with `ghost run`; and /usr/bin/true of the Debian root
// (build/dynroot: dynamically linked) natively (the host's), under
// qemu-riscv64 -L and with `ghost run --root=build/dynroot`. `node -e 0`
// is the floor any Node program pays. Ghost's ratios to qemu and native,
// and the mean CPU time (user + system) of Ghost's and qemu's runs.
// The last row is scripts/prepare.sh when nothing changed (npm start's and
// npm test's first step), in the ghost column.
//
//   npx tsc -p tsconfig.json && node dist/bench/start.js [--reps N] [--json] [--only NAME,...]
//
// --only: the rows whose name contains one of the NAMEs (e.g. --only node,hello).
// "hello, ghost command" starts main.cjs as a program, as the `ghost` command
// is started (without `node` in front: see scripts/build.mjs).
// Medians over N runs (default 7); also written to build/bench/start.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";
import { childCpuMs } from "./cpu.js";

const root = findRoot("bench");
const outDir = join(root, "build", "bench");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.cjs");
const TIMEOUT_MS = 300_000;

interface Row { name: string; native?: string[]; qemu?: string[]; ghost: string[]; reps?: number; env?: NodeJS.ProcessEnv }

// NODE_EXTRA_CA_CERTS (set machine-wide on some hosts) makes every Node
// process parse that CA bundle as it starts, before any of its own code
// runs: ~55 ms of CPU per start here (node -e 0: 128 -> 73 ms, 10 pairs,
// load 17). When it is set, the Node rows are also run without it ("no CA certs").
const CA = "NODE_EXTRA_CA_CERTS";
const withoutCa = (): NodeJS.ProcessEnv => { const e = { ...process.env }; delete e[CA]; return e; };

function rows(): Row[] {
  const out: Row[] = [{ name: "node -e 0", ghost: [process.execPath, "-e", "0"] }];
  if (process.env[CA]) out.push({ name: "node -e 0 (no CA certs)", ghost: [process.execPath, "-e", "0"], env: withoutCa() });
  const src = join(root, "userland", "proc", "hello.c");
  const riscv = join(outDir, "start-hello-riscv64");
  const native = join(outDir, "start-hello-native");
  const cc = (compiler: string, o: string) => {
    const r = spawnSync(compiler, ["-O2", "-static", "-o", o, src], { encoding: "utf8", timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
    if (r.status !== 0) throw new Error(`${compiler} failed: ${r.stderr || r.error}`);
  };
  cc(process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc", riscv);
  cc(process.env.CC ?? "gcc", native);
  out.push({ name: "hello (static)", native: [native], qemu: ["qemu-riscv64", riscv], ghost: [process.execPath, ghostCli, "run", "--", riscv] });
  if (process.env[CA]) out.push({ name: "hello (no CA certs)", ghost: [process.execPath, ghostCli, "run", "--", riscv], env: withoutCa() });
  // The `ghost` command as package.json's bin starts it: main.cjs run as a
  // program, whose shell lines keep NODE_EXTRA_CA_CERTS from Node's start
  // (scripts/build.mjs); the rows above start it with `node`, which parses it.
  if (isLauncher(ghostCli)) out.push({ name: "hello, ghost command", ghost: [ghostCli, "run", "--", riscv] });
  const dynroot = join(root, "build", "dynroot");
  if (existsSync(join(dynroot, "usr", "bin", "true"))) {
    out.push({
      name: "dynroot /usr/bin/true", native: ["/usr/bin/true"],
      qemu: ["qemu-riscv64", "-L", dynroot, join(dynroot, "usr", "bin", "true")],
      ghost: [process.execPath, ghostCli, "run", `--root=${dynroot}`, "--", "/usr/bin/true"],
    });
  } else {
    process.stderr.write("bench/start: no build/dynroot (scripts/dynroot.sh makes it); its row is left out\n");
  }
  // Issue #9's shell-heavy row: a shell loop spawning 1,000 /bin/true. Under
  // Ghost, busybox sh of the default root; natively, the host's sh and true.
  // qemu-user hands a guest's execve to the host kernel, which runs a riscv64
  // /bin/true only through binfmt_misc: the qemu column is the host's sh
  // starting qemu-riscv64 on busybox's true 1,000 times, which is what
  // binfmt_misc would do for each exec. Three runs (each is seconds).
  const loop = "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done";
  const rvTrue = join(root, "build", "rootfs", "bin", "true");
  out.push({
    name: "sh: 1000 x /bin/true", reps: 3,
    native: ["sh", "-c", loop],
    qemu: existsSync(rvTrue) ? ["sh", "-c", loop.replace("/bin/true", `qemu-riscv64 ${rvTrue}`)] : undefined,
    ghost: [process.execPath, ghostCli, "run", "--", "/bin/sh", "-c", loop],
  });
  // What `npm start` and `npm test` do before Ghost runs, with nothing to do.
  out.push({ name: "prepare, nothing changed", ghost: ["bash", join(root, "scripts", "prepare.sh")] });
  return out;
}

// Whether the CLI can be run as a program (built main.cjs: executable, with a #! line).
function isLauncher(path: string): boolean {
  try {
    return (statSync(path).mode & 0o111) !== 0 && readFileSync(path, "latin1").startsWith("#!");
  } catch {
    return false;
  }
}

// Wall and CPU milliseconds of one run; the program must exit 0.
function once(argv: string[], env?: NodeJS.ProcessEnv): { wall: number; cpu: number } {
  const c = childCpuMs();
  const t = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], timeout: TIMEOUT_MS, killSignal: "SIGKILL", env: env ?? process.env });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: status ${r.status} ${r.signal ?? ""} ${r.stderr}`);
  return { wall, cpu: childCpuMs() - c };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf("--reps");
  const reps = at >= 0 ? Number(args[at + 1]) : 7;
  const json = args.includes("--json");
  const only = args.indexOf("--only") >= 0 ? args[args.indexOf("--only") + 1].split(",") : null;
  mkdirSync(outDir, { recursive: true });
  const load = loadavg()[0];
  const results = [];
  for (const row of rows().filter((r) => !only || only.some((o) => r.name.includes(o)))) {
    const runs: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    // Interleaved, so a change of load falls on every runner alike.
    for (let i = 0; i < Math.min(reps, row.reps ?? reps); i++) {
      for (const which of ["native", "qemu", "ghost"] as const) {
        const argv = row[which];
        if (!argv) continue;
        const r = once(argv, row.env);
        (runs[which] ??= []).push(r.wall);
        (cpu[which] ??= []).push(r.cpu);
      }
    }
    const ms = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, Math.round(median(v) * 10) / 10]));
    const cpuMs = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(mean(v))]));
    const ratio = (k: string) => (ms[k] ? Math.round((ms.ghost / ms[k]) * 10) / 10 : null);
    results.push({ name: row.name, medianMs: ms, meanCpuMs: cpuMs, ghostVsQemu: ratio("qemu"), ghostVsNative: ratio("native") });
  }
  const report = { benchmark: "start-up", unit: "ms wall, median (meanCpuMs: CPU time, mean)", reps, loadAverage: Math.round(load * 100) / 100, results };
  writeFileSync(join(outDir, "start.json"), JSON.stringify(report, null, 2) + "\n");
  if (json) { process.stdout.write(JSON.stringify(report) + "\n"); return; }
  process.stdout.write(`start-up, median wall ms over ${reps} runs (load average ${load.toFixed(2)})\n`);
  process.stdout.write(`${"workload".padEnd(24)}${"native".padStart(9)}${"qemu".padStart(9)}${"ghost".padStart(9)}${"vs qemu".padStart(9)}${"vs native".padStart(11)}${"ghost cpu".padStart(11)}${"qemu cpu".padStart(10)}\n`);
  for (const r of results) {
    const f = (v: number | null | undefined, suffix = "") => (v == null || Number.isNaN(v) ? "-" : `${v}${suffix}`);
    process.stdout.write(`${r.name.padEnd(24)}${f(r.medianMs.native).padStart(9)}${f(r.medianMs.qemu).padStart(9)}${f(r.medianMs.ghost).padStart(9)}${f(r.ghostVsQemu, "x").padStart(9)}${f(r.ghostVsNative, "x").padStart(11)}${f(r.meanCpuMs.ghost).padStart(11)}${f(r.meanCpuMs.qemu).padStart(10)}\n`);
  }
}

main();
