// The journal (jbd2, Documentation/filesystems/ext4/journal.rst) in ordered
// mode. Operations join one running transaction (ext4_journal_start/stop
// nest into jbd2's running transaction): the metadata blocks they change
// are held back in memory, so a block changed by many operations is logged
// once. The running transaction commits when it is 5 s old (Linux's default
// commit interval, JBD2_DEFAULT_MAX_COMMIT_AGE), when it grows past a
// quarter of the log, and on fsync, sync, syncfs and umount. A commit
// writes the log (descriptor blocks naming their home blocks, the copies, a
// commit block, with crc32c checksums when the filesystem has
// metadata_csum: jbd2's csum v3), then the blocks home (the checkpoint).
// File data goes home before the commit (ordered mode): the page cache
// writes the pages holding blocks the transaction allocated first.
//
// As every transaction is checkpointed as soon as it commits, the log holds
// at most one: each starts at the log's first block, and the journal
// superblock names it (s_start, s_sequence) before its blocks are written.
// Revoke records are therefore never needed: the hazard they guard against
// (replay copying an old logged copy over a block freed and reused since)
// needs a freed block reused while an older transaction naming it is still
// in the log. Here the only transaction in the log is the last committed
// one, and a block freed in the running transaction is not reused before
// that one commits (the busy set below, as mballoc keeps freed blocks out of
// the buddy until the commit callback), at which point it replaces the old
// one in the log. Replay still honours revoke records another kernel wrote.
//
// At mount, a journal whose superblock names a transaction is replayed:
// every committed transaction from s_start on is copied home, then the log
// is marked empty. All journal fields are big-endian.

import type { Ext4Super } from "./super.js";
import type { BufferHead } from "../../block/buffer.js";
import type { Ext4Inode } from "./inode.js";
import { crc32c } from "./crc32c.js";
import { HOLE } from "./extents.js";
import { currentTime } from "../inode.js";
import { EXT4_JOURNAL_INO, INCOMPAT } from "./layout.js";
import type { TimerHandle } from "../../kernel/time/timers.js";
import { NSEC_PER_SEC } from "../../kernel/time/clock.js";
import { KernelError } from "../../lib/errors.js";

// JBD2_DEFAULT_MAX_COMMIT_AGE: the running transaction commits at this age.
export const COMMIT_INTERVAL_NS = 5 * NSEC_PER_SEC;

const JBD2_MAGIC = 0xc03b3998;
const DESCRIPTOR_BLOCK = 1, COMMIT_BLOCK = 2, SUPERBLOCK_V1 = 3, SUPERBLOCK_V2 = 4, REVOKE_BLOCK = 5;
const INCOMPAT_REVOKE = 0x1, INCOMPAT_64BIT = 0x2, INCOMPAT_ASYNC_COMMIT = 0x4, INCOMPAT_CSUM_V2 = 0x8, INCOMPAT_CSUM_V3 = 0x10;
const KNOWN_INCOMPAT = INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;
const FLAG_ESCAPE = 1, FLAG_SAME_UUID = 2, FLAG_LAST_TAG = 8;
const JBD2_CRC32C_CHKSUM = 4;
// journal_superblock_t
const JSB = { blocksize: 0xc, maxlen: 0x10, first: 0x14, sequence: 0x18, start: 0x1c, featureCompat: 0x24,
  featureIncompat: 0x28, featureRoCompat: 0x2c, uuid: 0x30, checksumType: 0x50, checksum: 0xfc, size: 0x400 } as const;
const COMMIT = { sec: 0x30, nsec: 0x38, chksum: 0x10 } as const;
const HEADER_SIZE = 12;

const be32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export class Journal {
  private readonly map: number[] = []; // log block → disk block
  private readonly jsb: Uint8Array;
  private readonly bs: number;
  private depth = 0;
  // The running transaction: the metadata buffers changed since the last commit.
  private readonly pending = new Map<number, BufferHead>();
  // Blocks freed in the running transaction: not handed out again before it
  // commits, else a crash would leave a committed file whose blocks hold
  // another file's new data (or the commit would write a freed metadata
  // block's stale copy over new data).
  readonly busy = new Set<number>();
  private timer: TimerHandle | null = null;
  // Commits so far (for tests and the kernel log).
  commits = 0;
  private sequence: number;
  private readonly first: number;
  private readonly maxlen: number;
  private csumSeed = 0;

  constructor(private readonly sb: Ext4Super) {
    this.bs = sb.blockSizeBytes;
    const inode = sb.iget(EXT4_JOURNAL_INO) as Ext4Inode;
    const nblocks = Math.floor(inode.size / this.bs);
    for (let l = 0; l < nblocks; l++) {
      const m = inode.mapBlock(l);
      if (m.pblk === HOLE) sb.corrupt("jbd2_journal_bmap", EXT4_JOURNAL_INO, `hole in the journal at ${l}`);
      this.map.push(m.pblk);
    }
    if (!this.map.length) sb.corrupt("ext4_get_journal", EXT4_JOURNAL_INO, "empty journal");
    this.jsb = sb.bread(this.map[0], "ext4_get_journal", EXT4_JOURNAL_INO).data;
    const type = be32(this.jsb, 4);
    if (be32(this.jsb, 0) !== JBD2_MAGIC || (type !== SUPERBLOCK_V1 && type !== SUPERBLOCK_V2)) sb.corrupt("jbd2_journal_load", EXT4_JOURNAL_INO, "no valid journal superblock found");
    if (be32(this.jsb, JSB.blocksize) !== this.bs) sb.corrupt("jbd2_journal_load", EXT4_JOURNAL_INO, "journal block size differs");
    this.maxlen = Math.min(be32(this.jsb, JSB.maxlen), this.map.length);
    this.first = be32(this.jsb, JSB.first);
    if (this.first < 1 || this.first >= this.maxlen) sb.corrupt("jbd2_journal_load", EXT4_JOURNAL_INO, "bad journal first block");
    this.sequence = be32(this.jsb, JSB.sequence);
    this.csumSeed = crc32c(0xffffffff, this.jsb, JSB.uuid, JSB.uuid + 16);
  }

  get incompat(): number { return be32(this.jsb, JSB.featureIncompat); }
  get unknownFeatures(): number { return this.incompat & ~KNOWN_INCOMPAT; }
  private get csumV3(): boolean { return (this.incompat & INCOMPAT_CSUM_V3) !== 0; }
  private get is64(): boolean { return (this.incompat & INCOMPAT_64BIT) !== 0; }
  private get tagBytes(): number { return this.csumV3 ? 16 : this.is64 ? 12 : 8; }
  get needsReplay(): boolean { return be32(this.jsb, JSB.start) !== 0; }

  private logBlock(i: number): number { return this.map[this.first + ((i - this.first) % (this.maxlen - this.first))]; }

  private writeJsb(): void {
    if (this.csumV3) {
      dv(this.jsb).setUint32(JSB.checksum, 0);
      dv(this.jsb).setUint32(JSB.checksum, crc32c(0xffffffff, this.jsb, 0, JSB.size));
    }
    this.sb.bdev.write(this.map[0] * this.bs, this.jsb);
  }

  // Features a writing kernel sets (as ext4 does at mount): 64-bit block
  // numbers on a 64bit filesystem, checksums v3 with metadata_csum.
  setWriteFeatures(): void {
    let f = this.incompat & ~INCOMPAT_CSUM_V2;
    if (this.sb.hasIncompat(INCOMPAT.BIT64)) f |= INCOMPAT_64BIT;
    if (this.sb.metadataCsum) { f |= INCOMPAT_CSUM_V3; this.jsb[JSB.checksumType] = JBD2_CRC32C_CHKSUM; }
    dv(this.jsb).setUint32(JSB.featureIncompat, f);
    this.writeJsb();
  }

  // --- transactions ---------------------------------------------------------

  begin(): void {
    // A handle starts only when the running transaction has room for it
    // (as start_this_handle waits for a commit when the log is short).
    if (this.depth === 0) {
      if (this.pending.size >= this.batchLimit) this.commit();
      this.handleChanged = false;
    }
    this.depth++;
  }
  get active(): boolean { return this.depth > 0; }
  hold(bh: BufferHead): void { this.pending.set(bh.blockNr, bh); if (this.depth > 0) this.handleChanged = true; }
  // Whether the outermost open handle has changed a block yet.
  private handleChanged = false;

  // Out of space while blocks freed in the running transaction wait for its
  // commit: commit now so that they can be used (as ext4_should_retry_alloc
  // forces a commit and retries). Only between handles, or in a handle that
  // has changed nothing yet: a commit must never hold half an operation.
  // Whether blocks were made free.
  commitForSpace(): boolean {
    if (this.busy.size === 0) return false;
    if (this.depth > 1 || (this.depth === 1 && this.handleChanged)) return false;
    const depth = this.depth;
    this.depth = 0;
    try { this.commit(); } finally { this.depth = depth; }
    return true;
  }
  holds(bh: BufferHead): boolean { return this.pending.get(bh.blockNr) === bh; }
  // Blocks a running transaction may collect: a quarter of the log, so that
  // the handle that crosses it (one VFS call) still fits in the rest.
  private get batchLimit(): number { return Math.max(1, Math.floor((this.maxlen - this.first) / 4)); }

  end(): void {
    if (--this.depth > 0 || this.pending.size === 0) return;
    if (this.pending.size >= this.batchLimit) { this.commit(); return; }
    if (!this.timer) {
      const k = this.sb.k;
      this.timer = k.timers.addCoarse(k.clock.monotonic() + COMMIT_INTERVAL_NS, () => {
        this.timer = null;
        try { this.commit(); } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          this.sb.warn(`journal commit failed (errno ${e.errno})`);
        }
      });
    }
  }

  // Commits the running transaction and checkpoints it (jbd2's commit, then
  // the checkpoint at once); nothing to do when it is empty.
  commit(): void {
    if (this.depth > 0) return; // inside a handle: the outermost end() decides
    this.timer?.cancel();
    this.timer = null;
    this.busy.clear();
    // Ordered mode: the data of blocks this transaction allocated before the metadata naming them.
    this.sb.writeOrderedData();
    if (this.pending.size === 0) return;
    const blocks = [...this.pending.values()].sort((a, b) => a.blockNr - b.blockNr);
    this.pending.clear();
    const perDesc = Math.floor((this.bs - HEADER_SIZE - (this.csumV3 ? 4 : 0) - 16) / this.tagBytes);
    const need = Math.ceil(blocks.length / perDesc) + blocks.length + 1;
    if (need <= this.maxlen - this.first) this.writeLog(blocks, perDesc);
    else this.sb.warn(`transaction of ${blocks.length} blocks larger than the journal: written unjournaled`);
    for (const bh of blocks) this.sb.writeHome(bh);
    this.commits++;
  }

  private header(b: Uint8Array, type: number, seq: number): void {
    b.fill(0);
    dv(b).setUint32(0, JBD2_MAGIC);
    dv(b).setUint32(4, type);
    dv(b).setUint32(8, seq);
  }

  private writeLog(blocks: BufferHead[], perDesc: number): void {
    const seq = this.sequence;
    // The superblock names the transaction before any of it is written.
    dv(this.jsb).setUint32(JSB.start, this.first);
    dv(this.jsb).setUint32(JSB.sequence, seq);
    this.writeJsb();
    let at = this.first;
    const write = (b: Uint8Array) => { this.sb.bdev.write(this.logBlock(at++) * this.bs, b); };
    for (let i = 0; i < blocks.length; i += perDesc) {
      const group = blocks.slice(i, i + perDesc);
      const desc = new Uint8Array(this.bs);
      this.header(desc, DESCRIPTOR_BLOCK, seq);
      let o = HEADER_SIZE;
      const copies: Uint8Array[] = [];
      group.forEach((bh, j) => {
        const copy = bh.data.slice();
        let flags = j === 0 ? 0 : FLAG_SAME_UUID;
        if (j === group.length - 1) flags |= FLAG_LAST_TAG;
        if (be32(copy, 0) === JBD2_MAGIC) { flags |= FLAG_ESCAPE; copy.fill(0, 0, 4); }
        const d = dv(desc);
        d.setUint32(o, bh.blockNr % 2 ** 32);
        if (this.csumV3) {
          d.setUint32(o + 4, flags);
          d.setUint32(o + 8, Math.floor(bh.blockNr / 2 ** 32));
          d.setUint32(o + 12, this.blockCsum(seq, bh.data));
        } else {
          d.setUint16(o + 6, flags);
          if (this.is64) d.setUint32(o + 8, Math.floor(bh.blockNr / 2 ** 32));
        }
        o += this.tagBytes;
        if (j === 0) { desc.set(this.jsb.subarray(JSB.uuid, JSB.uuid + 16), o); o += 16; }
        copies.push(copy);
      });
      if (this.csumV3) dv(desc).setUint32(this.bs - 4, crc32c(this.csumSeed, desc, 0, this.bs));
      write(desc);
      copies.forEach(write);
    }
    const c = new Uint8Array(this.bs);
    this.header(c, COMMIT_BLOCK, seq);
    const t = currentTime();
    dv(c).setBigUint64(COMMIT.sec, BigInt(Math.max(0, t.sec)));
    dv(c).setUint32(COMMIT.nsec, t.nsec);
    if (this.csumV3) dv(c).setUint32(COMMIT.chksum, crc32c(this.csumSeed, c, 0, this.bs));
    write(c);
    this.sequence = (seq + 1) >>> 0;
  }

  // The checksum of a logged block (tag v3): over the sequence and the block.
  private blockCsum(seq: number, data: Uint8Array): number {
    const s = new Uint8Array(4);
    dv(s).setUint32(0, seq);
    return crc32c(crc32c(this.csumSeed, s), data);
  }

  // The log empty: at unmount, and after a replay.
  markEmpty(): void {
    dv(this.jsb).setUint32(JSB.start, 0);
    dv(this.jsb).setUint32(JSB.sequence, this.sequence);
    this.writeJsb();
  }

  // --- recovery -----------------------------------------------------------

  // Copies every committed transaction home; how many there were. Two
  // passes, as jbd2_journal_recover: the first finds the committed
  // transactions and their revoke records, the second copies each logged
  // block home unless a transaction at or after its own revoked it (the
  // block was freed, and may hold other data by now).
  replay(): number {
    const startSeq = be32(this.jsb, JSB.sequence), startAt = be32(this.jsb, JSB.start);
    const revoked = new Map<number, number>(); // block → latest revoking transaction
    let committed = 0;
    this.walk(startSeq, startAt, Infinity, null, (seq, blk) => {
      const have = revoked.get(blk);
      if (have === undefined || ((seq - have) | 0) > 0) revoked.set(blk, seq);
    }, () => { committed++; });
    this.walk(startSeq, startAt, committed, (tseq, blk, data) => {
      const r = revoked.get(blk);
      if (r !== undefined && ((r - tseq) | 0) >= 0) return;
      if (blk < this.sb.firstDataBlock || blk >= this.sb.blocksCount) return;
      this.sb.bdev.write(blk * this.bs, data);
    }, null, () => { /* counted in the first pass */ });
    this.sb.bc.invalidate();
    this.sequence = (startSeq + committed) >>> 0;
    this.markEmpty();
    return committed;
  }

  // Walks at most `limit` transactions of the log from (seq, at), stopping
  // at the first one without a valid commit block: each logged block of a
  // committed transaction to `onBlock` (its copy read only when asked for),
  // each revoke record to `onRevoke`, then `onCommit`.
  private walk(seq: number, at: number, limit: number, onBlock: ((seq: number, blk: number, data: Uint8Array) => void) | null,
    onRevoke: ((seq: number, blk: number) => void) | null, onCommit: () => void): void {
    const read = (i: number) => this.sb.bread(this.logBlock(i), "jbd2_journal_recover", EXT4_JOURNAL_INO).data.slice();
    for (let n = 0; n < limit && n < this.maxlen; n++) {
      const tags: { blk: number; pos: number; flags: number; csum: number }[] = [];
      const revokes: number[] = [];
      let p = at, committed = false;
      for (let guard = 0; guard < this.maxlen; guard++) {
        const b = read(p);
        if (be32(b, 0) !== JBD2_MAGIC || be32(b, 8) !== seq) break;
        const type = be32(b, 4);
        if (type === COMMIT_BLOCK) {
          committed = !this.csumV3 || this.commitOk(b);
          p++;
          break;
        }
        if (type === REVOKE_BLOCK) {
          // jbd2_journal_revoke_header_t: the header, r_count (bytes used), then block numbers.
          const used = Math.min(be32(b, HEADER_SIZE), this.bs - (this.csumV3 ? 4 : 0));
          const size = this.is64 ? 8 : 4;
          for (let o = HEADER_SIZE + 4; o + size <= used; o += size) revokes.push(this.is64 ? be32(b, o) * 2 ** 32 + be32(b, o + 4) : be32(b, o));
          p++;
          continue;
        }
        if (type !== DESCRIPTOR_BLOCK) break;
        if (this.csumV3 && crc32c(this.csumSeed, (() => { const x = b.slice(); dv(x).setUint32(this.bs - 4, 0); return x; })(), 0, this.bs) !== be32(b, this.bs - 4)) break;
        p++;
        let o = HEADER_SIZE;
        const end = this.bs - (this.csumV3 ? 4 : 0);
        while (o + this.tagBytes <= end) {
          const lo = be32(b, o);
          const flags = this.csumV3 ? be32(b, o + 4) : (b[o + 6] << 8) | b[o + 7];
          const hi = this.is64 ? be32(b, o + 8) : 0;
          const csum = this.csumV3 ? be32(b, o + 12) : 0;
          o += this.tagBytes;
          if (!(flags & FLAG_SAME_UUID)) o += 16;
          tags.push({ blk: hi * 2 ** 32 + lo, pos: p++, flags, csum });
          if (flags & FLAG_LAST_TAG) break;
        }
      }
      if (!committed) return;
      if (onBlock) {
        for (const t of tags) {
          const data = read(t.pos);
          if (t.flags & FLAG_ESCAPE) dv(data).setUint32(0, JBD2_MAGIC);
          if (this.csumV3 && this.blockCsum(seq, data) !== t.csum) this.sb.warn(`journal: checksum of block ${t.blk} in transaction ${seq} invalid`);
          onBlock(seq, t.blk, data);
        }
      }
      if (onRevoke) for (const blk of revokes) onRevoke(seq, blk);
      onCommit();
      seq = (seq + 1) >>> 0;
      at = p;
    }
  }

  private commitOk(b: Uint8Array): boolean {
    const x = b.slice();
    dv(x).setUint32(COMMIT.chksum, 0);
    return crc32c(this.csumSeed, x, 0, this.bs) === be32(b, COMMIT.chksum);
  }
}
