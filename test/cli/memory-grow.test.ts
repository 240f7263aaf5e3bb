// Guest RAM starts small and grows as frames are handed out (Hart.growRam,
// PhysAllocator.alloc): a grow detaches every view of the wasm memory, so
// each holder of one (the hart, the page tables, the JIT and its dispatch
// map, the user-copy helpers) must take it anew. These runs use several
// times the initial 16 MiB: a 40 MiB file of random bytes on tmpfs, a copy
// of busybox made after it (its text in frames past the first grows), and a
// 48 MiB read into a buffer never touched before, checked byte for byte by
// md5sum; once with the JIT translating every block (its views after a
// grow), once without. Past --mem the OOM killer acts as it did when all of
// RAM was made at start, and /proc/meminfo shows --mem, not what is held.
// On an ext4 root the same run goes through the ext4 block cache and the
// page cache, whose reads now go through a kernel buffer (mm/pagecache.ts).
//
//   node scripts/build.mjs && node --test dist/test/cli/memory-grow.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cli = join(root, "dist", "src", "cli", "main.cjs");
const skip = !existsSync(cli) ? "no dist/src/cli/main.cjs (node scripts/build.mjs)" : !existsSync(join(root, "build", "rootfs", "bin")) ? "no build/rootfs" : false;

function ghost(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, "run", ...args], {
    cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL", env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// In DIR: /tmp (tmpfs), or / of an ext4 image (its files' pages come
// through the ext4 block cache's frames and the page cache's).
const script = (dir: string): string => [
  `dd if=/dev/urandom of=${dir}/f bs=1M count=40 2>/dev/null`,
  `cp /bin/busybox ${dir}/busybox`,
  `${dir}/busybox md5sum < ${dir}/f`,
  `${dir}/busybox dd if=${dir}/f bs=48M 2>/dev/null | ${dir}/busybox md5sum`,
  "grep MemTotal /proc/meminfo",
].join("\n");
const SCRIPT = script("/tmp");

function checkGrown(r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 3, r.stdout + r.stderr);
  assert.match(lines[0], /^[0-9a-f]{32} {2}-$/);
  assert.equal(lines[1], lines[0], "the 48 MiB read saw other bytes than the file holds");
  assert.match(lines[2], /^MemTotal:\s+262144 kB$/);
}

test("a program using several times the initial guest RAM runs, its data intact", { skip, timeout: 600_000 }, () => {
  checkGrown(ghost(["--mem=256M", "/bin/sh", "-c", SCRIPT], { GHOST_JIT: "0" }));
});

test("the same with the JIT translating every block (its views of the memory after each grow)", { skip, timeout: 600_000 }, () => {
  checkGrown(ghost(["--mem=256M", "/bin/sh", "-c", SCRIPT], { GHOST_JIT_THRESHOLD: "1", GHOST_JIT_WARMUP: "0" }));
});

const noMkfs = spawnSync("mkfs.ext4", ["-V"]).status !== 0 ? "no mkfs.ext4 on the host" : false;
test("the same on an ext4 root, with the JIT", { skip: skip || noMkfs, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-memgrow-"));
  try {
    const img = join(dir, "root.img");
    writeFileSync(img, "");
    truncateSync(img, 160 << 20);
    const mk = spawnSync("mkfs.ext4", ["-q", "-F", "-d", join(root, "build", "rootfs"), img], { encoding: "utf8" });
    assert.equal(mk.status, 0, mk.stderr);
    checkGrown(ghost(["--mem=256M", `--root=${img}`, "/bin/sh", "-c", script("")], { GHOST_JIT_THRESHOLD: "1", GHOST_JIT_WARMUP: "0" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("past --mem the OOM killer ends the program, as before", { skip, timeout: 600_000 }, () => {
  const r = ghost(["--mem=40M", "/bin/sh", "-c", "awk 'BEGIN { s = \"0123456789abcdef\"; while (1) s = s s }'; echo status=$?; grep MemTotal /proc/meminfo"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^status=137\nMemTotal:\s+40960 kB\n$/);
  assert.match(r.stderr, /out of memory: killed process \d+ \(awk\)/);
});
