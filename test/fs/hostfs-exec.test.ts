// A program on a host directory (-v) that the host changes between two
// execs: Ghost runs what the host file holds now, never pages it cached of
// the old contents (exec reads the file's head and maps its text through the
// page cache; hostfs drops a file's cached pages when the revalidation of
// its name finds the host changed it).
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/hostfs-exec.test.js
//
// The guest is busybox's shell from the default root: it runs /h/prog, then
// waits for a file the host makes once it has changed the program. Three
// changes: rewritten in place (same host inode, other contents and size),
// replaced by a rename, made non-executable (EACCES: the shell says 126).
//
// Environment: GHOST_CLI (default dist/src/cli/main.js), USERLAND_TIMEOUT_MS.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/fs");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const timeoutMs = Number(process.env.USERLAND_TIMEOUT_MS ?? 300_000);

// Two static programs of different layout: the second's text and data are bigger.
const PROG_A = `#include <stdio.h>
int main(void) { puts("prog A"); return 11; }
`;
const PROG_B = `#include <stdio.h>
#include <string.h>
static char big[40000] = { 1 };
volatile int sink;
int main(void) { for (unsigned i = 0; i < sizeof big; i += 4096) sink += big[i];
  puts("prog B"); return 22; }
`;

function compile(dir: string, name: string, src: string): Buffer {
  const c = join(dir, `${name}.c`), out = join(dir, name);
  fs.writeFileSync(c, src);
  const r = spawnSync("riscv64-linux-gnu-gcc", ["-O2", "-static", "-o", out, c], { encoding: "utf8" });
  if (r.status !== 0) assert.fail(`riscv64-linux-gnu-gcc: ${r.stderr}`);
  return fs.readFileSync(out);
}

async function waitFor(cond: () => boolean, what: string, output: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("hostfs: a program the host changes between execs", () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  test("rewritten in place, replaced by rename, made non-executable", async () => {
    fs.mkdirSync(join(root, "build", "hostfs-exec"), { recursive: true });
    const base = fs.mkdtempSync(join(root, "build", "hostfs-exec", "t-"));
    dirs.push(base);
    const src = join(base, "src"), h = join(base, "h");
    fs.mkdirSync(src);
    fs.mkdirSync(h);
    const a = compile(src, "a", PROG_A), b = compile(src, "b", PROG_B);
    const prog = join(h, "prog");
    fs.writeFileSync(prog, a, { mode: 0o755 });
    const step = (n: number) => `/h/prog; echo "rc${n}=$?"; while [ ! -e /h/go${n} ]; do sleep 0.02; done`;
    const script = [step(1), step(2), step(3), `/h/prog; echo "rc4=$?"`].join("; ");
    const child = spawn(process.execPath, [ghostCli, "run", "-v", `${h}:/h`, "--", "/bin/sh", "-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const done = new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      await waitFor(() => out.includes("rc1=") || child.exitCode !== null, "the first run", () => out + err);
      // In place: the same host inode, other bytes and size.
      const ino = fs.statSync(prog).ino;
      fs.writeFileSync(prog, b);
      assert.equal(fs.statSync(prog).ino, ino, "the host rewrote the same inode");
      fs.writeFileSync(join(h, "go1"), "");
      await waitFor(() => out.includes("rc2=") || child.exitCode !== null, "the second run", () => out + err);
      // A new file renamed over the name.
      fs.writeFileSync(join(h, "new"), a, { mode: 0o755 });
      fs.renameSync(join(h, "new"), prog);
      fs.writeFileSync(join(h, "go2"), "");
      await waitFor(() => out.includes("rc3=") || child.exitCode !== null, "the third run", () => out + err);
      fs.chmodSync(prog, 0o644);
      fs.writeFileSync(join(h, "go3"), "");
      const status = await done;
      assert.equal(out, "prog A\nrc1=11\nprog B\nrc2=22\nprog A\nrc3=11\nrc4=126\n", `stderr: ${err}`);
      assert.match(err, /Permission denied/);
      assert.equal(status, 0);
    } finally {
      clearTimeout(timer);
      child.kill("SIGKILL");
    }
  });
});
