// Administering the machine: reboot(2) — power off, halt and restart end
// the kernel (Ghost's machine), CAD_ON/CAD_OFF set what Ctrl-Alt-Del does;
// root only (CAP_SYS_BOOT), with Linux's magic numbers — sethostname(2),
// setdomainname(2) and vhangup(2).

import { kerr } from "../lib/errors.js";
import { EPERM, EINVAL } from "../abi/errno.js";
import {
  LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B, LINUX_REBOOT_MAGIC2C,
  LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_CAD_ON, LINUX_REBOOT_CMD_CAD_OFF,
  LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART2,
} from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { NORETURN } from "../kernel/blocking.js";
import { um } from "./util.js";
import type { Kernel } from "../kernel/kernel.js";
import { KernelLocal } from "../kernel/local.js";
import type { Task } from "../kernel/task.js";
import { i32Arg, u32Arg } from "./args.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_TTY_CONFIG } from "../abi/prctl.js";
import { Tty } from "../drivers/tty/tty.js";

export type ShutdownAction = "poweroff" | "halt" | "restart";

export interface RebootState {
  // Ctrl-Alt-Del reboots at once (CAD_ON) or signals init (CAD_OFF).
  cadOn: boolean;
  // The status the host process exits with after a power-off (ghost boot -c sets it).
  exitStatus: number;
  // How the machine went down, once it did.
  action: ShutdownAction | null;
  restartArg: string | null;
}

const REBOOT_STATE = new KernelLocal<RebootState>("reboot", () => ({ cadOn: true, exitStatus: 0, action: null, restartArg: null }));

export function rebootState(k: Kernel): RebootState { return k.local(REBOOT_STATE); }

const MAGIC2 = new Set([LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B, LINUX_REBOOT_MAGIC2C]);

// Every process dies and the kernel stops; the host process exits with status.
function down(k: Kernel, st: RebootState, action: ShutdownAction, status: number): number {
  st.action = action;
  k.halt(status);
  k.exitStatus = status; // init's death (the main group) must not decide it
  return NORETURN;
}

function reboot(t: Task, magic1: number, magic2: number, cmd: number, arg: number): number {
  if (t.cred.euid !== 0) kerr(EPERM);
  if ((u32Arg(magic1)) !== LINUX_REBOOT_MAGIC1 || !MAGIC2.has(u32Arg(magic2))) kerr(EINVAL);
  const k = t.k;
  const st = rebootState(k);
  switch (u32Arg(cmd)) {
    case LINUX_REBOOT_CMD_CAD_ON: st.cadOn = true; return 0;
    case LINUX_REBOOT_CMD_CAD_OFF: st.cadOn = false; return 0;
    case LINUX_REBOOT_CMD_RESTART2:
      st.restartArg = um(t).readCString(arg, 256);
      return down(k, st, "restart", 0);
    case LINUX_REBOOT_CMD_RESTART: return down(k, st, "restart", 0);
    case LINUX_REBOOT_CMD_HALT: return down(k, st, "halt", st.exitStatus);
    case LINUX_REBOOT_CMD_POWER_OFF: return down(k, st, "poweroff", st.exitStatus);
    default: return kerr(EINVAL);
  }
}

const UTS_LEN = 64; // __NEW_UTS_LEN

// sethostname/setdomainname: root only, at most 64 bytes, taken as they are.
function setUtsName(t: Task, va: number, len: number): string {
  if (t.cred.euid !== 0) kerr(EPERM);
  if (len < 0 || len > UTS_LEN) kerr(EINVAL);
  return Buffer.from(um(t).read(va, len)).toString("latin1");
}

defineSyscalls({
  sethostname: (t, va, len) => { t.ns.uts.hostname = setUtsName(t, va, i32Arg(len)); return 0; },
  setdomainname: (t, va, len) => { t.ns.uts.domainname = setUtsName(t, va, i32Arg(len)); return 0; },
  // vhangup: CAP_SYS_TTY_CONFIG or EPERM; the controlling terminal, if any, is
  // hung up: every file opened on it so far reads 0 and writes EIO (tty_vhangup_self).
  vhangup: [(t) => {
    if (!hasCap(t.cred, CAP_SYS_TTY_CONFIG)) kerr(EPERM);
    const tty = t.tg.ctty;
    if (tty instanceof Tty) tty.hangup();
    return 0;
  }, "partial", "the open files of the controlling terminal hang up; its session is not sent SIGHUP/SIGCONT (__tty_hangup's signals)"],
  reboot: [(t, m1, m2, cmd, arg) => reboot(t, m1, m2, cmd, arg), "partial",
    "POWER_OFF, HALT, RESTART, RESTART2 end the machine (ghost boot starts it again on restart); CAD_ON/OFF; no kexec or suspend (EINVAL)"],
});
