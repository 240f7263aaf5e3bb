// The guest's side of the translator thread (worker-thread.ts): one per
// process, shared by every kernel's JIT (what it makes depends on the page
// alone, not on the machine), started when a JIT first needs it. Requests go
// out with postMessage; replies are taken with receiveMessageOnPort, polled
// by the guest's thread at its dispatch loop (jit.ts), so no reply waits for
// Node's event loop and none runs in the middle of guest code.
//
// Only under Node: where worker_threads is missing (a browser, whose kernel
// already runs in a Web Worker of its own) or the thread's file cannot be
// found, translatorThread() returns undefined and the JIT translates on the
// guest's thread as before.

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
