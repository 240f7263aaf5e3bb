// hostfs's dentry and inode cache: names looked up in a host directory are
// kept (with their inodes) so that a path walk does not rebuild them, but
// they cost the host's heap, so each is charged to guest RAM (mm/budget.ts)
// and the cache is a shrinker (mm/phys.ts), as Linux's dcache and icache
// are: under memory pressure, and on `echo 2 > /proc/sys/vm/drop_caches`,
// unused dentries go, least recently used first, with a second chance for
// one found again since (DCACHE_REFERENCED). Unused: a leaf of the cache
// (no cached children) with nothing mounted on it. A dropped dentry an open
// file or a working directory still holds keeps working (its parent link
// stays); the next lookup of its name makes a new one for the same inode
// (superblock's inode table).

import { HOST_DENTRY_COST, type MemBudget } from "../../mm/budget.js";
import type { Shrinker } from "../../mm/phys.js";
import type { DentryLru } from "../inode.js";
import type { Dentry } from "../dentry.js";

// What one shrink under pressure frees at least: enough that the charge
// that asked fits, few enough that the cache stays warm.
const SHRINK_BATCH = 256;

export class HostDentryCache implements DentryLru, Shrinker {
  private readonly lru = new Map<Dentry, true>();

  constructor(private readonly mem: MemBudget | null) {}

  get size(): number { return this.lru.size; }

  add(d: object): boolean {
    const de = d as Dentry;
    if (this.lru.has(de)) return true;
    if (this.mem && !this.mem.tryCharge("slab", HOST_DENTRY_COST)) return false;
    this.lru.set(de, true);
    return true;
  }

  forget(d: object): void {
    if (this.lru.delete(d as Dentry)) this.mem?.uncharge("slab", HOST_DENTRY_COST);
  }

  // An eighth of the cache (at least a batch) under pressure; all: every
  // unused dentry, pass after pass while leaves that go make their parents
  // leaves.
  shrink(all: boolean): boolean {
    let freed = 0;
    if (!all) {
      const want = Math.max(SHRINK_BATCH, this.lru.size >> 3);
      // A dentry given its second chance moves to the end: seen once more
      // at most in this walk, then unreferenced.
      for (const d of this.lru.keys()) {
        if (freed >= want) break;
        if (d.referenced) { d.referenced = false; this.lru.delete(d); this.lru.set(d, true); continue; }
        if (this.evict(d)) freed++;
      }
      return freed > 0;
    }
    for (let n = -1; n !== freed;) {
      n = freed;
      for (const d of [...this.lru.keys()]) if (this.evict(d)) freed++;
    }
    return freed > 0;
  }

  private evict(d: Dentry): boolean {
    if (d.children.size > 0 || d.mountedHere) return false;
    const p = d.parent;
    if (p && p.children.get(d.name) === d) p.children.delete(d.name);
    d.referenced = false;
    this.lru.delete(d);
    this.mem?.uncharge("slab", HOST_DENTRY_COST);
    return true;
  }
}
