// Runs the process test programs in userland/proc/ (processes, threads,
// signals, credentials, limits, futexes, the exec ABI) under qemu-riscv64
// (which validates the programs themselves) and under Ghost.
//
//   npx tsc -p tsconfig.json && node --test dist/test/userland/proc.test.js
//
// Environment:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   USERLAND_ONLY=fork,wait       only these programs
//   USERLAND_TIMEOUT_MS=120000    per-run timeout
//   GHOST_CLI=path/to/main.js     Ghost's CLI (default dist/src/cli/main.js)
//
// Each program prints `ok - ...` / `not ok - ...` lines and exits 0 only if
// every check passed. Under qemu the programs see GHOST_TEST_QEMU=1 (skipping
// the few checks where qemu-user differs from Linux) and KT_QEMU_BIN, the
// host qemu-riscv64 they go through to execve riscv64 programs.
import { constants } from "node:os";
import { describe } from "node:test";
import { ProgramCase, ProgramSuite } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/proc");
// Programs that leave descendants behind run in a process group of their own.
const suite = new ProgramSuite({
  root,
  timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000),
  ownGroup: true,
  exportQemuBin: true,
});

const sig = (name: keyof typeof constants.signals) => 128 + constants.signals[name];

const cases: Record<string, ProgramCase[]> = {
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

describe("userland/proc programs (processes, threads, signals, credentials, limits)", { concurrency: 2 }, () => {
  // Programs that skip checks qemu-user gets wrong also run natively: the host's Linux validates them.
  suite.defineSet("proc", { cases, native: ["cloneio", "fexecpath", "execcache", "clonesig", "procrel", "futex2", "timers", "seccomp", "ptrace", "keys"] });
});
