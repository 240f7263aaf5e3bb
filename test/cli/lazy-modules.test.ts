// The `ghost` command's bundle evaluates ext4 at its first use, not at its
// start (scripts/build.mjs makes the `// ghost:lazy` imports lazy): a run
// from a directory never evaluates ext4's modules, and ext4 works the first
// time a program mounts a disk or the root is an image. What ran is read
// from V8's coverage of the bundle (NODE_V8_COVERAGE): each module of the
// bundle is a function named after it, run once when it is evaluated.
//
//   node scripts/build.mjs && node --test dist/test/cli/lazy-modules.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cliDir = join(root, "dist", "src", "cli");
const bundle = join(cliDir, "bundle", "ghost.cjs");
const busybox = join(root, "build", "rootfs", "bin", "busybox");

function bundleFresh(): boolean {
  try { return statSync(bundle).mtimeMs >= statSync(join(cliDir, "ghost.js")).mtimeMs; } catch { return false; }
}
const haveMke2fs = spawnSync("mke2fs", ["-V"], { timeout: 10_000, killSignal: "SIGKILL" }).status === 0;
const skip = !bundleFresh() ? "no fresh bundle (node scripts/build.mjs)" : !existsSync(busybox) ? "no build/rootfs" : !haveMke2fs ? "no mke2fs" : false;

// `ghost run ARGS` through main.cjs with V8's coverage on: its output, its
// status, and the bundle's modules that were evaluated and that were not.
function run(args: string[], dir: string): { stdout: string; stderr: string; status: number | null; ran: string[]; notRan: string[] } {
  const cov = join(dir, "coverage");
  rmSync(cov, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(cliDir, "main.cjs"), "run", ...args], {
    cwd: root, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL",
    env: { ...process.env, NODE_V8_COVERAGE: cov, GHOST_NO_BUNDLE: "" },
  });
  const ran: string[] = [];
  const notRan: string[] = [];
  for (const f of existsSync(cov) ? readdirSync(cov) : []) {
    const report = JSON.parse(readFileSync(join(cov, f), "utf8")) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] };
    for (const s of report.result) {
      if (!s.url.endsWith("/bundle/ghost.cjs")) continue;
      for (const fn of s.functions) {
        if (!fn.functionName.startsWith("dist/src/")) continue;
        (fn.ranges[0].count > 0 ? ran : notRan).push(fn.functionName);
      }
    }
  }
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, ran, notRan };
}

const EXT4 = "dist/src/fs/ext4/index.js";

// An ext4 image holding busybox and a file (mke2fs -d copies a directory in).
function makeImage(dir: string): string {
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "bin"), { recursive: true });
  copyFileSync(busybox, join(tree, "bin", "busybox"));
  writeFileSync(join(tree, "hello.txt"), "from ext4\n");
  const img = join(dir, "disk.img");
  const r = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", tree, img, "16M"], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
  assert.equal(r.status, 0, r.stderr);
  return img;
}

test("a run that mounts no ext4 never evaluates ext4's modules", { skip, timeout: 200_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-lazy-"));
  try {
    const r = run(["busybox", "sh", "-c", "echo hi; exit 3"], dir);
    assert.equal(r.stdout, "hi\n");
    assert.equal(r.status, 3);
    assert.ok(r.ran.length > 50, `coverage of the bundle was read (${r.ran.length} modules ran)`);
    assert.deepEqual(r.ran.filter((m) => m.startsWith("dist/src/fs/ext4/") && !m.endsWith("/layout.js")), []);
    assert.ok(r.notRan.includes(EXT4), "ext4 is in the bundle");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ext4 works at its first use: mount(2) of a disk, after the start", { skip, timeout: 200_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-lazy-"));
  try {
    const img = makeImage(dir);
    const r = run([`--disk=${img}`, "busybox", "sh", "-c", "grep -cE ext[234] /proc/filesystems; mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d && cat /mnt/d/hello.txt && echo new > /mnt/d/new && cat /mnt/d/new && umount /mnt/d"], dir);
    assert.equal(r.stdout, "3\nfrom ext4\nnew\n", r.stderr);
    assert.equal(r.status, 0);
    assert.ok(r.ran.includes(EXT4));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ext4 works at its first use: an image as the root filesystem", { skip, timeout: 200_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-lazy-"));
  try {
    const img = makeImage(dir);
    const r = run([`--root=${img}`, "/bin/busybox", "cat", "/hello.txt"], dir);
    assert.equal(r.stdout, "from ext4\n", r.stderr);
    assert.equal(r.status, 0);
    assert.ok(r.ran.includes(EXT4));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
