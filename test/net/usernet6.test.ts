// End-to-end tests of IPv6 on the host link (issue #10): eth0's fec0::15/64
// with its link-local address and its default route via fec0::2, `ip -6
// addr`, `ip -6 route` and `ip neigh` in the shape busybox gives on Linux;
// neighbour discovery (the NAT answers
// for fec0::2 and fec0::3, a silent neighbour is host unreachable); busybox
// wget inside Ghost fetching from an HTTP server this test starts on the
// host's ::1 through fec0::2; a DNS query to fec0::3 (UDP over IPv6,
// answered from the host's /etc/hosts); the host's client reaching busybox
// httpd in the guest through `-p [::1]:H:G`; UDP datagrams past eth0's
// MTU fragmented both ways (fragment headers); and glibc's getaddrinfo
// order with eth0's two addresses, against the host's Linux in a network
// namespace given the same addresses (the oracle). All traffic stays on
// this machine's loopback.
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/usernet6.test.js
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import * as fs from "node:fs";
import * as dgram from "node:dgram";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, exitStatus, tail } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";
import { getUntilServed } from "../helpers/http.js";

const root = findRoot("userland/net");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const TIMEOUT = 120_000;

function ghost(args: string[], timeoutMs = TIMEOUT) {
  return run(process.execPath, [ghostCli, "run", ...args], {}, { cwd: root, timeoutMs, ownGroup: true });
}

async function freePort6(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "::1", r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

// The host's loopback must have ::1 for the NAT's IPv6 path.
const hostV6 = (() => {
  const r = spawnSync(process.execPath, ["-e", "require('net').createServer().listen(0,'::1',function(){this.close()})"], { timeout: 20_000, killSignal: "SIGKILL" });
  return r.status === 0;
})();

describe("IPv6 on eth0 (behind the user-mode NAT)", { concurrency: 2, skip: hostV6 ? false : "the host has no ::1" }, () => {
  let server: http.Server;
  let port = 0;
  before(async () => {
    server = http.createServer((req, res) => res.end(`hello6 ${req.url} from ${req.socket.remoteAddress}\n`));
    await new Promise<void>((r) => server.listen(0, "::1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  test("eth0 has fec0::15/64 and a default route via fec0::2; wget through fec0::2 reaches the host's ::1", async () => {
    const r = await ghost(["--", "/bin/sh", "-c",
      `ip -6 addr show dev eth0; ip -6 route; cat /proc/net/if_inet6; wget -q -O - http://[fec0::2]:${port}/six`]);
    assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)} ${r.stdout}`);
    assert.match(r.stdout, /inet6 fec0::15\/64 scope site/);
    assert.match(r.stdout, /^fec0::\/64 dev eth0 +metric 256/m);
    assert.match(r.stdout, /^default via fec0::2 dev eth0 +metric 1024/m);
    // if_inet6: address, ifindex, prefix length, scope (IPV6_ADDR_SITELOCAL), flags (permanent), name.
    assert.match(r.stdout, /^fec00000000000000000000000000015 02 40 40 80 +eth0$/m);
    // The link-local address from the MAC (EUI-64), after the site-local
    // one, with its prefix route; every address static ("forever"), as
    // busybox shows them on Linux with the same configuration.
    assert.match(r.stdout, /inet6 fec0::15\/64 scope site \n +valid_lft forever preferred_lft forever\n +inet6 fe80::5054:ff:fe12:3456\/64 scope link \n +valid_lft forever preferred_lft forever\n/);
    assert.match(r.stdout, /^fe80::\/64 dev eth0 +metric 256 *\nfec0::\/64 dev eth0 +metric 256 *\nmulticast ff00::\/8 dev eth0 +metric 256/m);
    assert.match(r.stdout, /^fe80000000000000505400fffe123456 02 40 20 80 +eth0$/m);
    assert.match(r.stdout, /^hello6 \/six from ::1$/m);
  });

  // Neighbour discovery: the NAT answers solicitations for fec0::2 and
  // fec0::3 (ping6 gets its echo); fec0::44 answers none, and after three
  // solicitations a second apart connect(2) fails with EHOSTUNREACH, as
  // Linux's ndisc failure (ip6_link_failure) makes it.
  test("NDP: the gateway and DNS addresses resolve, a silent neighbour is host unreachable", async () => {
    const r = await ghost(["--", "/bin/sh", "-c", "ping6 -c 1 fec0::2 && ping6 -c 1 fec0::3 && ping -c 1 10.0.2.2 && ip neigh && nc -w 30 fec0::44 80; echo status=$?"]);
    assert.match(r.stdout, /64 bytes from fec0::2: seq=0/);
    // `ip neigh` (RTM_GETNEIGH) in busybox's shape on Linux: the ARP entries, then NDP's.
    assert.match(r.stdout, /^10\.0\.2\.2 dev eth0 lladdr 52:55:0a:00:02:02 used \d+\/\d+\/\d+ probes 0 REACHABLE\n(.*\n)*fec0::2 dev eth0 lladdr 52:55:0a:00:02:02 used \d+\/\d+\/\d+ probes 0 REACHABLE$/m);
    assert.match(r.stdout, /^fec0::3 dev eth0 lladdr 52:55:0a:00:02:02 used \d+\/\d+\/\d+ probes 0 REACHABLE$/m);
    assert.match(r.stdout, /64 bytes from fec0::3: seq=0/);
    assert.match(r.stderr, /No route to host/);
    assert.match(r.stdout, /status=1\n$/);
  });

  // localhost is in the host's /etc/hosts: the host's resolver answers without asking any server.
  test("DNS at fec0::3 answers over IPv6 UDP through the NAT", async () => {
    const r = await ghost(["--", "/bin/sh", "-c", "nslookup -type=a localhost fec0::3"]);
    assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)} ${r.stdout}`);
    assert.match(r.stdout, /Address:\s+\[fec0::3\]:53/);
    assert.match(r.stdout, /Name:\s+localhost\s+Address:\s+127\.0\.0\.1/);
  });

  // The guest has sent nothing on eth0 when the host connects: the NAT
  // finds its MAC by a neighbour solicitation, which the guest answers.
  test("the host fetches from busybox httpd in the guest through -p [::1]:H:G", async () => {
    const www = fs.mkdtempSync(join(root, "build", "net6-www-"));
    fs.writeFileSync(join(www, "index.html"), "served over IPv6\n");
    fs.writeFileSync(join(www, "go"), "");
    const hostPort = await freePort6();
    // The guest serves until the host has fetched (it removes `www/go` when done).
    const guest = ghost(["-p", `[::1]:${hostPort}:8080`, "-v", `${www}:/www`, "--", "/bin/sh", "-c",
      "httpd -p [::]:8080 -h /www; while [ -e /www/go ]; do sleep 0.2; done"]);
    try {
      const got = await getUntilServed("::1", hostPort, "/index.html");
      assert.equal(got, "served over IPv6\n");
    } finally {
      fs.rmSync(join(www, "go"), { force: true });
      const r = await guest;
      fs.rmSync(www, { recursive: true, force: true });
      assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)}`);
    }
  });

  // A 20,000-byte datagram (and 1,452 and 1,453: the MTU's edge) to a UDP
  // echo server on the host's ::1 through fec0::2: the guest fragments it
  // with fragment headers, the NAT reassembles it for the host's socket and
  // fragments the echo, which the guest reassembles.
  test("IPv6 UDP datagrams larger than eth0's MTU go out and come back in fragments", async () => {
    const b = spawnSync(process.execPath, [join(root, "userland/net/build.mjs"), "udpfrag"], { cwd: root, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    assert.equal(b.status, 0, `building udpfrag: ${b.stdout}${b.stderr}`);
    const echo = dgram.createSocket("udp6");
    echo.on("message", (m, rinfo) => echo.send(m, rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, "::1", r));
    try {
      const r = await ghost(["--", "build/userland-net/udpfrag", "fec0::2", String(echo.address().port)]);
      assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${r.stdout}${tail(r.stderr)}`);
      assert.doesNotMatch(r.stdout, /^not ok/m);
      assert.match(r.stdout, /^ok - eth0 v6: the echo of 20000 bytes is one datagram, intact$/m);
      assert.match(r.stdout, /^# 6 checks, 0 failed/m);
    } finally { echo.close(); }
  });

  // glibc sorts getaddrinfo's answers by RFC 3484 from what the kernel
  // says (AI_ADDRCONFIG's RTM_GETADDR, each destination's source address):
  // with a site-local IPv6 address and its default route, IPv6 comes
  // first, as under Linux with the same addresses. The oracle: the host's
  // Linux in a network namespace whose eth0 (a veth) has 10.0.2.15/24 and
  // fec0::15/64 with the same default routes, and the same /etc/hosts and
  // /etc/host.conf (`multi on`, as Debian's: without it glibc's files
  // backend gives a name's first address only).
  test("getaddrinfo orders eth0's IPv6 first, as the host's Linux with the same addresses", async (t) => {
    const b = spawnSync(process.execPath, [join(root, "userland/net/build.mjs"), "gai"], { cwd: root, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    assert.equal(b.status, 0, `building gai: ${b.stdout}${b.stderr}`);
    const hosts = "127.0.0.1 localhost\n::1 localhost\n10.0.2.2 hostgw\nfec0::2 hostgw\n10.0.2.3 v4only\n";
    const r = await ghost(["--", "/bin/sh", "-c",
      `printf '${hosts.replace(/\n/g, "\\n")}' > /etc/hosts; echo 'multi on' > /etc/host.conf; build/userland-net/gai localhost hostgw v4only`]);
    assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)} ${r.stdout}`);
    assert.equal(r.stdout, "localhost: ::1 127.0.0.1\nhostgw: fec0::2 10.0.2.2\nv4only: 10.0.2.3\n");
    // The oracle, where this host allows it (root, unshare, veth).
    const dir = fs.mkdtempSync(join(root, "build", "net6-gai-"));
    try {
      fs.writeFileSync(join(dir, "hosts"), hosts);
      fs.writeFileSync(join(dir, "host.conf"), "multi on\n");
      const script = "ip link set lo up && ip link add eth0 type veth peer name eth1 && ip link set eth1 up && ip link set eth0 up && " +
        "ip addr add 10.0.2.15/24 dev eth0 && ip addr add fec0::15/64 dev eth0 nodad && " +
        "ip route add default via 10.0.2.2 && ip -6 route add default via fec0::2 && " +
        `mount --bind ${dir}/hosts /etc/hosts && mount --bind ${dir}/host.conf /etc/host.conf && echo ready && ` +
        `qemu-riscv64 ${join(root, "build/userland-net/gai")} localhost hostgw v4only`;
      const o = spawnSync("unshare", ["-m", "-n", "sh", "-c", script], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
      // No namespaces or veth here: Ghost's half stands alone.
      if (!o.stdout?.startsWith("ready\n")) { t.diagnostic(`no oracle: ${o.stderr}`); return; }
      assert.equal(o.stdout, `ready\n${r.stdout}`, `the host's Linux: ${o.stdout}${o.stderr}`);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});
