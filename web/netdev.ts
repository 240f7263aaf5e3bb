// The guest's eth0 in a browser: an Ethernet device (net/dev/ether.ts, with
// ARP) whose NIC backend is a WebSocket to the relay (scripts/ws-relay.mjs,
// src/api/relay.ts): each frame the device transmits is one binary message,
// each message from the relay one frame for it, Ethernet II without FCS
// (net/dev/nic.ts). On the relay's side the frames reach Ghost's user-mode
// NAT, so the guest's side of the link is the one `ghost run --net=user`
// gives (net/usernet_addr.ts): 10.0.2.15/24 with the gateway 10.0.2.2 (the
// relay host's loopback) and DNS at 10.0.2.3 (the relay's resolv.conf line
// is the guest's own /etc/resolv.conf).
//
// Frames the guest sends before the socket is open wait for it; after it
// closed, they are dropped as on a cable pulled out (TCP retries, then times
// out). The device processes a frame from the relay at once in a bottom
// half and wakes the kernel, as the NAT's do on Node.

import type { Kernel } from "../src/kernel/kernel.js";
import { attachNic, type NicBackend } from "../src/net/dev/nic.js";
import type { EtherDevice } from "../src/net/dev/ether.js";
import { GUEST_ADDR, GUEST_PREFIX, GATEWAY_ADDR, GUEST_MAC } from "../src/net/usernet_addr.js";

// Frames kept while the socket opens.
const MAX_PENDING = 256;

export class RelayNic implements NicBackend {
  onFrame: ((frame: Uint8Array) => void) | null = null;
  readonly dev: EtherDevice;
  private readonly ws: WebSocket;
  private pending: Uint8Array[] | null = [];
  private holding = true;

  constructor(private readonly k: Kernel, url: string, onState: (state: "open" | "closed", detail: string) => void) {
    this.dev = attachNic(k, this, { name: "eth0", mac: GUEST_MAC.slice(), addrs: [{ addr: GUEST_ADDR, prefix: GUEST_PREFIX }], gateway: GATEWAY_ADDR });
    // While the link may still carry frames, the kernel waits for the host
    // even with every task asleep (a guest blocked in connect or read).
    k.hostWaiters++;
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      for (const f of this.pending ?? []) this.ws.send(f);
      this.pending = null;
      onState("open", url);
    };
    this.ws.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) this.onFrame?.(new Uint8Array(ev.data));
    };
    this.ws.onclose = (ev: CloseEvent) => {
      this.pending = null;
      this.release();
      onState("closed", ev.reason || `code ${ev.code}`);
    };
  }

  // NicBackend.send: the device gives the frame away, so it may wait as it is.
  send(frame: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
    else if (this.pending && this.pending.length < MAX_PENDING) this.pending.push(frame);
    else this.dev.stats.rxDropped++;
  }

  close(): void { this.ws.close(); this.release(); }

  private release(): void {
    if (this.holding) { this.holding = false; this.k.hostWaiters--; }
  }
}
