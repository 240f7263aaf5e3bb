// The kernel's TypeScript sources, for the tests that read the code itself
// (test/layers.test.ts, test/source-rules.test.ts).
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { findRoot } from "./root.js";

export const srcDir = join(findRoot("src"), "src");

// Every TypeScript file under src/ (the AssemblyScript hart is not kernel code).
export function kernelSources(dir = srcDir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (relative(srcDir, p) !== join("arch", "riscv64", "wasm")) out.push(...kernelSources(p)); }
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}
