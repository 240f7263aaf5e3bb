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

test("SIGKILL of ghost boot leaves the terminal as it was", { skip: noTmux }, async () => {
  const before = join(dir, "before"), pidFile = join(dir, "pid");
  // The inner sh execs Ghost, so its pid is Ghost's.
  const cmd = `stty -g > ${before}; sh -c 'echo $$ > ${pidFile}; exec ${process.execPath} ${ghost} boot'; sleep 600`;
  tmux("new-session", "-d", "-s", "r", "-x", "100", "-y", "30", "-e", "TERM=xterm", cmd);
  const tty = tmux("display-message", "-p", "-t", "r", "#{pane_tty}").trim();
  const saved = await until("the saved settings", () => (existsSync(before) && readFileSync(before, "utf8").trim()) || undefined);
  const pid = await until("Ghost's pid", () => (existsSync(pidFile) && Number(readFileSync(pidFile, "utf8"))) || undefined);
  await until("the shell's prompt", () => (/#\s*$/m.test(tmux("capture-pane", "-p", "-t", "r")) ? true : undefined));
  const now = () => spawnSync("stty", ["-g", "-F", tty], { encoding: "utf8" }).stdout.trim();
  assert.notEqual(now(), saved, "Ghost runs with the terminal in raw mode");
  process.kill(pid, "SIGKILL");
  await until("the terminal's settings to come back", () => (now() === saved ? true : undefined), 30_000);
});
