#!/usr/bin/env node
// Cross-compiles every userland/proc/*.c (processes, threads, signals, credentials, limits) into build/userland-proc/<name>
// as a static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/proc/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "proc", out: "userland-proc", cflags: ["-pthread"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
