// The orphan list (Linux's fs/ext4/orphan.c, the classic list): an inode
// whose last name goes while a file still has it open stays allocated
// until the last close, and is chained from the superblock's
// s_last_orphan through each inode's i_dtime field (NEXT_ORPHAN), so that
// after a crash the next mount frees it (ext4_orphan_cleanup) instead of
// leaving an unreachable inode for e2fsck. The list is changed inside the
// operation's journal handle, so it is as durable as the unlink itself.

import type { Ext4Super } from "./super.js";
import type { Ext4FileInode } from "./file_write.js";
import { INO, SB, u32 } from "./layout.js";
import { KernelError } from "../../lib/errors.js";

const nextOrphan = (i: Ext4FileInode) => u32(i.raw, INO.dtime);
function setNextOrphan(i: Ext4FileInode, next: number): void {
  new DataView(i.raw.buffer, i.raw.byteOffset).setUint32(INO.dtime, next, true);
}
export const lastOrphan = (sb: Ext4Super) => u32(sb.raw, SB.lastOrphan);
// Whether a mount has orphans to clean up: the list, or the orphan file's entries.
export const hasOrphans = (sb: Ext4Super) => lastOrphan(sb) !== 0 || !(sb.orphanFile?.empty ?? true);
function setLastOrphan(sb: Ext4Super, ino: number): void {
  new DataView(sb.raw.buffer, sb.raw.byteOffset).setUint32(SB.lastOrphan, ino, true);
  sb.saveSuper();
}

// Puts the inode at the head of the list (ext4_orphan_add).
export function orphanAdd(inode: Ext4FileInode): void {
  const sb = inode.sb;
  if (sb.orphans.has(inode.ino)) return;
  // The orphan file first (orphan_file.ts); the list when it is full.
  if (sb.orphanFile?.add(inode.ino)) { sb.orphans.add(inode.ino); return; }
  setNextOrphan(inode, lastOrphan(sb));
  inode.save();
  setLastOrphan(sb, inode.ino);
  sb.orphans.add(inode.ino);
}

// Takes the inode out of the list (ext4_orphan_del): its predecessor, or
// the superblock, points past it.
export function orphanDel(inode: Ext4FileInode): void {
  const sb = inode.sb;
  if (!sb.orphans.delete(inode.ino)) return;
  if (sb.orphanFile?.del(inode.ino)) return;
  const next = nextOrphan(inode);
  setNextOrphan(inode, 0);
  inode.save();
  if (lastOrphan(sb) === inode.ino) { setLastOrphan(sb, next); return; }
  for (let ino = lastOrphan(sb), guard = 0; ino && guard <= sb.orphans.size; guard++) {
    const prev = sb.iget(ino) as Ext4FileInode;
    if (nextOrphan(prev) === inode.ino) { setNextOrphan(prev, next); prev.save(); return; }
    ino = nextOrphan(prev);
  }
  sb.warn(`orphan inode ${inode.ino} not found in the orphan list`);
}

// At a read-write mount: every inode on the list is freed (no links
// left) or kept (a list entry for a truncate, which Ghost never leaves:
// its truncates are one transaction); the list is then empty. How many
// were freed.
export function orphanCleanup(sb: Ext4Super): number {
  let freed = 0, truncated = 0;
  // The orphan file's entries (ext4_orphan_cleanup reads it first): an
  // inode with no link left is freed, one with links was being truncated
  // and loses the blocks past its size (ext4_truncate).
  const of = sb.orphanFile;
  for (const ino of of?.entries ?? []) {
    let inode: Ext4FileInode | null = null;
    try {
      if (ino >= sb.firstIno && ino <= sb.inodesCount) inode = sb.iget(ino) as Ext4FileInode;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
    sb.transaction(() => {
      of!.del(ino);
      if (!inode) { sb.warn(`bad orphan inode ${ino} in the orphan file; left to e2fsck`); return; }
      if (inode.nlink === 0) { inode.release(); freed++; } else { inode.cutPastSize(); truncated++; }
    });
  }
  const seen = new Set<number>();
  for (let ino = lastOrphan(sb); ino;) {
    if (seen.has(ino) || ino < sb.firstIno || ino > sb.inodesCount) { sb.warn(`bad orphan inode ${ino} in the list; the rest is left to e2fsck`); break; }
    seen.add(ino);
    let inode: Ext4FileInode;
    try { inode = sb.iget(ino) as Ext4FileInode; } catch (e) {
      if (e instanceof KernelError) break;
      throw e;
    }
    const next = nextOrphan(inode);
    setNextOrphan(inode, 0);
    sb.transaction(() => {
      if (inode.nlink === 0) { inode.release(); freed++; } else inode.save();
    });
    ino = next;
  }
  if (lastOrphan(sb)) sb.transaction(() => setLastOrphan(sb, 0));
  if (freed) sb.info(`${freed} orphan inode${freed === 1 ? "" : "s"} deleted`);
  if (truncated) sb.info(`${truncated} truncate${truncated === 1 ? "" : "s"} cleaned up`);
  return freed;
}
