// The `ghost` command: a thin layer over the library (src/api/) that gives a
// machine the host's stdio, terminal, signals and exit status. main.ts loads
// it, bundled when the build made a bundle.

import * as nodefs from "node:fs";
import { resolve } from "node:path";
import { runProgram, parseSize, type Machine } from "../api/index.js";
import { bootCommand, BOOT_USAGE, hostDiagnostics } from "./boot.js";
import { parseDisk } from "./disk.js";
import { NetFlags } from "./net_flags.js";
import type { HostDisk } from "../boot/boot.js";
import { table, syscallCounts } from "../syscalls/table.js";
import type { ClockMode } from "../kernel/time/clock.js";
import type { SchedPolicyName } from "../kernel/sched/core.js";
import { ChromeTracer } from "../kernel/trace.js";
import { constants } from "node:os";

// Host signals `ghost run` passes on to the guest.
const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGWINCH", "SIGUSR1", "SIGUSR2"];

const USAGE = `usage:
  ghost run [options] [--] PROGRAM [ARGS...]   run a riscv64 Linux program
      -v HOST:GUEST[:ro]   mount a host directory (repeatable)
      --env NAME=VALUE     add to the environment (repeatable)
      --clear-env          start from an empty environment
      --mem=SIZE           guest memory (e.g. 512M, 1G; default 512M)
      --clock=host|virtual time source (default host)
      --root=DIR|CPIO|IMAGE root filesystem: a directory, a newc cpio archive, or an
                           ext2/3/4 image (attached as a disk) (default build/rootfs)
      --disk=FILE[:ro]     attach a host file as a disk: /dev/vda, /dev/vdb, … (repeatable)
      -p [ADDR:]HOST:GUEST[/udp]  forward host TCP (or UDP) port HOST (on ADDR,
                           default 127.0.0.1; [::1] and other IPv6 addresses in
                           brackets reach the guest over IPv6) to the guest's port GUEST (repeatable)
      --net=user|none      eth0 behind a user-mode NAT (default), or only lo
      --net-loss=PCT       drop PCT% of the packets on eth0 (fault injection)
      --net-delay=MS       delay every packet on eth0 by MS milliseconds
      --stats=FILE         write {"instret", "wallMs", "maxRssKiB"} as JSON when done
      --sched=bore|eevdf   fair scheduler: EEVDF with BORE (default) or plain EEVDF
      --trace=FILE         write a Chrome trace-event JSON of context switches,
                           wake-ups, syscalls and page faults (Perfetto opens it)
  ghost syscalls [--all]  the syscall table with each entry's status
${BOOT_USAGE}`;

async function run(args: string[]): Promise<number> {
  const mounts: { host: string; guest: string; readOnly: boolean }[] = [];
  const disks: HostDisk[] = [];
  const net = new NetFlags();
  const extraEnv: string[] = [];
  let clearEnv = false;
  let mem = 512 << 20;
  let clock: ClockMode = "host";
  let root: string | undefined;
  let stats: string | undefined;
  let sched: SchedPolicyName = "bore";
  let trace: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") { i++; break; }
    if (!a.startsWith("-")) break;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => inline ?? args[++i];
    switch (flag) {
      case "-v": case "--volume": {
        const [h, g, ro] = val().split(":");
        mounts.push({ host: resolve(h), guest: g ?? resolve(h), readOnly: ro === "ro" });
        break;
      }
      case "--env": extraEnv.push(val()); break;
      case "--clear-env": clearEnv = true; break;
      case "--mem": mem = parseSize(val()); break;
      case "--clock": clock = val() as ClockMode; if (clock !== "host" && clock !== "virtual") throw new Error("--clock is host or virtual"); break;
      case "--root": root = resolve(val()); break;
      case "--stats": stats = val(); break;
      case "--sched": sched = val() as SchedPolicyName; if (sched !== "bore" && sched !== "eevdf") throw new Error("--sched is bore or eevdf"); break;
      case "--trace": trace = val(); break;
      case "--disk": disks.push(parseDisk(val())); break;
      default: if (!net.take(flag, val)) throw new Error(`unknown option ${a}`);
    }
  }
  const argv = args.slice(i);
  if (!argv.length) { process.stderr.write(USAGE); return 2; }
  const env = clearEnv ? [] : Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  for (const e of extraEnv) {
    const name = e.split("=")[0];
    const at = env.findIndex((x) => x.split("=")[0] === name);
    if (at >= 0) env[at] = e; else env.push(e);
  }
  const start = performance.now();
  let m: Machine;
  try {
    m = runProgram(argv, { stdio: "inherit", env, hostCwd: process.cwd(), mounts, memory: mem, clock, root, sched, disks });
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    process.stderr.write(`ghost: ${argv[0]}: ${errno ? `cannot execute (errno ${errno})` : (e as Error).message}\n`);
    return errno === 2 ? 127 : 126;
  }
  hostDiagnostics(m);
  const k = m.kernel!;
  const usernet = net.attach(k);
  const tracer = trace ? ChromeTracer.attach(k) : null;
  if (process.env.GHOST_STRACE) {
    // strace-style log of every syscall to stderr (GHOST_STRACE=1). Set
    // before the machine's first instruction (it starts a microtask later).
    k.trace.syscall = (t, nr, args, r) => {
      process.stderr.write(`[${t.tid}] ${table[nr]?.name ?? `syscall_${nr}`}(${args.map((a) => (Math.abs(a) > 0xffff ? "0x" + a.toString(16) : String(a))).join(", ")}) = ${r}\n`);
    };
  }
  const dumpDir = process.env.GHOST_JIT_DUMP;
  if (dumpDir && k.hart.jit) k.hart.jit.onModule = (i, bytes) => nodefs.writeFileSync(`${dumpDir}/m${i}.wasm`, bytes);
  // Signals sent to Ghost reach the guest (qemu-user does the same), so its
  // handlers and SIG_IGN are honoured and Ghost exits only when the guest does.
  const forward = new Map<NodeJS.Signals, () => void>();
  for (const name of FORWARDED_SIGNALS) {
    const h = () => m.kill(constants.signals[name]);
    forward.set(name, h);
    process.on(name, h);
  }
  let status: number;
  try {
    status = (await m.exited).status;
  } finally {
    for (const [name, h] of forward) process.off(name, h);
    await usernet?.close();
  }
  if (tracer && trace) tracer.write(trace);
  // maxRssKiB: the Node process's peak resident memory (getrusage's ru_maxrss), against --mem.
  if (stats) nodefs.writeFileSync(stats, JSON.stringify({ instret: m.instructions, wallMs: performance.now() - start, maxRssKiB: process.resourceUsage().maxRSS }));
  return status;
}

function syscalls(args: string[]): number {
  const all = args.includes("--all");
  const rows = table.filter((e) => e && (all || e.status !== "enosys"));
  for (const e of rows) process.stdout.write(`${String(e.nr).padStart(3)}  ${e.name.padEnd(24)} ${e.status.padEnd(11)} ${e.note}\n`);
  const c = syscallCounts();
  process.stdout.write(`\n${c.implemented} implemented, ${c.partial} partial, ${c.enosys} ENOSYS (of ${c.implemented + c.partial + c.enosys})\n`);
  return 0;
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  let code: number;
  try {
    if (cmd === "run") code = await run(rest);
    else if (cmd === "boot") code = await bootCommand(rest);
    else if (cmd === "syscalls") { await import("../syscalls/all.js"); code = syscalls(rest); }
    else { process.stderr.write(USAGE); code = cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 2; }
  } catch (e) {
    process.stderr.write(`ghost: ${(e as Error).message}\n`);
    code = 2;
  }
  process.exit(code);
}

main();
