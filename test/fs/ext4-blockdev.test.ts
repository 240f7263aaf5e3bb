// Virtual disks (`ghost run --disk=FILE[:ro]`): /dev/vda and its partitions
// from an MBR (with logical partitions) and a GPT, /proc/partitions,
// /sys/block, the block ioctls through busybox blockdev, reads and writes on
// the device node reaching the host file, and a read-only disk refusing writes;
// discard, write zeroes, fallocate, O_EXCL and BLKROSET on the device (userland/ext4/blkdev.c);
// loop devices (losetup).
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-blockdev.test.js
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, writeSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { ghostSh, scratchDir, host, fsck, haveE2fsprogs, root } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";

const MiB = 1 << 20;

function mbrEntry(buf: Buffer, at: number, type: number, start: number, sectors: number): void {
  buf.writeUInt8(type, at + 4);
  buf.writeUInt32LE(start, at + 8);
  buf.writeUInt32LE(sectors, at + 12);
}

// An 8 MiB disk: primary 1 (sectors 2048+4096), extended 2 (8192+8192) with
// two logical partitions (5 and 6).
function mbrDisk(path: string): void {
  const fd = openSync(path, "w");
  ftruncateSync(fd, 8 * MiB);
  const mbr = Buffer.alloc(512);
  mbrEntry(mbr, 446, 0x83, 2048, 4096);
  mbrEntry(mbr, 462, 0x05, 8192, 8192);
  mbr.writeUInt16LE(0xaa55, 510);
  writeSync(fd, mbr, 0, 512, 0);
  const ebr1 = Buffer.alloc(512);
  mbrEntry(ebr1, 446, 0x83, 2, 2046); // logical 5 at 8194
  mbrEntry(ebr1, 462, 0x05, 4096, 4096); // next EBR at 8192+4096
  ebr1.writeUInt16LE(0xaa55, 510);
  writeSync(fd, ebr1, 0, 512, 8192 * 512);
  const ebr2 = Buffer.alloc(512);
  mbrEntry(ebr2, 446, 0x83, 2, 1000); // logical 6 at 12290
  ebr2.writeUInt16LE(0xaa55, 510);
  writeSync(fd, ebr2, 0, 512, (8192 + 4096) * 512);
  closeSync(fd);
}

// A GPT disk: a protective MBR, the header at LBA 1, entries at LBA 2;
// partitions 1 (2048..4095) and 3 (6144..10239), entry 2 unused.
function gptDisk(path: string): void {
  const fd = openSync(path, "w");
  ftruncateSync(fd, 8 * MiB);
  const mbr = Buffer.alloc(512);
  mbrEntry(mbr, 446, 0xee, 1, 16383);
  mbr.writeUInt16LE(0xaa55, 510);
  writeSync(fd, mbr, 0, 512, 0);
  const hdr = Buffer.alloc(512);
  hdr.write("EFI PART", 0, "latin1");
  hdr.writeBigUInt64LE(2n, 72);
  hdr.writeUInt32LE(128, 80);
  hdr.writeUInt32LE(128, 84);
  writeSync(fd, hdr, 0, 512, 512);
  const entries = Buffer.alloc(128 * 128);
  const part = (i: number, first: number, last: number) => {
    entries.fill(0x11, i * 128, i * 128 + 16); // a type GUID
    entries.writeBigUInt64LE(BigInt(first), i * 128 + 32);
    entries.writeBigUInt64LE(BigInt(last), i * 128 + 40);
  };
  part(0, 2048, 4095);
  part(2, 6144, 10239);
  writeSync(fd, entries, 0, entries.length, 1024);
  closeSync(fd);
}

test("an MBR disk: partitions, sizes, ioctls, and I/O reaching the host file", () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "mbr.img");
    mbrDisk(img);
    const r = ghostSh([
      "cat /proc/partitions",
      "ls /dev | grep ^vd | tr '\\n' ' '; echo",
      "blockdev --getsize64 /dev/vda; blockdev --getsize64 /dev/vda1; blockdev --getsz /dev/vda5",
      "blockdev --getss /dev/vda; blockdev --getro /dev/vda",
      "cat /sys/block/vda/size /sys/block/vda/vda6/start /sys/block/vda/dev",
      "printf 'written by ghost' | dd of=/dev/vda1 bs=1 seek=100 2>/dev/null",
      "dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | dd bs=1 skip=100 count=16 2>/dev/null; echo",
      "blockdev --rereadpt /dev/vda && echo reread",
      "blockdev --rereadpt /dev/vda1 || echo partition-refused",
    ].join("; "), [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 8), [
      "major minor  #blocks  name", "",
      " 254        0       8192 vda",
      " 254        1       2048 vda1",
      " 254        2          1 vda2",
      " 254        5       1023 vda5",
      " 254        6        500 vda6",
      "vda vda1 vda2 vda5 vda6 ",
    ]);
    assert.deepEqual(lines.slice(8, 17), ["8388608", "2097152", "2046", "512", "0", "16384", "12290", "254:0", "written by ghost"]);
    assert.ok(r.stdout.includes("reread\n"));
    assert.ok(r.stdout.includes("partition-refused\n"));
    const host = readFileSync(img);
    assert.equal(host.subarray(2048 * 512 + 100, 2048 * 512 + 116).toString(), "written by ghost");
  } finally { s.done(); }
});

// LTP's tst_dev_bytes_written (sync01, syncfs01, fsync04…) reads sectors
// written (field 7) and ms doing I/O (field 10, which must not be 0) from
// /sys/block/<disk>[/<part>]/stat.
test("/sys/block/<disk>/stat and <part>/stat count the sectors written and the time spent doing I/O", () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "mbr.img");
    mbrDisk(img);
    const r = ghostSh([
      "dd if=/dev/zero of=/dev/vda1 bs=4096 count=2 conv=fsync 2>/dev/null",
      "cat /sys/block/vda/stat /sys/block/vda/vda1/stat /sys/block/vda/vda5/stat",
    ].join("; "), [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trimEnd().split("\n").map((l) => l.trim().split(/ +/).map(Number));
    assert.equal(rows.length, 3, r.stdout);
    for (const row of rows) assert.equal(row.length, 17, r.stdout);
    const [disk, part, other] = rows;
    assert.ok(part[6] >= 16, `vda1 sectors written: ${r.stdout}`);
    assert.ok(disk[6] >= part[6], `the whole disk counts its partitions' writes: ${r.stdout}`);
    assert.ok(part[9] > 0 && disk[9] > 0, `ms doing I/O: ${r.stdout}`);
    assert.equal(other[6], 0, `vda5 wrote nothing: ${r.stdout}`);
  } finally { s.done(); }
});

test("a GPT disk: the used entries become partitions by their number", () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "gpt.img");
    gptDisk(img);
    const r = ghostSh("cat /proc/partitions | tail -n +3", [`--disk=${img}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, " 254        0       8192 vda\n 254        1       1024 vda1\n 254        3       2048 vda3\n");
  } finally { s.done(); }
});

test("a read-only disk refuses writes with EPERM; reads and a second disk work", () => {
  const s = scratchDir();
  try {
    const a = join(s.dir, "a.img"), b = join(s.dir, "b.img");
    for (const p of [a, b]) { const fd = openSync(p, "w"); ftruncateSync(fd, MiB); closeSync(fd); }
    const r = ghostSh([
      "blockdev --getro /dev/vda; blockdev --getro /dev/vdb",
      "printf x | dd of=/dev/vda 2>&1 | grep -o 'Operation not permitted'",
      "printf y | dd of=/dev/vdb bs=1 seek=5 2>/dev/null && echo wrote",
      "printf z | dd of=/dev/vdb bs=1 seek=1048576 2>&1 | grep -o 'No space left on device'",
      "cat /sys/block/vda/ro",
    ].join("; "), [`--disk=${a}:ro`, `--disk=${b}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "1\n0\nOperation not permitted\nwrote\nNo space left on device\n1\n");
    assert.equal(readFileSync(a).every((x) => x === 0), true);
    assert.equal(readFileSync(b)[5], "y".charCodeAt(0));
  } finally { s.done(); }
});

test("/dev/disk/by-uuid names each ext filesystem's disk or partition, as udev does; mount through the link", { skip, timeout: 120_000 }, () => {
  const s = scratchDir();
  try {
    const a = join(s.dir, "a.img"), b = join(s.dir, "b.img");
    host("mke2fs", ["-q", "-F", "-t", "ext4", "-U", "0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9", a, "16M"]);
    host("truncate", ["-s", "8M", b]); // no filesystem: no link
    const r = ghostSh(`cd /dev/disk/by-uuid && for l in *; do echo "$l $(readlink $l)"; done
mount -t ext4 /dev/disk/by-uuid/0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9 /mnt && ls /mnt && umount /mnt`, [`--disk=${a}`, `--disk=${b}`]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9 ../../vda\nlost+found\n");
  } finally { s.done(); }
});

// blkdev.c's expectations are Linux's block/ioctl.c and block/fops.c for a
// virtio disk; run under qemu-riscv64 against a loop device of Linux 6.18
// they all held but the loop driver's own answers (an unknown ioctl EINVAL
// from lo_ioctl where virtio_blk, which has none, gives ENOTTY; rotational)
// and the ioctls qemu-user does not translate (ENOSYS).
test("discard, write zeroes, fallocate, fsync and O_EXCL on /dev/vda as Linux's block layer; /sys/dev/block links", { skip, timeout: 300_000 }, () => {
  const b = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs"), "blkdev"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  assert.equal(b.status, 0, `userland/ext4 build failed:\n${b.stderr}${b.stdout}`);
  const s = scratchDir();
  try {
    const img = join(s.dir, "e.img"), mbr = join(s.dir, "mbr.img");
    host("mke2fs", ["-q", "-t", "ext4", img, "8M"]);
    mbrDisk(mbr);
    const bin = join(root, "build", "userland-ext4");
    const r = ghostSh("mkdir -p /mnt/x && /t/blkdev /dev/vda /mnt/x; echo status=$?; " +
      "for d in 254:0 254:16 254:17 254:21; do echo $d $(readlink /sys/dev/block/$d) $(cat /sys/dev/block/$d/dev); done; " +
      "cat /sys/block/vda/queue/discard_max_bytes /sys/block/vda/queue/write_zeroes_max_bytes",
      [`--disk=${img}`, `--disk=${mbr}`, "-v", `${bin}:/t:ro`]);
    assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("not ok")), [], r.stdout + r.stderr);
    assert.match(r.stdout, /# \d+ checks, 0 failed/, r.stdout);
    assert.match(r.stdout, /status=0\n/, r.stdout + r.stderr);
    assert.match(r.stdout, /254:0 \.\.\/\.\.\/block\/vda 254:0\n254:16 \.\.\/\.\.\/block\/vdb 254:16\n254:17 \.\.\/\.\.\/block\/vdb\/vdb1 254:17\n254:21 \.\.\/\.\.\/block\/vdb\/vdb5 254:21\n/, r.stdout);
    assert.match(r.stdout, /2147483136\n2147483136\n/, r.stdout);
    // The zeroed ranges reached the host file: the device's last 4 KiB, and 4 KiB at 1 MiB + 512 from the end.
    const data = readFileSync(img);
    assert.ok(data.subarray(data.length - 4096).every((x) => x === 0), "the last 4 KiB are zeros");
    const at = data.length - MiB;
    assert.equal(data[at + 4096], "f".charCodeAt(0), "what fallocate left is on the host file");
    assert.ok(data.subarray(at, at + 4096).every((x) => x === 0), "ZERO_RANGE reached the host file");
  } finally { s.done(); }
});

test("loop devices: losetup binds a file to /dev/loop0, reads and writes reach the file, -d unbinds (ENXIO after)", () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "img");
    const fd = openSync(img, "w");
    writeSync(fd, Buffer.from("hello loop"));
    ftruncateSync(fd, MiB);
    closeSync(fd);
    const r = ghostSh([
      "ls -l /dev/loop0 /dev/loop-control | cut -c1",
      "losetup -f",
      "losetup /dev/loop0 /x/img && losetup /dev/loop0",
      "head -c 10 /dev/loop0; echo",
      "blockdev --getsize64 /dev/loop0",
      "cat /sys/block/loop0/size /sys/block/loop0/ro /sys/block/loop0/loop/backing_file /sys/block/loop0/loop/offset",
      "printf WORLD | dd of=/dev/loop0 bs=1 seek=6 conv=notrunc 2>/dev/null",
      "losetup -f",
      "losetup -d /dev/loop0; losetup /dev/loop0 2>&1 | grep -o 'No such device or address'",
    ].join("; "), ["-v", `${s.dir}:/x`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "c\nb\n/dev/loop0\n/dev/loop0: 0 /x/img\nhello loop\n1048576\n2048\n0\n/x/img\n0\n/dev/loop1\nNo such device or address\n");
    assert.equal(readFileSync(img).subarray(0, 11).toString(), "hello WORLD");
  } finally { s.done(); }
});

test("mount -o loop: an ext4 image through a loop device; umount detaches it (autoclear at the mount's last close)", { skip }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "img");
    host("mke2fs", ["-q", "-t", "ext4", img, "8M"]);
    const r = ghostSh([
      "mkdir -p /mnt && mount -o loop /x/img /mnt && echo written > /mnt/f",
      "cat /sys/block/loop0/loop/autoclear",
      "umount /mnt",
      // Read without opening /dev/loop0 (a close of it would detach too).
      "cat /sys/block/loop0/size",
      "losetup -f",
    ].join("; "), ["-v", `${s.dir}:/x`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "1\n0\n/dev/loop0\n");
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
    assert.equal(host("debugfs", ["-R", "cat /f", img]), "written\n");
  } finally { s.done(); }
});
