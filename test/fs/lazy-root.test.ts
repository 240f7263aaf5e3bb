// A root filesystem filled from a host directory or a cpio archive gives
// each file its bytes on first use (src/fs/tmpfs.ts setLazyContents): what
// the guest sees must be what an eager copy showed — contents, sizes,
// st_blocks, writes into the middle, truncation, files run as programs.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/lazy-root.test.js

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { exec } from "../../src/api/index.js";
import { findRoot } from "../helpers/root.js";

const repo = findRoot();
const rootfs = join(repo, "build", "rootfs");
const skip = existsSync(join(rootfs, "bin")) ? false : "no build/rootfs (scripts/prepare.sh builds it)";
const ENV = { PATH: "/bin:/sbin:/usr/bin" };

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
// 3 pages and a bit, no two pages alike.
const DATA = Buffer.from(Array.from({ length: 3 * 4096 + 123 }, (_, i) => (i * 7 + (i >> 12)) & 0xff));

test("files of a host-directory root: contents, size, blocks, writes and truncation", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-lazy-root-"));
  try {
    const root = join(dir, "root");
    cpSync(rootfs, root, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(root, "data"), DATA);
    writeFileSync(join(root, "poked"), DATA);
    writeFileSync(join(root, "cut"), DATA);
    writeFileSync(join(root, "empty"), "");
    const script = [
      "stat -c '%s %b' /data /empty",
      "md5sum /data | cut -d' ' -f1",
      "printf XY | dd of=/poked bs=1 seek=5000 conv=notrunc 2>/dev/null",
      "md5sum /poked | cut -d' ' -f1",
      "dd if=/dev/null of=/cut bs=1 seek=3000 2>/dev/null",
      "stat -c '%s %b' /cut; md5sum /cut | cut -d' ' -f1",
      "echo more >> /empty; cat /empty",
    ].join("; ");
    const r = await exec(["sh", "-c", script], { env: ENV, memory: "64M", root });
    const poked = Buffer.from(DATA);
    poked.write("XY", 5000, "latin1");
    const blocks = Math.ceil(DATA.length / 4096) * 8;
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, [
      `${DATA.length} ${blocks}`, "0 0", md5(DATA), md5(poked),
      "3000 8", md5(DATA.subarray(0, 3000)), "more", "",
    ].join("\n"));
    assert.equal(r.status, 0);
    // The guest's writes stay in the guest.
    assert.equal(md5(readFileSync(join(root, "poked"))), md5(DATA));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("files of a cpio root read as the archive holds them, programs run from it", { skip }, async () => {
  const cpio = join(repo, "build", "rootfs.cpio");
  if (!existsSync(cpio)) return;
  const r = await exec(["sh", "-c", "md5sum /bin/busybox | cut -d' ' -f1; stat -c %s /bin/busybox"], { env: ENV, memory: "64M", root: cpio });
  const busybox = readFileSync(join(rootfs, "bin", "busybox"));
  assert.equal(r.stdout, `${md5(busybox)}\n${busybox.length}\n`);
  assert.equal(r.status, 0);
});

// A root tree larger than its filesystem's size= (half of guest RAM): pages
// read from the host cost RAM, not room, as page cache over a disk would;
// only what the guest writes counts against size=. Before, the whole tree
// was reserved against size= at start and the files past it were missing
// (ENOSPC while filling the root).
test("a host-directory root larger than size=: every file there, reads cost no room, writes do", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-big-root-"));
  try {
    const root = join(dir, "root");
    cpSync(rootfs, root, { recursive: true, verbatimSymlinks: true });
    // Three sparse 24 MiB files with distinct first bytes: 72 MiB of tree, root size= 48 MiB at --mem=96M.
    const MB24 = 24 << 20;
    for (const n of [1, 2, 3]) {
      writeFileSync(join(root, `big${n}`), `file ${n}\n`);
      truncateSync(join(root, `big${n}`), MB24);
    }
    const want = (n: number) => {
      const b = Buffer.alloc(MB24);
      b.write(`file ${n}\n`, "latin1");
      return md5(b);
    };
    const script = [
      "stat -c '%n %s' /big1 /big2 /big3",
      "md5sum /big1 /big3 | cut -d' ' -f1",
      // 30 MiB written into the root still fit in size= (48 MiB): the 48 MiB read above took no room.
      "dd if=/dev/zero of=/written bs=1M count=30 2>/dev/null && echo wrote",
      "rm /written",
      // A clean page written counts from then on.
      "printf Z | dd of=/big2 bs=1 seek=4096 conv=notrunc 2>/dev/null && head -c 7 /big2 && dd if=/big2 bs=1 skip=4096 count=1 2>/dev/null; echo",
    ].join("; ");
    const r = await exec(["sh", "-c", script], { env: ENV, memory: "96M", root });
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, [
      `/big1 ${MB24}`, `/big2 ${MB24}`, `/big3 ${MB24}`, want(1), want(3), "wrote", "file 2\nZ", "",
    ].join("\n"));
    assert.equal(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Clean pages read from the host are page cache (src/fs/tmpfs_clean.ts):
// under memory pressure the ones no mapping holds are dropped and read
// again on the next use, as Linux reclaims clean file pages. Before, each
// page read in stayed for good: a root larger than RAM could be read only
// until RAM was full of it, and then every read was ENOMEM.
test("a host-directory root larger than RAM reads whole, twice, at --mem=64M", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-huge-root-"));
  try {
    const root = join(dir, "root");
    cpSync(rootfs, root, { recursive: true, verbatimSymlinks: true });
    // Four sparse 40 MiB files (160 MiB, 2.5x RAM) with distinct first bytes.
    const SIZE = 40 << 20;
    const names = [1, 2, 3, 4].map((n) => `huge${n}`);
    for (const [i, n] of names.entries()) {
      writeFileSync(join(root, n), `file ${i}\n`);
      truncateSync(join(root, n), SIZE);
    }
    const want = names.map((_, i) => {
      const b = Buffer.alloc(SIZE);
      b.write(`file ${i}\n`, "latin1");
      return md5(b);
    });
    const files = names.map((n) => `/${n}`).join(" ");
    const shmem = "grep Shmem: /proc/meminfo | tr -s ' ' | cut -d' ' -f2";
    const r = await exec(["sh", "-c", `md5sum ${files} ${files} | cut -d' ' -f1; ${shmem}; echo 1 > /proc/sys/vm/drop_caches; ${shmem}`],
      { env: ENV, memory: "64M", root });
    assert.equal(r.stderr, "");
    const out = r.stdout.split("\n");
    assert.equal(out.slice(0, 8).join("\n"), [...want, ...want].join("\n"));
    // drop_caches 1 drops them as page cache: most of RAM comes back.
    const [full, dropped] = [Number(out[8]), Number(out[9])];
    assert.ok(full > 32 * 1024 && full - dropped > 24 * 1024, r.stdout);
    assert.equal(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Directories of a host-directory root are read in when first looked into
// (tmpfs.ts setLazyEntries): what the guest sees must not show it — link
// counts (2 + subdirectories) and times the same before and after a listing,
// every name there at any depth, and changes to a directory not yet read
// kept with the rest.
test("directories of a host-directory root read in on first use look as if copied whole", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-lazy-dirs-"));
  try {
    const root = join(dir, "root");
    cpSync(rootfs, root, { recursive: true, verbatimSymlinks: true });
    for (const d of ["t/a/x", "t/a/y", "t/b", "t/c/z/deep"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "t/a/x/f"), "fx\n");
    writeFileSync(join(root, "t/c/z/deep/g"), "gz\n");
    symlinkSync("a/x/f", join(root, "t/link"));
    const script = [
      "stat -c '%n %h %Y' /t /t/a /t/c/z",
      "ls /t | tr '\\n' ' '; echo",
      "stat -c '%n %h %Y' /t /t/a /t/c/z",
      "cat /t/link /t/c/z/deep/g",
      // A new entry in a directory never listed, then the listing.
      "mkdir /t/b/new && touch /t/a/y/file && ls /t/b /t/a/y | tr '\\n' ' '; echo",
      "stat -c '%n %h' /t/b",
      "find /t | sort | tr '\\n' ' '; echo",
    ].join("; ");
    const r = await exec(["sh", "-c", script], { env: ENV, root });
    assert.equal(r.stderr, "");
    const out = r.stdout.split("\n");
    // Link counts: /t holds a, b, c (5); /t/a holds x, y (4); /t/c/z holds deep (3).
    assert.match(out[0], /^\/t 5 \d+$/);
    assert.match(out[1], /^\/t\/a 4 \d+$/);
    assert.match(out[2], /^\/t\/c\/z 3 \d+$/);
    assert.equal(out[3], "a b c link ");
    assert.deepEqual(out.slice(4, 7), out.slice(0, 3), "listing a directory changed its stat");
    assert.equal(out[7], "fx");
    assert.equal(out[8], "gz");
    assert.match(out[9], /new/);
    assert.match(out[9], /file/);
    assert.equal(out[10], "/t/b 3");
    assert.equal(out[11], "/t /t/a /t/a/x /t/a/x/f /t/a/y /t/a/y/file /t/b /t/b/new /t/c /t/c/z /t/c/z/deep /t/c/z/deep/g /t/link ");
    assert.equal(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
