// The library (src/api/): a program's standard streams, two machines running
// at once without seeing each other, the guest's files from the host while
// it runs, signals and events, a booted system's console terminal and its
// resize, power-off, log events (the records dmesg reads); the network
// option (lo only by default, eth0 behind the user-mode NAT with "user", a
// forward from the host); and a machine that writes nothing to the host's
// own stdout or stderr.
//
//   npx tsc -p tsconfig.json && node --test dist/test/lib/api.test.js

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { run, boot, exec, GuestFsError, type Machine } from "../../src/api/index.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot();
const skip = existsSync(join(root, "build", "rootfs", "bin")) ? false : "no build/rootfs (scripts/prepare.sh builds it)";
const ENV = { PATH: "/bin:/sbin:/usr/bin" };
// Generous: CI is a loaded 2-core machine. Only a hang reaches it.
const WAIT_MS = 120_000;

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collect(m: { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream }): { out: string; err: string } {
  const acc = { out: "", err: "" };
  m.stdout.on("data", (d) => { acc.out += String(d); });
  m.stderr.on("data", (d) => { acc.err += String(d); });
  return acc;
}

// Ends a machine that a failed assertion left running.
function watchdog(m: Machine): () => void {
  const t = setTimeout(() => m.powerOff(124), WAIT_MS * 2);
  return () => clearTimeout(t);
}

test("a program's stdin, stdout and stderr are streams; its exit a promise", { skip }, async () => {
  const m = run(["sh", "-c", "read a; echo got:$a; echo warn >&2; read b; echo then:$b; exit 7"], { env: ENV, memory: "64M" });
  const done = watchdog(m);
  const io = collect(m);
  m.stdin.write("hello\n");
  await until("the first line", () => io.out.includes("got:hello"));
  m.stdin.end("world\n");
  const r = await m.exited;
  done();
  assert.deepEqual(r, { status: 7, code: 7, signal: null, shutdown: null });
  assert.equal(io.out, "got:hello\nthen:world\n");
  assert.equal(io.err, "warn\n");
  // Pipe mode: the guest sees pipes, not a terminal.
  const t = await exec(["sh", "-c", "[ -t 0 ] || [ -t 1 ] && echo tty || echo notty; stat -L -c %F /proc/self/fd/1"], { env: ENV, memory: "64M" });
  assert.equal(t.stdout, "notty\nfifo\n");
});

test("net: lo only by default; \"user\" reaches the host's loopback as 10.0.2.2; a forward reaches the guest", { skip }, async () => {
  const http = createServer((_req, res) => res.end("from the host\n"));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
  try {
    const port = (http.address() as AddressInfo).port;
    const none = await exec(["sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"], { env: ENV, memory: "64M" });
    assert.equal(none.stdout, "lo\n");
    const user = await exec(["wget", "-q", "-O", "-", `http://10.0.2.2:${port}/`], { env: ENV, memory: "64M", net: "user" });
    assert.equal(user.stdout, "from the host\n", user.stderr);
    assert.throws(() => run(["true"], { env: ENV, memory: "64M", net: { forwards: ["nonsense"] } }), /bad forward/);

    // The host's GET through -p HOSTPORT:8080 to busybox httpd in the guest.
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", () => r()));
    const hostPort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const m = run(["sh", "-c", "mkdir /www; echo from the guest > /www/index.html; httpd -f -p 8080 -h /www & echo up; wait"],
      { env: ENV, memory: "64M", net: { forwards: [`${hostPort}:8080`] } });
    const done = watchdog(m);
    const io = collect(m);
    await until("httpd", () => io.out.includes("up"));
    let body = "";
    const end = Date.now() + WAIT_MS;
    while (body !== "from the guest\n" && Date.now() < end) {
      body = await new Promise<string>((resolve) => {
        get({ host: "127.0.0.1", port: hostPort, path: "/", timeout: WAIT_MS }, (res) => {
          let b = ""; res.on("data", (d) => { b += String(d); }); res.on("end", () => resolve(b));
        }).on("error", () => setTimeout(() => resolve(""), 100));
      });
    }
    m.kill();
    await m.exited;
    done();
    assert.equal(body, "from the guest\n");
  } finally {
    http.close();
  }
});

test("files from memory, and a missing program is ENOENT", { skip }, async () => {
  const r = await exec(["sh", "-c", "cat /data/in.txt; ls -l /data/run.sh | cut -c1-10; /data/run.sh; readlink /data/link"], {
    env: ENV, memory: "64M",
    files: { "/data/in.txt": "from memory\n", "/data/run.sh": { data: new TextEncoder().encode("#!/bin/sh\necho script ran\n"), mode: 0o755 }, "/data/link": { type: "symlink", target: "in.txt" } },
  });
  assert.equal(r.stdout, "from memory\n-rwxr-xr-x\nscript ran\nin.txt\n", r.stderr);
  assert.throws(() => run(["/no/such/program"], { env: ENV, memory: "64M" }), (e: { errno?: number }) => e.errno === 2);
});

test("two machines run at once, each with its own files, clock and output", { skip }, async () => {
  // Each spins, says it is ready, then waits for a file only the host can
  // put in its /tmp: both are ready before either may finish, so they ran
  // side by side on this event loop.
  const script = (id: string) =>
    `i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo ${id} > /tmp/mine; echo ready; ` +
    `while [ ! -f /tmp/go ]; do sleep 0.01; done; echo "$(cat /etc/who) $(cat /tmp/go) $(cat /tmp/mine) $i"`;
  const a = run(["sh", "-c", script("A")], { env: ENV, memory: "64M", clock: "virtual", files: { "/etc/who": "machine-a" } });
  const b = run(["sh", "-c", script("B")], { env: ENV, memory: "64M", clock: "host", files: { "/etc/who": "machine-b" } });
  const stop = [watchdog(a), watchdog(b)];
  const ia = collect(a), ib = collect(b);
  await until("both machines ready", () => ia.out.includes("ready") && ib.out.includes("ready"));
  assert.ok(a.running && b.running);
  // The host reads each guest's file, and writes each its own.
  assert.equal(a.readText("/tmp/mine"), "A\n");
  assert.equal(b.readText("/tmp/mine"), "B\n");
  assert.ok(a.readdir("/tmp").includes("mine"));
  assert.equal(a.stat("/tmp/mine").type, "file");
  assert.equal(a.stat("/tmp/mine").size, 2);
  assert.throws(() => a.readFile("/tmp/none"), (e: unknown) => e instanceof GuestFsError && e.code === "ENOENT");
  b.writeFile("/tmp/go", "go-b");
  a.writeFile("/tmp/go", "go-a");
  const [ra, rb] = await Promise.all([a.exited, b.exited]);
  for (const s of stop) s();
  assert.equal(ra.code, 0, ia.err);
  assert.equal(rb.code, 0, ib.err);
  assert.equal(ia.out, "ready\nmachine-a go-a A 300\n");
  assert.equal(ib.out, "ready\nmachine-b go-b B 300\n");
  assert.throws(() => a.readFile("/tmp/mine"), /not running/);
});

test("the host makes, renames and removes the guest's files while it runs; the guest sees each change", { skip }, async () => {
  // The guest waits for each step in turn and reports what it sees.
  const script =
    "echo ready; while [ ! -d /tmp/a/b/c ]; do sleep 0.01; done; echo dirs; " +
    "while [ ! -L /tmp/a/link ]; do sleep 0.01; done; echo link $(readlink /tmp/a/link) $(cat /tmp/a/link); " +
    "while [ -e /tmp/a/f ]; do sleep 0.01; done; echo moved $(cat /tmp/a/b/g); " +
    "while [ -e /tmp/a/b/c ]; do sleep 0.01; done; echo rmdir; ln -s nowhere /tmp/from-guest; mkdir /tmp/gd; " +
    "while [ -e /tmp/gd ]; do sleep 0.01; done; echo done";
  const m = run(["sh", "-c", script], { env: ENV, memory: "64M" });
  const stop = watchdog(m);
  const io = collect(m);
  await until("ready", () => io.out.includes("ready"));
  m.mkdir("/tmp/a/b/c", { recursive: true });
  m.mkdir("/tmp/a/b", { recursive: true }); // exists: no error
  assert.throws(() => m.mkdir("/tmp/a/b"), (e: unknown) => e instanceof GuestFsError && e.code === "EEXIST");
  assert.throws(() => m.mkdir("/tmp/none/x"), (e: unknown) => e instanceof GuestFsError && e.code === "ENOENT");
  assert.equal(m.stat("/tmp/a/b/c").type, "dir");
  await until("dirs", () => io.out.includes("dirs"));
  m.writeFile("/tmp/a/f", "content\n");
  m.symlink("f", "/tmp/a/link");
  assert.equal(m.readlink("/tmp/a/link"), "f");
  assert.throws(() => m.readlink("/tmp/a/f"), (e: unknown) => e instanceof GuestFsError && e.code === "EINVAL");
  await until("link", () => io.out.includes("link "));
  m.rename("/tmp/a/f", "/tmp/a/b/g");
  await until("moved", () => io.out.includes("moved"));
  assert.throws(() => m.rmdir("/tmp/a/b"), (e: unknown) => e instanceof GuestFsError && e.code === "ENOTEMPTY");
  assert.throws(() => m.unlink("/tmp/a/b"), (e: unknown) => e instanceof GuestFsError && e.code === "EISDIR");
  m.rmdir("/tmp/a/b/c");
  await until("rmdir", () => io.out.includes("rmdir"));
  await until("the guest's own link and directory", () => { try { m.stat("/tmp/gd"); return true; } catch { return false; } });
  assert.equal(m.readlink("/tmp/from-guest"), "nowhere");
  m.unlink("/tmp/from-guest");
  m.rmdir("/tmp/gd");
  const r = await m.exited;
  stop();
  assert.equal(r.code, 0, io.err);
  assert.equal(io.out, "ready\ndirs\nlink f content\nmoved content\nrmdir\ndone\n");
});

test("kill: a signal from the host, events for processes", { skip }, async () => {
  const m = run(["sh", "-c", "trap 'echo got TERM; exit 5' TERM; echo armed; while :; do sleep 0.05; done"], { env: ENV, memory: "64M" });
  const done = watchdog(m);
  const spawned: string[] = [];
  const exited: string[] = [];
  m.on("spawn", (e) => spawned.push(`${e.pid}:${e.command}`));
  m.on("exit", (e) => exited.push(`${e.pid}:${e.code ?? e.signal}`));
  const io = collect(m);
  await until("the trap", () => io.out.includes("armed"));
  await until("a sleep", () => spawned.some((s) => s.endsWith(":sleep")));
  m.kill("SIGTERM");
  const r = await m.exited;
  done();
  assert.equal(r.code, 5);
  assert.match(io.out, /got TERM/);
  assert.equal(spawned[0], "1:init");
  assert.equal(spawned[1], `${m.pid}:sh`);
  assert.ok(exited.includes(`${m.pid}:5`), exited.join(" "));

  const k = run(["sleep", "100"], { env: ENV, memory: "64M" });
  const done2 = watchdog(k);
  await until("sleep to start", () => k.running && k.instructions > 0);
  k.kill();
  const rk = await k.exited;
  done2();
  assert.deepEqual(rk, { status: 137, code: null, signal: "SIGKILL", shutdown: null });
});

test("log events are the kernel log that dmesg reads, from the first record on", { skip }, async () => {
  const m = run(["dmesg"], { env: ENV, memory: "64M" });
  const done = watchdog(m);
  const records: { level: number; line: string }[] = [];
  m.on("log", (e) => records.push(e));
  const io = collect(m);
  const r = await m.exited;
  done();
  assert.equal(r.status, 0, io.err);
  assert.match(records[0]?.line ?? "", /^<5>\[ *\d+\.\d{6}\] Linux version /);
  assert.equal(records[0].level, 5);
  // dmesg prints each record without its level; those the guest read are the events' first ones.
  const lines = io.out.trimEnd().split("\n");
  assert.ok(lines.length >= 2, io.out);
  assert.deepEqual(records.slice(0, lines.length).map((e) => e.line.replace(/^<\d+>/, "")), lines);
});

test("boot: the console is a terminal; resize reaches stty; power-off ends it", { skip }, async () => {
  const m = boot({ memory: "128M", rows: 30, cols: 100 });
  const done = watchdog(m);
  let screen = "";
  m.terminal!.onData((d) => { screen += Buffer.from(d).toString("latin1"); });
  await until("the shell prompt", () => /# /.test(screen));
  m.terminal!.write("stty size; tty\r");
  await until("stty size", () => /\n30 100\r?\n/.test(screen));
  m.terminal!.resize(40, 120);
  m.terminal!.write("stty size\r");
  await until("the new size", () => /\n40 120\r?\n/.test(screen));
  // A file written from the host is there for the shell.
  m.writeFile("/root/note.txt", "left by the host\n");
  m.terminal!.write("cat /root/note.txt\r");
  await until("the note", () => screen.includes("left by the host"));
  m.powerOff();
  const r = await m.exited;
  done();
  assert.equal(r.shutdown, "poweroff");
  assert.match(screen, /\/dev\/(tty1|console)/);
});

test("shutdown: the guest's files are still readable as the machine goes down, by the guest's poweroff or the host's", { skip }, async () => {
  // The guest writes a file and powers off at once: the handler reads it before it goes.
  const m = run(["sh", "-c", "echo last words > /tmp/last; poweroff -f; sleep 100"], { memory: "64M", env: ENV });
  const done = watchdog(m);
  const seen: { action: string; text: string; running: boolean }[] = [];
  m.on("shutdown", (e) => seen.push({ action: e.action, text: m.readText("/tmp/last"), running: m.running }));
  const r = await m.exited;
  done();
  assert.deepEqual(seen, [{ action: "poweroff", text: "last words\n", running: true }]);
  assert.equal(r.shutdown, "poweroff");
  assert.throws(() => m.readText("/tmp/last"), /not running/);

  // powerOff() from the host: once, with every process still there.
  const b = boot({ memory: "64M" });
  const done2 = watchdog(b);
  let screen = "";
  b.terminal!.onData((d) => { screen += Buffer.from(d).toString("latin1"); });
  await until("the shell prompt", () => /# /.test(screen));
  const procs: number[] = [];
  b.on("shutdown", () => procs.push(b.readdir("/proc").filter((n) => /^\d+$/.test(n)).length));
  b.powerOff();
  b.powerOff();
  await b.exited;
  done2();
  assert.equal(procs.length, 1);
  assert.ok(procs[0] >= 2, `init and the shell are still there (${procs[0]} processes)`);
});

test("a machine writes nothing to the host's stdout or stderr", { skip }, () => {
  // A child Node process runs a machine whose program writes to both of its
  // streams, with GHOST_KLOG=1 (the kernel log copy the `ghost` command
  // makes): the child's own stdout holds only what the script prints.
  const api = join(root, "dist", "src", "api", "index.js");
  const script = `
    const { exec } = await import(${JSON.stringify(api)});
    const r = await exec(["sh", "-c", "echo to-out; echo to-err >&2; dmesg | head -1 >/dev/null"], { env: { PATH: "/bin" }, memory: "64M" });
    process.stdout.write("result " + JSON.stringify(r) + "\\n");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8", env: { ...process.env, GHOST_KLOG: "1" }, timeout: WAIT_MS, killSignal: "SIGKILL",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, `result ${JSON.stringify({ status: 0, code: 0, signal: null, stdout: "to-out\n", stderr: "to-err\n" })}\n`);
});
