// The fair run queue's timeline: a balanced binary search tree (AVL) of
// entities ordered by virtual deadline, each node augmented with the
// minimum vruntime and the minimum slice of its subtree. Insert, erase and
// the EEVDF search are O(log n); the leftmost node (earliest deadline) is
// cached.
//
// Entities with equal deadlines keep their insertion order: a new entity
// goes after every queued one with the same deadline (as an rbtree insert
// that descends right on ties does). `seq` breaks the tie.

export interface TreeNode {
  deadline: number;
  vruntime: number;
  slice: number;
  // Maintained by the tree.
  left: TreeNode | null;
  right: TreeNode | null;
  height: number;
  minVruntime: number;
  minSlice: number;
  seq: number;
}

function height(n: TreeNode | null): number { return n ? n.height : 0; }

function before(a: TreeNode, b: TreeNode): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

// Recomputes a node's height and augmented minima from its children.
function pull(n: TreeNode): void {
  const l = n.left, r = n.right;
  n.height = 1 + Math.max(height(l), height(r));
  let mv = n.vruntime, ms = n.slice;
  if (r) { if (r.minVruntime < mv) mv = r.minVruntime; if (r.minSlice < ms) ms = r.minSlice; }
  if (l) { if (l.minVruntime < mv) mv = l.minVruntime; if (l.minSlice < ms) ms = l.minSlice; }
  n.minVruntime = mv;
  n.minSlice = ms;
}

function rotateRight(n: TreeNode): TreeNode {
  const l = n.left!;
  n.left = l.right;
  l.right = n;
  pull(n);
  pull(l);
  return l;
}

function rotateLeft(n: TreeNode): TreeNode {
  const r = n.right!;
  n.right = r.left;
  r.left = n;
  pull(n);
  pull(r);
  return r;
}

function balance(n: TreeNode): TreeNode {
  pull(n);
  const bf = height(n.left) - height(n.right);
  if (bf > 1) {
    if (height(n.left!.left) < height(n.left!.right)) n.left = rotateLeft(n.left!);
    return rotateRight(n);
  }
  if (bf < -1) {
    if (height(n.right!.right) < height(n.right!.left)) n.right = rotateRight(n.right!);
    return rotateLeft(n);
  }
  return n;
}

export class DeadlineTree<T extends TreeNode> {
  root: T | null = null;
  private first: T | null = null;
  private seq = 0;
  size = 0;

  // The entity with the earliest deadline.
  leftmost(): T | null { return this.first; }

  insert(n: T): void {
    n.left = n.right = null;
    n.height = 1;
    n.minVruntime = n.vruntime;
    n.minSlice = n.slice;
    n.seq = this.seq++;
    this.root = this.ins(this.root, n) as T;
    this.size++;
    if (!this.first || before(n, this.first)) this.first = n;
  }

  erase(n: T): void {
    this.root = this.del(this.root, n) as T | null;
    n.left = n.right = null;
    this.size--;
    if (this.first === n) {
      let m = this.root as TreeNode | null;
      while (m && m.left) m = m.left;
      this.first = m as T | null;
    }
  }

  private ins(at: TreeNode | null, n: TreeNode): TreeNode {
    if (!at) return n;
    if (before(n, at)) at.left = this.ins(at.left, n);
    else at.right = this.ins(at.right, n);
    return balance(at);
  }

  private del(at: TreeNode | null, n: TreeNode): TreeNode | null {
    if (!at) throw new Error("sched: erasing an entity that is not in the tree");
    if (at === n) {
      if (!at.left) return at.right;
      if (!at.right) return at.left;
      // Replace by the in-order successor.
      let s = at.right;
      while (s.left) s = s.left;
      const right = this.removeMin(at.right);
      s.right = right;
      s.left = at.left;
      return balance(s);
    }
    if (before(n, at)) at.left = this.del(at.left, n);
    else at.right = this.del(at.right, n);
    return balance(at);
  }

  private removeMin(at: TreeNode): TreeNode | null {
    if (!at.left) return at.right;
    at.left = this.removeMin(at.left);
    return balance(at);
  }

  // In deadline order (for /proc and tests).
  *[Symbol.iterator](): IterableIterator<T> {
    const stack: TreeNode[] = [];
    let n = this.root as TreeNode | null;
    while (n || stack.length) {
      while (n) { stack.push(n); n = n.left; }
      n = stack.pop()!;
      yield n as T;
      n = n.right;
    }
  }

  // Checks every invariant (tests).
  check(): void {
    let count = 0;
    const walk = (n: TreeNode | null, lo: TreeNode | null, hi: TreeNode | null): number => {
      if (!n) return 0;
      count++;
      if (lo && !before(lo, n)) throw new Error("tree order violated");
      if (hi && !before(n, hi)) throw new Error("tree order violated");
      const hl = walk(n.left, lo, n), hr = walk(n.right, n, hi);
      if (Math.abs(hl - hr) > 1) throw new Error("tree unbalanced");
      if (n.height !== 1 + Math.max(hl, hr)) throw new Error("tree height wrong");
      let mv = n.vruntime, ms = n.slice;
      for (const c of [n.left, n.right]) if (c) { mv = Math.min(mv, c.minVruntime); ms = Math.min(ms, c.minSlice); }
      if (mv !== n.minVruntime || ms !== n.minSlice) throw new Error("tree augmentation wrong");
      return n.height;
    };
    walk(this.root, null, null);
    if (count !== this.size) throw new Error("tree size wrong");
    let m = this.root as TreeNode | null;
    while (m && m.left) m = m.left;
    if (m !== this.first) throw new Error("tree leftmost cache wrong");
  }
}
