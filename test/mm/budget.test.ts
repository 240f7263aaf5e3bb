// The memory bound (issue 15, finding 5): under `ghost run --mem=128M`, each
// exhaustion case ends with what Linux shows at that point (tmpfs ENOSPC at
// its size, ENOMEM past RAM, pipe ENOMEM, socket ENOBUFS, ENFILE, the OOM
// killer honouring oom_score_adj) AND Node's peak resident memory, as
// `ghost run --stats` reports it (getrusage's ru_maxrss), stays under --mem
// plus a fixed overhead. Before the budget, these cases grew Node to 1.2-5 GB.
//
//   npx tsc -p tsconfig.json && node --test dist/test/mm/budget.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/mm");
const cli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const bin = join(root, "build", "userland-mm");
const MEM_MIB = 128;
// Node, the kernel's code, the JIT's caches: what Ghost costs beside guest RAM.
const OVERHEAD_MIB = 300;

interface Run { status: number | null; out: string; rssMiB: number; memMiB: number }

let dir = "";

function ghost(script: string, memMiB = MEM_MIB, mounts: string[] = [], options: string[] = []): Run {
  const stats = join(dir, `stats-${process.hrtime.bigint()}.json`);
  const r = spawnSync(process.execPath, [cli, "run", `--mem=${memMiB}M`, `--stats=${stats}`, ...options, "-v", `${bin}:/vt:ro`, ...mounts.flatMap((m) => ["-v", m]), "--",
    "/bin/sh", "-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", maxBuffer: 1 << 24 });
  let rssMiB = NaN;
  try { rssMiB = JSON.parse(fs.readFileSync(stats, "utf8")).maxRssKiB / 1024; } catch { /* no stats: the run failed */ }
  return { status: r.status, out: `${r.stdout}${r.stderr}`, rssMiB, memMiB };
}

function bounded(r: Run): void {
  assert.ok(r.rssMiB > 0, `no peak RSS reported (exit ${r.status}):\n${r.out}`);
  assert.ok(r.rssMiB < r.memMiB + OVERHEAD_MIB,
    `Node's peak RSS ${r.rssMiB.toFixed(0)} MiB passed --mem=${r.memMiB}M + ${OVERHEAD_MIB} MiB:\n${r.out}`);
}

// Guest data in page frames (mm/frames.ts): tmpfs, memfd, pipe and AF_UNIX data come
// from the frames anonymous memory uses, so one use after another reuses the
// same host pages. Before, each use had its own host memory and these runs
// reached about twice --mem (571, 605, 568, 554 and 545 MiB under --mem=256M).
// The bound here is --mem plus the overhead measured for these cases (about
// 120-150 MiB, 209 once on a loaded machine) with room: still well below what
// the runs reached before (545 MiB and more, --mem + 289).
const FRAMES_MEM_MIB = 256;
const FRAMES_OVERHEAD_MIB = 250;
function withinFrames(r: Run): void {
  assert.ok(r.rssMiB > 0, `no peak RSS reported (exit ${r.status}):\n${r.out}`);
  assert.ok(r.rssMiB < r.memMiB + FRAMES_OVERHEAD_MIB,
    `Node's peak RSS ${r.rssMiB.toFixed(0)} MiB passed --mem=${r.memMiB}M + ${FRAMES_OVERHEAD_MIB} MiB:\n${r.out}`);
}

describe("the memory budget under --mem=128M", { concurrency: 1 }, () => {
  before(() => {
    const b = spawnSync(process.execPath, [join(root, "userland/mm/build.mjs"), "hog"], { encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
    assert.equal(b.status, 0, b.stderr);
    dir = fs.mkdtempSync(join(tmpdir(), "ghost-budget-"));
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  test("dd of 2000 MiB into the root tmpfs: ENOSPC at half of RAM", () => {
    const r = ghost("dd if=/dev/zero of=/big bs=1M count=2000; echo dd=$?; ls -l /big; df -k / | tail -1");
    assert.match(r.out, /No space left on device/);
    assert.match(r.out, /dd=1/);
    const size = Number(/root\s+(\d+)\s/.exec(r.out)?.[1]);
    assert.ok(size > 32 << 20 && size <= 64 << 20, `/big is ${size} bytes, not near 64 MiB:\n${r.out}`);
    bounded(r);
  });

  test("a 3000 MiB sparse file costs nothing", () => {
    const r = ghost("dd if=/dev/zero of=/sp bs=1M seek=2999 count=1 && ls -ls /sp");
    assert.match(r.out, /^\s*1024 .* 3145728000 /m);
    bounded(r);
    assert.ok(r.rssMiB < MEM_MIB + OVERHEAD_MIB - 100, `sparse file: ${r.rssMiB} MiB`);
  });

  test("tmpfs size=1000000g: ENOMEM when RAM is spent; remount below the data in use is EINVAL, above it sets size=", () => {
    const r = ghost("mkdir /m && mount -t tmpfs -o size=1000000g none /m && dd if=/dev/zero of=/m/x bs=1M count=1000; echo dd=$?; " +
      "rm /m/x; mount -o remount,size=10m /m; dd if=/dev/zero of=/m/y bs=1M count=100; mount -o remount,size=1m /m; echo remount=$?; " +
      "stat -f -c 'blocks=%b free=%f' /m");
    assert.match(r.out, /dd: error writing '\/m\/x': Cannot allocate memory/);
    assert.match(r.out, /dd: error writing '\/m\/y': No space left on device/);
    assert.match(r.out, /remount=255/);
    assert.match(r.out, /blocks=2560 free=0/);
    bounded(r);
  });

  // Which comes first, a ring that cannot grow or a pipe that cannot be
  // made, depends on a few KiB of everything else the guest holds.
  test("20,000 pipes of 64 KiB: a pipe write fails with ENOMEM (or pipe2 with ENFILE)", () => {
    const r = ghost("/vt/hog pipes 20000");
    const m = /pipes made=(\d+) errno=(\w+)/.exec(r.out);
    assert.ok(m, r.out);
    assert.match(m[2], /^(ENOMEM|ENFILE)$/);
    assert.ok(Number(m[1]) > 1000 && Number(m[1]) < 2048, r.out);
    bounded(r);
  });

  test("a million tiny files: ENOSPC at nr_inodes (half of RAM's pages)", () => {
    const r = ghost("mkdir /f && /vt/hog files 1000000 /f; stat -f -c 'inodes=%c' /f");
    const m = /files made=(\d+) errno=(\w+)/.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(m[2], "ENOSPC");
    assert.match(r.out, /inodes=16384/);
    assert.ok(Number(m[1]) > 15000 && Number(m[1]) < 16384, r.out);
    bounded(r);
  });

  test("socketpairs with 64 KiB queued: a send fails with ENOBUFS (or socketpair with ENOMEM or ENFILE)", () => {
    const r = ghost("/vt/hog unix 100000");
    assert.match(r.out, /unix made=\d+ errno=(ENOBUFS|ENOMEM|ENFILE)\b/);
    bounded(r);
  });

  // TCP's queues are charged (net/inet/tcp_mem.ts): before, each loopback
  // connection queued its 4 MiB send buffer and 4 MiB window in the heap,
  // and a thousand of them did not finish in 150 s (8 GB). Now all of TCP
  // stays under tcp_mem (3/32 of RAM) but for one forced chunk per empty
  // queue, as Linux's; what that costs past RAM fails the next allocation.
  test("1,000 loopback TCP connections written full: sends stop at TCP memory, not at 8 MiB each", () => {
    const r = ghost("/vt/hog tcp 1000");
    const m = /tcp made=(\d+) errno=(\w+)/.exec(r.out);
    const q = /tcp queued=(\d+) MiB/.exec(r.out);
    assert.ok(m && q, r.out);
    assert.ok(m[2] === "0" || (/^(ENFILE|ENOMEM|ENOBUFS)$/.test(m[2]) && Number(m[1]) > 500), r.out);
    assert.ok(Number(q[1]) < MEM_MIB, r.out);
    bounded(r);
  });

  // Each inet socket's struct sock is charged (net/inet/socket.ts), from
  // socket() (or a SYN's arrival) to its teardown: before, a socket cost
  // only its open file, and a TCP connection closed first (TIME_WAIT for 60
  // s, no fd) cost nothing while the stack still held it. Connections a
  // listener never accepted (some reset by their clients while queued) end
  // with it. Virtual time lets the sleep past TIME_WAIT pass at once.
  test("TCP connections in TIME_WAIT with no fd stay charged until TIME_WAIT ends, then all goes back", () => {
    const N = 2000;
    const r = ghost(`/vt/hog churn ${N} 70`, MEM_MIB, [], ["--clock=virtual"]);
    assert.match(r.out, new RegExp(`churn made=${N} errno=0`));
    const m = /churn slab_kib before=(\d+) during=(\d+) after=(\d+)/.exec(r.out);
    assert.ok(m, r.out);
    const [before, during, after] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // At least 2 KiB for each connection in TIME_WAIT (on main: nothing).
    assert.ok(during - before >= N * 2, r.out);
    // Uncharged once each, neither kept nor given back twice.
    assert.ok(Math.abs(after - before) <= 16, r.out);
    bounded(r);
  });

  test("100,000 inet sockets under --mem=64M: the budget refuses them (ENOBUFS or ENFILE), each charged beside its file", () => {
    const r = ghost("/vt/hog socks 100000", 64);
    const m = /socks made=(\d+) errno=(\w+)/.exec(r.out);
    const s = /socks kept=(\d+) slab_kib before=(\d+) after=(\d+)/.exec(r.out);
    assert.ok(m && s, r.out);
    assert.match(m[2], /^(ENOBUFS|ENOMEM|ENFILE|EMFILE)$/, r.out);
    // A file (1 KiB) and a struct sock (2 KiB or more) each; on main only the file.
    assert.ok((Number(s[3]) - Number(s[2])) / Number(s[1]) >= 2.5, r.out);
    bounded(r);
  });

  // hostfs's dentries and inodes are charged and shrunk (fs/hostfs/dcache.ts):
  // before, every name a guest looked up on a host mount stayed in Node's
  // heap (about 2.8 KB each: 200,000 stats grew Node to 598 MiB under
  // --mem=32M), and mounting a directory read all its names at once.
  test("120,000 names stat'ed on a host mount under --mem=32M: the dentry cache is bounded and drop_caches empties it", () => {
    const h = join(dir, "names");
    fs.mkdirSync(h);
    const N = 120_000;
    for (let i = 0; i < N; i++) fs.closeSync(fs.openSync(join(h, `f${i}`), "w"));
    const r = ghost(`/vt/hog stat ${N} /h`, 32, [`${h}:/h`]);
    fs.rmSync(h, { recursive: true, force: true });
    assert.match(r.out, new RegExp(`stat made=${N} errno=0`));
    const m = /stat slab_before=(\d+) slab_after=(\d+) dropped=1/.exec(r.out);
    assert.ok(m, r.out);
    // Charged: under RAM; dropped: most of it goes.
    assert.ok(Number(m[1]) < 32 * 1024 && Number(m[1]) - Number(m[2]) > 4 * 1024, r.out);
    bounded(r);
  });

  // Found by the fuzzer (seed 103, batch 512): sendto of 1 GiB on a stream
  // socket copied the whole count into the host's heap before sending.
  test("send and sendmsg of 1 GiB on a stream socket copy a send buffer's worth, not the count", () => {
    const r = ghost("/vt/hog bigsend 1024");
    const m = /bigsend send=(\d+) +sendmsg=(\d+)/.exec(r.out);
    assert.ok(m, r.out);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 1 << 20, r.out);
    assert.ok(Number(m[2]) > 0 && Number(m[2]) <= 1 << 20, r.out);
    bounded(r);
  });

  // Under --mem=32M, so that the files run out in a few seconds.
  test("eventfds and epoll instances: a new file is ENFILE when the budget is spent", () => {
    const r = ghost("/vt/hog eventfd 400000; /vt/hog epoll 400000", 32);
    assert.match(r.out, /eventfd made=\d+ errno=ENFILE/);
    assert.match(r.out, /epoll made=\d+ errno=ENFILE/);
    bounded(r);
  });

  // Under --mem=32M. One file dup'ed and watched by many instances makes
  // items without new files: before they were charged, a million grew Node
  // by about 230 MiB with the budget untouched.
  test("epoll items are charged: EPOLL_CTL_ADD is ENOMEM when the budget is spent", () => {
    const r = ghost("/vt/hog epitems 400000", 32);
    const m = /epitems made=(\d+) errno=(\w+)/.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(m[2], "ENOMEM", r.out);
    assert.ok(Number(m[1]) > 50_000 && Number(m[1]) < 32 * 1024 * 1024 / 256, r.out);
    bounded(r);
  });

  // Under --mem=32M: 20 instances each queueing 16,000 events with 200-byte
  // names would hold about 100 MiB; before they were charged, all queued.
  test("inotify events are charged: the budget stops them (overflow, or ENFILE for the files making them)", () => {
    const r = ghost("mkdir /d && /vt/hog inotify 8000 /d", 32);
    const m = /inotify events=(\d+) overflow=(\d)/.exec(r.out);
    const made = /inotify made=(\d+) errno=(\w+)/.exec(r.out);
    assert.ok(m && made, r.out);
    assert.ok(Number(m[1]) < 16000, r.out);
    assert.ok(m[2] === "1" || /^(ENFILE|ENOMEM|ENOSPC)$/.test(made[2]), r.out);
    bounded(r);
  });

  test("/proc/meminfo and statfs follow tmpfs data; the OOM killer takes oom_score_adj 1000 first", () => {
    const r = ghost("grep -E '^(MemTotal|Shmem):' /proc/meminfo; df -k /tmp | tail -1; " +
      "dd if=/dev/zero of=/tmp/ten bs=1M count=10 2>/dev/null; grep '^Shmem:' /proc/meminfo; rm /tmp/ten; grep '^Shmem:' /proc/meminfo; " +
      "sleep 1000 & echo 1000 > /proc/$!/oom_score_adj; echo score=$(cat /proc/$!/oom_score); " +
      "echo -1001 > /proc/self/oom_score_adj || echo adj-einval; " +
      "/vt/hog anon 300; echo B=$?; wait $!; echo A=$?");
    assert.match(r.out, /MemTotal:\s+131072 kB/);
    const shmem = [...r.out.matchAll(/Shmem:\s+(\d+) kB/g)].map((m) => Number(m[1]));
    assert.equal(shmem.length, 3, r.out);
    assert.ok(shmem[1] - shmem[0] >= 10240 && shmem[1] - shmem[0] < 10240 + 64, `Shmem ${shmem}`);
    assert.equal(shmem[2], shmem[0]);
    assert.match(r.out, /^tmpfs\s+65536\s/m);
    assert.match(r.out, /score=13\d\d/); // (1000 + 1000 + its RSS share) * 2 / 3
    assert.match(r.out, /adj-einval/);
    assert.match(r.out, /write error: Invalid argument/);
    // The sleeper (oom_score_adj 1000) dies first, then the hog itself.
    assert.match(r.out, /killed process \d+ \(sleep\)[\s\S]*killed process \d+ \(hog\)/);
    assert.match(r.out, /B=137/);
    assert.match(r.out, /A=137/);
    bounded(r);
  });

  test("anonymous memory freed, then tmpfs; tmpfs deleted, then anonymous memory: one pool of frames", () => {
    const r = ghost("/vt/hog anon 200; mkdir /m && mount -t tmpfs -o size=0 none /m && /vt/hog fill /m/x 1000; " +
      "grep '^Shmem:' /proc/meminfo; rm /m/x; /vt/hog anon 220", FRAMES_MEM_MIB);
    assert.match(r.out, /anon made=200 errno=0/);
    const m = /fill made=(\d+) errno=(\w+)/.exec(r.out);
    assert.ok(m && Number(m[1]) > 200 && Number(m[1]) < 256, r.out);
    assert.ok(Number(/Shmem:\s+(\d+)/.exec(r.out)?.[1]) > 200 * 1024, r.out);
    assert.match(r.out, /anon made=220 errno=0/);
    withinFrames(r);
  });

  test("anonymous memory freed, then pipes, then AF_UNIX queues; a memfd written through MAP_SHARED holds its data once", () => {
    const r = ghost("/vt/hog anon 220; /vt/hog pipes 20000; /vt/hog unix 100000; /vt/hog memfd 200; /vt/hog memfdgone 64", FRAMES_MEM_MIB);
    assert.match(r.out, /anon made=220 errno=0/);
    const m = /pipes made=(\d+) errno=(ENOMEM|ENFILE)/.exec(r.out);
    assert.ok(m && Number(m[1]) > 3000, r.out);
    const u = /unix made=(\d+) errno=(ENOBUFS|ENOMEM|ENFILE)/.exec(r.out);
    assert.ok(u && Number(u[1]) > 3000, r.out);
    assert.match(r.out, /memfd check=ok/);
    assert.match(r.out, /memfd made=200 errno=0/);
    // A closed memfd lives in its mappings (its frames are Shmem) and goes with the last one.
    const g = /memfdgone check=(\w+) shmem_mapped=(\d+) shmem_after=(\d+)/.exec(r.out);
    assert.ok(g, r.out);
    assert.equal(g[1], "ok");
    assert.ok(Number(g[2]) - Number(g[3]) >= 64 * 1024 && Number(g[2]) - Number(g[3]) < 64 * 1024 + 256, r.out);
    withinFrames(r);
  });
});
