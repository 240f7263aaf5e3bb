// The npm package: `npm pack` makes a tarball that installs in a fresh
// directory with no registry (`npm install --offline`, an empty npm cache:
// the package has no runtime dependencies), carries its type declarations,
// the hart's wasm and the default root filesystem (build/rootfs.cpio), and
// runs a program through the API and through its `ghost` command; the
// README's library example runs as written.
//
//   npx tsc -p tsconfig.json && node --test dist/test/lib/pack.test.js

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot();
const skip = existsSync(join(root, "build", "rootfs.cpio")) ? false : "no build/rootfs.cpio (scripts/prepare.sh builds it)";
// npm pack builds the declarations (tsc): minutes on a loaded machine.
const SLOW = { timeout: 600_000, killSignal: "SIGKILL" as const };
const dir = mkdtempSync(join(tmpdir(), "ghost-pack-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_cache: join(dir, "npm-cache") }, ...SLOW });
}

test("npm pack gives a tarball that installs offline and runs a program", { skip }, () => {
  sh("npm", ["pack", "--silent", "--pack-destination", dir], root);
  const tarball = readdirSync(dir).find((f) => /^ghost-kernel-.*\.tgz$/.test(f));
  assert.ok(tarball, `no tarball in ${readdirSync(dir).join(" ")}`);

  const app = join(dir, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, tarball!)], app);
  const pkg = join(app, "node_modules", "ghost-kernel");
  for (const f of ["dist/hart.wasm", "build/rootfs.cpio", "dist/src/api/index.js", "dist/src/api/index.d.ts", "dist/src/api/machine.d.ts"]) {
    assert.ok(existsSync(join(pkg, f)), `${f} is in the package`);
  }
  assert.ok(!existsSync(join(pkg, "dist", "test")), "tests stay out of the package");

  // The API, from a program of the app's own.
  writeFileSync(join(app, "main.mjs"), `
    import { exec } from "ghost-kernel";
    const r = await exec(["sh", "-c", "echo hello from $(uname -s) $(uname -m); ls /bin/busybox"], { memory: "64M" });
    process.stdout.write(JSON.stringify(r));`);
  const r = spawnSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { status: 0, code: 0, signal: null, stdout: "hello from Linux riscv64\n/bin/busybox\n", stderr: "" });

  // The README's example, as written (the library section's code block).
  const example = /^## Ghost as a library[\s\S]*?^```js\n([\s\S]*?)^```/m.exec(readFileSync(join(root, "README.md"), "utf8"))?.[1];
  assert.ok(example, "the README has the library's example");
  writeFileSync(join(app, "readme.mjs"), example);
  const ex = spawnSync(process.execPath, ["readme.mjs"], { cwd: app, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  assert.equal(ex.status, 0, ex.stderr);
  for (const want of [/^kernel: <5>\[ *[\d.]+\] Linux version /m, /^started 2 sh$/m, /^from memory$/m, /^ended 2 0$/m,
    /\[ 'note\.txt' \] Linux version \S+-ghost /, /shutdown: 'poweroff'/]) {
    assert.match(ex.stdout, want);
  }

  // The command the package installs.
  const g = spawnSync(join(app, "node_modules", ".bin", "ghost"), ["run", "--mem=64M", "busybox", "echo", "from the bin"], { cwd: app, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  assert.equal(g.stdout, "from the bin\n", g.stderr);
  assert.equal(g.status, 0);

  // The declarations type-check a TypeScript user of the API.
  writeFileSync(join(app, "main.ts"), `
    import { run, boot, type ExitResult, type Machine } from "ghost-kernel";
    const m = run(["true"], { memory: "64M", clock: "virtual", files: { "/a": "x" } });
    m.stdout.on("data", (d: Buffer) => d.length);
    const r: Promise<ExitResult> = m.exited;
    const b: Machine = boot({ rows: 30, cols: 100 });
    b.terminal?.resize(40, 120);
    void r;
    // @ts-expect-error: clock is "host" or "virtual"
    run(["true"], { clock: "wall" });`);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: ["node"], typeRoots: [join(root, "node_modules", "@types")] },
    files: ["main.ts"],
  }));
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: app, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
