// The translator thread (Node's worker_threads; started by worker.ts): takes
// a page's bytes, virtual page, entries and known block starts, runs
// translateUnit (discovery, code generation) and compiles the module, and
// posts the compiled WebAssembly.Module back (V8 shares compiled modules
// between the threads of a process). It holds nothing of any guest: what it
// returns is checked and installed, or dropped, by the guest's thread.
//
// The module is compiled lazily (V8 11.3's --wasm-lazy-compilation: `new
// WebAssembly.Module` validates, and each function is compiled with Liftoff
// on the guest's thread at its first call). Compiling eagerly here instead
// (the flag turned off around this thread's compile through V8's binding, and
// back on) did not pay: user+sys CPU, GHOST_JIT_CACHE=0, default vs eager,
// alternated pairs at load 6-8 (2026-12-08): xz 3.04/3.15/3.28 vs
// 3.47/3.49/3.86 s (3 pairs, eager lost each); python3's loop mean 3.40 vs
// 3.44 s (6 pairs), openssl dgst -sha256 of cc1 3.97 vs 3.86 s and, order
// reversed, 4.17 vs 4.52 s (3 pairs each): noise. Eagerly, every function of
// a module is compiled, also the many that never run (cold components,
// split pieces), where lazily only those that run are.

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
