// The project's VFS tests (the self-checking programs of userland/fs/, which
// test/fs/vfs.test.ts runs on tmpfs and host directories, and under
// qemu-riscv64 on the host's Linux) with their working directory on an ext4
// disk: every check must pass there too, and the host's e2fsck -fn must find
// the filesystem clean after them. txtbsy runs from a copy on the ext4 disk
// (its checks are about its own executable); the others from a read-only
// host mount. hostesc needs its host fixture and stays in vfs.test.ts.
// Also statfs on ext4 against what e2fsprogs reports of the image.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-vfs.test.js
// Environment: USERLAND_ONLY=paths,fds (only these programs).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { envList, listPrograms } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const only = envList("USERLAND_ONLY");
const programs = listPrograms(root, "fs").filter((n) => n !== "hostesc" && (!only || only.includes(n)));
// Programs that check their own executable: run from the ext4 disk.
const FROM_DISK = new Set(["txtbsy"]);

test("userland/fs programs with their working directory on ext4: every check passes, e2fsck -fn clean after", { skip, timeout: 600_000 }, () => {
  const b = spawnSync(process.execPath, [join(root, "userland", "fs", "build.mjs"), "-j", "2", ...programs],
    { cwd: root, encoding: "utf8", timeout: 600_000, killSignal: "SIGKILL" });
  assert.equal(b.status, 0, `userland/fs build failed:\n${b.stderr}${b.stdout}`);
  const s = scratchDir();
  try {
    const img = join(s.dir, "vfs.img");
    host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "128M"]);
    const runs = programs.map((p) => {
      const exe = FROM_DISK.has(p) ? `/mnt/.bin/${p}` : `/vt/${p}`;
      // owner works in the directory it is given (default: the guest's /tmp).
      return `echo "=== ${p}"; ${exe}${p === "owner" ? " w" : ""}; echo "=== ${p} status=$?"`;
    });
    const copies = programs.filter((p) => FROM_DISK.has(p)).map((p) => `cp /vt/${p} /mnt/.bin/`).join("; ");
    const r = ghostSh(
      `mount -t ext4 /dev/vda /mnt || exit 9; mkdir /mnt/.bin /mnt/w; ${copies || ":"}; cd /mnt/w\n` +
        runs.join("\n") + "\ncd /; umount /mnt && echo unmounted",
      [`--disk=${img}`, "-v", `${join(root, "build", "userland-fs")}:/vt:ro`], 540_000);
    const out = r.stdout + r.stderr;
    const failed = out.split("\n").filter((l) => l.startsWith("not ok") || (/^=== \S+ status=/.test(l) && !l.endsWith("status=0")));
    assert.deepEqual(failed, [], out.slice(-4000));
    for (const p of programs) assert.match(r.stdout, new RegExp(`=== ${p} status=0\\n`), `${p} did not run:\n${out.slice(-2000)}`);
    assert.match(r.stdout, /unmounted\n/, out.slice(-2000));
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
  } finally { s.done(); }
});

// The figures ext4_statfs gives, from dumpe2fs's report of the image:
// f_blocks is the block count less the overhead mke2fs stored
// (s_overhead_clusters); f_bavail keeps back the reserved blocks and ext4's
// own 2% (at most 4096) with extents; f_fsid is the UUID's two halves xored.
// With the stored overhead cleared, a mount computes it (the blocks before
// the first data block; per group its superblock, descriptor and reserved
// GDT blocks, inode table and bitmaps; the journal) and stores it again:
// what mke2fs had. Linux 6.18 gave the same figures, both ways, for images of
// 64 MiB (1 KiB blocks), 300 MiB (4 KiB) and an ext2 of 16 MiB.
function statfsOf(img: string): { overhead: number; line: string } {
  const d = host("dumpe2fs", ["-h", img]);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(d)?.[1] ?? 0);
  const blocks = field("Block count"), free = field("Free blocks"), overhead = field("Overhead clusters");
  const extents = /^Filesystem features:.*\bextent\b/m.test(d);
  const keep = field("Reserved block count") + (extents ? Math.min(Math.floor(blocks / 50), 4096) : 0);
  const uuid = /^Filesystem UUID:\s+(\S+)$/m.exec(d)![1].replace(/-/g, "");
  const w = (i: number) => Buffer.from(uuid.slice(i * 8, i * 8 + 8), "hex").readUInt32LE(0);
  // busybox stat's %i: f_fsid's first word, then the second in eight digits.
  const fsid = ((w(0) ^ w(2)) >>> 0).toString(16) + ((w(1) ^ w(3)) >>> 0).toString(16).padStart(8, "0");
  return { overhead, line: `${blocks - overhead} ${free} ${Math.max(free - keep, 0)} ${field("Inode count")} ${field("Free inodes")} ${fsid} ${field("Block size")}` };
}

test("statfs on ext4 (df's figures): f_blocks without the overhead (stored or computed), f_bavail without the reserves, f_fsid from the UUID", { skip, timeout: 300_000 }, () => {
  const s = scratchDir();
  try {
    for (const [name, args] of [["e1k", ["-t", "ext4"]], ["e4k", ["-t", "ext4", "-b", "4096"]], ["e2", ["-t", "ext2"]]] as const) {
      const img = join(s.dir, `${name}.img`);
      host("mke2fs", ["-q", ...args, img, name === "e4k" ? "300M" : "32M"]);
      const made = statfsOf(img).overhead;
      assert.ok(made > 0, `${name}: mke2fs stored no overhead`);
      const df = "stat -f -c '%b %f %a %c %d %i %S' /mnt";
      const r = ghostSh(`mount /dev/vda /mnt && dd if=/dev/zero of=/mnt/f bs=64k count=20 2>/dev/null && mkdir /mnt/d && sync && ${df} && umount /mnt`, [`--disk=${img}`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), statfsOf(img).line, `${name}: the overhead mke2fs stored`);
      host("debugfs", ["-w", "-R", "ssv overhead_clusters 0", img]);
      assert.equal(statfsOf(img).overhead, 0);
      const c = ghostSh(`mount /dev/vda /mnt && ${df} && umount /mnt`, [`--disk=${img}`]);
      assert.equal(c.status, 0, c.stderr);
      const after = statfsOf(img);
      assert.equal(after.overhead, made, `${name}: the mount computed and stored what mke2fs had`);
      assert.equal(c.stdout.trim(), after.line, `${name}: the computed overhead`);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
    }
  } finally { s.done(); }
});
