// The kernel's disks (Linux's block/genhd.c): a table per kernel, names
// vda, vdb, … as virtio_blk gives them, and partition scanning (BLKRRPART).

import { KernelLocal } from "../kernel/local.js";
import type { Kernel } from "../kernel/kernel.js";
import { kerr } from "../lib/errors.js";
import { EBUSY } from "../abi/errno.js";
import { SECTOR_SIZE, VIRTBLK_MAJOR, VIRTBLK_MINORS } from "../abi/fs_blk.js";
import { BlockDevice, Gendisk, type BlockDriver, type DiskStats } from "./blkdev.js";
import { readPartitions } from "./partitions.js";
import { LOGLEVEL_INFO } from "../abi/syslog.js";

class DiskTable {
  readonly disks: Gendisk[] = [];
}
const DISKS = new KernelLocal("disks", () => new DiskTable());

// virtio_blk's names: vda … vdz, then vdaa … (as sd_format_disk_name).
export function diskName(prefix: string, index: number): string {
  let s = "";
  for (let i = index + 1; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(97 + ((i - 1) % 26)) + s;
  return prefix + s;
}

export function addDisk(k: Kernel, driver: BlockDriver): Gendisk {
  const table = k.local(DISKS);
  const i = table.disks.length;
  const disk = new Gendisk(diskName("vd", i), VIRTBLK_MAJOR, i * VIRTBLK_MINORS, driver);
  table.disks.push(disk);
  disk.diskseq = table.disks.length;
  scanPartitions(disk);
  k.log.log(LOGLEVEL_INFO, `virtio_blk: [${disk.name}] ${driver.sectors} 512-byte logical blocks (${driver.description}${driver.readOnly ? ", read-only" : ""})`);
  return disk;
}

export function disks(k: Kernel): readonly Gendisk[] { return k.local(DISKS).disks; }

// The disks of drivers that make their own (loop), for /sys/block beside the virtio disks.
const listers: ((k: Kernel) => readonly Gendisk[])[] = [];
export function registerDiskLister(list: (k: Kernel) => readonly Gendisk[]): void { listers.push(list); }
export function otherDisks(k: Kernel): Gendisk[] { return listers.flatMap((l) => l(k)); }

// Drivers that make their disks on demand (Linux's blk_probe through
// kobj_map: loop's major 7), by major: the device (major, minor), if any.
type BlkdevProbe = (k: Kernel, minor: number) => BlockDevice | undefined;
const probes = new Map<number, BlkdevProbe>();
export function registerBlkdevProbe(major: number, probe: BlkdevProbe): void { probes.set(major, probe); }

// The block device numbered (major, minor), if any.
export function lookupBdev(k: Kernel, major: number, minor: number): BlockDevice | undefined {
  for (const d of k.local(DISKS).disks) {
    if (d.major !== major || minor < d.firstMinor || minor >= d.firstMinor + VIRTBLK_MINORS) continue;
    return d.parts[minor - d.firstMinor];
  }
  return probes.get(major)?.(k, minor);
}

// Reads the partition table again (BLKRRPART); EBUSY while a partition is in use.
export function rescanPartitions(disk: Gendisk): void {
  if (disk.parts.some((p, i) => i > 0 && p && p.holder !== null)) kerr(EBUSY);
  scanPartitions(disk);
}

function scanPartitions(disk: Gendisk): void {
  const whole = disk.whole;
  disk.parts = [whole];
  const read = (sector: number, count: number): Uint8Array | null => {
    if (sector < 0 || sector + count > disk.sectors) return null;
    const buf = new Uint8Array(count * SECTOR_SIZE);
    try { whole.read(sector * SECTOR_SIZE, buf); } catch { return null; }
    return buf;
  };
  for (const p of readPartitions(read, disk.sectors, VIRTBLK_MINORS - 1)) {
    disk.parts[p.partno] = new BlockDevice(disk, p.partno, p.start, p.sectors);
  }
}

// /proc/partitions, as Linux's show_partition: major, minor, size in KiB, name.
export function partitionsText(k: Kernel): string {
  let s = "major minor  #blocks  name\n\n";
  for (const d of disks(k)) {
    for (const p of d.parts) {
      if (p) s += `${String(p.dev.major).padStart(4)}  ${String(p.dev.minor).padStart(7)} ${String(Math.floor(p.nrSectors / 2)).padStart(10)} ${p.name}\n`;
    }
  }
  return s;
}

// /proc/diskstats, as Linux's diskstats_show (kernel 5.5 and later: 17
// counters): reads, reads merged, sectors read, ms reading, writes, writes
// merged, sectors written, ms writing, in flight, ms doing I/O, weighted ms,
// discards (4 counters), flushes, ms flushing. Ghost merges nothing and
// keeps one time, ms doing I/O: the others read 0.
export function diskstatsText(k: Kernel): string {
  let s = "";
  for (const d of disks(k)) {
    for (const p of d.parts) {
      if (p) s += `${String(p.dev.major).padStart(4)} ${String(p.dev.minor).padStart(7)} ${p.name} ${diskCounters(p.stats).join(" ")}\n`;
    }
  }
  return s;
}

// The 17 counters of a diskstats line and of /sys/block/<disk>[/<part>]/stat.
export function diskCounters(t: DiskStats): number[] {
  return [t.reads, 0, t.sectorsRead, 0, t.writes, 0, t.sectorsWritten, 0, 0, Math.ceil(t.ioMs), 0, 0, 0, 0, 0, t.flushes, 0];
}

// /sys/block/<disk>[/<part>]/stat, as Linux's part_stat_show: the same
// counters as diskstats, each right-aligned in 8 columns.
export function partStatText(t: DiskStats): string {
  return diskCounters(t).map((n) => String(n).padStart(8)).join(" ") + "\n";
}

// The UUID of the ext2/3/4 filesystem on a block device, as blkid reports
// it for udev's /dev/disk/by-uuid links (the superblock's s_uuid at 1024 +
// 0x68, when the magic 0xEF53 is at 1024 + 0x38); null for anything else.
const EXT_SUPERBLOCK = 1024, EXT_MAGIC_OFF = 0x38, EXT_UUID_OFF = 0x68, EXT_MAGIC = 0xef53;
export function filesystemUuid(p: BlockDevice): string | null {
  if (p.size < EXT_SUPERBLOCK * 2) return null;
  const sb = new Uint8Array(EXT_SUPERBLOCK);
  try { p.read(EXT_SUPERBLOCK, sb); } catch { return null; }
  if ((sb[EXT_MAGIC_OFF] | (sb[EXT_MAGIC_OFF + 1] << 8)) !== EXT_MAGIC) return null;
  const h = Buffer.from(sb.subarray(EXT_UUID_OFF, EXT_UUID_OFF + 16)).toString("hex");
  if (/^0+$/.test(h)) return null;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
