// Building a kernel on a Node host: the BootHost that gives it host
// directories (the root filesystem: a directory, a cpio archive or an ext4
// image; hostfs mounts), host files as disks, the host's stdio and its
// terminal. The kernel's own building is core.ts, which the browser uses
// without any of this.

import * as nodefs from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kernel } from "../kernel/kernel.js";
import { TmpDir, TmpFile } from "../fs/tmpfs.js";
import { makeHostfs } from "../fs/hostfs.js";
import { ROOT_CRED } from "../fs/mount.js";
import { S_IFDIR } from "../fs/inode.js";
import { kerr } from "../lib/errors.js";
import { EIO } from "../abi/errno.js";
import { unpackCpio } from "../fs/initramfs.js";
import { addDisk } from "../block/genhd.js";
// ext4 is evaluated at its first use (an image as the root, a disk mounted):
// in the `ghost` command's bundle the marked import is a lazy require
// (scripts/build.mjs, LAZY_MARK), so a run from a directory never pays for
// ext4's ~130 KB of code (sys_mount.ts registers its types the same way).
import * as ext4 from "../fs/ext4/index.js"; // ghost:lazy
import { EXT4_SUPER_MAGIC, SUPERBLOCK_OFFSET, SB } from "../fs/ext4/layout.js";
import { HostFileDisk } from "../drivers/block/hostdisk.js";
import { HostStdioInode } from "../drivers/hoststdio.js";
import { HostTerminal } from "../drivers/tty/hostterm.js";
import * as core from "./core.js";

export type { HostMount, HostDisk, MemoryFile, RootConfig, RunConfig, SystemConfig, BootHost } from "./core.js";
export { shutdownFilesystems } from "./core.js";

// The package's directory: the first one up from this module's that holds
// package.json (this module is dist/src/boot/boot.js, or inside the CLI's
// bundle, dist/src/cli/bundle/ghost.cjs).
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let d = here; ; d = dirname(d)) {
    if (nodefs.existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) return resolve(here, "../../..");
  }
}
export const REPO_ROOT = packageRoot();
export const DEFAULT_ROOTFS = join(REPO_ROOT, "build", "rootfs");

// Gives a tmpfs directory the contents of a host directory tree (the root
// filesystem image), each directory read when the guest first looks into it
// (tmpfs.ts setLazyEntries) and each file's bytes when first used
// (setLazyContents). Names go over as their bytes (kernel/kstr.ts). A name
// already present is left alone, so a fill cut short (memory spent) resumes.
export function populate(dir: TmpDir, host: string | Buffer): void {
  const base = typeof host === "string" ? Buffer.from(host) : host;
  let ents: nodefs.Dirent<Buffer>[];
  // The host tree changed under us (a directory removed or unreadable): EIO,
  // as a disk's unreadable directory block is.
  try { ents = nodefs.readdirSync(base, { withFileTypes: true, encoding: "buffer" }); } catch { kerr(EIO); }
  for (const ent of ents) {
    const name = ent.name.toString("latin1");
    if (dir.lookup(name)) continue;
    const p = Buffer.concat([base, Buffer.from("/"), ent.name]);
    const e = hostEntry(ent, p);
    if (e?.kind === "link") {
      dir.symlink(name, e.target, ROOT_CRED);
    } else if (e?.kind === "dir") {
      const d = dir.mkdir(name, S_IFDIR | e.perm, ROOT_CRED) as TmpDir;
      d.mode = S_IFDIR | e.perm;
      d.setLazyEntries(e.nlink, (self) => populate(self, p));
    } else if (e?.kind === "file") {
      // The bytes are read when the guest first uses them (tmpfs.ts).
      const f = dir.create(name, e.perm, ROOT_CRED) as TmpFile;
      f.setLazyContents(e.size, (off, dst) => {
        const fd = nodefs.openSync(p, "r");
        try { return nodefs.readSync(fd, dst, 0, dst.length, off); } finally { nodefs.closeSync(fd); }
      });
    }
  }
}

type HostEntry =
  | { kind: "link"; target: string }
  | { kind: "dir"; perm: number; nlink: number }
  | { kind: "file"; perm: number; size: number };

// What populate needs of one host entry: a symbolic link only its target
// (most of a busybox root is links), the rest one lstat. Null for a kind the
// root does not carry over, or an entry gone since the listing.
function hostEntry(ent: nodefs.Dirent<Buffer>, p: Buffer): HostEntry | null {
  try {
    if (ent.isSymbolicLink()) return { kind: "link", target: nodefs.readlinkSync(p, { encoding: "buffer" }).toString("latin1") };
    if (!ent.isDirectory() && !ent.isFile()) return null;
    const st = nodefs.lstatSync(p);
    if (st.isDirectory()) return { kind: "dir", perm: st.mode & 0o7777, nlink: st.nlink };
    if (st.isFile()) return { kind: "file", perm: st.mode & 0o7777, size: st.size };
    return null; // replaced by another kind since the listing
  } catch {
    return null;
  }
}

// Whether a host file holds an ext2/3/4 filesystem (the superblock's magic).
function isExtImage(path: string): boolean {
  const fd = nodefs.openSync(path, "r");
  try {
    const b = Buffer.alloc(2);
    return nodefs.readSync(fd, b, 0, 2, SUPERBLOCK_OFFSET + SB.magic) === 2 && b.readUInt16LE(0) === EXT4_SUPER_MAGIC;
  } finally { nodefs.closeSync(fd); }
}

export const nodeBootHost: core.BootHost = {
  loadRoot(k, path, tmp) {
    // The default is the directory the build makes, or its cpio image (what
    // the npm package ships).
    const rootfs = path ?? (nodefs.existsSync(DEFAULT_ROOTFS) ? DEFAULT_ROOTFS : DEFAULT_ROOTFS + ".cpio");
    if (!nodefs.existsSync(rootfs)) return null;
    if (nodefs.statSync(rootfs).isFile() && isExtImage(rootfs)) {
      const disk = addDisk(k, new HostFileDisk(rootfs, false));
      return { root: ext4.mountExt4(k, disk.whole, "ext4", false), source: `/dev/${disk.name}`, fsType: "ext4" };
    }
    // A directory is copied in; a file is an initramfs (cpio newc) unpacked.
    if (nodefs.statSync(rootfs).isDirectory()) populate(tmp, rootfs);
    else unpackCpio(tmp, new Uint8Array(nodefs.readFileSync(rootfs)));
    return { root: tmp, source: "rootfs", fsType: "tmpfs" };
  },
  hostDir: (m) => makeHostfs(m.host, m.readOnly),
  attachDisks(k, disks) { for (const d of disks) addDisk(k, new HostFileDisk(d.path, d.readOnly)); },
  stdio: (k: Kernel) => [new HostStdioInode(0, k), new HostStdioInode(1, k), new HostStdioInode(2, k)],
  console: () => new HostTerminal(),
};

// A kernel with a program ready to run as pid 2 under a kernel-side init (pid 1).
export function bootProgram(cfg: core.RunConfig): Kernel { return core.bootProgram(cfg, nodeBootHost); }

// A kernel booting a whole system (core.ts), its console by default the host's terminal.
export function bootSystem(cfg: core.SystemConfig = {}): Kernel { return core.bootSystem(cfg, nodeBootHost); }
