// A short fixed-seed run of the syscall fuzzer (scripts/fuzz.mjs with
// userland/fuzz/fuzz.c): 20,000 random syscalls with biased arguments, then
// 300 mutated ELF executables, under Ghost. Any oops (a JavaScript exception
// escaping the kernel), any hang (no output for the watchdog's time), a
// kernel that dies, or a Ghost process whose RSS passes its bound fails
// the test (see below for the RSS bound); the driver's output then
// holds the shrunk reproduction.
//
//   npx tsc -p tsconfig.json && node --test dist/test/fuzz/fuzz.test.js
//
// Environment: FUZZ_SYSCALLS (default 20000), FUZZ_SEED (default 1).
// The structured modes are heavier and run only when asked for:
// FUZZ_STRUCT=N runs N structured ops (userland/fuzz/sfuzz.h, every kind)
// and FUZZ_FRAMES=N about N random Ethernet frames into eth0
// (scripts/fuzz-frames.mjs); README's "Fuzzing" gives their long runs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("scripts/fuzz.mjs", "userland/fuzz");
const syscalls = Number(process.env.FUZZ_SYSCALLS ?? 20_000);
const seed = Number(process.env.FUZZ_SEED ?? 1);

interface Summary { syscalls: number; batches: number; oopses: number; hangs: number; crashes: number; peakRssMiB: number; rssLimitMiB: number }

function fuzz(args: string[], script = "scripts/fuzz.mjs"): Promise<{ status: number | null; out: string; summary: Summary | null }> {
  const dir = mkdtempSync(join(tmpdir(), "ghost-fuzz-test-"));
  const json = join(dir, "summary.json");
  return new Promise((resolve) => {
    // The driver ends its own Ghost runs (watchdog); this timeout only bounds a driver that itself hangs.
    const child = spawn(process.execPath, [join(root, script), ...args, "--json", json, "--out", dir], {
      cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 14 * 60_000, killSignal: "SIGKILL",
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("close", (status) => {
      const summary = existsSync(json) ? (JSON.parse(readFileSync(json, "utf8")) as Summary) : null;
      rmSync(dir, { recursive: true, force: true });
      resolve({ status, out, summary });
    });
  });
}

function check(r: Awaited<ReturnType<typeof fuzz>>, what: string): Summary {
  const s = r.summary;
  assert.ok(s, `${what}: no summary; output:\n${r.out.slice(-4000)}`);
  assert.equal(s.oopses, 0, `${what}: oopses:\n${r.out.slice(-6000)}`);
  assert.equal(s.hangs, 0, `${what}: hangs:\n${r.out.slice(-6000)}`);
  assert.equal(s.crashes, 0, `${what}: the kernel died:\n${r.out.slice(-6000)}`);
  assert.ok(s.peakRssMiB <= s.rssLimitMiB, `${what}: peak RSS ${s.peakRssMiB} MiB past ${s.rssLimitMiB} MiB`);
  assert.equal(r.status, 0, `${what}: exit status ${r.status}:\n${r.out.slice(-4000)}`);
  return s;
}

test(`fuzz: ${syscalls} syscalls, seed ${seed}`, { timeout: 15 * 60_000 }, async () => {
  // The watchdog is generous: CI is a loaded 2-core machine. The RSS bound
  // is the driver's default, Ghost's memory bound (--mem + 300 MiB).
  const r = await fuzz(["--syscalls", String(syscalls), "--seed", String(seed), "--seconds", "100000", "--batch", "128", "--hang", "120"]);
  const s = check(r, "syscalls");
  assert.ok(s.syscalls >= syscalls * 0.5, `only ${s.syscalls} syscalls were issued:\n${r.out.slice(-3000)}`);
});

test(`fuzz: 300 mutated ELF files, seed ${seed}`, { timeout: 15 * 60_000 }, async () => {
  const r = await fuzz(["--elf", "--chunk", "300", "--seconds", "1", "--seed", String(seed), "--hang", "120"]);
  const s = check(r, "ELF");
  assert.equal(s.batches, 300, `${s.batches} of 300 ELF files were tried:\n${r.out.slice(-3000)}`);
});

const structOps = Number(process.env.FUZZ_STRUCT ?? 0);
test(`fuzz: ${structOps} structured ops, seed ${seed}`, { timeout: 15 * 60_000, skip: structOps ? false : "FUZZ_STRUCT is not set" }, async () => {
  const r = await fuzz(["--struct", "all", "--syscalls", String(structOps), "--seed", String(seed), "--seconds", "100000", "--batch", "64", "--chunk", "50", "--hang", "120"]);
  const s = check(r, "structured");
  assert.ok(s.syscalls >= structOps * 0.5, `only ${s.syscalls} ops were issued:\n${r.out.slice(-3000)}`);
});

const frames = Number(process.env.FUZZ_FRAMES ?? 0);
test(`fuzz: ${frames} Ethernet frames into eth0, seed ${seed}`, { timeout: 15 * 60_000, skip: frames ? false : "FUZZ_FRAMES is not set" }, async () => {
  const batches = Math.max(1, Math.ceil(frames / 200));
  const r = await fuzz(["--seconds", "1", "--chunk", String(batches), "--batch", "200", "--seed", String(seed), "--hang", "120"], "scripts/fuzz-frames.mjs");
  const s = check(r, "frames") as Summary & { frames: number };
  assert.ok(s.frames >= frames, `only ${s.frames} frames were injected:\n${r.out.slice(-3000)}`);
});
