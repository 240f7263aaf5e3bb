// The kernel's writeback tunables and dirty count (mm/writeback.ts), one
// set per kernel: /proc/sys/vm and /proc/meminfo read them, a disk
// filesystem's page cache (ext4/pagecache.ts) follows them.

import { KernelLocal } from "../kernel/local.js";
import { defaultWriteback, type WritebackTunables } from "../mm/writeback.js";

export const WRITEBACK = new KernelLocal<WritebackTunables>("writeback", () => defaultWriteback());
