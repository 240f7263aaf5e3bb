// /dev/kmsg (char 1:11), Linux's devkmsg interface to the kernel log
// (Documentation/ABI/testing/dev-kmsg): each read(2) returns one record as
// "PRI,SEQ,TIMESTAMP_US,FLAGS;TEXT\n", PRI being (facility << 3) | level and
// TEXT's unprintable bytes and backslashes escaped as \xNN. A reader starts
// at the oldest record held; a buffer smaller than the record is EINVAL (and
// that record is passed over); a record the ring dropped before it was read is EPIPE
// once, the reader then moved to the oldest record held; with nothing new a
// read waits, or is EAGAIN with O_NONBLOCK. lseek takes offset 0 only
// (ESPIPE else): SEEK_SET to the oldest record, SEEK_END past the newest,
// SEEK_DATA to the first after the last syslog CLEAR. A write logs one
// message, LOG_USER at the default level unless it starts with "<N>", as one
// record whatever newlines it holds, and is rate-limited per open file as
// Linux's default printk.devkmsg=ratelimit.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EBADF, EINVAL, EPIPE, ESPIPE } from "../abi/errno.js";
import { SEEK_DATA, SEEK_END, SEEK_SET } from "../abi/fcntl.js";
import { POLLERR, POLLIN, POLLNVAL, POLLPRI, POLLRDNORM } from "../abi/poll.js";
import {
  DEFAULT_RATELIMIT_BURST, DEFAULT_RATELIMIT_INTERVAL_NS, LOG_USER, LOGLEVEL_WARNING, MESSAGE_LOGLEVEL_DEFAULT,
  PRINTKRB_RECORD_MAX,
} from "../abi/syslog.js";
import type { File, FileOps } from "../fs/file.js";
import { makedev, registerChrdev } from "../fs/char_dev.js";
import { registerDevNode } from "../fs/devtmpfs.js";
import { runningKernel } from "../kernel/running.js";
import type { KernelLog, LogRecord } from "../kernel/printk.js";

export const KMSG_MINOR = 11;
const encoder = new TextEncoder();
const BACKSLASH = 0x5c;

// One record as a /dev/kmsg read gives it. The text is a byte string
// (kernel/printk.ts); a newline in it is escaped like any control byte
// (msg_add_ext_text), so a record reads as one line.
export function kmsgRecord(r: Readonly<LogRecord>): Uint8Array {
  const head = `${(r.facility << 3) | r.level},${r.seq},${Math.floor(r.ns / 1000)},-;`;
  let body = "";
  for (let i = 0; i < r.text.length; i++) {
    const b = r.text.charCodeAt(i) & 0xff;
    body += b < 0x20 || b >= 0x7f || b === BACKSLASH ? `\\x${b.toString(16).padStart(2, "0")}` : String.fromCharCode(b);
  }
  return encoder.encode(`${head}${body}\n`);
}

// A write as devkmsg_write takes it: the bytes up to the first NUL (it logs
// them as a C string), a "<N>" prefix whose low 3 bits are the level and the
// rest the facility when not 0 ("<>" reads as 0, as simple_strtoul does), and
// one trailing newline dropped (printk_sprint); newlines within stay in the
// one record. text is a byte string (one char per byte).
function parseWrite(bytes: Uint8Array): { facility: number; level: number; text: string } {
  const nul = bytes.indexOf(0);
  let text = Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString("latin1");
  let facility = LOG_USER, level = MESSAGE_LOGLEVEL_DEFAULT;
  const m = /^<(\d*)>/.exec(text);
  if (m) {
    const u = m[1] === "" ? 0 : Number(BigInt.asUintN(32, BigInt(m[1])));
    level = u & 7;
    if ((u >>> 3) & 0xff) facility = (u >>> 3) & 0xff;
    text = text.slice(m[0].length);
  }
  return { facility, level, text: text.replace(/\n$/, "") };
}

// A per-file rate limit (lib/ratelimit.c): a burst of records per interval;
// the rest are dropped (the write still reports every byte taken) and
// counted, and the count logged when the file is closed.
class RateLimit {
  private begin = -1;
  private printed = 0;
  missed = 0;
  allow(now: number): boolean {
    if (this.begin < 0 || now >= this.begin + DEFAULT_RATELIMIT_INTERVAL_NS) { this.begin = now; this.printed = 0; }
    if (this.printed < DEFAULT_RATELIMIT_BURST) { this.printed++; return true; }
    this.missed++;
    return false;
  }
}

function kmsgOpen(f: File): FileOps {
  const log: KernelLog | undefined = runningKernel()?.log;
  if (!log) return kerr(EBADF);
  // A file opened for writing only has no reader state (devkmsg_open).
  let seq = log.first();
  const limit = new RateLimit();
  const reader = f.readable;
  return {
    read: (_f, dst) => {
      if (!reader) kerr(EBADF);
      if (seq < log.first()) { seq = log.first(); kerr(EPIPE); }
      const r = log.record(seq);
      if (!r) kerr(EAGAIN); // nothing new yet: the read path waits on waitQueue()
      const bytes = kmsgRecord(r!);
      // As devkmsg_read: the reader moves past the record before its size is
      // checked, so a buffer too small loses that record.
      seq++;
      if (bytes.length > dst.length) kerr(EINVAL);
      dst.set(bytes);
      return bytes.length;
    },
    write: (_f, src) => {
      if (src.length > PRINTKRB_RECORD_MAX) kerr(EINVAL);
      if (!limit.allow(log.nowNs())) return src.length;
      const m = parseWrite(src);
      log.logRecord(m.level, m.text, m.facility);
      return src.length;
    },
    seek: (_f, off, whence) => {
      if (!reader) kerr(EBADF);
      if (off !== 0) kerr(ESPIPE);
      switch (whence) {
        case SEEK_SET: seq = log.first(); break;
        case SEEK_END: seq = log.end; break;
        case SEEK_DATA: seq = Math.max(log.clearSeq, log.first()); break;
        default: kerr(EINVAL);
      }
      return 0;
    },
    poll: () => {
      if (!reader) return POLLERR | POLLNVAL;
      if (seq < log.first()) return POLLIN | POLLRDNORM | POLLERR | POLLPRI;
      return seq < log.end ? POLLIN | POLLRDNORM : 0;
    },
    waitQueue: () => log.wq,
    release: () => {
      if (limit.missed > 0) {
        const comm = runningKernel()?.current?.comm ?? "kmsg";
        log.logRecord(LOGLEVEL_WARNING, `printk: ${comm}: ${limit.missed} output lines suppressed due to ratelimiting`, 0);
      }
    },
  };
}

registerChrdev(makedev(1, KMSG_MINOR), (_i, f) => kmsgOpen(f));
// Mode 0644, as Linux's devlist: everyone reads the log, root writes to it.
registerDevNode("kmsg", 1, KMSG_MINOR, 0o644);
