// POSIX ACLs on ext4 (fs/posix_acl.c, fs/ext4/acl.c): the VFS's form
// (system.posix_acl_access/default values: version 2, 8-byte entries)
// checked as posix_acl_valid does and stored in ext4's compact form
// (version 1, 4-byte entries but for named users and groups); the mode an
// access ACL implies (posix_acl_equiv_mode: an ACL the mode says whole is
// not stored); chmod carried into the ACL (posix_acl_chmod); and the check
// a non-owner's access goes through (posix_acl_permission).

import { kerr } from "../../lib/errors.js";
import { EPERM, EINVAL, EACCES } from "../../abi/errno.js";
import { CAP_FOWNER, CAP_FSETID } from "../../abi/prctl.js";
import { hasCap, type TaskCred } from "../../kernel/cred.js";
import { isDir, type Cred } from "../inode.js";

export const ACL_USER_OBJ = 0x01, ACL_USER = 0x02, ACL_GROUP_OBJ = 0x04, ACL_GROUP = 0x08, ACL_MASK = 0x10, ACL_OTHER = 0x20;
const POSIX_ACL_XATTR_VERSION = 2, EXT4_ACL_VERSION = 1;
const ACL_UNDEFINED_ID = 0xffffffff;
const TAG_ORDER = [ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER];

export interface AclEntry { tag: number; perm: number; id: number }

// The VFS's form, or null when it is not a valid ACL (EINVAL).
export function parseVfsAcl(v: Uint8Array): AclEntry[] | null {
  if (v.length < 4 || (v.length - 4) % 8) return null;
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (d.getUint32(0, true) !== POSIX_ACL_XATTR_VERSION) return null;
  const list: AclEntry[] = [];
  for (let o = 4; o < v.length; o += 8) {
    const tag = d.getUint16(o, true), perm = d.getUint16(o + 2, true), id = d.getUint32(o + 4, true);
    if (perm & ~7) return null;
    list.push({ tag, perm, id: tag === ACL_USER || tag === ACL_GROUP ? id : ACL_UNDEFINED_ID });
  }
  return valid(list) ? list : null;
}

// posix_acl_valid: one owner, group and other entry, named ones in
// ascending id order without repeats, and a mask when there are named ones.
function valid(list: AclEntry[]): boolean {
  let rank = 0, lastId = -1, named = 0, mask = 0;
  const count = new Map<number, number>();
  for (const e of list) {
    const r = TAG_ORDER.indexOf(e.tag);
    if (r < 0 || r < rank) return false;
    if (r !== rank) lastId = -1;
    rank = r;
    count.set(e.tag, (count.get(e.tag) ?? 0) + 1);
    if (e.tag === ACL_USER || e.tag === ACL_GROUP) {
      if (e.id <= lastId) return false;
      lastId = e.id;
      named++;
    }
    if (e.tag === ACL_MASK) mask++;
  }
  for (const t of [ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_OTHER]) if (count.get(t) !== 1) return false;
  return mask <= 1 && (named === 0 || mask === 1);
}

// ext4's form (ext4_acl_to_disk).
export function toExt4Acl(list: AclEntry[]): Uint8Array {
  const size = 4 + list.reduce((s, e) => s + (e.tag === ACL_USER || e.tag === ACL_GROUP ? 8 : 4), 0);
  const b = new Uint8Array(size);
  const d = new DataView(b.buffer);
  d.setUint32(0, EXT4_ACL_VERSION, true);
  let o = 4;
  for (const e of list) {
    d.setUint16(o, e.tag, true);
    d.setUint16(o + 2, e.perm, true);
    if (e.tag === ACL_USER || e.tag === ACL_GROUP) { d.setUint32(o + 4, e.id, true); o += 8; } else o += 4;
  }
  return b;
}

// ext4's form read back (ext4_acl_from_disk), or null when it is not one.
export function fromExt4Acl(v: Uint8Array): AclEntry[] | null {
  if (v.length < 4) return null;
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (d.getUint32(0, true) !== EXT4_ACL_VERSION) return null;
  const list: AclEntry[] = [];
  for (let o = 4; o < v.length;) {
    if (o + 4 > v.length) return null;
    const tag = d.getUint16(o, true), perm = d.getUint16(o + 2, true);
    if (tag === ACL_USER || tag === ACL_GROUP) {
      if (o + 8 > v.length) return null;
      list.push({ tag, perm, id: d.getUint32(o + 4, true) });
      o += 8;
    } else {
      list.push({ tag, perm, id: ACL_UNDEFINED_ID });
      o += 4;
    }
  }
  return list;
}

// posix_acl_equiv_mode: the permission bits the ACL gives the mode, and
// whether the mode says it all (then the ACL is not kept).
export function aclMode(list: AclEntry[]): { bits: number; equiv: boolean } {
  let bits = 0, equiv = true;
  for (const e of list) {
    if (e.tag === ACL_USER_OBJ) bits |= (e.perm & 7) << 6;
    else if (e.tag === ACL_GROUP_OBJ) bits |= (e.perm & 7) << 3;
    else if (e.tag === ACL_OTHER) bits |= e.perm & 7;
    else if (e.tag === ACL_MASK) { bits = (bits & ~0o70) | ((e.perm & 7) << 3); equiv = false; } else equiv = false;
  }
  return { bits, equiv };
}

// posix_acl_chmod: the owner, mask (or group, without a mask) and other entries follow the mode.
export function chmodAcl(list: AclEntry[], mode: number): AclEntry[] {
  const hasMask = list.some((e) => e.tag === ACL_MASK);
  return list.map((e) => {
    if (e.tag === ACL_USER_OBJ) return { ...e, perm: (mode >> 6) & 7 };
    if (e.tag === ACL_MASK || (e.tag === ACL_GROUP_OBJ && !hasMask)) return { ...e, perm: (mode >> 3) & 7 };
    if (e.tag === ACL_OTHER) return { ...e, perm: mode & 7 };
    return e;
  });
}

// posix_acl_permission for a caller that does not own the file: the first
// entry that names it (a named user, then the groups it is in), limited by
// the mask; other when no group entry matched.
export function aclPermits(list: AclEntry[], fileGid: number, cred: Cred, want: number): boolean {
  const inGroup = (g: number) => cred.fsgid === g || cred.groups.includes(g);
  const mask = list.find((e) => e.tag === ACL_MASK);
  const masked = (perm: number) => ((mask ? perm & mask.perm : perm) & want) === want;
  let found = false;
  for (const e of list) {
    if (e.tag === ACL_USER && e.id === cred.fsuid) return masked(e.perm);
  }
  for (const e of list) {
    const g = e.tag === ACL_GROUP_OBJ ? fileGid : e.tag === ACL_GROUP ? e.id : -1;
    if (g >= 0 && inGroup(g)) {
      found = true;
      if ((e.perm & want) === want) return masked(e.perm);
    }
  }
  if (found) return false;
  const other = list.find((e) => e.tag === ACL_OTHER);
  return other !== undefined && (other.perm & want) === want;
}

// An ACL being set (posix_acl_xattr_set, ext4_set_acl): the owner's or
// CAP_FOWNER's to set; a default ACL only on a directory; an access ACL
// sets the mode's bits, and is not kept when the mode says it all (value
// null). The value to store in ext4's form, and the inode's new mode.
export function aclToStore(inode: { uid: number; gid: number; mode: number }, cred: TaskCred | null, isDefault: boolean, v: Uint8Array): { value: Uint8Array | null; mode: number } {
  if (cred && cred.fsuid !== inode.uid && !hasCap(cred, CAP_FOWNER)) kerr(EPERM);
  const list = parseVfsAcl(v);
  if (!list) return kerr(EINVAL);
  if (isDefault) {
    if (!isDir(inode.mode)) kerr(EACCES);
    return { value: toExt4Acl(list), mode: inode.mode };
  }
  const m = aclMode(list);
  let mode = (inode.mode & ~0o777) | m.bits;
  // posix_acl_update_mode: set-group-ID goes unless the caller is in the group or has CAP_FSETID.
  if (cred && cred.fsgid !== inode.gid && !cred.groups.includes(inode.gid) && !hasCap(cred, CAP_FSETID)) mode &= ~0o2000;
  return { value: m.equiv ? null : toExt4Acl(list), mode };
}

// posix_acl_create_masq: a new inode's ACL from its directory's default
// one, each entry limited by the mode asked for and the mode by it. The
// new mode, and the access ACL to keep (null when the mode says it all).
export function aclCreate(dflt: AclEntry[], mode: number): { mode: number; access: AclEntry[] | null } {
  const acl = dflt.map((e) => ({ ...e }));
  let m = mode, equiv = true;
  let groupObj: AclEntry | null = null, maskObj: AclEntry | null = null;
  for (const e of acl) {
    if (e.tag === ACL_USER_OBJ) { e.perm &= (m >> 6) & 7; m &= (e.perm << 6) | ~0o700; } else if (e.tag === ACL_USER || e.tag === ACL_GROUP) equiv = false;
    else if (e.tag === ACL_GROUP_OBJ) groupObj = e;
    else if (e.tag === ACL_OTHER) { e.perm &= m & 7; m &= e.perm | ~0o7; } else if (e.tag === ACL_MASK) { maskObj = e; equiv = false; }
  }
  const g = maskObj ?? groupObj;
  if (g) { g.perm &= (m >> 3) & 7; m &= (g.perm << 3) | ~0o70; }
  return { mode: m, access: equiv ? null : acl };
}
