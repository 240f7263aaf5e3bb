// The browser's network relay (src/api/relay.ts, scripts/ws-relay.mjs) seen
// from a WebSocket client written here (RFC 6455 client frames are masked):
// a page from another site is refused; each message is an Ethernet frame of
// the guest's virtual NIC: an ARP request for the gateway 10.0.2.2 is
// answered with the NAT's MAC; a UDP datagram the "guest" sends to the
// gateway reaches a socket on the host's 127.0.0.1, and the answer comes back
// framed for the guest's MAC as an IP packet from 10.0.2.2 to 10.0.2.15, in
// one message split over two WebSocket frames (continuation) and with a
// ping between; an echo request to the gateway is answered; one to another
// address is not carried. Traffic stays on loopback.
//
//   npx tsc -p tsconfig.json && node --test dist/test/lib/relay.test.js

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import { request } from "node:http";
import type { Socket } from "node:net";
import { after, before, test } from "node:test";
import { startRelay, type Relay } from "../../src/api/relay.js";
import { csumAdd, csumFold, transportChecksum } from "../../src/net/inet/stack.js";
import { v4, type IpAddr } from "../../src/net/inet/addr.js";
import { IPPROTO_UDP, IPPROTO_ICMP } from "../../src/abi/socket.js";
import { IPV4_HLEN, UDP_HLEN, ICMP_ECHO, ICMP_ECHOREPLY, ARPHRD_ETHER } from "../../src/abi/inet.js";
import { ETH_ALEN, ETH_HLEN, ETH_P_IP, ETH_P_ARP, ARP_HLEN, ARPOP_REQUEST, ARPOP_REPLY } from "../../src/abi/ether.js";

const GUEST = v4(10, 0, 2, 15);
const GATEWAY = v4(10, 0, 2, 2);
const GUEST_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x15]);
const GATEWAY_MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const WAIT_MS = 60_000;

let relay: Relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay.close(); });

// Opens a WebSocket to the relay with this Origin; resolves the socket, or the HTTP status when refused.
function connect(origin: string): Promise<Socket | number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: relay.port, path: "/", headers: {
      Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), Origin: origin,
    }, timeout: WAIT_MS });
    req.on("upgrade", (_res, sock) => resolve(sock));
    req.on("response", (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on("error", reject);
    req.end();
  });
}

// One client frame (masked, §5.3).
function frame(op: number, fin: boolean, data: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const head = data.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | data.length])
    : Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const body = Buffer.from(data).map((b, i) => b ^ mask[i & 3]);
  return Buffer.concat([head, mask, body]);
}

// Binary messages from the server (its frames are unmasked and, here, whole).
function messages(sock: Socket): { next(): Promise<Buffer> } {
  let buf = Buffer.alloc(0);
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  sock.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      let len = buf[1] & 0x7f, at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      if (buf.length < at + len) return;
      const op = buf[0] & 0x0f, body = buf.subarray(at, at + len);
      buf = buf.subarray(at + len);
      if (op !== 0x2) continue; // pongs and others
      const w = waiters.shift();
      if (w) w(Buffer.from(body)); else queue.push(Buffer.from(body));
    }
  });
  return {
    next: () => new Promise((resolve, reject) => {
      const q = queue.shift();
      if (q) { resolve(q); return; }
      const t = setTimeout(() => reject(new Error("no message from the relay")), WAIT_MS);
      waiters.push((b) => { clearTimeout(t); resolve(b); });
    }),
  };
}

function ipv4(src: IpAddr, dst: IpAddr, proto: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(IPV4_HLEN + payload.length);
  const dv = new DataView(p.buffer);
  p[0] = 0x45; dv.setUint16(2, p.length); p[8] = 64; p[9] = proto;
  p.set(src.subarray(12), 12); p.set(dst.subarray(12), 16);
  dv.setUint16(10, csumFold(csumAdd(0, p, 0, IPV4_HLEN)));
  p.set(payload, IPV4_HLEN);
  return p;
}

// An Ethernet II frame from the guest's MAC.
function ether(dst: ArrayLike<number>, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + payload.length);
  f.set(dst, 0); f.set(GUEST_MAC, ETH_ALEN);
  f[12] = type >> 8; f[13] = type & 0xff;
  f.set(payload, ETH_HLEN);
  return f;
}

// The guest's ARP request: who has `target`?
function arpRequest(target: IpAddr): Uint8Array {
  const a = new Uint8Array(ARP_HLEN);
  const dv = new DataView(a.buffer);
  dv.setUint16(0, ARPHRD_ETHER); dv.setUint16(2, ETH_P_IP); a[4] = ETH_ALEN; a[5] = 4; dv.setUint16(6, ARPOP_REQUEST);
  a.set(GUEST_MAC, 8); a.set(GUEST.subarray(12), 14); a.set(target.subarray(12), 24);
  return ether([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ETH_P_ARP, a);
}

function udp(src: IpAddr, sport: number, dst: IpAddr, dport: number, data: Uint8Array): Uint8Array {
  const seg = new Uint8Array(UDP_HLEN + data.length);
  const dv = new DataView(seg.buffer);
  dv.setUint16(0, sport); dv.setUint16(2, dport); dv.setUint16(4, seg.length);
  seg.set(data, UDP_HLEN);
  dv.setUint16(6, transportChecksum(src, dst, IPPROTO_UDP, seg));
  return ipv4(src, dst, IPPROTO_UDP, seg);
}

test("a page from another site is refused", async () => {
  assert.equal(await connect("https://elsewhere.example"), 403);
});

test("a guest's datagram reaches the host's loopback through the relay and the answer comes back", async () => {
  const host = dgram.createSocket("udp4");
  await new Promise<void>((r) => host.bind(0, "127.0.0.1", () => r()));
  const received: string[] = [];
  host.on("message", (msg, rinfo) => { received.push(String(msg)); host.send(Buffer.concat([Buffer.from("re: "), msg]), rinfo.port, rinfo.address); });
  const sock = await connect("http://127.0.0.1:8080");
  assert.notEqual(typeof sock, "number", `refused: ${String(sock)}`);
  const ws = sock as Socket;
  const rx = messages(ws);
  try {
    ws.write(frame(0x2, true, arpRequest(GATEWAY)));
    const arp = await rx.next();
    assert.deepEqual([...arp.subarray(0, ETH_ALEN)], [...GUEST_MAC], "the ARP reply is for the guest's MAC");
    assert.equal(arp.readUInt16BE(12), ETH_P_ARP);
    assert.equal(arp.readUInt16BE(ETH_HLEN + 6), ARPOP_REPLY);
    assert.deepEqual([...arp.subarray(ETH_HLEN + 8, ETH_HLEN + 18)], [...GATEWAY_MAC, 10, 0, 2, 2], "10.0.2.2 is at the NAT's MAC");

    // A datagram to another address is not carried (the relay is not --open):
    // sent first, so an answer to it would come before the gateway's.
    const elsewhere = Buffer.from(udp(GUEST, 40002, v4(127, 0, 0, 1), host.address().port, Buffer.from("not carried")));
    ws.write(frame(0x2, true, ether(GATEWAY_MAC, ETH_P_IP, elsewhere)));
    const pkt = ether(GATEWAY_MAC, ETH_P_IP, udp(GUEST, 40001, GATEWAY, host.address().port, Buffer.from("hello host")));
    // One message in two frames, a ping between them (control frames may interleave, §5.4).
    ws.write(frame(0x2, false, pkt.subarray(0, 10)));
    ws.write(frame(0x9, true, Buffer.from("ping")));
    ws.write(frame(0x0, true, pkt.subarray(10)));
    const f = await rx.next();
    assert.deepEqual([...f.subarray(0, 2 * ETH_ALEN)], [...GUEST_MAC, ...GATEWAY_MAC], "framed from the NAT to the guest's MAC");
    assert.equal(f.readUInt16BE(12), ETH_P_IP);
    const back = f.subarray(ETH_HLEN);
    assert.equal(back[9], IPPROTO_UDP);
    assert.deepEqual([...back.subarray(12, 20)], [10, 0, 2, 2, 10, 0, 2, 15]);
    assert.equal(back.readUInt16BE(IPV4_HLEN + 2), 40001);
    assert.equal(back.subarray(IPV4_HLEN + UDP_HLEN, back.readUInt16BE(2)).toString(), "re: hello host");

    const echo = new Uint8Array([ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4]);
    const sum = csumFold(csumAdd(0, echo));
    echo[2] = sum >> 8; echo[3] = sum & 0xff;
    ws.write(frame(0x2, true, ether(GATEWAY_MAC, ETH_P_IP, ipv4(GUEST, GATEWAY, IPPROTO_ICMP, echo))));
    const reply = (await rx.next()).subarray(ETH_HLEN);
    assert.equal(reply[9], IPPROTO_ICMP);
    assert.equal(reply[IPV4_HLEN], ICMP_ECHOREPLY);
    assert.deepEqual([...reply.subarray(IPV4_HLEN + 4, reply.readUInt16BE(2))], [0x12, 0x34, 0, 1, 1, 2, 3, 4]);
    assert.deepEqual(received, ["hello host"], "the host received only the datagram for the gateway");
  } finally {
    ws.destroy();
    host.close();
  }
});
