// The guest's metadata that a host directory does not hold: hostfs's overlay.
//
// A guest sees Linux semantics on a host directory as on tmpfs whatever the
// host user is, and the host keeps plain files that user can read and write.
// So ownership, the set-user-ID and set-group-ID bits, modes the host cannot
// or must not hold, and device nodes live here, per host inode:
//
//   - owner and group: the guest's (the creator's fsuid and fsgid, a
//     set-group-ID directory's group, chown); the host file keeps the host
//     user's. Files the guest never changed show the host's owner unmapped.
//   - mode: the host file gets the guest's permission bits (0777), plus read
//     and write (and search, for a directory) for its owner when Ghost does
//     not run as host root, so that Ghost can always use what it made.
//     Set-user-ID, set-group-ID and sticky bits never reach the host: a guest
//     must not leave a set-user-ID program for host users.
//   - device nodes: an empty regular file of mode 0 (0600 for a non-root
//     host) on the host, the node's type and number here; opening it reaches
//     Ghost's driver. The host never gets a real device node.
//   - extended attributes (user.*, trusted.*, security.*): Node cannot read
//     or write the host's, so the guest's live here, values in base64.
//
// An entry exists only where the guest's view differs from the host file's
// and is keyed by the host's (device, inode number), checked against the host
// file's birth time and type (a number is reused once its file is gone). It
// goes when Ghost removes the file's last name (or its last close, for an
// open file), or when a lookup finds the number reused.
//
// The store is one file in the mount's root, ".ghost-unlinked-meta-<128
// random bits>", which the guest can neither see nor name (see hidden.ts):
// a log of JSON lines (an entry, or a removal), appended as the guest makes
// changes, read whole at mount and compacted then when mostly stale. It is
// made on first need only, and removed when Ghost exits with no entry left
// in it, so a mount where the guest's view matches the host keeps no file. A read-only mount reads it and never writes (changes are
// refused there anyway); a host directory where the file cannot be made keeps
// the overlay in memory for the run. Two Ghost runs on one directory at once
// each see their own changes (the last to append wins at the next mount).

import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import { S_IFMT, S_IFREG } from "../inode.js";
import { HIDDEN_PREFIX, at, eachName } from "./hostcalls.js";

export const META_PREFIX = `${HIDDEN_PREFIX}meta-`;

/** What the guest sees of a host inode: type and mode, owner, device number. */
export interface GuestMeta { mode: number; uid: number; gid: number; rdev: number }

/** A file's extended attributes, name to value. */
export type Xattrs = Map<string, Uint8Array>;

interface Entry extends GuestMeta { btime: string; htype: number; xattrs?: Xattrs }

// One log record of an entry (`a`: the attributes, base64, when it has some).
function record(k: string, e: Entry): object {
  const rec: Record<string, unknown> = { k, b: e.btime, t: e.htype, m: e.mode, u: e.uid, g: e.gid, r: e.rdev };
  if (e.xattrs?.size) rec.a = Object.fromEntries([...e.xattrs].map(([n, v]) => [n, Buffer.from(v).toString("base64")]));
  return rec;
}

function readXattrs(a: unknown): Xattrs | undefined {
  if (typeof a !== "object" || a === null) return undefined;
  const m: Xattrs = new Map();
  for (const [n, v] of Object.entries(a)) if (typeof v === "string") m.set(n, new Uint8Array(Buffer.from(v, "base64")));
  return m.size ? m : undefined;
}

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const HEADER = JSON.stringify({ ghostHostfsMeta: 1 });

function key(st: fs.BigIntStats): string { return `${st.dev}:${st.ino}`; }

function hostMeta(st: fs.BigIntStats): GuestMeta {
  return { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), rdev: Number(st.rdev) };
}

function same(a: GuestMeta, b: GuestMeta): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.rdev === b.rdev;
}

function isEntry(v: unknown): v is { k: string; b: string; t: number; m: number; u: number; g: number; r: number } {
  const o = v as Record<string, unknown>;
  return typeof o?.k === "string" && typeof o.b === "string" &&
    ["t", "m", "u", "g", "r"].every((f) => Number.isInteger(o[f]) && (o[f] as number) >= 0 && (o[f] as number) <= 0xffffffff);
}

// Stores with a file open, for the exit hook.
const open = new Set<MetaStore>();
let hooked = false;

export class MetaStore {
  private readonly entries = new Map<string, Entry>();
  private fd = -1;
  private name = "";
  // The file could not be made: the overlay lives in memory for this run.
  private memoryOnly = false;

  constructor(private readonly rootFd: number, private readonly readOnly: boolean) {
    this.load();
  }

  /** The guest's view of host file st. */
  view(st: fs.BigIntStats): GuestMeta {
    const e = this.entry(st);
    return e ? { mode: e.mode, uid: e.uid, gid: e.gid, rdev: e.rdev } : hostMeta(st);
  }

  // The entry of host file st, if it still describes that file.
  private entry(st: fs.BigIntStats): Entry | undefined {
    const e = this.entries.get(key(st));
    if (!e) return undefined;
    if (e.btime !== String(st.birthtimeNs) || e.htype !== (Number(st.mode) & S_IFMT)) {
      // The number now names another file.
      this.forget(st);
      return undefined;
    }
    return e;
  }

  /** The guest's extended attributes of host file st (do not change the map: see setXattrs). */
  xattrs(st: fs.BigIntStats): ReadonlyMap<string, Uint8Array> | undefined { return this.entry(st)?.xattrs; }

  /** Host file st's extended attributes are now `attrs` (a new map). */
  setXattrs(st: fs.BigIntStats, attrs: Xattrs): void {
    const view = this.view(st);
    if (!attrs.size && same(view, hostMeta(st))) { this.forget(st); return; }
    const e: Entry = { ...view, btime: String(st.birthtimeNs), htype: Number(st.mode) & S_IFMT, xattrs: attrs.size ? attrs : undefined };
    const k = key(st);
    this.entries.set(k, e);
    this.append(record(k, e));
  }

  /** The guest's view of host file st is now `want`: kept where it differs from the host's. */
  set(st: fs.BigIntStats, want: GuestMeta): void {
    const xattrs = this.entry(st)?.xattrs; // an owner or mode change keeps the attributes
    if (same(want, hostMeta(st)) && !xattrs) { this.forget(st); return; }
    const e: Entry = { ...want, btime: String(st.birthtimeNs), htype: Number(st.mode) & S_IFMT, xattrs };
    const k = key(st);
    const old = this.entries.get(k);
    if (old && same(old, e) && old.btime === e.btime && old.htype === e.htype) return;
    this.entries.set(k, e);
    this.append(record(k, e));
  }

  /** Host file st is gone (or is no longer what the entry described). */
  forget(st: fs.BigIntStats): void {
    const k = key(st);
    if (!this.entries.delete(k)) return;
    this.append({ k, x: 1 });
  }

  /** Whether the store has an entry for st (a host file that is the guest's device node, say). */
  has(st: fs.BigIntStats): boolean { return this.entries.has(key(st)); }

  private append(rec: object): void {
    if (this.readOnly || this.memoryOnly) return;
    try {
      if (this.fd < 0) this.create();
      fs.writeSync(this.fd, JSON.stringify(rec) + "\n");
    } catch {
      // The host refuses (a full disk, a directory the host user cannot write): memory only from now on.
      this.memoryOnly = true;
    }
  }

  // A new store file of random name in the root, made exclusively (nothing planted there is followed).
  private create(): void {
    const name = META_PREFIX + randomBytes(16).toString("hex");
    const fd = fs.openSync(at(this.rootFd, name), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    fs.writeSync(fd, HEADER + "\n");
    this.opened(fd, name);
  }

  private opened(fd: number, name: string): void {
    this.fd = fd;
    this.name = name;
    open.add(this);
    if (!hooked) {
      hooked = true;
      process.on("exit", () => { for (const m of open) m.close(); });
    }
  }

  /** At exit: a store with no entry left goes, so that a mount keeps no empty file. */
  close(): void {
    if (this.fd < 0) return;
    try { fs.closeSync(this.fd); } catch { /* closed */ }
    if (this.entries.size === 0) try { fs.unlinkSync(at(this.rootFd, this.name)); } catch { /* gone */ }
    this.fd = -1;
    open.delete(this);
  }

  // Reads every store file in the root (two runs may each have made one);
  // the first is appended to afterwards, rewritten first when mostly stale.
  private load(): void {
    const names: string[] = [];
    try { eachName(this.rootFd, (n) => { if (n.startsWith(META_PREFIX)) names.push(n); }); } catch { return; }
    names.sort();
    let lines = 0;
    const found: string[] = [];
    for (const name of names) {
      let text: string;
      try {
        const fd = fs.openSync(at(this.rootFd, name), O_RDONLY | O_NOFOLLOW);
        try {
          if ((Number(fs.fstatSync(fd).mode) & S_IFMT) !== S_IFREG) continue;
          text = fs.readFileSync(fd, "latin1");
        } finally { fs.closeSync(fd); }
      } catch { continue; }
      found.push(name);
      for (const line of text.split("\n")) {
        let rec: unknown;
        try { rec = JSON.parse(line); } catch { continue; } // a line cut short by a crash
        const r = rec as { k?: unknown; x?: unknown };
        lines++;
        if (typeof r?.k === "string" && r.x === 1) this.entries.delete(r.k);
        else if (isEntry(rec)) {
          this.entries.set(rec.k, { btime: rec.b, htype: rec.t, mode: rec.m, uid: rec.u, gid: rec.g, rdev: rec.r, xattrs: readXattrs((rec as { a?: unknown }).a) });
        }
      }
    }
    if (this.readOnly || found.length === 0) return;
    if (found.length === 1 && lines <= 2 * this.entries.size + 64) {
      try {
        this.opened(fs.openSync(at(this.rootFd, found[0]), O_WRONLY | O_APPEND | O_NOFOLLOW), found[0]);
      } catch { this.memoryOnly = true; }
      return;
    }
    this.compact(found);
  }

  // Writes the live entries to a new file, then removes the old ones.
  private compact(old: string[]): void {
    try {
      this.create();
      const out = [...this.entries].map(([k, e]) => JSON.stringify(record(k, e)) + "\n");
      if (out.length) fs.writeSync(this.fd, out.join(""));
      fs.fsyncSync(this.fd);
    } catch { this.memoryOnly = true; return; }
    for (const n of old) try { fs.unlinkSync(at(this.rootFd, n)); } catch { /* another run's, or gone */ }
  }

  /** The store file's name, if one exists (for the tests' host-side view). */
  get fileName(): string { return this.name; }
}
