// The driver interface of a virtual Ethernet NIC. The device (eth0, an
// EtherDevice in ether.ts) hands each frame it transmits to its backend's
// send(); the backend hands each frame from the wire to onFrame, which the
// device sets when it is attached. A frame is a whole Ethernet II frame:
// destination and source MAC, EtherType, payload — no preamble, no FCS.
//
// Backends: the user-mode NAT in the host process (usernet.ts); a browser's
// WebSocket relay or a host TAP device implement the same two members. A
// backend may call onFrame at any time — from a host event, or from inside
// send() itself (a reply made at once): the device queues what it receives
// and the stack processes it when the operation in progress ends.
//
// Ownership: send() gives the frame to the backend (the device keeps no
// reference to it); onFrame gives the frame to the device, which may keep
// parts of it (the backend must not reuse its buffer afterwards).

import type { Kernel } from "../../kernel/kernel.js";
import type { IpAddr } from "../inet/addr.js";
import { EtherDevice } from "./ether.js";

export interface NicBackend {
  // One frame from the guest onto the wire.
  send(frame: Uint8Array): void;
  // Set by the device: one frame from the wire into the guest.
  onFrame: ((frame: Uint8Array) => void) | null;
}

// How the guest's side of the link is configured (statically, as qemu's
// user networking hands it out by DHCP): its MAC, addresses and default routes.
export interface NicConfig {
  name: string;
  mac: Uint8Array;
  addrs: { addr: IpAddr; prefix: number }[];
  gateway?: IpAddr;
  // The IPv6 default route's next hop.
  gateway6?: IpAddr;
  mtu?: number;
}

// Creates the device, wires it to the backend and adds it to the kernel's stack.
export function attachNic(k: Kernel, backend: NicBackend, cfg: NicConfig): EtherDevice {
  return new EtherDevice(k, backend, cfg);
}

// MAC addresses in text, as ip(8) and /proc/net/arp print them.
export function formatMac(m: Uint8Array): string {
  return [...m].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
