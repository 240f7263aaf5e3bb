// The `ghost` command as users start it (package.json's bin: main.cjs run as
// a program, through its first lines for /bin/sh, scripts/build.mjs). Node
// 20 parses the file NODE_EXTRA_CA_CERTS names before any JavaScript runs
// (~55 ms of CPU of every start on a host that sets it); the command's
// shell lines keep it from Node, and main.ts gives it back, so that the
// guest's environment is what the user set. What shows it: Node warns on
// stderr about a certificate file it cannot load; the command does not
// parse it, so it does not warn, and the guest still sees the variable.
//
//   node scripts/build.mjs && node --test dist/test/cli/launcher.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cli = join(root, "dist", "src", "cli", "main.cjs");
const skip = !existsSync(cli) ? "no dist/src/cli/main.cjs (node scripts/build.mjs)" : !existsSync(join(root, "build", "rootfs", "bin")) ? "no build/rootfs" : false;

const env = (set: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(process.execPath, "..")}:${process.env.PATH ?? ""}` };
  delete e.NODE_EXTRA_CA_CERTS;
  delete e.GHOST_NODE_EXTRA_CA_CERTS;
  for (const [k, v] of Object.entries(set)) if (v !== undefined) e[k] = v;
  return e;
};

// `command run ARGS` started as a program (no `node` in front).
function ghost(command: string, args: string[], set: Record<string, string | undefined>) {
  const r = spawnSync(command, ["run", ...args], { cwd: root, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: env(set) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const missing = "/nonexistent/ghost-test-ca-certs.pem";
const printEnv = ["/bin/sh", "-c", "env | grep -E '^(GHOST_)?NODE_EXTRA_CA_CERTS=' | sort; exit 3"];

test("the ghost command keeps NODE_EXTRA_CA_CERTS from Node's start and gives it to the guest", { skip, timeout: 200_000 }, () => {
  const r = ghost(cli, printEnv, { NODE_EXTRA_CA_CERTS: missing });
  assert.equal(r.status, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /extra certs/i, "Node did not parse the certificate file");
  assert.equal(r.stdout, `NODE_EXTRA_CA_CERTS=${missing}\n`);
});

test("a value with spaces, quotes and dollars, an empty value, and none, all reach the guest as set", { skip, timeout: 200_000 }, () => {
  const odd = `/tmp/a b/'c' "d" $HOME;x`;
  assert.equal(ghost(cli, printEnv, { NODE_EXTRA_CA_CERTS: odd }).stdout, `NODE_EXTRA_CA_CERTS=${odd}\n`);
  assert.equal(ghost(cli, printEnv, { NODE_EXTRA_CA_CERTS: "" }).stdout, "NODE_EXTRA_CA_CERTS=\n");
  assert.equal(ghost(cli, printEnv, {}).stdout, "");
});

test("through a symbolic link (npm's bin), arguments and the exit status pass unchanged", { skip, timeout: 200_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost launcher "));
  try {
    const link = join(dir, "ghost");
    symlinkSync(cli, link);
    const r = ghost(link, ["/bin/sh", "-c", 'printf "[%s]" "$0" "$@"; exit 42', "a b", "", "c$d", "*"], { NODE_EXTRA_CA_CERTS: missing });
    assert.equal(r.stdout, "[a b][][c$d][*]");
    assert.equal(r.status, 42);
    assert.doesNotMatch(r.stderr, /extra certs/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
