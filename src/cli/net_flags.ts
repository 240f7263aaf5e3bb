// The network flags of `ghost run` and `ghost boot`: -p/--publish, --net,
// --net-loss, --net-delay; and attaching the user-mode network they ask for.

import { attachUserNet, parseForward, type PortForward } from "../net/usernet.js";
import type { Kernel } from "../kernel/kernel.js";

export class NetFlags {
  readonly forwards: PortForward[] = [];
  mode = "user";
  lossPct = 0;
  delayMs = 0;

  // Takes one flag (its value from val()); false when it is not a network flag.
  take(flag: string, val: () => string): boolean {
    switch (flag) {
      case "-p": case "--publish": {
        const f = parseForward(val());
        if (!f) throw new Error("-p is [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]");
        this.forwards.push(f);
        return true;
      }
      case "--net": this.mode = val(); if (this.mode !== "user" && this.mode !== "none") throw new Error("--net is user or none"); return true;
      case "--net-loss": this.lossPct = Number(val()); if (!(this.lossPct >= 0 && this.lossPct <= 100)) throw new Error("--net-loss is a percentage"); return true;
      case "--net-delay": this.delayMs = Number(val()); if (!(this.delayMs >= 0)) throw new Error("--net-delay is in ms"); return true;
      default: return false;
    }
  }

  // eth0 and its NAT, unless --net=none.
  attach(k: Kernel): ReturnType<typeof attachUserNet> | null {
    return this.mode === "user" ? attachUserNet(k, { forwards: this.forwards, lossPct: this.lossPct, delayMs: this.delayMs }) : null;
  }
}
