// The CPU benchmarks bench/run.ts knows: every bench/programs/*.c (one file,
// its whole output compared across runners), real programs of build/dynroot
// when it is there (python3's start-up and a pure-Python loop), and CoreMark (bench/coremark/,
// EEMBC's sources vendored unchanged with their license, built with the
// POSIX port), whose output carries its own timing: only the lines that
// check its work are compared, and its Iterations/Sec is reported.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";

export interface Program {
  name: string;
  sources: string[];
  flags: string[]; // compiler flags on top of run.ts's common ones
  args: string[];
  binTag: string; // distinguishes builds with different flags (part of the binary's name)
  // The part of the output every runner must print identically.
  compared(out: string): string;
  // The program's own figure of merit, if it prints one (CoreMark: iterations/s).
  rate?(out: string): number | undefined;
  rateUnit?: string;
  // A real program of a root filesystem (no sources): the path inside `root`
  // (relative to the repository). Ghost runs it with --root, qemu with -L;
  // there is no native column.
  guest?: { root: string; path: string };
}

// Real-code workloads: Debian's riscv64 python3 from build/dynroot (scripts/dynroot.sh).
export const DYNROOT = "build/dynroot";
const PY_LOOP = "x = 0\nfor i in range(300000): x += i * i % 7\nprint(x)";
// A program of a root filesystem (no sources to build).
function guestProgram(root: string, name: string, path: string, args: string[], compared = (s: string) => s): Program {
  return { name, sources: [], flags: [], args, binTag: "", compared, guest: { root, path } };
}

function realPrograms(root: string): Program[] {
  if (!existsSync(join(root, DYNROOT, "usr", "bin", "python3"))) return [];
  return [
    guestProgram(DYNROOT, "python3-start", "/usr/bin/python3", ["-c", "pass"]),
    guestProgram(DYNROOT, "python3-loop", "/usr/bin/python3", ["-c", PY_LOOP]),
  ];
}

// More of Debian's programs, from build/benchroot (scripts/benchroot.sh), each
// one process (qemu-user cannot follow an execve to another riscv64 program
// without binfmt_misc): what the users run, not loops of our own.
export const BENCHROOT = "build/benchroot";
const PY_IMPORTS = "import json, re, decimal, fractions, email.parser, http.client, argparse, csv, sqlite3, unittest, " +
  "xml.dom.minidom, zipfile; print('imported')";
const SQL = "create table t(a, b); with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000) " +
  "insert into t select x, x * x % 1000 from c; create index tb on t(b); select count(*), sum(b), count(distinct b) from t;";
const PERL_LOOP = "my $s = 0; for my $i (1..300000) { $s += $i * $i % 7 } print \"$s\\n\";";
const digest = (s: string) => `${s.length} bytes, sha256 ${createHash("sha256").update(s).digest("hex")}`;
function benchrootPrograms(root: string): Program[] {
  if (!existsSync(join(root, BENCHROOT, "usr", "bin", "python3"))) return [];
  const real = (name: string, path: string, args: string[], compared?: (s: string) => string) =>
    guestProgram(BENCHROOT, name, path, args, compared);
  const newest = (dir: string, re: RegExp) => readdirSync(join(root, BENCHROOT, dir)).filter((n) => re.test(n)).sort().pop();
  const pyLib = `/usr/lib/${newest("usr/lib", /^python3\.\d+$/) ?? "python3"}`;
  const cc1 = `/usr/libexec/gcc/riscv64-linux-gnu/${newest("usr/libexec/gcc/riscv64-linux-gnu", /^\d+$/) ?? "16"}/cc1`;
  return [
    real("python3-import", "/usr/bin/python3", ["-c", PY_IMPORTS]),
    real("sqlite3", "/usr/bin/sqlite3", [":memory:", SQL]),
    real("perl-loop", "/usr/bin/perl", ["-e", PERL_LOOP]),
    real("xz", "/usr/bin/xz", ["-6", "-T1", "-c", `${pyLib}/pydoc_data/topics.py`], digest),
    real("openssl-sha256", "/usr/bin/openssl", ["dgst", "-sha256", cc1]),
    // The C compiler proper (what `gcc -O2 -c` spends its time in), on CoreMark's list code.
    real("gcc-cc1", cc1, ["-quiet", "-O2", "-march=rv64gc", "-mabi=lp64d", "-imultiarch", "riscv64-linux-gnu", "-I/root",
      "/root/core_list_join.c", "-o", "-"], digest),
  ];
}

// CoreMark's iteration count is fixed at build time (so every runner does the
// same work): about 15 s under qemu-riscv64 on the 2-core CI machine.
export const COREMARK_ITERATIONS = 80000;

export function programs(root: string, argOf: (name: string) => string | undefined): Program[] {
  const dir = join(root, "bench", "programs");
  const out: Program[] = readdirSync(dir)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => {
      const name = basename(f, ".c");
      const a = argOf(name);
      return { name, sources: [join(dir, f)], flags: [], args: a ? [a] : [], binTag: "", compared: (s) => s };
    });
  const cm = join(root, "bench", "coremark");
  const iterations = Number(argOf("coremark") ?? COREMARK_ITERATIONS);
  out.push({
    name: "coremark",
    sources: ["core_list_join.c", "core_main.c", "core_matrix.c", "core_state.c", "core_util.c", "core_portme.c"]
      .map((f) => join(cm, f)),
    flags: [
      `-I${cm}`, "-DPERFORMANCE_RUN=1", "-DSEED_METHOD=SEED_VOLATILE", `-DITERATIONS=${iterations}`,
      `-DFLAGS_STR="-O2"`,
    ],
    args: [],
    binTag: `-${iterations}`,
    // The seeds and the CRCs of the list, matrix and state work; not the timing
    // lines, nor the verdict, which a run shorter than 10 s turns into an error.
    compared: (s) => s.split("\n").filter((l) => /crc|^CoreMark Size|^Iterations  /.test(l)).join("\n"),
    rate: (s) => {
      const m = /^Iterations\/Sec\s*:\s*([0-9.]+)/m.exec(s);
      return m ? Number(m[1]) : undefined;
    },
    rateUnit: "iterations/s",
  });
  out.push(...realPrograms(root), ...benchrootPrograms(root));
  return out;
}
