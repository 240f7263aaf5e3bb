// O_DIRECT on an ext4 file and on a block device (userland/ext4/odirect.c,
// self-checking): offset, length and buffer aligned to the logical block
// size or EINVAL, and coherent with the page cache both ways. The same
// program runs under qemu-riscv64 on the host's own ext4 /tmp (the oracle,
// where /tmp is ext4) with the same results; host e2fsck -fn clean after.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-odirect.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { ghostSh, host, fsck, scratchDir, haveE2fsprogs, root } from "./ext4-helpers.js";
import { onPath } from "../helpers/programs.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const bin = join(root, "build", "userland-ext4");

let buildError = "";
before(() => {
  const r = spawnSync(process.execPath, [join(root, "userland", "ext4", "build.mjs"), "odirect"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (r.status !== 0) buildError = `userland/ext4 build failed:\n${r.stderr}${r.stdout}`;
});

const verdicts = (out: string) => out.split("\n").filter((l) => /^(not )?ok - /.test(l));

test("O_DIRECT on ext4 files and on /dev/vdb: alignment rules and coherence with the page cache, as the host's ext4", { skip, timeout: 300_000 }, () => {
  if (buildError) assert.fail(buildError);
  const s = scratchDir();
  try {
    const img = join(s.dir, "disk.img"), raw = join(s.dir, "raw.img");
    host("mke2fs", ["-q", "-t", "ext4", "-b", "4096", img, "32M"]);
    writeFileSync(raw, Buffer.alloc(1 << 20));
    const r = ghostSh("mount -t ext4 /dev/vda /mnt && /t/odirect /mnt /dev/vdb; echo status=$?; umount /mnt && echo unmounted",
      [`--disk=${img}`, `--disk=${raw}`, "-v", `${bin}:/t:ro`]);
    assert.deepEqual(verdicts(r.stdout).filter((l) => l.startsWith("not ok")), [], r.stdout + r.stderr);
    assert.match(r.stdout, /# \d+ checks, 0 failed/, r.stdout);
    assert.match(r.stdout, /status=0\nunmounted/, r.stdout + r.stderr);
    const f = fsck(img);
    assert.equal(f.status, 0, f.out);
    // The file as the guest left it: pages a, c, b, a, then d, d.
    const data = spawnSync("debugfs", ["-R", "cat /odirect", img], { timeout: 60_000, killSignal: "SIGKILL" }).stdout;
    assert.equal([0, 1, 2, 3, 4, 5].map((i) => String.fromCharCode(data[i * 4096])).join(""), "acbadd");
    // The oracle: the file checks under qemu-riscv64 on the host's ext4.
    const qemu = onPath("qemu-riscv64");
    const dir = join(s.dir, "host");
    mkdirSync(dir);
    const fsType = spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" }).stdout.trim();
    if (qemu && fsType === "ext2/ext3") {
      const q = spawnSync(qemu, [join(bin, "odirect"), dir], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_TEST_QEMU: "1" } });
      assert.equal(q.status, 0, q.stdout + q.stderr);
      const ghostFile = verdicts(r.stdout).filter((l) => !l.includes("device"));
      assert.deepEqual(ghostFile, verdicts(q.stdout), "the same verdicts as Linux's ext4");
    }
  } finally { s.done(); }
});
