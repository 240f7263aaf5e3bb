// The guest's eth0 in a browser: its packets go to a WebSocket relay
// (scripts/ws-relay.mjs, src/api/relay.ts), which carries them to Ghost's
// user-mode NAT on the host, one packet per binary message each way. The
// guest's side of the link is the one `ghost run --net=user` gives
// (net/usernet.ts; not imported here, it needs Node's sockets): 10.0.2.15/24
// with the gateway 10.0.2.2 (the relay host's loopback) and DNS at 10.0.2.3
// (the relay's resolv.conf line is the guest's own /etc/resolv.conf).
//
// Packets the guest sends before the socket is open wait for it; after it
// closed, they are dropped as on a cable pulled out (TCP retries, then times
// out). A packet from the relay is processed at once in a bottom half and
// the kernel woken, as the NAT does on Node.

import { IFF_UP, IFF_BROADCAST, IFF_RUNNING, IFF_MULTICAST } from "../src/abi/inet.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { v4 } from "../src/net/inet/addr.js";
import { type NetDevice, type DevStats, netStack } from "../src/net/inet/stack.js";

const GUEST_ADDR = v4(10, 0, 2, 15);
const GATEWAY_ADDR = v4(10, 0, 2, 2);
const PREFIX = 24;
// The MAC qemu's user networking gives its first NIC, as usernet.ts does.
const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
// Packets kept while the socket opens.
const MAX_PENDING = 256;

export class RelayNic implements NetDevice {
  readonly name = "eth0";
  readonly index: number;
  mtu = 1500;
  flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST;
  readonly addrs = [{ addr: GUEST_ADDR, prefix: PREFIX }];
  readonly stats: DevStats = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0 };
  readonly hwaddr = new Uint8Array(GUEST_MAC);
  private readonly ws: WebSocket;
  private pending: Uint8Array[] | null = [];
  private holding = true;

  constructor(private readonly k: Kernel, url: string, onState: (state: "open" | "closed", detail: string) => void) {
    const stack = netStack(k);
    this.index = stack.devices.reduce((m, d) => Math.max(m, d.index), 0) + 1;
    stack.devices.push(this);
    stack.defaultGateway = { dev: this, gw: GATEWAY_ADDR };
    // While the link may still carry packets, the kernel waits for the host
    // even with every task asleep (a guest blocked in connect or read).
    k.hostWaiters++;
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      for (const p of this.pending ?? []) this.ws.send(p);
      this.pending = null;
      onState("open", url);
    };
    this.ws.onmessage = (ev: MessageEvent) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      const pkt = new Uint8Array(ev.data);
      this.stats.rxPackets++; this.stats.rxBytes += pkt.length;
      stack.bh(() => stack.netifRx(pkt));
      k.kick();
    };
    this.ws.onclose = (ev: CloseEvent) => {
      this.pending = null;
      this.release();
      onState("closed", ev.reason || `code ${ev.code}`);
    };
  }

  xmit(pkt: Uint8Array): void {
    this.stats.txPackets++; this.stats.txBytes += pkt.length;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(pkt);
    else if (this.pending && this.pending.length < MAX_PENDING) this.pending.push(pkt.slice());
    else this.stats.rxDropped++;
  }

  close(): void { this.ws.close(); this.release(); }

  private release(): void {
    if (this.holding) { this.holding = false; this.k.hostWaiters--; }
  }
}
