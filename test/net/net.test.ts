// Tests for the inet stack (issue #10): the self-checking C programs of
// userland/net/ run under qemu-riscv64, where the host's real Linux stack
// answers (the oracle for errno values and readiness), and under Ghost,
// whose own TCP/IP stack must give the same results. Every address the
// programs use is on loopback (127.0.0.1, ::1).
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/net.test.js
//
// Environment:
//   USERLAND_RUNNERS=qemu,ghost   which halves to run (default: both)
//   NET_ONLY=udp,tcp              only these programs
//   USERLAND_TIMEOUT_MS=120000    per-run timeout
import { before, describe } from "node:test";
import { envList, listPrograms, ProgramSuite } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/net");
const suite = new ProgramSuite({ root, timeoutMs: Number(process.env.USERLAND_TIMEOUT_MS ?? 120_000), exportQemuBin: true });
const only = envList("NET_ONLY");
const programs = listPrograms(root, "net").filter((n) => !only || only.includes(n));

describe("userland/net programs (inet sockets over loopback)", { concurrency: 2 }, () => {
  before(() => suite.build("userland/net/build.mjs", ["-j", "2", ...programs], "userland-net"));
  for (const name of programs) suite.define(name, `build/userland-net/${name}`);
  // qemu-user truncates TCP_INFO: the host's Linux checks the negotiated options natively.
  if (programs.includes("tcpopts")) suite.defineNative("tcpopts", "userland/net/tcpopts.c");
  // The native run streams the full 4 MiB (qemu-user 1 MiB, see the program).
  if (programs.includes("tcpserial")) suite.defineNative("tcpserial", "userland/net/tcpserial.c");
  // qemu-user does not check recvmmsg's timeout: the host's Linux does.
  if (programs.includes("sockmsg")) suite.defineNative("sockmsg", "userland/net/sockmsg.c");
  // qemu-user lacks IP_MULTICAST_IF, IPV6_MULTICAST_IF and MCAST_JOIN_GROUP: the host's Linux checks them (in a namespace of its own).
  if (programs.includes("mcast")) suite.defineNative("mcast", "userland/net/mcast.c");
  // Nor IP_MTU and IPV6_DONTFRAG.
  if (programs.includes("udpopts")) suite.defineNative("udpopts", "userland/net/udpopts.c");
});
