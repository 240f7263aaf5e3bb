// `ghost run` and the host: a task that never sleeps must not keep the host's
// event loop from running (stdin, signals sent to Ghost), and signals sent to
// Ghost's process reach the guest as qemu-user delivers them (the guest's
// handlers and SIG_IGN are honoured; Ghost exits when the guest does).
//
//   npx tsc -p tsconfig.json && node --test dist/test/cli/host-signals.test.js
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cli = join(root, "dist", "src", "cli", "main.js");

interface Outcome { stdout: string; code: number | null; signal: NodeJS.Signals | null }

// Runs `sh -c script` under Ghost; once the guest has printed `ready`, act(child).
function run(script: string, act: (c: ReturnType<typeof spawn>) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, "run", "busybox", "sh", "-c", script], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let acted = false;
    c.stdout!.on("data", (d) => {
      stdout += d;
      if (!acted && stdout.includes("ready\n")) { acted = true; act(c); }
    });
    c.stderr!.resume();
    // Generous: a loaded 2-core machine; every case ends on its own long before.
    const watchdog = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("exit", (code, signal) => { clearTimeout(watchdog); resolve({ stdout, code, signal }); });
  });
}

const SPIN = "while :; do :; done";

test("stdin reaches a reader while another task spins", async () => {
  // The spinner makes no syscalls: it is the only runnable task, so nothing
  // but host time can end its slice.
  const r = await run(`(while :; do :; done) & echo ready; read x; echo "got $x"; kill $!`, (c) => c.stdin!.write("hello\n"));
  assert.equal(r.stdout, "ready\ngot hello\n");
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}`);
});

test("SIGINT to ghost run reaches the guest's handler while it spins", async () => {
  const r = await run(`trap "echo caught; exit 3" INT; echo ready; ${SPIN}`, (c) => c.kill("SIGINT"));
  assert.equal(r.stdout, "ready\ncaught\n");
  assert.equal(r.code, 3);
});

test("SIGINT ignored by the guest does not end Ghost", async () => {
  const r = await run(`trap "" INT; echo ready; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo survived`, (c) => c.kill("SIGINT"));
  assert.equal(r.stdout, "ready\nsurvived\n");
  assert.equal(r.code, 0);
});

test("SIGTERM to ghost run kills a guest without a handler: status 128+15", async () => {
  const r = await run(`echo ready; while :; do :; done`, (c) => c.kill("SIGTERM"));
  assert.equal(r.stdout, "ready\n");
  assert.equal(r.code, 143);
});
