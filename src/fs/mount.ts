// Building the mount tree: a root filesystem, then filesystems mounted on
// directories of it (created as needed by the boot code).

import { Dentry, Mount, attachMount, type Path } from "./dentry.js";
import { CAP_FULL, type Inode, type TaskCred } from "./inode.js";
import { Walker, type FsContext } from "./namei.js";
import { S_IFDIR } from "./inode.js";

export const ROOT_CRED: TaskCred =
  { uid: 0, gid: 0, euid: 0, egid: 0, suid: 0, sgid: 0, fsuid: 0, fsgid: 0, groups: [], capEff: CAP_FULL, capPrm: CAP_FULL, capInh: 0n };

export function makeRootMount(root: Inode, source: string, fsType: string): Mount {
  return new Mount(root.sb, new Dentry("/", null, root), null, null, 0, source, fsType);
}

export function rootPath(m: Mount): Path { return { mnt: m, dentry: m.root }; }

// Resolves a directory path, creating missing directories (boot-time only).
export function mkdirs(fs: FsContext, path: string): Path {
  const w = new Walker(fs, ROOT_CRED);
  let cur = fs.root;
  for (const name of path.split("/").filter(Boolean)) {
    let next = w.step(cur, name);
    if (!next) {
      cur.dentry.inode.mkdir(name, S_IFDIR | 0o755, ROOT_CRED);
      next = w.step(cur, name)!;
    }
    cur = next;
  }
  return cur;
}

export function mountAt(fs: FsContext, path: string, root: Inode, flags: number, source: string, fsType: string): Mount {
  const where = mkdirs(fs, path);
  const m = new Mount(root.sb, new Dentry(where.dentry.name, null, root), null, null, flags, source, fsType);
  attachMount(where, m);
  return m;
}
