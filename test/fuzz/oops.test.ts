// The oopses a guest value once caused in the kernel (u64 fields past 2^53,
// negative or huge lengths), one syscall each: userland/fuzz/oops.c runs
// under qemu-riscv64 (which checks the expected results against the host's
// Linux) and under Ghost, where no case may kill its child with SIGSEGV.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fuzz/oops.test.js
//
// Environment: USERLAND_RUNNERS=qemu,ghost, USERLAND_TIMEOUT_MS, GHOST_CLI
// (see test/helpers/programs.ts).
import { before, describe } from "node:test";
import { ProgramSuite } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/fuzz");
const suite = new ProgramSuite({ root, timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000) });

describe("oops regressions", () => {
  before(() => suite.build("userland/fuzz/build.mjs", ["oops"], "userland/fuzz"));
  suite.define("oops", "build/userland-fuzz/oops");
});
