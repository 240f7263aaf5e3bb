// Debian's riscv64 e2fsprogs under Ghost (build/e2fsroot, scripts/e2fsroot.sh):
// mkfs.ext4 on a virtual disk makes what the host's e2fsck -fn finds clean
// and Ghost's ext4 mounts; e2fsck, tune2fs -l and dumpe2fs -h on a host-made
// image say what the same binaries say under qemu-riscv64 on the image file
// (the whole output) and what the host's own e2fsprogs say (exit status, the
// summary line, the superblock fields); a mounted device is refused as Linux
// refuses it (mkfs, O_EXCL, BLKDISCARD).
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-e2fsprogs.test.js
// (builds build/e2fsroot first when missing: Debian packages through the
// private apt configuration of scripts/debs.sh)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { onPath } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const E2FSROOT = join(root, "build", "e2fsroot");
const qemu = onPath("qemu-riscv64");

// A script under Ghost with build/e2fsroot as its root.
function e2sh(script: string, disks: string[]) {
  return ghostSh(script, [`--root=${E2FSROOT}`, ...disks.map((d) => `--disk=${d}`)], 240_000);
}

// The same riscv64 program under qemu-riscv64 on the host (the image as a plain file).
function qemuRun(prog: string, args: string[]) {
  const r = spawnSync(qemu!, ["-L", E2FSROOT, join(E2FSROOT, prog), ...args], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  return { status: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}

// e2fsprogs' outputs with the device's name and the version banner taken out.
const norm = (s: string, dev: string) => s.split(dev).join("DEV").split("\n").filter((l) => !/^\S+ 1\.\d+\.\d+ \(/.test(l)).join("\n").trim();
const summary = (s: string, dev: string) => norm(s, dev).split("\n").filter((l) => /^DEV: \d+\/\d+ files/.test(l));
// tune2fs -l's fields, whitespace folded (1.47.0 pads one field with a tab).
const fields = (s: string) => new Map(s.split("\n").filter((l) => l.includes(":")).map((l) => {
  const i = l.indexOf(":");
  return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
}));

describe("e2fsprogs inside Ghost", { skip, concurrency: false }, () => {
  before(() => {
    const b = spawnSync("bash", ["scripts/e2fsroot.sh"], { cwd: root, stdio: "inherit", timeout: 900_000, killSignal: "SIGKILL" });
    assert.equal(b.status, 0, "scripts/e2fsroot.sh failed");
  });

  test("mkfs.ext4 on /dev/vda and /dev/vdb: the host's e2fsck -fn finds both clean, Ghost mounts and fills them", { timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const a = join(s.dir, "a.img"), b = join(s.dir, "b.img");
      writeFileSync(a, Buffer.alloc(0)); spawnSync("truncate", ["-s", "64M", a], { timeout: 10_000, killSignal: "SIGKILL" });
      writeFileSync(b, Buffer.alloc(0)); spawnSync("truncate", ["-s", "96M", b], { timeout: 10_000, killSignal: "SIGKILL" });
      const r = e2sh(
        "/sbin/mkfs.ext4 -F -L small /dev/vda && /sbin/mkfs.ext4 -q -F -b 4096 -O orphan_file /dev/vdb || exit 9\n" +
        "for d in vda vdb; do mkdir -p /mnt/$d && mount -t ext4 /dev/$d /mnt/$d || exit 8; done\n" +
        "for d in vda vdb; do mkdir /mnt/$d/dir; i=0; while [ $i -lt 40 ]; do echo file $i > /mnt/$d/dir/f$i; i=$((i+1)); done\n" +
        "  dd if=/dev/zero of=/mnt/$d/big bs=64k count=40 2>/dev/null; ln -s dir/f1 /mnt/$d/link; rm /mnt/$d/dir/f3; done\n" +
        "umount /mnt/vda && umount /mnt/vdb && echo unmounted",
        [a, b]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      // As on Linux's virtio disk, which offers discard: the whole device is discarded first.
      assert.match(r.stdout, /Discarding device blocks:.*done/, r.stdout);
      assert.match(r.stdout, /Creating filesystem with 65536 1k blocks and 16384 inodes/, r.stdout);
      assert.doesNotMatch(r.stdout + r.stderr, /warning|Unknown error/i, "no ioctl mke2fs needs fails");
      assert.match(r.stdout, /unmounted/);
      for (const img of [a, b]) {
        const f = fsck(img);
        assert.equal(f.status, 0, `${img}:\n${f.out}`);
      }
      assert.match(host("dumpe2fs", ["-h", a]), /Filesystem volume name:\s+small\n/);
      assert.match(host("dumpe2fs", ["-h", b]), /Filesystem features:.*orphan_file/);
      assert.equal(host("debugfs", ["-R", "cat /dir/f39", b]), "file 39\n");
    } finally { s.done(); }
  });

  test("e2fsck -fn, then -fy, on a damaged host-made image: the verdicts of the host's e2fsck and of the same binary under qemu", { timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const tree = join(s.dir, "tree"), img = join(s.dir, "h.img");
      mkdirSync(join(tree, "d"), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(tree, "d", `f${i}`), `contents ${i}\n`.repeat(i * 50));
      host("mke2fs", ["-q", "-t", "ext4", "-d", tree, img, "16M"]);
      const clean = e2sh("/sbin/e2fsck -fn /dev/vda; echo status=$?", [img]);
      assert.match(clean.stdout, /status=0/, clean.stdout + clean.stderr);
      const hostClean = fsck(img);
      assert.deepEqual(summary(clean.stdout, "/dev/vda"), summary(hostClean.out, img));
      // Damage: a wrong link count and an in-use block marked free.
      const blk = host("debugfs", ["-R", "blocks /d/f10", img]).trim().split(/\s+/)[0];
      host("debugfs", ["-w", "-R", "sif /d/f5 links_count 3", img]);
      host("debugfs", ["-w", "-R", `freeb ${blk}`, img]);
      const g = e2sh("/sbin/e2fsck -fn /dev/vda; echo status=$?", [img]);
      const h = fsck(img);
      assert.equal(h.status, 4, h.out);
      assert.match(g.stdout, /status=4\n/, g.stdout + g.stderr);
      assert.deepEqual(summary(g.stdout, "/dev/vda"), summary(h.out, img));
      assert.match(g.stdout, /Inode \d+ ref count is 3, should be 1/);
      if (qemu) {
        const q = qemuRun("sbin/e2fsck", ["-fn", img]);
        assert.equal(q.status, 4);
        assert.equal(norm(g.stdout.replace(/status=\d+\n?/, "") + g.stderr, "/dev/vda"), norm(q.out + q.err, img), "the whole output as under qemu-riscv64");
      }
      const fix = e2sh("/sbin/e2fsck -fy /dev/vda; echo status=$?", [img]);
      assert.match(fix.stdout, /FILE SYSTEM WAS MODIFIED/, fix.stdout);
      assert.match(fix.stdout, /status=1\n/, fix.stdout + fix.stderr);
      const after = fsck(img);
      assert.equal(after.status, 0, after.out);
      assert.deepEqual(summary(fix.stdout, "/dev/vda"), summary(after.out, img));
    } finally { s.done(); }
  });

  test("tune2fs -l and dumpe2fs -h: the same as under qemu-riscv64 and the host's fields; tune2fs -L and -c write a superblock the host reads", { timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const img = join(s.dir, "t.img");
      host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "32M"]);
      const r = e2sh("/sbin/tune2fs -l /dev/vda; echo ===; /sbin/dumpe2fs -h /dev/vda 2>/dev/null", [img]);
      assert.equal(r.status, 0, r.stderr);
      const [tune, dump] = r.stdout.split("===\n");
      const hostTune = fields(host("tune2fs", ["-l", img]));
      const ghostTune = fields(tune);
      for (const k of ["Filesystem UUID", "Filesystem features", "Block count", "Free blocks", "Free inodes", "Inode size", "Journal inode", "Filesystem state", "Checksum"]) {
        assert.ok(hostTune.has(k), k);
        assert.equal(ghostTune.get(k), hostTune.get(k), k);
      }
      if (qemu) {
        assert.equal(tune, qemuRun("sbin/tune2fs", ["-l", img]).out);
        assert.equal(dump.trim(), qemuRun("sbin/dumpe2fs", ["-h", img]).out.trim());
      }
      const t = e2sh("/sbin/tune2fs -L ghostlabel -c 25 /dev/vda; echo status=$?", [img]);
      assert.match(t.stdout, /status=0/, t.stdout + t.stderr);
      assert.equal(host("e2label", [img]).trim(), "ghostlabel");
      assert.match(host("dumpe2fs", ["-h", img]), /Maximum mount count:\s+25\n/);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
    } finally { s.done(); }
  });

  test("a mounted device: mkfs.ext4 refuses it, O_EXCL and BLKDISCARD are EBUSY, e2fsck -n warns; unmounted, blkdiscard works", { timeout: 300_000 }, () => {
    const s = scratchDir();
    try {
      const img = join(s.dir, "m.img");
      host("mke2fs", ["-q", "-t", "ext4", img, "16M"]);
      const r = e2sh(
        "exec 2>&1; mkdir -p /mnt/m && mount -t ext4 /dev/vda /mnt/m || exit 9\n" +
        "/sbin/mkfs.ext4 -F /dev/vda; echo mkfs=$?\n" +
        "/sbin/mkfs.ext4 -F -F /dev/vda; echo mkfs2=$?\n" +
        "blkdiscard /dev/vda; echo discard=$?\n" +
        "/sbin/e2fsck -fn /dev/vda >/tmp/out; echo fsck=$?; grep -c 'is mounted' /tmp/out\n" +
        "umount /mnt/m; blkdiscard -o 1048576 -l 1048576 /dev/vda; echo discard2=$?\n" +
        "blkdiscard -s /dev/vda; echo secure=$?\n" +
        "fallocate -l 4096 /dev/vda; echo falloc=$?",
        [img]);
      const out = r.stdout + r.stderr;
      assert.match(out, /\/dev\/vda is mounted; will not make a filesystem here!\nmkfs=1\n/, out);
      assert.match(out, /is mounted; mke2fs forced anyway.*\n.*Device or resource busy while setting up superblock\nmkfs2=1\n/, out);
      // busybox blkdiscard opens with O_EXCL.
      assert.match(out, /can't open '\/dev\/vda': Device or resource busy\ndiscard=1\n/, out);
      assert.match(out, /fsck=0\n1\n/, out);
      assert.match(out, /discard2=0\n/, out);
      assert.match(out, /Operation not supported\nsecure=1\n/, out);
      // Mode 0 is EOPNOTSUPP on a block device; glibc's posix_fallocate then
      // emulates it only on a regular file (ENODEV).
      assert.match(out, /No such device\nfalloc=1\n/, out);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
    } finally { s.done(); }
  });
});
