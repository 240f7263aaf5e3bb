// ext4 (and ext2, ext3: the same code, as Linux mounts them) for mount(2):
// `mount -t ext4 /dev/vda /mnt`, and a root filesystem from an image. The
// mount checks the superblock and group descriptors (ext4/super.ts) and
// refuses what it cannot read. A device mounted again shares its
// filesystem instance (Linux's sget), so its inodes are the same objects.

import { kerr } from "../../lib/errors.js";
import { ENOTBLK, ENXIO, EINVAL } from "../../abi/errno.js";
import type { Kernel } from "../../kernel/kernel.js";
import { KernelLocal } from "../../kernel/local.js";
import type { BlockDevice } from "../../block/blkdev.js";
import { lookupBdev } from "../../block/genhd.js";
import { registerFilesystem, type MountContext } from "../filesystems.js";
import { major, minor } from "../char_dev.js";
import { isDir, type Inode } from "../inode.js";
import { Ext4Super } from "./super.js";
import { EXT4_ROOT_INO, INCOMPAT, COMPAT, SB } from "./layout.js";

const MOUNTED = new KernelLocal("ext4 instances", () => new Map<BlockDevice, Ext4Super>());

// Mounts the filesystem on bdev; its root inode.
export function mountExt4(k: Kernel, bdev: BlockDevice, fsType: string, _wantReadOnly: boolean): Inode {
  const mounted = k.local(MOUNTED);
  const have = mounted.get(bdev);
  if (have) return have.root;
  // Writing is later work: every ext4 mount is read-only for now.
  const sb = new Ext4Super(k, bdev, true, fsType);
  if (sb.hasIncompat(INCOMPAT.RECOVER)) {
    // The journal holds transactions not yet in place: reading the
    // filesystem as it is would show a state before them.
    sb.warn("journal recovery is needed and not supported yet; mount refused");
    kerr(EINVAL);
  }
  const root = sb.root;
  if (!isDir(root.mode)) sb.corrupt("ext4_fill_super", EXT4_ROOT_INO, "root inode is not a directory");
  bdev.holders++;
  mounted.set(bdev, sb);
  const journal = sb.hasCompat(COMPAT.HAS_JOURNAL) ? "with ordered data mode" : "without journal";
  sb.info(`mounted filesystem ${uuidString(sb.raw.subarray(SB.uuid, SB.uuid + 16))} ro ${journal}. Quota mode: none.`);
  return root;
}

function uuidString(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function makeExt4(fsType: string) {
  return (k: Kernel, _source: string, _options: Map<string, string>, ctx?: MountContext): Inode => {
    if (ctx?.bdev === undefined) return kerr(ENOTBLK);
    const bdev = lookupBdev(k, major(ctx.bdev), minor(ctx.bdev));
    if (!bdev) return kerr(ENXIO);
    return mountExt4(k, bdev, fsType, ctx.readOnly);
  };
}

for (const t of ["ext4", "ext3", "ext2"]) registerFilesystem(t, makeExt4(t), false);
