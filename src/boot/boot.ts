// Builds a kernel from a configuration: memory, clock, the root filesystem
// and mounts, and the first process.

import * as nodefs from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kernel, type KernelConfig } from "../kernel/kernel.js";
import { SigHand, TASK_INTERRUPTIBLE } from "../kernel/task.js";
import { AddressSpace } from "../mm/mm.js";
import { FdTable, File } from "../fs/file.js";
import { makeTmpfs, TmpDir, TmpFile } from "../fs/tmpfs.js";
import { makeHostfs } from "../fs/hostfs.js";
import { fromHost } from "../kernel/kstr.js";
import { makeRootMount, rootPath, mountAt, mkdirs, ROOT_CRED } from "../fs/mount.js";
import { MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, type Mount } from "../fs/dentry.js";
import { makeProcRoot } from "../fs/procfs/root.js";
import { configText, BOOT_CONFIG_NAME } from "../fs/procfs/config.js";
import { makeDevTree } from "../fs/devtmpfs.js";
import { makeSysfs } from "../fs/sysfs.js";
import { unpackCpio } from "../fs/initramfs.js";
import { S_IFCHR, S_IFDIR, type Inode } from "../fs/inode.js";
import { Walker, type FsContext } from "../fs/namei.js";
import { HostStdioInode } from "../drivers/hoststdio.js";
import { makedev } from "../fs/char_dev.js";
import { VIRTUAL_RANDOM_SEED } from "../kernel/time/virtual.js";
import { execve } from "../fs/exec.js";
import { O_RDONLY, O_WRONLY, O_RDWR, AT_FDCWD } from "../abi/fcntl.js";
import { makeDevpts } from "../drivers/tty/devpts.js";
import { openAt } from "../fs/vfs.js";
import { installTty, HostTerminal, type ConsoleBackend } from "../drivers/tty/index.js";
import { rebootState } from "../syscalls/sys_system.js";
import "../syscalls/all.js";
import "../drivers/mem.js";
import { dispatchSyscall } from "../syscalls/table.js";
import { coreSettings, writeCore } from "../fs/coredump.js";
import { addDisk } from "../block/genhd.js";
import { mountExt4 } from "../fs/ext4/index.js";
import { EXT4_SUPER_MAGIC, SUPERBLOCK_OFFSET, SB } from "../fs/ext4/layout.js";
import { KernelError } from "../lib/errors.js";
import { LOGLEVEL_WARNING } from "../abi/syslog.js";
import { HostFileDisk } from "../drivers/block/hostdisk.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEFAULT_ROOTFS = join(REPO_ROOT, "build", "rootfs");

export interface HostMount { host: string; guest: string; readOnly: boolean }
// A host file attached as a virtual disk (/dev/vda, /dev/vdb, … in order).
export interface HostDisk { path: string; readOnly: boolean }

function attachDisks(k: Kernel, list: HostDisk[] | undefined): void {
  for (const d of list ?? []) addDisk(k, new HostFileDisk(d.path, d.readOnly));
}

export interface RunConfig extends Partial<KernelConfig> {
  argv: string[];
  env: string[];
  cwd: string; // host directory mounted at the same path, and the program's cwd
  mounts?: HostMount[];
  rootfs?: string; // a directory to copy into the tmpfs root
  disks?: HostDisk[];
}

// Copies a host directory tree into a tmpfs directory (the root filesystem
// image). Names go over as their bytes (kernel/kstr.ts).
export function populate(dir: TmpDir, host: string | Buffer): void {
  const base = typeof host === "string" ? Buffer.from(host) : host;
  for (const ent of nodefs.readdirSync(base, { withFileTypes: true, encoding: "buffer" })) {
    const name = ent.name.toString("latin1");
    const p = Buffer.concat([base, Buffer.from("/"), ent.name]);
    const st = nodefs.lstatSync(p);
    if (ent.isDirectory()) {
      const d = dir.mkdir(name, S_IFDIR | (st.mode & 0o7777), ROOT_CRED) as TmpDir;
      populate(d, p);
      d.mode = S_IFDIR | (st.mode & 0o7777);
    } else if (ent.isSymbolicLink()) {
      dir.symlink(name, nodefs.readlinkSync(p, { encoding: "buffer" }).toString("latin1"), ROOT_CRED);
    } else if (ent.isFile()) {
      const f = dir.create(name, st.mode & 0o7777, ROOT_CRED) as TmpFile;
      f.setContents(new Uint8Array(nodefs.readFileSync(p)));
    }
  }
}

// /boot/config-<release> in the root, as distributions install it.
function installBootConfig(root: TmpDir): void {
  const boot = (root.lookup("boot") as TmpDir | null) ?? (root.mkdir("boot", S_IFDIR | 0o755, ROOT_CRED) as TmpDir);
  if (boot instanceof TmpDir && !boot.lookup(BOOT_CONFIG_NAME)) {
    (boot.create(BOOT_CONFIG_NAME, 0o644, ROOT_CRED) as TmpFile).setContents(new Uint8Array(Buffer.from(configText(), "latin1")));
  }
}

// The kernel's own settings; a virtual-clock run also seeds the random
// source, so the same program and input give the same output.
function kernelConfig(cfg: Partial<KernelConfig>): KernelConfig {
  return {
    memoryBytes: cfg.memoryBytes ?? 512 << 20, clock: cfg.clock ?? "host", tickBudget: cfg.tickBudget, sched: cfg.sched,
    randomSeed: cfg.randomSeed ?? (cfg.clock === "virtual" ? VIRTUAL_RANDOM_SEED : undefined),
    syscall: dispatchSyscall,
    coreDump: { setup: (k) => { coreSettings(k); }, dump: writeCore },
  };
}

// Whether a host file holds an ext2/3/4 filesystem (the superblock's magic).
function isExtImage(path: string): boolean {
  const fd = nodefs.openSync(path, "r");
  try {
    const b = Buffer.alloc(2);
    return nodefs.readSync(fd, b, 0, 2, SUPERBLOCK_OFFSET + SB.magic) === 2 && b.readUInt16LE(0) === EXT4_SUPER_MAGIC;
  } finally { nodefs.closeSync(fd); }
}

// The root filesystem: a tmpfs filled from a directory or a cpio archive,
// or an ext2/3/4 image attached as the first disk (/dev/vda) and mounted.
function makeRoot(k: Kernel, rootfsArg: string | undefined, required: boolean): { root: Inode; source: string; fsType: string } {
  const rootfs = rootfsArg ?? DEFAULT_ROOTFS;
  if (nodefs.existsSync(rootfs) && nodefs.statSync(rootfs).isFile() && isExtImage(rootfs)) {
    const disk = addDisk(k, new HostFileDisk(rootfs, false));
    return { root: mountExt4(k, disk.whole, "ext4", false), source: `/dev/${disk.name}`, fsType: "ext4" };
  }
  const root = makeTmpfs(Infinity, 0o755);
  if (nodefs.existsSync(rootfs)) {
    // A directory is copied in; a file is an initramfs (cpio newc) unpacked.
    if (nodefs.statSync(rootfs).isDirectory()) populate(root, rootfs);
    else unpackCpio(root, new Uint8Array(nodefs.readFileSync(rootfs)));
  } else if (rootfsArg || required) {
    throw new Error(`root filesystem ${rootfs} not found`);
  }
  installBootConfig(root);
  return { root, source: "rootfs", fsType: "tmpfs" };
}

// Mounts at a path of the root, creating the directory if needed; on a root
// that cannot have it made (a read-only image without it) the mount is left
// out with a log line, as an initramfs script would carry on.
function mountOnRoot(k: Kernel, fs: FsContext) {
  return (path: string, make: () => Inode, flags: number, source: string, fsType: string): void => {
    try {
      mountAt(fs, path, make(), flags, source, fsType);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      k.log.log(LOGLEVEL_WARNING, `boot: cannot mount ${fsType} on ${path} (errno ${e.errno})`);
    }
  };
}

// At power-off, every mounted filesystem is shut down as umount would
// (Linux's kernel_power_off syncs and the init scripts unmount): an ext4
// image is left clean, its journal empty.
export function shutdownFilesystems(k: Kernel): void {
  const seen = new Set<object>();
  const visit = (m: Mount): void => {
    for (const c of m.children.values()) visit(c);
    if (!seen.has(m.sb)) { seen.add(m.sb); m.sb.kill(); }
  };
  if (k.rootMount) visit(k.rootMount);
}

// A kernel with a program ready to run as pid 2 under a kernel-side init (pid 1).
export function bootProgram(cfg: RunConfig): Kernel {
  const k = new Kernel(kernelConfig(cfg));
  const { root, source, fsType } = makeRoot(k, cfg.rootfs, false);
  attachDisks(k, cfg.disks);
  const rootMount = makeRootMount(root, source, fsType);
  k.rootMount = rootMount;
  const fs: FsContext = { root: rootPath(rootMount), cwd: rootPath(rootMount), umask: 0o022 };
  const mount = mountOnRoot(k, fs);
  mount("/dev", () => makeDevTree(k), 0, "devtmpfs", "devtmpfs");
  mount("/sys", () => makeSysfs(k.phys.frames * 4096, k), MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, "sysfs", "sysfs");
  mount("/tmp", () => makeTmpfs(), 0, "tmpfs", "tmpfs");
  mount("/proc", () => makeProcRoot(k), MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, "proc", "proc");
  mount("/dev/pts", () => makeDevpts(k), MNT_NOSUID | MNT_NOEXEC, "devpts", "devpts");
  installTty(k);
  const mounts: HostMount[] = [{ host: cfg.cwd, guest: cfg.cwd, readOnly: false }, ...(cfg.mounts ?? [])];
  for (const m of mounts) mount(fromHost(m.guest), () => makeHostfs(m.host, m.readOnly), m.readOnly ? MNT_RDONLY : 0, fromHost(m.host), "hostfs");
  try { fs.cwd = mkdirs(fs, fromHost(cfg.cwd)); } catch (e) { if (!(e instanceof KernelError)) throw e; }

  // pid 1: the kernel's own reaper, a kernel thread that sleeps for good (its
  // children are reaped as they die). It shows in /proc as "init" and takes
  // no signals (it has no handlers, and init is unkillable).
  const initTask = k.newProcess(null, new AddressSpace(k.hart, k.phys), new FdTable(), { ...fs }, { ...ROOT_CRED }, new SigHand());
  initTask.kthread = true;
  initTask.state = TASK_INTERRUPTIBLE;
  initTask.comm = "init";
  const init = initTask.tg;
  init.pgid = init.sid = init.pid;
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
  // As a shell's job: its own process group, in init's session (so the group is not orphaned).
  t.tg.pgid = t.tg.pid;
  k.mainGroup = t.tg;
  const argv = cfg.argv.map((a) => Buffer.from(a));
  const envp = cfg.env.map((e) => Buffer.from(e));
  let path = fromHost(cfg.argv[0]);
  if (!path.includes("/")) path = findInPath(k, fs, path, cfg.env.map(fromHost)) ?? path;
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

export interface SystemConfig extends Partial<KernelConfig> {
  rootfs?: string; // directory copied into the tmpfs root, or a cpio archive
  init?: string; // default /sbin/init
  // ghost boot -c: the console session runs this one command, then the machine
  // powers off and the host process exits with its status.
  command?: string;
  env?: string[]; // more of init's environment
  disks?: HostDisk[];
  // The console: default the host's terminal (or its streams when not one).
  console?: ConsoleBackend;
}

// A kernel booting a whole system, as Linux does: the root filesystem,
// devtmpfs on /dev, the console, and init as pid 1 with /dev/console as its
// stdin, stdout and stderr. Init mounts the rest (/proc, /sys, /dev/pts,
// /tmp: /etc/inittab) and starts the console session (/etc/init.d/console).
export function bootSystem(cfg: SystemConfig = {}): Kernel {
  const k = new Kernel(kernelConfig(cfg));
  const { root, source, fsType } = makeRoot(k, cfg.rootfs, true);
  attachDisks(k, cfg.disks);
  const rootMount = makeRootMount(root, source, fsType);
  k.rootMount = rootMount;
  const fs: FsContext = { root: rootPath(rootMount), cwd: rootPath(rootMount), umask: 0o022 };
  mountOnRoot(k, fs)("/dev", () => makeDevTree(k), MNT_NOSUID, "devtmpfs", "devtmpfs");
  const console = cfg.console ?? new HostTerminal();
  const tty = installTty(k, { console });
  // The status `ghost boot -c` exits with, set by the console session before it powers off.
  const reboot = rebootState(k);
  k.sysctls.push(["ghost_exit_status", () => String(reboot.exitStatus), (v) => {
    const n = Number(v);
    if (Number.isInteger(n)) reboot.exitStatus = n & 0xff;
  }]);

  // pid 1 begins where the kernel's first task is: session 0, process group 0.
  const files = new FdTable();
  const mm = new AddressSpace(k.hart, k.phys);
  const t = k.newProcess(null, mm, files, { ...fs }, { ...ROOT_CRED }, new SigHand());
  t.tg.pgid = 0;
  t.tg.sid = 0;
  k.mainGroup = t.tg;
  if (tty.console) {
    const f = openAt(t, AT_FDCWD, "/dev/console", O_RDWR, 0);
    files.install(0, f, false);
    files.install(1, f.get(), false);
    files.install(2, f.get(), false);
  } else if (tty.hostStdio) {
    tty.hostStdio.forEach((inode, fd) => {
      const f = new File(null, inode, fd === 0 ? O_RDONLY : O_WRONLY, {});
      f.ops = inode.openOps(f)!;
      files.install(fd, f, false);
    });
  }
  const term = console.isTty ? (process.env.TERM || "linux") : "linux";
  const env = ["HOME=/", `TERM=${term}`, ...(cfg.command !== undefined ? [`GHOST_CMD=${cfg.command}`] : []), ...(cfg.env ?? [])];
  const init = fromHost(cfg.init ?? "/sbin/init");
  execve(t, fs.cwd, init, { argv: [Buffer.from(init, "latin1")], envp: env.map((e) => Buffer.from(e)) });
  t.comm = init.split("/").pop()!.slice(0, 15);
  k.start(t);
  return k;
}
