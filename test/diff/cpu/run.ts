// Differential CPU test runner: random RV64GC sequences, qemu-riscv64 vs Ghost.
//
//   node dist/test/diff/cpu/run.js [--seed N] [--count N] [--start I] [--batch N]
//        [--jobs N] [--ghost CMD] [--qemu-only] [--check-disasm] [--max-report N]
//        [--timeout SECONDS] [--no-cache] [--min-len N] [--max-len N] [--quiet]
//
// Sequences [start, start+count) of a seed are split into batches; every
// batch becomes one static riscv64 program (see gen.ts) that prints one
// fixed-size record per sequence. Programs and qemu's reference output are
// cached under build/test/cpu/, keyed by a hash of the generated source.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  Batch, bodyBytes, GEN_VERSION, GenOptions, generateBatch, RECORD_BYTES, REGDUMP_BYTES, SCRATCH_BYTES, scratchInit, Sequence, xName,
} from "./gen.js";

const PREFIX = process.env["RISCV_PREFIX"] ?? "riscv64-linux-gnu-";
const QEMU = process.env["QEMU_RISCV64"] ?? "qemu-riscv64";
const CFLAGS = ["-static", "-nostdlib", "-no-pie", "-march=rv64gc", "-mabi=lp64d", "-Wl,--no-relax", "-Wl,--build-id=none"];

export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, "package.json")) && existsSync(join(d, "test", "diff", "cpu"))) return d;
    const up = dirname(d);
    if (up === d) throw new Error("cannot locate the repository root");
    d = up;
  }
}

export function defaultGhostCommand(root = repoRoot()): string[] {
  return [process.execPath, join(root, "dist", "src", "cli", "main.js"), "run", "--"];
}

// ---------------------------------------------------------------------------
// Processes.

interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  ms: number;
  error?: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let error: string | undefined;
    const p = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
        timedOut = true;
        p.kill("SIGKILL");
      }, opts.timeoutMs)
      : undefined;
    p.stdout.on("data", (b: Buffer) => out.push(b));
    p.stderr.on("data", (b: Buffer) => err.push(b));
    p.on("error", (e) => {
      error = String(e);
    });
    p.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code, signal, timedOut, error, ms: Date.now() - t0,
        stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

function describeExit(r: ProcResult): string {
  if (r.error) return `failed to start: ${r.error}`;
  if (r.timedOut) return `timed out after ${(r.ms / 1000).toFixed(1)}s`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit status ${r.code}`;
}

async function pool<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------
// Building a batch.

interface Built {
  batch: () => Batch; // generated on demand: a cached program needs no regeneration
  count: number;
  dir: string;
  elf: string;
  syms: Record<string, number>;
  cached: boolean;
  ms: number;
}

let genSourceHash: string | undefined;
/** Hash of the compiled generator: any change to it invalidates cached programs. */
function generatorHash(): string {
  genSourceHash ??= createHash("sha256").update(readFileSync(fileURLToPath(new URL("./gen.js", import.meta.url)))).digest("hex");
  return genSourceHash;
}

async function build(buildDir: string, seed: number, start: number, count: number, genOpts: GenOptions,
  useCache: boolean): Promise<Built> {
  const t0 = Date.now();
  let memo: Batch | undefined;
  const batch = (): Batch => (memo ??= generateBatch(seed, start, count, genOpts));
  const key = [GEN_VERSION, generatorHash(), CFLAGS.join(" "), seed, start, count, genOpts.minLen ?? "", genOpts.maxLen ?? "",
    genOpts.repeat ?? 1];
  const hash = createHash("sha256").update(key.join("\n")).digest("hex").slice(0, 16);
  const dir = join(buildDir, `s${seed}-${start}-${count}-${hash}`);
  const elf = join(dir, "prog.elf");
  const symsPath = join(dir, "syms.json");
  if (useCache && existsSync(elf) && existsSync(symsPath)) {
    const syms = JSON.parse(readFileSync(symsPath, "utf8")) as Record<string, number>;
    return { batch, count, dir, elf, syms, cached: true, ms: Date.now() - t0 };
  }
  // drop programs of the same batch built by other generator versions
  if (existsSync(buildDir)) {
    const prefix = `s${seed}-${start}-${count}-`;
    for (const d of readdirSync(buildDir)) {
      if (d.startsWith(prefix) && join(buildDir, d) !== dir) rmSync(join(buildDir, d), { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  const src = join(dir, "prog.s");
  writeFileSync(src, batch().asm);
  const tmpElf = `${elf}.${process.pid}.tmp`;
  const cc = await run(`${PREFIX}gcc`, [...CFLAGS, "-o", tmpElf, src]);
  if (cc.code !== 0) throw new Error(`assembling ${src} failed (${describeExit(cc)}):\n${cc.stderr}`);
  const nm = await run(`${PREFIX}nm`, [tmpElf]);
  if (nm.code !== 0) throw new Error(`nm failed: ${nm.stderr}`);
  const syms: Record<string, number> = {};
  for (const line of nm.stdout.toString("utf8").split("\n")) {
    const m = /^([0-9a-f]+) \w (\S+)$/.exec(line);
    if (m && (/^s\d+_(body|end)$/.test(m[2]!) || m[2] === "h_text_start" || m[2] === "scratch")) {
      syms[m[2]!] = parseInt(m[1]!, 16);
    }
  }
  renameSync(tmpElf, elf);
  writeAtomic(symsPath, JSON.stringify(syms));
  return { batch, count, dir, elf, syms, cached: false, ms: Date.now() - t0 };
}

// ---------------------------------------------------------------------------
// Comparing outputs.

export interface Failure {
  index: number; // global sequence index
  summary: string;
  report: string;
}

const FSLOT = 32;

function slotName(k: number): string {
  if (k === 0) return "fcsr";
  if (k < FSLOT) return xName(k);
  return `f${k - FSLOT}`;
}

function fpText(v: bigint): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, v);
  if (v >> 32n === 0xffffffffn) return `s:${dv.getFloat32(4)}`;
  return `d:${dv.getFloat64(0)}`;
}

function initSlot(seq: Sequence, k: number): bigint | undefined {
  if (k === 0) return BigInt(seq.init.fcsr);
  if (k === 2) return undefined;
  if (k < FSLOT) return seq.init.x[k];
  return seq.init.f[k - FSLOT];
}

const h64 = (v: bigint | undefined): string => (v === undefined ? "-".padEnd(18) : `0x${v.toString(16).padStart(16, "0")}`);

function fcsrText(v: bigint): string {
  const n = Number(v);
  const fl = ["NX", "UF", "OF", "DZ", "NV"].filter((_, i) => (n >> i) & 1).join("|") || "-";
  return `frm=${(n >> 5) & 7} flags=${fl}`;
}

/** Human-readable difference of one record; `names` are the two sides (e.g. qemu / ghost). */
function diffRecord(seq: Sequence, a: Buffer, b: Buffer, names: [string, string], scratchAddr: number | undefined,
  scratchInit: Buffer): { lines: string[]; regs: string[] } {
  const lines: string[] = [];
  const regs: string[] = [];
  const w = Math.max(names[0].length, names[1].length);
  lines.push(`  ${"reg".padEnd(10)} ${"initial".padEnd(18)} ${names[0].padEnd(Math.max(18, w))} ${names[1]}`);
  for (let k = 0; k < REGDUMP_BYTES / 8; k++) {
    const va = a.readBigUInt64LE(8 * k), vb = b.readBigUInt64LE(8 * k);
    if (va === vb) continue;
    regs.push(slotName(k));
    let extra = "";
    if (k >= FSLOT) extra = `   (${fpText(va)} vs ${fpText(vb)})`;
    if (k === 0) extra = `   (${fcsrText(va)} vs ${fcsrText(vb)})`;
    lines.push(`  ${slotName(k).padEnd(10)} ${h64(initSlot(seq, k))} ${h64(va).padEnd(Math.max(18, w))} ${h64(vb)}${extra}`);
  }
  let memDiffs = 0;
  const memLines: string[] = [];
  for (let o = 0; o < SCRATCH_BYTES; o += 8) {
    const va = a.readBigUInt64LE(REGDUMP_BYTES + o), vb = b.readBigUInt64LE(REGDUMP_BYTES + o);
    if (va === vb) continue;
    memDiffs++;
    if (memLines.length < 16) {
      const addr = scratchAddr === undefined ? "" : ` (0x${(scratchAddr + o).toString(16)})`;
      memLines.push(`  scratch+0x${o.toString(16).padStart(3, "0")}${addr} initial ${h64(scratchInit.readBigUInt64LE(o))} ` +
        `${names[0]} ${h64(va)} ${names[1]} ${h64(vb)}`);
    }
  }
  if (memDiffs) {
    regs.push(`mem×${memDiffs}`);
    lines.push(`  memory: ${memDiffs} differing doubleword(s)${memDiffs > 16 ? " (first 16 shown)" : ""}`);
    lines.push(...memLines);
  }
  return { lines, regs };
}

async function disassemble(built: Built, seq: Sequence): Promise<string> {
  const addr = built.syms[`s${seq.index}_body`];
  const bin = join(built.dir, `seq${seq.index}.bin`);
  writeFileSync(bin, bodyBytes(seq.body));
  const args = ["-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases,numeric"];
  if (addr !== undefined) args.push(`--adjust-vma=0x${addr.toString(16)}`);
  const r = await run(`${PREFIX}objdump`, [...args, bin]);
  const lines = r.stdout.toString("utf8").split("\n").filter((l) => /^\s+[0-9a-f]+:\t/.test(l));
  // append the generator's intent where objdump cannot decode an encoding
  let i = 0;
  return lines.map((l) => {
    const p = seq.body[i++];
    return p && /\.(2|4)byte/.test(l) ? `${l}\t\t; generator: ${p.text.replace("\t", " ")}` : l;
  }).join("\n");
}

function initText(seq: Sequence): string {
  const out: string[] = [`  fcsr=0x${seq.init.fcsr.toString(16)} (${fcsrText(BigInt(seq.init.fcsr))})`];
  for (let x = 1; x < 32; x += 4) {
    const cols: string[] = [];
    for (let k = x; k < x + 4 && k < 32; k++) cols.push(`${`x${k}`.padStart(3)}=${k === 2 ? "scratch+2048".padEnd(18) : h64(seq.init.x[k])}`);
    out.push(`  ${cols.join("  ")}`);
  }
  for (let f = 0; f < 32; f += 4) {
    const cols: string[] = [];
    for (let k = f; k < f + 4; k++) cols.push(`${`f${k}`.padStart(3)}=${h64(seq.init.f[k])}`);
    out.push(`  ${cols.join("  ")}`);
  }
  return out.join("\n");
}

async function compareOutputs(built: Built, opts: DiffOptions, names: [string, string], ra: ProcResult,
  rb: ProcResult, scratchInit: Buffer): Promise<Failure[]> {
  const failures: Failure[] = [];
  const n = built.count;
  const a = ra.stdout, b = rb.stdout;
  const scratchAddr = built.syms["scratch"];
  const reproduce = (i: number): string =>
    `node dist/test/diff/cpu/run.js --seed ${opts.seed} --start ${i} --count 1` +
    (opts.minLen !== undefined ? ` --min-len ${opts.minLen}` : "") + (opts.maxLen !== undefined ? ` --max-len ${opts.maxLen}` : "") +
    (opts.repeat !== undefined && opts.repeat > 1 ? ` --repeat ${opts.repeat}` : "") +
    (names[1] === "ghost" ? "" : ` --qemu-only`) + (opts.ghost.length && opts.ghost[0] === "env" ? ` --ghost "${opts.ghost.join(" ")}"` : "");
  const header = async (seq: Sequence, what: string): Promise<string> =>
    `=== ${what}: seed ${opts.seed}, sequence ${seq.index} (program ${built.elf})\n` +
    `reproduce: ${reproduce(seq.index)}\n` +
    `--- disassembly\n${await disassemble(built, seq)}\n--- initial state\n${initText(seq)}\n`;
  const complete = (buf: Buffer): number => Math.floor(buf.length / RECORD_BYTES);
  const ca = Math.min(complete(a), n), cb = Math.min(complete(b), n);
  const upto = Math.min(ca, cb);
  for (let i = 0; i < upto; i++) {
    const ka = a.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
    const kb = b.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
    if (ka.equals(kb)) continue;
    const seq = built.batch().seqs[i]!;
    const d = diffRecord(seq, ka, kb, names, scratchAddr, scratchInit);
    const summary = `sequence ${seq.index}: ${d.regs.join(" ")}`;
    if (failures.length < opts.maxReport) {
      failures.push({ index: seq.index, summary, report: `${await header(seq, "MISMATCH")}--- differences\n${d.lines.join("\n")}\n` });
    } else {
      failures.push({ index: seq.index, summary, report: "" });
    }
  }
  const problems: [string, ProcResult, number][] = [[names[0], ra, ca], [names[1], rb, cb]];
  for (const [name, r, c] of problems) {
    const bad = r.code !== 0 || r.signal !== null || r.timedOut || r.error !== undefined;
    const extra = r.stdout.length !== n * RECORD_BYTES;
    if (!bad && !extra) continue;
    const at = Math.min(c, n - 1);
    const seq = built.batch().seqs[at]!;
    const tail = r.stderr.trim().split("\n").slice(-15).join("\n");
    const what = c < n ? `${name} stopped during sequence ${seq.index} after ${r.stdout.length} bytes of output`
      : `${name} produced ${r.stdout.length} bytes, expected ${n * RECORD_BYTES}`;
    const summary = `${what} (${describeExit(r)})`;
    failures.push({
      index: seq.index,
      summary,
      report: `${await header(seq, `${name.toUpperCase()} FAILURE`)}--- ${summary}\n${tail ? `--- ${name} stderr (tail)\n${tail}\n` : ""}`,
    });
  }
  return failures;
}

// ---------------------------------------------------------------------------
// Disassembly self-check: objdump must decode every encoding as the generator intended.

const TARGET_OPS = new Set(["beq", "bne", "blt", "bge", "bltu", "bgeu", "jal", "c.j", "c.beqz", "c.bnez"]);

async function checkDisasm(built: Built): Promise<string[]> {
  const base = built.syms["h_text_start"];
  if (base === undefined) return ["no h_text_start symbol"];
  const bin = join(built.dir, "text.bin");
  const oc = await run(`${PREFIX}objcopy`, ["-O", "binary", "--only-section=.text", built.elf, bin]);
  if (oc.code !== 0) return [`objcopy failed: ${oc.stderr}`];
  const r = await run(`${PREFIX}objdump`, ["-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases,numeric",
    `--adjust-vma=0x${base.toString(16)}`, bin]);
  const byAddr = new Map<number, string>();
  for (const line of r.stdout.toString("utf8").split("\n")) {
    const m = /^\s+([0-9a-f]+):\t[0-9a-f]+\s+\t(.*)$/.exec(line);
    if (m) byAddr.set(parseInt(m[1]!, 16), m[2]!.replace(/\s+#.*$/, "").replace(/\s+/g, " ").trim());
  }
  const errors: string[] = [];
  for (const seq of built.batch().seqs) {
    const start = built.syms[`s${seq.index}_body`];
    if (start === undefined) {
      errors.push(`sequence ${seq.index}: no body symbol`);
      continue;
    }
    let pc = start;
    for (const p of seq.body) {
      let got = byAddr.get(pc) ?? "<missing>";
      const mnem = got.split(" ")[0]!;
      if (TARGET_OPS.has(mnem)) {
        got = got.replace(/0x([0-9a-f]+)$/, (_, h: string) => `0x${(parseInt(h, 16) - start).toString(16)}`);
      }
      const want = p.text.replace(/\s+/g, " ").trim();
      const ok = want.endsWith("?")
        ? got.startsWith(".4byte") || got.startsWith(want.slice(0, -1))
        : got === want;
      if (!ok) {
        const enc = p.size === 4 ? p.bits.toString(16).padStart(8, "0") : p.bits.toString(16).padStart(4, "0");
        errors.push(`sequence ${seq.index} +0x${(pc - start).toString(16)}: ${enc} objdump "${got}" generator "${want}"`);
      }
      pc += p.size;
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------
// Driver.

export interface DiffOptions {
  seed: number;
  count: number;
  start: number;
  batch: number;
  jobs: number;
  ghost: string[];
  qemuOnly: boolean;
  checkDisasm: boolean;
  maxReport: number;
  timeoutMs: number;
  cache: boolean;
  buildDir?: string;
  minLen?: number;
  maxLen?: number;
  repeat?: number; // runs of each sequence (gen.ts GenOptions.repeat)
  log: (line: string) => void;
}

export interface DiffResult {
  ok: boolean;
  sequences: number;
  failures: Failure[];
  report: string;
  ms: number;
}

export function defaultOptions(): DiffOptions {
  return {
    seed: 1,
    count: 4000,
    start: 0,
    batch: 250,
    jobs: Math.min(2, availableParallelism()),
    ghost: defaultGhostCommand(),
    qemuOnly: false,
    checkDisasm: false,
    maxReport: 3,
    timeoutMs: 300_000,
    cache: true,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

export async function runDiff(opts: DiffOptions): Promise<DiffResult> {
  const t0 = Date.now();
  const buildDir = opts.buildDir ?? join(repoRoot(), "build", "test", "cpu");
  const batches: { start: number; count: number }[] = [];
  for (let s = opts.start; s < opts.start + opts.count; s += opts.batch) {
    batches.push({ start: s, count: Math.min(opts.batch, opts.start + opts.count - s) });
  }
  const genOpts = { minLen: opts.minLen, maxLen: opts.maxLen, repeat: opts.repeat };
  const failures: Failure[] = [];
  const errors: string[] = [];
  let done = 0;
  await pool(batches, opts.jobs, async ({ start, count }) => {
    const built = await build(buildDir, opts.seed, start, count, genOpts, opts.cache);
    const sInit = Buffer.from(scratchInit(opts.seed));
    const qemuOut = join(built.dir, "qemu.out");
    const runQemu = (): Promise<ProcResult> => run(QEMU, [built.elf], { timeoutMs: opts.timeoutMs });
    const okRun = (r: ProcResult): boolean => r.code === 0 && r.stdout.length === count * RECORD_BYTES;
    let q: ProcResult;
    let other: ProcResult;
    let names: [string, string];
    if (opts.qemuOnly) {
      q = await runQemu();
      other = await runQemu();
      names = ["qemu#1", "qemu#2"];
      if (okRun(q) && existsSync(qemuOut) && !readFileSync(qemuOut).equals(q.stdout)) {
        errors.push(`sequences ${start}..${start + count - 1}: qemu output differs from the cached reference ${qemuOut}`);
      }
    } else {
      if (opts.cache && existsSync(qemuOut)) {
        q = { code: 0, signal: null, stdout: readFileSync(qemuOut), stderr: "", timedOut: false, ms: 0 };
      } else {
        q = await runQemu();
      }
      // run from the program's directory with a relative path: Ghost mounts its cwd from the host
      other = await run(opts.ghost[0]!, [...opts.ghost.slice(1), `./${basename(built.elf)}`],
        { cwd: built.dir, timeoutMs: opts.timeoutMs });
      names = ["qemu", "ghost"];
    }
    if (okRun(q) && !existsSync(qemuOut)) writeAtomic(qemuOut, q.stdout);
    const f = await compareOutputs(built, opts, names, q, other, sInit);
    if (opts.checkDisasm) {
      const errs = await checkDisasm(built);
      errors.push(...errs.slice(0, 20));
      if (errs.length > 20) errors.push(`... ${errs.length - 20} more disassembly mismatches`);
    }
    failures.push(...f);
    done++;
    opts.log(`[${done}/${batches.length}] sequences ${start}..${start + count - 1}: ` +
      `${f.length ? `${f.length} FAILING` : "ok"}  (build ${built.cached ? "cached" : `${built.ms}ms`}, ` +
      `${names[0]} ${q.ms}ms, ${names[1]} ${other.ms}ms)`);
  });
  failures.sort((x, y) => x.index - y.index);
  const out: string[] = [];
  const shown = failures.filter((f) => f.report).slice(0, opts.maxReport);
  for (const f of shown) out.push(f.report);
  if (failures.length) {
    out.push(`${failures.length} failing sequence(s) out of ${opts.count} (seed ${opts.seed}):`);
    for (const f of failures.slice(0, 50)) out.push(`  ${f.summary}`);
    if (failures.length > 50) out.push(`  ... ${failures.length - 50} more`);
  }
  if (errors.length) out.push(`${errors.length} error(s):`, ...errors.map((e) => `  ${e}`));
  const ok = failures.length === 0 && errors.length === 0;
  const ms = Date.now() - t0;
  out.push(`${ok ? "PASS" : "FAIL"}: ${opts.count} sequences, seed ${opts.seed}, ` +
    `${opts.qemuOnly ? "qemu vs qemu" : "qemu vs ghost"}, ${(ms / 1000).toFixed(1)}s`);
  return { ok, sequences: opts.count, failures, report: out.join("\n"), ms };
}

// ---------------------------------------------------------------------------
// Command line.

function usage(): never {
  process.stderr.write(`usage: node dist/test/diff/cpu/run.js [options]
  --seed N          PRNG seed (default 1)
  --count N         number of sequences (default 4000)
  --start I         first sequence index (default 0)
  --batch N         sequences per program (default 250)
  --jobs N          parallel builds/runs (default 2)
  --ghost CMD       Ghost command line, program path appended
                    (default: node dist/src/cli/main.js run --)
  --qemu-only       run qemu twice and check determinism instead of Ghost
  --check-disasm    also check that objdump decodes every generated encoding as intended
  --max-report N    detailed reports to print (default 3)
  --timeout S       per-program timeout in seconds (default 300)
  --min-len N / --max-len N   instructions per sequence (default 20..60)
  --repeat N        run each sequence N times, dumping the last (for a JIT's
                    hotness threshold: GHOST_JIT_THRESHOLD=2 with --repeat 3)
  --no-cache        rebuild programs and rerun qemu
  --build-dir DIR   where programs and qemu outputs are cached (default build/test/cpu)
  --quiet           no progress lines
`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const o = defaultOptions();
  const num = (s: string | undefined): number => {
    const v = Number(s);
    if (s === undefined || !Number.isSafeInteger(v) || v < 0) usage();
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--seed": o.seed = num(argv[++i]); break;
      case "--count": o.count = num(argv[++i]); break;
      case "--start": o.start = num(argv[++i]); break;
      case "--batch": o.batch = Math.max(1, num(argv[++i])); break;
      case "--jobs": o.jobs = Math.max(1, num(argv[++i])); break;
      case "--ghost": {
        const v = argv[++i];
        if (!v) usage();
        o.ghost = v.split(/\s+/).filter(Boolean);
        break;
      }
      case "--qemu-only": o.qemuOnly = true; break;
      case "--check-disasm": o.checkDisasm = true; break;
      case "--max-report": o.maxReport = num(argv[++i]); break;
      case "--timeout": o.timeoutMs = 1000 * num(argv[++i]); break;
      case "--min-len": o.minLen = num(argv[++i]); break;
      case "--max-len": o.maxLen = num(argv[++i]); break;
      case "--repeat": o.repeat = Math.max(1, num(argv[++i])); break;
      case "--no-cache": o.cache = false; break;
      case "--build-dir": o.buildDir = argv[++i] ?? usage(); break;
      case "--quiet": o.log = () => {}; break;
      default: usage();
    }
  }
  if ((o.minLen ?? 20) > (o.maxLen ?? 60) || (o.minLen ?? 20) < 1) usage();
  if (!o.qemuOnly && !existsSync(o.ghost[1] ?? "") && o.ghost[0] === process.execPath) {
    process.stderr.write(`warning: ${o.ghost[1]} does not exist (build Ghost first, or use --qemu-only / --ghost)\n`);
  }
  const r = await runDiff(o);
  process.stdout.write(`${r.report}\n`);
  return r.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(3);
  });
}
