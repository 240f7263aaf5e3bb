// initramfs: a cpio archive in the "newc" format unpacked into a tmpfs root,
// as Linux's init/initramfs.c does at boot.

import { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK } from "./inode.js";
import { ROOT_CRED } from "./mount.js";
import type { TmpDir, TmpFile } from "./tmpfs.js";
import type { Inode } from "./inode.js";
import { makedev } from "./char_dev.js";

const MAGIC = "070701";
const HEADER = 110;

export class CpioError extends Error {}

function hex(b: Uint8Array, off: number): number {
  const s = Buffer.from(b.subarray(off, off + 8)).toString("latin1");
  if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new CpioError(`bad header field at ${off}`);
  return parseInt(s, 16);
}

const align4 = (n: number) => (n + 3) & ~3;

// Unpacks every entry; hard links (same ino, nlink > 1) become links to the first.
export function unpackCpio(root: TmpDir, archive: Uint8Array): number {
  let off = 0;
  let count = 0;
  const links = new Map<string, Inode>();
  while (off + HEADER <= archive.length) {
    if (Buffer.from(archive.subarray(off, off + 6)).toString("latin1") !== MAGIC) throw new CpioError(`bad magic at ${off}`);
    const ino = hex(archive, off + 6), mode = hex(archive, off + 14), uid = hex(archive, off + 22), gid = hex(archive, off + 30);
    const nlink = hex(archive, off + 38), mtime = hex(archive, off + 46), size = hex(archive, off + 54);
    const devmaj = hex(archive, off + 62), devmin = hex(archive, off + 70);
    const rdev = makedev(hex(archive, off + 78), hex(archive, off + 86));
    const namesize = hex(archive, off + 94);
    const nameEnd = off + HEADER + namesize;
    if (nameEnd > archive.length || namesize < 1) throw new CpioError("truncated name");
    const name = Buffer.from(archive.subarray(off + HEADER, nameEnd - 1)).toString("latin1");
    const dataOff = align4(nameEnd);
    if (dataOff + size > archive.length) throw new CpioError(`truncated data for ${name}`);
    const data = archive.subarray(dataOff, dataOff + size);
    off = align4(dataOff + size);
    if (name === "TRAILER!!!") break;
    const parts = name.split("/").filter((p) => p && p !== ".");
    if (!parts.length) continue;
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      const next = dir.lookup(p) ?? dir.mkdir(p, S_IFDIR | 0o755, ROOT_CRED);
      dir = next as TmpDir;
    }
    const leaf = parts[parts.length - 1];
    if (dir.lookup(leaf) && (mode & S_IFMT) !== S_IFDIR) dir.unlink(leaf);
    let made: Inode;
    const key = `${devmaj}:${devmin}:${ino}`;
    switch (mode & S_IFMT) {
      case S_IFDIR: made = dir.lookup(leaf) ?? dir.mkdir(leaf, mode, ROOT_CRED); break;
      case S_IFLNK: made = dir.symlink(leaf, Buffer.from(data).toString("latin1"), ROOT_CRED); break;
      case S_IFREG: {
        const prior = nlink > 1 ? links.get(key) : undefined;
        if (prior) { dir.link(leaf, prior); made = prior; }
        else {
          made = dir.create(leaf, mode, ROOT_CRED);
          // Copied out of the archive when first used (tmpfs.ts).
          (made as TmpFile).setLazyContents(data.length, (at, dst) => {
            const part = data.subarray(at, at + dst.length);
            dst.set(part);
            return part.length;
          });
          if (nlink > 1) links.set(key, made);
        }
        break;
      }
      default: made = dir.mknod(leaf, mode, rdev, ROOT_CRED); break;
    }
    made.mode = mode;
    made.uid = uid;
    made.gid = gid;
    made.mtime = { sec: mtime, nsec: 0 };
    count++;
  }
  return count;
}
