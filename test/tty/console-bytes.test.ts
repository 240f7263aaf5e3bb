// The bytes a user's terminal receives from `ghost boot` are the guest's, the
// same whichever way Ghost was started: through the `ghost` command (raw mode
// at once, the host's ONLCR still on: the console undoes the guest's CR LF,
// and turns output processing off when a program writes a bare LF) or as
// `node main.cjs boot` (its guardian turns it off before). script(1) gives
// Ghost a pseudo-terminal and records what comes out of it.
//
//   npx tsc -p tsconfig.json && node --test dist/test/tty/console-bytes.test.js
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/tty");
const cjs = join(root, "dist", "src", "cli", "main.cjs");
const noScript = spawnSync("script", ["--version"]).status === 0 ? false : "script(1) (util-linux) is not installed";
const PROMPT = /root@ghost:[^\r\n]*# (\x1b\[6n)?$/;

// Boots, waits for the prompt, runs `line`, waits for the next prompt, powers off.
function session(command: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, TERM: "xterm" } });
    let out = "", step = 0;
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`timed out; output: ${JSON.stringify(out)}`)); }, 120_000);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("latin1");
      if (!PROMPT.test(out)) return;
      if (step === 0) { step = 1; child.stdin.write(line + "\n"); }
      else if (step === 1 && out.includes("done")) { step = 2; child.stdin.write("poweroff -f\n"); }
    });
    child.on("close", () => { clearTimeout(timer); resolve(out); });
  });
}

test("the terminal shows the guest's bytes exactly, bare LFs included, with either start", { skip: noScript }, async () => {
  const line = "stty -opost; printf 'a\\nb\\n'; stty opost; echo done";
  const byCommand = await session(`${cjs} boot`, line);
  const byNode = await session(`${process.execPath} ${cjs} boot`, line);
  for (const out of [byCommand, byNode]) {
    assert.match(out, /^\r\n\r\nBusyBox v[^\r\n]*\r\nEnter 'help'/);
    assert.ok(!out.includes("\r\r"), JSON.stringify(out));
    assert.ok(out.includes("echo done\r\na\nb\ndone\r\nroot@ghost"), JSON.stringify(out));
  }
  assert.equal(byCommand, byNode);
});
