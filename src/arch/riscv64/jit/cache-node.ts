// The JIT's persistent cache under Node: translated pages (cache.ts) kept as
// files in a host directory, so that a later run of Ghost on the same code
// skips discovery and code generation (V8's compile of the stored wasm bytes
// remains: Node offers no way to store compiled code).
//
// Where: $GHOST_JIT_CACHE_DIR, else $XDG_CACHE_HOME/ghost/jit, else
// ~/.cache/ghost/jit; on unless GHOST_JIT_CACHE=0. Bounded: past
// MAX_BYTES, the oldest files go until a quarter is free. Runs at once share
// it safely: each file is written aside and renamed into place, so a reader
// sees a whole file or none, and two writers of one key write the same bytes.
//
// Why on by default: a hit is installed at once, where a miss waits for the
// translator thread (worker.ts) while the guest interprets on — under load,
// seconds. python3's 300,000-iteration loop (bench/programs.ts), three pairs
// at load 25-30 on 2 cores: 5.20/5.24/6.02 s of user CPU cold against
// 4.67/4.57/4.73 s warm (guest's thread 3.87/3.96/4.61 s against
// 3.59/3.20/3.57 s). A run that translates nothing (python3 -c pass, sqlite3:
// under the warm-up) never opens it.
//
// Nothing read back is trusted. A file is named by a SHA-256 of the
// translator's fingerprint and the cache key, and holds them again, the page
// it was made from, the components and the module, with a SHA-256 of all of
// it: a truncated or corrupted file, one from another build of Ghost (another
// fingerprint), or one copied under another name is ignored, and so is one
// whose page differs from the page now. The fingerprint is a SHA-256 of the
// code that translates (every .js file of this module's directory and its
// parent — in the bundle, the bundle itself — and the hart's wasm, whose
// layout and helpers the code uses), so any change to Ghost's code is a new
// cache. Whoever can write the directory can still make Ghost run a module
// of their choosing; such a module reaches only the guest's memory and the
// hart's helpers, what the guest itself reaches (the directory is the host
// user's own).

import type { CachedComponent, PageStore, StoredUnit } from "./cache.js";
import { samePage } from "./cache.js";

type Fs = typeof import("node:fs");
type Crypto = typeof import("node:crypto");

const MAGIC = "GHOSTJC1";
const SUM = 32; // SHA-256
const PAGE = 4096;
const MAX_BYTES = 256 << 20;
// After this many bytes written, look at the directory's size again.
const TRIM_EVERY = 16 << 20;

interface Host { fs: Fs; crypto: Crypto; path: typeof import("node:path"); os: typeof import("node:os"); url: typeof import("node:url") }

function host(): Host | undefined {
  const get = globalThis.process?.getBuiltinModule;
  if (!get) return undefined;
  return { fs: get("node:fs"), crypto: get("node:crypto"), path: get("node:path"), os: get("node:os"), url: get("node:url") };
}

// The directory the environment asks for, or undefined (off, or not under Node).
export function cacheDirFromEnv(env: Record<string, string | undefined>): string | undefined {
  // Only node:path (and node:os without $HOME) here: node:crypto (host()) costs ~5 ms of a
  // start, and is loaded when the store is first used (most runs never).
  const get = globalThis.process?.getBuiltinModule;
  if (!get || env["GHOST_JIT_CACHE"] === "0") return undefined;
  if (env["GHOST_JIT_CACHE_DIR"]) return env["GHOST_JIT_CACHE_DIR"];
  const path = get("node:path") as typeof import("node:path");
  // $HOME is what os.homedir() returns when set (POSIX); node:os only without it (~1 ms of a start).
  const home = env["HOME"] || (get("node:os") as typeof import("node:os")).homedir();
  const base = env["XDG_CACHE_HOME"] || path.join(home, ".cache");
  return path.join(base, "ghost", "jit");
}

let fingerprintMemo: string | null | undefined;

// SHA-256 of the code that makes translations (see the header), or null when
// that code changed on disk after this process started (a rebuild while Ghost
// runs): what is on disk is then not what runs, and translations filed under
// its fingerprint would be served to the new build.
export function translatorFingerprint(): string | null {
  if (fingerprintMemo !== undefined) return fingerprintMemo;
  const h = host()!;
  const here = h.path.dirname(h.url.fileURLToPath(import.meta.url));
  const startedAtMs = Date.now() - globalThis.process.uptime() * 1000;
  fingerprintMemo = fingerprintOf(h, [here, h.path.dirname(here)], here, startedAtMs);
  return fingerprintMemo;
}

// The fingerprint of the .js/.cjs/.mjs files of `dirs` and the first
// hart.wasm found from `wasmFrom` upwards; null if any of them was written
// (mtime or ctime) after `startedAtMs`.
export function fingerprintOf(h: Pick<Host, "fs" | "crypto" | "path">, dirs: string[], wasmFrom: string, startedAtMs: number): string | null {
  const { fs, path } = h;
  const sha = h.crypto.createHash("sha256");
  const add = (name: string, file: string): boolean => {
    const st = fs.statSync(file);
    if (Math.max(st.mtimeMs, st.ctimeMs) > startedAtMs) return false;
    sha.update(name + "\0");
    sha.update(fs.readFileSync(file));
    return true;
  };
  for (const dir of dirs) {
    // .cjs too: the bundle (dist/src/cli/bundle/ghost.cjs) holds the translator itself.
    for (const name of fs.readdirSync(dir).filter((n) => /\.[cm]?js$/.test(n)).sort()) {
      if (!add(name, path.join(dir, name))) return null;
    }
  }
  // hart.wasm: beside dist/ (hart.ts finds it at ../../../hart.wasm from its own module, bundled or not).
  for (let d = wasmFrom, i = 0; i < 6; i++, d = path.dirname(d)) {
    const w = path.join(d, "hart.wasm");
    if (fs.existsSync(w)) { if (!add("hart.wasm", w)) return null; break; }
  }
  return sha.digest("hex");
}

// The store the environment asks for (see the header), if any.
export function storeFromEnv(env: Record<string, string | undefined>): PageStore | undefined {
  const dir = cacheDirFromEnv(env);
  return dir ? new DirPageStore(dir) : undefined;
}

export class DirPageStore implements PageStore {
  private host?: Host;
  private written = 0;
  private trimmedAt = -1;
  private broken = false; // the directory cannot be used: stop trying

  // `fp`: what identifies the translator (tests pass their own); by default
  // computed at first use (most runs never translate).
  constructor(readonly dir: string, private fp?: string) {}

  private get h(): Host { return (this.host ??= host()!); }

  // Throws when the translator's code changed on disk since the start (see
  // translatorFingerprint): every caller then gives up the store.
  get fingerprint(): string {
    if (this.fp === undefined) {
      const fp = translatorFingerprint();
      if (fp === null) { this.broken = true; throw new Error("the translator changed on disk since this process started"); }
      this.fp = fp;
    }
    return this.fp;
  }

  private file(key: string): string {
    const name = this.h.crypto.createHash("sha256").update(this.fingerprint + "\0" + key).digest("hex");
    return this.h.path.join(this.dir, name.slice(0, 2), name + ".wjc");
  }

  get(key: string, page: Uint8Array): StoredUnit | undefined {
    if (this.broken) return undefined;
    let buf: Buffer;
    try { buf = this.h.fs.readFileSync(this.file(key)); } catch { return undefined; }
    try { return this.decode(buf, key, page); } catch { return undefined; }
  }

  private decode(buf: Buffer, key: string, page: Uint8Array): StoredUnit | undefined {
    if (buf.length < MAGIC.length + 4 + PAGE + SUM || buf.toString("latin1", 0, MAGIC.length) !== MAGIC) return undefined;
    const body = buf.subarray(0, buf.length - SUM);
    const sum = this.h.crypto.createHash("sha256").update(body).digest();
    if (!sum.equals(buf.subarray(buf.length - SUM))) return undefined;
    const hlen = buf.readUInt32LE(MAGIC.length);
    const hstart = MAGIC.length + 4;
    if (hstart + hlen + PAGE > body.length) return undefined;
    const head: unknown = JSON.parse(buf.toString("utf8", hstart, hstart + hlen));
    if (!isHeader(head) || head.fp !== this.fingerprint || head.key !== key) return undefined;
    const stored = new Uint8Array(body.subarray(hstart + hlen, hstart + hlen + PAGE));
    if (!samePage(stored, page)) return undefined;
    const wasm = new Uint8Array(body.subarray(hstart + hlen + PAGE));
    return { vpage: head.vpage, page: stored, comps: head.comps, wasm };
  }

  put(key: string, u: StoredUnit): void {
    if (this.broken) return;
    const { fs, path, crypto } = this.h;
    let tmp = "";
    try {
      const head = Buffer.from(JSON.stringify({ fp: this.fingerprint, key, vpage: u.vpage, comps: u.comps }), "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32LE(head.length);
      const body = Buffer.concat([Buffer.from(MAGIC, "latin1"), len, head, u.page, u.wasm]);
      const sum = crypto.createHash("sha256").update(body).digest();
      const file = this.file(key);
      // Written aside and renamed: a concurrent reader sees the whole file or none.
      tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, Buffer.concat([body, sum]));
      fs.renameSync(tmp, file);
      this.written += body.length + SUM;
    } catch {
      if (tmp) try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
      this.broken = true; // read-only, full, or no fingerprint: run without it
      return;
    }
    if (this.trimmedAt < 0 || this.written - this.trimmedAt >= TRIM_EVERY) {
      this.trimmedAt = this.written;
      this.trim();
    }
  }

  // Keeps the directory under MAX_BYTES: the oldest files go first.
  trim(max = MAX_BYTES): void {
    const { fs, path } = this.h;
    try {
      const files: { p: string; size: number; mtime: number }[] = [];
      let total = 0;
      for (const sub of fs.readdirSync(this.dir)) {
        const d = path.join(this.dir, sub);
        let names: string[];
        try { names = fs.readdirSync(d); } catch { continue; }
        for (const n of names) {
          try {
            const st = fs.statSync(path.join(d, n));
            files.push({ p: path.join(d, n), size: st.size, mtime: st.mtimeMs });
            total += st.size;
          } catch { /* removed meanwhile */ }
        }
      }
      if (total <= max) return;
      files.sort((a, b) => a.mtime - b.mtime);
      for (const f of files) {
        if (total <= max * 0.75) break;
        try { fs.rmSync(f.p, { force: true }); total -= f.size; } catch { /* another run's */ }
      }
    } catch { /* no directory yet */ }
  }
}

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

function isComp(c: unknown): c is CachedComponent {
  if (typeof c !== "object" || c === null) return false;
  const o = c as Record<string, unknown>;
  return Array.isArray(o.blocks) && o.blocks.length > 0
    && o.blocks.every((b) => Array.isArray(b) && b.length === 2 && isInt(b[0], 0, PAGE - 2) && (b[0] & 1) === 0 && typeof b[1] === "boolean")
    && Array.isArray(o.ranges)
    && o.ranges.every((r) => Array.isArray(r) && r.length === 2 && isInt(r[0], 0, PAGE) && isInt(r[1], r[0], PAGE))
    && isInt(o.insnCount, 0, 1 << 20);
}

function isHeader(h: unknown): h is { fp: string; key: string; vpage: number; comps: CachedComponent[] } {
  if (typeof h !== "object" || h === null) return false;
  const o = h as Record<string, unknown>;
  return typeof o.fp === "string" && typeof o.key === "string" && isInt(o.vpage, 0, 2 ** 52)
    && Array.isArray(o.comps) && o.comps.length > 0 && o.comps.every(isComp);
}
