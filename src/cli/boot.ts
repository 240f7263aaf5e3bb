// `ghost boot`: boots the default system (busybox init, a shell on the
// console) and runs until it powers off; a restart boots it again.

import { resolve } from "node:path";
import { bootMachine, parseSize, type Machine } from "../api/index.js";
import { HostTerminal } from "../drivers/tty/hostterm.js";
import { parseDisk } from "./disk.js";
import { NetFlags } from "./net_flags.js";
import type { HostDisk } from "../boot/boot.js";
import type { ClockMode } from "../kernel/time/clock.js";

export const BOOT_USAGE = `  ghost boot [options]    boot the system: init, then a shell on the console
      -c CMD               run CMD in the booted system, power off, exit with its status
      --root=DIR|CPIO|IMAGE root filesystem (default build/rootfs); an ext2/3/4 image is a disk
      --disk=FILE[:ro]     attach a host file as a disk: /dev/vda, /dev/vdb, … (repeatable)
      -p, --net, --net-loss, --net-delay   as for ghost run
      --init=PATH          the first program (default /sbin/init)
      --mem=SIZE           guest memory (default 512M)
      --clock=host|virtual time source (default host)
`;

// The host's stderr takes what the kernel says to its host (an oops, the
// OOM killer), and with GHOST_KLOG=1 a copy of the kernel log as it is written.
export function hostDiagnostics(m: Machine): void {
  m.on("diag", (text) => process.stderr.write(text));
  if (process.env.GHOST_KLOG === "1") m.on("log", (e) => process.stderr.write(`[ghost] ${e.line}\n`));
}

export async function bootCommand(args: string[]): Promise<number> {
  let root: string | undefined;
  let init: string | undefined;
  let command: string | undefined;
  let mem = 512 << 20;
  let clock: ClockMode = "host";
  const disks: HostDisk[] = [];
  const net = new NetFlags();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "-c": command = val(); break;
      case "--root": root = resolve(val()); break;
      case "--init": init = val(); break;
      case "--mem": mem = parseSize(val()); break;
      case "--disk": disks.push(parseDisk(val())); break;
      case "--clock": clock = val() as ClockMode; if (clock !== "host" && clock !== "virtual") throw new Error("--clock is host or virtual"); break;
      default: if (!net.take(flag, val)) throw new Error(`unknown option ${a}`);
    }
  }
  for (;;) {
    const console = new HostTerminal();
    const m = bootMachine({ root, init, command, memory: mem, clock, disks, console, term: console.isTty ? process.env.TERM : undefined });
    hostDiagnostics(m);
    const usernet = net.attach(m.kernel!);
    const r = await m.exited;
    await usernet?.close();
    if (r.shutdown === "restart") continue;
    return r.status;
  }
}
