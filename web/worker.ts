// The Web Worker that runs Ghost for the page: it fetches the hart's wasm
// and the root filesystem image (the default rootfs.cpio, or another cpio
// archive or ext2/3/4 image by URL, or takes one the user gave the page),
// boots the system with its home directory from IndexedDB, attaches eth0 to
// a WebSocket relay when the page names one, and relays the console
// terminal, uploads, downloads and the home's snapshots (every 2 s when it
// changed, as the guest goes down, and when the page asks: it is hidden, or
// another root replaces the machine). The kernel runs here so that the page
// stays responsive; nothing of Node is in this bundle (boot/core.ts with a
// host that has no host directories, stdio or terminal of its own).

import { provideHartModule } from "../src/arch/riscv64/hart.js";
import { bootMachine, type Machine, type BootHost } from "../src/api/machine.js";
import { addDisk } from "../src/block/genhd.js";
import { mountExt4 } from "../src/fs/ext4/index.js";
import { HOME, rootImageKind, type FromWorker, type GuestProcess, type PageOptions, type RootImage, type ToWorker } from "./protocol.js";
import { clearHome, loadHome, saveHome, type HomeEntry } from "./home-store.js";
import { MemoryDisk } from "./memdisk.js";
import { RelayNic } from "./netdev.js";

// The root given to bootMachine when it is a disk image the host attaches.
const IMAGE_ROOT = "image";
let rootImage: { bytes: Uint8Array; url: string } | null = null;
const host: BootHost = {
  // An ext2/3/4 image fetched by URL: a disk in memory (/dev/vda), mounted as the root.
  loadRoot: (k, path) => {
    if (path !== IMAGE_ROOT || !rootImage) return null;
    const disk = addDisk(k, new MemoryDisk(rootImage.bytes, rootImage.url));
    return { root: mountExt4(k, disk.whole, "ext4", false), source: `/dev/${disk.name}`, fsType: "ext4" };
  },
};
// Whether the home is restored and saved: the default system only.
let persistent = true;
let machine: Machine | null = null;
let lastSaved = "";
let resetting = false;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(msg, transfer);
}

// The home directory as entries, walked through the library's file calls.
function snapshot(m: Machine): HomeEntry[] {
  const out: HomeEntry[] = [];
  const walk = (dir: string) => {
    for (const name of m.readdir(dir)) {
      const path = `${dir}/${name}`;
      const st = m.stat(path);
      if (st.type === "dir") { out.push({ path, type: "dir", mode: st.mode & 0o7777 }); walk(path); }
      else if (st.type === "file") out.push({ path, type: "file", mode: st.mode & 0o7777, data: m.readFile(path) });
    }
  };
  walk(HOME);
  return out;
}

// The home now, with a signature of its names, modes and contents (read
// synchronously: also while the machine goes down); null when unreadable.
function takeHome(m: Machine): { entries: HomeEntry[]; sig: string } | null {
  try {
    const entries = snapshot(m);
    return { entries, sig: JSON.stringify(entries.map((e) => [e.path, e.mode, e.data?.length ?? -1, e.data ? hash(e.data) : 0])) };
  } catch {
    return null;
  }
}

// Writes a home taken by takeHome when it changed since the last save.
// Saves run one after another, so the newest is the one that stays.
let saving: Promise<void> = Promise.resolve();
function store(home: { entries: HomeEntry[]; sig: string }): Promise<void> {
  saving = saving.then(async () => {
    if (resetting) return;
    if (home.sig !== lastSaved) {
      await saveHome(home.entries);
      lastSaved = home.sig;
    }
    post({ type: "saved", files: home.entries.length });
  }).catch((e: unknown) => post({ type: "error", text: `home not saved: ${String(e)}` }));
  return saving;
}

// Saves the home of the running default system (every 2 s, on an upload,
// when the page asks: it is hidden or boots another root).
async function save(): Promise<void> {
  const m = machine;
  if (!m || !m.running || resetting || !persistent) return;
  const home = takeHome(m);
  if (home) await store(home);
}

function hash(b: Uint8Array): number {
  let h = 2166136261;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619);
  return h >>> 0;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

// given: a root the user chose on the page (its bytes, no fetch).
async function start(rows: number, cols: number, opts: PageOptions, given?: RootImage): Promise<void> {
  const t0 = performance.now();
  post({ type: "status", text: "loading" });
  persistent = opts.root === undefined && opts.run === undefined && given === undefined;
  const [wasm, image, home] = await Promise.all([
    WebAssembly.compileStreaming(fetch("hart.wasm")),
    given ? given.bytes : fetchBytes(opts.root ?? "rootfs.cpio"),
    persistent ? loadHome().catch(() => [] as HomeEntry[]) : [],
  ]);
  provideHartModule(wasm);
  const files: Record<string, { type: "file" | "dir"; mode: number; data?: Uint8Array }> = {};
  for (const e of home) files[e.path] = { type: e.type, mode: e.mode, data: e.data };
  if (rootImageKind(image) === "ext") rootImage = { bytes: image, url: given?.name ?? opts.root! };
  const m = bootMachine({
    root: rootImage ? IMAGE_ROOT : image, files: rootImage ? undefined : files, command: opts.run,
    rows, cols, memory: "256M", term: "xterm-256color",
  }, host);
  machine = m;
  // eth0 through the relay, before the first process runs; without one the guest has lo only.
  const nic = opts.relay ? new RelayNic(m.kernel!, opts.relay, (state, detail) => post({ type: "net", state, detail })) : null;
  let first = true;
  m.terminal!.onData((data) => {
    if (first) { first = false; post({ type: "booted", ms: performance.now() - t0 }); }
    post({ type: "output", data }, [data.buffer]);
  });
  m.on("diag", (text) => post({ type: "error", text }));
  // The guest powers off (or halts, or reboots): the last changes are saved
  // while its files are still there.
  m.on("shutdown", () => {
    if (!persistent || resetting) return;
    const home = takeHome(m);
    if (home) void store(home);
  });
  post({ type: "status", text: "running" });
  const timer = setInterval(() => { void save(); }, 2000);
  const r = await m.exited;
  nic?.close();
  clearInterval(timer);
  post({ type: "exited", status: r.status, shutdown: r.shutdown });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    switch (msg.type) {
      case "start": void start(msg.rows, msg.cols, msg.options, msg.image).catch((e) => post({ type: "error", text: String((e as Error)?.stack ?? e) })); break;
      case "input": machine?.terminal?.write(msg.data); break;
      case "resize": machine?.terminal?.resize(msg.rows, msg.cols); break;
      case "upload": machine?.writeFile(`${HOME}/${msg.name.replace(/\//g, "_")}`, msg.data); void save(); break;
      case "download": {
        const data = machine!.readFile(msg.path);
        post({ type: "file", path: msg.path, data }, [data.buffer]);
        break;
      }
      case "save": void save(); break;
      // Saved (or nothing to save), and any save under way done (the one at
      // a power-off), before the page ends this worker.
      case "flush": void save().then(() => saving).finally(() => post({ type: "flushed" })); break;
      case "ps": {
        // The guest's processes, from its /proc (what ps reads).
        const m = machine;
        const processes: GuestProcess[] = [];
        for (const pid of m?.readdir("/proc").filter((n) => /^\d+$/.test(n)) ?? []) {
          try {
            // pid (comm) state ppid pgrp session tty_nr tpgid …
            const stat = m!.readText(`/proc/${pid}/stat`);
            const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            processes.push({ pid: Number(pid), command: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), pgrp: Number(f[2]), tpgid: Number(f[5]) });
          } catch { /* gone meanwhile */ }
        }
        post({ type: "ps", processes });
        break;
      }
      case "reset":
        // After any save under way (saves run in order), so nothing saved lands after the clear.
        resetting = true;
        saving = saving.then(clearHome).then(() => { lastSaved = ""; machine?.powerOff(); post({ type: "status", text: "reset" }); },
          (e: unknown) => post({ type: "error", text: `home not reset: ${String(e)}` }));
        break;
    }
  } catch (e) {
    post({ type: "error", text: String((e as Error)?.message ?? e) });
  }
};
