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
import { before, describe } from "node:test";
import { envList, listPrograms, ProgramSuite } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/tests3");
// Programs that leave descendants behind run in a process group of their own.
const suite = new ProgramSuite({
  root,
  timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 90_000),
  ownGroup: true,
  exportQemuBin: true,
});
const only = envList("USERLAND3_ONLY");
const programs = listPrograms(root, "tests3").filter((n) => !only || only.includes(n));
// Programs that skip checks qemu-user gets wrong also run natively: the host's Linux validates them.
const NATIVE = ["clonesig", "procrel", "pmq", "futex2"];

describe("userland3 programs (processes, threads, signals, memory)", { concurrency: 2 }, () => {
  before(() => suite.build("userland/tests3/build.mjs", ["-j", "2", ...programs], "userland3"));

  for (const name of programs) suite.define(name, `build/userland3/${name}`);
  for (const name of NATIVE.filter((n) => programs.includes(n))) suite.defineNative(name, `userland/tests3/${name}.c`);
});
