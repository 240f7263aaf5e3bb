// Character devices by number (major, minor), and the memory devices of
// Linux's drivers/char/mem.c: null, zero, full, random, urandom.

import { kerr } from "../kernel/errors.js";
import { ENXIO, ENOSPC } from "../abi/errno.js";
import { S_IFCHR, S_IFMT, type Inode } from "../fs/inode.js";
import type { File, FileOps } from "../fs/file.js";

export const makedev = (major: number, minor: number) => ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
export const major = (dev: number) => (dev >>> 8) & 0xfff;
export const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & ~0xff);

export type DeviceOpen = (inode: Inode, f: File) => FileOps;
const chrdevs = new Map<number, DeviceOpen>();

export function registerChrdev(dev: number, open: DeviceOpen): void { chrdevs.set(dev, open); }

// Opens a special inode: a registered character device, or ENXIO.
export type SpecialOpen = (inode: Inode, f: File) => FileOps | null;
let fifoOpen: SpecialOpen | null = null;
export function registerFifoOpen(fn: SpecialOpen): void { fifoOpen = fn; }

export function openDevice(inode: Inode, f: File): FileOps | null {
  const type = inode.mode & S_IFMT;
  if (type === S_IFCHR) {
    const open = chrdevs.get(inode.rdev);
    if (!open) kerr(ENXIO);
    return open(inode, f);
  }
  if (type === 0o010000 && fifoOpen) return fifoOpen(inode, f);
  return kerr(ENXIO);
}

// Random bytes for /dev/random, /dev/urandom, getrandom and AT_RANDOM. The
// kernel may install a seeded generator (virtual clock mode: reproducible runs).
export let fillRandom: (dst: Uint8Array) => void = (dst) => {
  for (let i = 0; i < dst.length; i += 65536) crypto.getRandomValues(dst.subarray(i, Math.min(dst.length, i + 65536)));
};
export function setRandomSource(fn: (dst: Uint8Array) => void): void { fillRandom = fn; }

// lseek on the memory devices always lands at 0 (Linux's null_lseek).
const nullOps: FileOps = { read: () => 0, write: (_f, src) => src.length, poll: () => 0x5, seek: () => 0 };
const zeroOps: FileOps = { read: (_f, dst) => { dst.fill(0); return dst.length; }, write: (_f, src) => src.length, poll: () => 0x5, seek: () => 0 };
const fullOps: FileOps = { read: (_f, dst) => { dst.fill(0); return dst.length; }, write: () => kerr(ENOSPC), poll: () => 0x5 };
const randomOps: FileOps = { read: (_f, dst) => { fillRandom(dst); return dst.length; }, write: (_f, src) => src.length, poll: () => 0x5 };

registerChrdev(makedev(1, 3), () => nullOps);
registerChrdev(makedev(1, 5), () => zeroOps);
registerChrdev(makedev(1, 7), () => fullOps);
registerChrdev(makedev(1, 8), () => randomOps);
registerChrdev(makedev(1, 9), () => randomOps);
