// Runs the process/thread/signal/VM test programs in userland/tests3/ under
// qemu-riscv64 (which validates the programs themselves) and under Ghost.
//
//   npx tsc -p tsconfig.json && node --test dist/test/userland/proc.test.js
//
// Environment:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   USERLAND3_ONLY=fork,wait      only these programs
//   USERLAND_TIMEOUT_MS=90000     per-run timeout
//   GHOST_CLI=path/to/main.js     Ghost's CLI (default dist/src/cli/main.js)
//
// Each program prints `ok - ...` / `not ok - ...` lines and exits 0 only if
// every check passed. Under qemu the programs see GHOST_TEST_QEMU=1 (skipping
// the few checks where qemu-user differs from Linux) and KT_QEMU_BIN, the
// host qemu-riscv64 they go through to execve riscv64 programs.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "userland", "tests3"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

const root = findRoot();
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const timeoutMs = Number(process.env.USERLAND_TIMEOUT_MS ?? 90_000);
const runners = (process.env.USERLAND_RUNNERS ?? "qemu,ghost").split(",").map((s) => s.trim());
const only = process.env.USERLAND3_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const qemuBin = onPath("qemu-riscv64");

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
    // A process group of its own, so that a timeout (or a stray grandchild
    // still holding stdout after the program exited) can be killed as a whole.
    const child = spawn(cmd, args, { cwd: root, env: fullEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let done = false;
    let exitInfo: { status: number | null; signal: NodeJS.Signals | null } | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const finish = (r: RunResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      resolve(r);
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      child.kill("SIGKILL");
    }, timeoutMs);
    let drainTimer: NodeJS.Timeout | undefined;
    child.on("error", (error) => finish({ status: null, signal: null, stdout, stderr, timedOut, error }));
    child.on("exit", (status, signal) => {
      exitInfo = { status, signal };
      // The output pipes close when every holder is gone; leftover descendants are killed after a grace period.
      drainTimer = setTimeout(() => {
        killGroup();
        stderr += "\n[proc.test: descendants still held the output open after the program exited; killed them]\n";
      }, 3000);
    });
    child.on("close", (status, signal) => {
      const info = exitInfo ?? { status, signal };
      finish({ status: info.status, signal: info.signal, stdout, stderr, timedOut });
    });
  });
}

/** The status a shell would report: exit code, or 128+N when killed by signal N. */
function exitStatus(r: RunResult): number | null {
  if (r.status !== null) return r.status;
  if (r.signal !== null) return 128 + (constants.signals[r.signal] ?? 0);
  return null;
}

function tail(s: string, lines: number): string {
  return s.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Problems with a run (empty = pass): exit status 0, some ok lines, no `not ok` line. */
function judge(r: RunResult): string[] {
  if (r.error) return [`could not start: ${r.error.message}`];
  const problems: string[] = [];
  if (r.timedOut) problems.push(`timed out after ${timeoutMs} ms`);
  const got = exitStatus(r);
  if (got !== 0) {
    let why = `exit status ${got}${r.signal ? ` (${r.signal})` : ""}, want 0`;
    if (got === 128 + constants.signals.SIGALRM) why += " (the program's watchdog fired: it hung)";
    problems.push(why);
  }
  const lines = r.stdout.split("\n");
  const failing = lines.filter((l) => /^not ok\b/.test(l));
  const passing = lines.filter((l) => /^ok\b/.test(l));
  if (failing.length > 0) problems.push(`${failing.length} failing check(s):\n    ${failing.join("\n    ")}`);
  if (passing.length === 0 && failing.length === 0) problems.push("no ok/not ok lines in the output");
  return problems;
}

function report(runner: string, name: string, r: RunResult, problems: string[]): string {
  let msg = `${runner}: ${name}: ${problems.join("; ")}`;
  if (r.stderr.trim()) msg += `\n  stderr (tail):\n    ${tail(r.stderr, 20).split("\n").join("\n    ")}`;
  // A wrong status with no failing check (a crash or a hang): show where it stopped.
  if (exitStatus(r) !== 0 && !/^not ok\b/m.test(r.stdout) && r.stdout.trim()) {
    msg += `\n  stdout (tail):\n    ${tail(r.stdout, 8).split("\n").join("\n    ")}`;
  }
  return msg;
}

const programs = readdirSync(join(root, "userland", "tests3"))
  .filter((f) => f.endsWith(".c"))
  .map((f) => basename(f, ".c"))
  .filter((n) => !only || only.includes(n))
  .sort();

let buildError: string | undefined;

describe("userland3 programs (processes, threads, signals, memory)", { concurrency: 2 }, () => {
  before(() => {
    const r = spawnSync(process.execPath, [join(root, "userland", "tests3", "build.mjs"), "-j", "2", ...programs], {
      cwd: root,
      encoding: "utf8",
    });
    if (r.status !== 0) buildError = `userland3 build failed:\n${r.stderr}${r.stdout}`;
  });

  for (const name of programs) {
    const binary = `build/userland3/${name}`;

    if (runners.includes("qemu")) {
      test(`qemu-riscv64: ${name}`, { skip: qemuBin ? false : "qemu-riscv64 not installed" }, async () => {
        if (buildError) assert.fail(buildError);
        const r = await run(qemuBin!, [binary], { GHOST_TEST_QEMU: "1", KT_QEMU_BIN: qemuBin! });
        const problems = judge(r);
        if (problems.length) assert.fail(report("qemu-riscv64", name, r, problems));
      });
    }

    if (runners.includes("ghost")) {
      test(`ghost: ${name}`, async () => {
        if (buildError) assert.fail(buildError);
        if (!existsSync(ghostCli)) assert.fail(`ghost: ${name}: Ghost CLI not built (${ghostCli} missing)`);
        const r = await run(process.execPath, [ghostCli, "run", "--", binary], {});
        const problems = judge(r);
        if (problems.length) assert.fail(report("ghost", name, r, problems));
      });
    }
  }
});
