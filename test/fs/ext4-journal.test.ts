// Crash consistency: Ghost writing an ext4 image is killed with SIGKILL
// (the Node process, mid-workload), then a new Ghost mounts the image: the
// journal is replayed, every file the workload reported as fsync'ed reads
// back intact, and after umount the host's e2fsck -fn finds nothing to fix.
// The host's own e2fsck must be able to replay Ghost's journal too.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-journal.test.js
//   EXT4_CRASH_ROUNDS=50 node --test dist/test/fs/ext4-journal.test.js   (more rounds)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, root, ghostSh, host, fsck, scratchDir, haveE2fsprogs } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const ROUNDS = Number(process.env.EXT4_CRASH_ROUNDS ?? 2);

// Writes files of varying sizes, renames and deletes some; after each
// fsync'ed file, prints "synced NAME MD5".
const WORKLOAD = `
mount -t ext4 /dev/vda /mnt || exit 1
cd /mnt; mkdir -p w; cd w
i=0
while :; do
  i=$((i+1)); n=r$ROUND-$i
  dd if=/dev/urandom of=$n bs=$((1 + i % 7))k count=$((1 + i % 5)) 2>/dev/null
  sync $n  # busybox sync FILE: fsync(2) on it (this busybox has no fsync applet)
  echo "synced $n $(md5sum < $n | cut -d' ' -f1)"
  [ $((i % 4)) = 0 ] && mv r$ROUND-$((i-2)) moved-$ROUND-$i && echo "moved r$ROUND-$((i-2)) moved-$ROUND-$i"
  [ $((i % 6)) = 0 ] && rm -f r$ROUND-$((i-5)) && echo "removed r$ROUND-$((i-5))"
done
`;

// Runs the workload until `lines` files are synced, then SIGKILLs Ghost.
function runAndKill(img: string, round: number, lines: number): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, "run", `--disk=${img}`, "--env", `ROUND=${round}`, "busybox", "sh", "-c", WORKLOAD], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let killed = false;
    c.stdout.on("data", (d) => {
      out += d;
      if (!killed && (out.match(/^synced /gm) ?? []).length >= lines) { killed = true; c.kill("SIGKILL"); }
    });
    c.stderr.resume();
    const watchdog = setTimeout(() => c.kill("SIGKILL"), 180_000);
    c.on("exit", () => { clearTimeout(watchdog); resolve(out); });
  });
}

test(`Ghost killed mid-write ${ROUNDS} times: the journal replays, fsync'ed files are intact, e2fsck -fn is clean`, { skip, timeout: 900_000 }, async () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", img, "64M"]);
    const expect = new Map<string, string>();
    for (let round = 1; round <= ROUNDS; round++) {
      const out = await runAndKill(img, round, 3 + ((round * 7) % 11));
      // The last line may be cut short by the kill: only whole lines count.
      for (const line of out.split("\n").slice(0, -1)) {
        const [what, a, b] = line.split(" ");
        if (what === "synced") expect.set(a, b);
        else if (what === "moved" && expect.has(a)) { expect.set(b, expect.get(a)!); expect.delete(a); }
        else if (what === "removed") expect.delete(a);
      }
      // The host's e2fsck replays Ghost's journal on a copy and finds the result clean.
      const copy = join(s.dir, "copy.img");
      copyFileSync(img, copy);
      try { host("e2fsck", ["-fy", copy]); } catch { /* 1: journal replayed */ }
      assert.equal(fsck(copy).status, 0, `round ${round}, host replay: ${fsck(copy).out}`);
      // Ghost replays it, and every file reported synced is there, whole.
      const names = [...expect.keys()];
      const r = ghostSh(`mount -t ext4 /dev/vda /mnt || exit 1\ncd /mnt/w\nfor f in ${names.join(" ")}; do echo "$f $(md5sum < $f | cut -d' ' -f1)"; done\ncd /\numount /mnt\ndmesg | grep -c 'recovery complete'`, [`--disk=${img}`]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.pop(), "1", "the mount replayed the journal");
      assert.deepEqual(lines, names.map((n) => `${n} ${expect.get(n)}`), `round ${round}`);
      const check = fsck(img);
      assert.equal(check.status, 0, `round ${round}: ${check.out}`);
    }
  } finally { s.done(); }
});

// Revoke records (written by Linux, or here by debugfs's journal commands):
// a block logged by one transaction and revoked by a later one is not
// copied home at replay, since it was freed and may hold other data by now;
// a block logged and not revoked is.
test("replay honours revoke records: a revoked block is not copied home, the others are", { skip, timeout: 120_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "fs.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "1024", img, "16M"]);
    writeFileSync(join(s.dir, "a.bin"), Buffer.alloc(1024, "A"));
    writeFileSync(join(s.dir, "b.bin"), Buffer.alloc(1024, "B"));
    host("debugfs", ["-w", "-f", "-", img], `jo\njw -b 5000 ${join(s.dir, "a.bin")}\njw -b 5001 ${join(s.dir, "b.bin")}\njw -r 5000\njc\n`);
    assert.match(host("debugfs", ["-R", "logdump", img]), /revoke table/);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt || exit 1\numount /mnt\ndmesg | grep -o 'recovery complete: [0-9]* transactions'", [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.trim(), "recovery complete: 3 transactions");
    const disk = readFileSync(img);
    assert.ok(disk.subarray(5000 * 1024, 5001 * 1024).every((b) => b === 0), "the revoked block stayed as it was");
    assert.ok(disk.subarray(5001 * 1024, 5002 * 1024).every((b) => b === 0x42), "the logged block was copied home");
    const check = fsck(img);
    assert.equal(check.status, 0, check.out);
  } finally { s.done(); }
});
