// --disk=FILE[:ro] of `ghost run` and `ghost boot`.

import * as nodefs from "node:fs";
import { resolve } from "node:path";
import type { HostDisk } from "../boot/boot.js";

// FILE, or FILE:ro for a read-only disk.
export function parseDisk(v: string): HostDisk {
  const ro = v.endsWith(":ro");
  const path = resolve(ro ? v.slice(0, -3) : v);
  if (!nodefs.existsSync(path) || !nodefs.statSync(path).isFile()) throw new Error(`--disk: ${path}: no such file`);
  return { path, readOnly: ro };
}
