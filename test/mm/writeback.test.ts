// Writeback of shared file mappings inside the kernel: only dirty pages go
// to the file, a page is clean (write-protected) after writeback, and a
// failed writeback is logged and reported to msync(MS_SYNC), never thrown
// out of munmap or the address space's teardown.
//
//   npx tsc -p tsconfig.json && node --test dist/test/mm/writeback.test.js
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kernel } from "../../src/kernel/kernel.js";
import { KernelError } from "../../src/lib/errors.js";
import { EIO, EROFS } from "../../src/abi/errno.js";
import { AddressSpace, ACC_R, ACC_W } from "../../src/mm/mm.js";
import { PROT_READ, PROT_WRITE, type MapSource } from "../../src/mm/vma.js";
import { PTE_V, PTE_W } from "../../src/mm/pagetable.js";
import { UserMemory } from "../../src/mm/uaccess.js";

const PAGE = 4096;

// A file of `pages` pages whose writes are recorded, or fail with `failWith`.
function fakeFile(pages: number, failWith = 0) {
  const data = new Uint8Array(pages * PAGE).fill(0x61);
  const writes: number[] = [];
  const src: MapSource = {
    id: "fake", path: "/fake", dev: 1, ino: 1, key: {},
    readAt: (off, dst) => { dst.set(data.subarray(off, off + dst.length)); return dst.length; },
    writeAt: (off, bytes) => {
      if (failWith) throw new KernelError(failWith);
      writes.push(off);
      data.set(bytes, off);
      return bytes.length;
    },
    size: () => data.length,
  };
  return { src, data, writes };
}

function setup(pages: number, failWith = 0) {
  const k = new Kernel({ memoryBytes: 8 << 20, clock: "virtual" });
  const mm = new AddressSpace(k.hart, k.phys);
  const f = fakeFile(pages, failWith);
  const va = mm.mmap(0, pages * PAGE, PROT_READ | PROT_WRITE, { shared: true, source: f.src });
  return { k, mm, f, va, um: new UserMemory(mm) };
}

test("a shared mapping only read is never written back", () => {
  const { mm, f, va, um } = setup(3);
  assert.equal(um.read(va + PAGE, 4)[0], 0x61);
  assert.equal(mm.handleFault(va + 2 * PAGE, ACC_R), 0);
  assert.equal(mm.pt.get(va + PAGE) & PTE_W, 0, "a clean page is mapped without write permission");
  assert.equal(mm.msync(va, 3 * PAGE, true), 0);
  mm.unmap(va, 3 * PAGE);
  mm.destroy();
  assert.deepEqual(f.writes, []);
});

test("only the dirty page goes back, and it is clean (write-protected) after", () => {
  const { mm, f, va, um } = setup(3);
  um.read(va, 3 * PAGE);
  um.write(va + PAGE + 7, new Uint8Array([0x42]));
  assert.notEqual(mm.pt.get(va + PAGE) & PTE_W, 0, "the store made the page writable");
  assert.equal(mm.msync(va, 3 * PAGE, true), 0);
  assert.deepEqual(f.writes, [PAGE]);
  assert.equal(f.data[PAGE + 7], 0x42);
  assert.equal(mm.pt.get(va + PAGE) & PTE_W, 0, "written back: write-protected again");
  assert.equal(mm.msync(va, 3 * PAGE, true), 0);
  assert.deepEqual(f.writes, [PAGE], "a clean page is not written again");
  assert.equal(mm.handleFault(va + PAGE, ACC_W), 0, "a new store faults and dirties it again");
  mm.destroy();
  assert.deepEqual(f.writes, [PAGE, PAGE], "teardown writes the re-dirtied page");
});

test("a fork's mapping of the page is write-protected by writeback too", () => {
  const { mm, f, va, um } = setup(1);
  um.write(va, new Uint8Array([1]));
  const child = mm.fork();
  // Linux's fork copies no PTE of a mapping without private pages
  // (copy_page_range): the child faults the shared page in itself.
  assert.equal(child.pt.get(va) & PTE_V, 0, "fork copied no PTE of the shared file mapping");
  const cm = new UserMemory(child);
  cm.write(va, new Uint8Array([2]));
  assert.notEqual(child.pt.get(va) & PTE_W, 0, "the child's store made its PTE writable");
  assert.equal(mm.msync(va, PAGE, true), 0);
  assert.equal(f.data[0], 2, "the parent's msync wrote the child's store");
  assert.equal(child.pt.get(va) & PTE_W, 0, "the child's PTE lost write permission");
  cm.write(va, new Uint8Array([3]));
  child.destroy();
  assert.equal(f.data[0], 3, "the child's store after writeback reached the file at its exit");
  mm.destroy();
});

test("a failed writeback is logged, reported to msync(MS_SYNC), and never thrown", () => {
  for (const errno of [EROFS, EIO]) {
    const { k, mm, va, um } = setup(2, errno);
    um.write(va, new Uint8Array([1]));
    assert.equal(mm.msync(va, 2 * PAGE, true), errno, "msync(MS_SYNC) reports the writeback error");
    assert.equal(mm.msync(va, 2 * PAGE, true), 0, "reported once");
    um.write(va + PAGE, new Uint8Array([1]));
    assert.doesNotThrow(() => mm.unmap(va, 2 * PAGE), "munmap completes");
    um.write(mm.mmap(0, PAGE, PROT_READ | PROT_WRITE, {}), new Uint8Array([3]));
    const va2 = mm.mmap(0, PAGE, PROT_READ | PROT_WRITE, { shared: true, source: fakeFile(1, errno).src });
    um.write(va2, new Uint8Array([1]));
    const before = k.phys.freeFrames;
    assert.doesNotThrow(() => mm.destroy(), "teardown completes");
    assert.doesNotThrow(() => mm.destroy(), "a second teardown is harmless");
    assert.ok(k.phys.freeFrames > before, "teardown freed the frames");
    const log = k.log.tail(1 << 16);
    assert.match(log, /writeback error on \/fake/);
  }
});
