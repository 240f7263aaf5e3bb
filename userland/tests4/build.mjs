#!/usr/bin/env node
// Cross-compiles every userland/tests4/*.c into build/userland4/<name> as a
// static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/tests4/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({
  src: "tests4",
  out: "userland4",
  cflags: ["-Wno-format-truncation", "-pthread"],
  headerDirs: ["tests4", "tests"],
});
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
