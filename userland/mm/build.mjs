#!/usr/bin/env node
// Cross-compiles every userland/mm/*.c (memory-management test programs)
// into build/userland-mm/<name> as a static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/mm/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "mm", out: "userland-mm", cflags: ["-pthread"], headerDirs: ["mm"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
