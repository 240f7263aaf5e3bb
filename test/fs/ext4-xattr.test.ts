// Extended attributes past the inode's room on Ghost's ext4: the external
// xattr block written (userland/ext4/xattrs.c, self-checking; it passes on
// the host's ext4 under qemu-riscv64 too), then the host's e2fsck -fn finds
// nothing to fix and its debugfs lists the attributes Ghost wrote.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-xattr.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { before, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const bin = join(root, "build", "userland-ext4");

let buildError = "";
before(() => {
  const r = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs"), "xattrs"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (r.status !== 0) buildError = `userland/ext4 build failed:\n${r.stderr}${r.stdout}`;
});

for (const inodeSize of [128, 256]) {
  test(`xattrs in a block on ext4 (4 KiB blocks, ${inodeSize}-byte inodes): e2fsck -fn clean, debugfs lists them`, { skip, timeout: 300_000 }, () => {
    if (buildError) assert.fail(buildError);
    const s = scratchDir();
    try {
      const img = join(s.dir, "disk.img");
      host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", "-I", String(inodeSize), img, "32M"]);
      const r = ghostSh("mount -t ext4 /dev/vda /mnt && /t/xattrs /mnt; echo status=$?; umount /mnt && echo unmounted",
        [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
      assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("not ok")), [], r.stdout);
      assert.match(r.stdout, /status=0/, r.stdout);
      assert.match(r.stdout, /unmounted/, r.stdout + r.stderr);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
      const list = host("debugfs", ["-R", "ea_list /xa", img]);
      for (let i = 0; i < 10; i++) assert.match(list, new RegExp(`user\\.a${i} \\(${100 + i}\\)`), list);
      const one = host("debugfs", ["-R", "ea_get /xa user.a7", img]);
      assert.match(one, /h{107}/, one);
    } finally { s.done(); }
  });
}
