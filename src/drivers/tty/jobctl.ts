// Job control around terminals (credentials(7), termios(3), Linux's tty_jobctrl):
// controlling terminals per session, the foreground process group, signals
// to process groups, orphaned process groups, and what happens when a
// session leader or a process-group link goes away.

import { SIGHUP, SIGCONT, SI_KERNEL, SIG_IGN, sigmask } from "../../abi/signal.js";
import { sendSignal } from "../../kernel/signal.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Task, ThreadGroup } from "../../kernel/task.js";

// What jobctl needs of a terminal (drivers/tty/tty.ts's Tty).
export interface CttyLike {
  sid: number;
  pgrp: number;
  // Called when the session leader exits: hang up (console) or not (pty slave).
  leaderExited(): void;
}

export function live(tg: ThreadGroup): boolean { return !tg.zombie && !tg.exiting && tg.threads.size > 0; }

export function membersOf(k: Kernel, pgid: number): ThreadGroup[] {
  const out: ThreadGroup[] = [];
  for (const g of k.groups.values()) if (g.pgid === pgid && live(g)) out.push(g);
  return out;
}

// kill_pgrp from the kernel: every live process of the group gets sig.
export function signalPgrp(k: Kernel, pgid: number, sig: number): number {
  let n = 0;
  if (pgid <= 0) return 0;
  for (const g of membersOf(k, pgid)) { sendSignal(g, { signo: sig, code: SI_KERNEL }, false); n++; }
  return n;
}

// A process group is orphaned when no member has a parent in another group
// of the same session (a parent that is init does not count), POSIX's rule.
export function isOrphanedPgrp(k: Kernel, pgid: number, ignore: ThreadGroup | null = null): boolean {
  for (const g of membersOf(k, pgid)) {
    if (g === ignore) continue;
    const p = g.parent;
    if (!p || p === ignore || p.zombie || p.pid === 1) continue;
    if (p.pgid !== pgid && p.sid === g.sid) return false;
  }
  return true;
}

export function hasStoppedJobs(k: Kernel, pgid: number): boolean {
  return membersOf(k, pgid).some((g) => g.stopped);
}

// is_ignored: blocked by the thread, or set to SIG_IGN.
export function ignoresOrBlocks(t: Task, sig: number): boolean {
  return (t.sigmask & sigmask(sig)) !== 0n || t.sighand.actions[sig].handler === SIG_IGN;
}

export function cttyOf(tg: ThreadGroup): CttyLike | null { return (tg.ctty as CttyLike | null) ?? null; }

// Makes tty the controlling terminal of the calling process's session.
export function setCtty(tg: ThreadGroup, tty: CttyLike): void {
  tty.sid = tg.sid;
  tty.pgrp = tg.pgid;
  tg.ctty = tty;
}

// Every process of the session forgets its controlling terminal.
export function clearSessionCtty(k: Kernel, sid: number, tty: CttyLike | null): void {
  for (const g of k.groups.values()) {
    if (g.sid === sid && (tty === null || g.ctty === tty)) g.ctty = null;
  }
}

// The controlling terminal leaves the session: the session leader exited
// (onExit) or gave it up with TIOCNOTTY. The foreground group hears SIGHUP
// and SIGCONT; a console is hung up when its controlling process exits.
export function disassociateCtty(k: Kernel, leader: ThreadGroup, onExit: boolean): void {
  const tty = cttyOf(leader);
  if (!tty) return;
  const fg = tty.pgrp;
  if (fg) {
    signalPgrp(k, fg, SIGHUP);
    signalPgrp(k, fg, SIGCONT);
  }
  if (onExit) tty.leaderExited();
  clearSessionCtty(k, tty.sid, tty);
  tty.sid = 0;
  tty.pgrp = 0;
  leader.ctty = null;
}

// Runs when a process has exited (its threads are gone, it is a zombie and
// its children not yet handed to their new parent):
//  - a session leader's controlling terminal is hung up;
//  - a process group that this exit leaves orphaned with stopped members gets
//    SIGHUP then SIGCONT (POSIX), both the exiting process's own group and
//    its children's groups.
export function onGroupExit(k: Kernel, tg: ThreadGroup): void {
  if (tg.pid === tg.sid && tg.ctty) disassociateCtty(k, tg, true);
  const check = (pgid: number, sid: number, link: ThreadGroup | null) => {
    if (!link || link.pgid === pgid || link.sid !== sid) return;
    if (isOrphanedPgrp(k, pgid, tg) && hasStoppedJobs(k, pgid)) {
      signalPgrp(k, pgid, SIGHUP);
      signalPgrp(k, pgid, SIGCONT);
    }
  };
  check(tg.pgid, tg.sid, tg.parent);
  for (const c of tg.children) if (live(c)) check(c.pgid, c.sid, tg);
}
