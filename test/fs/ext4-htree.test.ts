// Hashed (htree) directories kept indexed as Ghost writes them: a
// directory outgrowing its first block gets an index, full leaves split,
// full index blocks split, and a full root grows a level. Big directories
// made by Ghost (4,000 names on 1 KiB blocks, 50,000 on 4 KiB) stay
// indexed (debugfs's htree dump), every name is found, removes and renames
// work, and the host's e2fsck -fn — which checks every leaf's hashes against
// the index — finds nothing to fix. A directory the host indexed keeps its
// index through Ghost's changes.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-htree.test.js
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";

// Creates N empty files in one process (awk: no shell loop, no pipe).
const create = (n: number) => `awk 'BEGIN { for (i = 1; i <= ${n}; i++) { f = "a-somewhat-longer-file-name-" i; printf "" > f; close(f) } }'`;

for (const [bs, n, size, inodes] of [[1024, 4000, "32M", "8192"], [4096, 50000, "128M", "60000"]] as const) {
  test(`${n} names on ${bs}-byte blocks: indexed, found, e2fsck -fn clean`, { skip, timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const img = join(s.dir, "fs.img");
      host("mke2fs", ["-q", "-F", "-t", "ext4", "-b", String(bs), "-N", inodes, img, size]);
      const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
mkdir /mnt/d && cd /mnt/d
${create(n)}
ls | wc -l
ls -d a-somewhat-longer-file-name-1 a-somewhat-longer-file-name-${n >> 1} a-somewhat-longer-file-name-${n} | wc -l
rm a-somewhat-longer-file-name-1 a-somewhat-longer-file-name-2 a-somewhat-longer-file-name-3 a-somewhat-longer-file-name-${n}
mv a-somewhat-longer-file-name-10 renamed && ln a-somewhat-longer-file-name-11 linked && mkdir sub && mv sub moved-sub
ls a-somewhat-longer-file-name-2 2>/dev/null || echo gone
ls | wc -l
cd / && umount /mnt
echo done`, [`--disk=${img}`], 280_000);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.stdout, `${n}\n3\ngone\n${n - 4 + 2}\ndone\n`);
      const check = fsck(img);
      assert.equal(check.status, 0, check.out);
      // debugfs's listings of 50,000 names are large: only their heads and the names asked for.
      const dump = host("sh", ["-c", `debugfs -R 'htree /d' '${img}' 2>/dev/null | head -8`]);
      assert.match(dump, /Indirect levels: 1/);
      const ls = host("sh", ["-c", `debugfs -R 'ls /d' '${img}' 2>/dev/null | tr -s ' ' '\\n' | grep -E '^(a-somewhat-longer-file-name-(4|${n >> 1}|${n - 1}|${n})|renamed|linked|moved-sub)$'`]);
      for (const name of ["a-somewhat-longer-file-name-4", `a-somewhat-longer-file-name-${n >> 1}`, `a-somewhat-longer-file-name-${n - 1}`, "renamed", "linked", "moved-sub"]) assert.match(ls, new RegExp(`\\b${name}\\b`));
      assert.doesNotMatch(ls, new RegExp(`\\ba-somewhat-longer-file-name-${n}\\b`));
    } finally { s.done(); }
  });
}

test("a directory the host indexed keeps its index through Ghost's adds, removes and renames", { skip, timeout: 180_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "1024", img, "16M"]);
    const r1 = ghostSh(`mount -t ext4 /dev/vda /mnt && mkdir /mnt/h && cd /mnt/h && ${create(600)} && cd / && umount /mnt`, [`--disk=${img}`]);
    assert.equal(r1.status, 0, r1.stdout + r1.stderr);
    try { host("e2fsck", ["-fyD", img]); } catch { /* 1: the index rebuilt */ }
    assert.match(host("debugfs", ["-R", "htree /h", img]), /Root node dump/);
    const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
cd /mnt/h
rm a-somewhat-longer-file-name-1?? && for i in $(seq 1 200); do : > new-$i; done
mv a-somewhat-longer-file-name-5 ../out && mv ../out back
cd / && umount /mnt && echo done`, [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
    assert.match(host("debugfs", ["-R", "stat /h", img]), /Flags: 0x81000/);
    const ls = host("debugfs", ["-R", "ls /h", img]);
    assert.match(ls, /\bnew-200\b/);
    assert.match(ls, /\bback\b/);
    assert.doesNotMatch(ls, /\ba-somewhat-longer-file-name-150\b/);
  } finally { s.done(); }
});
