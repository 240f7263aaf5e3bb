// The library's entry point (`import { run, boot } from "ghost-kernel"`):
// machines with Node streams for their standard I/O. The machine itself
// (machine.ts) uses callbacks only; this file adds what Node offers.

import { PassThrough, Writable, type Readable } from "node:stream";
import * as core from "./machine.js";
import { Machine, type RunOptions, type BootOptions } from "./machine.js";
import { nodeBootHost } from "../boot/boot.js";
import { attachUserNet, parseForward, type PortForward } from "../net/usernet.js";

export { Machine, parseSize } from "./machine.js";
export type { MachineOptions, RunOptions, BootOptions, ExitResult, ProcessEvent, ProcessExitEvent, LogEvent, ShutdownEvent, MemoryFile } from "./machine.js";
export { Terminal } from "./terminal.js";
export { GuestFsError, type GuestStat, type WriteOptions } from "./files.js";
// The WebSocket relay of Ghost in a browser (the page's ?relay=): guest packets to Ghost's user-mode NAT here.
export { startRelay, type Relay, type RelayOptions } from "./relay.js";

// A program's machine with callbacks for its output (RunOptions) and
// machine.stdio for its input: runProgram in machine.ts on Node's host.
export function runProgram(argv: string[], opts: RunOptions = {}): Machine { return withNet(core.runProgram(argv, checkNet(opts), nodeBootHost), opts); }
export function bootMachine(opts: BootOptions = {}): Machine { return withNet(core.bootMachine(checkNet(opts), nodeBootHost), opts); }

// The forwards of MachineOptions.net, parsed before the machine is made (a bad one throws).
function forwardsOf(o: core.MachineOptions): PortForward[] {
  const net = o.net;
  if (net === undefined || typeof net === "string") {
    if (net !== undefined && net !== "none" && net !== "user") throw new Error(`net: "none", "user" or settings, not ${String(net)}`);
    return [];
  }
  return (net.forwards ?? []).map((spec) => {
    const f = parseForward(spec);
    if (!f) throw new Error(`net: bad forward ${spec} (want [ADDR:]HOSTPORT:GUESTPORT[/udp])`);
    return f;
  });
}
function checkNet<T extends core.MachineOptions>(o: T): T { forwardsOf(o); return o; }

// eth0 and its NAT for MachineOptions.net, attached before the first
// process runs (the machine starts it a microtask later), closed when the
// machine ends.
function withNet(m: Machine, o: core.MachineOptions): Machine {
  if (o.net === undefined || o.net === "none") return m;
  const s = typeof o.net === "string" ? {} : o.net;
  const nat = attachUserNet(m.kernel!, { forwards: forwardsOf(o), lossPct: s.lossPct ?? 0, delayMs: s.delayMs ?? 0 });
  void m.exited.then(() => nat.close());
  return m;
}

// A program's machine with its standard streams: write to stdin (end() it
// for EOF), read stdout and stderr (they end when the machine does).
export interface ProgramMachine extends Machine {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

// Runs a program (see RunOptions). With stdio "pipe" (the default) its
// output goes to machine.stdout and machine.stderr, and to the
// onStdout/onStderr callbacks if given.
export function run(argv: string[], opts: RunOptions = {}): ProgramMachine {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const m = runProgram(argv, {
    ...opts,
    onStdout: (d) => { opts.onStdout?.(d); stdout.write(d); },
    onStderr: (d) => { opts.onStderr?.(d); stderr.write(d); },
  });
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) { m.stdio?.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)); cb(); },
    final(cb) { m.stdio?.end(); cb(); },
  });
  void m.exited.then(() => { stdout.end(); stderr.end(); });
  return Object.assign(m, { stdin, stdout, stderr }) as ProgramMachine;
}

// Boots the system (see BootOptions); machine.terminal is its console.
export function boot(opts: BootOptions = {}): Machine {
  return bootMachine(opts);
}

// Runs a program to its end and collects what it wrote.
export async function exec(argv: string[], opts: RunOptions = {}): Promise<{ status: number; code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const m = runProgram(argv, { ...opts, onStdout: (d) => out.push(d), onStderr: (d) => err.push(d) });
  if (opts.input === undefined) m.stdio?.end();
  const r = await m.exited;
  const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");
  return { status: r.status, code: r.code, signal: r.signal, stdout: text(out), stderr: text(err) };
}
