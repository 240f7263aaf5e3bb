// Messages between the page (main.ts) and the worker that runs the kernel (worker.ts).

export type ToWorker =
  | { type: "start"; rows: number; cols: number; options: PageOptions }
  | { type: "input"; data: string }
  | { type: "resize"; rows: number; cols: number }
  | { type: "upload"; name: string; data: Uint8Array }
  | { type: "download"; path: string }
  | { type: "save" }
  | { type: "ps" }
  | { type: "reset" };

export type FromWorker =
  | { type: "output"; data: Uint8Array }
  | { type: "status"; text: string }
  | { type: "net"; state: "open" | "closed"; detail: string }
  | { type: "booted"; ms: number }
  | { type: "file"; path: string; data: Uint8Array }
  | { type: "error"; text: string }
  | { type: "saved"; files: number }
  | { type: "ps"; processes: GuestProcess[] }
  | { type: "exited"; status: number; shutdown: string | null };

// The guest's home directory, which persists across reloads.
export const HOME = "/root";

// A guest process as /proc/PID/stat shows it: its name, process group, and
// its terminal's foreground process group.
export interface GuestProcess { pid: number; command: string; pgrp: number; tpgid: number }

// What the page's URL asks for (main.ts reads them from its query string):
//   ?relay=ws://127.0.0.1:PORT/  eth0 through that WebSocket relay (scripts/ws-relay.mjs); without it, lo only
//   ?root=URL                    the root filesystem: a cpio (newc) archive or an ext2/3/4 image, instead of rootfs.cpio
//   ?run=COMMAND                 the terminal runs this one shell command (`ghost boot -c`), not an interactive shell
// The home directory is kept across reloads for the default system only
// (the default root, no command).
export interface PageOptions { relay?: string; root?: string; run?: string }
