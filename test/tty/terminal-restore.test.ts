// The host terminal is given back as it was on every way out of `ghost boot`,
// SIGKILL included (no handler runs then: a guardian process restores it).
// tmux gives Ghost a real terminal; the test reads that terminal's settings
// with stty before Ghost starts and after it was killed.
//
//   npx tsc -p tsconfig.json && node --test dist/test/tty/terminal-restore.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/tty");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const noTmux = spawnSync("tmux", ["-V"]).status === 0 ? false : "tmux is not installed (scripts/setup.sh installs it)";
const sock = `ghost-restore-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), "ghost-restore-"));

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", sock, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, get: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

after(() => { try { tmux("kill-server"); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); });

// How Ghost starts: `node main.js boot` (Node starts its own guardian) and
// the `ghost` command (main.cjs as a program: its shell lines save the
// settings and leave the guardian behind, scripts/build.mjs).
const starts: [string, string][] = [
  ["node main.js boot", `${process.execPath} ${ghost} boot`],
  ["the ghost command", `${join(root, "dist", "src", "cli", "main.cjs")} boot`],
];

let session = 0;
// Starts Ghost in a new tmux session; resolves once its shell's prompt shows.
// `then` runs in the terminal after Ghost's exit.
async function bootInTmux(start: string, then = ""): Promise<{ name: string; saved: string; pid: number; now(): string }> {
  const name = `r${session++}`;
  const before = join(dir, `${name}.before`), pidFile = join(dir, `${name}.pid`);
  // The inner sh execs Ghost, so its pid is Ghost's.
  const cmd = `stty -g > ${before}; sh -c 'echo $$ > ${pidFile}; exec ${start}'; ${then} sleep 600`;
  tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-e", "TERM=xterm", cmd);
  const tty = tmux("display-message", "-p", "-t", name, "#{pane_tty}").trim();
  const saved = await until("the saved settings", () => (existsSync(before) && readFileSync(before, "utf8").trim()) || undefined);
  const pid = await until("Ghost's pid", () => (existsSync(pidFile) && Number(readFileSync(pidFile, "utf8"))) || undefined);
  await until("the shell's prompt", () => (/#\s*$/m.test(tmux("capture-pane", "-p", "-t", name)) ? true : undefined));
  const now = () => spawnSync("stty", ["-g", "-F", tty], { encoding: "utf8" }).stdout.trim();
  return { name, saved, pid, now };
}

for (const [how, start] of starts) {
  test(`SIGKILL of ghost boot leaves the terminal as it was (${how})`, { skip: noTmux }, async () => {
    const g = await bootInTmux(start);
    // Raw mode may follow the prompt (the guardian's report comes when it comes).
    await until("raw mode", () => (g.now() !== g.saved ? true : undefined));
    process.kill(g.pid, "SIGKILL");
    await until("the terminal's settings to come back", () => (g.now() === g.saved ? true : undefined), 30_000);
  });

  test(`a normal exit gives the terminal back and leaves nothing to undo the next program's settings (${how})`, { skip: noTmux }, async () => {
    // The next program changes the settings as soon as Ghost is gone; no guardian may put them back.
    const given = join(dir, `given${session}`), changed = join(dir, `changed${session}`);
    const g = await bootInTmux(start, `stty -g > ${given}; stty -echo; stty -g > ${changed};`);
    await until("raw mode", () => (g.now() !== g.saved ? true : undefined));
    tmux("send-keys", "-t", g.name, "poweroff -f", "Enter");
    const after = await until("Ghost's exit", () => (existsSync(changed) && readFileSync(changed, "utf8").trim()) || undefined);
    assert.equal(readFileSync(given, "utf8").trim(), g.saved);
    assert.notEqual(after, g.saved);
    await sleep(600); // longer than the guardian's polling (0.1 s)
    assert.equal(g.now(), after);
  });
}
