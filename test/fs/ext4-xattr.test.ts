// Extended attributes past the inode's room on Ghost's ext4 (the external
// xattr block written: userland/ext4/xattrs.c) and POSIX ACLs set and
// enforced (userland/ext4/acls.c); both self-checking, and both pass on the
// host's ext4 under qemu-riscv64 too (acls.c: the oracle run here when the
// host's /tmp is ext4 and the suite runs as root). Then the host's
// e2fsck -fn finds nothing to fix and its debugfs lists what Ghost wrote.
// And the inode flags: chattr/lsattr (FS_IOC_GETFLAGS/SETFLAGS), with what
// immutable and append-only forbid (the errors as the host's ext4 gives
// them to the same script under qemu-riscv64).
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-xattr.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { onPath } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const bin = join(root, "build", "userland-ext4");

let buildError = "";
before(() => {
  const r = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs"), "xattrs", "acls"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (r.status !== 0) buildError = `userland/ext4 build failed:\n${r.stderr}${r.stdout}`;
});

for (const inodeSize of [128, 256]) {
  test(`xattrs in a block on ext4 (4 KiB blocks, ${inodeSize}-byte inodes): e2fsck -fn clean, debugfs lists them`, { skip, timeout: 300_000 }, () => {
    if (buildError) assert.fail(buildError);
    const s = scratchDir();
    try {
      const img = join(s.dir, "disk.img");
      host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", "-I", String(inodeSize), img, "32M"]);
      const r = ghostSh("mount -t ext4 /dev/vda /mnt && /t/xattrs /mnt; echo status=$?; umount /mnt && echo unmounted",
        [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
      assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("not ok")), [], r.stdout);
      assert.match(r.stdout, /status=0/, r.stdout);
      assert.match(r.stdout, /unmounted/, r.stdout + r.stderr);
      const f = fsck(img);
      assert.equal(f.status, 0, f.out);
      const list = host("debugfs", ["-R", "ea_list /xa", img]);
      for (let i = 0; i < 10; i++) assert.match(list, new RegExp(`user\\.a${i} \\(${100 + i}\\)`), list);
      const one = host("debugfs", ["-R", "ea_get /xa user.a7", img]);
      assert.match(one, /h{107}/, one);
    } finally { s.done(); }
  });
}

test("POSIX ACLs on ext4: set, enforced for named users and groups, chmod's mask; as on the host's ext4; e2fsck -fn clean", { skip, timeout: 300_000 }, () => {
  if (buildError) assert.fail(buildError);
  const s = scratchDir();
  try {
    const img = join(s.dir, "disk.img");
    host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "32M"]);
    const r = ghostSh("mount -t ext4 /dev/vda /mnt && /t/acls /mnt; echo status=$?; umount /mnt && echo unmounted",
      [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
    assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("not ok")), [], r.stdout);
    assert.match(r.stdout, /status=0/, r.stdout);
    assert.match(r.stdout, /unmounted/, r.stdout + r.stderr);
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
    // ext4's form: version 1, then user_obj rw, user 1000 rw, group_obj r, mask rw, other none.
    const list = host("debugfs", ["-R", "ea_list /acl", img]);
    assert.match(list, /system\.posix_acl_access \(28\) = 01 00 00 00 01 00 06 00 02 00 06 00 e8 03 00 00 04 00 04 00 10 00 06 00 20 00 00 00/, list);
    // The oracle: the same program on the host's ext4 (it needs root and a directory user 1000 can reach).
    const qemu = onPath("qemu-riscv64");
    const fsType = spawnSync("stat", ["-f", "-c", "%T", s.dir], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" }).stdout.trim();
    if (qemu && fsType === "ext2/ext3" && process.getuid?.() === 0) {
      chmodSync(s.dir, 0o755);
      const d = join(s.dir, "host");
      host("mkdir", [d]);
      const q = spawnSync(qemu, [join(bin, "acls"), d], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_TEST_QEMU: "1" } });
      assert.deepEqual((q.stdout ?? "").split("\n").filter((l) => l.startsWith("not ok")), [], q.stdout);
      assert.equal(q.status, 0, q.stdout + q.stderr);
    }
  } finally { s.done(); }
});

const ATTR_SCRIPT = `
echo hi > f; chattr +i f; lsattr f
echo x >> f || echo append-denied
rm f || echo rm-denied
mv f g || echo mv-denied
ln f h || echo ln-denied
chmod 600 f || echo chmod-denied
touch f || echo touch-denied
cat f
chattr -i f; rm f && echo removed
echo a > l; chattr +a l; lsattr l
echo b >> l && echo appended
echo c > l || echo trunc-denied
rm l || echo rm-denied
cat l
mkdir d; chattr +i d; touch d/new || echo create-denied
chattr -i d; lsattr -d d
`;

test("chattr and lsattr on ext4: immutable and append-only files refuse what Linux refuses; debugfs sees the flags", { skip, timeout: 300_000 }, () => {
  const s = scratchDir();
  try {
    const img = join(s.dir, "disk.img");
    host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "32M"]);
    const r = ghostSh(`mount -t ext4 /dev/vda /mnt && cd /mnt && (${ATTR_SCRIPT}) 2>/dev/null; cd / && umount /mnt && echo unmounted`, [`--disk=${img}`]);
    const want = ["----i---------e----- f", "append-denied", "rm-denied", "mv-denied", "ln-denied", "chmod-denied", "touch-denied", "hi",
      "removed", "-----a--------e----- l", "appended", "trunc-denied", "rm-denied", "a", "b", "create-denied", "--------------e----- d", "unmounted"];
    assert.deepEqual(r.stdout.trim().split("\n"), want, r.stdout + r.stderr);
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
    const st = host("debugfs", ["-R", "stat /l", img]);
    assert.match(st, /Flags: 0x80020\b/, st);
  } finally { s.done(); }
});
