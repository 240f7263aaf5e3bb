// Debian's riscv64 strace running inside Ghost (ptrace end to end): on a
// small program (test/kernel/programs/ptrace_target.c) it names the
// syscalls with their arguments and results, the signals and the forked
// child, as the host's strace prints them for the same program built for
// x86-64; and its syscall tampering (-e inject) works. The C-level checks
// of each request are userland/proc/ptrace.c (test/userland/proc.test.ts).
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/ptrace.test.js
//
// strace comes from Debian sid through scripts/debs.sh (cached in
// build/apt/debs/) and runs with build/dynroot's libc (scripts/dynroot.sh):
// without network on a first run, the tests are skipped.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/kernel/programs");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const SRC = join(root, "test", "kernel", "programs", "ptrace_target.c");
const TARGET = "build/test-kernel/ptrace_target"; // relative: the cwd is mounted at its own path in Ghost
const NATIVE = join(root, "build", "native", "ptrace_target");
const STRACE = "build/debs/strace/usr/bin/strace";
const FILTER = ["-f", "-e", "trace=openat,write,kill,getpid,wait4,exit_group"];
const RUN_MS = 120_000;

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);

function sh(cmd: string, args: string[], timeout = RUN_MS) {
  return spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout, killSignal: "SIGKILL" });
}

// Builds the program when out of date; null, or the compiler's complaint.
function compile(cc: string, out: string): string | null {
  if (mtime(out) > mtime(SRC)) return null;
  const r = sh(cc, ["-O2", "-static", "-Wall", "-o", out, SRC]);
  return r.status === 0 ? null : `${cc}: ${r.stderr}`;
}

function ghostStrace(args: string[]) {
  return sh(process.execPath, [ghost, "run", "--root=build/dynroot", STRACE, ...args]);
}

// With -ff -o PREFIX, strace writes each process's calls to PREFIX.PID:
// nothing interleaves and no call splits into "<unfinished ...>" halves (the
// split with -f depends on the schedule, on the host as in Ghost). The
// parent's file is the one with getpid; the pids are then named by their
// role, strace's padding gone, and CPU times (host dependent) dropped.
function straceFiles(dir: string): { parent: string[]; child: string[] } {
  const files = readdirSync(dir).filter((f) => f.startsWith("trace."));
  const texts = new Map(files.map((f) => [f.slice("trace.".length), readFileSync(join(dir, f), "utf8")]));
  const selfPid = [...texts].find(([, t]) => /^getpid\(\)/m.test(t))?.[0];
  const childPid = [...texts.keys()].find((p) => p !== selfPid);
  const norm = (t: string | undefined) =>
    (t ?? "").split("\n").filter((l) => l).map((l) => {
      let s = l;
      if (selfPid) s = s.replace(new RegExp(`\\b${selfPid}\\b`, "g"), "SELF");
      if (childPid) s = s.replace(new RegExp(`\\b${childPid}\\b`, "g"), "CHILD");
      return s.replace(/si_[us]time=[^,}]*/g, "si_TIME").replace(/\s+/g, " ");
    });
  assert.equal(texts.size, 2, `two trace files in ${dir}: ${files.join(", ")}`);
  return { parent: norm(texts.get(selfPid ?? "")), child: norm(texts.get(childPid ?? "")) };
}

let skip: string | false = false;

describe("Debian's strace inside Ghost", () => {
  before(() => {
    mkdirSync(join(root, "build", "test-kernel"), { recursive: true });
    mkdirSync(join(root, "build", "native"), { recursive: true });
    if (sh(CC, ["--version"]).status !== 0) { skip = `${CC} not found`; return; }
    const err = compile(CC, join(root, TARGET));
    if (err) throw new Error(err);
    if (!existsSync(join(root, STRACE))) sh("bash", ["scripts/debs.sh", "-q", "strace"], 300_000);
    if (!existsSync(join(root, "build", "dynroot", "usr", "lib"))) sh("bash", ["scripts/dynroot.sh", "-q"], 600_000);
    if (!existsSync(join(root, STRACE))) skip = "Debian's strace could not be fetched (scripts/debs.sh strace)";
    else if (!existsSync(join(root, "build", "dynroot", "usr", "lib"))) skip = "build/dynroot could not be built";
  });

  test("names the program's syscalls, arguments, results, signals and child", (t) => {
    if (skip) return t.skip(skip);
    const r = ghostStrace(FILTER.concat(TARGET));
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stderr}`);
    assert.equal(r.stdout, "hello from the tracee\nchild\n");
    const want = [
      /^write\(1, "hello from the tracee\\n", 22\)\s+= 22$/m,
      /^openat\(AT_FDCWD, "\/nonexistent\/ptrace-target", O_RDONLY\) = -1 ENOENT \(No such file or directory\)$/m,
      /^getpid\(\)\s+= (\d+)$/m,
      /^kill\(\d+, SIGUSR1\)\s+= 0$/m,
      /^--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=\d+, si_uid=0\} ---$/m,
      /strace: Process \d+ attached$/m,
      /^\[pid\s+\d+\] write\(1, "child\\n", 6\)\s+= 6$/m,
      /^\[pid\s+\d+\] \+\+\+ exited with 7 \+\+\+$/m,
      /WIFEXITED\(s\) && WEXITSTATUS\(s\) == 7\}\], 0, NULL\) = \d+$/m,
      /^--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=0, si_status=7, /m,
      /^exit_group\(0\)\s+= \?\n\+\+\+ exited with 0 \+\+\+$/m,
    ];
    for (const re of want) assert.match(r.stderr, re);
    // The child's exit is told to strace before the parent's wait4 returns (Linux's order for a traced child).
    assert.ok(r.stderr.indexOf("exited with 7") < r.stderr.indexOf("WEXITSTATUS(s) == 7"), r.stderr);
  });

  test("prints what the host's strace prints for the same program on x86-64 Linux", (t) => {
    if (skip) return t.skip(skip);
    if (sh("strace", ["-V"]).status !== 0) return t.skip("no strace on the host");
    if (sh("gcc", ["--version"]).status !== 0) return t.skip("no host C compiler");
    const err = compile("gcc", NATIVE);
    if (err) return t.skip(`native build failed: ${err}`);
    const hostDir = join(root, "build", "native", "strace-out");
    const ghostDir = join(root, "build", "test-kernel", "strace-out");
    for (const d of [hostDir, ghostDir]) { rmSync(d, { recursive: true, force: true }); mkdirSync(d, { recursive: true }); }
    const host = sh("strace", [...FILTER, "-ff", "-o", join(hostDir, "trace"), NATIVE]);
    if (host.status !== 0) return t.skip(`the host's strace cannot trace here: ${host.stderr.slice(0, 300)}`);
    const r = ghostStrace([...FILTER, "-ff", "-o", "build/test-kernel/strace-out/trace", TARGET]);
    assert.equal(r.status, 0, r.stderr);
    const want = straceFiles(hostDir);
    assert.ok(want.parent.some((l) => l.startsWith("wait4(CHILD,")), want.parent.join("\n"));
    assert.deepEqual(straceFiles(ghostDir), want);
  });

  test("-e inject: a syscall skipped at entry, its result set at exit", (t) => {
    if (skip) return t.skip(skip);
    // Inside Ghost only: the program then kills pid 4242 of Ghost's own, which does not exist.
    const r = ghostStrace(["-e", "trace=getpid,kill", "-e", "inject=getpid:retval=4242", TARGET]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^getpid\(\)\s+= 4242 \(INJECTED\)$/m);
    assert.match(r.stderr, /^kill\(4242, SIGUSR1\)\s+= -1 ESRCH \(No such process\)$/m);
  });
});
