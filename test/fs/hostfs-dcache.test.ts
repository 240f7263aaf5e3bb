// hostfs's cached names (src/fs/hostfs/super.ts nameValid): a name found
// unchanged on the host is not asked again until the host epoch moves
// (kernel/running.ts). What a guest can see of changes made on the host
// side behind Ghost's back: never out of order with what it saw of the
// host since. A host rename over a name, then a new file: once a lookup
// has found the new file, the old name gives the renamed file (the lookup
// was a host call, which moves the epoch); once the host event loop had a
// turn, likewise. In-process, with no run loop, so that no turn of the
// event loop comes between by chance.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/hostfs-dcache.test.js
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeHostfs, type HostInode } from "../../src/fs/hostfs.js";
import { Dentry } from "../../src/fs/dentry.js";
import { hostObserved } from "../../src/kernel/running.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

function mount(): { dir: string; root: Dentry } {
  const dir = fs.mkdtempSync(join(tmpdir(), "ghost-hostdcache-"));
  dirs.push(dir);
  fs.writeFileSync(join(dir, "a"), "old");
  const top = makeHostfs(dir, false);
  return { dir, root: new Dentry("", null, top) };
}

const inoOf = (d: Dentry | null): number => (d?.inode as HostInode | undefined)?.ino ?? -1;

// The host replaces "a" with a new file (another inode) by rename, then makes "go".
function replaceThenSignal(dir: string): number {
  fs.writeFileSync(join(dir, "new"), "new");
  fs.renameSync(join(dir, "new"), join(dir, "a"));
  fs.writeFileSync(join(dir, "go"), "");
  return fs.statSync(join(dir, "a")).ino;
}

test("a name looked up after a host lookup that saw a later host change shows the change", () => {
  const { dir, root } = mount();
  const before = inoOf(root.child("a"));
  assert.equal(before, fs.statSync(join(dir, "a")).ino);
  assert.equal(inoOf(root.child("a")), before, "found again");
  const now = replaceThenSignal(dir);
  assert.notEqual(now, before);
  // The guest sees "go", which the host made after the rename...
  assert.notEqual(root.child("go"), null, "go is there");
  // ...so "a" must be the renamed file, not the one it had cached.
  assert.equal(inoOf(root.child("a")), now, "a after go");
});

test("a name looked up after a turn of the host event loop shows a host change", () => {
  const { dir, root } = mount();
  const before = inoOf(root.child("a"));
  const now = replaceThenSignal(dir);
  assert.notEqual(now, before);
  hostObserved(); // what the kernel's run loop does after each turn of the host's event loop
  assert.equal(inoOf(root.child("a")), now);
});

test("a name removed on the host is gone after a host call that saw a later change", () => {
  const { dir, root } = mount();
  assert.notEqual(root.child("a"), null);
  fs.unlinkSync(join(dir, "a"));
  fs.writeFileSync(join(dir, "go"), "");
  assert.notEqual(root.child("go"), null);
  assert.equal(root.child("a"), null);
});

test("a file rewritten in place on the host: its new size after a host call that saw a later change", () => {
  const { dir, root } = mount();
  const a = root.child("a")!;
  assert.equal(a.inode.size, 3);
  fs.writeFileSync(join(dir, "a"), "rewritten"); // same inode
  fs.writeFileSync(join(dir, "go"), "");
  assert.notEqual(root.child("go"), null);
  assert.equal(root.child("a")!.inode.size, 9);
});
