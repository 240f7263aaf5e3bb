// Builds Ghost: the hart (AssemblyScript → WebAssembly) and the kernel (TypeScript → JavaScript).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
mkdirSync(join(root, "dist"), { recursive: true });

execFileSync(bin("asc"), [
  "src/arch/riscv64/wasm/hart.ts",
  "--outFile", "dist/hart.wasm",
  "--textFile", "dist/hart.wat",
  "-O3", "--noAssert", "--runtime", "stub",
  "--importMemory", "--initialMemory", "16", "--maximumMemory", "65536",
  // The function table is the JIT's: translated code is called through it (jit/jit.ts).
  "--importTable",
  // Static data above the hart's fixed tables (wasm/layout.ts ends them at 0x90000).
  "--memoryBase", "786432",
], { cwd: root, stdio: "inherit" });

execFileSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
