// The network relay of Ghost in a browser (`node scripts/ws-relay.mjs`): a
// WebSocket server on the host's loopback whose every connection is one
// guest's virtual Ethernet link, carried to Ghost's own user-mode NAT
// (net/usernet.ts) running here in Node. The page's eth0 (an Ethernet device
// whose NicBackend is web/netdev.ts) sends each frame it transmits as one
// binary message, and each message from the relay is a frame for it: Ethernet
// II frames without FCS (net/dev/nic.ts), ARP included, as a virtual NIC's
// wire carries them.
//
// The guest sees what `ghost run --net=user` gives it: 10.0.2.15/24, the
// gateway 10.0.2.2 (the host's 127.0.0.1) and DNS at 10.0.2.3. Unless the
// relay is opened to every address (`open`), an IPv4 packet to any other
// address is dropped, so a page reaches the host's loopback only (ARP frames
// pass: the NAT answers only for its own two addresses).
//
// A web page from any site may open a WebSocket to 127.0.0.1, so the relay
// takes connections only from pages of the origins it is given (by default
// the loopback's, where `npm run web` serves the site).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomFillSync } from "node:crypto";
import type { Kernel } from "../kernel/kernel.js";
import { sameAddr, type IpAddr, v4 } from "../net/inet/addr.js";
import { UserNet, GATEWAY_ADDR, DNS_ADDR } from "../net/usernet.js";
import { IPV4_HLEN, IPV4_DADDR } from "../abi/inet.js";
import { ETH_HLEN, ETH_P_ARP, ETH_P_IP } from "../abi/ether.js";
import { acceptWebSocket, type WebSocketConnection } from "./websocket.js";

export interface RelayOptions {
  // Where to listen (default 127.0.0.1, port 0: any free port).
  host?: string;
  port?: number;
  // Page origins allowed to connect ("*": any); default: http(s) pages of
  // 127.0.0.1, localhost and [::1] on any port.
  origins?: string[];
  // Let the guest reach every address, not only the host's loopback.
  open?: boolean;
  // Called for each guest link that opens and closes (for logs).
  onLink?: (event: "open" | "close", origin: string) => void;
}

export interface Relay { readonly port: number; readonly url: string; close(): Promise<void> }

const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

function originAllowed(origin: string | undefined, allowed: string[] | undefined): boolean {
  if (allowed?.includes("*")) return true;
  if (origin === undefined) return true; // not a browser: a program on this host
  return allowed ? allowed.includes(origin) : LOOPBACK_ORIGIN.test(origin);
}

// Whether the relay lets a frame from the guest through: ARP, and IPv4 to
// the NAT's own addresses (or to any with `open`); nothing else reaches the NAT.
function frameAllowed(f: Uint8Array, open: boolean): boolean {
  if (f.length < ETH_HLEN) return false;
  const type = (f[12] << 8) | f[13];
  if (type === ETH_P_ARP) return true;
  if (type !== ETH_P_IP || f.length < ETH_HLEN + IPV4_HLEN) return false;
  if (open) return true;
  const at = ETH_HLEN + IPV4_DADDR;
  const dst: IpAddr = v4(f[at], f[at + 1], f[at + 2], f[at + 3]);
  return sameAddr(dst, GATEWAY_ADDR) || sameAddr(dst, DNS_ADDR);
}

// The NAT's end of the page's link: made without an eth0 of its own
// (UserNetOptions.externalNic); its frames go to the WebSocket and the
// guest's come from it. There is no guest kernel here: the NAT asks its
// stand-in only for random bytes (initial sequence numbers) and a count of
// host waiters.
function natLink(ws: WebSocketConnection, open: boolean): UserNet {
  const standIn = {
    random: (b: Uint8Array) => { randomFillSync(b); },
    hostWaiters: 0,
  } as unknown as Kernel;
  const nat = new UserNet(standIn, { forwards: [], lossPct: 0, delayMs: 0, externalNic: true });
  nat.ether.onFrame = (frame) => ws.send(frame);
  ws.onMessage = (frame) => { if (frameAllowed(frame, open)) nat.ether.send(new Uint8Array(frame)); };
  return nat;
}

export function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const links = new Set<{ ws: WebSocketConnection; nat: UserNet }>();
  const server: Server = createServer((_req, res) => { res.writeHead(426, { "content-type": "text/plain" }).end("a WebSocket relay for Ghost's network\n"); });
  server.on("upgrade", (req, sock) => {
    const origin = req.headers.origin;
    if (!originAllowed(origin, opts.origins)) { sock.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n"); return; }
    const ws = acceptWebSocket(req, sock);
    if (!ws) return;
    const link = { ws, nat: natLink(ws, !!opts.open) };
    links.add(link);
    opts.onLink?.("open", origin ?? "");
    ws.onClose = () => { links.delete(link); void link.nat.close(); opts.onLink?.("close", origin ?? ""); };
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      const a = server.address() as AddressInfo;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve({
        port: a.port,
        url: `ws://${host}:${a.port}/`,
        close: async () => {
          for (const l of [...links]) l.ws.close();
          await new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
