// `ghost boot`: boots the default system (busybox init, a shell on the
// console) and runs until it powers off; a restart boots it again.

import { resolve } from "node:path";
import { bootSystem, shutdownFilesystems, type HostDisk } from "../boot/boot.js";
import { parseDisk } from "./disk.js";
import { ttySystem } from "../drivers/tty/index.js";
import { rebootState } from "../syscalls/sys_system.js";
import type { ClockMode } from "../kernel/time/clock.js";
import { attachUserNet, parseForward, type PortForward } from "../net/usernet.js";

export const BOOT_USAGE = `  ghost boot [options]    boot the system: init, then a shell on the console
      -c CMD               run CMD in the booted system, power off, exit with its status
      --root=DIR|CPIO|IMAGE root filesystem (default build/rootfs); an ext2/3/4 image is a disk
      --disk=FILE[:ro]     attach a host file as a disk: /dev/vda, /dev/vdb, … (repeatable)
      --init=PATH          the first program (default /sbin/init)
      --mem=SIZE           guest memory (default 512M)
      --clock=host|virtual time source (default host)
      -p, --net, --net-loss, --net-delay   as for ghost run
`;

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size: ${s}`);
  return Number(m[1]) * ({ "": 1, K: 1024, M: 1 << 20, G: 1 << 30 } as Record<string, number>)[m[2].toUpperCase()];
}

export async function bootCommand(args: string[]): Promise<number> {
  let root: string | undefined;
  let init: string | undefined;
  let command: string | undefined;
  let mem = 512 << 20;
  let clock: ClockMode = "host";
  const disks: HostDisk[] = [];
  const forwards: PortForward[] = [];
  let netMode = "user", netLoss = 0, netDelay = 0;
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
      case "--disk": disks.push(parseDisk(val())); break;
      case "--mem": mem = parseSize(val()); break;
      case "--clock": clock = val() as ClockMode; if (clock !== "host" && clock !== "virtual") throw new Error("--clock is host or virtual"); break;
      case "-p": case "--publish": {
        const f = parseForward(val());
        if (!f) throw new Error("-p is [ADDR:]HOSTPORT:GUESTPORT");
        forwards.push(f);
        break;
      }
      case "--net": netMode = val(); if (netMode !== "user" && netMode !== "none") throw new Error("--net is user or none"); break;
      case "--net-loss": netLoss = Number(val()); if (!(netLoss >= 0 && netLoss <= 100)) throw new Error("--net-loss is a percentage"); break;
      case "--net-delay": netDelay = Number(val()); if (!(netDelay >= 0)) throw new Error("--net-delay is in ms"); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  for (;;) {
    const k = bootSystem({ rootfs: root, init, command, memoryBytes: mem, clock, disks });
    const usernet = netMode === "user" ? attachUserNet(k, { forwards, lossPct: netLoss, delayMs: netDelay }) : null;
    let status: number;
    try {
      status = await k.run();
      shutdownFilesystems(k);
    } finally {
      ttySystem(k)?.shutdown();
      usernet?.close();
    }
    if (rebootState(k).action === "restart") continue;
    return status;
  }
}
