// Builds a kernel from a configuration: memory, clock, the root filesystem
// and mounts, and the first process. Nothing here reaches the host: what
// only a host can give (a host directory, cpio file or disk image as the
// root, hostfs mounts, disks, the host's stdio and terminal) comes through a
// BootHost, Node's in boot.ts; the browser's worker gives none of it and
// boots from a root image in memory.
import { Kernel, type KernelConfig } from "../kernel/kernel.js";
import { SigHand, TASK_INTERRUPTIBLE } from "../kernel/task.js";
import { AddressSpace } from "../mm/mm.js";
import { FdTable, File } from "../fs/file.js";
import { makeTmpfs, TmpDir, TmpFile } from "../fs/tmpfs.js";
import { fromHost } from "../kernel/kstr.js";
import { makeRootMount, rootPath, mountAt, mkdirs, ROOT_CRED } from "../fs/mount.js";
import { lingeringSuperblocks } from "../fs/mnt_namespace.js";
import { MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, type Mount } from "../fs/dentry.js";
import { makeProcRoot } from "../fs/procfs/root.js";
import { configText, BOOT_CONFIG_NAME } from "../fs/procfs/config.js";
import { makeDevTree } from "../fs/devtmpfs.js";
import { makeSysfs } from "../fs/sysfs.js";
import { unpackCpio } from "../fs/initramfs.js";
import { S_IFDIR, type Inode, type SuperBlock } from "../fs/inode.js";
import { Walker, type FsContext } from "../fs/namei.js";
import { VIRTUAL_RANDOM_SEED } from "../kernel/time/virtual.js";
import { execve } from "../fs/exec.js";
import { O_RDONLY, O_WRONLY, O_RDWR, AT_FDCWD } from "../abi/fcntl.js";
import { makeDevpts } from "../drivers/tty/devpts.js";
import { openAt } from "../fs/vfs.js";
import { installTty, type ConsoleBackend } from "../drivers/tty/index.js";
import { rebootState } from "../syscalls/sys_system.js";
import "../syscalls/all.js";
import "../drivers/mem.js";
import "../drivers/kmsg.js";
import "../drivers/block/loop.js";
import { dispatchSyscall } from "../syscalls/table.js";
import { coreSettings, writeCore } from "../fs/coredump.js";
import { KernelError } from "../lib/errors.js";
import { LOGLEVEL_WARNING } from "../abi/syslog.js";

export interface HostMount { host: string; guest: string; readOnly: boolean }
// A host file attached as a virtual disk (/dev/vda, /dev/vdb, … in order).
export interface HostDisk { path: string; readOnly: boolean }

// A file, directory or symbolic link put into the root filesystem from the
// host's memory (the library's `files`), after the image.
export interface MemoryFile {
  path: string; // absolute guest path; missing parent directories are made (0755)
  data?: Uint8Array; // a regular file's contents
  mode?: number; // permission bits (default 0644, 0755 for a directory)
  type?: "file" | "dir" | "symlink";
  target?: string; // a symbolic link's target
}

// Where the root filesystem comes from: a host path (rootfs: a directory,
// cpio archive or ext2/3/4 image; default build/rootfs), or a cpio image in
// memory; then `files` (on a tmpfs root).
export interface RootConfig {
  rootfs?: string;
  rootImage?: Uint8Array; // a cpio (newc) archive in memory, instead of rootfs
  files?: MemoryFile[];
}

// A root filesystem's top inode and how /proc/mounts names it.
export interface RootFs { root: Inode; source: string; fsType: string }

// What only the host gives a kernel being built.
export interface BootHost {
  // The root from a host path (a directory or cpio archive copied into
  // `tmp`, which it returns, or a disk image), or from the host's default
  // root when path is undefined; null when there is nothing there.
  loadRoot(k: Kernel, path: string | undefined, tmp: TmpDir): RootFs | null;
  // The root inode of a host directory mounted in the guest (hostfs).
  hostDir?(m: HostMount): Inode;
  // Attaches host files as disks (/dev/vda, …).
  attachDisks?(k: Kernel, disks: HostDisk[]): void;
  // The host process's own stdin, stdout and stderr.
  stdio?(k: Kernel): [Inode, Inode, Inode];
  // The host's terminal, the default console.
  console?(): ConsoleBackend;
}

function attachDisks(k: Kernel, list: HostDisk[] | undefined, host: BootHost): void {
  if (!list?.length) return;
  if (!host.attachDisks) throw new Error("no host disks here");
  host.attachDisks(k, list);
}

export interface RunConfig extends Partial<KernelConfig>, RootConfig {
  argv: string[];
  env: string[];
  cwd: string; // host directory mounted at the same path, and the program's cwd
  mounts?: HostMount[];
  disks?: HostDisk[];
  // The program's fds 0, 1 and 2 (default: the host's own stdin, stdout, stderr).
  stdio?: (k: Kernel) => [Inode, Inode, Inode];
  // cwd is the program's working directory only, not a hostfs mount.
  noCwdMount?: boolean;
}

function addMemoryFile(root: TmpDir, f: MemoryFile): void {
  const parts = f.path.split("/").filter((p) => p !== "" && p !== ".");
  const name = parts.pop();
  if (!name || parts.includes("..") || name === "..") throw new Error(`bad guest path: ${f.path}`);
  let dir = root;
  for (const p of parts) {
    const next = dir.lookup(p) ?? dir.mkdir(p, S_IFDIR | 0o755, ROOT_CRED);
    if (!(next instanceof TmpDir)) throw new Error(`${f.path}: ${p} is not a directory`);
    dir = next;
  }
  const old = dir.lookup(name);
  const type = f.type ?? "file";
  if (type === "dir") {
    if (!old) dir.mkdir(name, S_IFDIR | (f.mode ?? 0o755), ROOT_CRED);
    return;
  }
  if (old) dir.unlink(name);
  if (type === "symlink") dir.symlink(name, f.target ?? "", ROOT_CRED);
  else (dir.create(name, f.mode ?? 0o644, ROOT_CRED) as TmpFile).setContents(f.data ?? new Uint8Array(0));
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
    diag: cfg.diag, onLog: cfg.onLog, onNewProcess: cfg.onNewProcess,
    syscall: dispatchSyscall,
    coreDump: { setup: (k) => { coreSettings(k); }, dump: writeCore },
  };
}

// The root filesystem: a tmpfs filled from a cpio image in memory or by the
// host (a directory, a cpio archive), or what the host mounts (an ext2/3/4
// image attached as /dev/vda); then the files from memory.
function makeRoot(k: Kernel, cfg: RootConfig, required: boolean, host: BootHost): RootFs {
  const tmp = makeTmpfs(undefined, 0o755); // rootfs: a tmpfs of half of RAM, as Linux's
  let r: RootFs | null = { root: tmp, source: "rootfs", fsType: "tmpfs" };
  if (cfg.rootImage) unpackCpio(tmp, cfg.rootImage);
  else r = host.loadRoot(k, cfg.rootfs, tmp);
  if (!r) {
    if (cfg.rootfs || required) throw new Error(`root filesystem ${cfg.rootfs ?? "(the default)"} not found`);
    r = { root: tmp, source: "rootfs", fsType: "tmpfs" };
  }
  if (r.root === tmp) {
    for (const f of cfg.files ?? []) addMemoryFile(tmp, f);
    installBootConfig(tmp);
  } else if (cfg.files?.length) {
    throw new Error("files from memory go on a tmpfs root only");
  }
  return r;
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
  const seen = new Set<SuperBlock>();
  const shut = (sb: SuperBlock): void => {
    if (seen.has(sb)) return;
    seen.add(sb);
    sb.afterLastClose = null;
    sb.kill();
  };
  const visit = (m: Mount): void => {
    for (const c of m.children.values()) visit(c);
    shut(m.sb);
  };
  if (k.rootMount) visit(k.rootMount);
  lingeringSuperblocks(k).forEach(shut);
}

// A kernel with a program ready to run as pid 2 under a kernel-side init (pid 1).
export function bootProgram(cfg: RunConfig, host: BootHost): Kernel {
  const k = new Kernel(kernelConfig(cfg));
  const { root, source, fsType } = makeRoot(k, cfg, false, host);
  attachDisks(k, cfg.disks, host);
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
  const mounts: HostMount[] = [...(cfg.noCwdMount ? [] : [{ host: cfg.cwd, guest: cfg.cwd, readOnly: false }]), ...(cfg.mounts ?? [])];
  for (const m of mounts) {
    const hostDir = host.hostDir;
    if (!hostDir) throw new Error(`no host directories here (${m.host})`);
    mount(fromHost(m.guest), () => hostDir(m), m.readOnly ? MNT_RDONLY : 0, fromHost(m.host), "hostfs");
  }
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
  const inodes = cfg.stdio?.(k) ?? host.stdio?.(k);
  if (!inodes) throw new Error("no stdio for the program");
  const stdio = (fd: number, flags: number) => {
    const inode: Inode = inodes[fd];
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

export interface SystemConfig extends Partial<KernelConfig>, RootConfig {
  init?: string; // default /sbin/init
  // ghost boot -c: the console session runs this one command, then the machine
  // powers off and the host process exits with its status.
  command?: string;
  env?: string[]; // more of init's environment
  disks?: HostDisk[];
  // The console: default the host's terminal (or its streams when not one).
  console?: ConsoleBackend;
  // TERM for init when the console is a terminal (default linux).
  term?: string;
}

// A kernel booting a whole system, as Linux does: the root filesystem,
// devtmpfs on /dev, the console, and init as pid 1 with /dev/console as its
// stdin, stdout and stderr. Init mounts the rest (/proc, /sys, /dev/pts,
// /tmp: /etc/inittab) and starts the console session (/etc/init.d/console).
export function bootSystem(cfg: SystemConfig, host: BootHost): Kernel {
  const k = new Kernel(kernelConfig(cfg));
  const { root, source, fsType } = makeRoot(k, cfg, true, host);
  attachDisks(k, cfg.disks, host);
  const rootMount = makeRootMount(root, source, fsType);
  k.rootMount = rootMount;
  const fs: FsContext = { root: rootPath(rootMount), cwd: rootPath(rootMount), umask: 0o022 };
  mountOnRoot(k, fs)("/dev", () => makeDevTree(k), MNT_NOSUID, "devtmpfs", "devtmpfs");
  const console = cfg.console ?? host.console?.();
  if (!console) throw new Error("no console");
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
  const term = console.isTty ? (cfg.term || "linux") : "linux";
  const env = ["HOME=/", `TERM=${term}`, ...(cfg.command !== undefined ? [`GHOST_CMD=${cfg.command}`] : []), ...(cfg.env ?? [])];
  const init = fromHost(cfg.init ?? "/sbin/init");
  execve(t, fs.cwd, init, { argv: [Buffer.from(init, "latin1")], envp: env.map((e) => Buffer.from(e)) });
  t.comm = init.split("/").pop()!.slice(0, 15);
  k.start(t);
  return k;
}
