// Journal transaction batching: many operations share one running
// transaction, which commits when it is 5 s old, on sync/fsync/syncfs and at
// umount. What a user sees: far fewer disk writes than operations
// (/proc/diskstats), and after a crash (Ghost killed with SIGKILL) the
// operations before the last sync — or more than 5 s old — are there once
// the journal is replayed; the host's e2fsck -fn finds nothing to fix.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-batch.test.js
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, runUntil } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";

// Field 8 of /proc/diskstats for vda: writes completed.
const WRITES = "awk '$3 == \"vda\" { print $8 }' /proc/diskstats";

test("300 creates share transactions: fewer disk writes than creates, e2fsck -fn clean, debugfs sees them", { skip, timeout: 180_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "32M"]);
    const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
mkdir /mnt/d
before=$(${WRITES})
for i in $(seq 300); do echo $i > /mnt/d/f$i; done
after=$(${WRITES})
echo writes $((after - before))
sync
umount /mnt
echo done`, [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = /^writes (\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    // One operation a transaction wrote at least the journal superblock,
    // a descriptor, the copies, a commit block and the home blocks per
    // create: thousands of writes. Batched, only the files' data blocks
    // are written before the commit.
    assert.ok(Number(m[1]) < 400, `writes during 300 creates: ${m[1]}`);
    assert.match(r.stdout, /done\n$/);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
    const ls = host("debugfs", ["-R", "ls /d", img]);
    for (const n of [1, 150, 300]) assert.match(ls, new RegExp(`\\bf${n}\\b`));
    assert.equal(host("debugfs", ["-R", "cat /d/f300", img]), "300\n");
  } finally { s.done(); }
});

const runUntilIn = (img: string, script: string, marker: string) => runUntil(script, marker, [`--disk=${img}`]);

// After the kill: Ghost mounts (replaying), lists the directory, unmounts.
function listAfterCrash(img: string, dir: string): string[] {
  const r = ghostSh(`mount -t ext4 /dev/vda /mnt || exit 1\nls /mnt/${dir}\numount /mnt`, [`--disk=${img}`]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout.trim().split("\n").filter(Boolean).sort();
}

test("after sync, a SIGKILL loses nothing: the replayed journal holds every create, e2fsck -fn clean", { skip, timeout: 180_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "32M"]);
    const out = await runUntilIn(img, `mount -t ext4 /dev/vda /mnt || exit 1
mkdir /mnt/d; for i in $(seq 120); do echo $i > /mnt/d/f$i; done; rm /mnt/d/f7; mv /mnt/d/f8 /mnt/d/g8
sync; echo synced; sleep 1000`, "synced");
    assert.match(out, /synced/);
    const want = [...Array(120).keys()].map((i) => `f${i + 1}`).filter((n) => n !== "f7" && n !== "f8");
    assert.deepEqual(listAfterCrash(img, "d"), [...want, "g8"].sort());
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});

test("a transaction older than 5 s commits by itself: creates survive a SIGKILL without sync", { skip, timeout: 180_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "32M"]);
    // The guest waits until the commit shows as writes of the journal
    // (diskstats), with a generous limit; it never syncs.
    const out = await runUntilIn(img, `mount -t ext4 /dev/vda /mnt || exit 1
mkdir /mnt/d; for i in $(seq 40); do echo $i > /mnt/d/f$i; done
w0=$(${WRITES}); n=0
while [ "$(${WRITES})" = "$w0" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done
echo committed-after $n; sleep 1000`, "committed-after");
    const m = /committed-after (\d+)/.exec(out);
    assert.ok(m && Number(m[1]) < 600, `no commit within 60 s: ${out}`);
    const list = listAfterCrash(img, "d");
    assert.equal(list.length, 40, list.join(" "));
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});
