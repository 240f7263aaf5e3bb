// The repository root, for tests that reach files outside dist/ (sources,
// scripts, built programs).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The nearest folder above this file (dist/test/helpers/ once compiled) that
 * holds package.json and every one of `markers` (paths from the root, such as
 * "userland/proc"): naming what the caller needs makes a missing piece fail
 * here, with the marker in the message.
 */
export function findRoot(...markers: string[]): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (;;) {
    if (["package.json", ...markers].every((m) => existsSync(join(dir, m)))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root (with ${["package.json", ...markers].join(", ")}) above ${here}`);
    dir = up;
  }
}
