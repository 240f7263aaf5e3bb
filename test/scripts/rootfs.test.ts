// Checks the default root filesystem that scripts/rootfs.sh builds: build/rootfs/
// and its newc archive build/rootfs.cpio. Runs scripts/ensure.sh first when the
// rootfs has not been built yet.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { findRoot } from "../helpers/root.js";

const root = findRoot("scripts/ensure.sh");
const build = process.env.GHOST_BUILD_DIR ?? join(root, "build");
const rootfs = join(build, "rootfs");
const cpioPath = join(build, "rootfs.cpio");
const busybox = join(rootfs, "bin", "busybox");
const BIN_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin"];

function qemu(args: string[], input?: string): string {
  return execFileSync("qemu-riscv64", args, { input, encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
}

/** Follows symlinks inside the rootfs (absolute targets are taken relative to it). */
function resolveInRootfs(rel: string): string {
  let cur = posix.normalize(rel);
  for (let hops = 0; hops < 40; hops++) {
    const st = lstatSync(join(rootfs, cur));
    if (!st.isSymbolicLink()) return cur;
    const target = readlinkSync(join(rootfs, cur));
    cur = target.startsWith("/")
      ? posix.normalize(target.slice(1))
      : posix.normalize(posix.join(posix.dirname(cur), target));
    assert.ok(!cur.startsWith(".."), `${rel} points outside the rootfs`);
  }
  throw new Error(`symlink loop at ${rel}`);
}

function findApplet(name: string): string | undefined {
  return BIN_DIRS.map((d) => `${d}/${name}`).find((p) => {
    try {
      lstatSync(join(rootfs, p));
      return true;
    } catch {
      return false;
    }
  });
}

interface Entry {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  data: Buffer;
}

/** Parses a newc ("070701") cpio archive into name → entry. */
function parseNewc(buf: Buffer): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const align4 = (n: number) => (n + 3) & ~3;
  let off = 0;
  for (;;) {
    assert.ok(off + 110 <= buf.length, "cpio archive ends without a TRAILER!!! entry");
    const magic = buf.toString("latin1", off, off + 6);
    assert.equal(magic, "070701", `bad newc magic at offset ${off}`);
    const field = (i: number) => parseInt(buf.toString("latin1", off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1), uid = field(2), gid = field(3), size = field(6), namesize = field(11);
    const name = buf.toString("utf8", off + 110, off + 110 + namesize - 1);
    const dataStart = align4(off + 110 + namesize);
    if (name === "TRAILER!!!") break;
    out.set(name.replace(/^\.\//, ""), { mode, uid, gid, size, data: buf.subarray(dataStart, dataStart + size) });
    off = align4(dataStart + size);
  }
  return out;
}

/** Every path under the rootfs, relative, without "./". */
function walk(dir = "", acc: string[] = []): string[] {
  for (const name of readdirSync(join(rootfs, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    acc.push(rel);
    if (lstatSync(join(rootfs, rel)).isDirectory()) walk(rel, acc);
  }
  return acc;
}

before(() => {
  if (!existsSync(join(build, "rootfs.stamp")) || !existsSync(busybox) || !existsSync(cpioPath)) {
    execFileSync("bash", [join(root, "scripts", "ensure.sh")], { stdio: "inherit", timeout: 600_000, killSignal: "SIGKILL" });
  }
});

test("build/rootfs has /bin/busybox, a riscv64 ELF executable", () => {
  const st = lstatSync(busybox);
  assert.ok(st.isFile(), "bin/busybox is a regular file");
  assert.ok((st.mode & 0o111) !== 0, "bin/busybox is executable");
  const head = readFileSync(busybox).subarray(0, 20);
  assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "ELF magic");
  assert.equal(head[4], 2, "ELFCLASS64");
  assert.equal(head.readUInt16LE(18), 243, "e_machine is EM_RISCV");
});

test("qemu-riscv64 bin/busybox echo hi prints hi", () => {
  assert.equal(qemu([busybox, "echo", "hi"]), "hi\n");
});

test("applet links exist and lead to bin/busybox", () => {
  for (const name of ["sh", "ls", "cat", "sha256sum", "sort", "wc", "od", "init", "mount", "cttyhack"]) {
    const p = findApplet(name);
    assert.ok(p, `no link for ${name} in ${BIN_DIRS.join(", ")}`);
    assert.ok(lstatSync(join(rootfs, p)).isSymbolicLink(), `${p} is a symlink`);
    assert.equal(resolveInRootfs(p), "bin/busybox", `${p} resolves to bin/busybox`);
  }
  assert.ok(lstatSync(join(rootfs, "bin/sh")).isSymbolicLink(), "/bin/sh exists");
  assert.ok(lstatSync(join(rootfs, "sbin/init")).isSymbolicLink(), "/sbin/init exists");
});

test("every applet busybox lists has its link", () => {
  const listed = qemu([busybox, "--list-full"]).split("\n").filter(Boolean);
  assert.ok(listed.length > 200, `busybox lists ${listed.length} applets`);
  for (const p of listed) {
    assert.equal(resolveInRootfs(p), "bin/busybox", `${p} resolves to bin/busybox`);
  }
});

test("applets run through their links", () => {
  // qemu passes the link path as argv[0], so busybox picks the applet from it.
  assert.equal(qemu([join(rootfs, findApplet("wc")!), "-w"], "one two three\n").trim(), "3");
  assert.equal(qemu([join(rootfs, findApplet("sort")!)], "b\nc\na\n"), "a\nb\nc\n");
  const want = createHash("sha256").update("ghost\n").digest("hex");
  assert.equal(qemu([join(rootfs, findApplet("sha256sum")!)], "ghost\n").split(/\s+/)[0], want);
});

test("/etc/passwd and /etc/group parse", () => {
  const passwd = readFileSync(join(rootfs, "etc/passwd"), "utf8").split("\n").filter(Boolean);
  const users = new Map<string, string[]>();
  for (const line of passwd) {
    const f = line.split(":");
    assert.equal(f.length, 7, `passwd line has 7 fields: ${line}`);
    assert.match(f[2], /^\d+$/);
    assert.match(f[3], /^\d+$/);
    users.set(f[0], f);
  }
  const rootUser = users.get("root");
  assert.ok(rootUser, "root user");
  assert.equal(rootUser[2], "0");
  assert.equal(rootUser[3], "0");
  assert.equal(rootUser[5], "/root");
  assert.ok(statSync(join(rootfs, "root")).isDirectory(), "/root exists");
  assert.equal(resolveInRootfs(rootUser[6].slice(1)), "bin/busybox", "root's shell is busybox");
  assert.equal(users.get("nobody")?.[2], "65534");

  const groups = readFileSync(join(rootfs, "etc/group"), "utf8").split("\n").filter(Boolean);
  for (const line of groups) assert.equal(line.split(":").length, 4, `group line has 4 fields: ${line}`);
  assert.ok(groups.some((l) => l.startsWith("root:x:0:")));
  // Debian's standard users and groups, which programs look up by name.
  for (const [name, uid] of [["daemon", "1"], ["bin", "2"], ["sys", "3"], ["www-data", "33"]]) assert.equal(users.get(name)?.[2], uid, `user ${name}`);
  for (const g of ["daemon:x:1:", "bin:x:2:", "adm:x:4:", "tty:x:5:", "disk:x:6:", "users:x:100:", "nogroup:x:65534:"]) {
    assert.ok(groups.includes(g), `group ${g}`);
  }
});

test("/etc files and mount points for busybox init", () => {
  assert.equal(readFileSync(join(rootfs, "etc/hostname"), "utf8").trim(), "ghost");
  assert.match(readFileSync(join(rootfs, "etc/hosts"), "utf8"), /^127\.0\.0\.1\s+localhost$/m);
  assert.equal(readFileSync(join(rootfs, "etc/host.conf"), "utf8"), "multi on\n");
  assert.match(readFileSync(join(rootfs, "etc/shells"), "utf8"), /^\/bin\/sh$/m);
  assert.match(readFileSync(join(rootfs, "etc/profile"), "utf8"), /PATH=.*\/bin/);
  const inittab = readFileSync(join(rootfs, "etc/inittab"), "utf8");
  // The mounts come from /etc/fstab, all in one mount -a; /dev/pts is
  // devtmpfs's own (fs/devtmpfs.ts), made by no program.
  for (const m of ["mount -a", "hostname -F /etc/hostname"]) {
    assert.match(inittab, new RegExp(`^::sysinit:/bin/${m}$`, "m"), m);
  }
  assert.doesNotMatch(inittab, /^::sysinit:.*mkdir/m);
  const fstab = readFileSync(join(rootfs, "etc/fstab"), "utf8");
  for (const m of ["proc\t/proc\tproc", "sysfs\t/sys\tsysfs", "devpts\t/dev/pts\tdevpts", "tmpfs\t/tmp\ttmpfs"]) {
    assert.match(fstab, new RegExp(`^${m}\tdefaults\t0 0$`, "m"), m);
  }
  assert.match(inittab, /^::once:-\/etc\/init\.d\/console$/m);
  assert.equal(statSync(join(rootfs, "etc/init.d/console")).mode & 0o111, 0o111, "/etc/init.d/console is executable");
  assert.match(inittab, /^::shutdown:/m);
  for (const d of ["proc", "sys", "dev", "dev/pts", "tmp", "root", "home", "mnt", "var", "run", "usr/lib", "lib"]) {
    assert.ok(lstatSync(join(rootfs, d)).isDirectory(), `/${d} is a directory`);
  }
  assert.equal(statSync(join(rootfs, "tmp")).mode & 0o7777, 0o1777, "/tmp is 1777");
});

test("rootfs.cpio lists the same files, owned by root", () => {
  const archive = parseNewc(readFileSync(cpioPath));
  const tree = walk().sort();
  assert.deepEqual([...archive.keys()].sort(), tree);
  for (const rel of tree) {
    const e = archive.get(rel)!;
    const st = lstatSync(join(rootfs, rel));
    assert.equal(e.uid, 0, `${rel} uid`);
    assert.equal(e.gid, 0, `${rel} gid`);
    assert.equal(e.mode, st.mode, `${rel} mode`);
    if (st.isSymbolicLink()) assert.equal(e.data.toString("utf8"), readlinkSync(join(rootfs, rel)), `${rel} target`);
    if (st.isFile()) assert.equal(e.size, st.size, `${rel} size`);
  }
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  assert.equal(sha(archive.get("bin/busybox")!.data), sha(readFileSync(busybox)), "busybox contents");
});

test("the host cpio tool reads the archive", () => {
  const names = execFileSync("cpio", ["-it", "--quiet"], { input: readFileSync(cpioPath), encoding: "utf8" })
    .split("\n").filter(Boolean).map((n) => n.replace(/^\.\//, "")).sort();
  assert.deepEqual(names, walk().sort());
});
