// /proc/net/unix (Linux's unix_seq_show): one row per AF_UNIX socket of the
// kernel, as netstat -x, ss -x and lsof read it.

import { __SO_ACCEPTCON, SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED } from "../abi/socket.js";
import { procNetFiles } from "../fs/procfs/registry.js";
import type { Kernel } from "../kernel/kernel.js";
import { unixNames, type UnixSocket } from "./unix.js";

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, "0");

// The Path column: a filesystem name without its NUL; an abstract name as
// '@' and its bytes, each NUL in it printed as '@' too.
function pathText(addr: Uint8Array | null): string {
  if (!addr || addr.length <= 2) return "";
  const p = addr.subarray(2);
  if (p[0] !== 0) {
    const end = p.indexOf(0);
    return " " + Buffer.from(end < 0 ? p : p.subarray(0, end)).toString("latin1");
  }
  return " @" + Buffer.from(p.subarray(1)).toString("latin1").replace(/\0/g, "@");
}

export function unixListing(k: Kernel): string {
  const names = unixNames(k);
  // A connection not yet accepted has no socket file (sk_socket is NULL):
  // Linux shows it connecting, with inode 0.
  const embryos = new Set<UnixSocket>();
  // Each socket whose peer is s holds a reference to it (sock_hold at connect).
  const held = new Map<UnixSocket, number>();
  for (const s of names.live) {
    for (const e of s.backlog) embryos.add(e);
    if (s.peer) held.set(s.peer, (held.get(s.peer) ?? 0) + 1);
  }
  let out = "Num       RefCount Protocol Flags    Type St Inode Path\n";
  for (const s of names.live) {
    const listening = s.state === "listening";
    const established = s.state === "connected" || s.dgramEstablished;
    const embryo = embryos.has(s);
    const st = embryo ? SS_CONNECTING : established ? SS_CONNECTED : SS_UNCONNECTED;
    // The socket's own reference and its file's, and one per socket connected to it.
    const refs = 2 + (held.get(s) ?? 0);
    // %pK with kptr_restrict: the kernel address shows as zeros.
    out += `0000000000000000: ${hex(refs, 8)} ${hex(0, 8)} ${hex(listening ? __SO_ACCEPTCON : 0, 8)} ${hex(s.type, 4)} ${hex(st, 2)} ` +
      `${String(embryo ? 0 : s.inode.ino).padStart(5)}${pathText(s.addr)}\n`;
  }
  return out;
}

procNetFiles.set("unix", unixListing);
