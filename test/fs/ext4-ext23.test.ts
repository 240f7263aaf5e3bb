// ext2 and ext3 written by Ghost: files without extents (the indirect
// block map, through single, double and triple indirect blocks), sparse
// files, truncates, directories, slow and fast symlinks, unlinks; ext3's
// journal replayed after a SIGKILL. After each, the host's e2fsck -fn finds
// nothing to fix and its debugfs reads back what the guest wrote.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-ext23.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, runUntil } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const hostCat = (img: string, path: string) => spawnSync("debugfs", ["-R", `cat ${path}`, img], { timeout: 60_000, killSignal: "SIGKILL", maxBuffer: 256 << 20 }).stdout;

const WORKLOAD = `set -e
mount -t TYPE /dev/vda /mnt
cd /mnt
mkdir -p d/e
i=0; while [ $i -lt 200 ]; do echo "file $i" > d/f$i; i=$((i + 1)); done
rm d/f1*
mv d/f2 d/e/moved
dd if=/dev/urandom of=big bs=65536 count=80 2>/dev/null
dd if=/dev/urandom of=sparse bs=4096 seek=30000 count=2 2>/dev/null
printf tail | dd of=sparse bs=1 seek=70000000 conv=notrunc 2>/dev/null
cp big cut; truncate -s 300000 cut
ln -s /a/target/long/enough/to/need/a/block/of/its/own/on/the/disk/xxxxxxxxxxxxxxxxxxxx slow
ln -s fast fl
ln big hard
echo grow >> d/f0
md5sum big sparse cut
cd /
umount /mnt
echo unmounted`;

for (const [type, bs] of [["ext2", 1024], ["ext3", 1024], ["ext3", 4096]] as const) {
  test(`${type} with ${bs}-byte blocks: a write workload through the block map, e2fsck -fn clean, debugfs reads it back`, { skip, timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const img = join(s.dir, "fs.img");
      host("mke2fs", ["-q", "-F", "-t", type, "-b", String(bs), img, "64M"]);
      const r = ghostSh(WORKLOAD.replace("TYPE", type), [`--disk=${img}`]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /unmounted\n$/, r.stdout + r.stderr);
      const sums = new Map([...r.stdout.matchAll(/^([0-9a-f]{32})  (\S+)$/gm)].map((m) => [m[2], m[1]]));
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
      for (const name of ["big", "sparse", "cut"]) {
        const data = hostCat(img, `/${name}`);
        assert.equal(md5(data), sums.get(name), `debugfs cat /${name}`);
        if (name === "sparse") assert.equal(data.length, 30002 * 4096);
      }
      assert.equal(hostCat(img, "/d/f0").toString(), "file 0\ngrow\n");
      assert.equal(hostCat(img, "/d/e/moved").toString(), "file 2\n");
      assert.match(host("debugfs", ["-R", "stat /slow", img]), /Size: 81\b.*\n[^]*Blockcount: [1-9]/);
      // 200 made, f1 and f10–f19 and f100–f199 removed, f2 moved away.
      // (debugfs lists a block's first entry even when removed: inode 0.)
      const names = [...host("debugfs", ["-R", "ls /d", img]).matchAll(/(\d+)\s+\(\d+\)\s+(f\d+)/g)].filter((m) => m[1] !== "0").map((m) => m[2]);
      assert.equal(names.length, 200 - 111 - 1, names.join(" "));
      assert.doesNotMatch(host("dumpe2fs", ["-h", img]), /extent/);
    } finally { s.done(); }
  });
}

test("ext3: killed after sync, the journal replays at the next mount; synced files intact, e2fsck -fn clean", { skip, timeout: 300_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext3", img, "64M"]);
    const out = await runUntil(`mount -t ext3 /dev/vda /mnt || exit 1
dd if=/dev/urandom of=/mnt/synced bs=65536 count=20 2>/dev/null
mkdir /mnt/dir; i=0; while [ $i -lt 50 ]; do echo $i > /mnt/dir/$i; i=$((i + 1)); done
sync
md5sum /mnt/synced
echo ready
sleep 1000`, "ready", [`--disk=${img}`]);
    const sum = /^([0-9a-f]{32})  \/mnt\/synced$/m.exec(out)?.[1];
    assert.ok(sum, out);
    const r = ghostSh("mount -t ext3 /dev/vda /mnt || exit 1\nmd5sum < /mnt/synced\nls /mnt/dir | wc -l\numount /mnt", [`--disk=${img}`]);
    assert.equal(r.stdout, `${sum}  -\n50\n`, r.stdout + r.stderr);
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
  } finally { s.done(); }
});
