// The page cache of ext4 file data (src/fs/ext4/pagecache.ts): what a user
// sees of it, through /proc/diskstats (requests that reached the disk),
// /proc/meminfo (Cached, Dirty) and the image on the host. Sequential reads
// go to the disk in readahead windows, not one request per read(2); a
// second read costs no request; drop_caches empties it. A write stays in
// the cache (Dirty) until sync, or until the flusher finds it older than
// vm.dirty_expire_centisecs — and then it is on the disk even if Ghost is
// killed. A file larger than guest RAM reads through the cache (clean
// pages reclaimed). Host e2fsck -fn is clean after each.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-pagecache.test.js
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, runUntil } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";

// Requests vda has completed: "reads writes" (/proc/diskstats fields 4 and 8).
const STATS = "awk '$3 == \"vda\" { print $4, $8 }' /proc/diskstats";
const DIRTY = "awk '/^Dirty:/ { print $2 }' /proc/meminfo";

// Bytes [at, at + n) of a file in the image, as the host's debugfs reads them.
function hostBytes(img: string, path: string, at: number, n: number): string {
  const r = spawnSync("debugfs", ["-R", `cat ${path}`, img], { timeout: 60_000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
  return r.stdout.subarray(at, at + n).toString("latin1");
}

// An image holding /data (random bytes, `mib` MiB) made by mke2fs -d; its md5.
function imageWithData(dir: string, mib: number, fsMib: number): { img: string; md5: string } {
  const src = join(dir, "src");
  mkdirSync(src);
  const data = randomBytes(mib << 20);
  writeFileSync(join(src, "data"), data);
  const img = join(dir, "fs.img");
  host("mke2fs", ["-q", "-F", "-t", "ext4", "-d", src, img, `${fsMib}M`]);
  return { img, md5: createHash("md5").update(data).digest("hex") };
}

test("sequential reads go to the disk in readahead windows; a second read and after drop_caches", { skip, timeout: 120_000 }, () => {
  const s = scratchDir();
  try {
    const { img, md5 } = imageWithData(s.dir, 2, 32);
    const r = ghostSh(`set -e
mount -t ext4 -o ro /dev/vda /mnt
set -- $(${STATS}); r0=$1
dd if=/mnt/data bs=4096 2>/dev/null | md5sum
set -- $(${STATS}); r1=$1
md5sum < /mnt/data
set -- $(${STATS}); r2=$1
echo 1 > /proc/sys/vm/drop_caches
md5sum < /mnt/data
set -- $(${STATS}); r3=$1
echo "first $((r1 - r0)) again $((r2 - r1)) dropped $((r3 - r2))"
umount /mnt`, [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.slice(0, 3).map((l) => l.split(" ")[0]), [md5, md5, md5], r.stdout);
    const [, first, , again, , dropped] = lines[3].split(" ").map(Number);
    // 512 reads of 4 KiB: without readahead 512 requests; with windows growing to 128 KiB, about 20.
    assert.ok(first > 0 && first <= 64, `first read: ${first} requests`);
    assert.equal(again, 0, "a second read is served by the cache");
    assert.ok(dropped > 0 && dropped <= 64, `after drop_caches: ${dropped} requests`);
  } finally { s.done(); }
});

test("a write stays dirty in the cache until sync; rewriting a page many times is one disk write", { skip, timeout: 120_000 }, () => {
  const s = scratchDir();
  try {
    const { img } = imageWithData(s.dir, 1, 32);
    const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
set -- $(${STATS}); w0=$2
i=0; while [ $i -lt 200 ]; do printf 'rewrite %03d' $i | dd of=/mnt/data bs=4096 seek=3 conv=notrunc 2>/dev/null; i=$((i + 1)); done
set -- $(${STATS}); w1=$2
echo "dirty $(${DIRTY})"
sync
set -- $(${STATS}); w2=$2
echo "writes-before-sync $((w1 - w0)) dirty-after-sync $(${DIRTY}) sync-wrote $((w2 > w1))"
umount /mnt`, [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [dirty, summary] = r.stdout.trim().split("\n");
    assert.ok(Number(dirty.split(" ")[1]) >= 4, r.stdout);
    // Overwriting allocated blocks changes only timestamps (the journal commits them at 5 s, not per write).
    const w = summary.split(" ");
    assert.ok(Number(w[1]) < 20, `disk writes before sync: ${w[1]}`);
    assert.equal(w[3], "0", r.stdout);
    assert.equal(w[5], "1", r.stdout);
    assert.equal(hostBytes(img, "/data", 3 * 4096, 11), "rewrite 199");
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});

test("dirty pages older than vm.dirty_expire_centisecs are written back by the flusher: on the disk after a SIGKILL", { skip, timeout: 180_000 }, async () => {
  const s = scratchDir();
  try {
    const { img } = imageWithData(s.dir, 1, 32);
    const out = await runUntil(`mount -t ext4 /dev/vda /mnt || exit 1
echo 100 > /proc/sys/vm/dirty_expire_centisecs
echo 50 > /proc/sys/vm/dirty_writeback_centisecs
printf 'by age' | dd of=/mnt/data bs=4096 seek=5 conv=notrunc 2>/dev/null
echo "dirty $(${DIRTY})"
n=0; while [ "$(${DIRTY})" != 0 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
echo "clean $(${DIRTY})"
sleep 1000`, "clean", [`--disk=${img}`]);
    assert.match(out, /dirty [1-9]\d*\n/, out);
    assert.match(out, /clean 0\n/, out);
    assert.equal(hostBytes(img, "/data", 5 * 4096, 6), "by age");
  } finally { s.done(); }
});

test("a file larger than guest RAM reads through the cache: clean pages are reclaimed", { skip, timeout: 180_000 }, () => {
  const s = scratchDir();
  try {
    const { img, md5 } = imageWithData(s.dir, 80, 160);
    const r = ghostSh(`set -e
mount -t ext4 /dev/vda /mnt
md5sum < /mnt/data
dd if=/dev/zero of=/mnt/zero bs=65536 count=640 2>/dev/null
md5sum < /mnt/zero
awk '/^(MemTotal|Cached):/ { print $2 }' /proc/meminfo
umount /mnt`, [`--disk=${img}`, "--mem=64M"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [sum, zsum, total, cachedKb] = r.stdout.trim().split("\n");
    assert.equal(sum.split(" ")[0], md5);
    assert.equal(zsum.split(" ")[0], createHash("md5").update(Buffer.alloc(640 * 65536)).digest("hex"));
    assert.ok(Number(cachedKb) < Number(total), `Cached ${cachedKb} kB of ${total} kB`);
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});
