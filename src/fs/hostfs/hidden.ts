// Where hostfs keeps files that lost their last name while open (NFS's
// "silly rename"): one hidden directory per mount and run, made on first
// need in the mount's root as ".ghost-unlinked-<pid>-<128 random bits>",
// mode 0700. The guest can neither see nor name anything with that prefix in
// the root (hostfs answers ENOENT and refuses to create such names), so it
// cannot plant anything there; the files inside have random names too.
//
// The directory and its files go at the last close, at exit, and on SIGINT,
// SIGTERM and SIGHUP; what a SIGKILL leaves is swept by the next mount of the
// same host directory once the owner pid is dead.

import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import { HIDDEN_PREFIX, at, eachName, openPath, randomName } from "./hostcalls.js";

// Hidden directories this process made (so that a sweep never takes one of
// ours, whatever the pid says: a container often reuses the same pid).
const ours = new Set<string>();
const live = new Set<HiddenDir>();

export class HiddenDir {
  private fd = -1;
  private name = "";
  // Names (in the directory) of files still there.
  readonly files = new Set<string>();
  constructor(private readonly rootFd: number) {}

  /** Whether the directory exists now (it adds a link to the root). */
  get exists(): boolean { return this.fd >= 0; }

  /** The directory's descriptor; made on first use. */
  dirFd(): number {
    if (this.fd >= 0) return this.fd;
    const name = randomName();
    fs.mkdirSync(at(this.rootFd, name), { mode: 0o700 });
    ours.add(name);
    this.fd = openPath(this.rootFd, name, true);
    this.name = name;
    live.add(this);
    installHooks();
    return this.fd;
  }

  /** A fresh name in the directory. */
  newName(): string { return randomBytes(16).toString("hex"); }

  /** The file `name` no longer needs keeping: removed, and the directory too once empty. */
  remove(name: string): void {
    this.files.delete(name);
    if (this.fd < 0) return;
    try { fs.unlinkSync(at(this.fd, name)); } catch { /* gone already */ }
    if (this.files.size === 0) this.cleanup();
  }

  /** Removes every hidden file and the directory (exit, signals, or empty). */
  cleanup(): void {
    if (this.fd < 0) return;
    for (const n of this.files) try { fs.unlinkSync(at(this.fd, n)); } catch { /* gone */ }
    this.files.clear();
    try { fs.rmdirSync(at(this.rootFd, this.name)); } catch { /* not empty or gone */ }
    try { fs.closeSync(this.fd); } catch { /* closed */ }
    live.delete(this);
    this.fd = -1;
    this.name = "";
  }
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as { code?: string }).code === "EPERM"; }
}

/**
 * Removes what a Ghost run killed without a chance to clean up left in the
 * root rootFd: hidden directories (and the single hidden files of older
 * versions) whose owner pid is not running, and those of this pid that this
 * process did not make.
 */
export function sweep(rootFd: number): void {
  try { eachName(rootFd, (name) => sweepOne(rootFd, name)); } catch { /* not readable */ }
}

function sweepOne(rootFd: number, name: string): void {
  const m = /^\.ghost-unlinked-(\d+)-/.exec(name);
  if (!m || !name.startsWith(HIDDEN_PREFIX) || ours.has(name)) return;
  const pid = Number(m[1]);
  if (pid !== process.pid && pidAlive(pid)) return;
  try {
    const st = fs.lstatSync(at(rootFd, name));
    if (st.isDirectory()) {
      const fd = openPath(rootFd, name, true);
      try {
        for (const n of fs.readdirSync(at(fd), { encoding: "buffer" })) {
          try { fs.unlinkSync(at(fd, n.toString("latin1"))); } catch { /* not ours to judge */ }
        }
      } finally { fs.closeSync(fd); }
      fs.rmdirSync(at(rootFd, name));
    } else if (!st.isSymbolicLink()) {
      fs.unlinkSync(at(rootFd, name));
    }
  } catch { /* another sweeper, or not empty: left */ }
}

function cleanupAll(): void { for (const h of [...live]) h.cleanup(); }

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let hooked = false;

// Cleanup on every way out that runs code. At exit always. On a signal: if
// another handler is installed it decides what happens (it exits, and the
// exit hook runs; or it forwards the signal to the guest, which goes on and
// still needs its files); if this is the only one, the signal's default
// action is kept by cleaning up, removing the handler and raising it again.
function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", cleanupAll);
  for (const sig of SIGNALS) {
    const onSignal = (): void => {
      if (process.listenerCount(sig) > 1) return;
      cleanupAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
