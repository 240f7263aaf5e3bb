// File handles (Linux's fs/fhandle.c and exportfs): name_to_handle_at
// encodes an inode as opaque bytes, open_by_handle_at opens it again
// through any mount of the same filesystem.
//
// Ghost's handle is 12 bytes: the inode number (u64) and a generation
// (u32) drawn when the inode first gets a handle, so a later inode reusing
// the number does not match. The superblock keeps what the handle names
// (the inode and a dentry to open it by) for as long as the inode lives; a
// handle of an inode that is gone, or unlinked, is ESTALE, as Linux's
// filesystems answer for a handle whose inode has no link left.

import { kerr } from "../lib/errors.js";
import { ESTALE, EOPNOTSUPP } from "../abi/errno.js";
import type { Dentry } from "./dentry.js";
import type { Inode, SuperBlock } from "./inode.js";

export const FH_BYTES = 12;
// The handle_type Ghost reports (1, as tmpfs reports for its 12-byte handles).
export const FILEID_INO32_GEN = 1;

// Filesystems without export operations: name_to_handle_at is EOPNOTSUPP there.
const NO_EXPORT = new Set(["proc", "pipefs", "sockfs", "anon_inodefs", "devpts", "mqueue"]);
// The type of the default file id of those (exportfs_encode_ino64_fid): the
// inode number (u64) and its generation (u32, 0 here), 12 bytes.
export const FILEID_INO64_GEN = 0x81;

export function hasExportOps(dentry: Dentry): boolean { return !NO_EXPORT.has(dentry.inode.sb.fsType); }

// AT_HANDLE_FID on a filesystem without export operations: a handle that
// identifies the inode and is never decoded (exportfs_can_encode_fid).
export function encodeInodeFid(dentry: Dentry): Uint8Array {
  const b = new Uint8Array(FH_BYTES);
  new DataView(b.buffer).setBigUint64(0, BigInt(dentry.inode.ino), true);
  return b;
}

// Per superblock, the inodes handed out by handle key (weakly: a handle
// keeps nothing alive), and per inode a dentry to open it by.
const bySb = new WeakMap<SuperBlock, Map<string, WeakRef<Inode>>>();
const dentryOf = new WeakMap<Inode, Dentry>();
const generation = new WeakMap<Inode, number>();
let nextGen = 0x5a17;

function key(ino: number, gen: number): string { return `${ino}:${gen}`; }

// The handle bytes of the inode at dentry (exportfs_encode_fh).
export function encodeHandle(dentry: Dentry): Uint8Array {
  const inode = dentry.inode;
  if (NO_EXPORT.has(inode.sb.fsType)) kerr(EOPNOTSUPP);
  let gen = generation.get(inode);
  if (gen === undefined) {
    gen = nextGen = (Math.imul(nextGen, 1103515245) + 12345) >>> 0;
    generation.set(inode, gen);
  }
  let m = bySb.get(inode.sb);
  if (!m) { m = new Map(); bySb.set(inode.sb, m); }
  m.set(key(inode.ino, gen), new WeakRef(inode));
  dentryOf.set(inode, dentry);
  const b = new Uint8Array(FH_BYTES);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(inode.ino), true);
  dv.setUint32(8, gen, true);
  return b;
}

// The dentry a handle names on sb (exportfs_decode_fh), or ESTALE.
export function decodeHandle(sb: SuperBlock, type: number, bytes: Uint8Array): Dentry {
  if (type !== FILEID_INO32_GEN || bytes.length !== FH_BYTES) kerr(ESTALE);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ino = dv.getBigUint64(0, true);
  if (ino > BigInt(Number.MAX_SAFE_INTEGER)) kerr(ESTALE);
  const k = key(Number(ino), dv.getUint32(8, true));
  const m = bySb.get(sb);
  const ref = m?.get(k);
  const inode = ref?.deref();
  const dentry = inode && dentryOf.get(inode);
  if (!inode || !dentry || dentry.inode !== inode || inode.nlink === 0) {
    if (ref && !inode) m!.delete(k);
    return kerr(ESTALE);
  }
  return dentry;
}
