#!/usr/bin/env node
// Cross-compiles every userland/tests3/*.c into build/userland3/<name> as a
// static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/tests3/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "tests3", out: "userland3", cflags: ["-pthread"], headerDirs: ["tests3", "tests"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
