// Identity and system information: ids, uname, sysinfo, rlimits, random,
// hwprobe, affinity, and the thread-setup calls glibc and musl make at start.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, ESRCH, EFAULT } from "../abi/errno.js";
import { GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE } from "../abi/misc.js";
import { sysinfo as sysinfoStruct, utsname, rlimit, RLIM_NLIMITS } from "../abi/resource.js";
import {
  riscv_hwprobe, RISCV_HWPROBE_KEY_MVENDORID, RISCV_HWPROBE_KEY_MARCHID, RISCV_HWPROBE_KEY_MIMPID,
  RISCV_HWPROBE_KEY_BASE_BEHAVIOR, RISCV_HWPROBE_KEY_IMA_EXT_0, RISCV_HWPROBE_KEY_CPUPERF_0,
  RISCV_HWPROBE_KEY_HIGHEST_VIRT_ADDRESS, RISCV_HWPROBE_KEY_TIME_CSR_FREQ, RISCV_HWPROBE_KEY_MISALIGNED_SCALAR_PERF,
  RISCV_HWPROBE_KEY_MISALIGNED_VECTOR_PERF, RISCV_HWPROBE_WHICH_CPUS, RISCV_HWPROBE_BASE_BEHAVIOR_IMA,
  RISCV_HWPROBE_IMA_FD, RISCV_HWPROBE_IMA_C, RISCV_HWPROBE_MISALIGNED_SCALAR_FAST, RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED,
} from "../abi/hwprobe.js";
import { defineSyscalls, declareEnosys } from "./table.js";
import { UserBuffer, IO_CHUNK } from "../mm/uio.js";
import { um } from "./util.js";
import { sizeArg } from "./args.js";
import type { Task } from "../kernel/task.js";
import { UTS_RELEASE, UTS_VERSION } from "../lib/version.js";


function findTask(t: Task, pid: number): Task {
  if (pid === 0) return t;
  const o = t.k.tasks.get(pid);
  if (!o) kerr(ESRCH);
  return o;
}

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
    if (res === 7 && (nm < 0 || nm > 1 << 20)) kerr(EPERM); // NOFILE above nr_open
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

function hwprobeValue(key: number): bigint | null {
  switch (key) {
    case RISCV_HWPROBE_KEY_MVENDORID: case RISCV_HWPROBE_KEY_MARCHID: case RISCV_HWPROBE_KEY_MIMPID: return 0n;
    case RISCV_HWPROBE_KEY_BASE_BEHAVIOR: return RISCV_HWPROBE_BASE_BEHAVIOR_IMA;
    case RISCV_HWPROBE_KEY_IMA_EXT_0: return RISCV_HWPROBE_IMA_FD | RISCV_HWPROBE_IMA_C;
    // Misaligned scalar accesses are done by the hart itself, at full speed.
    case RISCV_HWPROBE_KEY_CPUPERF_0: case RISCV_HWPROBE_KEY_MISALIGNED_SCALAR_PERF: return BigInt(RISCV_HWPROBE_MISALIGNED_SCALAR_FAST);
    case RISCV_HWPROBE_KEY_MISALIGNED_VECTOR_PERF: return BigInt(RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED);
    case RISCV_HWPROBE_KEY_HIGHEST_VIRT_ADDRESS: return (1n << 47n) - 1n;
    case RISCV_HWPROBE_KEY_TIME_CSR_FREQ: return 10_000_000n;
    default: return null;
  }
}

// As Linux: the CPU set is read for at most cpumask_size() bytes, and the
// pairs one at a time, so a pair_count past the caller's buffer answers the
// pairs before the fault and then EFAULT (never one read of count * 16).
function hwprobe(t: Task, pairs: number, count: number, cpusetsize: number, cpus: number, flags: number): number {
  if (flags & ~RISCV_HWPROBE_WHICH_CPUS) kerr(EINVAL);
  const m = um(t);
  const n = sizeArg(count);
  const setSize = Math.min(sizeArg(cpusetsize), CPUMASK_SIZE);
  const pairAt = (i: number): DataView => new DataView(m.read(pairs + i * riscv_hwprobe.size, riscv_hwprobe.size).buffer);
  if (flags & RISCV_HWPROBE_WHICH_CPUS) {
    // Which CPUs match every pair: CPU 0 matches when each value agrees.
    if (!cpusetsize || !cpus) kerr(EINVAL);
    let match = true;
    for (let i = 0; i < n; i++) {
      const dv = pairAt(i);
      const key = riscv_hwprobe.getBig(dv, 0, "key");
      const v = key < 0n || key > 100n ? null : hwprobeValue(Number(key));
      const want = riscv_hwprobe.getBig(dv, 0, "value");
      if (v === null) kerr(EINVAL);
      if (v !== want && !((Number(key) === RISCV_HWPROBE_KEY_IMA_EXT_0 || Number(key) === RISCV_HWPROBE_KEY_BASE_BEHAVIOR) && (v & want) === want)) match = false;
    }
    const set = m.read(cpus, setSize);
    const keep = set[0] & 1 && match ? 1 : 0;
    set.fill(0);
    set[0] = keep;
    m.write(cpus, set);
    return 0;
  }
  if (cpusetsize || cpus) {
    const set = m.read(cpus, setSize);
    if (!(set[0] & 1)) { /* no CPU we have: the answer is still CPU 0's */ }
  }
  for (let i = 0; i < n; i++) {
    const dv = pairAt(i);
    const key = riscv_hwprobe.getBig(dv, 0, "key");
    const v = key < 0n || key > 100n ? null : hwprobeValue(Number(key));
    if (v === null) { riscv_hwprobe.set(dv, 0, "key", -1n); riscv_hwprobe.set(dv, 0, "value", 0n); }
    else riscv_hwprobe.set(dv, 0, "value", v);
    m.write(pairs + i * riscv_hwprobe.size, new Uint8Array(dv.buffer));
  }
  return 0;
}
// cpumask_size() for Ghost's one hart: a CPU set is read for at most one unsigned long.
const CPUMASK_SIZE = 8;

defineSyscalls({
  getpid: (t) => t.pid,
  gettid: (t) => t.tid,
  getppid: (t) => t.tg.parent?.pid ?? 0,
  getuid: (t) => t.cred.uid,
  geteuid: (t) => t.cred.euid,
  getgid: (t) => t.cred.gid,
  getegid: (t) => t.cred.egid,
  set_tid_address: (t, va) => { t.clearChildTid = va; return t.tid; },
  set_robust_list: (t, head, len) => { if (len !== 24) kerr(EINVAL); t.robustList = head; t.robustListLen = len; return 0; },
  get_robust_list: (t, pid, headVa, lenVa) => {
    const o = findTask(t, pid);
    um(t).setU64(headVa, o.robustList);
    um(t).setU64(lenVa, o.robustListLen || 24);
    return 0;
  },
  uname: (t, va) => {
    const b = new Uint8Array(utsname.size);
    const dv = new DataView(b.buffer);
    const s = (x: string) => Buffer.from(x, "latin1");
    utsname.write(dv, 0, {
      sysname: s("Linux"), nodename: s(t.k.hostname), release: s(UTS_RELEASE), version: s(UTS_VERSION),
      machine: s("riscv64"), domainname: s(t.k.domainname),
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
      totalram: k.phys.frames * 4096, freeram: k.phys.freeFrames * 4096, sharedram: 0, bufferram: 0,
      totalswap: 0, freeswap: 0, procs: k.tasks.size, totalhigh: 0, freehigh: 0, mem_unit: 1,
    });
    um(t).write(va, b);
    return 0;
  },
  getrandom: (t, va, len, flags) => {
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) kerr(EINVAL);
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM)) kerr(EINVAL);
    // In bounded chunks, as far as the buffer is mapped writable (a short
    // count past that, EFAULT if none), as Linux's get_random_bytes_user.
    const buf = UserBuffer.of(um(t), va, Math.min(sizeArg(len), 0x1ffffff));
    let done = 0;
    while (done < buf.length) {
      const n = buf.accessible(done, Math.min(IO_CHUNK, buf.length - done), true);
      if (n === 0) { if (done > 0) break; kerr(EFAULT); }
      const b = new Uint8Array(n);
      t.k.random(b);
      buf.copyOut(done, b);
      done += n;
    }
    return done;
  },
  prlimit64: (t, pid, res, newVa, oldVa) => prlimit(t, pid, res, newVa, oldVa),
  getrlimit: (t, res, va) => prlimit(t, 0, res, 0, va),
  setrlimit: (t, res, va) => prlimit(t, 0, res, va, 0),
  riscv_hwprobe: (t, pairs, count, size, cpus, flags) => hwprobe(t, pairs, count, size, cpus, flags >>> 0),
});

export { EFAULT };

declareEnosys("rseq", "restartable sequences are not supported; glibc falls back when rseq is ENOSYS");
