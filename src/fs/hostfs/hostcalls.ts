// Host system calls for hostfs, all relative to an open host directory and
// none following a symlink in the name it is given.
//
// Node has no openat/fchmodat/mkfifoat, but Linux resolves
// "/proc/self/fd/<dirfd>/<name>" exactly as openat(dirfd, name): the magic
// link jumps to the directory the descriptor holds, wherever it now is, and
// only <name> is looked up. So every host path hostfs builds has two parts:
// a descriptor Ghost opened (the mount's root, or a directory opened from its
// parent with O_DIRECTORY|O_NOFOLLOW) and one name, which each call below
// treats without following (lstat, unlink, rename, link, symlink, mkdir,
// readlink, lchown, lutimes and open with O_NOFOLLOW never follow the last
// component on Linux). chmod has no non-following form: it goes through an
// O_PATH|O_NOFOLLOW descriptor of the file itself, as glibc's fchmodat
// (AT_SYMLINK_NOFOLLOW) does, and a symlink is EOPNOTSUPP as there.
//
// The helpers that must spawn a host tool or bind a host socket (mkfifo(1),
// touch(1), net.Server) get a path that cannot be redirected: a private
// directory of random name and mode 0700 made here, passed to the child as
// its descriptor 3, and the result moved into place with a rename that
// follows nothing.

import * as fs from "node:fs";
import * as net from "node:net";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { kerr } from "../../lib/errors.js";
import { EEXIST, EOPNOTSUPP, EPERM, ESTALE } from "../../abi/errno.js";
// O_PATH is 010000000 on the host too (asm-generic; x86-64 and arm64 Linux
// use the generic value); Node passes numeric flags straight to open(2).
import { O_PATH } from "../../abi/fcntl.js";
import { hostObserved } from "../../kernel/running.js";

const { O_NOFOLLOW, O_DIRECTORY } = fs.constants;
export const HOST_O_PATH = O_PATH;

// Names of everything hostfs itself puts in a host directory: per-run hidden
// directories (in the mount's root) and the private directories of the
// helpers below. Never visible to, nor creatable by, the guest in the root.
export const HIDDEN_PREFIX = ".ghost-unlinked-";

/** "/proc/self/fd/<fd>", or "/proc/self/fd/<fd>/<name>" (name a kernel byte string). */
export function at(fd: number, name?: string): Buffer {
  // Every host call by path may show a change made on the host side: the
  // names hostfs trusts without asking (super.ts nameValid) are asked again.
  hostObserved();
  return hostPath(fd, name);
}

// One latin1 conversion of the whole path: the prefix is ASCII.
function hostPath(fd: number, name?: string): Buffer {
  return Buffer.from(name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`, "latin1");
}

/** A name no one can guess: 128 random bits. */
export function randomName(tag = ""): string {
  return `${HIDDEN_PREFIX}${process.pid}-${tag}${randomBytes(16).toString("hex")}`;
}

export function lstatAt(dirFd: number, name: string): fs.BigIntStats {
  return fs.lstatSync(at(dirFd, name), { bigint: true });
}

/** lstatAt for a cached name's check, which counts as an observation of the host only when it finds a change (the caller says so). */
export function checkAt(dirFd: number, name: string): fs.BigIntStats {
  return fs.lstatSync(hostPath(dirFd, name), { bigint: true });
}

export function existsAt(dirFd: number, name: string): boolean {
  try { fs.lstatSync(at(dirFd, name)); return true; } catch { return false; }
}

/** An O_PATH descriptor of `name` in dirFd itself (a symlink is not followed); ino: checked. */
export function openPath(dirFd: number, name: string, dir: boolean, ino?: number): number {
  const fd = fs.openSync(at(dirFd, name), HOST_O_PATH | O_NOFOLLOW | (dir ? O_DIRECTORY : 0));
  if (ino !== undefined && Number(fs.fstatSync(fd, { bigint: true }).ino) !== ino) {
    fs.closeSync(fd);
    kerr(ESTALE, "hostfs: the host file changed under its name");
  }
  return fd;
}

/** chmod of `name` in dirFd without following it (fchmodat AT_SYMLINK_NOFOLLOW). */
export function chmodAt(dirFd: number, name: string, mode: number, ino?: number): void {
  const fd = openPath(dirFd, name, false, ino);
  try {
    if (fs.fstatSync(fd).isSymbolicLink()) kerr(EOPNOTSUPP, "hostfs: a symlink's mode cannot change");
    fs.chmodSync(at(fd), mode);
  } finally { fs.closeSync(fd); }
}

/** Renames `from` in fromFd to `to` in toFd unless `to` exists (EEXIST): nothing is replaced or followed. */
export function moveNew(fromFd: number, from: string, toFd: number, to: string): void {
  if (existsAt(toFd, to)) kerr(EEXIST);
  fs.renameSync(at(fromFd, from), at(toFd, to));
}

// A directory of random name and mode 0700 in dirFd, held open (O_PATH);
// things are made in it under fixed names, then moved out.
interface PrivateDir { fd: number; name: string }
function privateDir(dirFd: number): PrivateDir {
  const name = randomName("t");
  fs.mkdirSync(at(dirFd, name), { mode: 0o700 });
  try { return { fd: openPath(dirFd, name, true), name }; } catch (e) {
    try { fs.rmdirSync(at(dirFd, name)); } catch { /* gone */ }
    throw e;
  }
}
function removePrivateDir(dirFd: number, p: PrivateDir): void {
  try {
    for (const n of fs.readdirSync(at(p.fd), { encoding: "buffer" })) fs.unlinkSync(at(p.fd, n.toString("latin1")));
  } catch { /* emptied already */ }
  try { fs.rmdirSync(at(dirFd, p.name)); } catch { /* gone */ }
  fs.closeSync(p.fd);
}

// Makes a special file under the name "n" in a private directory of dirFd
// (make: given that directory's descriptor), sets its mode, and moves it to
// `name`; then `after` runs, before the private directory goes.
function makeAside(dirFd: number, name: string, mode: number, make: (fd: number) => boolean, after?: () => void): void {
  if (existsAt(dirFd, name)) kerr(EEXIST);
  const p = privateDir(dirFd);
  try {
    if (!make(p.fd) || !existsAt(p.fd, "n")) kerr(EPERM, "hostfs: the host could not make the node");
    fs.chmodSync(at(p.fd, "n"), mode); // in the private directory: nothing there can be a planted link
    moveNew(p.fd, "n", dirFd, name);
  } finally {
    after?.();
    removePrivateDir(dirFd, p);
  }
}

/** A FIFO `name` in dirFd with this mode, made by the host's mkfifo(1) (Node has no mkfifo). */
export function mkfifoAt(dirFd: number, name: string, mode: number): void {
  makeAside(dirFd, name, mode, (fd) =>
    spawnSync("mkfifo", ["--", "/proc/self/fd/3/n"], { stdio: ["ignore", "ignore", "ignore", fd] }).status === 0);
}

/** A socket node `name` in dirFd: a host listener binds it, then closes (the guest's socket lives in the kernel). */
export function mksockAt(dirFd: number, name: string, mode: number): void {
  const server = net.createServer();
  server.on("error", () => { /* reported as EPERM */ });
  makeAside(dirFd, name, mode, (fd) => {
    // listen() on a path binds at once, here in the private directory.
    server.listen(`/proc/self/fd/${fd}/n`);
    return true;
  }, () => {
    // Closing unlinks the name it bound, which is in the private directory
    // (still open, so the path means the same directory): gone or moved out already.
    server.close();
    server.unref();
  });
}

/**
 * Sets times with nanoseconds through the host's touch(1) (Node passes
 * seconds as a double): `name` in dirFd without following it, or the
 * directory dirFd itself when name is undefined.
 */
export function touchNs(dirFd: number, name: string | undefined, flag: "-a" | "-m", sec: number, nsec: number): void {
  // touch(1) takes its path as a string: only names that are UTF-8 survive.
  if (name !== undefined && !Buffer.from(Buffer.from(name, "latin1").toString("utf8"), "utf8").equals(Buffer.from(name, "latin1"))) return;
  const path = name === undefined ? "/proc/self/fd/3" : `/proc/self/fd/3/${Buffer.from(name, "latin1").toString("utf8")}`;
  const args = [...(name === undefined ? [] : ["-h"]), "-c", flag, "-d", `@${sec}.${String(nsec).padStart(9, "0")}`, "--", path];
  spawnSync("touch", args, { stdio: ["ignore", "ignore", "ignore", dirFd] });
}

// The names in the host directory fd, a batch at a time (a directory of
// a million files must not hold all its names at once: hundreds of MiB);
// throws only if the directory cannot be opened. Decoded as latin1 by Node
// itself, 1,024 to a batch: every mount lists its directory twice (the
// hidden-file sweep, the metadata store), and in a directory of 5,000 files
// a Buffer per name, 32 to a batch, was ~60 ms of a `ghost run` (its cwd).
export function eachName(fd: number, fn: (name: string) => void): void {
  const dir = fs.opendirSync(at(fd), { encoding: "latin1", bufferSize: 1024 });
  try {
    for (;;) {
      let e: fs.Dirent | null;
      try { e = dir.readSync(); } catch { return; }
      if (!e) return;
      fn(e.name);
    }
  } finally { try { dir.closeSync(); } catch { /* closed */ } }
}
