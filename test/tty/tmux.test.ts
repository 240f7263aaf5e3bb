// The booted system in a real terminal: tmux runs `ghost boot` and the test
// types into it (send-keys) and reads the screen (capture-pane). Checks: a
// pipeline, ^C on a foreground job, job control (jobs, fg, ^Z, bg, kill %1),
// vi, top, terminal resizes, script(1) on a pseudo-terminal, and `exit`
// powering the machine off. Plus `ghost boot -c CMD` without a terminal.
//
//   npx tsc -p tsconfig.json && node --test dist/test/tty/tmux.test.js
//
// Skipped, saying so, when tmux is not installed (scripts/setup.sh installs it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/tty");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const noTmux = spawnSync("tmux", ["-V"]).status === 0 ? false : "tmux is not installed (scripts/setup.sh installs it)";
const sock = `ghost-test-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", sock, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const screen = () => tmux("capture-pane", "-p", "-t", "g");
const keys = (...k: string[]) => { tmux("send-keys", "-t", "g", ...k); };
const line = (s: string) => { keys("-l", s); keys("Enter"); };

// Waits until the screen matches; returns it.
async function waitFor(re: RegExp, what: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  let s = "";
  while (Date.now() < end) {
    s = screen();
    if (re.test(s)) return s;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (${re}); the screen:\n${s}`);
}

const PROMPT = /root@ghost:[^\n]*#\s*$/m;
let marks = 0;
// Runs a command line and waits for it to finish (a marker echoed after it).
async function run(cmd: string, ms = 20_000): Promise<string> {
  const mark = `done-${++marks}`;
  line(`clear; ${cmd}; echo ${mark}`);
  const s = await waitFor(new RegExp(`^${mark}$`, "m"), `'${cmd}'`, ms);
  await settle();
  return s.slice(0, s.search(new RegExp(`^${mark}$`, "m")));
}

// Waits for the shell's next prompt and lets the terminal answer what the
// shell asked it: busybox's line editor sends a cursor position query (ESC[6n)
// after each prompt, and a reply that comes in after the next command line
// was typed goes to that command instead (as on any terminal).
async function settle(): Promise<void> {
  await waitFor(PROMPT, "the prompt");
  await sleep(300);
}

describe("ghost boot in a terminal (tmux)", { skip: noTmux }, () => {
  let hasScript = false;

  before(async () => {
    const mk = spawnSync("bash", [join(root, "test", "tty", "mkroot.sh")], { encoding: "utf8" });
    assert.equal(mk.status, 0, mk.stderr);
    const rootfs = mk.stdout.trim();
    hasScript = existsSync(join(rootfs, "usr", "bin", "script"));
    const cmd = `${process.execPath} ${ghost} boot --root ${rootfs}; echo "[ghost exited $?]"; sleep 600`;
    tmux("new-session", "-d", "-s", "g", "-x", "100", "-y", "30", "-e", "TERM=xterm", cmd);
    await waitFor(PROMPT, "the shell's prompt", 60_000);
    await settle();
  });

  after(() => { try { tmux("kill-server"); } catch { /* already gone */ } });

  test("a pipeline runs", async () => {
    const out = await run("seq 1 100 | grep 7 | wc -l");
    assert.match(out, /^19$/m);
  });

  test("^C interrupts a foreground sleep and the shell lives", async () => {
    line("clear; sleep 100");
    await sleep(800);
    keys("C-c");
    await waitFor(/\^C/, "the ^C echo");
    line("echo alive $?");
    await waitFor(/^alive 130$/m, "the shell, with sleep's status 130 (SIGINT)");
  });

  test("^C interrupts a loop that never sleeps (the only runnable task)", async () => {
    await settle();
    line("clear; echo spinning; while :; do :; done");
    await waitFor(/^spinning$/m, "the loop to start");
    await sleep(500);
    keys("C-c");
    await waitFor(/\^C/, "the ^C echo");
    await settle();
    line("echo alive");
    await waitFor(/^alive$/m, "the shell after ^C");
  });

  test("job control: jobs, fg, ^Z, bg, kill %1", async () => {
    line("clear; sleep 200 &");
    await waitFor(PROMPT, "the prompt after starting a background job");
    await sleep(300); // see settle()
    assert.match(await run("jobs"), /\[1\]\+\s+Running\s+sleep 200/);
    line("clear; fg");
    await waitFor(/^sleep 200$/m, "fg to show the job");
    await sleep(500);
    keys("C-z");
    await waitFor(/Stopped\s+sleep 200/, "^Z to stop the job");
    await waitFor(PROMPT, "the prompt after ^Z");
    await sleep(300); // see settle()
    assert.match(await run("jobs"), /\[1\]\+\s+Stopped\s+sleep 200/);
    await run("bg");
    assert.match(await run("jobs"), /\[1\]\+\s+Running\s+sleep 200/);
    line("clear; kill %1; sleep 1; jobs");
    await waitFor(/\[1\]\+\s+Terminated\s+sleep 200/, "the job to be reported terminated");
    assert.equal(await run("jobs"), "");
  });

  test("vi edits and saves a file", async () => {
    line("clear; vi /tmp/note");
    await waitFor(/^~/m, "vi's empty buffer");
    // Each key waits for vi to show it took the last one: an ESC that reaches
    // vi together with the next key would be read as an escape sequence.
    keys("i");
    await waitFor(/^I \/tmp\/note/m, "insert mode");
    keys("-l", "written in vi");
    await waitFor(/^written in vi$/m, "the text");
    keys("Escape");
    await waitFor(/^- \/tmp\/note/m, "command mode");
    keys("-l", ":wq");
    keys("Enter");
    await waitFor(PROMPT, "the prompt after :wq");
    await sleep(300); // see settle()
    assert.match(await run("cat /tmp/note"), /^written in vi$/m);
  });

  test("top draws and quits on q", async () => {
    line("clear; top");
    const s = await waitFor(/PID\s+PPID\s+USER[^]*\btop$/m, "top's process list, top itself in it");
    assert.match(s, /^Mem: /m);
    keys("q");
    await waitFor(PROMPT, "the prompt after q");
    await sleep(300); // see settle()
    assert.match(await run("echo back"), /^back$/m);
  });

  test("resizing the terminal changes stty size", async () => {
    assert.match(await run("stty size"), /^30 100$/m);
    tmux("resize-window", "-t", "g", "-x", "120", "-y", "40");
    await sleep(300);
    assert.match(await run("stty size"), /^40 120$/m);
    tmux("resize-window", "-t", "g", "-x", "100", "-y", "30");
    await sleep(300);
    assert.match(await run("stty size"), /^30 100$/m);
  });

  test("script -c tty /dev/null prints a /dev/pts/N path", async (t) => {
    if (!hasScript) { t.skip("util-linux script(1) could not be fetched (Debian bsdutils)"); return; }
    const out = await run("script -c 'tty' /dev/null");
    assert.match(out, /^\/dev\/pts\/\d+\s*$/m);
  });

  test("exit powers Ghost off, and it exits 0", async () => {
    line("exit");
    await waitFor(/\[ghost exited 0\]/, "Ghost to power off", 30_000);
  });
});

describe("ghost boot -c (no terminal)", () => {
  test("runs one command in the booted system and exits with its status", () => {
    const r = spawnSync(process.execPath, [ghost, "boot", "-c", "grep -c devpts /proc/mounts; echo out; echo err >&2; exit 3"], {
      encoding: "utf8", input: "", timeout: 60_000, killSignal: "SIGKILL",
    });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, "1\nout\n");
    assert.equal(r.stderr, "err\n");
  });

  test("reads its standard input as a pipe", () => {
    const dir = mkdtempSync(join(tmpdir(), "ghost-boot-"));
    try {
      const r = spawnSync(process.execPath, [ghost, "boot", "-c", "tr a-z A-Z; test -t 0 || echo not-a-tty"], {
        encoding: "utf8", input: "piped text\n", timeout: 60_000, killSignal: "SIGKILL", cwd: dir,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "PIPED TEXT\nnot-a-tty\n");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
