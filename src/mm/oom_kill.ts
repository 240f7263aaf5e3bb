// The OOM killer (Linux's mm/oom_kill.c, reduced to its choice): when no
// page can be freed for a fault, the process with the highest badness dies.
// Badness is its resident pages plus oom_score_adj thousandths of RAM
// (oom_badness); oom_score_adj -1000 (OOM_SCORE_ADJ_MIN) makes a process
// unkillable by it. Kernel memory (tmpfs, pipes, sockets) belongs to no
// process and fails its own allocations instead (budget.ts).

import { SIGKILL } from "../abi/signal.js";
import { OOM_SCORE_ADJ_MIN } from "../abi/oom.js";
import type { Kernel } from "../kernel/kernel.js";
import type { ThreadGroup } from "../kernel/task.js";


// oom_badness: null for a process the killer never picks.
export function oomBadness(k: Kernel, g: ThreadGroup): number | null {
  if (g.zombie || g.exiting || g.threads.size === 0) return null;
  if (g.oomScoreAdj <= OOM_SCORE_ADJ_MIN) return null;
  const rss = [...g.threads][0].mm.rssPages;
  return rss + Math.trunc(g.oomScoreAdj * k.phys.frames / 1000);
}

// /proc/PID/oom_score: badness scaled to 0..2000 as proc_oom_score does (0 when unkillable).
export function oomScore(k: Kernel, g: ThreadGroup): number {
  const b = oomBadness(k, g);
  if (b === null) return 0;
  return Math.max(0, Math.trunc((1000 + Math.trunc(b * 1000 / Math.max(1, k.phys.frames))) * 2 / 3));
}

// The OOM killer: the process with the highest badness dies (pid 1 only when
// nothing else can). Returns the victim, or null.
export function oomKill(k: Kernel): ThreadGroup | null {
  let victim: ThreadGroup | null = null;
  let most = -Infinity;
  for (const g of k.groups.values()) {
    const b = oomBadness(k, g);
    if (b === null) continue;
    const score = b + (g.pid === 1 ? -1e12 : 0);
    if (score > most) { most = score; victim = g; }
  }
  if (victim) {
    const comm = [...victim.threads][0]?.comm;
    const rss = [...victim.threads][0]?.mm.rssPages ?? 0;
    k.diag(`ghost: out of memory: killed process ${victim.pid} (${comm})\n`);
    k.log.log(3, `Out of memory: Killed process ${victim.pid} (${comm}) anon-rss:${rss * 4}kB oom_score_adj:${victim.oomScoreAdj}`);
    k.exitGroup(victim, SIGKILL, "signal");
  }
  return victim;
}
