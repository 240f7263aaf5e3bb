// The orphan list: a file unlinked while open keeps its data until the
// last close, then its blocks go back; if Ghost is killed (SIGKILL) while
// such a file is open, the superblock's orphan list names it, and the next
// mount frees it ("1 orphan inode deleted"), leaving nothing for the
// host's e2fsck -fn to fix.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-orphan.test.js
import assert from "node:assert/strict";
import { join } from "node:path";
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
