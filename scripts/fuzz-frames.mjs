#!/usr/bin/env node
// The frame fuzzer: random Ethernet frames into eth0's frame queue, as a
// NIC backend (net/dev/nic.ts) delivers them — the interface a browser's
// WebSocket relay or a TAP device feeds — while userland/fuzz/netsink.c
// keeps TCP and UDP listeners, raw ICMP sockets and connections open in the
// guest. Frames come from scripts/fuzz-frames-gen.mjs (seeded, well-formed
// enough to reach the parsers); the fuzzer also plays the far end (ARP,
// neighbour advertisements, SYN-ACKs) so segments reach open connections.
//
// A worker process (this file with --worker) boots Ghost through the
// library, attaches eth0 to its backend and injects batches of frames,
// writing "F hex" before each; the driver (this file) watches it: an
// exception out of the device's receive path, an oops or a timer-callback
// oops in Ghost's diagnostics, a guest that dies, a hang (no output or no
// guest heartbeat for --hang seconds) or an RSS past the memory bound is a
// failure, and its batch is shrunk (delta debugging over its frames, each
// candidate replayed in a fresh worker) to a frame list in --out, replayed
// with `node scripts/fuzz-frames.mjs --replay FILE`.
//
//   node scripts/fuzz-frames.mjs --seconds N --seed S [--batch N] [--chunk N]
//       [--mem 256M] [--rss-limit MB] [--hang SECS] [--out DIR] [--json FILE] [--no-shrink]
//
// Exit status 0 when nothing failed.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseFuzzArgs } from "./lib/fuzzopts.mjs";
import { Rng, Peer, generate, GUEST_MAC } from "./fuzz-frames-gen.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const self = fileURLToPath(import.meta.url);
const cpio = join(root, "build", "rootfs.cpio");
const hex = (b) => Buffer.from(b).toString("hex");

function parseArgs(argv) {
  return parseFuzzArgs(argv, { batch: 200, chunk: 25, out: join(root, "build", "fuzz"), worker: false, replay: "" }, {
    "--worker": (o) => { o.worker = true; },
    "--replay": (o, next) => { o.replay = next(); },
  });
}

// ---- the worker: Ghost in this process, frames from the generator or a replay file ----

async function worker(o) {
  const out = (s) => process.stdout.write(s + "\n");
  const api = await import(pathToFileURL(join(root, "dist/src/api/index.js")).href);
  const { attachNic } = await import(pathToFileURL(join(root, "dist/src/net/dev/nic.js")).href);
  const { v4, parseV6 } = await import(pathToFileURL(join(root, "dist/src/net/inet/addr.js")).href);
  let ready;
  const isReady = new Promise((r) => (ready = r));
  let line = "";
  const m = api.runProgram(["./netsink", "100000"], {
    root: cpio, hostCwd: process.cwd(), memory: o.mem,
    onStdout: (d) => {
      line += Buffer.from(d).toString("latin1");
      for (let i; (i = line.indexOf("\n")) >= 0; line = line.slice(i + 1)) {
        const l = line.slice(0, i);
        if (l === "ready") ready();
        else if (l.startsWith("alive")) out("A");
      }
    },
    onStderr: (d) => process.stderr.write(d),
    onDiag: (t) => { process.stderr.write(t); if (/oops/.test(t)) { out(`O ${JSON.stringify(t.slice(0, 3000))}`); process.exitCode = 1; } },
  });
  m.exited.then((r) => { out(`X ${r.status}`); process.exit(1); });
  const peer = new Peer();
  const backend = {
    onFrame: null,
    // The guest's frames: the far end answers what it must (ARP, NA, handshakes).
    send(frame) { for (const f of peer.answer(frame)) pending.push(f); },
  };
  const pending = [];
  attachNic(m.kernel, backend, {
    name: "eth0", mac: Uint8Array.from(GUEST_MAC),
    addrs: [{ addr: v4(10, 0, 2, 15), prefix: 24 }, { addr: parseV6("fec0::15"), prefix: 64 }],
    gateway: v4(10, 0, 2, 2), gateway6: parseV6("fec0::2"),
  });
  await isReady;
  out("R");
  const tick = () => new Promise((r) => setImmediate(r));
  const inject = (f) => {
    out(`F ${hex(f)}`);
    try {
      backend.onFrame(f);
    } catch (e) {
      out(`O ${JSON.stringify(`exception from eth0's receive path: ${e?.stack ?? e}`)}`);
      process.exit(1);
    }
  };
  const flush = async () => { while (pending.length) { inject(pending.shift()); await tick(); } };
  if (o.replay) {
    const frames = readFileSync(o.replay, "utf8").split("\n").filter(Boolean);
    out(`B 0 replay`);
    for (const h of frames) { inject(Uint8Array.from(Buffer.from(h, "hex"))); await tick(); }
    await new Promise((r) => setTimeout(r, 500));
    out("E 0");
  } else {
    for (let i = o.first; i < o.first + o.chunk; i++) {
      const r = new Rng((o.seed * 1000003 + i) >>> 0);
      out(`B ${i}`);
      for (let n = 0; n < o.batch;) {
        await flush();
        for (const f of generate(r, peer)) { inject(f); n++; }
        await tick();
      }
      await flush();
      await new Promise((r) => setTimeout(r, 20));
      out(`E ${i} ${peer.conns.length} connections`);
    }
  }
  out("D");
  process.exit(process.exitCode ?? 0);
}

// ---- the driver ----

function rssMiB(pid) {
  try { return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024; } catch { return 0; }
}

function runWorker(o, scratch, args, stats) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [self, "--worker", "--mem", o.mem, ...args], { cwd: scratch, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let partial = "", stderr = "", failure = null, done = false, batch = null, frames = 0;
    let lastOut = Date.now(), lastAlive = Date.now();
    const kill = () => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } };
    const onLine = (l) => {
      const sp = l.indexOf(" "), tag = sp < 0 ? l : l.slice(0, sp), rest = sp < 0 ? "" : l.slice(sp + 1);
      switch (tag) {
        case "R": lastAlive = Date.now(); break;
        case "A": lastAlive = Date.now(); break;
        case "B": batch = { index: Number(rest.split(" ")[0]), frames: [] }; stats.batches++; break;
        case "F": if (batch) batch.frames.push(rest); frames++; break;
        case "O": if (!failure) failure = { kind: "oops", what: JSON.parse(rest).split("\n")[0], detail: JSON.parse(rest), batch }; break;
        case "X": if (!failure && !done) failure = { kind: "crash", what: `the guest ended (status ${rest})`, batch, detail: stderr.slice(-3000) }; break;
        case "D": done = true; break;
      }
    };
    child.stdout.setEncoding("latin1").on("data", (d) => {
      lastOut = Date.now();
      const parts = (partial + d).split("\n");
      partial = parts.pop();
      for (const l of parts) onLine(l);
    });
    child.stderr.setEncoding("utf8").on("data", (d) => { stderr = (stderr + d).slice(-100_000); });
    const timer = setInterval(() => {
      const r = rssMiB(child.pid);
      if (r > stats.peakRss) stats.peakRss = r;
      const quiet = (Date.now() - Math.min(lastOut, lastAlive)) / 1000;
      if (quiet > o.hang && !failure) {
        failure = { kind: "hang", what: Date.now() - lastOut > o.hang * 1000 ? "no output from the worker" : "no heartbeat from the guest", batch };
        kill();
      }
    }, 250);
    child.on("close", (status, signal) => {
      clearInterval(timer);
      kill();
      if (partial) onLine(partial);
      if (!failure && (!done || status !== 0)) failure = { kind: "crash", what: `the worker exited ${status ?? signal}`, batch, detail: stderr.slice(-3000) };
      stats.frames += frames;
      resolve({ failure });
    });
  });
}

async function reproduces(o, scratch, frames, same) {
  writeFileSync(join(scratch, "replay.txt"), frames.join("\n") + "\n");
  const r = await runWorker({ ...o, hang: Math.min(o.hang, 30) }, scratch, ["--replay", "replay.txt"], { batches: 0, frames: 0, peakRss: 0 });
  return r.failure !== null && same(r.failure);
}

async function shrink(o, scratch, frames, same, log) {
  let list = frames;
  if (list.length > 1 && (await reproduces(o, scratch, [list.at(-1)], same))) return [list.at(-1)];
  let n = 2;
  while (list.length >= 2) {
    const size = Math.ceil(list.length / n);
    let reduced = false;
    for (let i = 0; i < n && !reduced; i++) {
      const rest = [...list.slice(0, i * size), ...list.slice((i + 1) * size)];
      if (rest.length && (await reproduces(o, scratch, rest, same))) { list = rest; n = Math.max(n - 1, 2); reduced = true; log(`  shrink: ${list.length} frames`); }
    }
    if (!reduced) { if (n >= list.length) break; n = Math.min(list.length, 2 * n); }
  }
  return list;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) return worker(o);
  const log = (s) => process.stdout.write(s + "\n");
  const b = spawnSync(process.execPath, [join(root, "userland/fuzz/build.mjs"), "netsink"], { encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (b.status !== 0) throw new Error(`building netsink failed:\n${b.stderr}`);
  if (!existsSync(cpio)) throw new Error(`no root filesystem archive (${cpio})`);
  const scratch = mkdtempSync(join(tmpdir(), "ghost-frames-"));
  copyFileSync(join(root, "build/userland-fuzz/netsink"), join(scratch, "netsink"));
  mkdirSync(o.out, { recursive: true });
  const stats = { batches: 0, frames: 0, peakRss: 0 };
  const failures = [];
  const start = Date.now();
  let first = o.first, runs = 0;
  log(`fuzz-frames: seed ${o.seed}, ${o.batch} frames a batch, ${o.chunk} batches a run, --mem ${o.mem}, RSS limit ${o.rssLimit} MiB`);
  try {
    if (o.replay) {
      copyFileSync(o.replay, join(scratch, "replay.txt"));
      const r = await runWorker(o, scratch, ["--replay", "replay.txt"], stats);
      log(r.failure ? `fuzz-frames: ${r.failure.kind.toUpperCase()}: ${r.failure.what}\n${r.failure.detail ?? ""}` : "fuzz-frames: the replay passed");
      process.exitCode = r.failure ? 1 : 0;
      return;
    }
    while ((Date.now() - start) / 1000 < o.seconds) {
      const r = await runWorker(o, scratch, ["--seed", String(o.seed), "--first", String(first), "--chunk", String(o.chunk), "--batch", String(o.batch)], stats);
      runs++;
      log(`fuzz-frames: run ${runs}: batches ${first}..${first + o.chunk - 1}, ${stats.frames} frames so far, ${Math.round((Date.now() - start) / 1000)} s, peak RSS ${Math.round(stats.peakRss)} MiB`);
      const f = r.failure;
      if (!f) { first += o.chunk; continue; }
      const bi = f.batch?.index ?? first;
      log(`fuzz-frames: ${f.kind.toUpperCase()}: ${f.what} (batch ${bi})`);
      if (f.detail) log(String(f.detail).split("\n").slice(0, 14).map((l) => "  | " + l).join("\n"));
      const entry = { kind: f.kind, what: f.what, batch: bi };
      if (f.batch?.frames.length) {
        const same = (g) => g.kind === f.kind && (f.kind !== "oops" || g.what === f.what);
        const frames = o.shrink ? await shrink(o, scratch, f.batch.frames, same, log) : f.batch.frames;
        const file = join(o.out, `frames-${o.seed}-${bi}.txt`);
        writeFileSync(file, frames.join("\n") + "\n");
        log(`fuzz-frames: ${frames.length} frame(s) reproduce it: ${file} (node scripts/fuzz-frames.mjs --replay ${file})`);
        entry.repro = file;
      }
      failures.push(entry);
      first = bi + 1;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const count = (k) => failures.filter((x) => x.kind === k).length;
  const summary = { mode: "frames", seed: o.seed, firstBatch: o.first, nextBatch: first, runs, batches: stats.batches, frames: stats.frames,
    seconds: Math.round((Date.now() - start) / 1000), oopses: count("oops"), hangs: count("hang"), crashes: count("crash"),
    peakRssMiB: Math.round(stats.peakRss), rssLimitMiB: o.rssLimit, failures };
  log(`fuzz-frames: ${summary.frames} frames in ${summary.batches} batches (${runs} runs, ${summary.seconds} s): ${summary.oopses} oopses, ${summary.hangs} hangs, ${summary.crashes} crashes; peak RSS ${summary.peakRssMiB} MiB (limit ${o.rssLimit} MiB)`);
  if (o.json) writeFileSync(o.json, JSON.stringify(summary, null, 2) + "\n");
  process.exitCode = failures.length === 0 && stats.peakRss <= o.rssLimit ? 0 : 1;
}

main().catch((e) => { process.stderr.write(`fuzz-frames: ${e?.stack ?? e}\n`); process.exit(2); });
