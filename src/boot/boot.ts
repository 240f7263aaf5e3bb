// Builds a kernel from a configuration: memory, clock, the root filesystem
// and mounts, and the first process.

import * as nodefs from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kernel, type KernelConfig } from "../kernel/kernel.js";
import { ThreadGroup, SigHand } from "../kernel/task.js";
import { AddressSpace } from "../mm/mm.js";
import { FdTable, File } from "../fs/file.js";
import { makeTmpfs, TmpDir, TmpFile } from "../fs/tmpfs.js";
import { makeHostfs } from "../fs/hostfs.js";
import { makeRootMount, rootPath, mountAt, mkdirs, ROOT_CRED } from "../fs/mount.js";
import { MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC } from "../fs/dentry.js";
import { makeProcRoot } from "../fs/procfs/root.js";
import { makeDevTree } from "../fs/devtmpfs.js";
import { makeSysfs } from "../fs/sysfs.js";
import { unpackCpio } from "../fs/initramfs.js";
import { S_IFCHR, S_IFDIR, type Inode } from "../fs/inode.js";
import { Walker, type FsContext } from "../fs/namei.js";
import { HostStdioInode } from "../drivers/hoststdio.js";
import { makedev } from "../drivers/chrdev.js";
import { execve } from "../kernel/exec.js";
import { O_RDONLY, O_WRONLY } from "../abi/fcntl.js";
import "../syscalls/all.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEFAULT_ROOTFS = join(REPO_ROOT, "build", "rootfs");

export interface HostMount { host: string; guest: string; readOnly: boolean }

export interface RunConfig extends Partial<KernelConfig> {
  argv: string[];
  env: string[];
  cwd: string; // host directory mounted at the same path, and the program's cwd
  mounts?: HostMount[];
  rootfs?: string; // a directory to copy into the tmpfs root
}

// Copies a host directory tree into a tmpfs directory (the root filesystem image).
export function populate(dir: TmpDir, host: string): void {
  for (const ent of nodefs.readdirSync(host, { withFileTypes: true })) {
    const p = join(host, ent.name);
    const st = nodefs.lstatSync(p);
    if (ent.isDirectory()) {
      const d = dir.mkdir(ent.name, S_IFDIR | (st.mode & 0o7777), ROOT_CRED) as TmpDir;
      populate(d, p);
      d.mode = S_IFDIR | (st.mode & 0o7777);
    } else if (ent.isSymbolicLink()) {
      dir.symlink(ent.name, nodefs.readlinkSync(p), ROOT_CRED);
    } else if (ent.isFile()) {
      const f = dir.create(ent.name, st.mode & 0o7777, ROOT_CRED) as TmpFile;
      f.setContents(new Uint8Array(nodefs.readFileSync(p)));
    }
  }
}

// A kernel with a program ready to run as pid 2 under a kernel-side init (pid 1).
export function bootProgram(cfg: RunConfig): Kernel {
  const k = new Kernel({ memoryBytes: cfg.memoryBytes ?? 512 << 20, clock: cfg.clock ?? "host", tickBudget: cfg.tickBudget });
  const root = makeTmpfs(Infinity, 0o755);
  const rootfs = cfg.rootfs ?? DEFAULT_ROOTFS;
  if (nodefs.existsSync(rootfs)) {
    // A directory is copied in; a file is an initramfs (cpio newc) unpacked.
    if (nodefs.statSync(rootfs).isDirectory()) populate(root, rootfs);
    else unpackCpio(root, new Uint8Array(nodefs.readFileSync(rootfs)));
  } else if (cfg.rootfs) {
    throw new Error(`root filesystem ${cfg.rootfs} not found`);
  }
  const rootMount = makeRootMount(root, "rootfs", "tmpfs");
  k.rootMount = rootMount;
  const fs: FsContext = { root: rootPath(rootMount), cwd: rootPath(rootMount), umask: 0o022 };
  mountAt(fs, "/dev", makeDevTree(), 0, "devtmpfs", "devtmpfs");
  mountAt(fs, "/sys", makeSysfs(k.phys.frames * 4096), MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, "sysfs", "sysfs");
  mountAt(fs, "/tmp", makeTmpfs(), 0, "tmpfs", "tmpfs");
  mountAt(fs, "/proc", makeProcRoot(k), MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, "proc", "proc");
  const mounts: HostMount[] = [{ host: cfg.cwd, guest: cfg.cwd, readOnly: false }, ...(cfg.mounts ?? [])];
  for (const m of mounts) mountAt(fs, m.guest, makeHostfs(m.host, m.readOnly), m.readOnly ? MNT_RDONLY : 0, m.host, "hostfs");
  fs.cwd = mkdirs(fs, cfg.cwd);

  // pid 1: the kernel's own reaper.
  const init = new ThreadGroup(k.allocPid());
  k.groups.set(init.pid, init);
  k.initStub = init;

  const files = new FdTable();
  const stdio = (fd: number, flags: number) => {
    const inode: Inode = new HostStdioInode(fd, k);
    const f = new File(null, inode, flags, {});
    f.ops = inode.openOps(f)!;
    return f;
  };
  files.install(0, stdio(0, O_RDONLY), false);
  files.install(1, stdio(1, O_WRONLY), false);
  files.install(2, stdio(2, O_WRONLY), false);
  const mm = new AddressSpace(k.hart, k.phys);
  const t = k.newProcess(init, mm, files, { ...fs }, { ...ROOT_CRED }, new SigHand());
  k.mainGroup = t.tg;
  const argv = cfg.argv.map((a) => Buffer.from(a));
  const envp = cfg.env.map((e) => Buffer.from(e));
  let path = cfg.argv[0];
  if (!path.includes("/")) path = findInPath(k, fs, path, cfg.env) ?? path;
  execve(t, fs.cwd, path, { argv, envp });
  t.comm = path.split("/").pop()!.slice(0, 15);
  k.start(t);
  return k;
}

// PATH lookup in the guest's filesystem, for `ghost run NAME`.
function findInPath(k: Kernel, fs: FsContext, name: string, env: string[]): string | null {
  const pathVar = env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  for (const dir of pathVar.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = `${dir}/${name}`;
    try {
      new Walker(fs, ROOT_CRED).resolve(fs.root, candidate, true);
      return candidate;
    } catch { /* try the next */ }
  }
  void k;
  return null;
}
