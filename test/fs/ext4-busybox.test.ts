// busybox's own testsuite with its working directory on an ext4 disk
// (scripts/busybox-testsuite.sh --on=ext4): the run directory is copied onto
// a fresh image (the host's mke2fs) mounted in Ghost, runtest runs there, and
// the results are compared with the recorded qemu-riscv64 side, as
// test/fs/busybox-testsuite.test.ts does on a host directory. Every test that
// passes under qemu must pass on ext4, and the host's e2fsck -fn must find
// the image clean after the run.
//
// By default the applets whose tests make, copy, move, archive and remove
// files (about a minute); BUSYBOX_TS_EXT4=full runs the whole testsuite (a
// few minutes on an idle machine).
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-busybox.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { haveE2fsprogs, root } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const full = process.env.BUSYBOX_TS_EXT4 === "full";
const APPLETS = "cp mv tar cpio ls find ln rm rmdir mkdir touch du dd cat readlink realpath mkfs.minix";
const sideTimeout = full ? 1500 : 600;
const build = process.env.GHOST_BUILD_DIR ?? join(root, "build");

interface Side { pass: number; fail: number; skipped: number; seconds: number; timedOut: boolean }
interface Summary { ghost: Side; qemuPass: number; ghostPassOfQemuPass: number; passUnderQemuNotGhost: { name: string; ghost: string }[] }

test(`busybox testsuite on ext4 (${full ? "all applets" : APPLETS}): what passes under qemu-riscv64 passes, e2fsck -fn clean`, { skip, timeout: (sideTimeout + 600) * 1000 }, () => {
  const args = [join(root, "scripts", "busybox-testsuite.sh"), "--on=ext4", "--qemu=baseline", `--timeout=${sideTimeout}`, "-q"];
  if (!full) args.push(`--applets=${APPLETS}`);
  const r = spawnSync("bash", args, { cwd: root, encoding: "utf8", timeout: (sideTimeout + 540) * 1000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `scripts/busybox-testsuite.sh failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
  const s = JSON.parse(readFileSync(join(build, "busybox-testsuite", "summary-ext4.json"), "utf8")) as Summary;
  const log = readFileSync(join(build, "busybox-testsuite", "ghost-ext4.log"), "utf8");
  console.log(`busybox testsuite on ext4: ${s.ghost.pass} passed, ${s.ghost.fail} failed, ${s.ghost.skipped} skipped (${s.ghost.seconds} s); ` +
    `${s.ghostPassOfQemuPass} of the ${s.qemuPass} passing under qemu pass`);
  assert.ok(!s.ghost.timedOut, "the run timed out");
  assert.ok(s.qemuPass >= (full ? 500 : 50), `only ${s.qemuPass} tests compared: the run is broken (build/busybox-testsuite/ghost-ext4.log)`);
  assert.deepEqual(s.passUnderQemuNotGhost, [], "pass under qemu, not on ext4 under Ghost");
  assert.match(log, /host e2fsck -fn after the run: clean\n/, log.slice(-3000));
});
