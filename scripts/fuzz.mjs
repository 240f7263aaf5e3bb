#!/usr/bin/env node
// The syscall fuzzer's host half: runs userland/fuzz/fuzz.c under Ghost in
// chunks of batches, with a watchdog (a hang is no output for --hang
// seconds), an RSS sampler of the Ghost process, and a scan of its stderr
// for oopses; a failing batch is shrunk (delta debugging over its recorded
// syscalls, each candidate replayed under a fresh Ghost) to a minimal list,
// printed as a C reproduction and saved in --out.
//
//   npm run fuzz -- --seconds N --seed S [options]
//
//   --seconds N      stop starting new chunks after N seconds (default 60)
//   --syscalls N     stop once N syscalls were issued (default: no limit)
//   --seed S         base seed (default 1); batch i's world and calls follow from (S, i)
//   --first I        first batch index (default 0)
//   --batch N        syscalls per batch (default 64)
//   --chunk N        batches per Ghost run (default 200)
//   --mem SIZE       guest memory, Ghost's --mem (default 256M)
//   --rss-limit MB   peak host RSS allowed for the Ghost process (default: --mem + 300 MiB, the memory bound)
//   --hang SECS      no output for this long is a hang (default 60)
//   --elf            ELF mutator mode: exec mutated minimal ELF files instead of random syscalls
//   --struct KINDS   structured mode (userland/fuzz/sfuzz.h): "all" or a comma list of
//                    nl,sock,cmsg,ioctl,sig,ptrace,prctl,raw; --batch counts ops. A 1 MiB
//                    scratch disk is /dev/vda for the ioctls.
//   --no-shrink      report failures without shrinking them
//   --out DIR        where reproductions go (default build/fuzz)
//   --json FILE      also write the summary as JSON
//
// Exit status 0 when no oops, no hang, no kernel crash and RSS stayed under the limit.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFuzzArgs } from "./lib/fuzzopts.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  return parseFuzzArgs(argv, { syscalls: Infinity, batch: 64, chunk: 200, elf: false, struct: "", out: join(root, "build", "fuzz") }, {
    "--syscalls": (o, next) => { o.syscalls = Number(next()); },
    "--elf": (o) => { o.elf = true; },
    "--struct": (o, next) => { o.struct = next(); },
  });
}

const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const cpio = join(root, "build", "rootfs.cpio");

/** RSS in MiB of a process, or 0 when it is gone. */
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * One Ghost run of the guest fuzzer. Resolves to { lines-derived state, failure }:
 * failure is null, or { kind: "oops"|"hang"|"crash", what, batch } where batch
 * is { index, seed, calls: [[nr, a0..a5] as hex strings] } when known.
 */
function runGhost(o, scratch, guestArgs, hangSecs, stats) {
  return new Promise((resolve) => {
    const disk = o.struct ? [`--disk=${join(scratch, "vda.img")}`] : [];
    const args = [ghostCli, "run", `--root=${cpio}`, `--mem=${o.mem}`, ...disk, "--", "./fuzz", ...guestArgs];
    const child = spawn(process.execPath, args, { cwd: scratch, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const batches = new Map(); // pid -> batch
    let current = null;
    let lastBatch = null;
    let calls = 0;
    let done = false;
    let stderr = "";
    let partial = "";
    let last = Date.now();
    let failure = null;
    let elfSummary = "";
    const killAll = () => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } };
    const onLine = (line) => {
      const f = line.split(" ");
      switch (f[0]) {
        case "B":
          current = { index: Number(f[1]), pid: Number(f[2]), seed: f[3], calls: [] };
          batches.set(current.pid, current);
          if (batches.size > 4) batches.delete(batches.keys().next().value);
          stats.batches++;
          break;
        case "S":
          if (current) { current.calls.push(f.slice(1, 8)); current.last = f.slice(1, 8); }
          calls++;
          break;
        case "C": // one syscall of a structured op (the op itself is its "S o" line)
          if (current) current.last = f.slice(1, 8);
          break;
        case "E":
          lastBatch = current;
          current = null;
          break;
        case "D":
          done = true;
          if (f[2]) elfSummary = f.slice(2).join(" ");
          break;
      }
    };
    child.stdout.setEncoding("latin1").on("data", (d) => {
      last = Date.now();
      const parts = (partial + d).split("\n");
      partial = parts.pop();
      for (const l of parts) onLine(l);
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
      const m = /oops in (\S+) \(pid (\d+)\)|oops \(pid (\d+), trap (\d+)\)/.exec(stderr);
      if (m && !failure) {
        const pid = Number(m[2] ?? m[3]);
        const b = batches.get(pid) ?? current;
        failure = { kind: "oops", what: m[1] ?? `trap ${m[4]}`, batch: b, detail: stderr.slice(m.index, m.index + 2000) };
      }
    });
    const timer = setInterval(() => {
      const r = rssMiB(child.pid);
      if (r > stats.peakRss) {
        // Which syscall was in flight when the peak grew past the limit: the likely culprit.
        if (r > o.rssLimit && stats.peakRss <= o.rssLimit) stats.rssCulprit = current?.last?.join(" ") ?? "(none)";
        stats.peakRss = r;
      }
      if (Date.now() - last > hangSecs * 1000 && !failure) {
        failure = { kind: "hang", what: current?.last ? `syscall ${current.last.join(" ")}` : "no output", batch: current };
        killAll();
      }
    }, 250);
    child.on("close", (status, signal) => {
      clearInterval(timer);
      killAll();
      if (partial) onLine(partial);
      if (!failure && (!done || status !== 0)) {
        failure = { kind: "crash", what: `ghost exited ${status ?? signal} before the run ended`, batch: current ?? lastBatch, detail: stderr.slice(-3000) };
      }
      stats.calls += calls;
      resolve({ failure, calls, elfSummary, stderr });
    });
  });
}

/** Replays `calls` with the world of `seed`; true when `same` says the failure came back. */
async function reproduces(o, scratch, seed, calls, same) {
  writeFileSync(join(scratch, "replay.txt"), calls.map((c) => c.join(" ")).join("\n") + "\n");
  const stats = { batches: 0, calls: 0, peakRss: 0 };
  const r = await runGhost(o, scratch, ["replay", seed, "replay.txt"], Math.min(o.hang, 20), stats);
  return r.failure !== null && same(r.failure);
}

/** Delta debugging (ddmin): a 1-minimal sublist of `calls` that still fails. */
async function shrink(o, scratch, seed, calls, same, log) {
  let list = calls;
  // Most oopses need only the call that raised them: try it alone first.
  if (list.length > 1 && (await reproduces(o, scratch, seed, [list.at(-1)], same))) return [list.at(-1)];
  let n = 2;
  while (list.length >= 2) {
    const size = Math.ceil(list.length / n);
    let reduced = false;
    for (let i = 0; i < n && !reduced; i++) {
      const complement = [...list.slice(0, i * size), ...list.slice((i + 1) * size)];
      if (complement.length && (await reproduces(o, scratch, seed, complement, same))) {
        list = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        log(`  shrink: ${list.length} calls`);
      }
    }
    if (!reduced) {
      if (n >= list.length) break;
      n = Math.min(list.length, 2 * n);
    }
  }
  return list;
}

// The structured ops' kinds, by number (sfuzz.h's sfz_kinds).
const opKinds = ["nl", "sock", "cmsg", "ioctl", "sig", "ptrace", "prctl", "raw"];

function reproC(o, seed, batchIndex, failure, calls) {
  const structured = calls.some((c) => c[0] === "o");
  const lines = [
    `/* Ghost fuzzer reproduction: ${failure.kind} in ${failure.what}`,
    ` * (seed ${o.seed}, batch ${batchIndex}, world seed 0x${seed}). Build with -I userland/fuzz. */`,
    `#include "fuzz.h"`,
    ...(structured ? [`#include "sfuzz.h"`] : []),
    ``,
    `int main(void)`,
    `{`,
    `    if (fz_map() != 0)`,
    `        return 2;`,
    `    fz_setup(0x${seed}ULL);`,
    ...(structured ? [`    sfz_setup();`] : []),
    ...calls.map((c) => c[0] === "o"
      ? `    fz_op(0x${c[1]}, 0x${c[2]}ULL); /* ${opKinds[parseInt(c[1], 16)]} */`
      : `    syscall(${c.map((x) => `0x${x}UL`).join(", ")});`),
    `    return 0;`,
    `}`,
  ];
  return lines.join("\n") + "\n";
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (s) => process.stdout.write(s + "\n");
  const b = spawnSync(process.execPath, [join(root, "userland/fuzz/build.mjs"), "fuzz"], { encoding: "utf8" });
  if (b.status !== 0) throw new Error(`building the fuzzer failed:\n${b.stderr}`);
  if (!existsSync(ghostCli)) throw new Error(`Ghost is not built (${ghostCli})`);
  if (!existsSync(cpio)) throw new Error(`no root filesystem archive (${cpio}): run scripts/prepare.sh`);
  // Ghost runs in a scratch directory: the host directory it can reach is this one alone.
  const scratch = mkdtempSync(join(tmpdir(), "ghost-fuzz-"));
  copyFileSync(join(root, "build/userland-fuzz/fuzz"), join(scratch, "fuzz"));
  if (o.struct) writeFileSync(join(scratch, "vda.img"), new Uint8Array(1 << 20));
  mkdirSync(o.out, { recursive: true });
  const stats = { batches: 0, calls: 0, peakRss: 0 };
  const failures = [];
  const start = Date.now();
  let first = o.first;
  let runs = 0;
  let elfSummaries = [];
  log(`fuzz: ${o.elf ? "ELF mutator" : o.struct ? `structured ops (${o.struct})` : "syscalls"}, seed ${o.seed}, batches of ${o.batch}, ${o.chunk} per run, --mem ${o.mem}, RSS limit ${o.rssLimit} MiB`);
  try {
    while ((Date.now() - start) / 1000 < o.seconds && stats.calls < o.syscalls) {
      const chunk = o.elf ? o.chunk : Math.max(1, Math.min(o.chunk, Math.ceil((o.syscalls - stats.calls) / o.batch)));
      const guest = o.elf
        ? ["elf", String(o.seed), String(first), String(chunk), "./m.elf"]
        : o.struct ? ["struct", o.struct, String(o.seed), String(first), String(chunk), String(o.batch)]
        : ["run", String(o.seed), String(first), String(chunk), String(o.batch)];
      const r = await runGhost(o, scratch, guest, o.hang, stats);
      runs++;
      if (r.elfSummary) elfSummaries.push(r.elfSummary);
      log(`fuzz: run ${runs}: batches ${first}..${first + chunk - 1}, ${stats.calls} syscalls so far, ` +
        `${Math.round((Date.now() - start) / 1000)} s, peak RSS ${Math.round(stats.peakRss)} MiB`);
      const f = r.failure;
      if (f) {
        const bi = f.batch?.index ?? first;
        log(`fuzz: ${f.kind.toUpperCase()} in ${f.what} (batch ${bi})`);
        if (f.detail) log(f.detail.split("\n").slice(0, 12).map((l) => "  | " + l).join("\n"));
        const entry = { kind: f.kind, what: f.what, batch: bi };
        if (f.batch && !o.elf) {
          const same = (g) => g.kind === f.kind && (f.kind !== "oops" || g.what === f.what);
          const calls = o.shrink ? await shrink(o, scratch, f.batch.seed, f.batch.calls, same, log) : f.batch.calls;
          const c = reproC(o, f.batch.seed, bi, f, calls);
          const file = join(o.out, `repro-${o.seed}-${bi}.c`);
          writeFileSync(file, c);
          log(`fuzz: ${calls.length} call(s) reproduce it; ${file}:\n${c}`);
          entry.repro = file;
        } else if (o.elf && existsSync(join(scratch, "m.elf"))) {
          const file = join(o.out, `elf-${o.seed}-${bi}.elf`);
          copyFileSync(join(scratch, "m.elf"), file);
          log(`fuzz: the mutated ELF is ${file} (regenerate: fuzz elf ${o.seed} ${bi} 1)`);
          entry.repro = file;
        }
        failures.push(entry);
        first = bi + 1; // go on after the failing batch
      } else {
        first += chunk;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const secs = (Date.now() - start) / 1000;
  const count = (k) => failures.filter((f) => f.kind === k).length;
  const summary = {
    mode: o.elf ? "elf" : o.struct ? `struct ${o.struct}` : "syscalls", seed: o.seed, firstBatch: o.first, nextBatch: first, runs, batches: stats.batches,
    syscalls: stats.calls, seconds: Math.round(secs), oopses: count("oops"), hangs: count("hang"), crashes: count("crash"),
    peakRssMiB: Math.round(stats.peakRss), rssLimitMiB: o.rssLimit, mem: o.mem, failures,
    ...(stats.rssCulprit ? { rssPastLimitDuring: stats.rssCulprit } : {}),
  };
  if (o.elf) summary.elf = elfSummaries;
  log(`fuzz: ${summary.syscalls} syscalls in ${summary.batches} batches (${runs} Ghost runs, ${summary.seconds} s): ` +
    `${summary.oopses} oopses, ${summary.hangs} hangs, ${summary.crashes} crashes; peak RSS ${summary.peakRssMiB} MiB (limit ${o.rssLimit} MiB)`);
  if (o.elf) log(`fuzz: ELF ${elfSummaries.join("; ")}`);
  if (stats.rssCulprit) log(`fuzz: RSS passed the limit during syscall ${stats.rssCulprit} (nr a0..a5, hex)`);
  if (o.json) writeFileSync(o.json, JSON.stringify(summary, null, 2) + "\n");
  const ok = failures.length === 0 && stats.peakRss <= o.rssLimit;
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`fuzz: ${e.message}\n`);
  process.exitCode = 2;
});
