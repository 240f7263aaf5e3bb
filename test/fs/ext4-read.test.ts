// ext2/ext3/ext4 images made by the host's mke2fs, read by Ghost: `mount -t
// ext4 /dev/vda /mnt` from the guest, then what the guest sees is compared
// with what the host put there (file contents by md5, listings, symlinks,
// hard links, sparse files, device nodes, ownership, nanosecond and
// post-2038 timestamps, xattrs in the inode and in a block, inline data,
// htree directories made by e2fsck -D, block-mapped ext2/ext3 files through
// double indirect blocks), and mounts that must be refused.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-read.test.js
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chownSync, mkdirSync, symlinkSync, linkSync, writeFileSync, truncateSync, appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs (mke2fs, debugfs, e2fsck) not installed: scripts/setup.sh";
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

// Deterministic bytes (xorshift), so a failure reproduces.
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; }
  return b;
}

// The tree every image is made from (mke2fs -d).
function makeTree(dir: string): { big: string; sparse: string } {
  mkdirSync(join(dir, "sub/deeper"), { recursive: true });
  writeFileSync(join(dir, "hello.txt"), "hello, ext4\n");
  writeFileSync(join(dir, "big.bin"), bytes(1_300_000, 7));
  writeFileSync(join(dir, "sub/deeper/note"), "deep\n");
  symlinkSync("hello.txt", join(dir, "fast-link"));
  symlinkSync("sub/./././" + "./".repeat(40) + "deeper/note", join(dir, "slow-link"));
  linkSync(join(dir, "hello.txt"), join(dir, "hard"));
  writeFileSync(join(dir, "sparse"), "");
  truncateSync(join(dir, "sparse"), 20 << 20);
  appendFileSync(join(dir, "sparse"), "end of the hole\n");
  mkdirSync(join(dir, "many"));
  for (let i = 0; i < 600; i++) writeFileSync(join(dir, "many", `entry-with-a-longish-name-${i}`), `${i}\n`);
  writeFileSync(join(dir, "owned"), "mine\n");
  if (process.getuid?.() === 0) chownSync(join(dir, "owned"), 1234, 56789);
  return { big: md5(readFileSync(join(dir, "big.bin"))), sparse: md5(readFileSync(join(dir, "sparse"))) };
}

const READ_SCRIPT = [
  "mount -t $FSTYPE -o ro /dev/vda /mnt || exit 9",
  "cd /mnt",
  "cat hello.txt hard sub/deeper/note",
  "md5sum big.bin sparse | cut -d' ' -f1",
  "readlink fast-link; cat slow-link; readlink slow-link | wc -c",
  "stat -c '%h %s' hello.txt; stat -c '%s %b' sparse",
  "ls many | wc -l; cat many/entry-with-a-longish-name-599",
  "ls many | sort | md5sum | cut -d' ' -f1",
  "stat -c '%u:%g %a' owned",
  "ls -a sub | tr '\\n' ' '; echo",
  "echo x > new 2>/dev/null || echo read-only",
].join("\n");

function expectRead(out: string, t: { big: string; sparse: string }, manyMd5: string, blocksSparse: (b: number) => boolean): void {
  const l = out.split("\n");
  assert.deepEqual(l.slice(0, 5), ["hello, ext4", "hello, ext4", "deep", t.big, t.sparse], out);
  assert.deepEqual(l.slice(5, 8), ["hello.txt", "deep", "102"]);
  l.splice(7, 1);
  assert.equal(l[7], "2 12");
  const [size, blocks] = l[8].split(" ").map(Number);
  assert.equal(size, (20 << 20) + 16);
  assert.ok(blocksSparse(blocks), `sparse file's blocks: ${blocks}`);
  assert.deepEqual(l.slice(9, 11), ["600", "599"]);
  assert.equal(l[11], manyMd5);
  if (process.getuid?.() === 0) assert.equal(l[12], "1234:56789 644");
  assert.equal(l[13], ". .. deeper ");
  assert.equal(l[14], "read-only");
}

const names = () => Array.from({ length: 600 }, (_, i) => `entry-with-a-longish-name-${i}`).sort();

for (const [label, args] of [
  ["ext4, 4 KiB blocks (mke2fs defaults), htree directories", ["-t", "ext4", "-b", "4096"]],
  ["ext4, 1 KiB blocks, htree directories", ["-t", "ext4", "-b", "1024"]],
  ["ext3, 1 KiB blocks: block maps through double indirect blocks", ["-t", "ext3", "-b", "1024"]],
  ["ext2, 4 KiB blocks, no journal", ["-t", "ext2", "-b", "4096"]],
] as [string, string[]][]) {
  test(`${label}: Ghost reads what the host wrote`, { skip }, () => {
    const s = scratchDir();
    try {
      const tree = join(s.dir, "tree"), img = join(s.dir, "fs.img");
      mkdirSync(tree);
      const sums = makeTree(tree);
      host("mke2fs", ["-q", "-F", ...args, "-d", tree, img, "64M"]);
      // e2fsck -D indexes every directory of more than one block (mke2fs -d does not).
      spawnFsckD(img);
      assert.equal(fsck(img).status, 0, fsck(img).out);
      const r = ghostSh(READ_SCRIPT, [`--disk=${img}`, "--env", `FSTYPE=${args[1]}`]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const manyMd5 = md5(Buffer.from(names().join("\n") + "\n"));
      // The hole takes no blocks: the tail's block, and an extent or indirect block or two.
      expectRead(r.stdout, sums, manyMd5, (b) => b > 0 && b <= 32);
      if (args[1] !== "ext2") assert.match(debugfs(img, "stat /many"), /Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b/, "many/ is indexed");
    } finally { s.done(); }
  });
}

function spawnFsckD(img: string): void {
  // Exit 1 ("errors corrected": the optimisation) is expected.
  try { host("e2fsck", ["-fyD", img]); } catch { /* status 1 */ }
}

function debugfs(img: string, req: string, write = false): string {
  return host("debugfs", [...(write ? ["-w"] : []), "-R", req, img]);
}

test("timestamps with nanoseconds and past 2038, xattrs in the inode and in a block, inline data, device nodes", { skip }, () => {
  const s = scratchDir();
  try {
    const tree = join(s.dir, "tree"), img = join(s.dir, "fs.img");
    mkdirSync(join(tree, "small-dir"), { recursive: true });
    writeFileSync(join(tree, "small-dir", "a"), "A");
    writeFileSync(join(tree, "tiny"), "inline bytes");
    writeFileSync(join(tree, "attrs"), "x");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-O", "inline_data", "-d", tree, img, "16M"]);
    // mtime: 16 s past the epoch with epoch bits 1 (2^32 s): 2106-02-07 06:28:32, and 123456789 ns.
    debugfs(img, "set_inode_field /tiny mtime 0x10", true);
    debugfs(img, `set_inode_field /tiny mtime_extra 0x${((123456789 << 2) | 1 >>> 0).toString(16)}`, true);
    debugfs(img, "ea_set /attrs user.color blue", true);
    debugfs(img, `ea_set /attrs trusted.long ${"L".repeat(400)}`, true);
    debugfs(img, "mknod null c 1 3", true);
    debugfs(img, "mknod vdz b 254 400", true);
    assert.equal(fsck(img).status, 0, fsck(img).out);
    assert.match(debugfs(img, "stat /tiny"), /Flags: 0x10000000/, "tiny is inline");
    const r = ghostSh([
      "mount /dev/vda /mnt || exit 9", "cd /mnt",
      "stat -c '%y' tiny", "cat tiny; echo", "cat small-dir/a; echo; ls -a small-dir | tr '\\n' ' '; echo",
      "getfattr -n user.color attrs", "getfattr -n trusted.long attrs | cut -c1-20", "getfattr -d attrs | grep -c =",
      "stat -c '%F %t:%T' null vdz", "head -c 4 null; echo null-read=$?",
    ].join("\n"), [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, [
      "2106-02-07 06:28:32.123456789 +0000", "inline bytes", "A", ". .. a ",
      "# file: attrs", "user.color=\"blue\"", "", "# file: attrs", "trusted.long=\"LLLLLL", "", "2",
      "character special file 1:3", "block special file fe:190", "null-read=0", "",
    ].join("\n"));
  } finally { s.done(); }
});

test("mounts refused: not ext4, an unknown incompatible feature; a journal needing recovery is replayed", { skip }, () => {
  const s = scratchDir();
  try {
    const zero = join(s.dir, "zero.img"), enc = join(s.dir, "enc.img"), rec = join(s.dir, "rec.img");
    writeFileSync(zero, Buffer.alloc(4 << 20));
    host("mke2fs", ["-q", "-F", "-t", "ext4", enc, "8M"]);
    debugfs(enc, "feature casefold", true);
    host("mke2fs", ["-q", "-F", "-t", "ext4", rec, "8M"]);
    debugfs(rec, "feature needs_recovery", true);
    const uuid = /Filesystem UUID:\s+(\S+)/.exec(host("dumpe2fs", ["-h", rec]))![1];
    const r = ghostSh([
      "for d in vda vdb vdc; do mount -t ext4 /dev/$d /mnt 2>&1 | sed 's/.*: //'; done",
      "mount -t ext4 /tmp /mnt 2>&1 | sed 's/.*: //'",
      "dmesg | grep EXT4-fs | sed 's/^\\[[ 0-9.]*\\] //'",
    ].join("\n"), [`--disk=${zero}`, `--disk=${enc}`, `--disk=${rec}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      "Invalid argument", "Invalid argument", "Block device required",
      "EXT4-fs (vda): VFS: Can't find ext4 filesystem",
      "EXT4-fs (vdb): Couldn't mount because of unsupported optional features (20000: casefold)",
      "EXT4-fs (vdc): recovery complete: 0 transactions replayed",
      "EXT4-fs (vdc): mounted filesystem " + uuid + " r/w with ordered data mode. Quota mode: none.", "",
    ].join("\n"));
  } finally { s.done(); }
});

test("--root=IMAGE: Ghost runs from an ext4 image of the root filesystem, and writes to it", { skip }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "root.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-d", join(root, "build", "rootfs"), img, "64M"]);
    const r = ghostSh("grep ' / ' /proc/mounts; ls /bin/busybox; echo from-ghost > /root/note", [`--root=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "/dev/vda / ext4 rw,relatime 0 0\n/bin/busybox\n");
    assert.equal(host("debugfs", ["-R", "cat /root/note", img]), "from-ghost\n");
    // Ghost's exit shut the filesystem down as umount would.
    assert.equal(fsck(img).status, 0, fsck(img).out);
    assert.doesNotMatch(host("dumpe2fs", ["-h", img]), /needs_recovery/);
  } finally { s.done(); }
});
