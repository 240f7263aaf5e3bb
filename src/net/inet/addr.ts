// Internet addresses inside the stack: always 16 bytes, an IPv4 address as
// its IPv4-mapped IPv6 form (::ffff:a.b.c.d), as Linux's dual-stack sockets
// see them; and the sockaddr_in/sockaddr_in6 a program passes.

import { kerr } from "../../lib/errors.js";
import { EINVAL, EAFNOSUPPORT } from "../../abi/errno.js";
import { AF_INET, AF_INET6, AF_UNSPEC, sockaddr_in, sockaddr_in6 } from "../../abi/socket.js";

export type IpAddr = Uint8Array; // 16 bytes

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
// Linux's SIN6_LEN_RFC2133: an IPv6 address without the scope id is accepted.
const SIN6_LEN_RFC2133 = 24;

export function v4(a: number, b: number, c: number, d: number): IpAddr {
  const r = new Uint8Array(16); // every packet parsed makes two: no spread of MAPPED
  r[10] = r[11] = 0xff;
  r[12] = a; r[13] = b; r[14] = c; r[15] = d;
  return r;
}
export const V4_ANY = v4(0, 0, 0, 0);
export const V6_ANY = new Uint8Array(16);
export const V4_LOOPBACK = v4(127, 0, 0, 1);
export const V6_LOOPBACK = (() => { const a = new Uint8Array(16); a[15] = 1; return a; })();

export function isV4(a: IpAddr): boolean {
  for (let i = 0; i < 12; i++) if (a[i] !== MAPPED[i]) return false;
  return true;
}
export function isAny(a: IpAddr): boolean {
  if (isV4(a)) return a[12] === 0 && a[13] === 0 && a[14] === 0 && a[15] === 0;
  return a.every((x) => x === 0);
}
export function sameAddr(a: IpAddr, b: IpAddr): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
export function isLoopback(a: IpAddr): boolean { return isV4(a) ? a[12] === 127 : sameAddr(a, V6_LOOPBACK); }
export function isMulticast(a: IpAddr): boolean { return isV4(a) ? (a[12] & 0xf0) === 0xe0 : a[0] === 0xff; }
export function isBroadcast(a: IpAddr): boolean { return isV4(a) && a[12] === 255 && a[13] === 255 && a[14] === 255 && a[15] === 255; }
// A map key for an address (the connection table looks one up per segment).
export function addrKey(a: IpAddr): string {
  if (isV4(a)) return String(((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0);
  let k = "";
  for (let i = 0; i < 16; i += 2) k += ((a[i] << 8) | a[i + 1]).toString(16) + ":";
  return k;
}

export function formatAddr(a: IpAddr): string {
  if (isV4(a)) return `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((a[i] << 8) | a[i + 1]).toString(16));
  return words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

// A decoded socket address: the address, the port, and whether it said AF_UNSPEC.
export interface SockAddr { addr: IpAddr; port: number; unspec: boolean; scope: number }

// Decodes what a program passed to bind/connect/sendto on a socket of
// `family` (inet_bind, inet6_bind, ip4_datagram_connect's checks).
export function decodeSockaddr(family: number, raw: Uint8Array): SockAddr {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 2) kerr(EINVAL);
  const fam = dv.getUint16(0, true);
  if (fam === AF_UNSPEC) return { addr: family === AF_INET ? V4_ANY : V6_ANY, port: raw.length >= 4 ? dv.getUint16(2, false) : 0, unspec: true, scope: 0 };
  if (family === AF_INET) {
    if (raw.length < sockaddr_in.size) kerr(EINVAL);
    if (fam !== AF_INET) kerr(EAFNOSUPPORT);
    return { addr: v4(raw[4], raw[5], raw[6], raw[7]), port: dv.getUint16(2, false), unspec: false, scope: 0 };
  }
  if (raw.length < SIN6_LEN_RFC2133) kerr(EINVAL);
  if (fam !== AF_INET6) kerr(EAFNOSUPPORT);
  const scope = raw.length >= sockaddr_in6.size ? dv.getUint32(24, true) : 0;
  return { addr: raw.slice(8, 24), port: dv.getUint16(2, false), unspec: false, scope };
}

// The sockaddr a socket of `family` reports for (addr, port).
export function encodeSockaddr(family: number, addr: IpAddr, port: number): Uint8Array {
  if (family === AF_INET) {
    const b = new Uint8Array(sockaddr_in.size);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, AF_INET, true);
    dv.setUint16(2, port, false);
    b.set(addr.subarray(12, 16), 4);
    return b;
  }
  const b = new Uint8Array(sockaddr_in6.size);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET6, true);
  dv.setUint16(2, port, false);
  b.set(addr, 8);
  return b;
}

// An IPv6 address in text (RFC 4291 §2.2: `::` and a trailing dotted
// quad); null when it is not one.
export function parseV6(text: string): IpAddr | null {
  let t = text;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
  if (quad) {
    const q = quad.slice(1).map(Number);
    if (q.some((x) => x > 255)) return null;
    t = t.slice(0, quad.index) + ((q[0] << 8) | q[1]).toString(16) + ":" + ((q[2] << 8) | q[3]).toString(16);
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const words = [...head, ...Array<string>(fill).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(words[i])) return null;
    const w = parseInt(words[i], 16);
    out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff;
  }
  return out;
}

// fe80::/10 and the deprecated site-local fec0::/10 (RFC 4291 §2.5.6, RFC 3879).
// The link-local address an Ethernet device gets when it comes up
// (addrconf_add_linklocal): fe80::/64 with the modified EUI-64 interface
// identifier of its MAC (RFC 4291 appendix A: the universal/local bit
// flipped, ff:fe in the middle).
export function linkLocalOf(mac: Uint8Array): IpAddr {
  const a = new Uint8Array(16);
  a[0] = 0xfe; a[1] = 0x80;
  a[8] = mac[0] ^ 0x02; a[9] = mac[1]; a[10] = mac[2]; a[11] = 0xff;
  a[12] = 0xfe; a[13] = mac[3]; a[14] = mac[4]; a[15] = mac[5];
  return a;
}
export function isLinkLocal6(a: IpAddr): boolean { return a[0] === 0xfe && (a[1] & 0xc0) === 0x80; }
export function isSiteLocal6(a: IpAddr): boolean { return a[0] === 0xfe && (a[1] & 0xc0) === 0xc0; }

// The solicited-node multicast group of an address (RFC 4291 §2.7.1):
// ff02::1:ff00:0/104 with the address's low 24 bits.
export function solicitedNode(a: IpAddr): IpAddr {
  const m = new Uint8Array(16);
  m[0] = 0xff; m[1] = 0x02; m[11] = 0x01; m[12] = 0xff;
  m[13] = a[13]; m[14] = a[14]; m[15] = a[15];
  return m;
}
