// The guest's side of the translator thread (worker-thread.ts): one per
// process, shared by every kernel's JIT (what it makes depends on the page
// alone, not on the machine), started when a JIT first needs it. Requests go
// out with postMessage; replies are taken with receiveMessageOnPort, polled
// by the guest's thread at its dispatch loop (jit.ts), so no reply waits for
// Node's event loop and none runs in the middle of guest code.
//
// How translation leaves the guest's thread (JitOptions.async), through the
// content cache (cache.ts): a unit missing from the caches is asked of a worker thread with a copy of
// the page and the key's other parts, and the page's entries stay parked
// while the guest keeps interpreting. At a later dispatch (run()'s entry, a
// hot report) the guest's thread takes the compiled module into the content
// cache under the key of the bytes it was made from and asks for the page
// again: if the page still holds those bytes the unit is a hit and is
// installed like any other — only where the page is still mapped executable
// to that frame — and otherwise it is no hit and the new bytes are asked
// for. A frame handed out anew meanwhile drops what is in flight for it.
// Which code runs translated then depends on timing; what a program sees does
// not (the translated code keeps instret and every trap exact).
//
// Only under Node: where worker_threads is missing (a browser, whose kernel
// already runs in a Web Worker of its own) or the thread's file cannot be
// found, translatorThread() returns undefined and the JIT translates on the
// guest's thread as before.
//
// Below the thread itself, the JIT's queues (one set per Jit): InFlightUnits,
// the pages' new code asked of the thread and not yet taken, and
// PendingPages, the pages waiting to be translated (hot entries, whole
// rebuilds) — what jit.ts's compilePending works through.

import type { UnitCode } from "./worker-unit.js";
import { expandTable } from "./worker-unit.js";
import type { Expander } from "./decode.js";

type WorkerThreads = typeof import("node:worker_threads");

export interface TranslateRequest {
  id: number;
  code: Uint8Array; // the page's 4096 bytes as they were when asked
  vpage: number;
  entries: number[];
  known: number[];
}

export interface TranslateReply {
  id: number;
  unit?: UnitCode; // undefined (and no error): nothing translatable there
  module?: WebAssembly.Module;
  error?: string; // the translator threw: the page stays with the interpreter
  genMs: number; // on the translator thread
  compileMs: number;
}

export class TranslatorThread {
  private readonly waiting = new Map<number, (r: TranslateReply) => void>();
  private nextId = 1;
  private failed = false;

  constructor(
    private readonly wt: WorkerThreads,
    private readonly worker: import("node:worker_threads").Worker,
    private readonly port: import("node:worker_threads").MessagePort,
  ) {
    worker.unref();
    port.unref();
    // The thread cannot start or died: what it owed is lost, and callers go
    // back to translating themselves (alive() turns false).
    const fail = (): void => { this.failed = true; };
    worker.on("error", fail);
    worker.on("exit", fail);
  }

  alive(): boolean { return !this.failed; }

  // Asks for a translation; `done` runs inside a later poll().
  request(req: Omit<TranslateRequest, "id">, done: (r: TranslateReply) => void): void {
    const id = this.nextId++;
    this.waiting.set(id, done);
    this.port.postMessage({ ...req, id } satisfies TranslateRequest);
  }

  // Hands every reply that arrived to its requester; true if there was one.
  poll(): boolean {
    let any = false;
    for (;;) {
      const m = this.wt.receiveMessageOnPort(this.port);
      if (!m) return any;
      const r = m.message as TranslateReply;
      const done = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      any = true;
      done?.(r);
    }
  }

  // Waits (blocking this thread, at most `ms`) until a reply arrives; for the
  // tests' deterministic hand-over (JitOptions.holdSyscalls) only.
  waitOne(ms: number): boolean {
    const end = performance.now() + ms;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    while (!this.poll()) {
      if (this.failed || performance.now() > end) return false;
      Atomics.wait(cell, 0, 0, 1);
    }
    return true;
  }
}

let shared: TranslatorThread | null | undefined; // null: tried, unavailable

// The process's translator thread, started on first use; undefined where
// there can be none.
export function translatorThread(expand: Expander): TranslatorThread | undefined {
  if (shared === undefined) shared = start(expand);
  if (shared && !shared.alive()) shared = null;
  return shared ?? undefined;
}

function start(expand: Expander): TranslatorThread | null {
  const get = globalThis.process?.getBuiltinModule;
  if (!get) return null;
  try {
    const wt = get("node:worker_threads") as WorkerThreads;
    const fs = get("node:fs") as typeof import("node:fs");
    const url = get("node:url") as typeof import("node:url");
    // Beside this module in dist/; from the bundle (dist/src/cli/bundle/,
    // whose import.meta.url build.mjs defines), the same file of dist/.
    const file = ["./worker-thread.js", "../../arch/riscv64/jit/worker-thread.js"]
      .map((p) => url.fileURLToPath(new URL(p, import.meta.url)))
      .find((p) => fs.existsSync(p));
    if (!file) return null;
    const { port1, port2 } = new wt.MessageChannel();
    const worker = new wt.Worker(file, {
      workerData: { port: port2, expand: expandTable(expand) },
      transferList: [port2],
      // Its own output would interleave with the guest's: it writes none.
      stdout: true, stderr: true,
    });
    return new TranslatorThread(wt, worker, port1);
  } catch {
    return null;
  }
}

// A page's new code being translated on the translator thread.
export interface InFlight {
  frame: number;
  vpage: number;
  key: string; // cacheKey of what was asked
  code: Uint8Array; // the page as sent
  entries: number[];
  later: Set<number>; // entries that got hot meanwhile: asked for once this one is in
  rebuild?: boolean; // the page's code translated whole again (jit.ts's rebuildWanted)
  posted: number; // the guest's system calls when asked (for a test's hold)
  charged: number; // what the compile budget was charged when asked (an estimate)
  reply?: TranslateReply;
}

// What a translated instruction counts for the budget when the translator
// thread made it. The guest's thread then only instantiates it, but the
// largest cost of a translation is on neither: V8 recompiles a hot wasm
// function with TurboFan on its own background threads, superlinearly in the
// function's size (a 47 KB component of sqlite3: 0.5 s of CPU, 2-4 s wall
// at load 17), and on a loaded machine that CPU is the guest's too: a
// translation costs what it did, only elsewhere.
export const ASYNC_SHARE = 1;
// What a unit asked of the translator thread is charged until it is in
// (then its real size): a rough guess of the instructions reachable from one
// entry. Charged only on arrival, the budget let all hot code through while
// the first units were in flight (python3 -c pass with a 40 M warm-up:
// 23,007 instructions translated instead of a few thousand).
export const ASYNC_ESTIMATE = 100;

// How long a test's held hand-over waits for the translator thread.
const HOLD_WAIT_MS = 60_000;

// One JIT's requests to the translator thread, by page (frame, virtual page):
// at most one in flight per page.
export class InFlightUnits {
  private thread: TranslatorThread | undefined | null = null; // null: not asked for yet
  private readonly units = new Map<string, InFlight>(); // by `${frame}:${vpage}`

  constructor(private readonly expand: Expander) {}

  get size(): number { return this.units.size; }

  get(frame: number, vpage: number): InFlight | undefined { return this.units.get(`${frame}:${vpage}`); }

  // The translator thread, started on first use; undefined where there is
  // none or it died (then lost() hands back what it owed).
  translator(): TranslatorThread | undefined {
    if (this.thread === null) this.thread = translatorThread(this.expand);
    return this.thread?.alive() ? this.thread : undefined;
  }

  // Whether the thread died with requests of ours in flight.
  dead(): boolean { return this.thread !== null && this.thread !== undefined && !this.thread.alive(); }

  post(th: TranslatorThread, f: InFlight, known: number[]): void {
    this.units.set(`${f.frame}:${f.vpage}`, f);
    th.request({ code: f.code, vpage: f.vpage, entries: f.entries, known }, (r) => { f.reply = r; });
  }

  // The thread died: everything in flight, to be translated by the guest's thread instead.
  lost(): InFlight[] {
    this.thread = undefined;
    const all = [...this.units.values()];
    this.units.clear();
    return all;
  }

  // Forgets what is in flight for a frame handed out anew; how many.
  dropFrame(frame: number): number {
    let n = 0;
    for (const [k, f] of this.units) if (f.frame === frame) { this.units.delete(k); n++; }
    return n;
  }

  // The requests whose replies are in (with a test's hold of `hold` system
  // calls: only those asked that many calls ago, waiting for them), taken out.
  due(syscalls: number, hold: number): InFlight[] {
    const th = this.thread;
    if (!th) return [];
    if (hold > 0) {
      for (const f of this.units.values()) {
        while (!f.reply && syscalls - f.posted >= hold && th.waitOne(HOLD_WAIT_MS)) { /* until it is in */ }
      }
    } else th.poll();
    const out: InFlight[] = [];
    for (const [k, f] of this.units) {
      if (!f.reply || syscalls - f.posted < hold) continue;
      this.units.delete(k);
      out.push(f);
    }
    return out;
  }
}

// A page waiting to be translated: hot block starts (byte offsets), and
// whether its code is to be translated whole again.
export interface Pending {
  frame: number;
  vpage: number;
  entries: Set<number>;
  rebuild?: boolean;
}

// What the rebuild queue needs of a translated page.
interface Rebuildable { frame: number; vpage: number; insns: number }

// The pages waiting to be translated at the next compilePending, and the
// rebuilds the compile budget put off (jit.ts's rebuildWanted).
export class PendingPages<T extends Rebuildable> {
  private readonly pages = new Map<string, Pending>(); // by `${frame}:${vpage}`
  readonly rebuildDue = new Set<T>();

  get size(): number { return this.pages.size; }

  has(frame: number, vpage: number): boolean { return this.pages.has(`${frame}:${vpage}`); }

  add(frame: number, vpage: number, entries: Iterable<number>, rebuild = false): void {
    const key = `${frame}:${vpage}`;
    let p = this.pages.get(key);
    if (!p) { p = { frame, vpage, entries: new Set() }; this.pages.set(key, p); }
    for (const e of entries) p.entries.add(e);
    if (rebuild) p.rebuild = true;
  }

  // All of them, the queue emptied.
  take(): Pending[] {
    const all = [...this.pages.values()];
    this.pages.clear();
    return all;
  }

  dropFrame(frame: number): void {
    for (const [k, p] of this.pages) if (p.frame === frame) this.pages.delete(k);
  }

  // Queues the put-off rebuilds that `room` (budget instructions) has room
  // for, each costing its instructions and `moduleCost`.
  queueRebuilds(room: number, moduleCost: number): void {
    for (const t of this.rebuildDue) {
      if (t.insns + moduleCost > room) continue;
      room -= t.insns + moduleCost;
      this.rebuildDue.delete(t);
      this.add(t.frame, t.vpage, [], true);
    }
  }
}

// New code in a translated page is translated with all the page's code as one
// unit again once the increments since the last whole translation reach
// this fraction of it (jit.ts's rebuildWanted).
// (1 made python3 -c pass, everything translated, sync, no cache, translate
// 204,353 instructions in 346 rebuilds instead of 272,573 in 667; CoreMark's
// page, which grows in increments, was not measured apart from it.)
const REBUILD_FRACTION = 0.25;
// … while the page's code stays within one discovery's reach (region.ts's MAX_INSNS).
const REBUILD_MAX = 2000;

// Whether new hot code in a translated page should be translated with all
// of the page's code as one unit again, rather than as an increment of its
// own. Increments are cheap to make but each has wasm functions of its own:
// a call or a return between code of different increments leaves a wasm
// function through the page function (every register stored and loaded
// again), the costliest thing translated code does short of leaving the
// page (CoreMark: one page in 14 increments). Rebuilding only when the
// increments since the last whole translation reach REBUILD_FRACTION of it
// keeps the total translated linear in the page's code: each rebuild is at
// least 1 + REBUILD_FRACTION times the last.
//
// mayRebuild: whether t's page is still small enough to be rebuilt at all;
// rebuildSize: the instructions a rebuild adds (those of the increments
// since the last whole translation and the new code's), or undefined when
// too few to be worth it or too many for one discovery.
export function mayRebuild(t: { insns: number }): boolean {
  return REBUILD_FRACTION > 0 && t.insns <= REBUILD_MAX;
}

export function rebuildSize(t: { insns: number; whole: number }, newInsns: number): number | undefined {
  const added = t.insns - t.whole + newInsns;
  return added < t.whole * REBUILD_FRACTION || t.insns + added > REBUILD_MAX ? undefined : added;
}
