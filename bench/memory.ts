// Host memory against --mem (issue 15, finding 5): runs each exhaustion case
// under `ghost run --mem=SIZE` and reports what the guest saw and Node's peak
// resident memory (ghost run --stats maxRssKiB), against the bound: --mem plus
// a fixed overhead (Node, the kernel's code, the JIT).
//
//   npx tsc -p tsconfig.json && node dist/bench/memory.js [--mem MiB] [--json] [CASE...]
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("userland/mm");
const cli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const OVERHEAD_MIB = 300;

const CASES: [string, string][] = [
  // dd reports to the host's stderr, not through a pipe: with the budget
  // spent, a pipe's ring could not grow to carry the message.
  ["dd 2000 MiB into /", "dd if=/dev/zero of=/big bs=1M count=2000; echo dd=$?"],
  ["sparse 3000 MiB file", "dd if=/dev/zero of=/sp bs=1M seek=2999 count=1 2>/dev/null && ls -s /sp"],
  ["tmpfs size=1000000g, dd 1000 MiB", "mkdir /m && mount -t tmpfs -o size=1000000g none /m && dd if=/dev/zero of=/m/x bs=1M count=1000; echo dd=$?"],
  ["20,000 pipes of 64 KiB", "/vt/hog pipes 20000"],
  ["a million tiny files", "mkdir /f && /vt/hog files 1000000 /f"],
  ["100,000 eventfds", "/vt/hog eventfd 100000"],
  ["100,000 epoll instances", "/vt/hog epoll 100000"],
  ["100,000 socketpairs, 64 KiB queued", "/vt/hog unix 100000"],
  ["2,000 loopback TCP connections written full", "/vt/hog tcp 2000"],
  // Each socket's struct sock is charged (net/inet/socket.ts), and a TCP
  // connection closed first stays charged through TIME_WAIT with no fd.
  ["100,000 inet sockets", "/vt/hog socks 100000"],
  ["100,000 loopback TCP connections opened and closed", "/vt/hog churn 100000"],
  // The names are made on the host first, in the directory mounted at /h.
  ["200,000 names stat'ed on a host mount", "/vt/hog stat 200000 /h"],
  ["anonymous memory: 2x RAM", "/vt/hog anon 600; echo status $?"],
  // One pool of frames (mm/frames.ts): each use after another reuses the
  // host pages the first one touched (before: about twice --mem).
  ["anon 85% freed, then tmpfs", "/vt/hog anon $((MEM * 85 / 100)); mkdir /m && mount -t tmpfs -o size=0 none /m && /vt/hog fill /m/x 100000"],
  ["tmpfs filled and deleted, then anon 85%", "mkdir /m && mount -t tmpfs -o size=0 none /m && /vt/hog fill /m/x 100000; rm /m/x; /vt/hog anon $((MEM * 85 / 100))"],
  ["anon 85% freed, then pipes", "/vt/hog anon $((MEM * 85 / 100)); /vt/hog pipes 100000"],
  ["anon 85% freed, then socketpairs", "/vt/hog anon $((MEM * 85 / 100)); /vt/hog unix 100000"],
  ["memfd of 78% written through MAP_SHARED", "/vt/hog memfd $((MEM * 78 / 100))"],
];

function main(): number {
  const argv = process.argv.slice(2);
  let mem = 256;
  let json = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--mem") mem = Number(argv[++i]);
    else if (argv[i] === "--json") json = true;
    else only.push(argv[i]);
  }
  const b = spawnSync(process.execPath, [join(root, "userland/mm/build.mjs"), "hog"], { encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (b.status !== 0) { process.stderr.write(b.stderr); return 1; }
  const dir = mkdtempSync(join(tmpdir(), "ghost-bench-mem-"));
  const rows: { case: string; guest: string; rssMiB: number; boundMiB: number; seconds: number; ok: boolean }[] = [];
  try {
    for (const [name, script] of CASES) {
      if (only.length && !only.some((o) => name.includes(o))) continue;
      const stats = join(dir, "stats.json");
      rmSync(stats, { force: true });
      const start = Date.now();
      const names = join(dir, "names");
      if (script.includes(" /h") && !existsSync(names)) {
        mkdirSync(names);
        for (let i = 0; i < 200_000; i++) closeSync(openSync(join(names, `f${i}`), "w"));
      }
      const r = spawnSync(process.execPath, [cli, "run", `--mem=${mem}M`, `--stats=${stats}`, "-v", `${join(root, "build", "userland-mm")}:/vt:ro`,
        ...(script.includes(" /h") ? ["-v", `${names}:/h`] : []),
        "--", "/bin/sh", "-c", `MEM=${mem}; ${script}`], { cwd: dir, encoding: "utf8", timeout: 1_200_000, killSignal: "SIGKILL", maxBuffer: 1 << 24 });
      const seconds = (Date.now() - start) / 1000;
      let rssMiB = NaN;
      try { rssMiB = JSON.parse(readFileSync(stats, "utf8")).maxRssKiB / 1024; } catch { /* the run failed */ }
      const guest = `${r.stderr}${r.stdout}`.trim().split("\n").filter((l) => !/records in/.test(l)).slice(-3).join(" | ");
      const row = { case: name, guest, rssMiB: Math.round(rssMiB), boundMiB: mem + OVERHEAD_MIB, seconds: Math.round(seconds), ok: rssMiB < mem + OVERHEAD_MIB };
      rows.push(row);
      process.stderr.write(`${name}: ${row.rssMiB} MiB peak RSS (bound ${row.boundMiB}), ${row.seconds} s: ${guest}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  writeFileSync(join(root, "build", "bench", "memory.json"), JSON.stringify({ date: new Date().toISOString(), mem, rows }, null, 2) + "\n");
  if (json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  else {
    const w = Math.max(...rows.map((r) => r.case.length));
    process.stdout.write(`Host memory under --mem=${mem}M (bound: --mem + ${OVERHEAD_MIB} MiB)\n`);
    for (const r of rows) process.stdout.write(`${r.case.padEnd(w)}  ${String(r.rssMiB).padStart(5)} MiB  ${r.ok ? "within" : "PAST"}  ${r.guest}\n`);
  }
  return rows.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = main();
