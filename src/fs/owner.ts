// Who owns a new inode, and with which mode: Linux's inode_init_owner and
// mode_strip_sgid, shared by the filesystems that store owners (tmpfs, hostfs).

import { CAP_FSETID } from "../abi/prctl.js";
import { S_ISGID, S_ISUID, S_IXGRP } from "../abi/fcntl.js";
import { S_IFDIR, S_IFMT, type Cred, type Inode } from "./inode.js";

export interface NewOwner { uid: number; gid: number; mode: number }

// The caller's group, or a supplementary one (Linux's in_group_p on fsgid).
export function inGroup(cred: Cred, gid: number): boolean {
  return cred.fsgid === gid || cred.groups.includes(gid);
}

function capable(cred: Cred, cap: number): boolean {
  const eff = (cred as { capEff?: bigint }).capEff;
  return eff === undefined ? cred.fsuid === 0 : (eff & (1n << BigInt(cap))) !== 0n;
}

// As inode_init_owner: the owner is the creator's fsuid; the group is its
// fsgid, unless the parent directory is set-group-ID: then the directory's
// group, and a new directory is set-group-ID as well. A set-group-ID,
// group-executable non-directory made there by someone outside that group
// without CAP_FSETID loses the bit (mode_strip_sgid).
// As vfs_prepare_mode (Linux 6.0+): the mode a creating call asks for loses
// its set-group-ID bit first (mode_strip_sgid, on the bits asked for), and
// only then the umask; so a umask that clears S_IXGRP cannot keep the bit
// on a file made in someone else's set-group-ID directory (CVE-2021-4037).
export function prepareMode(dir: Inode, mode: number, umask: number, cred: Cred): number {
  return stripSgid(dir, mode & 0o7777, cred) & ~umask;
}

function stripSgid(dir: Inode, mode: number, cred: Cred): number {
  if ((mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP) || !(dir.mode & S_ISGID)) return mode;
  return inGroup(cred, dir.gid) || capable(cred, CAP_FSETID) ? mode : mode & ~S_ISGID;
}

// The set-id bits chown takes from a non-directory (Linux's chown_common asks
// notify_change for ATTR_KILL_SUID | ATTR_KILL_SGID, even as root and even for
// chown(-1, -1)): set-user-ID always; set-group-ID when it is group-executable,
// or else when the caller is neither in the file's group nor has CAP_FSETID
// (setattr_should_drop_sgid; a S_ISGID without S_IXGRP is mandatory locking).
export function chownKilledBits(inode: Inode, cred: Cred): number {
  if ((inode.mode & S_IFMT) === S_IFDIR) return 0;
  let kill = inode.mode & S_ISUID;
  if (inode.mode & S_ISGID) {
    if ((inode.mode & S_IXGRP) || (!inGroup(cred, inode.gid) && !capable(cred, CAP_FSETID))) kill |= S_ISGID;
  }
  return kill;
}

export function newOwner(dir: Inode, mode: number, cred: Cred): NewOwner {
  if (!(dir.mode & S_ISGID)) return { uid: cred.fsuid, gid: cred.fsgid, mode };
  const gid = dir.gid;
  if ((mode & S_IFMT) === S_IFDIR) return { uid: cred.fsuid, gid, mode: mode | S_ISGID };
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) && !inGroup(cred, gid) && !capable(cred, CAP_FSETID)) mode &= ~S_ISGID;
  return { uid: cred.fsuid, gid, mode };
}
