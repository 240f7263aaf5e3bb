// The addresses of Ghost's user-mode network (qemu's `-netdev user`
// defaults), in a module of their own with no host import, so that the
// browser's eth0 (web/netdev.ts) and the NAT on Node (usernet.ts) name the
// same link: the guest 10.0.2.15/24 behind the gateway 10.0.2.2, DNS at
// 10.0.2.3; and for IPv6 slirp's site-local prefix fec0::/64, its gateway
// fec0::2 and DNS fec0::3, with the guest at fec0::15 (slirp hands the
// prefix out by router advertisement; Ghost configures eth0 statically, as
// it does the IPv4 address).

import { v4, parseV6 } from "./inet/addr.js";

export const GUEST_ADDR = v4(10, 0, 2, 15);
export const GUEST_PREFIX = 24;
export const GATEWAY_ADDR = v4(10, 0, 2, 2);
export const DNS_ADDR = v4(10, 0, 2, 3);
export const LINK_BROADCAST = v4(10, 0, 2, 255);
export const GUEST_ADDR6 = parseV6("fec0::15")!;
export const GUEST_PREFIX6 = 64;
export const GATEWAY_ADDR6 = parseV6("fec0::2")!;
export const DNS_ADDR6 = parseV6("fec0::3")!;
// qemu's default guest MAC, and slirp's for its own addresses (52:55 and the gateway's address).
export const GUEST_MAC = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
export const GATEWAY_MAC = new Uint8Array([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
