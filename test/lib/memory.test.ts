// A machine that ended lets its memory go: nothing in the kernel, the
// library or a module-level table keeps it. Each round boots a program that
// fills 32 MiB of tmpfs and then sleeps, kills it, drops it and collects
// garbage; the host's external memory (guest RAM is one WebAssembly.Memory;
// tmpfs pages are ArrayBuffers) returns to where it started every time —
// also while the embedder still holds the ended machine (its result,
// instruction count and streams stay; the kernel does not), and with the
// network on (the user-mode NAT, closed with the machine, keeps nothing).
//
//   npx tsc -p tsconfig.json && node --test dist/test/lib/memory.test.js

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { run } from "../../src/api/index.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot();
const skip = existsSync(join(root, "build", "rootfs", "bin")) ? false : "no build/rootfs (scripts/prepare.sh builds it)";
const MiB = 1 << 20;
const GUEST_MEMORY = 128 * MiB;
const FILE_BYTES = 32 * MiB; // what the guest writes to its tmpfs

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

// Memory outside the JS heap (wasm memories, array buffers) and the heap, after a full collection.
async function measure(): Promise<{ external: number; heap: number }> {
  await new Promise((r) => setImmediate(r)); // let finished promises and timers go first
  gc(); gc();
  const m = process.memoryUsage();
  return { external: m.external, heap: m.heapUsed };
}

// One round: the machine lives only inside this function, or is kept.
const kept: unknown[] = [];
async function runAndKill(base: { external: number }, keep = false, net: "none" | "user" = "none"): Promise<number> {
  const m = run(["sh", "-c", `head -c ${FILE_BYTES} /dev/zero > /tmp/big; echo ready; sleep 1000`], { env: { PATH: "/bin" }, memory: GUEST_MEMORY, net });
  const watchdog = setTimeout(() => m.powerOff(124), 240_000);
  await new Promise<void>((resolve) => m.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(); }));
  const running = await measure();
  m.kill();
  const r = await m.exited;
  clearTimeout(watchdog);
  assert.equal(r.signal, "SIGKILL");
  if (keep) kept.push(m);
  return running.external - base.external;
}

test("a killed machine frees its memory", { skip }, async () => {
  const base = await measure();
  const figures: string[] = [];
  // The last round with eth0 and its NAT.
  for (let round = 0; round < 3; round++) {
    const running = await runAndKill(base, false, round === 2 ? "user" : "none");
    // The guest's RAM in use, with its 32 MiB file, is counted while it runs
    // (the RAM grows as frames are handed out, up to GUEST_MEMORY).
    assert.ok(running >= FILE_BYTES, `running: ${running / MiB} MiB more`);
    const after = await measure();
    figures.push(`round ${round}${round === 2 ? " (net user)" : ""}: running +${(running / MiB).toFixed(0)} MiB external, after kill +${((after.external - base.external) / MiB).toFixed(1)} MiB external, heap +${((after.heap - base.heap) / MiB).toFixed(1)} MiB`);
    // All of it is back, give or take what Node itself keeps (a few MiB).
    assert.ok(after.external - base.external < 8 * MiB, figures.join("\n"));
    assert.ok(after.heap - base.heap < 16 * MiB, figures.join("\n"));
  }
  process.stdout.write(`${figures.join("\n")}\n`);
});

test("an ended machine the embedder still holds keeps none of the guest's memory", { skip }, async () => {
  const base = await measure();
  const running = await runAndKill(base, true);
  assert.ok(running >= FILE_BYTES, `running: ${running / MiB} MiB more`);
  const after = await measure();
  const figure = `running +${(running / MiB).toFixed(0)} MiB external, after kill with the machine held +${((after.external - base.external) / MiB).toFixed(1)} MiB`;
  assert.equal(kept.length, 1);
  assert.ok(after.external - base.external < 8 * MiB, figure);
  process.stdout.write(`${figure}\n`);
});
