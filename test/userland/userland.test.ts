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
import { constants } from "node:os";
import { before, describe } from "node:test";
import { envList, listPrograms, ProgramCase, ProgramSuite, quote } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/tests");
const suite = new ProgramSuite({ root, timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000) });
const only = envList("USERLAND_ONLY");

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

const programs = listPrograms(root, "tests").filter((n) => !only || only.includes(n));

function caseLabel(c: ProgramCase): string {
  if (c.label) return c.label;
  if (!c.args || c.args.length === 0) return "";
  const s = c.args.map(quote).join(" ");
  return " " + (s.length > 40 ? s.slice(0, 37) + "..." : s);
}

describe("userland programs", { concurrency: 2 }, () => {
  before(() => suite.build("userland/build.mjs", programs, "userland"));

  for (const name of programs) {
    for (const c of cases[name] ?? [{}]) suite.define(name, `build/userland/${name}`, c, name + caseLabel(c));
  }
});
