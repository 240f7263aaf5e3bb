// Mount propagation, as Linux's fs/pnode.c (Documentation/filesystems/
// sharedsubtree.rst): a shared mount belongs to a peer group whose members
// see each other's mounts and unmounts; a slave receives its master group's
// events and sends none; a private mount neither sends nor receives; an
// unbindable one is private and cannot be bind mounted. Copies of a tree
// (bind mounts, new mount namespaces) keep their originals' propagation.

import { KernelLocal } from "../kernel/local.js";
import { runningKernel } from "../kernel/running.js";
import { Mount, PeerGroup, attachMount, detachMount, followMounts, type Dentry, type Path } from "./dentry.js";

// Peer group ids, the smallest free one first (Linux's mnt_group_ida).
class GroupIds {
  private readonly used = new Set<number>();
  alloc(): number {
    let id = 1;
    while (this.used.has(id)) id++;
    this.used.add(id);
    return id;
  }
  free(id: number): void { this.used.delete(id); }
}
const GROUP_IDS = new KernelLocal("mount peer group ids", () => new GroupIds());
let noKernelIds: GroupIds | null = null;
const groupIds = () => { const k = runningKernel(); return k ? k.local(GROUP_IDS) : (noKernelIds ??= new GroupIds()); };

export function isBelow(d: Dentry, top: Dentry): boolean {
  for (let x: Dentry | null = d; x; x = x.parent) if (x === top) return true;
  return false;
}

// Every mount below m (m included), parents first.
export function subtree(m: Mount): Mount[] {
  const out = [m];
  for (const c of m.children.values()) out.push(...subtree(c));
  return out;
}

function joinGroup(m: Mount, g: PeerGroup): void { m.group = g; g.members.add(m); }
function setMaster(m: Mount, g: PeerGroup | null): void {
  m.master?.slaves.delete(m);
  m.master = g;
  g?.slaves.add(m);
}

// m stops being a peer; a group left empty hands its slaves to its own
// master, if any (as Linux's do_make_slave passes them up), else frees them.
function leaveGroup(m: Mount): void {
  const g = m.group;
  if (!g) return;
  g.members.delete(m);
  m.group = null;
  if (g.members.size) return;
  const up = [...g.members][0]?.master ?? m.master;
  for (const s of [...g.slaves]) setMaster(s, up && up !== g ? up : null);
  groupIds().free(g.id);
}

export function makeShared(m: Mount): void {
  if (m.group) return;
  m.unbindable = false;
  joinGroup(m, new PeerGroup(groupIds().alloc()));
}

export function makePrivate(m: Mount): void {
  leaveGroup(m);
  setMaster(m, null);
  m.unbindable = false;
}

// A slave of the group it was a peer in; a mount with no peers and no
// master becomes private (Linux's do_make_slave).
export function makeSlave(m: Mount): void {
  const g = m.group;
  if (g && g.members.size > 1) {
    leaveGroup(m);
    setMaster(m, g);
  } else if (g) {
    const master = m.master;
    leaveGroup(m);
    setMaster(m, master);
  }
  m.unbindable = false;
}

export function makeUnbindable(m: Mount): void {
  makePrivate(m);
  m.unbindable = true;
}

// A copy of one mount, with the same filesystem, root and flags. keep: it
// takes its original's propagation (a peer of a shared one, a slave of the
// same master), as clone_mnt without CL_PRIVATE.
export function cloneMount(m: Mount, root: Dentry, keep: boolean): Mount {
  const c = new Mount(m.sb, root, null, null, m.flags, m.source, m.fsType);
  if (keep) {
    if (m.group) joinGroup(c, m.group);
    if (m.master) setMaster(c, m.master);
    c.unbindable = m.unbindable;
  }
  return c;
}

// A copy of the tree at m from dentry root down: the mounts below root come
// along (recursive: all of them; else none). map records copy by original.
export function copyTree(m: Mount, root: Dentry, recursive: boolean, keep: boolean, map?: Map<Mount, Mount>): Mount {
  const top = cloneMount(m, root, keep);
  map?.set(m, top);
  if (!recursive) return top;
  for (const [d, child] of m.children) {
    if (!isBelow(d, root)) continue;
    // Unbindable mounts below a bind mount's source are left out (CL_COPY_UNBINDABLE only for namespaces).
    if (child.unbindable && !map) continue;
    attachMount({ mnt: top, dentry: d }, copyTree(child, child.root, true, keep, map));
  }
  return top;
}

// Every mount that receives the events of mount m: its peers, and
// the slaves of every group reached, with their own peers in turn.
// asPeer: whether the receiver is in m's own group.
function receivers(m: Mount): { mnt: Mount; asPeer: boolean }[] {
  const out: { mnt: Mount; asPeer: boolean }[] = [];
  if (!m.group) return out;
  const seen = new Set<PeerGroup>([m.group]);
  const queue: [PeerGroup, boolean][] = [[m.group, true]];
  while (queue.length) {
    const [g, peer] = queue.shift()!;
    for (const p of g.members) if (p !== m) out.push({ mnt: p, asPeer: peer });
    for (const s of g.slaves) {
      out.push({ mnt: s, asPeer: false });
      if (s.group && !seen.has(s.group)) { seen.add(s.group); queue.push([s.group, false]); for (const p of s.group.members) if (p !== s) out.push({ mnt: p, asPeer: false }); }
    }
  }
  return out;
}

// Attaches src at where, as attach_recursive_mnt: a tree mounted under a
// shared mount becomes shared, and a copy of it is mounted at the same
// place below every receiver that sees that place (peers get peers,
// slaves get slaves).
export function attachPropagated(where: Path, src: Mount): void {
  const dest = where.mnt;
  const fresh = new Set(subtree(src));
  if (dest.group) for (const m of fresh) if (!m.group) makeShared(m);
  attachMount(where, src);
  for (const r of receivers(dest)) {
    // The tree being mounted is skipped (a bind of a shared mount is its own peer: IS_MNT_NEW).
    if (fresh.has(r.mnt) || !isBelow(where.dentry, r.mnt.root)) continue;
    const copy = copyTree(src, src.root, true, true);
    if (!r.asPeer) for (const m of subtree(copy)) { const g = m.group; if (g) { leaveGroup(m); setMaster(m, g); } }
    attachMount(followMounts({ mnt: r.mnt, dentry: where.dentry }), copy);
  }
}

// Detaches m, and the copies propagation made of it below its parent's
// receivers (a copy that has mounts of its own stays, as Linux's
// propagate_umount leaves busy ones).
export function detachPropagated(m: Mount): Mount[] {
  const gone = [m];
  const parent = m.parent, d = m.mountpoint;
  if (parent && d) {
    for (const r of receivers(parent)) {
      const c = r.mnt.children.get(d);
      if (c && c !== m && c.sb === m.sb && c.root === m.root && c.children.size === 0) gone.push(c);
    }
  }
  for (const x of gone) {
    detachMount(x);
    for (const y of subtree(x)) { leaveGroup(y); setMaster(y, null); }
  }
  return gone;
}

// The optional fields of a mountinfo line (proc(5)).
export function propagationFields(m: Mount): string {
  const f: string[] = [];
  if (m.group) f.push(`shared:${m.group.id}`);
  if (m.master) f.push(`master:${m.master.id}`);
  if (m.unbindable) f.push("unbindable");
  return f.join(" ");
}
