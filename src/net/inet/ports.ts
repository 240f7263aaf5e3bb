// The bind table of one transport (Linux's inet_bind_bucket hash and
// udp_table): which sockets hold which local port, the conflict rules of
// bind(2) with SO_REUSEADDR and SO_REUSEPORT (inet_csk_bind_conflict,
// udp_lib_lport_inuse), and the choice of an ephemeral port.

import { AF_INET } from "../../abi/socket.js";
import { type IpAddr, isV4, isAny, sameAddr } from "./addr.js";

// What the bind table needs to know of a socket.
export interface BoundSock {
  readonly family: number;
  laddr: IpAddr;
  lport: number;
  v6only: boolean;
  reuseaddr: boolean;
  reuseport: boolean;
  readonly uid: number;
  isListening(): boolean;
}

type Cover = "all" | IpAddr | null;
// The IPv4 and IPv6 addresses a socket bound to laddr receives for.
function covers(s: BoundSock): { c4: Cover; c6: Cover } {
  if (s.family === AF_INET || isV4(s.laddr)) return { c4: isAny(s.laddr) ? "all" : s.laddr, c6: null };
  if (isAny(s.laddr)) return { c4: s.v6only ? null : "all", c6: "all" };
  return { c4: null, c6: s.laddr };
}
function overlap(a: Cover, b: Cover): boolean {
  if (!a || !b) return false;
  return a === "all" || b === "all" || sameAddr(a, b);
}
export function addrsOverlap(a: BoundSock, b: BoundSock): boolean {
  const x = covers(a), y = covers(b);
  return overlap(x.c4, y.c4) || overlap(x.c6, y.c6);
}

export class PortTable {
  readonly byPort = new Map<number, BoundSock[]>();

  socketsOn(port: number): BoundSock[] { return this.byPort.get(port) ?? []; }

  // Whether s may take laddr:port beside the sockets already there. `tcp`:
  // SO_REUSEADDR never shares with a listener (a UDP port is shared when both set it).
  conflicts(s: BoundSock, port: number, tcp: boolean): boolean {
    for (const o of this.socketsOn(port)) {
      if (o === s || !addrsOverlap(s, o)) continue;
      if (s.reuseport && o.reuseport && s.uid === o.uid) continue;
      if (s.reuseaddr && o.reuseaddr && (!tcp || (!o.isListening() && !s.isListening()))) continue;
      return true;
    }
    return false;
  }

  add(s: BoundSock, port: number): void {
    s.lport = port;
    const l = this.byPort.get(port);
    if (l) l.push(s); else this.byPort.set(port, [s]);
  }

  remove(s: BoundSock): void {
    const l = this.byPort.get(s.lport);
    if (!l) return;
    const i = l.indexOf(s);
    if (i >= 0) l.splice(i, 1);
    if (!l.length) this.byPort.delete(s.lport);
  }

  // A free port of the ephemeral range, starting at a random offset (as
  // Linux's inet_csk_find_open_port); 0 when every one is taken.
  ephemeral(range: [number, number], rand: number): number {
    const [lo, hi] = range;
    const n = hi - lo + 1;
    for (let i = 0; i < n; i++) {
      const p = lo + ((rand + i) % n);
      if (!this.byPort.has(p)) return p;
    }
    return 0;
  }
}
