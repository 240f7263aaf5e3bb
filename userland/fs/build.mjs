#!/usr/bin/env node
// Cross-compiles every userland/fs/*.c (the VFS, filesystems, pipes and event I/O) into build/userland-fs/<name>
// as a static riscv64 Linux executable (see ../build.mjs).
//
//   node userland/fs/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "fs", out: "userland-fs", cflags: ["-Wno-format-truncation", "-pthread"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
