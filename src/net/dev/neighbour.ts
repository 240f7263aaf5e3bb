// The neighbour table of one Ethernet device (Linux's net/core/neighbour.c
// with ARP's parameters): an IP next hop → its MAC. A packet to a next hop
// not yet resolved waits in the entry's queue (unres_qlen_bytes, oldest
// dropped) while a broadcast request is sent every retrans_time, at most
// mcast_solicit times; then the entry fails, and each packet that waited is
// reported to its sender as host unreachable (arp_error_report →
// ipv4_link_failure: connect(2) on such a peer fails with EHOSTUNREACH).
// A resolved entry older than reachable_time is still used but refreshed by
// one unicast request (the STALE → PROBE step, simplified).

import {
  NEIGH_MCAST_SOLICIT, NEIGH_RETRANS_TIME_MS, NEIGH_UNRES_QLEN_BYTES, NEIGH_REACHABLE_TIME_MS, ATF_COM,
} from "../../abi/ether.js";
import { ARPHRD_ETHER } from "../../abi/inet.js";
import { NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE } from "../../abi/netlink.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { TimerHandle } from "../../kernel/time/timers.js";
import { type IpAddr, addrKey, formatAddr, isV4 } from "../inet/addr.js";
import { netStack } from "../inet/stack.js";
import type { EtherDevice } from "./ether.js";
import { formatMac } from "./nic.js";

const MS = 1_000_000;

interface Neighbour {
  addr: IpAddr;
  mac: Uint8Array | null; // null while INCOMPLETE
  confirmed: number; // monotonic ns when last confirmed by the neighbour
  used: number; // monotonic ns when a packet last went to it
  updated: number; // monotonic ns when its state last changed
  probed: number; // monotonic ns of the last refresh request
  queue: Uint8Array[];
  queued: number;
  tries: number;
  timer: TimerHandle | null;
}

export class NeighbourTable {
  private readonly entries = new Map<string, Neighbour>();

  // solicit(target, mac): sends a request for target, broadcast when mac is null.
  constructor(private readonly k: Kernel, private readonly dev: EtherDevice,
    private readonly solicit: (target: IpAddr, mac: Uint8Array | null) => void) {}

  private now(): number { return this.k.clock.monotonic(); }

  // The MAC to send `pkt` to `hop` with, or null when the packet was queued
  // (it leaves through dev.sendResolved once the answer comes).
  lookup(hop: IpAddr, pkt: Uint8Array): Uint8Array | null {
    const key = addrKey(hop);
    let n = this.entries.get(key);
    if (n?.mac) {
      const now = this.now();
      n.used = now;
      if (now - n.confirmed > NEIGH_REACHABLE_TIME_MS * MS && now - n.probed > NEIGH_RETRANS_TIME_MS * MS) {
        n.probed = now;
        this.solicit(hop, n.mac);
      }
      return n.mac;
    }
    if (!n) {
      const now = this.now();
      n = { addr: hop, mac: null, confirmed: now, used: now, updated: now, probed: 0, queue: [], queued: 0, tries: 0, timer: null };
      this.entries.set(key, n);
    }
    n.queue.push(pkt);
    n.queued += pkt.length;
    while (n.queued > NEIGH_UNRES_QLEN_BYTES && n.queue.length > 1) n.queued -= n.queue.shift()!.length;
    if (!n.timer) this.probe(n);
    return null;
  }

  private probe(n: Neighbour): void {
    if (n.tries >= NEIGH_MCAST_SOLICIT) { this.fail(n); return; }
    n.tries++;
    n.timer = this.k.timers.addCoarse(this.now() + NEIGH_RETRANS_TIME_MS * MS, () => netStack(this.k).bh(() => { n.timer = null; this.probe(n); }));
    this.solicit(n.addr, null);
  }

  // No answer: the entry goes and what waited is reported undeliverable.
  private fail(n: Neighbour): void {
    this.entries.delete(addrKey(n.addr));
    const stack = netStack(this.k);
    for (const p of n.queue.splice(0)) stack.linkFailure(p);
  }

  // What an ARP packet told of `addr`: an entry is updated (or made, when
  // `create`: a request to us, as neigh_event_ns), and its queue sent.
  learn(addr: IpAddr, mac: Uint8Array, create: boolean): void {
    const key = addrKey(addr);
    let n = this.entries.get(key);
    if (!n) {
      if (!create) return;
      n = { addr, mac: null, confirmed: 0, used: this.now(), updated: 0, probed: 0, queue: [], queued: 0, tries: 0, timer: null };
      this.entries.set(key, n);
    }
    n.mac = mac;
    n.confirmed = n.updated = this.now();
    n.tries = 0;
    n.timer?.cancel();
    n.timer = null;
    const q = n.queue.splice(0);
    n.queued = 0;
    for (const p of q) this.dev.sendResolved(mac, p);
  }

  // The entries as RTM_GETNEIGH reports them (neigh_fill_info): a resolved
  // one is REACHABLE until reachable_time passes since it was confirmed,
  // then STALE; the ages are in nanoseconds.
  neighbours(): { addr: IpAddr; mac: Uint8Array | null; state: number; confirmedAge: number; usedAge: number; updatedAge: number; probes: number }[] {
    const now = this.now();
    return [...this.entries.values()].map((n) => ({
      addr: n.addr, mac: n.mac,
      state: !n.mac ? NUD_INCOMPLETE : now - n.confirmed > NEIGH_REACHABLE_TIME_MS * MS ? NUD_STALE : NUD_REACHABLE,
      confirmedAge: now - n.confirmed, usedAge: now - n.used, updatedAge: now - n.updated, probes: n.mac ? 0 : n.tries,
    }));
  }

  // /proc/net/arp's rows (arp_seq_show): incomplete entries show flags 0 and a zero MAC.
  procRows(): string {
    let out = "";
    for (const n of this.entries.values()) {
      if (!isV4(n.addr)) continue; // IPv6 neighbours are nd_tbl's, not in /proc/net/arp
      const mac = n.mac ? formatMac(n.mac) : "00:00:00:00:00:00";
      out += `${formatAddr(n.addr).padEnd(16)} 0x${ARPHRD_ETHER.toString(16).padEnd(10)}0x${(n.mac ? ATF_COM : 0).toString(16).padEnd(10)}` +
        `${mac.padEnd(17)}     ${"*".padEnd(8)} ${this.dev.name}\n`;
    }
    return out;
  }
}
