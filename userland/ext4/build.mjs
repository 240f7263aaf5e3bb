#!/usr/bin/env node
// Cross-compiles every userland/ext4/*.c (programs run on an ext4 disk by
// test/fs/ext4-*.test.ts, with the mount point as their argument) into
// build/userland-ext4/<name>.
//
//   node userland/ext4/build.mjs [--force] [-j N] [NAME...]
import { isMain, userlandSet } from "../build.mjs";

const set = userlandSet({ src: "ext4", out: "userland-ext4", cflags: ["-Wno-format-truncation"], headerDirs: ["ext4"] });
export const { CC, CFLAGS, listPrograms, buildUserland } = set;

if (isMain(import.meta.url)) set.main(process.argv.slice(2));
