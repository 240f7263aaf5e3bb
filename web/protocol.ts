// Messages between the page (main.ts) and the worker that runs the kernel (worker.ts).

import { EXT4_SUPER_MAGIC as EXT_SUPER_MAGIC, SUPERBLOCK_OFFSET, SB } from "../src/fs/ext4/layout.js";

const EXT_MAGIC_AT = SUPERBLOCK_OFFSET + SB.magic;

export type ToWorker =
  | { type: "start"; rows: number; cols: number; options: PageOptions; image?: RootImage }
  | { type: "input"; data: string }
  | { type: "resize"; rows: number; cols: number }
  | { type: "upload"; name: string; data: Uint8Array }
  | { type: "download"; path: string }
  | { type: "save" }
  | { type: "flush" }
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
  | { type: "flushed" }
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

// A root filesystem the user chose or dropped on the page (a cpio archive or
// an ext2/3/4 image, told apart by its bytes): booted from memory, without
// asking any server for it.
export interface RootImage { name: string; bytes: Uint8Array }

// Whether bytes are a root filesystem image the page can boot: a cpio
// archive in the "newc" format (magic "070701", or "070702" with checksums)
// or an ext2/3/4 filesystem (the superblock's magic 0xEF53 at byte 1080).
export function rootImageKind(b: Uint8Array): "cpio" | "ext" | null {
  const magic = String.fromCharCode(...b.subarray(0, 6));
  if (magic === "070701" || magic === "070702") return "cpio";
  if (b.length > EXT_MAGIC_AT + 1 && (b[EXT_MAGIC_AT] | (b[EXT_MAGIC_AT + 1] << 8)) === EXT_SUPER_MAGIC) return "ext";
  return null;
}
