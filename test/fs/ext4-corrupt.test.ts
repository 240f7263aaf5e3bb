// Corrupt ext2/ext4 images never crash the kernel: random bytes written over
// the superblock, the group descriptors, the inode table, an extent tree
// block, directory blocks. Each image is a disk of one Ghost run that
// mounts it and reads everything on it; the outcome must be a refused
// mount or errors (EUCLEAN/EIO with an EXT4-fs log line), never an oops, a
// hang or a dead kernel. With metadata_csum every such change is caught.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/ext4-corrupt.test.js
//   EXT4_CORRUPT_SEEDS=20 node --test dist/test/fs/ext4-corrupt.test.js   (more rounds)
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, openSync, closeSync, writeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ghostSh, host, scratchDir, haveE2fsprogs } from "./ext4-helpers.js";

const skip = haveE2fsprogs ? false : "e2fsprogs not installed: scripts/setup.sh";
const SEEDS = Number(process.env.EXT4_CORRUPT_SEEDS ?? 1);
const BS = 1024;

function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

// Overwrites 8 runs of 1..16 random bytes inside [start, start+len) of the image.
function scribble(img: string, start: number, len: number, seed: number): void {
  const r = rng(seed);
  const fd = openSync(img, "r+");
  try {
    for (let i = 0; i < 8; i++) {
      const n = 1 + (r() % 16);
      const at = start + (r() % Math.max(1, len - n));
      const b = Buffer.alloc(n);
      for (let j = 0; j < n; j++) b[j] = r() & 0xff;
      writeSync(fd, b, 0, n, at);
    }
  } finally { closeSync(fd); }
}

function debugfs(img: string, req: string): string { return host("debugfs", ["-R", req, img]); }

// Where the interesting structures of an image are (from debugfs).
function regions(img: string, extents: boolean): [string, number, number][] {
  // The inode's own bytes (a change elsewhere in its block may hit an unused inode).
  const inodeAt = (path: string) => {
    const m = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(debugfs(img, `imap ${path}`))!;
    return Number(m[1]) * BS + Number(m[2]);
  };
  const inodeSize = Number(/Inode size:\s+(\d+)/.exec(host("dumpe2fs", ["-h", img]))![1]);
  const groups = Number(/Block count:\s+(\d+)/.exec(host("dumpe2fs", ["-h", img]))![1]) / (8 * BS);
  const firstBlock = (path: string) => Number(debugfs(img, `blocks ${path}`).trim().split(/\s+/)[0]);
  const out: [string, number, number][] = [
    ["superblock", 1024, 1024],
    // The descriptors in use (the rest of their block is unused, as on Linux).
    ["group descriptors", 2 * BS, Math.ceil(groups) * (extents ? 64 : 32)],
    ["inode table (root)", inodeAt("/"), inodeSize],
    ["inode table (files)", inodeAt("/d"), inodeSize],
    ["directory block (root)", firstBlock("/") * BS, BS],
    ["directory block (/d)", firstBlock("/d") * BS, BS],
  ];
  if (extents) {
    // The index entry of /frag's depth-1 tree names its leaf block.
    const m = /^\s*0\/\s*1\s+1\/\s*1\s+\d+\s+-\s+\d+\s+(\d+)/m.exec(debugfs(img, "dump_extents /frag"));
    assert.ok(m, "frag has a depth-1 extent tree");
    out.push(["extent tree block", Number(m[1]) * BS, BS]);
  }
  return out;
}

function makeTree(dir: string): void {
  mkdirSync(join(dir, "d"), { recursive: true });
  for (let i = 0; i < 120; i++) writeFileSync(join(dir, "d", `name-${i}`), `${i}\n`);
  writeFileSync(join(dir, "f"), "some text\n");
  // Twelve separate runs: more extents than the inode holds, so a tree of depth 1.
  const fd = openSync(join(dir, "frag"), "w");
  for (let i = 0; i < 12; i++) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, i * 65536);
  closeSync(fd);
}

const SCRIPT = `
n=0
for d in $DISKS; do
  mkdir -p /m/$d
  if mount -o ro /dev/$d /m/$d 2>/dev/null; then
    ls -lRa /m/$d >/dev/null 2>&1
    find /m/$d -type f -exec head -c 200000 {} + >/dev/null 2>&1
    find /m/$d -type l -exec readlink {} + >/dev/null 2>&1
    getfattr -d /m/$d/f /m/$d/frag /m/$d/d >/dev/null 2>&1
    echo "$d mounted"
  else
    echo "$d refused"
  fi
done
echo oopses=$(dmesg | grep -c -i oops)
echo done
dmesg | grep 'EXT4-fs (vd.): .*error' | cut -d'(' -f2 | cut -c1-3 | sort -u
`;

for (const [fsType, extents] of [["ext4", true], ["ext2", false]] as [string, boolean][]) {
  test(`corrupt ${fsType} images: a refused mount or errors, never a crash`, { skip, timeout: 600_000 }, () => {
    const s = scratchDir();
    try {
      const tree = join(s.dir, "tree"), base = join(s.dir, "base.img");
      mkdirSync(tree);
      makeTree(tree);
      host("mke2fs", ["-q", "-F", "-t", fsType, "-b", String(BS), "-d", tree, base, "16M"]);
      const where = regions(base, extents);
      for (let seed = 1; seed <= SEEDS; seed++) {
        const disks: string[] = [];
        where.forEach(([, start, len], i) => {
          const img = join(s.dir, `c${i}.img`);
          copyFileSync(base, img);
          scribble(img, start, len, seed * 100 + i);
          disks.push(`--disk=${img}`);
        });
        const names = where.map((_, i) => "vd" + String.fromCharCode(97 + i));
        const r = ghostSh(SCRIPT, [...disks, "--env", `DISKS=${names.join(" ")}`], 300_000);
        assert.equal(r.status, 0, `seed ${seed}: ${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /oopses=0\ndone\n/, `seed ${seed}: ${r.stdout}`);
        if (fsType === "ext4") {
          // Checksums catch every change: each disk is refused or logs an EXT4-fs error.
          const log = r.stdout;
          names.forEach((d, i) => {
            assert.ok(log.includes(`${d} refused`) || new RegExp(`^${d}$`, "m").test(log), `seed ${seed}: ${where[i][0]} (${d}) not caught:\n${log}`);
          });
        }
      }
    } finally { s.done(); }
  });
}
