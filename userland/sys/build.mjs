#!/usr/bin/env node
// Cross-compiles every userland/sys/*.c (system information, clocks, randomness, hints, terminals) into build/userland-sys/<name>
// as a static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/sys/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "sys", out: "userland-sys", cflags: [] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
