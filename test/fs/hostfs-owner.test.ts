// Linux ownership and permissions on host directory mounts (issue #14):
// the guest sees on a -v mount what it sees on tmpfs, whatever the host user.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/hostfs-owner.test.js
//
// userland/fs/owner.c (creator's fsuid/fsgid, set-group-ID directories,
// chown/chmod by owner and others, device nodes, search permission, a
// directory's link count) runs under qemu-riscv64 in a host temp dir (the
// host's Linux: the oracle), and under Ghost on tmpfs, on a -v host mount,
// and on a -v host mount with Ghost itself running as an unprivileged host
// user (setpriv, when the tests run as root): there hostfs can chown nothing
// and the metadata overlay (src/fs/hostfs/meta.ts) holds the guest's view.
// Then, with busybox: what the overlay holds outlives the run (a second
// Ghost, on a :ro mount, sees the same owners, modes and device nodes), the
// host keeps plain files (no device node, no set-id bit), and the entries go
// when the guest removes the files. And a directory's link count where the
// host filesystem reports 1 (btrfs): 2 + subdirectories.
//
// Environment: GHOST_CLI (default dist/src/cli/main.js), USERLAND_TIMEOUT_MS.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exitStatus, judge, onPath, report, run, runQemu, tail, type RunResult } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/fs");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const timeoutMs = Number(process.env.USERLAND_TIMEOUT_MS ?? 180_000);
const bin = join(root, "build", "userland-fs");
const META = ".ghost-unlinked-meta-";
// The unprivileged host user Ghost runs as in the setpriv variant.
const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
const setpriv = onPath("setpriv");
// The unprivileged host user can read Ghost, its default root's cpio and the build directory.
const nobodyCanRun = isRoot && !!setpriv && spawnSync(setpriv, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "-e",
  `for (const p of ${JSON.stringify([ghostCli, join(root, "build", "rootfs.cpio"), join(root, "build")])}) require("fs").accessSync(p, require("fs").constants.R_OK)`],
{ stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" }).status === 0;
const qemu = onPath("qemu-riscv64");

const dirs: string[] = [];
function tempDir(owner?: number): string {
  const d = fs.mkdtempSync(join(tmpdir(), "ghost-hostown-"));
  dirs.push(d);
  fs.chmodSync(d, 0o755);
  if (owner !== undefined) fs.chownSync(d, owner, owner);
  return d;
}

// Ghost with these arguments from cwd; asUser: through setpriv as that host
// user (and the default root from its cpio, which any user can read).
function ghost(args: string[], cwd: string, asUser?: number): Promise<RunResult> {
  const cli = [ghostCli, "run", ...(asUser === undefined ? [] : ["--root", join(root, "build", "rootfs.cpio")]), ...args];
  if (asUser === undefined) return run(process.execPath, cli, {}, { cwd, timeoutMs });
  return run(setpriv!, [`--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", process.execPath, ...cli], {}, { cwd, timeoutMs });
}

function check(runner: string, what: string, r: RunResult): void {
  const problems = judge(r);
  if (problems.length) assert.fail(report(runner, what, r, problems));
}

// The overlay's live entries, replaying its log as hostfs does.
function overlayEntries(dir: string): Map<string, { m: number; u: number; g: number; r: number }> {
  const live = new Map<string, { m: number; u: number; g: number; r: number }>();
  for (const n of fs.readdirSync(dir).filter((x) => x.startsWith(META)).sort()) {
    for (const line of fs.readFileSync(join(dir, n), "latin1").split("\n")) {
      let rec: { k?: string; x?: number; m: number; u: number; g: number; r: number };
      try { rec = JSON.parse(line); } catch { continue; }
      if (typeof rec.k !== "string") continue;
      if (rec.x === 1) live.delete(rec.k); else live.set(rec.k, rec);
    }
  }
  return live;
}

test("hostfs: a directory's link count is 2 + subdirectories where the host reports 1 (btrfs)", async () => {
  const { makeHostfs, HostInode } = await import("../../src/fs/hostfs.js");
  const d = tempDir();
  for (const sub of ["p/a", "p/b", "p/a/x"]) fs.mkdirSync(join(d, sub), { recursive: true });
  fs.writeFileSync(join(d, "p", "file"), "");
  const mountRoot = makeHostfs(d, true);
  const p = mountRoot.lookup("p");
  assert.ok(p instanceof HostInode);
  assert.equal(p.nlink, 4, "the host's own count (ext4, tmpfs, xfs count subdirectories)");
  // What btrfs says of every directory.
  const st = fs.lstatSync(join(d, "p"), { bigint: true });
  p.refresh(Object.assign(Object.create(Object.getPrototypeOf(st)) as fs.BigIntStats, st, { nlink: 1n }));
  assert.equal(p.nlink, 4, "counted from the directory's entries");
});

describe("hostfs: Linux ownership and permissions on host mounts", { concurrency: 2 }, () => {
  let buildError: string | undefined;
  before(() => {
    const r = spawnSync(process.execPath, [join(root, "userland", "fs", "build.mjs"), "owner"], { cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
    if (r.status !== 0) buildError = `userland/fs build failed:\n${r.stderr}${r.stdout}`;
  });
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  test("qemu-riscv64: owner (the host's Linux, in a host temp dir)", { skip: !qemu ? "qemu-riscv64 not installed" : !isRoot ? "needs root" : false }, async () => {
    if (buildError) assert.fail(buildError);
    const d = tempDir();
    const r = await runQemu(() => run(qemu!, [join(bin, "owner"), join(d, "w")], { GHOST_TEST_QEMU: "1" }, { cwd: d, timeoutMs }));
    check("qemu-riscv64", "owner", r);
  });

  test("ghost: owner on tmpfs", async () => {
    if (buildError) assert.fail(buildError);
    const d = tempDir();
    check("ghost", "owner /tmp/w", await ghost(["-v", `${bin}:/vt:ro`, "--", "/vt/owner", "/tmp/w"], d));
  });

  test("ghost: owner on a -v host mount", async () => {
    if (buildError) assert.fail(buildError);
    const d = tempDir();
    check("ghost", "owner /h/w", await ghost(["-v", `${d}:/h`, "-v", `${bin}:/vt:ro`, "--", "/vt/owner", "/h/w"], d));
    // The host keeps plain files: a placeholder for the device, no set-id bit anywhere.
    const blk = fs.lstatSync(join(d, "w", "blk"));
    assert.ok(blk.isFile() && blk.size === 0, "the block device is an empty regular file on the host");
    for (const n of ["d", "g", "g/sub", "g/rootsx", "d/f"]) {
      assert.equal(fs.lstatSync(join(d, "w", n)).mode & 0o7000, 0, `no set-id or sticky bit on the host's w/${n}`);
    }
  });

  test("ghost: owner on a -v host mount, Ghost running as an unprivileged host user", {
    skip: !isRoot ? "needs root to start Ghost as another host user" : !setpriv ? "setpriv not installed"
      : !nobodyCanRun ? `host uid ${NOBODY} cannot read Ghost's files here` : false,
  }, async () => {
    if (buildError) assert.fail(buildError);
    const d = tempDir(NOBODY);
    check("ghost (host uid 65534)", "owner /h/w", await ghost(["-v", `${d}:/h`, "-v", `${bin}:/vt:ro`, "--", "/vt/owner", "/h/w"], d, NOBODY));
    // Every file the guest made is the host user's and readable by it.
    const walk = (p: string): void => {
      const st = fs.lstatSync(p);
      assert.equal(st.uid, NOBODY, `${p} is the host user's`);
      if (st.isDirectory()) {
        assert.equal(st.mode & 0o700, 0o700, `${p}: the host user may list and change it`);
        for (const n of fs.readdirSync(p)) walk(join(p, n));
      } else if (st.isFile()) assert.equal(st.mode & 0o600, 0o600, `${p}: the host user may read and write it`);
    };
    walk(join(d, "w"));
  });

  test("ghost: the overlay outlives the run, holds on a :ro mount, and goes with the files", async () => {
    const d = tempDir();
    const h = join(d, "h");
    fs.mkdirSync(h);
    fs.writeFileSync(join(h, "hostfile"), "from the host");
    const make = "umask 022 && cd /h && mknod c c 1 3 && mknod b b 7 1 && echo data > f && chown 1000:1001 f && chmod 4755 f && " +
      "mkdir d && chown 7:8 d && chmod 3775 d && chmod 600 hostfile && chown 5:6 hostfile && ls -a /h";
    let r = await ghost(["-v", `${h}:/h`, "--", "/bin/sh", "-c", make], d);
    assert.equal(exitStatus(r), 0, `making the files: ${tail(r.stderr)}`);
    assert.equal(r.stdout.split(/\s+/).filter((n) => n.startsWith(".ghost")).length, 0, "the guest does not see the overlay's file");
    assert.equal(fs.readdirSync(h).filter((n) => n.startsWith(META)).length, 1, "one overlay file in the mount's root");
    assert.ok(fs.lstatSync(join(h, "c")).isFile(), "the host has a plain file for the device");
    assert.equal(fs.lstatSync(join(h, "f")).mode & 0o7777, 0o755, "the host file has no set-user-ID bit");
    const show = "stat -c '%n %F %u %g %a %t %T' /h/c /h/b /h/f /h/d /h/hostfile && head -c 4 /h/c | wc -c && cat /h/f";
    const want = "/h/c character special file 0 0 644 1 3\n/h/b block special file 0 0 644 7 1\n/h/f regular file 1000 1001 4755 0 0\n" +
      "/h/d directory 7 8 3775 0 0\n/h/hostfile regular file 5 6 600 0 0\n0\ndata\n";
    r = await ghost(["-v", `${h}:/h:ro`, "--", "/bin/sh", "-c", show], d);
    assert.equal(exitStatus(r), 0, `stat on the :ro mount: ${tail(r.stderr)}`);
    assert.equal(r.stdout, want, "a second run, on a :ro mount, sees what the first made");
    assert.ok(overlayEntries(h).size >= 5, "the overlay has the entries");
    r = await ghost(["-v", `${h}:/h`, "--", "/bin/sh", "-c", "cd /h && rm c b f hostfile && rmdir d"], d);
    assert.equal(exitStatus(r), 0, `removing: ${tail(r.stderr)}`);
    assert.equal(overlayEntries(h).size, 0, "removing the files removes their entries");
    assert.deepEqual(fs.readdirSync(h).filter((n) => n.startsWith(META)), [], "an overlay with no entry left is removed at exit");
  });
});
