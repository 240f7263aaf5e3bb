// The project's VFS tests (the self-checking programs of userland/fs/, which
// test/fs/vfs.test.ts runs on tmpfs and host directories, and under
// qemu-riscv64 on the host's Linux) with their working directory on an ext4
// disk: every check must pass there too, and the host's e2fsck -fn must find
// the filesystem clean after them. txtbsy runs from a copy on the ext4 disk
// (its checks are about its own executable); the others from a read-only
// host mount. hostesc needs its host fixture and stays in vfs.test.ts.
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
