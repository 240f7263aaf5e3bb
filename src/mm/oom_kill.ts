// The OOM killer (Linux's mm/oom_kill.c, reduced to its choice): when no
// page can be freed, the process with the most resident memory dies.

import { SIGKILL } from "../abi/signal.js";
import type { Kernel } from "../kernel/kernel.js";
import type { ThreadGroup } from "../kernel/task.js";

// The OOM killer: the process with the most resident memory dies (never pid 1
// while another candidate exists). Returns the victim, or null.
export function oomKill(k: Kernel): ThreadGroup | null {
  let victim: ThreadGroup | null = null;
  let most = -1;
  for (const g of k.groups.values()) {
    if (g.zombie || g.exiting || g.threads.size === 0) continue;
    const rss = [...g.threads][0].mm.rssPages + (g.pid === 1 ? -1e12 : 0);
    if (rss > most) { most = rss; victim = g; }
  }
  if (victim) {
    const comm = [...victim.threads][0]?.comm;
    k.diag(`ghost: out of memory: killed process ${victim.pid} (${comm})\n`);
    k.log.log(3, `Out of memory: Killed process ${victim.pid} (${comm}) anon-rss:${most * 4}kB`);
    k.exitGroup(victim, SIGKILL, "signal");
  }
  return victim;
}
