// busybox's own testsuite (testsuite/runtest from the Debian source package of
// the riscv64 busybox-static in build/rootfs), run by scripts/busybox-testsuite.sh
// under Ghost and compared with the same binary under qemu-riscv64: of the
// tests that pass under qemu, at least 90% must pass under Ghost.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/busybox-testsuite.test.js
//
// qemu's side is the recorded one (test/fs/busybox-testsuite.qemu.txt, made
// with `scripts/busybox-testsuite.sh --record`) when it is for this busybox
// and testsuite, else the script runs it (which needs user namespaces with
// their own binfmt_misc, Linux 6.7+). The script caches each side's results
// (build/busybox-testsuite/): a second run reruns Ghost's side only when the
// build changed.
// Environment:
//   BUSYBOX_TS_MIN_RATIO=0.90      the bar
//   BUSYBOX_TS_TIMEOUT=1200        seconds each side may run (the script's --timeout)
//   BUSYBOX_TS_QEMU=auto           the script's --qemu (run: rerun qemu's side)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("scripts/busybox-testsuite.sh");
const build = process.env.GHOST_BUILD_DIR ?? join(root, "build");
const minRatio = Number(process.env.BUSYBOX_TS_MIN_RATIO ?? 0.9);
const sideTimeout = Number(process.env.BUSYBOX_TS_TIMEOUT ?? 1200);
const qemuMode = process.env.BUSYBOX_TS_QEMU ?? "auto";

interface Side { pass: number; fail: number; skipped: number; untested: number; exitStatus: number; timedOut: boolean; seconds: number }
interface Summary {
  busyboxBinary: string;
  testsuiteSource: string;
  qemuSide: string;
  qemu: Side;
  ghost: Side;
  qemuPass: number;
  ghostPassOfQemuPass: number;
  ratio: number;
  passUnderQemuNotGhost: { name: string; ghost: string }[];
}

test("busybox testsuite: Ghost passes >= 90% of what passes under qemu-riscv64", { timeout: (2 * sideTimeout + 600) * 1000 }, () => {
  const t0 = performance.now();
  const r = spawnSync("bash", [join(root, "scripts/busybox-testsuite.sh"), `--timeout=${sideTimeout}`, `--qemu=${qemuMode}`], {
    cwd: root,
    stdio: ["ignore", "inherit", "pipe"],
    maxBuffer: 64 << 20,
  });
  const stderr = r.stderr?.toString() ?? "";
  assert.equal(r.status, 0, `scripts/busybox-testsuite.sh failed (status ${r.status}, signal ${r.signal}):\n${stderr}`);
  const s = JSON.parse(readFileSync(join(build, "busybox-testsuite/summary.json"), "utf8")) as Summary;
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(
    `busybox testsuite (${s.testsuiteSource}, binary ${s.busyboxBinary}), ${secs} s:\n` +
      `  qemu-riscv64${s.qemuSide === "run" ? "" : ` (${s.qemuSide})`}: ${s.qemu.pass} passed, ${s.qemu.fail} failed (${s.qemu.seconds} s${s.qemu.timedOut ? ", timed out" : ""})\n` +
      `  ghost:        ${s.ghost.pass} passed, ${s.ghost.fail} failed (${s.ghost.seconds} s${s.ghost.timedOut ? ", timed out" : ""})\n` +
      `  ${s.ghostPassOfQemuPass} of the ${s.qemuPass} tests passing under qemu pass under Ghost (${(100 * s.ratio).toFixed(1)}%)`,
  );
  const failing = s.passUnderQemuNotGhost.map((f) => `  ${f.ghost}: ${f.name}`).join("\n");
  if (failing) console.log(`pass under qemu, not under Ghost:\n${failing}`);
  assert.ok(s.qemuPass >= 500, `only ${s.qemuPass} tests pass under qemu: the qemu side is broken (build/busybox-testsuite/qemu.log)`);
  assert.ok(
    s.ratio >= minRatio,
    `${s.ghostPassOfQemuPass}/${s.qemuPass} = ${(100 * s.ratio).toFixed(1)}% < ${100 * minRatio}%; ` +
      `pass under qemu, not under Ghost:\n${failing}`,
  );
});
