// fallocate's modes, files past 4 GiB and a full disk on Ghost's ext4
// (userland/ext4/falloc.c and enospc.c, self-checking). falloc runs under
// qemu-riscv64 on the host's own filesystem too (ext4 on the machines this
// suite runs on: the oracle when it is), and the files it leaves must have
// the same bytes there and on Ghost's disk; after each run the host's
// e2fsck -fn finds nothing to fix and its debugfs reads back what Ghost
// wrote.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-falloc.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { onPath } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const bin = join(root, "build", "userland-ext4");
const FILES = ["pre", "keep", "punch", "zero", "collapse", "insert"];
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

let buildError = "";
before(() => {
  const r = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs")], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (r.status !== 0) buildError = `userland/ext4 build failed:\n${r.stderr}${r.stdout}`;
});

function checkOutput(out: string): void {
  const bad = out.split("\n").filter((l) => l.startsWith("not ok"));
  assert.deepEqual(bad, [], out);
  assert.match(out, /# \d+ checks, 0 failed/, out);
}

// The files' md5 sums as busybox md5sum prints them in the guest.
function guestSums(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [, sum, name] of out.matchAll(/^([0-9a-f]{32})  (\S+)$/gm)) m.set(name, sum);
  return m;
}

// What the same program leaves on the host's filesystem under qemu-riscv64.
function hostSums(dir: string): Map<string, string> | null {
  const qemu = onPath("qemu-riscv64");
  const fsType = spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" }).stdout.trim();
  if (!qemu || fsType !== "ext2/ext3") return null; // the oracle only where the host's /tmp is ext4
  const r = spawnSync(qemu, [join(bin, "falloc"), dir], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_TEST_QEMU: "1" } });
  checkOutput(r.stdout ?? "");
  return new Map(FILES.map((f) => [f, md5(readFileSync(join(dir, f)))]));
}

for (const bs of [1024, 4096]) {
  test(`fallocate's modes and a file past 4 GiB on ext4 with ${bs}-byte blocks: as on the host's ext4, e2fsck -fn clean`, { skip, timeout: 300_000 }, () => {
    if (buildError) assert.fail(buildError);
    const s = scratchDir();
    try {
      const img = join(s.dir, "disk.img");
      host("mke2fs", ["-q", "-t", "ext4", "-b", String(bs), img, "64M"]);
      const r = ghostSh(`mount -t ext4 /dev/vda /mnt && /t/falloc /mnt; echo status=$?; cd /mnt && md5sum ${FILES.join(" ")}; cd / && umount /mnt && echo unmounted`,
        [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
      checkOutput(r.stdout);
      assert.match(r.stdout, /status=0/);
      assert.match(r.stdout, /unmounted/, r.stdout + r.stderr);
      const sums = guestSums(r.stdout);
      assert.equal(sums.size, FILES.length, r.stdout);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
      // debugfs reads back the bytes Ghost's guest saw.
      const out = join(s.dir, "dump");
      mkdirSync(out);
      for (const name of FILES) {
        host("debugfs", ["-R", `dump /${name} ${join(out, name)}`, img]);
        assert.equal(md5(readFileSync(join(out, name))), sums.get(name), `debugfs dump of ${name}`);
      }
      const huge = host("debugfs", ["-R", "stat /huge", img]);
      assert.match(huge, /Size: 6442450944\b/, huge);
      if (bs === 4096) {
        const hostDir = join(s.dir, "host");
        mkdirSync(hostDir);
        const oracle = hostSums(hostDir);
        if (oracle) for (const name of FILES) assert.equal(sums.get(name), oracle.get(name), `${name}: the bytes the host's ext4 has`);
      }
    } finally { s.done(); }
  });
}

test("a full ext4 disk: short write then ENOSPC, root's reserve, freed blocks reused at once; e2fsck -fn clean", { skip, timeout: 300_000 }, () => {
  if (buildError) assert.fail(buildError);
  const s = scratchDir();
  try {
    const img = join(s.dir, "small.img");
    host("mke2fs", ["-q", "-t", "ext4", "-b", "1024", img, "16M"]);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt && /t/enospc /mnt; echo status=$?; umount /mnt && echo unmounted",
      [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
    checkOutput(r.stdout);
    assert.match(r.stdout, /status=0/);
    assert.match(r.stdout, /unmounted/, r.stdout + r.stderr);
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
  } finally { s.done(); }
});
