// /proc/PID/ns: a magic link per namespace kind, reading "kind:[inum]" and
// leading to the namespace's nsfs inode (fs/nsfs.ts), as Linux's
// fs/proc/namespaces.c. Ghost has one net, pid, user, cgroup and time
// namespace; pid_for_children and time_for_children name the same ones.

import { ProcDir, ProcLink, type Entries } from "./nodes.js";
import { nsName, nsPath } from "../nsfs.js";
import type { Namespace, NsProxy } from "../../kernel/nsproxy.js";
import type { Task } from "../../kernel/task.js";

const KINDS: [string, (ns: NsProxy) => Namespace][] = [
  ["cgroup", (n) => n.cgroup], ["ipc", (n) => n.ipc], ["mnt", (n) => n.mnt], ["net", (n) => n.net], ["pid", (n) => n.pid],
  ["pid_for_children", (n) => n.pid], ["time", (n) => n.time], ["time_for_children", (n) => n.time], ["user", (n) => n.user], ["uts", (n) => n.uts],
];

export function nsDir(t: Task, key: string): ProcDir {
  const entries: Entries = () => KINDS.map(([name, pick]) => [name, () => new ProcLink(`${key}/${name}`, () => nsName(pick(t.ns)), () => nsPath(pick(t.ns)))]);
  return new ProcDir(key, entries, 0o511);
}
