// Memory-management programs (userland/mm/) under qemu-riscv64 and Ghost:
// writeback of shared file mappings (mapwb); I/O copied in bounded steps and
// the zero page (bigio: 2 GiB of untouched memory read in a 256 MiB guest);
// and, under Ghost only, mapwb
// program on a host directory mounted read-only over /usr, run from a shell
// that goes on to `ls` it (the perl / `sh -c ls` hang of a failed writeback).
//
//   npx tsc -p tsconfig.json && node --test dist/test/mm/mm.test.js
//
// Environment: USERLAND_RUNNERS, USERLAND_TIMEOUT_MS, GHOST_CLI (see test/helpers/programs.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exitStatus, judge, ProgramSuite, report } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/mm");
const suite = new ProgramSuite({ root, timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 180_000), exportQemuBin: true, ownGroup: true });
const bin = join(root, "build", "userland-mm");
// mlock accounting, mseal and cachestat (issue #14).
// forkcow (copy-on-write of hot pages across fork) is checked natively too.
const NATIVE = ["mlock", "mseal", "cachestat", "pmadvise", "pmrelease", "remapfp", "forkcow", "madvise"];

// mapwb's data file: PATTERN_LEN bytes of pattern(i) = 'a' + (i * 7) % 26.
function pattern(): Buffer {
  const b = Buffer.alloc(10000);
  for (let i = 0; i < b.length; i++) b[i] = 97 + ((i * 7) % 26);
  return b;
}

const OLD = new Date("2000-01-01T00:00:00Z");

describe("mm programs", { concurrency: 2 }, () => {
  let base = "";
  before(() => {
    suite.build("userland/mm/build.mjs", ["-j", "2"], "userland-mm");
    fs.mkdirSync(join(root, "build", "mm-test"), { recursive: true });
    base = fs.mkdtempSync(join(root, "build", "mm-test", "run-"));
  });
  after(() => { if (base) fs.rmSync(base, { recursive: true, force: true }); });

  suite.define("mapwb", "build/userland-mm/mapwb");
  // The self-checking programs of the folder that need nothing but a run.
  for (const name of ["mm", "vm", "cow", "asidtop", "rootwb", "mapcount", "icache", ...NATIVE]) suite.define(name, `build/userland-mm/${name}`);
  // Programs that skip what qemu-user 7.2 lacks also run natively: the host's Linux validates them.
  for (const name of NATIVE) suite.defineNative(name, `userland/mm/${name}.c`);
  if (suite.runners.includes("qemu")) {
    test("qemu-riscv64: bigio", { skip: suite.qemuBin ? false : "qemu-riscv64 not installed" }, async () => {
      if (suite.buildError) assert.fail(suite.buildError);
      const r = await suite.run(suite.qemuBin!, ["build/userland-mm/bigio"], { GHOST_TEST_QEMU: "1" });
      const problems = judge(r);
      if (problems.length) assert.fail(report("qemu-riscv64", "bigio", r, problems));
    });
  }

  if (suite.runners.includes("ghost")) {
    test("ghost --mem=256M: bigio (bounded I/O copies, short counts, the zero page)", async () => {
      if (suite.buildError) assert.fail(suite.buildError);
      const r = await suite.run(process.execPath, [suite.ghostCli, "run", "--mem=256M", "--", "build/userland-mm/bigio"]);
      const problems = judge(r);
      if (problems.length) assert.fail(report("ghost", "bigio --mem=256M", r, problems));
    });
  }

  if (suite.runners.includes("ghost")) {
    test("ghost: a shared read-only mapping on a :ro mount over /usr; exit, exec and `sh -c ls` complete", async () => {
      if (suite.buildError) assert.fail(suite.buildError);
      const usr = join(base, "usr");
      fs.mkdirSync(join(usr, "share", "mm"), { recursive: true });
      const data = join(usr, "share", "mm", "data.txt");
      fs.writeFileSync(data, pattern());
      fs.utimesSync(data, OLD, OLD);
      const args = [suite.ghostCli, "run", "-v", `${usr}:/usr:ro`, "-v", `${bin}:/vt:ro`, "--",
        "/bin/sh", "-c", "/vt/mapwb /usr/share/mm ro && ls /usr/share/mm"];
      const r = await suite.run(process.execPath, args, {}, { cwd: base });
      const problems = judge(r);
      if (!/^data\.txt$/m.test(r.stdout)) problems.push("`ls /usr/share/mm` did not list data.txt");
      const st = fs.statSync(data);
      if (st.mtimeMs !== OLD.getTime()) problems.push(`the host file's mtime changed to ${st.mtime.toISOString()}`);
      if (!fs.readFileSync(data).equals(pattern())) problems.push("the host file's content changed");
      if (problems.length) assert.fail(report("ghost", "mapwb on a :ro /usr", r, problems));
    });

    // A root filled from a host directory gives pages that are clean copies
    // of the host's bytes, dropped under pressure (src/fs/tmpfs_clean.ts).
    // With the root full, the writeback of a store through a shared mapping
    // failed (ENOSPC) and left the page clean: drop_caches then brought back
    // the old bytes. The store must stay, as any store to tmpfs does.
    test("ghost: a store through a shared mapping into a host-directory root that is full survives drop_caches", async () => {
      if (suite.buildError) assert.fail(suite.buildError);
      const rootDir = join(base, "root");
      fs.cpSync(join(root, "build", "rootfs"), rootDir, { recursive: true, verbatimSymlinks: true });
      fs.copyFileSync(join(bin, "rootwb"), join(rootDir, "rootwb"));
      fs.writeFileSync(join(rootDir, "mapme"), Buffer.alloc(4096, "o"));
      // --mem=96M gives the root size= 48 MiB; dd fills it (ENOSPC ends dd).
      const script = "dd if=/dev/zero of=/fill bs=1M count=64 2>/dev/null; /rootwb /mapme";
      const r = await suite.run(process.execPath, [suite.ghostCli, "run", "--mem=96M", `--root=${rootDir}`, "--", "/bin/sh", "-c", script], {}, { cwd: base });
      const problems = judge(r);
      if (exitStatus(r) !== 0 || problems.length) assert.fail(report("ghost", "rootwb on a full host-directory root", r, problems));
      // The host's file is the root's source, never written by the guest.
      assert.ok(fs.readFileSync(join(rootDir, "mapme")).equals(Buffer.alloc(4096, "o")));
    });

    test("ghost: a shared mapping of a file on a read-write host mount: only stores are written back", async () => {
      if (suite.buildError) assert.fail(suite.buildError);
      const rw = join(base, "rw");
      fs.mkdirSync(rw);
      const r = await suite.run(process.execPath, [suite.ghostCli, "run", "-v", `${rw}:/mnt/rw`, "-v", `${bin}:/vt:ro`, "--", "/vt/mapwb", "/mnt/rw"], {}, { cwd: base });
      const problems = judge(r);
      // mapwb leaves data.txt holding the pattern again, last written by itself.
      if (!fs.readFileSync(join(rw, "data.txt")).equals(pattern())) problems.push("the host file does not hold the pattern at the end");
      if (exitStatus(r) !== 0 || problems.length) assert.fail(report("ghost", "mapwb /mnt/rw", r, problems));
    });
  }
});
