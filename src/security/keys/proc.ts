// /proc/keys, /proc/key-users and /proc/sys/kernel/keys (Linux's
// security/keys/proc.c and sysctl.c), registered with procfs.

import { kerr } from "../../lib/errors.js";
import { EINVAL } from "../../abi/errno.js";
import { KEY_POS_VIEW, KEY_NEED_VIEW } from "../../abi/keyctl.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Task } from "../../kernel/task.js";
import { procRootFiles, procKernelSysctlDirs } from "../../fs/procfs/registry.js";
import { type Key, keys, keyPermits, mungedId, KEY_IS_UNINSTANTIATED } from "./key.js";
import { possesses } from "./process_keys.js";

// The expiry column: "perm", "expd", or the time left in its largest unit.
function timeLeft(key: Key, now: number): string {
  if (key.expiry === 0) return "perm";
  if (now >= key.expiry) return "expd";
  const s = key.expiry - now;
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 604800) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / 604800)}w`;
}

// Possession for a listing: a user keyring the search would make but cannot
// (the reader's quota is full) only means the key is not found that way.
function possessedQuietly(t: Task, key: Key): boolean {
  try { return possesses(t, key); } catch { return false; }
}

// proc_keys_show: the keys the reader may view, by serial.
function procKeys(k: Kernel): string {
  const t = k.current;
  if (!t) return "";
  const reg = keys(k);
  const usage = reg.collect();
  const now = reg.now();
  const rows: string[] = [];
  for (const key of [...reg.keys.values()].sort((a, b) => a.serial - b.serial)) {
    const possessed = (key.perm & KEY_POS_VIEW) !== 0 && possessedQuietly(t, key);
    if (!keyPermits(t, key, possessed, KEY_NEED_VIEW)) continue;
    const flags = (key.state !== KEY_IS_UNINSTANTIATED ? "I" : "-") + (key.revoked ? "R" : "-") + "-" +
      (key.inQuota ? "Q" : "-") + "-" + (key.negative ? "N" : "-") + (key.invalidated ? "i" : "-");
    rows.push(`${key.serial.toString(16).padStart(8, "0")} ${flags} ${String(usage.get(key) ?? 1).padStart(5)} ` +
      `${timeLeft(key, now).padStart(4)} ${(key.perm >>> 0).toString(16).padStart(8, "0")} ` +
      `${String(mungedId(key.uid)).padStart(5)} ${String(mungedId(key.gid)).padStart(5)} ` +
      `${key.type.name.slice(0, 9).padEnd(9)} ${key.type.describe(key)}\n`);
  }
  return rows.join("");
}

// proc_key_users_show: "uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes".
function procKeyUsers(k: Kernel): string {
  const reg = keys(k);
  reg.gc();
  return [...reg.users.values()].sort((a, b) => a.uid - b.uid).map((u) =>
    `${String(u.uid).padStart(5)}: ${String(u.nkeys + 1).padStart(5)} ${u.nkeys}/${u.nikeys} ` +
    `${u.qnkeys}/${reg.maxKeysOf(u.uid)} ${u.qnbytes}/${reg.maxBytesOf(u.uid)}\n`).join("");
}

procRootFiles.set("keys", procKeys);
procRootFiles.set("key-users", procKeyUsers);

// proc_dointvec_minmax: an int in [min, INT_MAX].
function intValue(v: string, min: number): number {
  const n = /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= 0x7fff_ffff)) kerr(EINVAL);
  return n;
}

type Tunable = "maxkeys" | "maxbytes" | "rootMaxkeys" | "rootMaxbytes" | "gcDelay";
const tunables: [string, Tunable, number][] = [
  ["gc_delay", "gcDelay", 0], ["maxbytes", "maxbytes", 1], ["maxkeys", "maxkeys", 1],
  ["root_maxbytes", "rootMaxbytes", 1], ["root_maxkeys", "rootMaxkeys", 1],
];
procKernelSysctlDirs.set("keys", new Map(tunables.map(([name, field, min]) => [name, {
  get: (k: Kernel) => String(keys(k)[field]),
  set: (k: Kernel, v: string) => { keys(k)[field] = intValue(v, min); },
}])));
