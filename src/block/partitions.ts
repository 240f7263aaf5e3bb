// Partition tables, as Linux's block/partitions/ reads them: an MBR (msdos:
// four primary entries, logical partitions from 5 in the extended
// partition's chain of EBRs) or a GPT behind a protective MBR (efi.c).
// Anything malformed gives no partitions, never an error: the whole disk
// stays usable.

import { SECTOR_SIZE } from "../abi/fs_blk.js";

export interface PartitionEntry { partno: number; start: number; sectors: number }

const MBR_SIGNATURE = 0xaa55;
const MBR_SIGNATURE_OFFSET = 510;
const MBR_TABLE_OFFSET = 446;
const MBR_ENTRY_SIZE = 16;
const MBR_TYPE_EMPTY = 0;
const MBR_TYPE_GPT_PROTECTIVE = 0xee;
const MBR_EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
const GPT_SIGNATURE = "EFI PART";
const MAX_LOGICAL = 64; // a loop in the EBR chain ends here

export type SectorReader = (sector: number, count: number) => Uint8Array | null;

interface MbrEntry { type: number; start: number; sectors: number }

function mbrEntries(sector: Uint8Array): MbrEntry[] | null {
  const dv = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (dv.getUint16(MBR_SIGNATURE_OFFSET, true) !== MBR_SIGNATURE) return null;
  const out: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const o = MBR_TABLE_OFFSET + i * MBR_ENTRY_SIZE;
    out.push({ type: dv.getUint8(o + 4), start: dv.getUint32(o + 8, true), sectors: dv.getUint32(o + 12, true) });
  }
  return out;
}

export function readPartitions(read: SectorReader, diskSectors: number, maxParts: number): PartitionEntry[] {
  const mbr = read(0, 1);
  if (!mbr) return [];
  const entries = mbrEntries(mbr);
  if (!entries) return [];
  if (entries.some((e) => e.type === MBR_TYPE_GPT_PROTECTIVE)) return readGpt(read, diskSectors, maxParts);
  const out: PartitionEntry[] = [];
  const inside = (e: { start: number; sectors: number }) => e.sectors > 0 && e.start + e.sectors <= diskSectors;
  entries.forEach((e, i) => {
    if (e.type === MBR_TYPE_EMPTY || !inside(e)) return;
    if (MBR_EXTENDED_TYPES.has(e.type)) {
      // Linux shows the extended partition as 1 KiB (2 sectors), enough for LILO.
      out.push({ partno: i + 1, start: e.start, sectors: Math.min(2, e.sectors) });
      readLogical(read, e.start, e.sectors, diskSectors, out);
    } else {
      out.push({ partno: i + 1, start: e.start, sectors: e.sectors });
    }
  });
  return out.filter((p) => p.partno <= maxParts);
}

// Each EBR holds a logical partition (relative to the EBR) and a link to the
// next EBR (relative to the extended partition's start).
function readLogical(read: SectorReader, extStart: number, extSectors: number, diskSectors: number, out: PartitionEntry[]): void {
  let ebr = extStart;
  for (let n = 5; n < 5 + MAX_LOGICAL; n++) {
    const s = read(ebr, 1);
    const entries = s ? mbrEntries(s) : null;
    if (!entries) return;
    const [data, link] = entries;
    if (data.type !== MBR_TYPE_EMPTY && data.sectors > 0) {
      const start = ebr + data.start;
      if (start + data.sectors <= diskSectors) out.push({ partno: n, start, sectors: data.sectors });
    }
    if (!MBR_EXTENDED_TYPES.has(link.type) || link.start === 0 || link.start >= extSectors) return;
    ebr = extStart + link.start;
  }
}

function readGpt(read: SectorReader, diskSectors: number, maxParts: number): PartitionEntry[] {
  const hdr = read(1, 1);
  if (!hdr) return [];
  const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
  if (Buffer.from(hdr.subarray(0, 8)).toString("latin1") !== GPT_SIGNATURE) return [];
  const entriesLba = Number(dv.getBigUint64(72, true));
  const count = dv.getUint32(80, true);
  const size = dv.getUint32(84, true);
  if (size < 128 || size % 8 !== 0 || count === 0 || count > 1024 || entriesLba >= diskSectors) return [];
  const sectors = Math.ceil((count * size) / SECTOR_SIZE);
  const table = read(entriesLba, sectors);
  if (!table) return [];
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: PartitionEntry[] = [];
  for (let i = 0; i < count && out.length < maxParts; i++) {
    const o = i * size;
    if (table.subarray(o, o + 16).every((b) => b === 0)) continue; // unused entry
    const first = Number(tv.getBigUint64(o + 32, true)), last = Number(tv.getBigUint64(o + 40, true));
    if (last < first || last >= diskSectors) continue;
    if (i + 1 > maxParts) break;
    out.push({ partno: i + 1, start: first, sectors: last - first + 1 });
  }
  return out;
}
