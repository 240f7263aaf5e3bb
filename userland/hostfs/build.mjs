#!/usr/bin/env node
// Cross-compiles every userland/hostfs/*.c (hostfs containment programs, run
// by test/fs/hostfs-containment.test.ts) into build/userland-hostfs/<name>.
//
//   node userland/hostfs/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({
  src: "hostfs",
  out: "userland-hostfs",
  cflags: ["-Wno-format-truncation"],
  headerDirs: ["hostfs"],
});
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
