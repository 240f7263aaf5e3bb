// Resource limits: prlimit64, getrlimit, setrlimit.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM } from "../abi/errno.js";
import { rlimit, RLIM_NLIMITS } from "../abi/resource.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";
import { findTask } from "./sys_info.js";

function prlimit(t: Task, pid: number, res: number, newVa: number, oldVa: number): number {
  if (res < 0 || res >= RLIM_NLIMITS) kerr(EINVAL);
  const target = findTask(t, pid).tg;
  const cur = target.rlimits[res];
  let next: [number, number] | null = null;
  if (newVa) {
    const dv = new DataView(um(t).read(newVa, rlimit.size).buffer);
    const rc = rlimit.getBig(dv, 0, "rlim_cur"), rm = rlimit.getBig(dv, 0, "rlim_max");
    const toNum = (v: bigint) => (v >= (1n << 53n) ? -1 : Number(v));
    const nc = toNum(rc), nm = toNum(rm);
    const le = (a: number, b: number) => b < 0 || (a >= 0 && a <= b);
    if (!le(nc, nm)) kerr(EINVAL);
    if (!le(nm, cur[1]) && t.cred.euid !== 0) kerr(EPERM);
    if (res === 7 && (nm < 0 || nm > t.k.nrOpen)) kerr(EPERM); // NOFILE above fs.nr_open
    next = [nc, nm];
  }
  if (oldVa) {
    const b = new Uint8Array(rlimit.size);
    const dv = new DataView(b.buffer);
    rlimit.set(dv, 0, "rlim_cur", cur[0] < 0 ? -1n : BigInt(cur[0]));
    rlimit.set(dv, 0, "rlim_max", cur[1] < 0 ? -1n : BigInt(cur[1]));
    um(t).write(oldVa, b);
  }
  if (next) {
    target.rlimits[res] = next;
    if (res === 3) for (const th of target.threads) th.mm.stackLimit = next[0] < 0 ? 1 << 30 : next[0];
  }
  return 0;
}

defineSyscalls({
  prlimit64: (t, pid, res, newVa, oldVa) => prlimit(t, pid, res, newVa, oldVa),
  getrlimit: (t, res, va) => prlimit(t, 0, res, 0, va),
  setrlimit: (t, res, va) => prlimit(t, 0, res, va, 0),
});
