#!/usr/bin/env node
// Cross-compiles userland/fuzz/*.c (the syscall fuzzer and the regression
// program of the oopses it found) into build/userland-fuzz/<name> as static
// riscv64 Linux executables (see ../build.mjs).
//
//   node userland/fuzz/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({
  src: "fuzz",
  out: "userland-fuzz",
  cflags: ["-Wno-format-truncation"],
  headerDirs: ["fuzz"],
});
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
