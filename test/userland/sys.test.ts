// Runs the test programs in userland/ipc/ (System V and POSIX IPC, unix
// sockets) and userland/sys/ (system information, clocks, randomness, hints,
// terminals) under qemu-riscv64 (which validates the programs themselves)
// and under Ghost.
//
//   npx tsc -p tsconfig.json && node --test dist/test/userland/sys.test.js
//
// Environment:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   USERLAND_ONLY=uname,pmq       only these programs
//   USERLAND_TIMEOUT_MS=120000    per-run timeout
//   GHOST_CLI=path/to/main.js     Ghost's CLI (default dist/src/cli/main.js)
import { describe } from "node:test";
import { ProgramSuite } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/ipc");
const suite = new ProgramSuite({
  root,
  timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000),
  ownGroup: true,
  exportQemuBin: true,
});

describe("userland/ipc programs (System V and POSIX IPC, unix sockets)", { concurrency: 2 }, () => {
  // qemu 7.2 lacks the mq_* calls: the host's Linux runs pmq natively.
  suite.defineSet("ipc", { native: ["pmq"] });
});

describe("userland/sys programs (system information, clocks, randomness, hints, terminals)", { concurrency: 2 }, () => {
  suite.defineSet("sys");
});
