// The orphan list: a file unlinked while open keeps its data until the
// last close, then its blocks go back; if Ghost is killed (SIGKILL) while
// such a file is open, the superblock's orphan list names it, and the next
// mount frees it ("1 orphan inode deleted"), leaving nothing for the
// host's e2fsck -fn to fix.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-orphan.test.js
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { crc32c } from "../../src/fs/ext4/crc32c.js";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, runUntil } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";

// Free 1K blocks of /mnt (df's 4th field).
const FREE = "df -k /mnt | awk 'NR == 2 { print $4 }'";

test("an unlinked open file is readable until its last close, then its blocks are free", { skip, timeout: 120_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "32M"]);
    const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
before=$(${FREE})
dd if=/dev/urandom of=/mnt/big bs=64k count=32 2>/dev/null
sum=$(md5sum < /mnt/big)
exec 3< /mnt/big
rm /mnt/big
[ -e /mnt/big ] && echo still-there
[ "$(md5sum <&3)" = "$sum" ] && echo readable
held=$(${FREE})
exec 3<&-
after=$(${FREE})
[ $((before - held)) -ge 2048 ] && echo held
[ $((before - after)) -lt 64 ] && echo freed
umount /mnt`, [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "readable\nheld\nfreed\n");
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});

test("killed with an unlinked file open: the orphan list names it, the next mount frees it, e2fsck -fn clean", { skip, timeout: 180_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "32M"]);
    const out = await runUntil(`mount -t ext4 /dev/vda /mnt || exit 1
dd if=/dev/urandom of=/mnt/big bs=64k count=16 2>/dev/null
echo kept > /mnt/kept
exec 3< /mnt/big
rm /mnt/big
sync
echo ready
sleep 1000`, "ready", [`--disk=${img}`]);
    assert.match(out, /ready/);
    // What the crash left: the list names the inode (the journal was checkpointed by sync).
    assert.match(host("dumpe2fs", ["-h", img]), /First orphan inode:\s+\d+/);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt || exit 1\ncat /mnt/kept\numount /mnt\ndmesg | grep -o '[0-9]* orphan inodes* deleted'", [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "kept\n1 orphan inode deleted\n");
    assert.doesNotMatch(host("dumpe2fs", ["-h", img]), /First orphan inode/);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});

// The orphan file (mke2fs -O orphan_file; Debian's default from e2fsprogs 1.47.1).
function orphanFileSlots(img: string): number[] {
  const r = spawnSync("debugfs", ["-R", "cat <12>", img], { timeout: 60_000, killSignal: "SIGKILL" });
  const b = r.stdout;
  const out: number[] = [];
  for (let o = 0; o + 4 <= 4096 - 8; o += 4) { const v = b.readUInt32LE(o); if (v) out.push(v); }
  return out;
}

test("orphan_file: an unlinked open file goes in the orphan file, the next mount frees it, e2fsck -fn clean", { skip, timeout: 180_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-O", "orphan_file", "-b", "4096", img, "32M"]);
    const out = await runUntil(`mount -t ext4 /dev/vda /mnt || exit 1
dd if=/dev/urandom of=/mnt/big bs=64k count=16 2>/dev/null
exec 3< /mnt/big
ls -i /mnt/big
rm /mnt/big
sync
echo ready
sleep 1000`, "ready", [`--disk=${img}`]);
    const ino = Number(/(\d+) \/mnt\/big/.exec(out)?.[1]);
    assert.ok(ino > 0, out);
    // The crash left the inode in the orphan file, not the list; orphan_present says so.
    assert.deepEqual(orphanFileSlots(img), [ino]);
    const h = host("dumpe2fs", ["-h", img]);
    assert.doesNotMatch(h, /First orphan inode/);
    assert.match(h, /features:.*orphan_present/);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt || exit 1\numount /mnt\ndmesg | grep -o '[0-9]* orphan inodes* deleted'", [`--disk=${img}`]);
    assert.equal(r.stdout, "1 orphan inode deleted\n", r.stdout + r.stderr);
    assert.deepEqual(orphanFileSlots(img), []);
    assert.doesNotMatch(host("dumpe2fs", ["-h", img]), /orphan_present/);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});

test("orphan_file: a truncate entry Linux left (the inode still linked) loses its blocks past i_size at mount", { skip, timeout: 180_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img"), src = join(s.dir, "src");
    mkdirSync(src);
    writeFileSync(join(src, "f"), Buffer.alloc(64 << 10, 7));
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-O", "orphan_file", "-b", "4096", "-d", src, img, "32M"]);
    const ino = Number(host("debugfs", ["-R", "stat /f", img]).match(/Inode: (\d+)/)![1]);
    // A truncate to 4 KiB a crash interrupted: the size set, the blocks not yet freed, the entry in place.
    host("debugfs", ["-w", "-R", "sif /f size 4096", img]);
    const pblk = Number(host("debugfs", ["-R", "bmap <12> 0", img]).trim());
    const block = Buffer.from(spawnSync("debugfs", ["-R", "cat <12>", img], { timeout: 60_000, killSignal: "SIGKILL" }).stdout.subarray(0, 4096));
    block.writeUInt32LE(ino, 0);
    // ob_checksum: crc32c over the disk block number (le64) and the slots, from the inode's seed (uuid, number, generation).
    const sb = Buffer.alloc(1024);
    const fd = openSync(img, "r+");
    try {
      readSync(fd, sb, 0, 1024, 1024);
      const gen = Number(host("debugfs", ["-R", "stat <12>", img]).match(/Generation: (\d+)/)![1]);
      const le32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
      const nr = Buffer.alloc(8); nr.writeBigUInt64LE(BigInt(pblk));
      const seed = crc32c(crc32c(crc32c(0xffffffff, sb.subarray(0x68, 0x78)), le32(12)), le32(gen));
      block.writeUInt32LE(crc32c(crc32c(seed, nr), block.subarray(0, 4096 - 8)) >>> 0, 4096 - 4);
      writeSync(fd, block, 0, 4096, pblk * 4096);
    } finally { closeSync(fd); }
    host("debugfs", ["-w", "-R", "feature orphan_present", img]);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt || exit 1\nwc -c < /mnt/f\numount /mnt\ndmesg | grep -o '[0-9]* truncates* cleaned up'", [`--disk=${img}`]);
    assert.equal(r.stdout, "4096\n1 truncate cleaned up\n", r.stdout + r.stderr);
    assert.match(host("debugfs", ["-R", "stat /f", img]), /Blockcount: 8\n/);
    assert.deepEqual(orphanFileSlots(img), []);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});
