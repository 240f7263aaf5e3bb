// The translator thread (Node's worker_threads; started by worker.ts): takes
// a page's bytes, virtual page, entries and known block starts, runs
// translateUnit (discovery, code generation) and compiles the module, and
// posts the compiled WebAssembly.Module back (V8 shares compiled modules
// between the threads of a process). It holds nothing of any guest: what it
// returns is checked and installed, or dropped, by the guest's thread.

import { translateUnit, UnitCode } from "./worker-unit.js";
import type { TranslateReply, TranslateRequest } from "./worker.js";

const wt = globalThis.process?.getBuiltinModule?.("node:worker_threads");
const port = wt?.workerData?.port as import("node:worker_threads").MessagePort | undefined;
const table = wt?.workerData?.expand as Uint32Array | undefined;

if (port && table) {
  const expand = (h: number): number => table[h & 0xffff];
  port.on("message", (req: TranslateRequest) => {
    let reply: TranslateReply;
    const t0 = performance.now();
    try {
      const u: UnitCode | undefined = translateUnit(req.code, req.vpage, req.entries, req.known, expand);
      const t1 = performance.now();
      const module = u ? new WebAssembly.Module(u.wasm as Uint8Array<ArrayBuffer>) : undefined;
      reply = { id: req.id, unit: u, module, genMs: t1 - t0, compileMs: performance.now() - t1 };
    } catch (e) {
      reply = { id: req.id, error: String((e as Error)?.message ?? e), genMs: performance.now() - t0, compileMs: 0 };
    }
    port.postMessage(reply);
  });
}
