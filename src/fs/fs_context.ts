// The filesystem context of the new mount API (Linux's fs/fs_context.c and
// fsopen.c): fsopen or fspick gives a file holding one; fsconfig feeds it
// parameters, each checked as the filesystem's own parser checks it, and
// creates or reconfigures the superblock; fsmount turns it into a detached
// mount. What goes wrong is also logged as text the file's reader gets, one
// "e <fs>: <message>\n" line per read().

import { kerr } from "../lib/errors.js";
import { EINVAL, EMSGSIZE, ENODATA } from "../abi/errno.js";
import { Inode, type SuperBlock } from "./inode.js";
import { File } from "./file.js";
import { pseudoFs } from "./pseudo.js";
import { parseSize } from "./filesystems.js";
import type { Mount } from "./dentry.js";

// Linux's fs_context_phase.
export type FsContextPhase = "create-params" | "awaiting-mount" | "reconf-params" | "failed";

// A parameter as fsconfig passes it (fs_parameter): its key, and a string, a
// flag (no value), a binary blob, a path or a file.
export interface FsParam { key: string; kind: "flag" | "string" | "binary" | "path" | "fd"; value: string | null }

// The superblock flags any filesystem takes (vfs_parse_sb_flag): true sets, false clears.
const SB_FLAGS: Record<string, [string, boolean]> = {
  ro: ["ro", true], rw: ["ro", false], sync: ["sync", true], async: ["sync", false], dirsync: ["dirsync", true],
  lazytime: ["lazytime", true], nolazytime: ["lazytime", false], mand: ["mand", true], nomand: ["mand", false], silent: ["silent", true],
};

type Check = (p: FsParam) => string | null; // an error message, or null: accepted

const bad = (p: FsParam) => `Bad value for '${p.key}'`;
const str = (ok: (v: string) => boolean): Check => (p) => (p.kind !== "string" || !ok(p.value!) ? bad(p) : null);
const flag: Check = (p) => (p.kind !== "flag" ? `Unexpected value for '${p.key}'` : null);
const u32 = (base: number) => str((v) => (base === 8 ? /^[0-7]+$/ : /^(0x[0-9a-fA-F]+|\d+)$/).test(v) && Number(base === 8 ? parseInt(v, 8) : v) <= 0xffffffff);
const size = str((v) => !Number.isNaN(parseSize(v, 1)));
const oneOf = (...names: string[]) => str((v) => names.includes(v));
const any: Check = () => null;

// Each filesystem's parameters (its fs_parameter_spec), by name.
const PARAMS: Record<string, Record<string, Check>> = {
  tmpfs: {
    size, nr_blocks: size, nr_inodes: size, mode: u32(8), uid: u32(10), gid: u32(10),
    huge: oneOf("never", "always", "within_size", "advise", "deny", "force"), mpol: str(() => true),
    inode32: flag, inode64: flag, noswap: flag, quota: flag, usrquota: flag, grpquota: flag,
  },
  proc: {
    gid: u32(10),
    hidepid: (p) => p.kind !== "string" ? bad(p) : ["0", "1", "2", "4", "off", "noaccess", "invisible", "ptraceable"].includes(p.value!) ? null : `unknown value of hidepid - ${p.value}\n`,
    subset: (p) => p.kind !== "string" ? bad(p) : p.value === "pid" || p.value === "" ? null : `unsupported subset option - ${p.value}\n`,
    pidns: any,
  },
  sysfs: {},
  devtmpfs: {},
  ext4: Object.fromEntries([
    "acl", "noacl", "user_xattr", "nouser_xattr", "barrier", "nobarrier", "noload", "norecovery", "discard", "nodiscard",
    "auto_da_alloc", "noauto_da_alloc", "delalloc", "nodelalloc", "i_version", "block_validity", "noblock_validity",
    "journal_checksum", "nojournal_checksum", "journal_async_commit", "grpid", "bsdgroups", "nogrpid", "sysvgroups",
    "dioread_lock", "dioread_nolock", "init_itable", "noinit_itable", "dax", "quota", "noquota", "usrquota", "grpquota",
    "nombcache", "prefetch_block_bitmaps", "debug", "oldalloc", "orlov", "minixdf", "bsddf", "nouid32", "abort",
  ].map((n) => [n, any]).concat([
    "commit", "errors", "data", "data_err", "resuid", "resgid", "sb", "stripe", "journal_dev", "journal_path",
    "max_batch_time", "min_batch_time", "inode_readahead_blks", "journal_ioprio", "max_dir_size_kb", "jqfmt",
  ].map((n) => [n, any]))),
};
PARAMS.ext2 = PARAMS.ext4;
PARAMS.ext3 = PARAMS.ext4;

export class FsContextInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  phase: FsContextPhase;
  source: string | null = null;
  // Filesystem options in mount(2)'s form (the data string's key=value pairs).
  readonly options = new Map<string, string>();
  // Superblock flags asked for: ro, sync… (true: set, false: clear).
  readonly sbFlags = new Map<string, boolean>();
  // The filesystem made by FSCONFIG_CMD_CREATE, or picked by fspick.
  root: Inode | null = null;
  // fspick's mount (reconfiguration applies to its superblock).
  picked: Mount | null = null;
  private readonly log: string[] = [];

  constructor(readonly fsType: string, reconfigure: boolean) {
    super();
    this.mode = 0o600;
    this.phase = reconfigure ? "reconf-params" : "create-params";
  }

  // An error for the reader of the file and EINVAL for the caller (invalf).
  invalf(msg: string, prefix = true): never {
    this.logMsg(msg, prefix);
    return kerr(EINVAL);
  }

  logMsg(msg: string, prefix = true): void {
    // The log keeps the last 8 messages, as Linux's fc_log ring.
    if (this.log.length === 8) this.log.shift();
    this.log.push(`e ${prefix ? `${this.fsType}: ` : ""}${msg}\n`);
  }

  // read(): the oldest message, whole (EMSGSIZE if it does not fit, and it stays), ENODATA when none.
  readMessage(dst: Uint8Array): number {
    const msg = this.log[0];
    if (msg === undefined) kerr(ENODATA);
    const bytes = Buffer.from(msg, "utf8");
    if (bytes.length > dst.length) kerr(EMSGSIZE);
    this.log.shift();
    dst.set(bytes);
    return bytes.length;
  }

  // One parameter, as vfs_parse_fs_param: superblock flags, then the
  // filesystem's own, then "source"; anything else is unknown.
  parse(p: FsParam): void {
    const sbFlag = SB_FLAGS[p.key];
    if (sbFlag) { this.sbFlags.set(sbFlag[0], sbFlag[1]); return; }
    const spec = PARAMS[this.fsType];
    const check = spec ? spec[p.key] : any;
    if (check && (spec || p.key !== "source")) {
      const err = check(p);
      if (err !== null) this.invalf(err);
      this.options.set(p.key, p.kind === "flag" ? "" : p.value ?? "");
      return;
    }
    if (p.key === "source") {
      if (p.kind !== "string") this.invalf("Non-string source", false);
      if (this.source !== null) this.invalf("Multiple sources", false);
      this.source = p.value;
      return;
    }
    this.invalf(`Unknown parameter '${p.key}'`);
  }

  // After CMD_CREATE or CMD_RECONFIGURE, the context takes new parameters
  // for the next reconfiguration (vfs_clean_context).
  clean(): void {
    this.options.clear();
    this.sbFlags.clear();
    this.phase = "reconf-params";
  }

  superBlock(): SuperBlock | null { return this.root?.sb ?? null; }
}

// The file fsopen and fspick return: reads give the log, writes are EINVAL.
export function fsContextFile(ctx: FsContextInode, flags: number): File {
  return new File(null, ctx, flags, {
    stream: true,
    noPoll: true,
    read: (_f, dst) => ctx.readMessage(dst),
    write: () => kerr(EINVAL),
  });
}

export function fsContextOf(f: File): FsContextInode | null { return f.inode instanceof FsContextInode ? f.inode : null; }
