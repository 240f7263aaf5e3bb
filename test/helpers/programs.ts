// Runs the self-checking riscv64 test programs of userland/<subject>/ under
// qemu-riscv64 (which validates the programs themselves) and under Ghost, and
// judges their output; shared by test/userland/, test/fs/, test/mm/, test/net/.
//
// Each program prints `ok - ...` / `not ok - ...` lines (userland/include/ktest.h)
// and exits 0 only if every check passed. Under qemu the programs see
// GHOST_TEST_QEMU=1, which skips the few checks where qemu-user itself
// differs from Linux; Ghost runs never inherit it.
//
// Environment read here:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   USERLAND_ONLY=fork,pipes      only these programs (defineSet)
//   GHOST_CLI=path/to/main.js     Ghost's CLI (default dist/src/cli/main.js)
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { basename, delimiter, join } from "node:path";
import { before, test } from "node:test";

/** A comma-separated list from the environment, or undefined when unset. */
export function envList(name: string): string[] | undefined {
  return process.env[name]?.split(",").map((s) => s.trim()).filter(Boolean);
}

/** The full path of a command found on $PATH, if any. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Names (without .c) of the programs in userland/<set>/, sorted. */
export function listPrograms(root: string, set: string): string[] {
  return readdirSync(join(root, "userland", set))
    .filter((f) => f.endsWith(".c"))
    .map((f) => basename(f, ".c"))
    .sort();
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The timeout the run was given. */
  timeoutMs: number;
  error?: Error;
}

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  /**
   * Start the program in a process group of its own, so that a timeout (or
   * a stray grandchild still holding stdout after the program exited) can be
   * killed as a whole.
   */
  ownGroup?: boolean;
}

/** Runs a command to completion, collecting its output. */
export function run(cmd: string, args: string[], env: Record<string, string>, opts: RunOptions): Promise<RunResult> {
  const { cwd, timeoutMs, ownGroup = false } = opts;
  return new Promise((resolve) => {
    const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    // Only qemu runs may skip qemu-specific checks.
    if (!("GHOST_TEST_QEMU" in env)) delete fullEnv.GHOST_TEST_QEMU;
    const child = spawn(cmd, args, { cwd, env: fullEnv, stdio: ["ignore", "pipe", "pipe"], detached: ownGroup });
    const out: Buffer[] = [];
    let stderr = "";
    let timedOut = false;
    let done = false;
    let exitInfo: { status: number | null; signal: NodeJS.Signals | null } | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const finish = (r: Omit<RunResult, "stdout" | "stderr" | "timedOut" | "timeoutMs">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      resolve({ ...r, stdout: Buffer.concat(out).toString("utf8"), stderr, timedOut, timeoutMs });
    };
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      if (ownGroup) killGroup();
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => finish({ status: null, signal: null, error }));
    child.on("exit", (status, signal) => {
      exitInfo = { status, signal };
      if (!ownGroup) return;
      // The output pipes close when every holder is gone; leftover descendants are killed after a grace period.
      drainTimer = setTimeout(() => {
        killGroup();
        stderr += "\n[test runner: descendants still held the output open after the program exited; killed them]\n";
      }, 3000);
    });
    child.on("close", (status, signal) => finish(exitInfo ?? { status, signal }));
  });
}

/**
 * Runs a qemu-riscv64 side, again when it hangs. qemu-user is the oracle, not
 * the subject: a run it never finishes (qemu-user can deadlock in its own locks
 * when a multithreaded guest forks under load) says nothing about Ghost, and
 * one such hang must not fail the suite. A run that ends, however it ends,
 * counts as it is.
 */
export async function runQemu(once: () => Promise<RunResult>, attempts = 3): Promise<RunResult> {
  let r = await once();
  for (let i = 1; i < attempts && qemuHung(r); i++) {
    const how = r.timedOut ? `timed out after ${r.timeoutMs} ms` : "was ended by its own watchdog (SIGALRM)";
    process.stdout.write(`# qemu-riscv64 ${how} (a hang of qemu-user's); run again (${i + 1} of ${attempts})\n`);
    r = await once();
  }
  return r;
}

// A qemu side that never finished: the runner's timeout, or the program's own
// watchdog (kt_watchdog's SIGALRM, which qemu-user passes on by dying of it) —
// on a loaded machine that one fires first (the cow program's qemu side did, in
// a fresh-clone run). A program that is meant to die of SIGALRM dies of it again
// and counts as it is.
function qemuHung(r: RunResult): boolean {
  return r.timedOut || r.signal === "SIGALRM";
}

/** The status a shell would report: exit code, or 128+N when killed by signal N. */
export function exitStatus(r: RunResult): number | null {
  if (r.status !== null) return r.status;
  if (r.signal !== null) return 128 + (constants.signals[r.signal] ?? 0);
  return null;
}

/** The last `lines` lines of s. */
export function tail(s: string, lines = 20): string {
  return s.trimEnd().split("\n").slice(-lines).join("\n");
}

/** What a run must look like. */
export interface Expect {
  /** Expected exit status (128+N for death by signal N). Default 0. */
  status?: number;
  /** Whether the output holds ok/not ok lines to check. Default true. */
  selfCheck?: boolean;
  /** Exact expected stdout, if any. */
  stdout?: string;
}

/**
 * Checks a run against what it must look like; returns a list of problems
 * (empty = pass). `not ok` lines matching one of `knownGaps` are reported as
 * diagnostics, not failures.
 */
export function judge(r: RunResult, want: Expect = {}, knownGaps: RegExp[] = []): string[] {
  if (r.error) return [`could not start: ${r.error.message}`];
  const problems: string[] = [];
  if (r.timedOut) problems.push(`timed out after ${r.timeoutMs} ms`);
  const status = want.status ?? 0;
  const got = exitStatus(r);
  if (got !== status) {
    let why = `exit status ${got}${r.signal ? ` (${r.signal})` : ""}, want ${status}`;
    if (got === 128 + constants.signals.SIGALRM) why += " (the program's watchdog fired: it hung)";
    problems.push(why);
  }
  if (want.selfCheck ?? true) {
    const lines = r.stdout.split("\n");
    let failing = lines.filter((l) => /^not ok\b/.test(l));
    const passing = lines.filter((l) => /^ok\b/.test(l));
    const known = failing.filter((l) => knownGaps.some((re) => re.test(l)));
    if (known.length > 0) {
      for (const l of known) process.stdout.write(`# known gap: ${l}\n`);
      failing = failing.filter((l) => !known.includes(l));
      // A program whose only failures are known gaps exits 1: that is not a new problem.
      if (!failing.length && got !== null && got < 128) {
        const i = problems.findIndex((p) => p.startsWith("exit status"));
        if (i >= 0) problems.splice(i, 1);
      }
    }
    if (failing.length > 0) problems.push(`${failing.length} failing check(s):\n    ${failing.join("\n    ")}`);
    if (passing.length === 0 && failing.length === 0) problems.push("no ok/not ok lines in the output");
  }
  if (want.stdout !== undefined && r.stdout !== want.stdout) {
    problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 500))}, want ${JSON.stringify(want.stdout)}`);
  }
  return problems;
}

/** An argument as a shell would need it written. */
export function quote(arg: string): string {
  return /^[\w.=\/-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/** A failure message: the problems, stderr's tail, and stdout's tail when the run stopped short. */
export function report(runner: string, what: string, r: RunResult, problems: string[], want: Expect = {}): string {
  let msg = `${runner}: ${what}: ${problems.join("; ")}`;
  if (r.stderr.trim()) msg += `\n  stderr (tail):\n    ${tail(r.stderr, 20).split("\n").join("\n    ")}`;
  // A wrong status with no failing check (a crash or a hang): show where it stopped.
  const anyFailing = /^not ok\b/m.test(r.stdout);
  if (exitStatus(r) !== (want.status ?? 0) && !anyFailing && r.stdout.trim() && (want.selfCheck ?? true)) {
    msg += `\n  stdout (tail):\n    ${tail(r.stdout, 8).split("\n").join("\n    ")}`;
  }
  return msg;
}

/** One invocation of a program and what its run must look like. */
export interface ProgramCase extends Expect {
  label?: string;
  args?: string[];
  env?: Record<string, string>;
}

/** A test's label suffix for a case: its own label, or its arguments shortened. */
export function caseLabel(c: ProgramCase): string {
  if (c.label) return c.label;
  if (!c.args || c.args.length === 0) return "";
  const s = c.args.map(quote).join(" ");
  return " " + (s.length > 40 ? s.slice(0, 37) + "..." : s);
}

/** How defineSet runs one folder of programs. */
export interface SetOptions {
  /** Programs run more than once, or with arguments or expectations of their own. */
  cases?: Record<string, ProgramCase[]>;
  /** Programs the host's Linux also runs natively (their subject is missing from qemu-user). */
  native?: string[];
  /** Programs the test file runs its own way (built, but not defined here). */
  own?: string[];
}

export interface SuiteOptions {
  root: string;
  /** Per-run timeout. */
  timeoutMs: number;
  /** Run each program in a process group of its own (see RunOptions.ownGroup). */
  ownGroup?: boolean;
  /**
   * Tell qemu runs where the host's qemu-riscv64 is (KT_QEMU_BIN), for
   * programs that execve riscv64 programs (kt_exec in userland/include/ktest.h).
   */
  exportQemuBin?: boolean;
  /** `not ok` lines Ghost is known to fail today: diagnostics, not failures. */
  knownGhostGaps?: RegExp[];
}

/** The tests of one set of programs, each run under qemu-riscv64 and under Ghost. */
export class ProgramSuite {
  readonly root: string;
  readonly timeoutMs: number;
  readonly ghostCli: string;
  readonly runners: string[];
  readonly qemuBin = onPath("qemu-riscv64");
  /** Set by build() when the programs could not be built: every test then fails with it. */
  buildError: string | undefined;

  constructor(readonly opts: SuiteOptions) {
    this.root = opts.root;
    this.timeoutMs = opts.timeoutMs;
    this.ghostCli = process.env.GHOST_CLI ?? join(opts.root, "dist", "src", "cli", "main.js");
    this.runners = (process.env.USERLAND_RUNNERS ?? "qemu,ghost").split(",").map((s) => s.trim());
  }

  /** Runs a userland build script (path from the root) with `args`; `what` names the set in the error. */
  build(script: string, args: string[], what: string): void {
    const r = spawnSync(process.execPath, [join(this.root, script), ...args], { cwd: this.root, encoding: "utf8" });
    if (r.status !== 0) this.buildError = `${what} build failed:\n${r.stderr}${r.stdout}`;
  }

  /** Runs a command from the root (or `cwd`) with the suite's timeout unless given another. */
  run(cmd: string, args: string[], env: Record<string, string> = {}, opts: Partial<RunOptions> = {}): Promise<RunResult> {
    return run(cmd, args, env, { cwd: this.root, timeoutMs: this.timeoutMs, ownGroup: this.opts.ownGroup, ...opts });
  }

  /** Defines `qemu-riscv64: <label>` and `ghost: <label>` for one run of `binary` (path from the root). */
  define(name: string, binary: string, c: ProgramCase = {}, label = name): void {
    const args = c.args ?? [];
    const what = [name, ...args.map(quote)].join(" ");
    if (this.runners.includes("qemu")) {
      const qemuBin = this.qemuBin;
      test(`qemu-riscv64: ${label}`, { skip: qemuBin ? false : "qemu-riscv64 not installed" }, async () => {
        if (this.buildError) assert.fail(this.buildError);
        const env = { ...c.env, GHOST_TEST_QEMU: "1", ...(this.opts.exportQemuBin ? { KT_QEMU_BIN: qemuBin! } : {}) };
        const r = await runQemu(() => this.run(qemuBin!, [binary, ...args], env));
        const problems = judge(r, c);
        if (problems.length) assert.fail(report("qemu-riscv64", what, r, problems, c));
      });
    }
    if (this.runners.includes("ghost")) {
      test(`ghost: ${label}`, async () => {
        if (this.buildError) assert.fail(this.buildError);
        if (!existsSync(this.ghostCli)) assert.fail(`ghost: ${name}: Ghost CLI not built (${this.ghostCli} missing)`);
        const r = await this.run(process.execPath, [this.ghostCli, "run", "--", binary, ...args], { ...c.env });
        const problems = judge(r, c, this.opts.knownGhostGaps);
        if (problems.length) assert.fail(report("ghost", what, r, problems, c));
      });
    }
  }

  /**
   * Defines `native: <label>`: the program's C source compiled for the host
   * (x86-64 Linux) and run there. For programs whose subject qemu-user gets
   * wrong (they skip those checks under qemu), so that the real Linux still
   * validates every check Ghost is held to.
   */
  defineNative(name: string, source: string, label = name): void {
    const cc = onPath("gcc") ?? onPath("cc");
    test(`native: ${label}`, { skip: cc ? false : "no host C compiler" }, async () => {
      const out = join(this.root, "build", "native", name);
      mkdirSync(join(this.root, "build", "native"), { recursive: true });
      const args = ["-O2", "-Wall", "-pthread", "-I", join(this.root, "userland", "include"), "-o", out, join(this.root, source)];
      const b = spawnSync(cc!, args, { cwd: this.root, encoding: "utf8" });
      if (b.status !== 0) assert.fail(`native: ${name}: build failed:\n${b.stderr}`);
      const r = await this.run(out, []);
      const problems = judge(r);
      if (problems.length) assert.fail(report("native", name, r, problems));
    });
  }

  /**
   * The tests of userland/<set>/: builds the set before they run (build/userland-<set>/)
   * and defines a qemu and a Ghost test per program kept by USERLAND_ONLY, per case.
   * Returns the programs kept (own programs included, for the caller's tests).
   */
  defineSet(set: string, o: SetOptions = {}): string[] {
    const only = envList("USERLAND_ONLY");
    const programs = listPrograms(this.root, set).filter((n) => !only || only.includes(n));
    before(() => {
      if (programs.length) this.build(`userland/${set}/build.mjs`, ["-j", "2", ...programs], `userland/${set}`);
    });
    for (const name of programs.filter((n) => !o.own?.includes(n))) {
      for (const c of o.cases?.[name] ?? [{}]) this.define(name, `build/userland-${set}/${name}`, c, name + caseLabel(c));
    }
    for (const name of (o.native ?? []).filter((n) => programs.includes(n))) this.defineNative(name, `userland/${set}/${name}.c`);
    return programs;
  }
}
