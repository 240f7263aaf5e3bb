// The layers of src/ and the one direction their imports go (ARCHITECTURE.md).
// A module may load (import a value from) its own layer or one below it; a
// type may be named upward only along the edges listed here, where a lower
// object holds a higher one. Registers are reached through the hart's typed
// accessors (arch/riscv64/regs.ts), never by layout offset outside arch/.
//
//   npx tsc -p tsconfig.json && node --test dist/test/layers.test.js

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { test } from "node:test";
import { kernelSources, srcDir } from "./helpers/sources.js";

// Bottom up. Written once: the rule below and ARCHITECTURE.md follow it.
const LAYERS = ["abi", "lib", "arch", "mm", "kernel", "block", "fs", "net", "drivers", "ipc", "security", "syscalls", "boot", "api", "cli"] as const;

// Type-only imports that point up, and why each is allowed.
const TYPE_EDGES_UP: Record<string, string> = {
  "kernel->fs": "a task holds its fd table and fs context; the kernel its root mount",
  "mm->kernel": "the OOM killer is handed the kernel whose process it kills",
};

// Known debt, to shrink only ("from -> to" pairs): none left. A subsystem
// above fs/ shows itself in /proc by registering with fs/procfs/registry.ts
// (Linux's proc_create). A new upward import fails the test.
const DEBT = new Set<string>([]);

const sources = kernelSources;

const layerOf = (file: string) => relative(srcDir, file).split(sep)[0];
const rank = (layer: string) => (LAYERS as readonly string[]).indexOf(layer);

interface Import { from: string; to: string; typeOnly: boolean; line: number }

function imports(file: string): Import[] {
  const out: Import[] = [];
  const text = readFileSync(file, "utf8");
  const re = /^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?"(\.[^"]+)";/gms;
  for (const m of text.matchAll(re)) {
    const target = normalize(join(dirname(file), m[2]));
    if (!target.startsWith(srcDir + sep)) continue;
    out.push({ from: file, to: target, typeOnly: m[1] !== undefined, line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

test("every folder of src/ has its place in the layer order", () => {
  const folders = readdirSync(srcDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(folders.filter((f) => rank(f) < 0), [], "add the new folder to LAYERS (and ARCHITECTURE.md)");
  assert.deepEqual(readdirSync(srcDir).filter((f) => f.endsWith(".ts")), [], "files of src/ live in a layer's folder");
});

test("imports point down the layers", () => {
  const bad: string[] = [];
  for (const f of sources()) {
    for (const i of imports(f)) {
      const a = layerOf(i.from), b = layerOf(i.to);
      if (rank(b) <= rank(a)) continue;
      if (i.typeOnly && TYPE_EDGES_UP[`${a}->${b}`]) continue;
      if (DEBT.has(`src/${relative(srcDir, i.from)} -> src/${relative(srcDir, i.to).replace(/\.js$/, ".ts")}`)) continue;
      bad.push(`src/${relative(srcDir, i.from)}:${i.line}: ${a} imports ${i.typeOnly ? "a type from " : ""}${b} (src/${relative(srcDir, i.to)})`);
    }
  }
  assert.deepEqual(bad, [], `order, bottom up: ${LAYERS.join(" < ")}`);
});

test("registers are reached through the hart's accessors, not layout offsets", () => {
  const bad: string[] = [];
  for (const f of sources()) {
    if (layerOf(f) === "arch") continue;
    const text = readFileSync(f, "utf8");
    const m = /import\s*\{([^}]*)\}\s*from\s*"[^"]*arch\/riscv64\/layout\.js"/.exec(text);
    const names = m ? m[1].split(",").map((s) => s.trim()) : [];
    for (const n of ["X_REGS", "F_REGS", "PC", "FCSR"]) if (names.includes(n)) bad.push(`src/${relative(srcDir, f)}: ${n}`);
  }
  assert.deepEqual(bad, [], "use Hart.liveRegs() / RegisterFile (arch/riscv64/regs.ts)");
});
