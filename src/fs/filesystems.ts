// Filesystem types that mount(2) can create, by name (Linux's
// register_filesystem). Each makes the root inode of a new instance.

import type { Inode } from "./inode.js";
import type { Kernel } from "../kernel/kernel.js";

// What mount(2) resolved for a filesystem on a device (one registered with
// nodev false): the source's device number, and whether MS_RDONLY was asked.
export interface MountContext { bdev?: number; readOnly: boolean }

export type FsFactory = (k: Kernel, source: string, options: Map<string, string>, ctx?: MountContext) => Inode;

const types = new Map<string, { make: FsFactory; nodev: boolean }>();

export function registerFilesystem(name: string, make: FsFactory, nodev = true): void {
  types.set(name, { make, nodev });
}

export function filesystemType(name: string): { make: FsFactory; nodev: boolean } | undefined {
  return types.get(name);
}

export function filesystemNames(): [string, boolean][] {
  return [...types.entries()].map(([n, t]) => [n, t.nodev]);
}

// "size=10M,mode=755" → Map
export function parseOptions(data: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of data.split(",")) {
    if (!part) continue;
    const i = part.indexOf("=");
    if (i < 0) m.set(part, ""); else m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

export function parseSize(v: string, totalRam: number): number {
  const m = /^(\d+)([kKmMgG%]?)$/.exec(v);
  if (!m) return NaN;
  const n = Number(m[1]);
  switch (m[2]) {
    case "k": case "K": return n * 1024;
    case "m": case "M": return n * 1024 * 1024;
    case "g": case "G": return n * 1024 * 1024 * 1024;
    case "%": return Math.floor(totalRam * n / 100);
    default: return n;
  }
}
