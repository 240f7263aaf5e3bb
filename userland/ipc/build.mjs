#!/usr/bin/env node
// Cross-compiles every userland/ipc/*.c (System V and POSIX IPC, unix sockets) into build/userland-ipc/<name>
// as a static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/ipc/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "ipc", out: "userland-ipc", cflags: ["-pthread"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
