// State a subsystem keeps per kernel. Two kernels in one process (tests, the
// library, a browser page) share nothing: what a subsystem would otherwise
// hold in a module-level table lives on the Kernel object, created on first
// use. A subsystem declares its slot once:
//
//   const NAMES = new KernelLocal("af_unix names", () => new UnixNames());
//   ... k.local(NAMES).lookup(key)
//
// Lower layers (kernel/) keep plain fields on Kernel instead; a slot is for
// the layers above it (fs, net, drivers, ipc), which kernel.ts must not import.

import type { Kernel } from "./kernel.js";

export class KernelLocal<T> {
  constructor(readonly name: string, readonly init: (k: Kernel) => T) {}
}

// The table behind Kernel.local(): one value per slot.
export class KernelLocals {
  private readonly values = new Map<KernelLocal<unknown>, unknown>();
  get<T>(k: Kernel, slot: KernelLocal<T>): T {
    if (this.values.has(slot)) return this.values.get(slot) as T;
    const v = slot.init(k);
    this.values.set(slot, v);
    return v;
  }
}
