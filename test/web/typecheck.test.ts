// The browser's sources (web/) type-check against the kernel they bundle:
// esbuild strips types without checking them, so without this a change to the
// library's API would reach the page unnoticed (a BootHost.loadRoot that
// returned `false` after the interface moved to `RootFs | null` did).
//
//   npx tsc -p tsconfig.json && node --test dist/test/web/typecheck.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("web/worker.ts");

test("web/ type-checks (tsc -p tsconfig.web.json)", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.web.json")], {
    cwd: root, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL",
  });
  assert.equal(r.error, undefined, `tsc could not run: ${r.error?.message}`);
  assert.equal(r.status, 0, `type errors in web/:\n${r.stdout}${r.stderr}`);
});
