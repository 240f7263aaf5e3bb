// `ghost run` loads its bundle with V8's code cache beside it
// (src/cli/main.ts): the first run writes the cache, a later run uses it as
// it is, and a cache V8 rejects (corrupt, or from another bundle) changes
// nothing a user sees and is written anew. Runs on a private copy of the
// bundle, so the cache of the build under test is not touched.
//
//   node scripts/build.mjs && node --test dist/test/cli/code-cache.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const bundle = join(root, "dist", "src", "cli", "bundle", "ghost.cjs");
const haveBundle = existsSync(bundle) && existsSync(join(root, "build", "rootfs", "bin"));

// A package directory of its own: main.js, the bundle, the hart, and the
// build's root filesystem through a link.
function privateCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "ghost-codecache-"));
  const cliDir = join(dir, "dist", "src", "cli");
  mkdirSync(join(cliDir, "bundle"), { recursive: true });
  copyFileSync(join(root, "dist", "src", "cli", "main.js"), join(cliDir, "main.js"));
  copyFileSync(bundle, join(cliDir, "bundle", "ghost.cjs"));
  // The modules' entry exists and is older than the bundle: the bundle is fresh.
  writeFileSync(join(cliDir, "ghost.js"), "");
  utimesSync(join(cliDir, "ghost.js"), new Date(0), new Date(0));
  copyFileSync(join(root, "dist", "hart.wasm"), join(dir, "dist", "hart.wasm"));
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  mkdirSync(join(dir, "build"));
  symlinkSync(join(root, "build", "rootfs"), join(dir, "build", "rootfs"));
  return dir;
}

function ghost(dir: string, args = ["run", "busybox", "sh", "-c", "echo hi; exit 7"]): { stdout: string; status: number | null } {
  const r = spawnSync(process.execPath, [join(dir, "dist", "src", "cli", "main.js"), ...args], {
    cwd: dir, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_NO_BUNDLE: "" },
  });
  return { stdout: r.stdout, status: r.status };
}

test("the bundle's code cache is written, used, and rewritten when V8 rejects it", { skip: haveBundle ? false : "no bundle (node scripts/build.mjs) or no build/rootfs", timeout: 400_000 }, () => {
  const dir = privateCopy();
  const cache = join(dir, "dist", "src", "cli", "bundle", "ghost.cjs.run.v8cache");
  try {
    assert.deepEqual(ghost(dir), { stdout: "hi\n", status: 7 });
    assert.ok(existsSync(cache), "the first run wrote the cache");
    const first = readFileSync(cache);
    assert.ok(first.length > 100_000, `a cache of ${first.length} bytes`);
    // Accepted: used as it is, not written again.
    utimesSync(cache, new Date(1000), new Date(1000));
    assert.deepEqual(ghost(dir), { stdout: "hi\n", status: 7 });
    assert.ok(readFileSync(cache).equals(first), "an accepted cache stays as it was");
    // Rejected: the run is the same and the cache is made anew.
    writeFileSync(cache, Buffer.alloc(4096, 0x5a));
    assert.deepEqual(ghost(dir), { stdout: "hi\n", status: 7 });
    const again = readFileSync(cache);
    assert.ok(!again.equals(Buffer.alloc(4096, 0x5a)) && again.length > 100_000, "a rejected cache is written anew");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// `ghost boot` and `ghost run` compile different functions: each subcommand
// keeps a cache of its own, and a run of one leaves the other's as it was.
test("each subcommand has its own code cache", { skip: haveBundle ? false : "no bundle (node scripts/build.mjs) or no build/rootfs", timeout: 400_000 }, () => {
  const dir = privateCopy();
  const cacheOf = (cmd: string) => join(dir, "dist", "src", "cli", "bundle", `ghost.cjs.${cmd}.v8cache`);
  try {
    assert.deepEqual(ghost(dir), { stdout: "hi\n", status: 7 });
    assert.ok(existsSync(cacheOf("run")), "ghost run wrote its cache");
    const run = readFileSync(cacheOf("run"));
    const syscalls = ghost(dir, ["syscalls"]);
    assert.equal(syscalls.status, 0);
    assert.match(syscalls.stdout, /implemented/);
    assert.ok(existsSync(cacheOf("other")), "ghost syscalls wrote a cache of its own");
    assert.ok(readFileSync(cacheOf("run")).equals(run), "ghost run's cache stays as it was");
    assert.deepEqual(ghost(dir), { stdout: "hi\n", status: 7 });
    assert.ok(readFileSync(cacheOf("run")).equals(run), "and is used as it is");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
