// Identity and system information: ids, uname, sysinfo, and the thread-setup
// calls glibc and musl make at start (set_tid_address, robust lists).

import { kerr } from "../lib/errors.js";
import { EINVAL, ESRCH, EFAULT, EPERM } from "../abi/errno.js";
import { robust_list_head } from "../abi/futex.js";
import { ptraceMayAccess } from "../kernel/cred.js";
import { sysinfo as sysinfoStruct, utsname } from "../abi/resource.js";
import { defineSyscalls, declareEnosys } from "./table.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";
import { UTS_RELEASE, UTS_VERSION } from "../lib/version.js";

export function findTask(t: Task, pid: number): Task {
  if (pid === 0) return t;
  const o = t.k.tasks.get(pid);
  if (!o) kerr(ESRCH);
  return o;
}

// cpumask_size() for Ghost's one hart: a CPU set is read for at most one unsigned long.
export const CPUMASK_SIZE = 8;

export { EFAULT };

declareEnosys("rseq", "restartable sequences are not supported; glibc falls back when rseq is ENOSYS");

defineSyscalls({
  getpid: (t) => t.pid,
  gettid: (t) => t.tid,
  getppid: (t) => t.tg.parent?.pid ?? 0,
  getuid: (t) => t.cred.uid,
  geteuid: (t) => t.cred.euid,
  getgid: (t) => t.cred.gid,
  getegid: (t) => t.cred.egid,
  set_tid_address: (t, va) => { t.clearChildTid = va; return t.tid; },
  set_robust_list: (t, head, len) => { if (len !== robust_list_head.size) kerr(EINVAL); t.robustList = head; t.robustListLen = len; return 0; },
  get_robust_list: (t, pid, headVa, lenVa) => {
    const o = findTask(t, pid);
    // As Linux: reading another process's list needs ptrace read access (real ids); the length
    // (sizeof(struct robust_list_head)) is stored first, then the head.
    if (!ptraceMayAccess(t.cred, o.cred, o.tg.dumpable !== 0, o.tg === t.tg, "realcreds")) kerr(EPERM);
    um(t).setU64(lenVa, robust_list_head.size);
    um(t).setU64(headVa, o.robustList);
    return 0;
  },
  uname: (t, va) => {
    const b = new Uint8Array(utsname.size);
    const dv = new DataView(b.buffer);
    const s = (x: string) => Buffer.from(x, "latin1");
    utsname.write(dv, 0, {
      sysname: s("Linux"), nodename: s(t.ns.uts.hostname), release: s(UTS_RELEASE), version: s(UTS_VERSION),
      machine: s("riscv64"), domainname: s(t.ns.uts.domainname),
    });
    um(t).write(va, b);
    return 0;
  },
  sysinfo: (t, va) => {
    const b = new Uint8Array(sysinfoStruct.size);
    const dv = new DataView(b.buffer);
    const k = t.k;
    sysinfoStruct.write(dv, 0, {
      uptime: Math.floor(k.clock.monotonic() / 1e9), loads0: k.rq.loadavg.sysinfoLoads()[0], loads1: k.rq.loadavg.sysinfoLoads()[1], loads2: k.rq.loadavg.sysinfoLoads()[2],
      totalram: k.phys.frames * 4096, freeram: k.phys.mem.free, sharedram: k.phys.mem.of("shmem"), bufferram: 0,
      totalswap: 0, freeswap: 0, procs: k.tasks.size, totalhigh: 0, freehigh: 0, mem_unit: 1,
    });
    um(t).write(va, b);
    return 0;
  },
});
