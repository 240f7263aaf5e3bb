// Ghost writing ext4 images the host made: a busybox tar extract of a few
// hundred files, renames and deletes of half of them, growth of a hashed
// directory, a sparse file, hard links, symlinks, truncates, attributes, then
// umount (xattr writes are not exercised here: busybox
// has no setfattr). The host's e2fsck -fn must find nothing to fix, and the host's
// debugfs must read back what Ghost wrote.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-write.test.js
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; }
  return b;
}

// A tree of 300 files in 6 directories, and its tar (made on the host).
function makeTar(dir: string): Map<string, string> {
  const src = join(dir, "src");
  const sums = new Map<string, string>();
  for (let d = 0; d < 6; d++) {
    mkdirSync(join(src, `dir${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) {
      const data = bytes(((d * 50 + f) * 37) % 9000, d * 1000 + f + 1);
      const rel = `dir${d}/file${f}`;
      writeFileSync(join(src, rel), data);
      sums.set(rel, md5(data));
    }
  }
  host("tar", ["-cf", join(dir, "tree.tar"), "-C", src, "."]);
  return sums;
}

const WORKLOAD = `
set -e
mount -t ext4 /dev/vda /mnt
cd /mnt
mkdir x && cd x && tar -xf /h/tree.tar && cd ..
# Renames (within and across directories) and deletes of half the files.
for d in 0 1 2; do for f in $(seq 0 4 48); do mv x/dir$d/file$f x/dir$d/moved$f; done; done
for d in 3 4 5; do (cd x/dir$d && rm $(seq 1 2 49 | sed 's/^/file/')); done
mv x/dir0/moved0 x/dir5/from0
mv x/dir1 x/dir5/dir1
rmdir x/dir5/dir1 2>/dev/null || echo not-empty
# The hashed directory the host made grows, and loses names (it stays indexed).
for i in $(seq 1 60); do echo $i > hashed/new$i; done
(cd hashed && rm $(seq 0 3 299 | sed 's/^/old/'))
# Sparse file, hard link, symlinks, truncates, xattrs.
dd if=/dev/zero of=sparse bs=1 count=1 seek=30000000 2>/dev/null
echo linked > orig && ln orig hard
ln -s orig short && ln -s $(printf 'x%.0s' $(seq 1 100)) long
dd if=/h/big of=big bs=65536 2>/dev/null
dd if=/h/big of=shrunk bs=65536 2>/dev/null
truncate -s 10000 shrunk
truncate -s 50000 shrunk
chmod 640 orig && chown 12:34 orig
touch -d '2030-01-02 03:04:05' orig
md5sum big shrunk | cut -d' ' -f1
cd /
umount /mnt
echo done
`;

for (const bs of [1024, 4096]) {
  test(`a write workload on ext4 with ${bs}-byte blocks: e2fsck -fn clean, debugfs reads it back`, { skip, timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const sums = makeTar(s.dir);
      const big = bytes(700_000, 99);
      writeFileSync(join(s.dir, "big"), big);
      // The image: a directory of 300 names indexed by e2fsck -D.
      const tree = join(s.dir, "tree"), img = join(s.dir, "fs.img");
      mkdirSync(join(tree, "hashed"), { recursive: true });
      for (let i = 0; i < 300; i++) writeFileSync(join(tree, "hashed", `old${i}`), `${i}\n`);
      host("mke2fs", ["-q", "-F", "-t", "ext4", "-b", String(bs), "-d", tree, img, "64M"]);
      try { host("e2fsck", ["-fyD", img]); } catch { /* 1: optimised */ }
      assert.match(host("debugfs", ["-R", "stat /hashed", img]), /Flags: 0x81000/);
      const r = ghostSh(WORKLOAD, [`--disk=${img}`, "-v", `${s.dir}:/h`], 240_000);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const trunc = Buffer.concat([big.subarray(0, 10000), Buffer.alloc(40000)]);
      assert.equal(r.stdout, `not-empty\n${md5(big)}\n${md5(trunc)}\ndone\n`);
      const check = fsck(img);
      assert.equal(check.status, 0, check.out);
      // The host reads back what Ghost wrote.
      const dump = (p: string) => { const out = join(s.dir, "dump"); host("debugfs", ["-R", `dump ${p} ${out}`, img]); return readFileSync(out); };
      assert.equal(md5(dump("/x/dir0/moved4")), sums.get("dir0/file4"));
      assert.equal(md5(dump("/x/dir5/from0")), sums.get("dir0/file0"));
      assert.equal(md5(dump("/x/dir5/dir1/moved12")), sums.get("dir1/file12"));
      assert.equal(md5(dump("/x/dir4/file20")), sums.get("dir4/file20"));
      assert.equal(md5(dump("/big")), md5(big));
      assert.equal(md5(dump("/shrunk")), md5(trunc));
      const ls = (p: string) => host("debugfs", ["-R", `ls -l ${p}`, img]);
      assert.doesNotMatch(ls("/x/dir4"), /file21/);
      assert.match(ls("/hashed"), /new60/);
      assert.doesNotMatch(ls("/hashed"), /\bold3\b/);
      const orig = host("debugfs", ["-R", "stat /orig", img]);
      assert.match(orig, /Links: 2/);
      assert.match(orig, /User:\s+12\s+Group:\s+34/);
      assert.match(orig, /Mode:\s+0640/);
      assert.match(orig, /mtime: 0x[0-9a-f]+:[0-9a-f]+ -- Wed Jan  2 03:04:05 2030/);
      assert.match(host("debugfs", ["-R", "stat /sparse", img]), /Size: 30000001\b/);
      assert.match(host("debugfs", ["-R", "stat /long", img]), /Size: 100\b/);
      assert.equal(host("debugfs", ["-R", "cat /hard", img]), "linked\n");
    } finally { s.done(); }
  });
}

// mount -o remount,rw of a filesystem mounted read-only starts writing (the
// journal, as a read-write mount), remount,ro brings everything home; the
// image is clean after each (LTP mount03's MS_REMOUNT case).
test("ext4 mounted read-only, remounted read-write, read-only and read-write again: writes land, e2fsck -fn is clean", { skip, timeout: 180_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "16M"]);
    const r = ghostSh([
      "mount -t ext4 -o ro /dev/vda /mnt || exit 1",
      "touch /mnt/a 2>/dev/null && echo wrote-on-ro",
      "mount -o remount,rw /mnt || exit 2",
      "echo first > /mnt/b || exit 3",
      "mount -o remount,ro /mnt || exit 4",
      "touch /mnt/c 2>/dev/null && echo wrote-on-ro-again",
      "mount -o remount,rw /mnt || exit 5",
      "echo second >> /mnt/b || exit 6",
      "umount /mnt || exit 7",
      "mount -t ext4 -o ro /dev/vda /mnt && cat /mnt/b",
    ].join("; "), [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "first\nsecond\n");
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
  } finally { s.done(); }
});
