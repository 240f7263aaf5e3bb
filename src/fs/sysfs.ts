// sysfs: the parts of /sys that libcs and runtimes read — the CPU topology
// (glibc's sysconf(_SC_NPROCESSORS_*), Go's runtime), memory-management
// knobs, and the kernel's identity — as a read-only tree built at mount,
// each attribute's text made when it is read.

import { makeTmpfs, TmpDir, type TmpSuperBlock } from "./tmpfs.js";
import { Inode, S_IFDIR, S_IFREG } from "./inode.js";
import type { File, FileOps } from "./file.js";
import { ROOT_CRED } from "./mount.js";
import type { Kernel } from "../kernel/kernel.js";
import { disks, otherDisks, partStatText } from "../block/genhd.js";
import { SECTOR_SIZE } from "../abi/fs_blk.js";

export const SYSFS_MAGIC = 0x62656572;

// A read-only attribute with fixed text: made when read, as every sysfs
// attribute (SysAttr), so the tree costs no frame of guest RAM (a tmpfs file
// each took one, at every boot and `ghost run`).
function file(dir: TmpDir, name: string, text: string): void {
  dir.entries.set(name, new SysAttr(dir.sb as TmpSuperBlock, () => text));
}

function mkdir(dir: TmpDir, name: string): TmpDir {
  return dir.mkdir(name, S_IFDIR | 0o755, ROOT_CRED) as TmpDir;
}

// A network device's directory under /sys/class/net (Linux's
// net-sysfs.c): its attributes and statistics/*, each text computed when
// read. The network stack registers the list (the layer order keeps fs/ from
// importing net/), as it does its /proc/net files.
export interface SysNetDevice { name: string; attrs: [string, () => string][]; stats: [string, () => string][] }
let netDevices: ((k: Kernel) => SysNetDevice[]) | null = null;
export function registerSysNetDevices(fn: (k: Kernel) => SysNetDevice[]): void { netDevices = fn; }

// A sysfs attribute whose text is made when it is read (kernfs calls the
// show method at each read from the start), as a device's counters change.
class SysAttr extends Inode {
  readonly ino: number;
  constructor(readonly sb: TmpSuperBlock, private readonly show: () => string) {
    super();
    this.ino = sb.nextIno++;
    this.mode = S_IFREG | 0o444;
  }
  // As sysfs: every attribute claims a page.
  override get size(): number { return 4096; }
  override openOps(_f: File): FileOps {
    let text: Uint8Array | null = null;
    return {
      read: (_f2, dst, pos) => {
        if (pos === 0 || !text) text = Buffer.from(this.show(), "latin1");
        if (pos >= text.length) return 0;
        const n = Math.min(dst.length, text.length - pos);
        dst.set(text.subarray(pos, pos + n));
        return n;
      },
    };
  }
}

// /sys/class/net/<dev> links to /sys/devices/virtual/net/<dev>, filled on
// first look (the devices are made after the mount at boot).
function netDirs(root: TmpDir, k: Kernel): void {
  const cls = mkdir(root.lookup("class") as TmpDir, "net");
  const virt = mkdir(mkdir(root.lookup("devices") as TmpDir, "virtual"), "net");
  const devs = () => netDevices?.(k) ?? [];
  const lazyDir = (parent: TmpDir, name: string, rows: [string, () => string][], sub?: (d: TmpDir) => void): void => {
    const d = mkdir(parent, name);
    d.setLazyEntries(2, (self) => {
      for (const [n, show] of rows) self.entries.set(n, new SysAttr(root.sb, show));
      sub?.(self);
    });
  };
  cls.setLazyEntries(2, (self) => {
    for (const d of devs()) self.symlink(d.name, `../../devices/virtual/net/${d.name}`, ROOT_CRED);
  });
  virt.setLazyEntries(2, (self) => {
    for (const d of devs()) {
      lazyDir(self, d.name, d.attrs, (dd) => {
        dd.symlink("subsystem", "../../../../class/net", ROOT_CRED);
        lazyDir(dd, "statistics", d.stats);
      });
    }
  });
}

export function makeSysfs(totalRamBytes: number, k?: Kernel): TmpDir {
  const root = makeTmpfs(Infinity, 0o555);
  const devices = mkdir(root, "devices");
  const system = mkdir(devices, "system");
  const cpu = mkdir(system, "cpu");
  for (const n of ["online", "possible", "present"]) file(cpu, n, "0\n");
  file(cpu, "kernel_max", "0\n");
  file(cpu, "offline", "\n");
  const cpu0 = mkdir(cpu, "cpu0");
  file(cpu0, "online", "1\n");
  const topo = mkdir(cpu0, "topology");
  for (const [n, v] of [["core_id", "0"], ["physical_package_id", "0"], ["core_siblings_list", "0"], ["thread_siblings_list", "0"], ["core_cpus_list", "0"], ["package_cpus_list", "0"]]) file(topo, n, v + "\n");
  const node = mkdir(system, "node");
  const node0 = mkdir(node, "node0");
  file(node0, "cpulist", "0\n");
  file(node0, "meminfo", `Node 0 MemTotal:       ${Math.floor(totalRamBytes / 1024)} kB\n`);
  file(node, "online", "0\n");
  file(node, "possible", "0\n");
  const kernel = mkdir(root, "kernel");
  const mm = mkdir(kernel, "mm");
  const thp = mkdir(mm, "transparent_hugepage");
  file(thp, "enabled", "always madvise [never]\n");
  file(thp, "defrag", "always defer defer+madvise madvise [never]\n");
  file(thp, "hpage_pmd_size", "2097152\n");
  for (const d of ["class", "bus", "block", "dev", "firmware", "fs", "module", "power"]) mkdir(root, d);
  if (k) blockDir(root.lookup("block") as TmpDir, mkdir(root.lookup("dev") as TmpDir, "block"), k);
  if (k) netDirs(root, k);
  const fs = root.lookup("fs") as TmpDir;
  mkdir(fs, "cgroup");
  root.sb.fsType = "sysfs";
  root.sb.magic = SYSFS_MAGIC;
  root.sb.sealed = true;
  return root;
}

// /sys/block/<disk>: what lsblk, blockdev, udev and libblkid (the I/O
// topology mkfs reads) read of each disk and its partitions (sizes in
// 512-byte sectors, as Linux's block attributes), their I/O counters
// (stat, read when read), and /sys/dev/block/M:m links to them.
function blockDir(block: TmpDir, byDev: TmpDir, k: Kernel): void {
  for (const disk of [...disks(k), ...otherDisks(k)]) {
    const d = mkdir(block, disk.name);
    const whole = disk.whole;
    const drv = disk.queue.driver;
    byDev.symlink(`${whole.dev.major}:${whole.dev.minor}`, `../../block/${disk.name}`, ROOT_CRED);
    file(d, "dev", `${whole.dev.major}:${whole.dev.minor}\n`);
    d.entries.set("size", new SysAttr(block.sb, () => `${whole.nrSectors}\n`));
    d.entries.set("ro", new SysAttr(block.sb, () => `${whole.isReadOnly ? 1 : 0}\n`));
    if (drv.sysfsDir) {
      const dd = mkdir(d, drv.sysfsDir.name);
      for (const [n, show] of drv.sysfsDir.attrs) dd.entries.set(n, new SysAttr(block.sb, show));
    }
    file(d, "removable", "0\n");
    file(d, "alignment_offset", "0\n");
    file(d, "discard_alignment", "0\n");
    file(d, "diskseq", `${disk.diskseq}\n`);
    d.entries.set("stat", new SysAttr(block.sb, () => partStatText(whole.stats)));
    const q = mkdir(d, "queue");
    for (const n of ["logical_block_size", "physical_block_size", "hw_sector_size", "minimum_io_size"]) file(q, n, `${SECTOR_SIZE}\n`);
    file(q, "optimal_io_size", "0\n");
    file(q, "dma_alignment", `${SECTOR_SIZE - 1}\n`); // O_DIRECT buffers: sector-aligned (statx's dio_mem_align - 1)
    file(q, "rotational", "0\n");
    file(q, "discard_granularity", `${drv.maxDiscardSectors ? SECTOR_SIZE : 0}\n`);
    for (const n of ["discard_max_bytes", "discard_max_hw_bytes"]) file(q, n, `${drv.maxDiscardSectors * SECTOR_SIZE}\n`);
    file(q, "discard_zeroes_data", "0\n");
    file(q, "write_zeroes_max_bytes", `${drv.maxWriteZeroesSectors * SECTOR_SIZE}\n`);
    file(q, "zoned", "none\n");
    for (const p of disk.parts) {
      if (!p || p.partno === 0) continue;
      const pd = mkdir(d, p.name);
      byDev.symlink(`${p.dev.major}:${p.dev.minor}`, `../../block/${disk.name}/${p.name}`, ROOT_CRED);
      file(pd, "alignment_offset", "0\n");
      file(pd, "discard_alignment", "0\n");
      file(pd, "dev", `${p.dev.major}:${p.dev.minor}\n`);
      file(pd, "size", `${p.nrSectors}\n`);
      file(pd, "start", `${p.startSector}\n`);
      file(pd, "partition", `${p.partno}\n`);
      file(pd, "ro", `${p.isReadOnly ? 1 : 0}\n`);
      pd.entries.set("stat", new SysAttr(block.sb, () => partStatText(p.stats)));
    }
  }
}
