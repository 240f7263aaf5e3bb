// ext4 (and ext2, ext3: the same code, as Linux mounts them) for mount(2):
// `mount -t ext4 /dev/vda /mnt`, and a root filesystem from an image. The
// mount checks the superblock and group descriptors (ext4/super.ts) and
// refuses what it cannot read. A device mounted again shares its
// filesystem instance (Linux's sget), so its inodes are the same objects.

import { kerr } from "../../lib/errors.js";
import { ENOTBLK, ENXIO, EINVAL, EROFS, EACCES } from "../../abi/errno.js";
import { Journal } from "./journal.js";
import type { Kernel } from "../../kernel/kernel.js";
import { KernelLocal } from "../../kernel/local.js";
import type { BlockDevice } from "../../block/blkdev.js";
import { lookupBdev } from "../../block/genhd.js";
import { registerFilesystem, type MountContext } from "../filesystems.js";
import { major, minor } from "../char_dev.js";
import { isDir, type Inode } from "../inode.js";
import { Ext4Super } from "./super.js";
import { orphanCleanup, hasOrphans } from "./orphan.js";
import { OrphanFile } from "./orphan_file.js";
import { EXT4_ROOT_INO, INCOMPAT, COMPAT, RO_COMPAT, SB, EXT4_VALID_FS, u32 } from "./layout.js";

const MOUNTED = new KernelLocal("ext4 instances", () => new Map<BlockDevice, Ext4Super>());

// Why Ghost cannot write this filesystem, if it cannot (it then mounts read-only).
function cannotWrite(sb: Ext4Super): string | null {
  if (sb.unknownRoCompat) return `unsupported read-only-compatible features (${sb.unknownRoCompat.toString(16)})`;
  if (sb.hasRoCompat(RO_COMPAT.GDT_CSUM) && !sb.metadataCsum) return "uninit_bg without metadata_csum";
  if (sb.hasIncompat(INCOMPAT.META_BG | INCOMPAT.MMP)) return "meta_bg or mmp";
  if (sb.hasRoCompat(RO_COMPAT.BIGALLOC | RO_COMPAT.QUOTA | RO_COMPAT.VERITY)) return "bigalloc, quota or verity";
  return null;
}

// Mounts the filesystem on bdev; its root inode.
export function mountExt4(k: Kernel, bdev: BlockDevice, fsType: string, wantReadOnly: boolean): Inode {
  const mounted = k.local(MOUNTED);
  const have = mounted.get(bdev);
  if (have) return have.root;
  // The filesystem holds the device exclusively (as Linux's mount: a device
  // opened with O_EXCL, or the whole disk of a mounted partition, is EBUSY).
  bdev.claim(mounted);
  try { return mountClaimed(k, bdev, fsType, wantReadOnly); } catch (e) { bdev.release(mounted); throw e; }
}

function mountClaimed(k: Kernel, bdev: BlockDevice, fsType: string, wantReadOnly: boolean): Inode {
  const mounted = k.local(MOUNTED);
  // As setup_bdev_super: a read-write mount of a read-only device (BLKROSET,
  // a :ro disk) is EACCES, after the claim; mount(8) then retries read-only.
  if (!wantReadOnly && bdev.isReadOnly) kerr(EACCES);
  let sb = new Ext4Super(k, bdev, wantReadOnly || bdev.isReadOnly, fsType);
  if (sb.hasIncompat(INCOMPAT.RECOVER) && sb.hasCompat(COMPAT.HAS_JOURNAL)) {
    // Transactions not yet home: replayed first (even for a read-only
    // mount, as Linux), which needs a writable device.
    if (bdev.isReadOnly) { sb.warn("INFO: recovery required on readonly filesystem; write access unavailable, cannot proceed"); kerr(EROFS); }
    const j = new Journal(sb);
    if (j.unknownFeatures) { sb.warn(`journal has unknown features ${j.unknownFeatures.toString(16)}; mount refused`); kerr(EINVAL); }
    const n = j.replay();
    sb.info(`recovery complete: ${n} transaction${n === 1 ? "" : "s"} replayed`);
    // Everything read so far may be older than what the journal held.
    sb = new Ext4Super(k, bdev, wantReadOnly || bdev.isReadOnly, fsType);
    sb.setIncompat(INCOMPAT.RECOVER, false);
    sb.saveSuper();
  }
  const root = sb.root;
  if (!isDir(root.mode)) sb.corrupt("ext4_fill_super", EXT4_ROOT_INO, "root inode is not a directory");
  if (!sb.readOnly) {
    const why = cannotWrite(sb);
    if (why) { sb.warn(`mounting read-only: ${why}`); sb.setReadOnly(); }
  }
  mounted.set(bdev, sb);
  sb.onKill = () => { mounted.delete(bdev); bdev.release(mounted); };
  sb.onRemountWritable = () => {
    // As ext4_reconfigure: a read-only device is EACCES, a filesystem Ghost cannot write EROFS.
    if (bdev.isReadOnly) kerr(EACCES);
    const why = cannotWrite(sb);
    if (why) { sb.warn(`cannot remount read-write: ${why}`); kerr(EROFS); }
    startWriting(sb);
  };
  if (!sb.readOnly) startWriting(sb);
  const journal = sb.hasCompat(COMPAT.HAS_JOURNAL) ? "with ordered data mode" : "without journal";
  sb.info(`mounted filesystem ${uuidString(sb.raw.subarray(SB.uuid, SB.uuid + 16))} ${sb.readOnly ? "ro" : "r/w"} ${journal}. Quota mode: none.`);
  return root;
}

// What a read-write mount (or a remount from read-only) sets up before the
// first write: the journal, the orphan file, the superblock's state.
function startWriting(sb: Ext4Super): void {
  // Without a journal an unclean stop must show: the state is "not clean"
  // until unmount (as Linux's ext4_setup_super without a journal).
  sb.cleanState = sb.state;
  const hasJournal = sb.hasCompat(COMPAT.HAS_JOURNAL);
  if (hasJournal) {
    const j = new Journal(sb);
    if (j.unknownFeatures) { sb.warn(`journal has unknown features ${j.unknownFeatures.toString(16)}; mounting read-only`); sb.setReadOnly(); return; }
    j.setWriteFeatures();
    sb.journal = j;
    // Until unmount the journal may hold what is not home yet (needs_recovery).
    sb.setIncompat(INCOMPAT.RECOVER, true);
  }
  if (sb.hasCompat(COMPAT.ORPHAN_FILE)) {
    // Entries may exist while mounted read-write (orphan.rst): RO_COMPAT_ORPHAN_PRESENT until a clean unmount.
    sb.orphanFile = new OrphanFile(sb, u32(sb.raw, SB.orphanFileInum));
    sb.setRoCompat(RO_COMPAT.ORPHAN_PRESENT, true, false);
  }
  sb.recordOverhead();
  sb.saveSuper(hasJournal ? sb.state : sb.state & ~EXT4_VALID_FS);
  // Inodes left open and unlinked by a crash, and truncates it cut short, are finished now (ext4_orphan_cleanup).
  if (hasOrphans(sb)) orphanCleanup(sb);
}

function uuidString(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function ext4Filesystem(fsType: string) {
  return (k: Kernel, _source: string, _options: Map<string, string>, ctx?: MountContext): Inode => {
    if (ctx?.bdev === undefined) return kerr(ENOTBLK);
    const bdev = lookupBdev(k, major(ctx.bdev), minor(ctx.bdev));
    if (!bdev) return kerr(ENXIO);
    return mountExt4(k, bdev, fsType, ctx.readOnly);
  };
}

for (const t of ["ext4", "ext3", "ext2"]) registerFilesystem(t, ext4Filesystem(t), false);
