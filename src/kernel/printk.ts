// The kernel log: printk into a ring of records, read by syslog(2) (dmesg)
// as Linux's "<level>[seconds.micros] text" lines and by /dev/kmsg
// (drivers/kmsg.ts) a record at a time. Whoever built the kernel
// may watch every record as it is logged (onRecord: what a serial console
// shows; the `ghost` command copies them to stderr under GHOST_KLOG=1).

import { LOG_BUF_LEN, LOGLEVEL_DEBUG } from "../abi/syslog.js";
import { WaitQueue } from "../lib/wait.js";
import { fromHost, toHost } from "./kstr.js";

// facility: 0 for the kernel's own messages, LOG_USER (1) for what a program
// writes to /dev/kmsg; both print as "<(facility << 3) | level>". text is a
// byte string (one char per byte: what a program wrote need not be UTF-8)
// and may hold newlines (a /dev/kmsg write is one record).
export interface LogRecord { seq: number; facility: number; level: number; ns: number; text: string; bytes: number }

export class KernelLog {
  private readonly records: LogRecord[] = [];
  private bytes = 0; // formatted size of the records held
  private nextSeq = 0;
  // syslog(SYSLOG_ACTION_READ) reads from here on; CLEAR moves clearSeq.
  readSeq = 0;
  clearSeq = 0;
  consoleLevel = LOGLEVEL_DEBUG; // console_loglevel: records below it reach the console
  consoleOn = true;
  readonly wq = new WaitQueue();
  onRecord: ((level: number, line: string) => void) | null = null;

  constructor(private readonly now: () => number) {}

  // The log's clock (monotonic ns since boot), for rate limits on writers.
  nowNs(): number { return this.now(); }

  // The kernel's own messages: each line of text is a record of its own (as
  // separate printk calls would make them).
  log(level: number, text: string, facility = 0): void {
    for (const line of text.replace(/\n$/, "").split("\n")) this.append(level, fromHost(line), facility);
    this.wq.wakeAll();
  }

  // One record whose text is a byte string (one char per byte) kept as given,
  // newlines included, as printk stores what a /dev/kmsg write hands it
  // (devkmsg_write → vprintk_emit: one record per write).
  logRecord(level: number, text: string, facility: number): void {
    this.append(level, text, facility);
    this.wq.wakeAll();
  }

  private append(level: number, text: string, facility: number): void {
    const r: LogRecord = { seq: this.nextSeq++, facility, level, ns: this.now(), text, bytes: 0 };
    r.bytes = format(r).length;
    this.records.push(r);
    this.bytes += r.bytes;
    while (this.bytes > LOG_BUF_LEN && this.records.length > 1) this.bytes -= this.records.shift()!.bytes;
    if (this.onRecord && this.consoleOn && level < this.consoleLevel) {
      for (const line of format(r).split(/(?<=\n)/)) this.onRecord(level, toHost(line));
    }
  }

  // The oldest record still held (or the next to come when there is none).
  first(): number { return this.records.length ? this.records[0].seq : this.nextSeq; }

  // The record numbered seq, or null when it is gone or not yet written.
  record(seq: number): Readonly<LogRecord> | null {
    const i = seq - this.first();
    return i >= 0 && i < this.records.length ? this.records[i] : null;
  }

  // The records from seq on, formatted, at most max bytes of whole records (the oldest first).
  text(fromSeq: number, max: number): { text: string; next: number } {
    let out = "", n = 0, next = Math.max(fromSeq, this.first());
    for (const r of this.records) {
      if (r.seq < next) continue;
      if (n + r.bytes > max) break;
      out += format(r);
      n += r.bytes;
      next = r.seq + 1;
    }
    return { text: out, next };
  }

  // READ_ALL: the newest records that fit in max bytes, from clearSeq on.
  tail(max: number): string {
    const from = Math.max(this.clearSeq, this.first());
    let n = 0, start = this.records.length;
    while (start > 0 && this.records[start - 1].seq >= from && n + this.records[start - 1].bytes <= max) n += this.records[--start].bytes;
    return this.records.slice(start).map(format).join("");
  }

  unreadBytes(): number {
    let n = 0;
    for (const r of this.records) if (r.seq >= this.readSeq) n += r.bytes;
    return n;
  }
  get end(): number { return this.nextSeq; }
}

// A record as syslog(2) gives it, a byte string: every line of its text
// behind the same "<PRI>[time] " prefix (as Linux's record_print_text).
function format(r: LogRecord): string {
  const us = Math.floor(r.ns / 1000);
  const sec = Math.floor(us / 1e6).toString().padStart(5, " ");
  const prefix = `<${(r.facility << 3) | r.level}>[${sec}.${(us % 1e6).toString().padStart(6, "0")}] `;
  return r.text.split("\n").map((line) => `${prefix}${line}\n`).join("");
}
