// Dentries and mounts: the name tree above inodes. A Path is a (mount,
// dentry) pair, as Linux's struct path; `..` at a mount's root climbs to the
// mountpoint in the parent mount.

import { fsCounters, type Inode, type SuperBlock } from "./inode.js";

export class Dentry {
  readonly children = new Map<string, Dentry>();
  // Mounts whose mountpoint is this dentry, keyed by the parent mount.
  mountedHere = 0;
  // A stand-in for a file that has no path (a pipe, a memfd) reached through
  // a magic link (/proc/PID/fd/N): opening it opens that file's inode again.
  // ownOps: the inode opens itself (a host stdio pipe), not as a FIFO.
  pseudo: { memfdName: string; ownOps?: boolean } | null = null;
  // Found in the cache since the shrinker last looked (DCACHE_REFERENCED).
  referenced = false;
  constructor(public name: string, public parent: Dentry | null, public inode: Inode) {}

  child(name: string): Dentry | null {
    // Filesystems whose names come and go on their own (procfs) are looked up afresh.
    const cache = !this.inode.sb.volatileNames;
    const cached = cache ? this.children.get(name) : undefined;
    if (cached && (cached.mountedHere || this.inode.sb.nameValid(this.inode, name, cached.inode))) {
      cached.referenced = true;
      return cached;
    }
    if (cached) this.drop(name);
    const inode = this.inode.lookup(name);
    if (!inode) return null;
    const d = new Dentry(name, this, inode);
    const lru = this.inode.sb.dcache;
    if (cache && (!lru || lru.add(d))) this.children.set(name, d);
    return d;
  }

  // Forgets a name (after unlink, rmdir or rename).
  drop(name: string): void {
    const d = this.children.get(name);
    if (!d) return;
    this.children.delete(name);
    this.inode.sb.dcache?.forget(d);
  }

  // Linux's d_move: after a rename the dentry itself takes its new name and
  // parent, so open files, working directories and paths below it follow
  // the move (getcwd, /proc/PID/fd); whatever held the new name is unlinked.
  moveTo(parent: Dentry, name: string): void {
    if (this.parent?.children.get(this.name) === this) this.parent.drop(this.name);
    this.parent = parent;
    this.name = name;
    if (parent.children.get(name) !== this) parent.drop(name);
    const lru = parent.inode.sb.dcache;
    if (!parent.inode.sb.volatileNames && (!lru || lru.add(this))) parent.children.set(name, this);
  }
}

export const MNT_RDONLY = 1;
export const MNT_NOSUID = 2;
export const MNT_NODEV = 4;
export const MNT_NOEXEC = 8;
// Symlinks on this mount are not followed (ELOOP), as Linux's MNT_NOSYMFOLLOW (MS_NOSYMFOLLOW).
export const MNT_NOSYMFOLLOW = 16;
// Access-time modes: relatime unless one of these says otherwise.
export const MNT_NOATIME = 32;
export const MNT_NODIRATIME = 64;
export const MNT_STRICTATIME = 128;
export const MNT_ATIME_MASK = MNT_NOATIME | MNT_NODIRATIME | MNT_STRICTATIME;

// A peer group of shared mounts (pnode.ts): a mount or unmount below any
// member happens below every member, and below the slaves of the group.
export class PeerGroup {
  readonly members = new Set<Mount>();
  // Mounts that receive this group's events without sending theirs back.
  readonly slaves = new Set<Mount>();
  constructor(readonly id: number) {}
}

export class Mount {
  readonly id = ++fsCounters().mount;
  readonly children = new Map<Dentry, Mount>();
  // Propagation (pnode.ts): the peer group it shares events with (shared),
  // the group it receives from (slave), or neither (private); unbindable
  // mounts refuse bind mounts of themselves.
  group: PeerGroup | null = null;
  master: PeerGroup | null = null;
  unbindable = false;
  // Walks that entered this mount from its mount point, and their count
  // when umount2(MNT_EXPIRE) last marked it (null: not marked). A walk in
  // between is a use, which unmarks it as Linux's mntput does.
  crossings = 0;
  expiryMark: number | null = null;
  constructor(
    readonly sb: SuperBlock,
    readonly root: Dentry,
    public parent: Mount | null,
    public mountpoint: Dentry | null,
    public flags: number,
    readonly source: string,
    readonly fsType: string,
  ) {}
}

export interface Path { mnt: Mount; dentry: Dentry }

// The mount stacked on (mnt, dentry), if any, followed to the top of the stack.
export function followMounts(p: Path): Path {
  let cur = p;
  for (;;) {
    const m = cur.mnt.children.get(cur.dentry);
    if (!m) return cur;
    m.crossings++;
    cur = { mnt: m, dentry: m.root };
  }
}

export function attachMount(parent: Path, child: Mount): void {
  child.parent = parent.mnt;
  child.mountpoint = parent.dentry;
  parent.mnt.children.set(parent.dentry, child);
  parent.dentry.mountedHere++;
}

export function detachMount(m: Mount): void {
  if (m.parent && m.mountpoint) {
    m.parent.children.delete(m.mountpoint);
    m.mountpoint.mountedHere--;
  }
  m.parent = null;
  m.mountpoint = null;
}

// The absolute path of p as seen from root (for getcwd, /proc, maps).
export function pathName(p: Path, root: Path): string {
  return pathFromRoot(p, root).name;
}

// The path of p from root, and whether root was met on the way up: a path
// outside the root (a cwd left behind by chroot) is named from the top,
// which getcwd marks "(unreachable)" as Linux's prepend_path result says.
export function pathFromRoot(p: Path, root: Path): { name: string; reachable: boolean } {
  const parts: string[] = [];
  let mnt = p.mnt, d = p.dentry;
  let reachable = false;
  // Every step goes up one level: the guard only stops a corrupted tree.
  for (let guard = 0; guard < 1 << 24; guard++) {
    if (mnt === root.mnt && d === root.dentry) { reachable = true; break; }
    if (d === mnt.root) {
      if (!mnt.parent || !mnt.mountpoint) break;
      d = mnt.mountpoint;
      mnt = mnt.parent;
      continue;
    }
    parts.push(d.name);
    if (!d.parent) break;
    d = d.parent;
  }
  return { name: "/" + parts.reverse().join("/"), reachable };
}

// Linux's d_unlinked: the name this dentry was reached by no longer leads to
// its inode (unlinked, or renamed over). Pseudo filesystems make inodes on
// lookup, so their dentries are never "deleted".
export function unlinked(p: Path): boolean {
  const d = p.dentry;
  if (d.inode.dead) return true;
  if (!d.parent || d === p.mnt.root) return false;
  const fs = d.inode.sb.fsType;
  if (fs === "proc" || fs === "sysfs" || fs === "devpts") return false;
  try { return d.parent.inode.lookup(d.name)?.ino !== d.inode.ino; } catch { return true; }
}
