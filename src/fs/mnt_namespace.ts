// Mount namespaces (Linux's copy_mnt_ns): a new namespace starts as a copy
// of its creator's whole tree, shared mounts staying peers of the originals
// so that propagation still crosses between the two; the creating task's
// root and working directory move to the copies of their mounts.

import { KernelLocal } from "../kernel/local.js";
import { MntNamespace } from "../kernel/nsproxy.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import type { Mount, Path } from "./dentry.js";
import type { SuperBlock } from "./inode.js";
import type { FsContext } from "./namei.js";
import { copyTree, subtree } from "./pnode.js";
import { fsnotifyUnmount } from "./notify.js";

export function allocNsInum(k: Kernel): number { return ++k.lastNsInum; }

export function copyMntNs(k: Kernel, old: MntNamespace, fs: FsContext): MntNamespace {
  if (!old.root) return new MntNamespace(allocNsInum(k), null);
  const map = new Map<Mount, Mount>();
  const root = copyTree(old.root, old.root.root, true, true, map);
  const move = (p: Path): Path => { const m = map.get(p.mnt); return m ? { mnt: m, dentry: p.dentry } : p; };
  fs.root = move(fs.root);
  fs.cwd = move(fs.cwd);
  return new MntNamespace(allocNsInum(k), root);
}

// The top of the tree m hangs in (a namespace's root for an attached mount).
export function topMount(m: Mount): Mount {
  let x = m;
  while (x.parent) x = x.parent;
  return x;
}

// Whether m is attached in namespace ns (Linux's check_mnt).
export function inNamespace(m: Mount, ns: MntNamespace): boolean { return ns.root !== null && topMount(m) === ns.root; }

// The namespaces tasks live in, each once.
export function liveNamespaces(k: Kernel): MntNamespace[] {
  const out = new Set<MntNamespace>([k.initNs.mnt]);
  for (const t of k.tasks.values()) out.add(t.ns.mnt);
  return [...out];
}

// Whether a superblock is still mounted anywhere (its last mount gone: kill_sb).
export function sbMounted(k: Kernel, sb: SuperBlock, detached: Mount[] = []): boolean {
  const skip = new Set(detached);
  for (const ns of liveNamespaces(k)) if (ns.root && subtree(ns.root).some((m) => m.sb === sb && !skip.has(m))) return true;
  return false;
}

// Instances unmounted while files were still open on them (a lazy unmount).
const LINGERING = new KernelLocal("lazily unmounted superblocks", () => new Set<SuperBlock>());

// kill_sb for an instance no longer mounted anywhere, once no open file
// holds it: after a lazy unmount (MNT_DETACH) with files open it lives on
// for them, and a mount of the same device meanwhile finds it again (sget).
export function killUnmounted(k: Kernel, sb: SuperBlock): void {
  const lingering = k.local(LINGERING);
  if (sbMounted(k, sb)) { lingering.delete(sb); return; }
  if (sb.openFiles > 0) {
    lingering.add(sb);
    sb.afterLastClose = () => killUnmounted(k, sb);
    return;
  }
  lingering.delete(sb);
  fsnotifyUnmount(sb);
  sb.kill();
}

// At power-off: the instances still held by open files, to shut down too.
export function lingeringSuperblocks(k: Kernel): SuperBlock[] {
  return [...k.local(LINGERING)];
}

// Called by every change of a namespace's mount table (touch_mnt_namespace):
// /proc/PID/mounts pollers of that namespace wake.
export function mountsChanged(t: Task): void {
  const ns = t.ns.mnt;
  ns.events++;
  ns.eventWait.wakeAll();
}
