// Messages between the page (main.ts) and the worker that runs the kernel (worker.ts).

export type ToWorker =
  | { type: "start"; rows: number; cols: number }
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
