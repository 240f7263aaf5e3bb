// Runs the self-checking C programs in userland/tests/ under qemu-riscv64
// (which validates the programs themselves) and under Ghost.
//
//   npx tsc -p tsconfig.json && node --test dist/test/userland/
//
// Environment:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   USERLAND_ONLY=io,mm           only these programs
//   USERLAND_TIMEOUT_MS=120000    per-run timeout
//   GHOST_CLI=path/to/main.js     Ghost's CLI (default dist/src/cli/main.js)
//
// Each program prints `ok - ...` / `not ok - ...` lines and exits 0 only if
// every check passed. Under qemu the programs see GHOST_TEST_QEMU=1, which
// skips the few checks where qemu-user itself differs from Linux.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { basename, dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "userland", "tests"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

const root = findRoot();
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const timeoutMs = Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000);
const runners = (process.env.USERLAND_RUNNERS ?? "qemu,ghost").split(",").map((s) => s.trim());
const only = process.env.USERLAND_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);

/** One invocation of a program and what its run must look like. */
interface Case {
  label?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Expected exit status (128+N for death by signal N). Default 0. */
  status?: number;
  /** Whether the output holds ok/not ok lines to check. Default true. */
  selfCheck?: boolean;
  /** Exact expected stdout, if any. */
  stdout?: string;
}

const sig = (name: keyof typeof constants.signals) => 128 + constants.signals[name];

const cases: Record<string, Case[]> = {
  hello: [{ stdout: "hello, world\nok - printf returned 13\n" }],
  args: [
    {
      args: ["alpha", "beta gamma", "", "δelta-ünïcode", "--flag=1"],
      env: { GHOST_ARGS_TEST: "x=y z" },
    },
  ],
  exit: [
    {},
    { args: ["exit", "7"], status: 7, selfCheck: false },
    { args: ["exit", "256"], status: 0, selfCheck: false },
    { args: ["exit", "300"], status: 44, selfCheck: false },
    { args: ["_exit", "5"], status: 5, selfCheck: false },
    { args: ["exit_group", "9"], status: 9, selfCheck: false },
    { args: ["exit_thread", "11"], status: 11, selfCheck: false },
    { args: ["return", "13"], status: 13, selfCheck: false },
    { args: ["kill", String(constants.signals.SIGTERM)], status: sig("SIGTERM"), selfCheck: false },
    { args: ["kill", String(constants.signals.SIGUSR1)], status: sig("SIGUSR1"), selfCheck: false },
    { args: ["abort"], status: sig("SIGABRT"), selfCheck: false },
    { args: ["segv"], status: sig("SIGSEGV"), selfCheck: false },
    { args: ["flush"], status: 3, selfCheck: false, stdout: "flushed" },
    { args: ["noflush"], status: 4, selfCheck: false, stdout: "" },
  ],
};

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  error?: Error;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    // Only qemu runs may skip qemu-specific checks.
    if (!("GHOST_TEST_QEMU" in env)) delete fullEnv.GHOST_TEST_QEMU;
    const child = spawn(cmd, args, {
      cwd: root,
      env: fullEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ status: null, signal: null, stdout, stderr, timedOut, error });
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

/** The status a shell would report: exit code, or 128+N when killed by signal N. */
function exitStatus(r: RunResult): number | null {
  if (r.status !== null) return r.status;
  if (r.signal !== null) return 128 + (constants.signals[r.signal] ?? 0);
  return null;
}

function tail(s: string, lines = 20): string {
  const all = s.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Checks a run against its case; returns a list of problems (empty = pass). */
function judge(r: RunResult, c: Case): string[] {
  const problems: string[] = [];
  if (r.error) return [`could not start: ${r.error.message}`];
  if (r.timedOut) problems.push(`timed out after ${timeoutMs} ms`);
  const want = c.status ?? 0;
  const got = exitStatus(r);
  if (got !== want) problems.push(`exit status ${got}${r.signal ? ` (${r.signal})` : ""}, want ${want}`);
  if (c.selfCheck ?? true) {
    const lines = r.stdout.split("\n");
    const failing = lines.filter((l) => /^not ok\b/.test(l));
    const passing = lines.filter((l) => /^ok\b/.test(l));
    if (failing.length > 0) problems.push(`${failing.length} failing check(s):\n    ${failing.join("\n    ")}`);
    if (passing.length === 0 && failing.length === 0) problems.push("no ok/not ok lines in the output");
  }
  if (c.stdout !== undefined && r.stdout !== c.stdout) {
    problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 500))}, want ${JSON.stringify(c.stdout)}`);
  }
  return problems;
}

function quote(arg: string): string {
  return /^[\w.=\/-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

function report(runner: string, name: string, c: Case, r: RunResult, problems: string[]): string {
  const what = [name, ...(c.args ?? []).map(quote)].join(" ");
  let msg = `${runner}: ${what}: ${problems.join("; ")}`;
  if (r.stderr.trim()) msg += `\n  stderr (tail):\n    ${tail(r.stderr).split("\n").join("\n    ")}`;
  // A wrong status with no failing check (a crash, say): show where it stopped.
  const anyFailing = /^not ok\b/m.test(r.stdout);
  if (exitStatus(r) !== (c.status ?? 0) && !anyFailing && r.stdout.trim() && (c.selfCheck ?? true)) {
    msg += `\n  stdout (tail):\n    ${tail(r.stdout, 8).split("\n").join("\n    ")}`;
  }
  return msg;
}

const programs = readdirSync(join(root, "userland", "tests"))
  .filter((f) => f.endsWith(".c"))
  .map((f) => basename(f, ".c"))
  .filter((n) => !only || only.includes(n))
  .sort();

const qemuAvailable = !spawnSync("qemu-riscv64", ["--version"], { stdio: "ignore" }).error;
let buildError: string | undefined;

function caseLabel(c: Case): string {
  if (c.label) return c.label;
  if (!c.args || c.args.length === 0) return "";
  const s = c.args.map(quote).join(" ");
  return " " + (s.length > 40 ? s.slice(0, 37) + "..." : s);
}

describe("userland programs", { concurrency: 2 }, () => {
  before(() => {
    const r = spawnSync(process.execPath, [join(root, "userland", "build.mjs"), ...programs], {
      cwd: root,
      encoding: "utf8",
    });
    if (r.status !== 0) buildError = `userland build failed:\n${r.stderr}${r.stdout}`;
  });

  for (const name of programs) {
    const binary = `build/userland/${name}`;
    for (const c of cases[name] ?? [{}]) {
      const label = name + caseLabel(c);

      if (runners.includes("qemu")) {
        test(`qemu-riscv64: ${label}`, { skip: qemuAvailable ? false : "qemu-riscv64 not installed" }, async () => {
          if (buildError) assert.fail(buildError);
          const r = await run("qemu-riscv64", [binary, ...(c.args ?? [])], { ...c.env, GHOST_TEST_QEMU: "1" });
          const problems = judge(r, c);
          if (problems.length) assert.fail(report("qemu-riscv64", name, c, r, problems));
        });
      }

      if (runners.includes("ghost")) {
        test(`ghost: ${label}`, async () => {
          if (buildError) assert.fail(buildError);
          if (!existsSync(ghostCli)) assert.fail(`ghost: ${name}: Ghost CLI not built (${ghostCli} missing)`);
          const r = await run(process.execPath, [ghostCli, "run", "--", binary, ...(c.args ?? [])], { ...c.env });
          const problems = judge(r, c);
          if (problems.length) assert.fail(report("ghost", name, c, r, problems));
        });
      }
    }
  }
});
