// preadv2(RWF_NOWAIT) on ext4 (userland/ext4/nowait.c, self-checking): a
// read whose page is not in the page cache is EAGAIN, a cached one reads,
// the end of the file is 0. Under Ghost only: the program empties the page
// cache through vm.drop_caches, the host's under qemu-user. LTP preadv203.
// And FS_IOC_FIEMAP (userland/ext4/fiemap.c), also under qemu-riscv64 on
// the host's ext4 when /tmp is one. LTP ioctl_fiemap01.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-nowait.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { onPath } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const bin = join(root, "build", "userland-ext4");

let buildError = "";
before(() => {
  const r = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs"), "nowait", "fiemap"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (r.status !== 0) buildError = `userland/ext4 build failed:\n${r.stderr}${r.stdout}`;
});

// Runs userland/ext4's PROG under Ghost on a fresh ext4 disk mounted at
// /mnt: every check passes, the unmount works, and e2fsck finds it clean.
function onExt4(dir: string, prog: string): void {
  const img = join(dir, "disk.img");
  host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "16M"]);
  const r = ghostSh(`mount -t ext4 /dev/vda /mnt && /t/${prog} /mnt; echo status=$?; umount /mnt && echo unmounted`,
    [`--disk=${img}`, "-v", `${bin}:/t:ro`]);
  assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("not ok")), [], r.stdout + r.stderr);
  assert.match(r.stdout, /# \d+ checks, 0 failed/, r.stdout);
  assert.match(r.stdout, /status=0\nunmounted/, r.stdout + r.stderr);
  const f = fsck(img);
  assert.equal(f.status, 0, f.out);
}

test("preadv2 RWF_NOWAIT on ext4: EAGAIN for a page not cached, the data once it is", { skip, timeout: 300_000 }, () => {
  if (buildError) assert.fail(buildError);
  const s = scratchDir();
  try {
    onExt4(s.dir, "nowait");
  } finally { s.done(); }
});

test("FS_IOC_FIEMAP on ext4: EBADR for unknown flags, one extent per separate block, LAST on the last", { skip, timeout: 300_000 }, () => {
  if (buildError) assert.fail(buildError);
  const s = scratchDir();
  try {
    onExt4(s.dir, "fiemap");
    // The oracle: the same checks under qemu-riscv64 on the host's ext4.
    const qemu = onPath("qemu-riscv64");
    const dir = join(s.dir, "host");
    mkdirSync(dir);
    const fsType = spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" }).stdout.trim();
    if (qemu && fsType === "ext2/ext3") {
      const q = spawnSync(qemu, [join(bin, "fiemap"), dir], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_TEST_QEMU: "1" } });
      assert.equal(q.status, 0, q.stdout + q.stderr);
    }
  } finally { s.done(); }
});
