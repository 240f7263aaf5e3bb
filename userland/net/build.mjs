#!/usr/bin/env node
// Cross-compiles every userland/net/*.c (the socket tests of the inet stack)
// into build/userland-net/<name> as a static riscv64 Linux executable (see
// ../build.mjs).
//
//   node userland/net/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({
  src: "net",
  out: "userland-net",
  cflags: ["-Wno-format-truncation", "-pthread"],
  headerDirs: ["net"],
});
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
