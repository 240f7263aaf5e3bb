// hostfs containment: a guest reaches, reads, changes and creates nothing on
// the host outside its -v mounts, and hostfs's hidden files do not outlive
// Ghost where that can be helped.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fs/hostfs-containment.test.js
//
// Runs the riscv64 programs of userland/hostfs/ under Ghost only (they need
// host directories prepared here and -v mounts) and checks the host side:
//   contain  symlinks planted by the host and by the guest, `..`,
//            /proc/self/{cwd,fd}, hidden names, the attack (open and
//            unlink a file, plant a symlink at the next hidden name, bind a
//            socket), and a read-only mount: everything outside the mounts
//            stays as it was (mode, owner, content, mtime, names).
//   deep     3000 nested directories: create, stat, remove at the bottom.
//   evict    an open file that lost the only name Ghost knew outlives the descriptor bound.
// and, with busybox's shell, that hidden files go at SIGTERM, SIGINT and
// SIGHUP, and that what a SIGKILL leaves is swept by the next mount.
//
// Environment: GHOST_CLI (default dist/src/cli/main.js), USERLAND_TIMEOUT_MS.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { judge, report, type RunResult } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/hostfs");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const timeoutMs = Number(process.env.USERLAND_TIMEOUT_MS ?? 300_000);
const bin = join(root, "build", "userland-hostfs");
const HIDDEN = ".ghost-unlinked-";

// Ghost with these arguments, from cwd; onStart gets its pid; stop(sig) sends a signal.
interface Running { done: Promise<RunResult>; pid: number; output: () => string }
function startGhost(args: string[], cwd: string, onStart?: (pid: number) => void, openFiles?: number): Running {
  // With openFiles, through a shell that lowers the host's open-files limit first.
  const [cmd, argv] = openFiles === undefined ? [process.execPath, [ghostCli, "run", ...args]]
    : ["sh", ["-c", `ulimit -n ${openFiles} && exec "$0" "$@"`, process.execPath, ghostCli, "run", ...args]];
  const child = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "", timedOut = false;
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (child.pid && onStart) onStart(child.pid);
  const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    child.on("error", (error) => { clearTimeout(timer); resolve({ status: null, signal: null, stdout, stderr, timedOut, timeoutMs, error }); });
    child.on("close", (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr, timedOut, timeoutMs }); });
  });
  return { done, pid: child.pid ?? -1, output: () => stdout };
}

// Everything the host can see of a tree: names, types, modes, owners, link
// counts, times and contents (symlinks: their targets).
function snapshot(dir: string): string {
  const out: string[] = [];
  const st0 = fs.lstatSync(dir, { bigint: true });
  out.push(`. ${st0.mode.toString(8)} ${st0.uid}:${st0.gid}`);
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = join(d, name);
      const st = fs.lstatSync(p, { bigint: true });
      const r = rel ? `${rel}/${name}` : name;
      const head = `${r} ${st.mode.toString(8)} ${st.uid}:${st.gid} n${st.nlink}`;
      if (st.isDirectory()) { out.push(`${head}/`); walk(p, r); }
      else if (st.isSymbolicLink()) out.push(`${head} -> ${fs.readlinkSync(p)}`);
      else out.push(`${head} m${st.mtimeNs} ${st.isFile() ? fs.readFileSync(p, "latin1") : ""}`);
    }
  };
  walk(dir, "");
  return out.join("\n");
}

// A pid no process can have: past the host's pid_max.
function deadPid(): number {
  try { return Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1; } catch { return 4194305; }
}

function hiddenIn(dir: string): string[] { return fs.readdirSync(dir).filter((n) => n.startsWith(HIDDEN)); }

async function waitFor(cond: () => boolean, what: string, ms = timeoutMs): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("hostfs containment (Ghost, -v host mounts)", { concurrency: 2 }, () => {
  let buildError: string | undefined;
  const bases: string[] = [];
  const newBase = (tag: string) => {
    fs.mkdirSync(join(root, "build", "hostfs-contain"), { recursive: true });
    const b = fs.mkdtempSync(join(root, "build", "hostfs-contain", `${tag}-`));
    bases.push(b);
    fs.mkdirSync(join(b, "cwd"));
    return b;
  };
  before(() => {
    const r = spawnSync(process.execPath, [join(root, "userland", "hostfs", "build.mjs"), "-j", "2"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) buildError = `userland/hostfs build failed:\n${r.stderr}${r.stdout}`;
  });
  after(() => { for (const b of bases) fs.rmSync(b, { recursive: true, force: true }); });

  test("contain: symlinks, .., /proc paths, hidden names, the bind attack and :ro change nothing outside", async () => {
    if (buildError) assert.fail(buildError);
    const B = newBase("contain");
    const out = join(B, "out"), mnt = join(B, "mnt"), ro = join(B, "ro");
    fs.mkdirSync(join(out, "vdir"), { recursive: true, mode: 0o700 });
    fs.chmodSync(join(out, "vdir"), 0o700);
    fs.writeFileSync(join(out, "victim"), "VICTIM");
    fs.chmodSync(join(out, "victim"), 0o600);
    fs.utimesSync(join(out, "victim"), 1_000_000, 1_000_000);
    fs.mkdirSync(mnt);
    for (const [n, c] of [["file.txt", "inside"], ["file2", "second"], ["file3", "third"], ["file4", "fourth"]]) fs.writeFileSync(join(mnt, n), c);
    const links: [string, string][] = [
      ["hv", join(out, "victim")], ["hrel", "../out/victim"], ["hnew", join(out, "newfile")], ["hnewrel", "../out/newfile"],
      ["hdir", join(out, "vdir")], ["hdirrel", "../out/vdir"], ["hroot", "/"],
      ["hunlink", join(out, "victim")], ["hrename", join(out, "victim")], ["hswap", join(out, "victim")],
    ];
    for (const [n, t] of links) fs.symlinkSync(t, join(mnt, n));
    // A hidden directory of a live Ghost (this runner's pid): kept and invisible;
    // one of a dead Ghost: swept at the mount.
    const keep = `${HIDDEN}${process.pid}-0123456789abcdef`;
    fs.mkdirSync(join(mnt, keep), { mode: 0o700 });
    fs.writeFileSync(join(mnt, keep, "keep"), "KEEP");
    const stale = `${HIDDEN}${deadPid()}-feedfacefeedface`;
    fs.mkdirSync(join(mnt, stale), { mode: 0o700 });
    fs.writeFileSync(join(mnt, stale, "x"), "stale");
    fs.mkdirSync(join(ro, "subdir"), { recursive: true });
    fs.writeFileSync(join(ro, "file.txt"), "readonly");
    fs.symlinkSync(join(out, "victim"), join(ro, "hv"));

    const before = { out: snapshot(out), ro: snapshot(ro), base: fs.readdirSync(B).sort().join(","), baseMode: fs.lstatSync(B).mode };
    const g = startGhost(["-v", `${mnt}:/mnt/h`, "-v", `${ro}:/mnt/ro:ro`, "-v", `${bin}:/vt:ro`, "--", "/vt/contain", B, keep], join(B, "cwd"),
      (pid) => fs.writeFileSync(join(mnt, "ghost.pid"), String(pid)));
    const r = await g.done;
    const problems = judge(r);
    if (snapshot(out) !== before.out) problems.push(`B/out changed on the host:\n${before.out}\n---\n${snapshot(out)}`);
    if (snapshot(ro) !== before.ro) problems.push(`the :ro directory changed on the host:\n${before.ro}\n---\n${snapshot(ro)}`);
    if (fs.readdirSync(B).sort().join(",") !== before.base) problems.push(`names appeared in B: ${fs.readdirSync(B)}`);
    if (fs.lstatSync(B).mode !== before.baseMode) problems.push("B's mode changed");
    if (fs.readdirSync(join(B, "cwd")).length) problems.push(`files appeared in Ghost's host cwd: ${fs.readdirSync(join(B, "cwd"))}`);
    if (!fs.existsSync(join(mnt, keep, "keep"))) problems.push("a live Ghost's hidden directory was removed");
    if (fs.existsSync(join(mnt, stale))) problems.push("a dead Ghost's hidden directory was not swept");
    // The metadata overlay (src/fs/hostfs/meta.ts) stays: it is the mount's, not the run's.
    const left = hiddenIn(mnt).filter((n) => n !== keep && !n.startsWith(`${HIDDEN}meta-`));
    if (left.length) problems.push(`hidden files left in the mount after exit: ${left}`);
    if (!fs.lstatSync(join(mnt, "attack.sock")).isSocket()) problems.push("attack.sock is not a socket on the host");
    if (fs.lstatSync(join(mnt, "hv")).isSymbolicLink() !== true) problems.push("the host link hv was replaced");
    if (problems.length) assert.fail(report("ghost", "contain", r, problems));
  });

  test("deep: 3000 nested directories on a hostfs mount", async () => {
    if (buildError) assert.fail(buildError);
    const B = newBase("deep");
    const d = join(B, "d");
    fs.mkdirSync(d);
    const r = await startGhost(["-v", `${d}:/mnt/d`, "-v", `${bin}:/vt:ro`, "--", "/vt/deep", "3000"], join(B, "cwd")).done;
    const problems = judge(r);
    if (fs.readdirSync(d).length) problems.push(`the host directory is not empty afterwards: ${fs.readdirSync(d)}`);
    if (problems.length) assert.fail(report("ghost", "deep", r, problems));
  });

  test("evict: an open file whose known name went keeps its host descriptor past the bound", async () => {
    if (buildError) assert.fail(buildError);
    const B = newBase("evict");
    const d = join(B, "e");
    fs.mkdirSync(d);
    const r = await startGhost(["-v", `${d}:/mnt/e`, "-v", `${bin}:/vt:ro`, "--", "/vt/evict"], join(B, "cwd"), undefined, 1024).done;
    const problems = judge(r);
    if (fs.readdirSync(d).join(",") !== "b") problems.push(`the host directory holds ${fs.readdirSync(d)}, want b`);
    else if (fs.readFileSync(join(d, "b"), "utf8") !== "KEPT") problems.push("b on the host is not KEPT");
    if (problems.length) assert.fail(report("ghost", "evict", r, problems));
  });

  // A shell that holds a file open after unlinking it (so it is hidden), says
  // so, and waits; then Ghost gets sig.
  async function killedWhileHiding(sig: NodeJS.Signals): Promise<{ r: RunResult; dir: string; during: string[] }> {
    const B = newBase(`sig-${sig}`);
    const dir = join(B, "m");
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, "f"), "data");
    const g = startGhost(["-v", `${dir}:/mnt/m`, "--", "/bin/sh", "-c", "exec 3</mnt/m/f; rm /mnt/m/f; echo ready; exec sleep 600"], join(B, "cwd"));
    await waitFor(() => g.output().includes("ready"), "the guest shell to be ready", 120_000);
    const during = hiddenIn(dir);
    process.kill(g.pid, sig);
    return { r: await g.done, dir, during };
  }

  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`${sig} to Ghost removes its hidden files`, async () => {
      const { r, dir, during } = await killedWhileHiding(sig);
      assert.equal(during.length, 1, `one hidden directory while the file is open (saw ${during})`);
      assert.ok(r.status !== 0 || r.signal !== null, "Ghost ended by the signal");
      assert.deepEqual(hiddenIn(dir), [], "hidden files left after the signal");
      assert.deepEqual(fs.readdirSync(dir), [], "the directory is empty");
    });
  }

  test("SIGKILL leaves the hidden directory; the next mount of the directory sweeps it", async () => {
    const { dir, during } = await killedWhileHiding("SIGKILL");
    assert.equal(during.length, 1);
    assert.deepEqual(hiddenIn(dir), during, "SIGKILL runs no cleanup");
    const r = await startGhost(["-v", `${dir}:/mnt/m`, "--", "/bin/true"], join(dir, "..", "cwd")).done;
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(dir), [], "swept by the next mount");
  });
});
