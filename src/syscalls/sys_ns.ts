// Namespaces from user space: the new ones clone and unshare make
// (CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC) and setns, which joins the
// namespace an open /proc/PID/ns file or a pidfd names.

import { kerr } from "../lib/errors.js";
import { EBADF, EINVAL, EPERM } from "../abi/errno.js";
import {
  CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME,
} from "../abi/clone.js";
import { CAP_SYS_ADMIN, CAP_SYS_CHROOT } from "../abi/prctl.js";
import { defineSyscalls } from "./table.js";
import { fdArg, u32Arg } from "./args.js";
import { IpcNamespace, UtsNamespace, type MntNamespace, type Namespace, type NsKind, type NsProxy } from "../kernel/nsproxy.js";
import { hasCap } from "../kernel/cred.js";
import type { Task } from "../kernel/task.js";
import type { FsContext } from "../fs/namei.js";
import { allocNsInum, copyMntNs } from "../fs/mnt_namespace.js";
import { nsOfFile } from "../fs/nsfs.js";
import { pidfdTarget } from "../fs/pidfd.js";

const KIND_FLAG: Record<NsKind, number> = {
  mnt: CLONE_NEWNS, uts: CLONE_NEWUTS, ipc: CLONE_NEWIPC, net: CLONE_NEWNET, pid: CLONE_NEWPID,
  user: CLONE_NEWUSER, cgroup: CLONE_NEWCGROUP, time: CLONE_NEWTIME,
};

/** The namespaces clone or unshare gives a task: copies of the caller's where flags ask (fs: the task's own, moved to the new tree). */
export function newNamespaces(t: Task, flags: number, fs: FsContext): NsProxy {
  const k = t.k;
  const old = t.ns;
  return old.with({
    mnt: flags & CLONE_NEWNS ? copyMntNs(k, old.mnt, fs) : undefined,
    uts: flags & CLONE_NEWUTS ? new UtsNamespace(allocNsInum(k), old.uts.hostname, old.uts.domainname) : undefined,
    ipc: flags & CLONE_NEWIPC ? new IpcNamespace(allocNsInum(k)) : undefined,
  });
}

// Whether another task shares t's fs context (CLONE_FS): such a task cannot change mount namespace.
function fsShared(t: Task): boolean {
  for (const o of t.k.tasks.values()) if (o !== t && o.fs === t.fs) return true;
  return false;
}

// Joins one namespace, as each kind's install method.
function install(t: Task, ns: Namespace, next: NsProxy): NsProxy {
  if (!hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM);
  switch (ns.kind) {
    case "mnt": {
      if (!hasCap(t.cred, CAP_SYS_CHROOT)) kerr(EPERM);
      if (fsShared(t)) kerr(EINVAL);
      const m = ns as MntNamespace;
      if (!m.root) kerr(EINVAL);
      return next.with({ mnt: m });
    }
    case "uts": return next.with({ uts: ns as UtsNamespace });
    case "ipc": return next.with({ ipc: ns as IpcNamespace });
    // The one namespace of each other kind: the caller is in it already.
    default: return next;
  }
}

function setns(t: Task, fd: number, nstype: number): number {
  const f = t.files.entry(fd)?.file;
  if (!f) kerr(EBADF);
  const ns = nsOfFile(f);
  let next = t.ns;
  if (ns) {
    if (nstype && KIND_FLAG[ns.kind] !== nstype) kerr(EINVAL);
    next = install(t, ns, next);
  } else {
    const g = pidfdTarget(f);
    if (!g) kerr(EINVAL);
    const all = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME;
    if (!nstype || (nstype & ~all)) kerr(EINVAL);
    const lead = [...g.threads][0];
    if (!lead) kerr(EINVAL);
    for (const kind of Object.keys(KIND_FLAG) as NsKind[]) if (nstype & KIND_FLAG[kind]) next = install(t, lead.ns[kind], next);
  }
  const mntChanged = next.mnt !== t.ns.mnt;
  t.ns = next;
  // A new mount namespace: root and working directory at its root (mntns_install).
  if (mntChanged && next.mnt.root) {
    const root = { mnt: next.mnt.root, dentry: next.mnt.root.root };
    t.fs.root = root;
    t.fs.cwd = root;
  }
  return 0;
}

defineSyscalls({
  setns: [(t, fd, nstype) => setns(t, fdArg(fd), u32Arg(nstype)), "partial",
    "mount, UTS and IPC namespaces (an nsfs file or a pidfd); the single net, pid, user, cgroup and time namespaces can only be rejoined"],
});
