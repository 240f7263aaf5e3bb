// syslog(2) (glibc's klogctl): the kernel log, as dmesg reads it. Reading
// everything and asking the buffer's size are open to all (dmesg_restrict=0);
// the rest needs CAP_SYSLOG or CAP_SYS_ADMIN, as Linux's check_syslog_permissions.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM } from "../abi/errno.js";
import { CAP_SYSLOG, CAP_SYS_ADMIN } from "../abi/prctl.js";
import {
  SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR,
  SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_CONSOLE_OFF, SYSLOG_ACTION_CONSOLE_ON, SYSLOG_ACTION_CONSOLE_LEVEL,
  SYSLOG_ACTION_SIZE_UNREAD, SYSLOG_ACTION_SIZE_BUFFER, LOG_BUF_LEN,
} from "../abi/syslog.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { i32Arg } from "./args.js";


// The log's text is a byte string (kernel/printk.ts): one byte per char.
function copyOut(t: Task, va: number, s: string): number {
  const b = Buffer.from(s, "latin1");
  um(t).write(va, b);
  return b.length;
}

function syslog(t: Task, type: number, va: number, len: number): number {
  const log = t.k.log;
  if (type !== SYSLOG_ACTION_READ_ALL && type !== SYSLOG_ACTION_SIZE_BUFFER && type !== SYSLOG_ACTION_CLOSE && type !== SYSLOG_ACTION_OPEN) {
    if (!hasCap(t.cred, CAP_SYSLOG) && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM);
  }
  switch (type) {
    case SYSLOG_ACTION_CLOSE: case SYSLOG_ACTION_OPEN: return 0;
    case SYSLOG_ACTION_READ: {
      if (va === 0 || len < 0) kerr(EINVAL);
      if (len === 0) return 0;
      const { text, next } = log.text(log.readSeq, len);
      if (text === "") {
        if (log.readSeq < log.end) { log.readSeq = next; return 0; } // the next record alone exceeds len
        return sleepOn(t, [log.wq]);
      }
      const n = copyOut(t, va, text);
      log.readSeq = next;
      return n;
    }
    case SYSLOG_ACTION_READ_ALL: case SYSLOG_ACTION_READ_CLEAR: {
      if (va === 0 || len < 0) kerr(EINVAL);
      if (len === 0) return 0;
      const n = copyOut(t, va, log.tail(len));
      if (type === SYSLOG_ACTION_READ_CLEAR) log.clearSeq = log.end;
      return n;
    }
    case SYSLOG_ACTION_CLEAR: log.clearSeq = log.end; return 0;
    case SYSLOG_ACTION_CONSOLE_OFF: log.consoleOn = false; return 0;
    case SYSLOG_ACTION_CONSOLE_ON: log.consoleOn = true; return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
      if (len < 1 || len > 8) kerr(EINVAL);
      log.consoleLevel = Math.max(len, 1); // minimum_console_loglevel is 1
      log.consoleOn = true;
      return 0;
    case SYSLOG_ACTION_SIZE_UNREAD: return log.unreadBytes();
    case SYSLOG_ACTION_SIZE_BUFFER: return LOG_BUF_LEN;
    default: return kerr(EINVAL);
  }
}

defineSyscalls({
  syslog: [(t, type, va, len) => syslog(t, i32Arg(type), va, i32Arg(len)), "partial",
    "all actions; the log holds kernel messages (unhandled fatal signals, the OOM killer, oopses) and what programs write to /dev/kmsg"],
});
