// The page: an xterm.js terminal attached to the console of Ghost running in
// a Web Worker; the terminal follows the window's size (the guest gets
// SIGWINCH); buttons upload files into the guest's home, download a guest
// file, and reset the saved home. The query string may name a network relay,
// another root filesystem and a command to run (protocol.ts, PageOptions).
// A root filesystem chosen with "Boot a root…" or dropped on the page (a cpio
// archive or an ext2/3/4 image) replaces the running machine: a new worker
// boots it from the page's memory, with no server involved.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { rootImageKind, type FromWorker, type GuestProcess, type PageOptions, type RootImage, type ToWorker } from "./protocol.js";

const query = new URLSearchParams(location.search);
const options: PageOptions = {};
for (const name of ["relay", "root", "run"] as const) {
  const v = query.get(name);
  // A root's URL is taken relative to the page (the worker's base is its script's).
  if (v !== null && v !== "") options[name] = name === "root" ? new URL(v, location.href).href : v;
}

const status = document.getElementById("status")!;
const term = new Terminal({ convertEol: false, cursorBlink: true, fontFamily: "monospace", scrollback: 5000 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(document.getElementById("terminal")!);
fit.fit();

let worker: Worker | null = null;
const send = (msg: ToWorker, transfer: Transferable[] = []) => worker?.postMessage(msg, transfer);

const psWaiters: ((processes: GuestProcess[]) => void)[] = [];
const flushWaiters: (() => void)[] = [];
// How long the page waits for the worker's last save before it ends it anyway.
const FLUSH_WAIT_MS = 5000;

// What tests and the curious can read: start-up time, saves, the screen's text.
const ghost = {
  bootMs: -1, promptMs: -1, saves: 0, offlineReady: false,
  // The relay link's state: null without a relay, then "open" or "closed".
  net: null as null | "open" | "closed",
  // The name of a root filesystem the user gave the page, once it boots it.
  root: null as null | string,
  exited: null as null | { status: number; shutdown: string | null },
  // The guest's processes now (its /proc, read by the worker).
  ps(): Promise<GuestProcess[]> {
    return new Promise((resolve) => { psWaiters.push(resolve); send({ type: "ps" }); });
  },
  screen(): string {
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n");
  },
  // The rows on view now, top to bottom (where a mouse would select).
  viewport(): string[] {
    const b = term.buffer.active;
    const rows: string[] = [];
    for (let i = 0; i < term.rows; i++) rows.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
    return rows;
  },
  selection: () => term.getSelection(),
  // Saves the home asked for by the page (hidden, another root) and done.
  flushes: 0,
  type(s: string): void { send({ type: "input", data: s }); },
  rows: () => term.rows,
  cols: () => term.cols,
};
(window as unknown as { ghost: typeof ghost }).ghost = ghost;

function onMessage(ev: MessageEvent<FromWorker>): void {
  const msg = ev.data;
  switch (msg.type) {
    case "output":
      // Start-up: from navigation (performance's time origin) to the shell's first prompt on screen.
      term.write(msg.data, () => {
        if (ghost.promptMs < 0 && /#$/.test(ghost.screen().trimEnd())) ghost.promptMs = performance.now();
      });
      break;
    case "booted": ghost.bootMs = performance.now(); status.textContent = "running"; break;
    case "status": status.textContent = msg.text; if (msg.text === "reset") location.reload(); break;
    case "net":
      ghost.net = msg.state;
      if (msg.state === "closed") console.warn(`network relay closed: ${msg.detail}`);
      break;
    case "ps": psWaiters.shift()?.(msg.processes); break;
    case "flushed": ghost.flushes++; for (const w of flushWaiters.splice(0)) w(); break;
    case "saved": ghost.saves++; status.textContent = `running · home saved (${msg.files} entries)`; break;
    case "error": console.error(msg.text); status.textContent = `error: ${msg.text.split("\n")[0]}`; break;
    case "file": {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([msg.data as Uint8Array<ArrayBuffer>]));
      a.download = msg.path.split("/").pop() || "file";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      break;
    }
    case "exited":
      ghost.exited = { status: msg.status, shutdown: msg.shutdown };
      status.textContent = `machine ${msg.shutdown ?? "exited"} (${msg.status}); reload to boot again`;
      break;
  }
}

// Asks the worker to save the home now; resolves when it did (or had
// nothing to save), or after FLUSH_WAIT_MS.
function flushHome(): Promise<void> {
  if (!worker) return Promise.resolve();
  return new Promise((resolve) => {
    flushWaiters.push(resolve);
    setTimeout(resolve, FLUSH_WAIT_MS);
    send({ type: "flush" });
  });
}

// Boots a machine in a new worker (the old one, if any, ends with its kernel,
// its home saved first): the page's options, or a root filesystem the user
// gave the page.
async function launch(image?: RootImage): Promise<void> {
  await flushHome();
  worker?.terminate();
  psWaiters.length = 0;
  Object.assign(ghost, { bootMs: -1, promptMs: -1, net: null, exited: null, root: image?.name ?? null });
  term.reset();
  worker = new Worker("worker.js", { type: "module" });
  worker.onmessage = onMessage;
  // A root given on the page replaces ?root=; the relay and ?run= stay.
  const opts: PageOptions = image ? { ...options, root: undefined } : options;
  send({ type: "start", rows: term.rows, cols: term.cols, options: opts, image }, image ? [image.bytes.buffer] : []);
}

term.onData((data) => send({ type: "input", data }));
// Copy from the keyboard as terminals on Linux have it: Ctrl+Shift+C copies
// the selection (Ctrl+C stays the terminal's ^C). Pasting needs nothing of
// the page: the browser's paste (Ctrl+Shift+V, its menu, Cmd+V) is a paste
// event that xterm types into the guest, bracketed when the guest asked.
term.attachCustomKeyEventHandler((e) => {
  if (!e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey || e.code !== "KeyC") return true;
  if (e.type === "keydown") {
    e.preventDefault();
    const text = term.getSelection();
    if (text) navigator.clipboard.writeText(text).catch((err: unknown) => console.warn(`copy: ${String(err)}`));
  }
  return false;
});
term.onResize(({ rows, cols }) => send({ type: "resize", rows, cols }));
window.addEventListener("resize", () => fit.fit());
// A page hidden may be closed or discarded without another word: save the
// home now (the 2 s saves would lose what changed since the last one).
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") send({ type: "flush" }); });
window.addEventListener("pagehide", () => send({ type: "flush" }));
void launch();
// Offline use: the service worker keeps the site's files (web/sw.ts). Where
// service workers are unavailable (a page not from a secure origin) the page
// works online only.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").then(
    () => navigator.serviceWorker.ready.then(() => { ghost.offlineReady = true; }),
    (e: unknown) => console.warn(`no offline use: ${String(e)}`),
  );
}
term.focus();

async function upload(files: FileList | null): Promise<void> {
  for (const f of Array.from(files ?? [])) {
    const data = new Uint8Array(await f.arrayBuffer());
    send({ type: "upload", name: f.name, data }, [data.buffer]);
  }
}

// Boots a file as the root filesystem, if it is one; false when it is not.
async function bootRoot(f: File): Promise<boolean> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  if (!rootImageKind(bytes)) return false;
  await launch({ name: f.name, bytes });
  return true;
}

const input = document.getElementById("upload") as HTMLInputElement;
input.addEventListener("change", () => { void upload(input.files); input.value = ""; });
const rootInput = document.getElementById("root-file") as HTMLInputElement;
rootInput.addEventListener("change", () => {
  const f = rootInput.files?.[0];
  rootInput.value = "";
  if (f) void bootRoot(f).then((ok) => { if (!ok) status.textContent = `${f.name}: not a cpio archive or an ext2/3/4 image`; });
});
// A single dropped file that is a root filesystem boots; anything else goes to ~.
document.body.addEventListener("dragover", (e) => e.preventDefault());
document.body.addEventListener("drop", (e) => {
  e.preventDefault();
  const files = e.dataTransfer?.files ?? null;
  if (files?.length === 1) void bootRoot(files[0]).then((ok) => { if (!ok) void upload(files); });
  else void upload(files);
});
document.getElementById("download")!.addEventListener("click", () => {
  const path = prompt("Guest file to download", "/root/");
  if (path) send({ type: "download", path });
});
document.getElementById("reset")!.addEventListener("click", () => {
  if (confirm("Forget the saved home directory and boot afresh?")) send({ type: "reset" });
});
