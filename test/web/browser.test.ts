// Ghost in a real browser: `npm run web`'s site (scripts/web.mjs), served
// here on a free port, driven in Debian's Chromium through playwright-core.
// The page boots the default system in a Web Worker on xterm.js; the shell
// answers uname and a pipeline, Ctrl-C stops sleep (and with ISIG off is a
// character), a resize of the window reaches `stty size`, vi saves a file,
// an uploaded file is in the guest's home, a guest file downloads, a file
// written before a reload is there after it (IndexedDB), as is one written
// just before the guest powers off, the page is hidden or another root
// replaces the machine; the page boots again with the network cut off (its
// service worker's cache); Ctrl+Shift+C copies a selection and Ctrl+Shift+V
// pastes; "Reset home" forgets the home. Without a relay the guest has lo
// only; with ?relay= (the WebSocket relay of scripts/ws-relay.mjs,
// src/api/relay.ts) busybox wget in the page fetches a file from an HTTP
// server on the host's loopback; ?root= boots an ext4 image and ?run= runs
// one command on the terminal, its exit status the machine's; an ext4 image
// chosen with "Boot a root…" and a cpio archive dropped on the page boot
// from the page's memory (the server is asked for neither). GHOST_WEB_BENCH=1
// also measures the CPU speed of a benchmark in Chromium against Node
// (printed, not asserted).
//
//   npx tsc -p tsconfig.json && node --test dist/test/web/browser.test.js

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { findRoot } from "../helpers/root.js";
import { run as run_ } from "../../src/api/index.js";
import { startRelay } from "../../src/api/relay.js";

const root = findRoot();
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) ? `no ${CHROMIUM} (scripts/setup.sh installs it)`
  : !existsSync(join(root, "build", "rootfs.cpio")) ? "no build/rootfs.cpio (scripts/prepare.sh builds it)" : false;
// Generous: CI is a loaded 2-core machine. Only a hang reaches these.
const WAIT = 120_000;

let server: Server | null = null;
let browser: Browser | null = null;
let page: Page;
let base = "";
const tmp = mkdtempSync(join(tmpdir(), "ghost-web-"));
// An ext4 image of the default root with a marker file, served beside the site.
const IMAGE_PATH = "/test-root.ext4";
const MARKER = "from the ext4 image";
const CPIO_MARKER = "from the dropped cpio archive";
let cpioBytes: Buffer;

function makeImage(): Buffer {
  const dir = join(tmp, "root");
  cpSync(join(root, "build", "rootfs"), dir, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(dir, "etc", "marker"), MARKER + "\n");
  const img = join(tmp, "root.ext4");
  const r = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", dir, img, "16M"], { encoding: "utf8", timeout: WAIT, killSignal: "SIGKILL", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(img);
}

// A cpio (newc) archive of the same tree with another marker (after makeImage).
function makeCpio(): Buffer {
  const dir = join(tmp, "root");
  writeFileSync(join(dir, "etc", "marker"), CPIO_MARKER + "\n");
  const r = spawnSync("sh", ["-c", "find . | LC_ALL=C sort | cpio --quiet -o -H newc"], { cwd: dir, timeout: WAIT, killSignal: "SIGKILL", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

interface GhostPage { ghost: { promptMs: number; saves: number; flushes: number; viewport(): string[]; selection(): string; net: string | null; root: string | null; exited: { status: number; shutdown: string | null } | null; ps(): Promise<{ command: string; pgrp: number; tpgid: number }[]>; screen(): string; type(s: string): void; rows(): number; cols(): number } }

before(async () => {
  if (skip) return;
  const web = await import(pathToFileURL(join(root, "scripts", "web.mjs")).href) as { buildWeb(): Promise<string>; serve(dir: string, port: number, extra?: Record<string, Uint8Array>): Promise<Server> };
  const image = makeImage();
  cpioBytes = makeCpio();
  server = await web.serve(await web.buildWeb(), 0, { [IMAGE_PATH]: image });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: WAIT });
  page = await browser.newPage({ viewport: { width: 900, height: 600 }, acceptDownloads: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const screen = () => page.evaluate(() => (window as unknown as GhostPage).ghost.screen());
const type = (s: string) => page.evaluate((s) => (window as unknown as GhostPage).ghost.type(s), s);

// Waits until the screen matches re; the message shows the screen.
async function waitScreen(re: RegExp, what: string): Promise<void> {
  try {
    await page.waitForFunction((src) => new RegExp(src[0], src[1]).test((window as unknown as GhostPage).ghost.screen()), [re.source, re.flags], { timeout: WAIT, polling: 50 });
  } catch {
    assert.fail(`timed out waiting for ${what} (${re}); the screen:\n${await screen()}`);
  }
}

// Runs a command line and waits for the marker it echoes after.
let seq = 0;
async function run(cmd: string): Promise<string> {
  const mark = `done-${++seq}`;
  await type(`${cmd}; echo ${mark.replace("-", "''-")}\r`);
  await waitScreen(new RegExp(`^${mark}$`, "m"), cmd);
  const s = await screen();
  const start = s.lastIndexOf(cmd);
  return s.slice(s.indexOf("\n", start) + 1, s.lastIndexOf(mark)).trimEnd();
}

// Polls check (run in Node, each call may evaluate in the page) until it
// holds. Not page.waitForFunction: its predicate's value is taken as it is,
// and a promise (an async predicate's) is truthy at once, so an async wait
// there never waits — which is how session 6's Ctrl-C subtest came to press
// Ctrl-C before the shell had read its line (the Ctrl-C subtest below).
async function poll(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + WAIT;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; the screen:\n${await screen()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Waits until a process named command is the terminal's foreground job (its
// /proc/PID/stat, read by the worker: its group is the tty's).
async function waitForeground(command: string): Promise<void> {
  await poll(`${command} in the foreground`, async () =>
    (await page.evaluate(() => (window as unknown as GhostPage).ghost.ps())).some((p) => p.command === command && p.pgrp === p.tpgid));
}

async function boot(query = ""): Promise<number> {
  await page.goto(base + query);
  await page.waitForFunction(() => (window as unknown as GhostPage).ghost?.promptMs > 0, null, { timeout: WAIT, polling: 50 });
  return page.evaluate(() => (window as unknown as GhostPage).ghost.promptMs);
}

test("Ghost in Chromium: a shell on xterm.js, files in and out, a home that persists", { skip }, async (t) => {
  const startMs = await boot();
  t.diagnostic(`navigation to prompt: ${startMs.toFixed(0)} ms`);

  await t.test("without a relay the guest has lo only", async () => {
    assert.equal(await run("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"), "lo");
  });

  await t.test("uname and a pipeline", async () => {
    assert.match(await run("uname -a"), /^Linux ghost \S+ .*Ghost riscv64/);
    assert.equal(await run("echo one two three | tr ' ' '\\n' | sort | head -2 | wc -l"), "2");
  });

  // Ctrl-C once sleep is the terminal's foreground job, and not before:
  // busybox's line editor reads the command line with ISIG off
  // (libbb/lineedit.c), so a ^C that reaches the tty before the shell has
  // read its line and put its modes back is a character for the next prompt,
  // not a signal (the next subtest). Session 6's version meant to wait for
  // this but its wait returned at once (poll above), so at times the ^C came
  // too early and was read only after sleep had ended: its todo. sleep 1000
  // outlasts WAIT: the prompt is back in time only if the ^C, a message
  // reaching the worker while its kernel idles on sleep's timer, signals the
  // sleeper and wakes it.
  await t.test("Ctrl-C stops sleep", async () => {
    await type("sleep 1000; echo slept-$?\r");
    await waitForeground("sleep");
    await type("\x03");
    assert.equal(await run("echo rc=$?"), "rc=130");
    assert.doesNotMatch(await screen(), /^slept-/m);
  });

  // The mechanism behind that race, made deterministic: with ISIG off (here
  // by stty, there by the line editor) the tty keeps ^C as a character; sleep
  // runs to its end and the shell's next prompt reads the ^C (as Linux's
  // n_tty: INTR is special only under ISIG).
  await t.test("with ISIG off a ^C is a character, read at the next prompt", async () => {
    await type("stty -isig; sleep 1; stty isig; echo slept''-$?\r");
    await waitForeground("sleep");
    await type("\x03");
    // (the tty echoes the ^C at once, before sleep's end is written after it)
    await waitScreen(/slept-0$/m, "sleep's end");
    assert.equal(await run("echo rc=$?"), "rc=130");
    assert.match(await screen(), /slept-0\n\S+# \^C$/m);
  });

  await t.test("a resize of the window reaches stty size", async () => {
    const before = await run("stty size");
    await page.setViewportSize({ width: 640, height: 400 });
    await page.waitForFunction((b) => {
      const g = (window as unknown as GhostPage).ghost;
      return `${g.rows()} ${g.cols()}` !== b;
    }, before, { timeout: WAIT });
    const want = await page.evaluate(() => { const g = (window as unknown as GhostPage).ghost; return `${g.rows()} ${g.cols()}`; });
    assert.notEqual(want, before);
    assert.equal(await run("stty size"), want);
  });

  await t.test("vi opens and saves a file", async () => {
    await type("vi /root/vi.txt\r");
    await waitScreen(/^~/m, "vi's empty buffer");
    await type("ihello from vi");
    await waitScreen(/^hello from vi/m, "the typed text");
    await type("\x1b");
    // Out of insert mode: the status line's mode mark turns from I to -.
    await waitScreen(/^- \/root\/vi\.txt/m, "command mode");
    await type(":wq\r");
    assert.equal(await run("cat /root/vi.txt"), "hello from vi");
  });

  await t.test("an uploaded file is in the guest's home", async () => {
    await page.setInputFiles("#upload", { name: "up.txt", mimeType: "text/plain", buffer: Buffer.from("uploaded bytes\n") });
    let out = "";
    for (let i = 0; i < 50 && out !== "uploaded bytes"; i++) out = await run("cat /root/up.txt 2>&1");
    assert.equal(out, "uploaded bytes");
  });

  await t.test("a guest file downloads", async () => {
    await run("echo guest content > /root/down.txt");
    page.once("dialog", (d) => void d.accept("/root/down.txt"));
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: WAIT }), page.click("#download")]);
    const file = join(tmp, "down.txt");
    await download.saveAs(file);
    assert.equal(readFileSync(file, "utf8"), "guest content\n");
  });

  await t.test("a file written before a reload is there after it", async () => {
    await run("echo kept across reloads > /root/keep.txt");
    const saves = await page.evaluate(() => (window as unknown as GhostPage).ghost.saves);
    // Saved every 2 s when the home changed: wait for two saves after the write.
    await page.waitForFunction((n) => (window as unknown as GhostPage).ghost.saves >= n + 2, saves, { timeout: WAIT });
    await boot();
    assert.equal(await run("cat /root/keep.txt /root/vi.txt"), "kept across reloads\nhello from vi");
  });

  await t.test("the home is saved as the guest powers off", async () => {
    // Written a moment before the power-off: the 2 s saves would miss it.
    await type("echo saved at power-off > /root/off.txt && poweroff -f\r");
    await page.waitForFunction(() => (window as unknown as GhostPage).ghost.exited !== null, null, { timeout: WAIT, polling: 50 });
    await boot();
    assert.equal(await run("cat /root/off.txt"), "saved at power-off");
  });

  await t.test("the page works offline once loaded (service worker)", async () => {
    await page.waitForFunction(() => (window as unknown as { ghost: { offlineReady: boolean } }).ghost.offlineReady && navigator.serviceWorker.controller !== null, null, { timeout: WAIT });
    await page.context().setOffline(true);
    try {
      await boot();
      assert.equal(await run("echo offline-$((6*7))"), "offline-42");
    } finally {
      await page.context().setOffline(false);
    }
  });

  await t.test("copy and paste: Ctrl+Shift+C copies the selected screen text, Ctrl+Shift+V types the clipboard into the guest", async () => {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await page.evaluate(() => navigator.clipboard.writeText("nothing copied yet"));
    await run("echo copy''-me-$((6*7))");
    // Where the line is on view, and a cell's size: a double click there selects the word.
    const at = await page.evaluate(() => {
      const g = (window as unknown as GhostPage).ghost;
      const box = document.querySelector(".xterm-screen")!.getBoundingClientRect();
      return { row: g.viewport().lastIndexOf("copy-me-42"), x: box.left, y: box.top, w: box.width / g.cols(), h: box.height / g.rows() };
    });
    assert.ok(at.row >= 0, "the line is on view");
    await page.mouse.dblclick(at.x + 2.5 * at.w, at.y + (at.row + 0.5) * at.h);
    assert.equal(await page.evaluate(() => (window as unknown as GhostPage).ghost.selection()), "copy-me-42");
    await page.keyboard.press("Control+Shift+C");
    await poll("the copied text", async () => (await page.evaluate(() => navigator.clipboard.readText())) === "copy-me-42");
    // The browser's paste (a paste event) reaches the guest as typed input.
    await page.evaluate(() => navigator.clipboard.writeText("echo pasted''-$((2*3))"));
    await page.keyboard.press("Control+Shift+V");
    await waitScreen(/# echo pasted''-\$\(\(2\*3\)\)$/m, "the pasted line");
    await type("\r");
    await waitScreen(/^pasted-6$/m, "the pasted command's output");
  });

  await t.test("the home is saved when the page is hidden", async () => {
    await run("echo saved when hidden > /root/hidden.txt");
    const flushes = await page.evaluate(() => (window as unknown as GhostPage).ghost.flushes);
    // As the browser does when the tab goes to the background (or the window is minimised).
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    // The worker answers once the save is stored (or there was nothing to save).
    await page.waitForFunction((n) => (window as unknown as GhostPage).ghost.flushes > n, flushes, { timeout: WAIT, polling: 50 });
    await boot();
    assert.equal(await run("cat /root/hidden.txt"), "saved when hidden");
  });

  await t.test("the home is saved before a root given on the page replaces the machine", async () => {
    // In the page, without a round trip: written, then at once a cpio archive dropped.
    await page.evaluate(async (b64) => {
      const g = (window as unknown as GhostPage).ghost;
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      g.type("echo saved before another root > /root/swap.txt; echo swap''-written\r");
      while (!/^swap-written$/m.test(g.screen())) await new Promise((r) => setTimeout(r, 5));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "swap.cpio"));
      document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, cpioBytes.toString("base64"));
    await page.waitForFunction(() => { const g = (window as unknown as GhostPage).ghost; return g.root === "swap.cpio" && g.promptMs > 0; }, null, { timeout: WAIT, polling: 50 });
    await boot();
    assert.equal(await run("cat /root/swap.txt"), "saved before another root");
  });

  await t.test("\"Reset home\" forgets the saved home: this boot and the next start clean", async () => {
    // The .txt files the subtests above left in the home (keep, vi, off, hidden, swap…).
    const count = "ls /root/*.txt 2>/dev/null | wc -l";
    assert.ok(Number(await run(count)) >= 5);
    page.once("dialog", (d) => void d.accept());
    // The page reloads itself once the worker has cleared the store.
    await Promise.all([page.waitForEvent("load", { timeout: WAIT }), page.click("#reset")]);
    await page.waitForFunction(() => (window as unknown as GhostPage).ghost?.promptMs > 0, null, { timeout: WAIT, polling: 50 });
    assert.equal(await run(count), "0");
    await boot();
    assert.equal(await run(count), "0");
  });

  if (process.env.GHOST_WEB_BENCH === "1") {
    await t.test("CPU speed: Chromium against Node", async () => {
      const bin = join(tmp, "sha256");
      const cc = spawnSync(process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc", ["-O2", "-static", "-o", bin, join(root, "bench", "programs", "sha256.c")], { encoding: "utf8", timeout: WAIT, killSignal: "SIGKILL" });
      assert.equal(cc.status, 0, cc.stderr);
      const rounds = process.env.GHOST_WEB_BENCH_ROUNDS ?? "300";
      await page.setInputFiles("#upload", { name: "sha256", mimeType: "application/octet-stream", buffer: readFileSync(bin) });
      await run("while [ ! -s /root/sha256 ]; do sleep 0.1; done; chmod +x /root/sha256; /root/sha256 1 >/dev/null");
      // Each side REPS times, interleaved, so that both see the same spells of
      // load; the least of each side's times is the figure least disturbed by
      // other work on the machine (the median is printed beside it).
      const reps = Number(process.env.GHOST_WEB_BENCH_REPS ?? "3");
      const webMs: number[] = [], nodeMs: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = Date.now();
        const outWeb = await run(`/root/sha256 ${rounds}`);
        webMs.push(Date.now() - t0);
        // Node: the same program in a machine built alike, timed from the same point (warmed up, at a shell).
        const m = run_(["sh", "-c", `/bin/sha256 1 >/dev/null; echo ready; read go; /bin/sha256 ${rounds}`], { memory: "256M", files: { "/bin/sha256": { data: readFileSync(bin), mode: 0o755 } } });
        let out = "";
        m.stdout.on("data", (d) => { out += String(d); });
        while (!out.includes("ready")) await new Promise((r) => setTimeout(r, 10));
        const t1 = Date.now();
        m.stdin.end("go\n");
        await m.exited;
        nodeMs.push(Date.now() - t1);
        // The terminal wraps the long line: compare without the breaks.
        assert.equal(out.replace("ready\n", "").trim(), outWeb.replace(/\n/g, ""));
      }
      const least = (a: number[]) => Math.min(...a);
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
      t.diagnostic(`sha256 ${rounds} rounds, ${reps} runs each: Chromium ${webMs.join("/")} ms, Node ${nodeMs.join("/")} ms; ` +
        `least ${least(webMs)}/${least(nodeMs)} ratio ${(least(webMs) / least(nodeMs)).toFixed(2)}, median ratio ${(median(webMs) / median(nodeMs)).toFixed(2)}`);
    });
  }
});

test("Ghost in Chromium: the network through a WebSocket relay, an ext4 root, one command on the terminal", { skip }, async (t) => {
  page = await browser!.newPage({ viewport: { width: 900, height: 600 } });
  // An HTTP server on the host's loopback, which the guest reaches as 10.0.2.2.
  const body = "hello through the relay\n".repeat(200);
  const http = createServer((req, res) => { res.writeHead(req.url === "/hello" ? 200 : 404, { "content-type": "text/plain" }).end(req.url === "/hello" ? body : ""); });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
  const relay = await startRelay();
  try {
    await t.test("busybox wget fetches from the host's loopback through the relay (Ethernet frames, ARP)", async () => {
      await boot(`?relay=${encodeURIComponent(relay.url)}`);
      await page.waitForFunction(() => (window as unknown as GhostPage).ghost.net === "open", null, { timeout: WAIT });
      assert.equal(await run("echo $(tail -n +3 /proc/net/dev | cut -d: -f1)"), "lo eth0");
      const port = (http.address() as AddressInfo).port;
      assert.equal(await run(`wget -q -O - http://10.0.2.2:${port}/hello | md5sum | cut -c1-32`),
        createHash("md5").update(body).digest("hex"));
      // eth0 is an Ethernet NIC whose frames the relay carries: ARP resolved the gateway to the NAT's MAC.
      assert.equal(await run("grep '^10.0.2.2 ' /proc/net/arp | tr -s ' ' | cut -d' ' -f4,6"), "52:55:0a:00:02:02 eth0");
    });
  } finally {
    await relay.close();
    http.close();
  }

  await t.test("?root= boots an ext4 image and ?run= runs one command, its status the machine's", async () => {
    await page.goto(`${base}?root=${encodeURIComponent(IMAGE_PATH.slice(1))}&run=${encodeURIComponent("cat /etc/marker; grep ' / ' /proc/mounts | cut -d' ' -f1-3; tty; exit 3")}`);
    await page.waitForFunction(() => (window as unknown as GhostPage).ghost.exited !== null, null, { timeout: WAIT, polling: 100 });
    const exited = await page.evaluate(() => (window as unknown as GhostPage).ghost.exited);
    assert.deepEqual(exited, { status: 3, shutdown: "poweroff" });
    const s = await screen();
    assert.match(s, new RegExp(`^${MARKER}$`, "m"));
    assert.match(s, /^\/dev\/vda \/ ext4$/m);
    assert.match(s, /^\/dev\/console$/m);
  });

  // What the page asks its server for while a given root boots: the worker and the hart only.
  const requests: string[] = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  const bootGiven = async (name: string, give: () => Promise<unknown>) => {
    await boot();
    requests.length = 0;
    await give();
    await page.waitForFunction((n) => { const g = (window as unknown as GhostPage).ghost; return g.root === n && g.promptMs > 0; }, name, { timeout: WAIT, polling: 50 });
    assert.deepEqual([...new Set(requests)].filter((p) => p !== "/worker.js" && p !== "/hart.wasm"), []);
  };

  await t.test("an ext4 image chosen with \"Boot a root…\" boots from the page's memory", async () => {
    // By path: Chromium reads the file itself (a 16 MiB buffer through the driver takes long on a loaded machine).
    await bootGiven("root.ext4", () => page.setInputFiles("#root-file", join(tmp, "root.ext4"), { timeout: WAIT }));
    assert.equal(await run("cat /etc/marker; grep ' / ' /proc/mounts | cut -d' ' -f1-3"), `${MARKER}\n/dev/vda / ext4`);
  });

  await t.test("a cpio archive dropped on the page boots", async () => {
    await bootGiven("mine.cpio", async () => {
      const drop = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "mine.cpio"));
        return dt;
      }, cpioBytes.toString("base64"));
      // (evaluateHandle has no timeout of its own; the drop's is WAIT.)
      await page.dispatchEvent("body", "drop", { dataTransfer: drop }, { timeout: WAIT });
    });
    assert.equal(await run("cat /etc/marker; grep -c ' / ext4 ' /proc/mounts"), `${CPIO_MARKER}\n0`);
  });
});
