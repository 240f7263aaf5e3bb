// Rules about the source tree that the compiler does not check, written once
// here so that they stay true (issue: the architecture findings).
//
//   npx tsc -p tsconfig.json && node --test dist/test/source-rules.test.js

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { kernelSources, srcDir } from "./helpers/sources.js";

const sources = kernelSources;

// Code without its comments and string contents (a rule names what code does).
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:\\])\/\/.*$/gm, "$1")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
}

function offenders(re: RegExp, skip: (rel: string) => boolean = () => false): string[] {
  const found: string[] = [];
  for (const f of sources()) {
    const rel = relative(srcDir, f);
    if (skip(rel)) continue;
    code(readFileSync(f, "utf8")).split("\n").forEach((line, i) => { if (re.test(line)) found.push(`src/${rel}:${i + 1}: ${line.trim()}`); });
  }
  return found;
}

// Finding 5: two kernels in one process share nothing. Per-kernel state lives
// on the Kernel object (Kernel.local, kernel/local.ts), randomness comes from
// the kernel's own source, and no module exports a binding others swap.
test("no per-kernel state outside the Kernel object", () => {
  assert.deepEqual(offenders(/WeakMap<\s*Kernel\b/), [], "per-kernel tables belong on the Kernel (KernelLocal)");
  assert.deepEqual(offenders(/\bMath\.random\s*\(/), [], "randomness comes from the kernel's source (k.random)");
  assert.deepEqual(offenders(/^\s*export\s+let\b/), [], "an exported mutable binding is process-wide state");
});

// Finding 2: ABI facts live in src/abi/ under Linux's names. Outside it, no
// errno, rlimit or flag is written as a bare number.
test("no bare ABI numbers outside src/abi", () => {
  const outsideAbi = (rel: string) => rel.startsWith("abi/");
  assert.deepEqual(offenders(/\bkerr\(\s*\d/, outsideAbi), [], "kerr takes an errno by name (abi/errno.ts)");
  assert.deepEqual(offenders(/\brlimits\[\s*\d/, outsideAbi), [], "a resource limit by name (abi/resource.ts) through rlimit()");
  // Octal literals of five digits and more are file types and open flags (a
  // permission mask like 0o7777 is four digits).
  assert.deepEqual(offenders(/\b0o[0-7]{5,}\b/, outsideAbi), [], "file types and flags by name (abi/fcntl.ts)");
  assert.deepEqual(offenders(/\bcode:\s*0x[0-9a-f]+/i, outsideAbi), [], "si_code by name (abi/signal.ts)");
  // Capabilities: by name (abi/prctl.ts), tested through hasCap (kernel/cred.ts).
  assert.deepEqual(offenders(/\bCAP_[A-Z_]+\s*=\s*\d/, outsideAbi), [], "a capability by name from abi/prctl.ts");
  assert.deepEqual(offenders(/capEff\s*(&\s*\(?\s*1n\s*<<|>>)/, (rel) => rel === "kernel/cred.ts"), [], "capabilities are tested with hasCap (kernel/cred.ts)");
  // Filesystem magic numbers (statfs f_type) by name (abi/stat.ts).
  assert.deepEqual(offenders(/new SuperBlock\([^)]*,\s*0x[0-9a-f]+/i, outsideAbi), [], "a filesystem's magic by name (abi/stat.ts)");
});

// A test's child that outlives its timeout keeps the whole run from ending:
// `ghost run` passes SIGTERM on to the guest (as qemu-user does), so a spawn
// whose timeout only sends SIGTERM may never end a hung guest. Every
// spawn/spawnSync/execFile/execFileSync given a timeout kills with SIGKILL.
test("test and bench children are killed with SIGKILL when they time out", () => {
  const root = join(srcDir, "..");
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) files.push(p);
    }
  };
  walk(join(root, "test"));
  walk(join(root, "bench"));
  const found: string[] = [];
  for (const f of files) {
    const text = code(readFileSync(f, "utf8"));
    for (const m of text.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync|execSync)\s*\(/g)) {
      // The call's text up to its closing parenthesis.
      let depth = 0, end = m.index! + m[0].length - 1;
      for (; end < text.length; end++) {
        if (text[end] === "(") depth++;
        else if (text[end] === ")" && --depth === 0) break;
      }
      const call = text.slice(m.index!, end + 1);
      if (/\btimeout\b\s*[:,}]/.test(call) && !/\bkillSignal\s*:/.test(call)) {
        found.push(`${relative(root, f)}:${text.slice(0, m.index!).split("\n").length}: ${call.split("\n")[0].trim()}`);
      }
    }
  }
  assert.deepEqual(found, [], "give these timeouts killSignal: \"SIGKILL\"");
});
