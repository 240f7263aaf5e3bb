// The user-mode NAT's side of the Ethernet link (as slirp's arp_input,
// ndp_input and if_encap): the NAT answers ARP and IPv6 neighbour
// solicitations for the gateway and DNS addresses with its own MAC (as a
// router: slirp's NA sets R), learns the guest's MAC from what the guest sends, and frames the
// IP packets it makes for the guest. A packet for a guest whose MAC it does
// not know yet (a -p connection before the guest sent anything) waits while
// the NAT asks once a second, with an ARP request or (for IPv6) a neighbour
// solicitation that the guest's stack answers.

import {
  ETH_ALEN, ETH_HLEN, ETH_ZLEN, ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, ARP_HLEN, ARPOP_REQUEST, ARPOP_REPLY,
  NEIGH_RETRANS_TIME_MS, NEIGH_UNRES_QLEN_BYTES,
} from "../abi/ether.js";
import {
  ARPHRD_ETHER, NDISC_NEIGHBOUR_SOLICITATION, NDISC_NEIGHBOUR_ADVERTISEMENT, NA_FLAG_ROUTER, NA_FLAG_SOLICITED,
  NA_FLAG_OVERRIDE,
} from "../abi/inet.js";
import { type IpAddr, v4, sameAddr, isAny, isV4, solicitedNode } from "./inet/addr.js";
import { ndiscPacket, parseNdisc } from "./dev/ndisc.js";
import type { NicBackend } from "./dev/nic.js";
import { BROADCAST_MAC, sameMac, multicastMac } from "./dev/ether.js";

export interface NatEtherOptions {
  mac: Uint8Array; // the NAT's (gateway's) MAC
  ownAddrs: IpAddr[]; // the addresses whose ARP requests and neighbour solicitations the NAT answers
  guestAddr: IpAddr;
  guestAddr6: IpAddr;
  // The wire with its fault injection: calls deliver(frame) later, or never.
  wire: (frame: Uint8Array, deliver: (f: Uint8Array) => void) => void;
  // An IP packet the guest sent.
  ipInput: (pkt: Uint8Array) => void;
  closed: () => boolean;
}

export class NatEther implements NicBackend {
  onFrame: ((frame: Uint8Array) => void) | null = null;
  private guestMac: Uint8Array | null = null;
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private arpTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: NatEtherOptions) {}

  // NicBackend.send: a frame from the guest, across the wire to the NAT.
  send(frame: Uint8Array): void { this.o.wire(frame, (f) => this.receive(f)); }

  private receive(frame: Uint8Array): void {
    if (this.o.closed() || frame.length < ETH_HLEN) return;
    const to = frame.subarray(0, ETH_ALEN);
    if (!(to[0] & 1) && !sameMac(to, this.o.mac)) return;
    const type = (frame[12] << 8) | frame[13];
    const payload = frame.subarray(ETH_HLEN);
    if (type === ETH_P_ARP) { this.arpInput(payload); return; }
    if (type !== ETH_P_IP && type !== ETH_P_IPV6) return;
    // Source MACs are learnt from IP too, as slirp does.
    if (type === ETH_P_IP && payload.length >= 20 && sameAddr(v4(payload[12], payload[13], payload[14], payload[15]), this.o.guestAddr)) {
      this.setGuestMac(frame.slice(ETH_ALEN, 2 * ETH_ALEN));
    }
    if (type === ETH_P_IPV6) {
      if (payload.length >= 40 && sameAddr(payload.subarray(8, 24), this.o.guestAddr6)) this.setGuestMac(frame.slice(ETH_ALEN, 2 * ETH_ALEN));
      if (this.ndiscInput(payload)) return;
    }
    this.o.ipInput(payload);
  }

  private arpInput(b: Uint8Array): void {
    if (b.length < ARP_HLEN || ((b[0] << 8) | b[1]) !== ARPHRD_ETHER || ((b[2] << 8) | b[3]) !== ETH_P_IP) return;
    const op = (b[6] << 8) | b[7];
    const sha = b.slice(8, 14), spa = v4(b[14], b[15], b[16], b[17]), tpa = v4(b[24], b[25], b[26], b[27]);
    if (sameAddr(spa, this.o.guestAddr) && !(sha[0] & 1)) this.setGuestMac(sha);
    if (op === ARPOP_REQUEST && this.o.ownAddrs.some((a) => sameAddr(a, tpa))) this.arpSend(ARPOP_REPLY, tpa, spa, sha, sha);
  }

  // A neighbour solicitation for one of the NAT's addresses is answered
  // to its sender; neighbour discovery is never routed on. True when the
  // packet was ND (taken here).
  private ndiscInput(pkt: Uint8Array): boolean {
    const m = parseNdisc(pkt);
    if (!m) return false;
    if (m.type === NDISC_NEIGHBOUR_SOLICITATION && m.lladdr && !isAny(m.src) && this.o.ownAddrs.some((a) => sameAddr(a, m.target))) {
      this.frameOut(m.lladdr, ETH_P_IPV6, ndiscPacket(NDISC_NEIGHBOUR_ADVERTISEMENT, m.target, m.src, m.target,
        NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE, this.o.mac));
    } else if (m.type === NDISC_NEIGHBOUR_ADVERTISEMENT && m.lladdr && sameAddr(m.target, this.o.guestAddr6)) {
      this.setGuestMac(m.lladdr);
    }
    return true;
  }

  private arpSend(op: number, from: IpAddr, target: IpAddr, tha: Uint8Array, dstMac: Uint8Array): void {
    const b = new Uint8Array(ARP_HLEN);
    b[0] = ARPHRD_ETHER >> 8; b[1] = ARPHRD_ETHER & 0xff; b[2] = ETH_P_IP >> 8; b[3] = ETH_P_IP & 0xff;
    b[4] = ETH_ALEN; b[5] = 4; b[6] = op >> 8; b[7] = op & 0xff;
    b.set(this.o.mac, 8); b.set(from.subarray(12), 14);
    b.set(tha, 18); b.set(target.subarray(12), 24);
    this.frameOut(dstMac, ETH_P_ARP, b);
  }

  private setGuestMac(mac: Uint8Array): void {
    this.guestMac = mac;
    if (this.arpTimer) { clearTimeout(this.arpTimer); this.arpTimer = null; }
    const q = this.waiting.splice(0);
    this.waitingBytes = 0;
    for (const p of q) this.ipToGuest(p);
  }

  // An IP packet from the NAT to the guest.
  ipToGuest(pkt: Uint8Array): void {
    if (this.guestMac) { this.frameOut(this.guestMac, pkt[0] >> 4 === 4 ? ETH_P_IP : ETH_P_IPV6, pkt); return; }
    this.waiting.push(pkt);
    this.waitingBytes += pkt.length;
    while (this.waitingBytes > NEIGH_UNRES_QLEN_BYTES && this.waiting.length > 1) this.waitingBytes -= this.waiting.shift()!.length;
    if (!this.arpTimer) this.askGuest();
  }

  // Asks for the guest's MAC as slirp's if_encap does: by ARP for an IPv4
  // packet waiting, by a neighbour solicitation (to the guest's
  // solicited-node group) for an IPv6 one.
  private askGuest(): void {
    if (this.o.closed() || this.guestMac || this.waiting.length === 0) { this.arpTimer = null; return; }
    if (this.waiting.some((p) => p[0] >> 4 === 4)) this.arpSend(ARPOP_REQUEST, this.o.ownAddrs[0], this.o.guestAddr, new Uint8Array(ETH_ALEN), BROADCAST_MAC);
    const own6 = this.o.ownAddrs.find((a) => !isV4(a));
    if (own6 && this.waiting.some((p) => p[0] >> 4 === 6)) {
      const group = solicitedNode(this.o.guestAddr6);
      this.frameOut(multicastMac(group), ETH_P_IPV6, ndiscPacket(NDISC_NEIGHBOUR_SOLICITATION, own6, group, this.o.guestAddr6, 0, this.o.mac));
    }
    this.arpTimer = setTimeout(() => this.askGuest(), NEIGH_RETRANS_TIME_MS);
  }

  private frameOut(dstMac: Uint8Array, type: number, payload: Uint8Array): void {
    const frame = new Uint8Array(Math.max(ETH_HLEN + payload.length, ETH_ZLEN));
    frame.set(dstMac, 0);
    frame.set(this.o.mac, ETH_ALEN);
    frame[12] = type >> 8; frame[13] = type & 0xff;
    frame.set(payload, ETH_HLEN);
    this.o.wire(frame, (f) => { if (!this.o.closed()) this.onFrame?.(f); });
  }

  close(): void {
    if (this.arpTimer) clearTimeout(this.arpTimer);
    this.arpTimer = null;
    this.waiting = [];
  }
}
