// /proc/PID/mounts and /proc/PID/mountinfo: the mount table of the task's
// namespace, seen from its root (mounts outside it are left out, as
// show_vfsmnt skips them). Both can be polled for changes, as Linux's
// mounts_poll: always readable, and POLLERR|POLLPRI once after each mount,
// umount, move or remount since the file was opened or last polled (the
// namespace's event counter). findmnt --poll, systemd and udisks watch the
// table this way.

import { POLLIN, POLLRDNORM, POLLERR, POLLPRI } from "../../abi/poll.js";
import type { File, FileOps } from "../file.js";
import type { Task } from "../../kernel/task.js";
import { ProcFile } from "./nodes.js";
import { pathFromRoot, Dentry, Mount, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOSYMFOLLOW, MNT_NOATIME, MNT_NODIRATIME, MNT_STRICTATIME, type Path } from "../dentry.js";
import { propagationFields } from "../pnode.js";
import { major, minor } from "../char_dev.js";

export class ProcMountsFile extends ProcFile {
  constructor(private readonly t: Task, key: string, generate: () => string) { super(key, generate); }
  override openOps(f: File): FileOps {
    const ns = this.t.ns.mnt;
    let seen = ns.events;
    return {
      ...super.openOps(f),
      poll: () => {
        if (seen === ns.events) return POLLIN | POLLRDNORM;
        seen = ns.events;
        return POLLIN | POLLRDNORM | POLLERR | POLLPRI;
      },
      waitQueue: () => ns.eventWait,
      pollableRegular: true,
    };
  }
}

function mountOpts(m: Mount): string {
  return [(m.flags & MNT_RDONLY) || m.sb.readOnly ? "ro" : "rw", ...(m.flags & MNT_NOSUID ? ["nosuid"] : []),
    ...(m.flags & MNT_NODEV ? ["nodev"] : []), ...(m.flags & MNT_NOEXEC ? ["noexec"] : []), ...(m.flags & MNT_NOATIME ? ["noatime"] : []),
    ...(m.flags & MNT_NODIRATIME ? ["nodiratime"] : []), ...(m.flags & (MNT_NOATIME | MNT_STRICTATIME) ? [] : ["relatime"]),
    ...(m.flags & MNT_NOSYMFOLLOW ? ["nosymfollow"] : [])].join(",");
}

// The task's namespace's mounts under its root, parents before children, with where each is.
function visibleMounts(t: Task): { m: Mount; where: string }[] {
  const out: { m: Mount; where: string }[] = [];
  const root: Path = t.fs.root;
  const walk = (m: Mount) => {
    const p = pathFromRoot({ mnt: m, dentry: m.root }, root);
    if (p.reachable) out.push({ m, where: p.name });
    for (const c of m.children.values()) walk(c);
  };
  if (t.ns.mnt.root) walk(t.ns.mnt.root);
  return out;
}

export function mountsText(t: Task): string {
  return visibleMounts(t).map(({ m, where }) => `${m.source} ${esc(where)} ${m.fsType} ${mountOpts(m)} 0 0\n`).join("");
}

// Where a mount's root lies inside its filesystem (a bind mount of a subtree).
function rootInFs(m: Mount): string {
  const parts: string[] = [];
  for (let d: Dentry | null = m.root; d?.parent; d = d.parent) parts.push(d.name);
  return "/" + parts.reverse().join("/");
}

// Octal escapes for the separators, as Linux's seq_path/show_mountinfo do.
const esc = (s: string) => s.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));

// /proc/[pid]/mountinfo (proc(5)): id, parent id, st_dev, root, mount point,
// per-mount options, propagation fields, then type, source and the
// superblock's options.
export function mountinfoText(t: Task): string {
  return visibleMounts(t).map(({ m, where }) => {
    const dev = `${major(m.sb.dev)}:${minor(m.sb.dev)}`;
    const prop = propagationFields(m);
    return `${m.id} ${m.parent?.id ?? m.id} ${dev} ${esc(rootInFs(m))} ${esc(where)} ${mountOpts(m)}${prop ? " " + prop : ""} - ${m.fsType} ${esc(m.source)} ${m.sb.readOnly ? "ro" : "rw"}\n`;
  }).join("");
}
