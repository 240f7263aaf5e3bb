// Native AIO (Linux's fs/aio.c): io_setup, io_destroy, io_submit,
// io_cancel, io_getevents, io_pgetevents. A context's completion ring lives in the
// process's memory at the context id (struct aio_ring, as libaio reads it
// directly). Reads, writes and syncs on files that never wait (regular
// files, devices) are done at submission and completed at once, as Linux
// does buffered AIO; a read or write on a pipe, socket or tty that would
// wait, and IOCB_CMD_POLL on a file not yet ready, stay in flight and
// complete when the file becomes ready (io_cancel cancels a poll).

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, EFAULT, EAGAIN, EBADF, EOPNOTSUPP, EINTR, EINPROGRESS, ERESTARTNOHAND } from "../abi/errno.js";
import {
  IOCB_CMD_PREAD, IOCB_CMD_PWRITE, IOCB_CMD_FSYNC, IOCB_CMD_FDSYNC, IOCB_CMD_POLL, IOCB_CMD_PREADV, IOCB_CMD_PWRITEV,
  IOCB_FLAG_RESFD, IOCB_FLAG_IOPRIO, KIOCB_KEY, iocb, IO_EVENT_SIZE, AIO_RING_MAGIC, AIO_RING_COMPAT_FEATURES,
  AIO_RING_INCOMPAT_FEATURES, AIO_RING_HEADER_SIZE, AIO_MAX_NR,
} from "../abi/misc.js";
import { PROT_READ, PROT_WRITE } from "../abi/mman.js";
import { O_NONBLOCK, RWF_SUPPORTED, RWF_NOWAIT } from "../abi/fcntl.js";
import { POLLERR, POLLHUP } from "../abi/poll.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { readTimespec } from "./sys_time.js";
import { readIov, rwWithFlags } from "./sys_file.js";
import { withSigmask } from "./sys_poll.js";
import { UserBuffer } from "../mm/uio.js";
import { UserMemory } from "../mm/uaccess.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { WaitQueue, type Waiter } from "../lib/wait.js";
import { KernelLocal } from "../kernel/local.js";
import { EventfdInode } from "../fs/eventfd.js";
import { pollFile } from "../fs/poll.js";
import type { File } from "../fs/file.js";
import type { AddressSpace } from "../mm/mm.js";
import type { Task } from "../kernel/task.js";
import type { Kernel } from "../kernel/kernel.js";
import type { TimerHandle } from "../kernel/time/timers.js";
import { u32Arg } from "./args.js";

// One request still in flight.
interface Pending { obj: number; data: bigint; cancel(): void }

class AioContext {
  readonly wq = new WaitQueue(); // io_getevents waiters
  readonly pending = new Set<Pending>();
  dead = false;
  constructor(readonly id: number, readonly nr: number, readonly maxReqs: number, readonly mm: AddressSpace, readonly mapLen: number) {}

  private get mem(): UserMemory { return new UserMemory(this.mm); }

  // Completed events not yet reaped, as the ring's head and tail say.
  available(): number {
    try {
      const head = this.mem.u32(this.id + 8) % this.nr, tail = this.mem.u32(this.id + 12) % this.nr;
      return (tail - head + this.nr) % this.nr;
    } catch { return 0; }
  }

  // Writes an event at the ring's tail (a ring the process unmapped or
  // broke loses it, as nothing could read it).
  complete(data: bigint, obj: number, res: number, resfd: File | null): void {
    if (this.dead) return;
    try {
      const m = this.mem;
      const tail = m.u32(this.id + 12) % this.nr;
      const ev = new Uint8Array(IO_EVENT_SIZE);
      const dv = new DataView(ev.buffer);
      dv.setBigUint64(0, data, true);
      dv.setBigUint64(8, BigInt(obj), true);
      dv.setBigInt64(16, BigInt(res), true);
      m.write(this.id + AIO_RING_HEADER_SIZE + tail * IO_EVENT_SIZE, ev);
      m.setU32(this.id + 12, (tail + 1) % this.nr);
    } catch { /* the ring is gone */ }
    if (resfd && resfd.inode instanceof EventfdInode) {
      resfd.inode.count += 1n;
      resfd.inode.wq.wakeAll();
    }
    this.wq.wakeAll();
  }
}

// Contexts by address space (an exec or a fork starts with none, as Linux's
// mm). When a process dies, the contexts of address spaces no task uses any
// more are torn down: requests in flight are cancelled and their files let
// go (Linux's exit_aio).
const CONTEXTS = new KernelLocal("aio contexts", (k) => {
  const state = { byMm: new WeakMap<AddressSpace, Map<number, AioContext>>(), live: new Set<AioContext>(), events: 0 };
  k.exitHooks.push(() => {
    if (state.live.size === 0) return;
    const used = new Set<AddressSpace>();
    for (const t of k.tasks.values()) if (!t.tg.zombie) used.add(t.mm);
    for (const c of [...state.live]) if (!used.has(c.mm)) teardown(state, c);
  });
  return state;
});

function teardown(state: { live: Set<AioContext>; events: number }, c: AioContext): void {
  for (const p of [...c.pending]) p.cancel();
  c.dead = true;
  state.live.delete(c);
  state.events -= c.maxReqs;
  c.wq.wakeAll();
}

function contexts(t: Task): Map<number, AioContext> {
  const all = t.k.local(CONTEXTS).byMm;
  let m = all.get(t.mm);
  if (!m) { m = new Map(); all.set(t.mm, m); }
  return m;
}

function lookup(t: Task, id: number): AioContext {
  const c = contexts(t).get(id);
  if (!c || c.dead) kerr(EINVAL);
  return c;
}

function ioSetup(t: Task, nrEvents: number, ctxp: number): number {
  const m = um(t);
  if (m.u64(ctxp) !== 0 || nrEvents === 0) kerr(EINVAL);
  // As Linux's ioctx_alloc: room for at least 4 per CPU, doubled; aio-max-nr bounds them all.
  const maxReqs = nrEvents;
  const want = Math.max(nrEvents, 4) * 2 + 2;
  if (want > 0x10000000 / IO_EVENT_SIZE) kerr(EINVAL);
  const g = t.k.local(CONTEXTS);
  if (g.events + maxReqs > AIO_MAX_NR) kerr(EAGAIN);
  const len = Math.ceil((AIO_RING_HEADER_SIZE + want * IO_EVENT_SIZE) / PAGE_SIZE) * PAGE_SIZE;
  const nr = (len - AIO_RING_HEADER_SIZE) / IO_EVENT_SIZE;
  let id: number;
  try { id = t.mm.mmap(0, len, PROT_READ | PROT_WRITE, { name: "[aio]" }); } catch { return kerr(EAGAIN); }
  const hdr = new Uint8Array(AIO_RING_HEADER_SIZE);
  const dv = new DataView(hdr.buffer);
  dv.setUint32(0, contexts(t).size, true); // id: the context's index
  dv.setUint32(4, nr, true);
  dv.setUint32(16, AIO_RING_MAGIC, true);
  dv.setUint32(20, AIO_RING_COMPAT_FEATURES, true);
  dv.setUint32(24, AIO_RING_INCOMPAT_FEATURES, true);
  dv.setUint32(28, AIO_RING_HEADER_SIZE, true);
  m.write(id, hdr);
  const c = new AioContext(id, nr, maxReqs, t.mm, len);
  try { m.setU64(ctxp, id); } catch (e) { t.mm.unmap(id, len); throw e; }
  contexts(t).set(id, c);
  g.live.add(c);
  g.events += maxReqs;
  return 0;
}

function ioDestroy(t: Task, id: number): number {
  const c = lookup(t, id);
  teardown(t.k.local(CONTEXTS), c);
  contexts(t).delete(id);
  try { t.mm.unmap(id, c.mapLen); } catch { /* already unmapped by the process */ }
  return 0;
}

// Runs a read or write now, without waiting: the bytes moved or -errno;
// null when it would wait (a pipe, a socket or a tty with nothing to give
// or no room), so that it stays in flight.
function tryRw(t: Task, f: File, buf: UserBuffer, pos: number, write: boolean): number | null {
  try {
    return rwWithFlags(t, f, buf, f.ops.stream ? null : pos, write, O_NONBLOCK);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    if (e.errno === EAGAIN && !f.nonblock) return null; // the flags are back as they were here
    return -e.errno;
  }
}

// Keeps a request in flight until `attempt` gives a result. A wake of the
// file only schedules the retry (a timer due now, run by the kernel's loop):
// the retry must not run inside the waker, which may still be in the file's
// own code (a pipe write waking its readers).
function inFlight(k: Kernel, c: AioContext, f: File, obj: number, data: bigint, resfd: File | null, attempt: () => number | null, onCancel: () => number): void {
  const q = f.ops.waitQueue?.(f);
  f.get();
  resfd?.get();
  let retry: TimerHandle | null = null;
  const done = (res: number) => {
    if (!c.pending.has(p)) return;
    retry?.cancel();
    q?.unwatch(waiter);
    c.pending.delete(p);
    c.complete(data, obj, res, resfd);
    f.put();
    resfd?.put();
  };
  const waiter: Waiter = {
    wake: () => {
      retry ??= k.timers.add(k.clock.monotonic(), () => {
        retry = null;
        if (!c.pending.has(p)) return;
        let r: number | null;
        try { r = attempt(); } catch { r = -EFAULT; }
        if (r !== null) done(r);
      });
    },
  };
  const p: Pending = { obj, data, cancel: () => done(onCancel()) };
  c.pending.add(p);
  q?.watch(waiter);
}

function submitOne(t: Task, c: AioContext, va: number): void {
  const m = um(t);
  const dv = new DataView(m.read(va, iocb.size).buffer);
  const g = <K extends Parameters<typeof iocb.get>[2]>(k: K) => iocb.getBig(dv, 0, k);
  if (g("aio_reserved2") !== 0n) kerr(EINVAL);
  const nbytes = g("aio_nbytes");
  if (nbytes >= 1n << 63n) kerr(EINVAL);
  if (c.pending.size + c.available() >= c.nr - 1 || c.pending.size + c.available() >= c.maxReqs) kerr(EAGAIN);
  const f = t.files.get(Number(g("aio_fildes") & 0xffffffffn) | 0);
  const flags = Number(g("aio_flags"));
  let resfd: File | null = null;
  if (flags & IOCB_FLAG_RESFD) {
    resfd = t.files.get(Number(g("aio_resfd") & 0xffffffffn) | 0);
    if (!(resfd.inode instanceof EventfdInode)) kerr(EINVAL);
  }
  m.setU32(va + 8, KIOCB_KEY);
  const data = g("aio_data");
  const op = Number(g("aio_lio_opcode"));
  const buf = Number(g("aio_buf"));
  const offset = Number(BigInt.asIntN(64, g("aio_offset")));
  const rwFlags = Number(BigInt.asIntN(32, g("aio_rw_flags")));
  switch (op) {
    case IOCB_CMD_PREAD: case IOCB_CMD_PWRITE: case IOCB_CMD_PREADV: case IOCB_CMD_PWRITEV: {
      const write = op === IOCB_CMD_PWRITE || op === IOCB_CMD_PWRITEV;
      if (flags & IOCB_FLAG_IOPRIO && (Number(iocb.get(dv, 0, "aio_reqprio")) >> 13) > 3) kerr(EINVAL);
      if (rwFlags & ~RWF_SUPPORTED) kerr(EOPNOTSUPP);
      if (write ? !f.writable : !f.readable) kerr(EBADF);
      if (write ? !f.ops.write : !f.ops.read) kerr(EINVAL);
      const n = Number(nbytes);
      const ub = op === IOCB_CMD_PREADV || op === IOCB_CMD_PWRITEV ? readIov(t, buf, n) : UserBuffer.of(m, buf, n);
      if (!f.ops.stream && offset < 0) kerr(EINVAL);
      // With RWF_NOWAIT a request that would wait completes with -EAGAIN (IOCB_NOWAIT) instead of staying in flight.
      const r = tryRw(t, f, ub, offset, write) ?? (rwFlags & RWF_NOWAIT ? -EAGAIN : null);
      if (r !== null) { c.complete(data, va, r, resfd); return; }
      // A task's memory stays reachable through its address space after it returns.
      inFlight(t.k, c, f, va, data, resfd, () => tryRw(t, f, ub, offset, write), () => -EINTR);
      return;
    }
    case IOCB_CMD_FSYNC: case IOCB_CMD_FDSYNC: {
      if (buf || offset || nbytes || rwFlags) kerr(EINVAL);
      if (f.ops.stream && !f.path) kerr(EINVAL);
      c.complete(data, va, -(f.inode.pageCache?.sync(f.inode) ?? 0), resfd);
      return;
    }
    case IOCB_CMD_POLL: {
      if (buf > 0xffff || buf < 0) kerr(EINVAL);
      if (offset || nbytes || rwFlags) kerr(EINVAL);
      const events = buf | POLLERR | POLLHUP;
      const ready = pollFile(f) & events;
      if (ready) { c.complete(data, va, ready, resfd); return; }
      inFlight(t.k, c, f, va, data, resfd, () => { const r = pollFile(f) & events; return r ? r : null; }, () => 0);
      return;
    }
    default: kerr(EINVAL);
  }
}

function ioSubmit(t: Task, id: number, nr: number, iocbpp: number): number {
  if (nr < 0) kerr(EINVAL);
  const c = lookup(t, id);
  nr = Math.min(nr, c.maxReqs);
  const m = um(t);
  let i = 0;
  for (; i < nr; i++) {
    try {
      submitOne(t, c, m.u64(iocbpp + i * 8));
    } catch (e) {
      if (i === 0 || !(e instanceof KernelError)) throw e;
      break;
    }
  }
  return i;
}

function ioCancel(t: Task, id: number, va: number, _result: number): number {
  // As Linux: the iocb's key is read (EFAULT) and checked before the context is looked up.
  if (um(t).u32(va + iocb.offsetOf("aio_key")) !== KIOCB_KEY) kerr(EINVAL);
  const c = lookup(t, id);
  const p = [...c.pending].find((x) => x.obj === va);
  if (!p) kerr(EINVAL);
  p.cancel();
  // The event always goes through the ring; EINPROGRESS says cancellation happened.
  return kerr(EINPROGRESS);
}

function ioGetevents(t: Task, id: number, minNr: number, nr: number, evVa: number, tmoVa: number, restartCode = EINTR): number {
  let st = restartOf(t, "deadline");
  if (!st) {
    let d: number | null = null;
    if (tmoVa) d = t.k.clock.monotonic() + Math.max(0, readTimespec(t, tmoVa, true));
    st = { kind: "deadline", deadline: d };
    t.restart = st;
  }
  const c = contexts(t).get(id);
  if (!c || c.dead || minNr > nr || minNr < 0) kerr(EINVAL);
  const have = c.available();
  const timedOut = st.deadline !== null && t.k.clock.monotonic() >= st.deadline;
  if (have < Math.max(minNr, 1) && !timedOut) {
    // As Linux's read_events: a signal ends io_getevents's wait with EINTR,
    // never a restart; io_pgetevents's is restarted when no handler ran.
    t.restartCode = restartCode;
    return sleepOn(t, [c.wq], st.deadline ?? undefined);
  }
  const mem = new UserMemory(c.mm);
  const out = um(t);
  let head = mem.u32(c.id + 8) % c.nr;
  let done = 0;
  for (; done < Math.min(nr, have); done++) {
    const ev = mem.read(c.id + AIO_RING_HEADER_SIZE + head * IO_EVENT_SIZE, IO_EVENT_SIZE);
    try { out.write(evVa + done * IO_EVENT_SIZE, ev); } catch (e) { if (done === 0) throw e; break; }
    head = (head + 1) % c.nr;
    mem.setU32(c.id + 8, head);
  }
  return done;
}

defineSyscalls({
  io_setup: (t, nr, ctxp) => ioSetup(t, u32Arg(nr), ctxp),
  io_destroy: (t, id) => ioDestroy(t, id),
  io_submit: [(t, id, nr, iocbpp) => ioSubmit(t, id, nr, iocbpp), "partial",
    "reads, writes and syncs of files that never wait complete at submission; pipe/socket/tty I/O and IOCB_CMD_POLL complete when ready; no IOCB_CMD_NOOP (EINVAL, as Linux)"],
  io_cancel: (t, id, va, res) => ioCancel(t, id, va, res),
  io_getevents: (t, id, minNr, nr, ev, tmo) => ioGetevents(t, id, minNr, nr, ev, tmo),
  // io_getevents with a signal mask for the wait (struct __aio_sigset: the
  // mask's address and size), as ppoll.
  io_pgetevents: (t, id, minNr, nr, ev, tmo, usig) => {
    if (usig && !restartOf(t, "deadline")) {
      const dv = new DataView(um(t).read(usig, 16).buffer);
      withSigmask(t, Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)));
    }
    return ioGetevents(t, id, minNr, nr, ev, tmo, ERESTARTNOHAND);
  },
});

