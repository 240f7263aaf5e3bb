// Disk workloads (issue 11): sequential write and read, many small files
// created, a tar extracted — run by busybox under Ghost on an ext4 image
// (mke2fs's defaults, 4 KiB blocks, --disk), under Ghost on tmpfs, and
// under qemu-riscv64 on the host's own filesystem (no loop device: the
// same binary on a host directory). Under Ghost each time is busybox
// `time` inside the run, so boot is not counted; under qemu-riscv64 it is
// the process's wall time.
//
//   npx tsc -p tsconfig.json && node dist/bench/disk.js [--json]
//   BENCH_DISK_MB=256 BENCH_DISK_FILES=10000 node dist/bench/disk.js   (the sizes)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { findRoot } from "../test/helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cli = join(root, "dist", "src", "cli", "main.js");
const busybox = join(root, "build", "rootfs", "bin", "busybox");
const MB = Number(process.env.BENCH_DISK_MB ?? 64);
const FILES = Number(process.env.BENCH_DISK_FILES ?? 2000);

// Each workload: a name and a busybox applet's arguments, with D the
// directory under test and H the host inputs. Under qemu-riscv64 each runs
// as its own process (an applet cannot exec a riscv64 busybox there).
const WORKLOADS: [string, string[]][] = [
  [`write ${MB} MiB (fsync)`, ["dd", "if=/dev/zero", "of=D/big", "bs=1048576", `count=${MB}`, "conv=fsync"]],
  [`read ${MB} MiB`, ["dd", "if=D/big", "of=/dev/null", "bs=1048576"]],
  [`create ${FILES} files`, ["awk", "-v", "d=D/many", `BEGIN { for (i = 1; i <= ${FILES}; i++) { f = d "/f" i; printf "x" > f; close(f) } }`]],
  ["extract tar (600 files)", ["tar", "-xf", "H/tree.tar", "-C", "D/x"]],
];

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
const fill = (args: string[], d: string, h: string) => args.map((a) => a.replace(/\bD\//, `${d}/`).replace(/\bH\//, `${h}/`));

// One guest script timing every workload with busybox's time: "T i 0m1.23s" lines.
function script(dir: string, hostDir: string): string {
  return [`mkdir -p ${dir}/many ${dir}/x`, ...WORKLOADS.map(([, args], i) =>
    `echo "T ${i} $( { time busybox ${fill(args, dir, hostDir).map(quote).join(" ")} 2>&1; } 2>&1 | awk '/^real/ { print $2 $3 }')"`)].join("\n");
}

function seconds(t: string): number {
  const m = /^(\d+)m\s*([\d.]+)s$/.exec(t.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

function parse(out: string): number[] {
  const times: number[] = WORKLOADS.map(() => NaN);
  for (const line of out.split("\n")) {
    const m = /^T (\d+) (.*)$/.exec(line);
    if (m) times[Number(m[1])] = seconds(m[2]);
  }
  return times;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 1_800_000, killSignal: "SIGKILL", maxBuffer: 1 << 24 });
  if (r.status !== 0) process.stderr.write(`${cmd} ${args.slice(0, 3).join(" ")}: status ${r.status}\n${r.stderr}`);
  return r.stdout ?? "";
}

function main(): number {
  const json = process.argv.includes("--json");
  const dir = mkdtempSync(join(tmpdir(), "ghost-bench-disk-"));
  try {
    // The tar: 600 files of 0-8 KiB in 6 directories.
    const src = join(dir, "src");
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(src, `d${d}`, `f${f}`), Buffer.alloc((d * 100 + f) * 37 % 8192, 0x61 + d));
    }
    run("tar", ["-cf", join(dir, "tree.tar"), "-C", src, "."]);
    const img = join(dir, "disk.img");
    run("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", img, `${Math.max(256, MB * 2 + 128)}M`]);
    const hostRun = join(dir, "hostrun");
    mkdirSync(hostRun);
    const load = loadavg()[0].toFixed(1);
    const ext4 = parse(run(process.execPath, [cli, "run", `--disk=${img}`, "-v", `${dir}:/h`, "busybox", "sh", "-c",
      `mount -t ext4 /dev/vda /mnt || exit 1\n${script("/mnt", "/h")}\ncd /; umount /mnt`]));
    const tmpfs = parse(run(process.execPath, [cli, "run", "-v", `${dir}:/h`, "busybox", "sh", "-c", `mkdir -p /tmp/b\n${script("/tmp/b", "/h")}`]));
    mkdirSync(join(hostRun, "many"));
    mkdirSync(join(hostRun, "x"));
    const qemu = WORKLOADS.map(([, args]) => {
      const start = process.hrtime.bigint();
      run("qemu-riscv64", [busybox, ...fill(args, hostRun, dir)]);
      return Number(process.hrtime.bigint() - start) / 1e9;
    });
    const check = spawnSync("e2fsck", ["-fn", img], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    const rows = WORKLOADS.map(([name], i) => ({
      workload: name, ext4: ext4[i], tmpfs: tmpfs[i], qemu: qemu[i],
      ext4VsTmpfs: ext4[i] / tmpfs[i], ext4VsQemu: ext4[i] / qemu[i], tmpfsVsQemu: tmpfs[i] / qemu[i],
    }));
    if (json) process.stdout.write(JSON.stringify({ loadavg: Number(load), e2fsckClean: check.status === 0, rows }, null, 2) + "\n");
    else {
      const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");
      process.stdout.write(`Disk workloads (seconds; load average ${load}; host e2fsck -fn after: ${check.status === 0 ? "clean" : "NOT clean"})\n`);
      process.stdout.write(`${"workload".padEnd(26)}${"ext4".padStart(8)}${"tmpfs".padStart(8)}${"qemu".padStart(8)}${"ext4/tmpfs".padStart(12)}${"ext4/qemu".padStart(11)}${"tmpfs/qemu".padStart(12)}\n`);
      for (const r of rows) {
        process.stdout.write(`${r.workload.padEnd(26)}${f(r.ext4).padStart(8)}${f(r.tmpfs).padStart(8)}${f(r.qemu).padStart(8)}${f(r.ext4VsTmpfs).padStart(12)}${f(r.ext4VsQemu).padStart(11)}${f(r.tmpfsVsQemu).padStart(12)}\n`);
      }
    }
    return check.status === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
