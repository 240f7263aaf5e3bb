// Differential test: busybox applets and a static glibc program give the same
// output and exit status under Ghost as under qemu-riscv64.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const GHOST = join(ROOT, "dist/src/cli/main.js");
const BUSYBOX = join(ROOT, "build/rootfs/bin/busybox");
const WORK = join(ROOT, "build/test/diff-busybox");

function run(cmd: string, args: string[], input?: Buffer) {
  // A hang is cut short (SIGKILL: ghost run passes SIGTERM on to the guest).
  const r = spawnSync(cmd, args, { cwd: WORK, input, maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: "C" }, timeout: 180_000, killSignal: "SIGKILL" });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString() };
}

function both(args: string[], input?: Buffer) {
  const q = run("qemu-riscv64", [BUSYBOX, ...args], input);
  const g = run("node", [GHOST, "run", "/bin/busybox", ...args], input);
  return { q, g };
}

mkdirSync(WORK, { recursive: true });
const data = Buffer.alloc(200_000);
let x = 12345;
for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24; }
writeFileSync(join(WORK, "data.bin"), data);
const lines = Array.from({ length: 3000 }, (_, i) => `line ${(i * 7919) % 3001} ${String.fromCharCode(97 + (i % 26))}`).join("\n") + "\n";
writeFileSync(join(WORK, "lines.txt"), lines);

const cases: [string, string[], Buffer?][] = [
  ["echo", ["echo", "hello", "ghost", "-n"]],
  ["sha256sum", ["sha256sum", "data.bin", "lines.txt"]],
  ["sort", ["sort", "lines.txt"]],
  ["sort -n -r", ["sort", "-n", "-r", "-k", "2", "lines.txt"]],
  ["wc", ["wc", "data.bin", "lines.txt"]],
  ["od", ["od", "-A", "x", "-t", "x1z", "-N", "4096", "data.bin"]],
  ["od stdin", ["od", "-c"], Buffer.from("ghost\tkernel\n\0\x01")],
  ["md5sum stdin", ["md5sum"], data],
  ["missing file", ["cat", "no-such-file"]],
  ["false", ["false"]],
];

for (const [name, args, input] of cases) {
  test(`busybox ${name}: Ghost matches qemu-riscv64`, () => {
    const { q, g } = both(args, input);
    assert.equal(g.stderr.includes("oops"), false, g.stderr);
    assert.equal(g.status, q.status, `exit status (ghost stderr: ${g.stderr})`);
    assert.equal(g.stdout.toString("latin1"), q.stdout.toString("latin1"));
    assert.equal(g.stderr, q.stderr.replaceAll(BUSYBOX, "/bin/busybox"));
  });
}

test("static glibc hello world: Ghost matches qemu-riscv64", () => {
  const src = join(WORK, "hello.c");
  writeFileSync(src, '#include <stdio.h>\nint main(int c, char **v) { printf("hello, world %d %s\\n", c, v[1]); return 7; }\n');
  const exe = join(WORK, "hello");
  const cc = spawnSync("riscv64-linux-gnu-gcc", ["-O2", "-static", "-o", exe, src]);
  assert.equal(cc.status, 0, cc.stderr.toString());
  const q = run("qemu-riscv64", [exe, "arg"]);
  const g = run("node", [GHOST, "run", exe, "arg"]);
  assert.equal(q.status, 7);
  assert.equal(g.status, q.status);
  assert.equal(g.stdout.toString(), q.stdout.toString());
  assert.equal(g.stdout.toString(), "hello, world 2 arg\n");
});
