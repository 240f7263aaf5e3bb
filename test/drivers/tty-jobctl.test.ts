// Terminals and job control inside a kernel: controlling terminals, the
// foreground process group, SIGTTIN/SIGTTOU, orphaned groups, hangups,
// VMIN/VTIME timing, and the pty pair. Processes are thread groups made
// directly (they never run code); each operation runs "as" a task by making
// it the kernel's current task.
//
//   npx tsc -p tsconfig.json && node --test dist/test/drivers/tty-jobctl.test.js
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Kernel } from "../../src/kernel/kernel.js";
import { SigHand, type Task } from "../../src/kernel/task.js";
import { File, FdTable, type FileOps, type IoctlContext } from "../../src/fs/file.js";
import { ROOT_CRED } from "../../src/fs/mount.js";
import { KernelError } from "../../src/lib/errors.js";
import { S_IFCHR, type Inode } from "../../src/fs/inode.js";
import { makedev, openDevice } from "../../src/fs/char_dev.js";
import { installTty, MemoryTerminal, type Tty } from "../../src/drivers/tty/index.js";
import { isOrphanedPgrp } from "../../src/drivers/tty/jobctl.js";
import { Devpts } from "../../src/drivers/tty/devpts.js";
import { isSleeping } from "../../src/kernel/blocking.js";
import type { AddressSpace } from "../../src/mm/mm.js";
import type { FsContext } from "../../src/fs/namei.js";
import {
  TCGETS, TCSETS, TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSWINSZ, TIOCSTI, TIOCGPTN, TIOCSPTLCK,
  TIOCPKT, TIOCGPTPEER, TIOCSIG, FIONREAD, TIOCEXCL, TIOCNXCL, TOSTOP, ICANON, VMIN, VTIME, ECHO, termios as termiosStruct,
} from "../../src/abi/ioctl.js";
import { SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIGWINCH, SIGINT, SIGUSR1, SIG_IGN, sigmask } from "../../src/abi/signal.js";
import { EAGAIN, EIO, ENOTTY, EPERM, ESRCH, EINVAL, ENXIO, EBUSY } from "../../src/abi/errno.js";
import { O_RDWR, O_NOCTTY, O_NONBLOCK } from "../../src/abi/fcntl.js";
import { POLLHUP, POLLIN } from "../../src/abi/poll.js";

// ---------------------------------------------------------------- a small world

function world() {
  const k = new Kernel({ memoryBytes: 8 << 20, clock: "virtual" });
  const term = new MemoryTerminal(24, 80);
  const sys = installTty(k, { console: term });
  const tty = sys.console!.tty;
  const fsStub = { umask: 0o22 } as unknown as FsContext;
  const proc = (parent: Task | null, opts: { uid?: number } = {}): Task => {
    const mm = { users: 1, destroy() {}, rssPages: 0 } as unknown as AddressSpace;
    const cred = { ...ROOT_CRED, groups: [] as number[] };
    if (opts.uid) { cred.uid = cred.euid = cred.suid = cred.fsuid = opts.uid; }
    const t = k.newProcess(parent?.tg ?? null, mm, new FdTable(), fsStub, cred, new SigHand());
    if (parent) { t.sighand.actions = parent.sighand.actions.map((a) => ({ ...a })); t.tg.ctty = parent.tg.ctty; }
    return t;
  };
  // A session leader with its own group, and `as` to act as a task.
  const as = <T>(t: Task, fn: () => T): T => { const old = k.current; k.current = t; try { return fn(); } finally { k.current = old; } };
  proc(null); // pid 1, init: a parent that never counts for orphaned groups
  const setsid = (t: Task) => { t.tg.sid = t.tg.pgid = t.pid; t.tg.ctty = null; };
  const setpgid = (t: Task, pgid: number) => { t.tg.pgid = pgid; };
  const open = (t: Task, flags = O_RDWR, target: Tty = tty): { f: File; ops: FileOps } => {
    const f = new File(null, { mode: S_IFCHR } as Inode, flags, {});
    const ops = as(t, () => target.open(f, t, true));
    f.ops = ops;
    return { f, ops };
  };
  return { k, term, sys, tty, proc, as, setsid, setpgid, open };
}

const mem = new Uint8Array(4096);
const ctx: IoctlContext = { copyIn: (va, len) => mem.slice(va, va + len), copyOut: (va, d) => { mem.set(d, va); } };
const putI32 = (va: number, v: number) => new DataView(mem.buffer).setInt32(va, v, true);
const getI32 = (va: number) => new DataView(mem.buffer).getInt32(va, true);

function errno(fn: () => unknown): number {
  try { fn(); } catch (e) { if (e instanceof KernelError) return e.errno; throw e; }
  return 0;
}
// Identity of big objects (a failing deepEqual would print the whole kernel).
const same = (a: unknown, b: unknown, msg?: string) => assert.ok(a === b, msg ?? "not the same object");
const pending = (t: Task, sig: number) => ((t.tg.shared.mask | t.pending.mask) & sigmask(sig)) !== 0n;
const clear = (...ts: Task[]) => { for (const t of ts) { t.tg.shared.mask = 0n; t.tg.shared.queue = []; t.pending.mask = 0n; t.pending.queue = []; } };

// A shell-like session on the console: leader (pid L) in the foreground, a job in the background.
function session() {
  const w = world();
  const leader = w.proc(null);
  w.setsid(leader);
  const { f, ops } = w.open(leader);
  const job = w.proc(leader);
  w.setpgid(job, job.pid);
  return { ...w, leader, job, f, ops };
}

const ioctl = (w: ReturnType<typeof world>, t: Task, ops: FileOps, f: File, cmd: number, arg = 0) =>
  w.as(t, () => ops.ioctl!(f, cmd, arg, ctx));

// ---------------------------------------------------------------- tests

describe("controlling terminals", () => {
  test("a session leader without one acquires the terminal it opens; O_NOCTTY and members do not", () => {
    const w = world();
    const a = w.proc(null);
    w.setsid(a);
    w.open(a, O_RDWR | O_NOCTTY);
    same(a.tg.ctty, null);
    const member = w.proc(a);
    w.open(member);
    same(member.tg.ctty, null);
    w.open(a);
    same(a.tg.ctty, w.tty);
    assert.equal(w.tty.sid, a.pid);
    assert.equal(w.tty.pgrp, a.pid);
    // Another session's leader cannot take it by opening it.
    const b = w.proc(null);
    w.setsid(b);
    w.open(b);
    same(b.tg.ctty, null);
  });

  test("TIOCSCTTY: leaders only, one session at a time, root may steal with 1", () => {
    const w = world();
    const a = w.proc(null);
    w.setsid(a);
    const { f, ops } = w.open(a, O_RDWR | O_NOCTTY);
    const member = w.proc(a);
    assert.equal(errno(() => ioctl(w, member, ops, f, TIOCSCTTY)), EPERM);
    assert.equal(ioctl(w, a, ops, f, TIOCSCTTY), 0);
    assert.equal(ioctl(w, a, ops, f, TIOCSCTTY), 0); // already ours
    const b = w.proc(null, { uid: 1000 });
    w.setsid(b);
    assert.equal(errno(() => ioctl(w, b, ops, f, TIOCSCTTY, 1)), EPERM);
    const r = w.proc(null);
    w.setsid(r);
    assert.equal(errno(() => ioctl(w, r, ops, f, TIOCSCTTY, 0)), EPERM);
    assert.equal(ioctl(w, r, ops, f, TIOCSCTTY, 1), 0);
    same(r.tg.ctty, w.tty);
    same(a.tg.ctty, null, "the old session lost it");
  });

  test("/dev/tty is the caller's controlling terminal, ENXIO without one", () => {
    const w = world();
    const a = w.proc(null);
    w.setsid(a);
    const devTty = { mode: S_IFCHR | 0o666, rdev: makedev(5, 0) } as Inode;
    const f = new File(null, devTty, O_RDWR, {});
    assert.equal(errno(() => w.as(a, () => openDevice(devTty, f))), ENXIO);
    w.open(a);
    const ops = w.as(a, () => openDevice(devTty, f))!;
    f.ops = ops;
    assert.equal(ioctl(w, a, ops, f, TIOCGPGRP, 0), 0);
    assert.equal(getI32(0), a.pid);
  });

  test("TIOCGPGRP, TIOCGSID and TIOCSPGRP", () => {
    const s = session();
    const { leader, job, f, ops } = s;
    assert.equal(ioctl(s, leader, ops, f, TIOCGSID, 8), 0);
    assert.equal(getI32(8), leader.pid);
    const outsider = s.proc(null);
    s.setsid(outsider);
    assert.equal(errno(() => ioctl(s, outsider, ops, f, TIOCGPGRP, 0)), ENOTTY);
    assert.equal(errno(() => ioctl(s, outsider, ops, f, TIOCGSID, 0)), ENOTTY);
    putI32(0, -1);
    assert.equal(errno(() => ioctl(s, leader, ops, f, TIOCSPGRP, 0)), EINVAL);
    putI32(0, 4_000_000);
    assert.equal(errno(() => ioctl(s, leader, ops, f, TIOCSPGRP, 0)), ESRCH);
    putI32(0, outsider.pid);
    assert.equal(errno(() => ioctl(s, leader, ops, f, TIOCSPGRP, 0)), EPERM);
    assert.equal(errno(() => ioctl(s, outsider, ops, f, TIOCSPGRP, 0)), ENOTTY);
    putI32(0, job.pid);
    assert.equal(ioctl(s, leader, ops, f, TIOCSPGRP, 0), 0);
    assert.equal(s.tty.pgrp, job.pid);
  });
});

describe("background process groups", () => {
  test("a background read raises SIGTTIN in the reader's group", () => {
    const s = session();
    const { job, f, ops } = s;
    assert.equal(errno(() => s.as(job, () => ops.read!(f, new Uint8Array(4), 0))), EAGAIN);
    assert.equal(pending(job, SIGTTIN), true);
    assert.equal(pending(s.leader, SIGTTIN), false);
  });

  test("SIGTTIN ignored or blocked, or an orphaned group: EIO", () => {
    const s = session();
    const { job, f, ops } = s;
    job.sighand.actions[SIGTTIN] = { handler: SIG_IGN, flags: 0, mask: 0n };
    assert.equal(errno(() => s.as(job, () => ops.read!(f, new Uint8Array(4), 0))), EIO);
    job.sighand.actions[SIGTTIN] = { handler: 0, flags: 0, mask: 0n };
    job.sigmask = sigmask(SIGTTIN);
    assert.equal(errno(() => s.as(job, () => ops.read!(f, new Uint8Array(4), 0))), EIO);
    job.sigmask = 0n;
    // Its parent leaves the session's groups: the job's group is orphaned.
    job.tg.parent = null;
    assert.equal(isOrphanedPgrp(s.k, job.pid), true);
    assert.equal(errno(() => s.as(job, () => ops.read!(f, new Uint8Array(4), 0))), EIO);
    assert.equal(pending(job, SIGTTIN), false);
  });

  test("the foreground group reads; a process without this controlling terminal is not checked", () => {
    const s = session();
    s.term.type("hi\r");
    const buf = new Uint8Array(8);
    assert.equal(s.as(s.leader, () => s.ops.read!(s.f, buf, 0)), 3);
    const stranger = s.proc(null);
    s.setsid(stranger);
    assert.equal(errno(() => s.as(stranger, () => s.ops.read!(s.f, buf, 0))), EAGAIN);
    assert.equal(pending(stranger, SIGTTIN), false);
  });

  test("TOSTOP: background writes raise SIGTTOU unless it is ignored", () => {
    const s = session();
    const { job, f, ops, tty } = s;
    assert.equal(s.as(job, () => ops.write!(f, Buffer.from("a"), 0)), 1);
    const t2 = tty.termios.clone();
    t2.lflag |= TOSTOP;
    tty.setTermios(t2);
    assert.equal(errno(() => s.as(job, () => ops.write!(f, Buffer.from("b"), 0))), EAGAIN);
    assert.equal(pending(job, SIGTTOU), true);
    clear(job);
    job.sighand.actions[SIGTTOU] = { handler: SIG_IGN, flags: 0, mask: 0n };
    assert.equal(s.as(job, () => ops.write!(f, Buffer.from("c"), 0)), 1);
    assert.equal(pending(job, SIGTTOU), false);
    assert.match(s.term.text, /ac$/);
  });

  test("changing settings from the background waits for SIGTTOU (blocked: allowed)", () => {
    const s = session();
    const { job, f, ops } = s;
    mem.set(s.tty.termios.encode(), 100);
    assert.throws(() => ioctl(s, job, ops, f, TCSETS, 100), (e) => isSleeping(e)); // parked: the ioctl runs again when woken
    assert.equal(pending(job, SIGTTOU), true);
    job.clearWaits();
    clear(job);
    job.sigmask = sigmask(SIGTTOU);
    assert.equal(ioctl(s, job, ops, f, TCSETS, 100), 0);
    assert.equal(ioctl(s, job, ops, f, TCGETS, 200), 0);
    assert.equal(mem.subarray(200, 200 + termiosStruct.size).join(), s.tty.termios.encode().join());
  });
});

describe("exits and hangups", () => {
  test("the session leader exits: the foreground group hears SIGHUP and SIGCONT, the console hangs up", () => {
    const s = session();
    const { leader, job, f, ops, tty } = s;
    tty.pgrp = job.pid; // the job is in the foreground
    s.k.exitGroup(leader.tg, 0, "exit");
    assert.equal(pending(job, SIGHUP), true);
    assert.equal(pending(job, SIGCONT), true);
    same(job.tg.ctty, null);
    assert.equal(tty.sid, 0);
    assert.equal(tty.pgrp, 0);
    assert.equal(s.as(job, () => ops.read!(f, new Uint8Array(4), 0)), 0);
    assert.equal(errno(() => s.as(job, () => ops.write!(f, Buffer.from("x"), 0))), EIO);
    assert.equal(ops.poll!(f) & POLLHUP, POLLHUP);
    // A new open works again.
    const again = s.open(job, O_RDWR | O_NOCTTY);
    s.term.type("x\r");
    assert.equal(s.as(job, () => again.ops.read!(again.f, new Uint8Array(4), 0)), 2);
  });

  test("TIOCNOTTY: a member drops only its own terminal; the leader gives up the session's", () => {
    const s = session();
    const { leader, job, f, ops, tty } = s;
    job.tg.ctty = tty;
    assert.equal(ioctl(s, job, ops, f, TIOCNOTTY), 0);
    same(job.tg.ctty, null);
    same(leader.tg.ctty, tty);
    assert.equal(errno(() => ioctl(s, job, ops, f, TIOCNOTTY)), ENOTTY);
    const member = s.proc(leader);
    same(member.tg.ctty, tty);
    assert.equal(ioctl(s, leader, ops, f, TIOCNOTTY), 0);
    assert.equal(pending(leader, SIGHUP), true);
    same(member.tg.ctty, null);
    assert.equal(tty.sid, 0);
  });

  test("a stopped group orphaned by an exit gets SIGHUP then SIGCONT", () => {
    const s = session();
    const mid = s.proc(s.leader);
    const kid = s.proc(mid);
    s.setpgid(kid, kid.pid);
    kid.tg.stopped = true;
    clear(kid);
    s.k.exitGroup(mid.tg, 0, "exit");
    assert.equal(pending(kid, SIGHUP), true);
    // SIGCONT continued it (and dropped nothing else).
    assert.equal(kid.tg.stopped, false);
  });

  test("a group that is not orphaned is left alone", () => {
    const s = session();
    const kid = s.proc(s.leader);
    s.setpgid(kid, kid.pid);
    kid.tg.stopped = true;
    const other = s.proc(s.leader);
    s.k.exitGroup(other.tg, 0, "exit");
    assert.equal(pending(kid, SIGHUP), false);
  });
});

describe("terminal ioctls", () => {
  test("TIOCSWINSZ signals the foreground group only on a change", () => {
    const s = session();
    const { leader, f, ops } = s;
    leader.sighand.actions[SIGWINCH] = { handler: 0x1000, flags: 0, mask: 0n }; // caught (its default is to ignore)
    mem.set([10, 0, 20, 0, 0, 0, 0, 0], 300);
    assert.equal(ioctl(s, leader, ops, f, TIOCSWINSZ, 300), 0);
    assert.equal(pending(leader, SIGWINCH), true);
    clear(leader);
    ioctl(s, leader, ops, f, TIOCSWINSZ, 300);
    assert.equal(pending(leader, SIGWINCH), false);
    s.term.resize(30, 100);
    assert.equal(pending(leader, SIGWINCH), true);
    assert.deepEqual([s.tty.winsize.row, s.tty.winsize.col], [30, 100]);
  });

  test("TIOCSTI needs the controlling terminal (or root)", () => {
    const s = session();
    const user = s.proc(null, { uid: 1000 });
    s.setsid(user);
    mem[400] = 0x71;
    assert.equal(errno(() => ioctl(s, user, s.ops, s.f, TIOCSTI, 400)), EPERM);
    assert.equal(ioctl(s, s.leader, s.ops, s.f, TIOCSTI, 400), 0);
    assert.match(s.term.text, /q$/);
  });

  test("TIOCEXCL: further opens are EBUSY except for root", () => {
    const s = session();
    assert.equal(ioctl(s, s.leader, s.ops, s.f, TIOCEXCL), 0);
    const user = s.proc(null, { uid: 1000 });
    assert.equal(errno(() => s.open(user, O_RDWR | O_NOCTTY)), EBUSY);
    s.open(s.leader, O_RDWR | O_NOCTTY);
    assert.equal(ioctl(s, s.leader, s.ops, s.f, TIOCNXCL), 0);
    s.open(user, O_RDWR | O_NOCTTY);
  });

  test("^C typed on the console signals the foreground group", () => {
    const s = session();
    s.term.type("\x03");
    assert.equal(pending(s.leader, SIGINT), true);
    assert.equal(pending(s.job, SIGINT), false);
    assert.match(s.term.text, /\^C$/);
  });

  test("VMIN=0, VTIME>0: a read waits VTIME tenths, then returns 0", () => {
    const s = session();
    const t2 = s.tty.termios.clone();
    t2.lflag &= ~(ICANON | ECHO);
    t2.cc[VMIN] = 0;
    t2.cc[VTIME] = 5;
    s.tty.setTermios(t2);
    const buf = new Uint8Array(8);
    const r = () => s.as(s.leader, () => s.ops.read!(s.f, buf, 0));
    assert.equal(errno(r), EAGAIN);
    assert.ok(s.k.timers.next() <= s.k.clock.monotonic() + 500_000_000);
    s.k.clock.skipTo(s.k.clock.monotonic() + 499_000_000);
    assert.equal(errno(r), EAGAIN);
    s.k.clock.skipTo(s.k.clock.monotonic() + 2_000_000);
    assert.equal(r(), 0);
  });

  test("VMIN>0, VTIME>0: the timer runs from the last byte", () => {
    const s = session();
    const t2 = s.tty.termios.clone();
    t2.lflag &= ~(ICANON | ECHO);
    t2.cc[VMIN] = 4;
    t2.cc[VTIME] = 1;
    s.tty.setTermios(t2);
    const buf = new Uint8Array(8);
    const r = () => s.as(s.leader, () => s.ops.read!(s.f, buf, 0));
    s.leader.restart = null;
    assert.equal(errno(r), EAGAIN, "nothing yet: waits without a timer");
    s.term.type("ab");
    assert.equal(errno(r), EAGAIN);
    s.k.clock.skipTo(s.k.clock.monotonic() + 150_000_000);
    assert.equal(r(), 2);
    s.leader.restart = null;
    s.term.type("wxyz");
    assert.equal(r(), 4);
    const nb = new File(null, s.f.inode, O_RDWR | O_NONBLOCK, s.ops);
    assert.equal(errno(() => s.as(s.leader, () => s.ops.read!(nb, buf, 0))), EAGAIN);
  });
});

describe("pseudo-terminals", () => {
  function pair() {
    const w = world();
    const dp = new Devpts(w.k);
    const a = w.proc(null);
    w.setsid(a);
    const mf = new File(null, dp.ptmx, O_RDWR, {});
    mf.ops = w.as(a, () => dp.openMaster(mf));
    const pty = dp.ptys.get(0)!;
    const sf = new File(null, pty.inode!, O_RDWR, {});
    return { ...w, dp, a, mf, pty, sf };
  }
  const rd = (ops: FileOps, f: File) => { const b = new Uint8Array(64); return Buffer.from(b.subarray(0, ops.read!(f, b, 0))).toString("latin1"); };

  test("the slave is locked until TIOCSPTLCK 0; TIOCGPTN gives its number", () => {
    const p = pair();
    assert.equal(errno(() => p.as(p.a, () => p.pty.openSlave(p.sf))), EIO);
    putI32(0, 0);
    assert.equal(ioctl(p, p.a, p.mf.ops, p.mf, TIOCSPTLCK, 0), 0);
    p.sf.ops = p.as(p.a, () => p.pty.openSlave(p.sf));
    assert.equal(ioctl(p, p.a, p.mf.ops, p.mf, TIOCGPTN, 8), 0);
    assert.equal(getI32(8), 0);
    same(p.a.tg.ctty, p.pty.slave, "the leader acquired the slave");
    same(p.dp.root.lookup("0"), p.pty.inode);
  });

  test("data both ways through the line discipline; EIO and EOF when a side closes", () => {
    const p = pair();
    putI32(0, 0);
    ioctl(p, p.a, p.mf.ops, p.mf, TIOCSPTLCK, 0);
    p.sf.ops = p.as(p.a, () => p.pty.openSlave(p.sf));
    p.as(p.a, () => p.mf.ops.write!(p.mf, Buffer.from("ls\n"), 0));
    assert.equal(rd(p.mf.ops, p.mf), "ls\r\n", "echo");
    assert.equal(p.as(p.a, () => rd(p.sf.ops, p.sf)), "ls\n");
    p.as(p.a, () => p.sf.ops.write!(p.sf, Buffer.from("out\n"), 0));
    assert.equal(ioctl(p, p.a, p.mf.ops, p.mf, FIONREAD, 0), 0);
    assert.equal(getI32(0), 5);
    assert.equal(rd(p.mf.ops, p.mf), "out\r\n");
    // ^C from the master signals the foreground group.
    p.mf.ops.write!(p.mf, Buffer.from("\x03"), 0);
    assert.equal(pending(p.a, SIGINT), true);
    assert.equal(ioctl(p, p.a, p.mf.ops, p.mf, TIOCSIG, SIGUSR1), 0);
    assert.equal(pending(p.a, SIGUSR1), true);
    assert.equal(errno(() => ioctl(p, p.a, p.mf.ops, p.mf, TIOCSIG, 0)), EINVAL);
    rd(p.mf.ops, p.mf);
    p.sf.put();
    assert.equal(errno(() => rd(p.mf.ops, p.mf)), EIO);
    assert.equal(p.mf.ops.poll!(p.mf) & POLLHUP, POLLHUP);
    p.sf.ops = p.as(p.a, () => p.pty.openSlave(p.sf));
    p.sf.refs = 1;
    p.mf.put();
    assert.equal(p.as(p.a, () => rd(p.sf.ops, p.sf)), "");
    assert.equal(errno(() => p.as(p.a, () => p.sf.ops.write!(p.sf, Buffer.from("x"), 0))), EIO);
    assert.equal(p.sf.ops.poll!(p.sf) & (POLLHUP | POLLIN), POLLHUP | POLLIN);
    same(p.a.tg.ctty, null, "the hangup took the controlling terminal");
    assert.equal(pending(p.a, SIGHUP), true);
    same(p.dp.root.lookup("0"), null, "/dev/pts/0 is gone");
    p.sf.put();
    assert.equal(p.dp.ptys.size, 0, "the number is free again");
  });

  test("TIOCGPTPEER opens the slave as a new descriptor", () => {
    const p = pair();
    putI32(0, 0);
    ioctl(p, p.a, p.mf.ops, p.mf, TIOCSPTLCK, 0);
    const fd = ioctl(p, p.a, p.mf.ops, p.mf, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    assert.equal(fd, 0);
    same(p.a.files.get(fd).inode, p.pty.inode);
    same(p.a.tg.ctty, null, "O_NOCTTY");
  });

  test("packet mode: a zero byte before data, status bytes for flow changes", () => {
    const p = pair();
    putI32(0, 0);
    ioctl(p, p.a, p.mf.ops, p.mf, TIOCSPTLCK, 0);
    p.sf.ops = p.as(p.a, () => p.pty.openSlave(p.sf));
    putI32(0, 1);
    ioctl(p, p.a, p.mf.ops, p.mf, TIOCPKT, 0);
    p.as(p.a, () => p.sf.ops.write!(p.sf, Buffer.from("hi"), 0));
    assert.equal(rd(p.mf.ops, p.mf), "\x00hi");
    p.mf.ops.write!(p.mf, Buffer.from("\x13"), 0);
    assert.equal(rd(p.mf.ops, p.mf), "\x04");
    p.mf.ops.write!(p.mf, Buffer.from("\x11"), 0);
    assert.equal(rd(p.mf.ops, p.mf), "\x08");
  });

  test("each open of ptmx gets the lowest free number", () => {
    const p = pair();
    const m2 = new File(null, p.dp.ptmx, O_RDWR, {});
    m2.ops = p.dp.openMaster(m2);
    assert.deepEqual([...p.dp.ptys.keys()], [0, 1]);
    p.mf.put();
    const m3 = new File(null, p.dp.ptmx, O_RDWR, {});
    m3.ops = p.dp.openMaster(m3);
    assert.equal(p.dp.ptys.has(0), true);
    assert.equal(p.dp.root.readdir().map((e) => e.name).join(","), ".,..,ptmx,0,1");
  });
});
