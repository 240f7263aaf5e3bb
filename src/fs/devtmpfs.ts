// devtmpfs: /dev as the kernel populates it — the memory devices, and the
// directories and links every system expects. Drivers add their nodes here.

import { makeTmpfs, type TmpDir } from "./tmpfs.js";
import { S_IFBLK, S_IFCHR, S_IFDIR } from "./inode.js";
import type { Kernel } from "../kernel/kernel.js";
import { disks, filesystemUuid } from "../block/genhd.js";
import { ROOT_CRED } from "./mount.js";
import { makedev, CPU_DMA_LATENCY_MINOR } from "./char_dev.js";

// Extra nodes registered by drivers: [name, major, minor, mode].
const extraNodes: [string, number, number, number][] = [];
export function registerDevNode(name: string, major: number, minor: number, mode = 0o666, type: "char" | "block" = "char"): void {
  extraNodes.push([name, major, minor, mode | (type === "block" ? S_IFBLK : S_IFCHR)]);
}

// With a kernel: its disks and their partitions too (/dev/vda, /dev/vda1, …).
export function makeDevTree(k?: Kernel): TmpDir {
  const dev = makeTmpfs(Infinity, 0o755);
  const node = (name: string, maj: number, min: number, mode = 0o666) => dev.mknod(name, S_IFCHR | mode, makedev(maj, min), ROOT_CRED);
  node("null", 1, 3); node("zero", 1, 5); node("full", 1, 7); node("random", 1, 8); node("urandom", 1, 9);
  node("cpu_dma_latency", 10, CPU_DMA_LATENCY_MINOR, 0o600);
  for (const [name, maj, min, mode] of extraNodes) dev.mknod(name, mode, makedev(maj, min), ROOT_CRED);
  // /dev/disk/by-uuid/UUID -> ../../vda1, as udev makes them from blkid
  // (ext2/3/4 only; taken when /dev is made, the first of equal UUIDs kept).
  let byUuid: TmpDir | null = null;
  for (const disk of k ? disks(k) : []) {
    for (const p of disk.parts) {
      if (!p) continue;
      dev.mknod(p.name, S_IFBLK | 0o660, makedev(p.dev.major, p.dev.minor), ROOT_CRED);
      const uuid = filesystemUuid(p);
      if (!uuid) continue;
      byUuid ??= (dev.mkdir("disk", S_IFDIR | 0o755, ROOT_CRED) as TmpDir).mkdir("by-uuid", S_IFDIR | 0o755, ROOT_CRED) as TmpDir;
      if (!byUuid.lookup(uuid)) byUuid.symlink(uuid, `../../${p.name}`, ROOT_CRED);
    }
  }
  dev.mkdir("pts", S_IFDIR | 0o755, ROOT_CRED);
  dev.mkdir("shm", S_IFDIR | 0o1777, ROOT_CRED);
  dev.symlink("fd", "/proc/self/fd", ROOT_CRED);
  dev.symlink("stdin", "/proc/self/fd/0", ROOT_CRED);
  dev.symlink("stdout", "/proc/self/fd/1", ROOT_CRED);
  dev.symlink("stderr", "/proc/self/fd/2", ROOT_CRED);
  return dev;
}
