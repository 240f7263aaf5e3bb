// Shared by the disk and ext4 tests: running a busybox script under Ghost
// with disks attached, host images made with mke2fs, and e2fsck's verdict.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

export const root = findRoot("dist/src/cli/main.js");
export const cli = join(root, "dist", "src", "cli", "main.js");

export interface GhostResult { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null }

// `ghost run [opts] busybox sh -c script`, with a generous watchdog (SIGKILL).
export function ghostSh(script: string, opts: string[] = [], timeoutMs = 120_000): GhostResult {
  const r = spawnSync(process.execPath, [cli, "run", ...opts, "busybox", "sh", "-c", script], {
    cwd: root, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", env: { ...process.env, GHOST_KLOG: "0" },
  });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status, signal: r.signal };
}

// A host command, checked; its stdout.
export function host(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, timeout: 60_000, killSignal: "SIGKILL" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.status}\n${r.stderr}`);
  return r.stdout;
}

// e2fsck -fn: its exit status (0 = clean) and output.
export function fsck(image: string): { status: number | null; out: string } {
  const r = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
  return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

export function scratchDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ghost-ext4-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export const haveE2fsprogs = spawnSync("mke2fs", ["-V"], { timeout: 10_000, killSignal: "SIGKILL" }).status === 0;

// Runs `ghost run [opts] busybox sh -c script` until its output shows
// `marker`, then kills Ghost with SIGKILL (a crash); its output.
export function runUntil(script: string, marker: string, opts: string[] = []): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, "run", ...opts, "busybox", "sh", "-c", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let killed = false;
    c.stdout.on("data", (d) => {
      out += d;
      if (!killed && out.includes(marker)) { killed = true; c.kill("SIGKILL"); }
    });
    c.stderr.resume();
    const watchdog = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("exit", () => { clearTimeout(watchdog); resolve(out); });
  });
}
