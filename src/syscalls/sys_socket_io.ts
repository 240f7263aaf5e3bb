// User memory for the socket syscalls of every family (sys_socket.ts for
// AF_UNIX, sys_socket_inet.ts for AF_INET/AF_INET6): addresses given back as
// Linux's move_addr_to_user, iovecs read as import_iovec, the receive loop
// with MSG_WAITALL across wake-ups, and the SO_*TIMEO deadline of a call that
// waits.

import { kerr } from "../lib/errors.js";
import { EINVAL, EINTR, EMSGSIZE, EDOM } from "../abi/errno.js";
import { iovec, UIO_MAXIOV } from "../abi/socket.js";
import { UserBuffer } from "../mm/uio.js";
import { isSleeping } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { waitForIo } from "../fs/iowait.js";
import { um } from "./util.js";
import { ssizeArg, userRange } from "./args.js";
import type { File } from "../fs/file.js";
import type { WaitQueue } from "../lib/wait.js";
import type { Task } from "../kernel/task.js";

// Linux's MAX_RW_COUNT: the most one read or write moves.
export const MAX_RW = 0x7ffff000;

// Writes an address and its length to (va, lenVa) the way Linux's move_addr_to_user does.
// An address back to the caller as Linux's move_addr_to_user: the length
// word is read (EFAULT), the full length written back when it is not
// negative, then EINVAL for a negative one, or as many bytes as it allows
// copied (EFAULT on a bad buffer, a null one included).
export function moveAddrToUser(t: Task, va: number, lenVa: number, a: Uint8Array): void {
  const m = um(t);
  const len = m.i32(lenVa);
  if (len >= 0) m.setU32(lenVa, a.length);
  if (len < 0) kerr(EINVAL);
  if (len > 0) m.write(va, a.subarray(0, Math.min(len, a.length)));
}

// accept's and recvfrom's peer address: only when the caller gave a buffer
// (__sys_accept4_file, __sys_recvfrom: `if (upeer_sockaddr)`).
export function putAddr(t: Task, va: number, lenVa: number, a: Uint8Array): void {
  if (va !== 0) moveAddrToUser(t, va, lenVa, a);
}
// SO_RCVTIMEO/SO_SNDTIMEO's struct timeval as Linux's sock_set_timeout reads
// it: {0, 0} waits for good (null), a negative time does not wait (0), else
// nanoseconds; a usec outside [0, 1e6) is EDOM.
export function readTimeo(t: Task, va: number, len: number): number | null {
  if (len < 16) kerr(EINVAL);
  const dv = new DataView(um(t).read(va, 16).buffer);
  const sec = Number(dv.getBigInt64(0, true)), usec = Number(dv.getBigInt64(8, true));
  if (usec < 0 || usec >= 1_000_000) kerr(EDOM);
  return sec < 0 ? 0 : sec === 0 && usec === 0 ? null : sec * 1e9 + usec * 1000;
}

// A blocking socket call that would wait: false when it must not (a zero
// timeout, or its SO_*TIMEO deadline passed), else the deadline to sleep to
// (null: none), fixed at the first wait of this call.
export function waitUntil(t: Task, timeo: number | null, prev: { deadline: number | null } | null): number | null | false {
  if (timeo === 0) return false;
  if (prev && prev.deadline !== null) {
    if (t.k.clock.monotonic() >= prev.deadline) return false;
    t.restartCode = EINTR;
    return prev.deadline;
  }
  // With a timeout, a signal ends the call with EINTR, never a restart (signal(7)).
  if (timeo !== null) t.restartCode = EINTR;
  return timeo === null ? null : t.k.clock.monotonic() + timeo;
}

export interface Iov { base: number; len: number }

export function readIov(t: Task, va: number, cnt: number): Iov[] {
  if (cnt < 0 || cnt > UIO_MAXIOV) kerr(EMSGSIZE);
  if (cnt === 0) return [];
  const raw = um(t).read(va, cnt * iovec.size);
  const dv = new DataView(raw.buffer);
  const out: Iov[] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    // As Linux's import_iovec: a negative ssize_t length is EINVAL, a range
    // outside the user half EFAULT, and the total is clamped to MAX_RW_COUNT.
    let len = ssizeArg(iovec.getBig(dv, i * iovec.size, "iov_len"));
    if (len < 0) kerr(EINVAL);
    const base = userRange(iovec.get(dv, i * iovec.size, "iov_base"), len);
    len = Math.min(len, MAX_RW - total);
    total += len;
    out.push({ base, len });
  }
  return out;
}

// The user's iovecs as one buffer copied from as a send goes (sys_socket.ts send).
export function userIov(t: Task, iov: Iov[]): UserBuffer { return new UserBuffer(um(t), iov); }

export function scatter(t: Task, iov: Iov[], at: number, src: Uint8Array): void {
  let skip = at, off = 0;
  for (const v of iov) {
    if (off >= src.length) break;
    if (skip >= v.len) { skip -= v.len; continue; }
    const k = Math.min(v.len - skip, src.length - off);
    um(t).write(v.base + skip, src.subarray(off, off + k));
    off += k;
    skip = 0;
  }
}

// The receive loop of recv, recvfrom and recvmsg on any socket family: wait
// for data (or an error, or SO_RCVTIMEO), scatter it into iov, and under
// MSG_WAITALL go on across wake-ups from the bytes already received (kept in
// the task's restart state when it sleeps). `take(room)` receives at most
// room bytes into a buffer it makes (throwing EAGAIN when there is nothing);
// `goOn(first, res)` merges a later result into the first and says whether
// the loop may go on (a unix message with passed fds ends it).
export function recvLoop<R extends { n: number }>(
  t: Task, f: File, s: { wq: WaitQueue; rcvtimeo: number | null }, iov: Iov[], nonblock: boolean, waitall: boolean,
  take: (room: number) => { res: R; buf: Uint8Array }, goOn: (first: R | null, res: R) => boolean = () => true,
): { got: number; first: R | null } {
  const total = iov.reduce((n, v) => n + v.len, 0);
  const progress = restartOf(t, "recv");
  let got = progress?.got ?? 0;
  let first: R | null = null;
  for (;;) {
    let out: { res: R; buf: Uint8Array };
    try {
      out = waitForIo(t, f, () => take(total - got), {
        nonblock,
        queues: () => [s.wq],
        until: () => waitUntil(t, s.rcvtimeo, progress),
        park: (deadline) => { t.restart = { kind: "recv", got, deadline }; t.partialResult = got || null; },
      });
    } catch (e) {
      if (isSleeping(e)) throw e;
      if (got > 0) break;
      throw e;
    }
    const res = out.res;
    scatter(t, iov, got, out.buf.subarray(0, res.n));
    got += res.n;
    const more = goOn(first, res);
    first ??= res;
    if (!waitall || res.n === 0 || got >= total || !more) break;
  }
  return { got, first };
}
