// The user-mode NAT's TCP endpoint (usernet.ts): it ends one guest TCP
// connection and carries its bytes on a host socket, as slirp's tcp_input
// and tcp_output do. What the guest has not acknowledged stays in `pending`;
// loss is repaired by a fixed 200 ms timeout that goes back to the first
// unacknowledged byte, by fast retransmit on the third duplicate ACK, and
// with SACK (offered in the NAT's SYN) by resending the holes the guest's
// blocks show, never what it holds (the scoreboard of tcp_sack.ts). Segments
// the guest sends out of order are kept and reported in SACK blocks.

import * as net from "node:net";
import { TCPHDR_FIN, TCPHDR_SYN, TCPHDR_RST, TCPHDR_ACK, TCPHDR_PSH } from "../abi/inet.js";
import { type IpAddr, isV4 } from "./inet/addr.js";
import { buildSegment, seqAdd, seqDiff, seqLt, type Segment, type SegOptions } from "./inet/tcp_seg.js";
import { SackScoreboard, sackBlocks } from "./inet/tcp_sack.js";
import type { UserNet } from "./usernet.js";

// The MSS the NAT offers: eth0's MTU (1500) less the IPv4 or IPv6 header and TCP's.
export const NAT_MSS = 1460;
export const NAT_MSS6 = 1440;
const NAT_WINDOW = 65535;
const NAT_RTO_MS = 200;
// Host bytes kept for the guest before the host socket is paused.
const NAT_HIGH_WATER = 256 * 1024;
// Out-of-order segments kept from the guest; SACK blocks in one segment.
const NAT_OOO_MAX = 64;
const NAT_SACK_BLOCKS = 4;
const DUPTHRESH = 3;

// The NAT's end of one guest TCP connection, bridged to a host socket.
export class NatTcp {
  private sock: net.Socket | null = null;
  private established = false;
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0; // the highest sequence sent (sndNxt goes back after a timeout)
  private sackOk = false;
  private readonly scoreboard = new SackScoreboard();
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  private highRxt = 0;
  private readonly ooo = new Map<number, { data: Uint8Array }>();
  private lastOoo: number | null = null;
  private rcvNxt = 0;
  private sndWnd = 0;
  private wscale = 0;
  private readonly ownMss: number;
  private mss: number;
  private pending = Buffer.alloc(0); // from sndUna: sent, then unsent
  private hostEnded = false;
  private finSent = false;
  private guestFin = false;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private dead = false;

  constructor(private readonly nat: UserNet, private readonly key: string, private readonly guest: IpAddr, private readonly gport: number,
    private readonly remote: IpAddr, private readonly rport: number) {
    this.ownMss = this.mss = isV4(guest) ? NAT_MSS : NAT_MSS6;
    nat.hold();
    const b = new Uint8Array(4);
    nat.k.random(b);
    this.iss = new DataView(b.buffer).getUint32(0, true);
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
  }

  private seg(seq: number, flags: number, data: Uint8Array = new Uint8Array(0)): void {
    const room = Math.max(0, NAT_WINDOW - (this.sock?.writableLength ?? 0));
    let o: SegOptions | undefined;
    if (flags & TCPHDR_SYN) o = { sackOk: this.sackOk };
    else if (this.sackOk && this.ooo.size && flags & TCPHDR_ACK) o = { sacks: sackBlocks(this.ooo, this.rcvNxt, this.lastOoo, NAT_SACK_BLOCKS) };
    this.nat.sendTcp(this.remote, this.guest, buildSegment(this.remote, this.guest, {
      sport: this.rport, dport: this.gport, seq, ack: flags & TCPHDR_ACK ? this.rcvNxt : 0, flags, wnd: room, urp: 0, data,
    }, this.ownMss, 0, 0, true, o));
  }

  private takeOptions(s: Segment): void {
    this.mss = Math.min(s.mss || 536, this.ownMss);
    this.wscale = s.wscale >= 0 ? s.wscale : 0;
    this.sndWnd = s.wnd;
    // On a SYN-ACK, what our SYN offered and the guest took; on the guest's SYN, what it offers.
    this.sackOk = s.sackOk;
  }

  // The guest connects out: the host socket first, then our SYN-ACK (or a RST if the host refuses).
  acceptFromGuest(s: Segment, host: string): void {
    this.takeOptions(s);
    this.rcvNxt = seqAdd(s.seq, 1);
    const sock = net.connect({ host, port: this.rport });
    this.attach(sock);
    sock.once("connect", () => { this.seg(this.iss, TCPHDR_SYN | TCPHDR_ACK); this.sndNxt = this.sndMax = seqAdd(this.iss, 1); });
  }

  // A host client came in through -p: open the connection into the guest.
  connectToGuest(sock: net.Socket): void {
    this.sackOk = true; // offered; kept only if the SYN-ACK agrees
    this.attach(sock);
    sock.pause();
    this.seg(this.iss, TCPHDR_SYN);
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    this.arm();
  }

  private attach(sock: net.Socket): void {
    this.sock = sock;
    sock.on("data", (d: Buffer) => {
      this.pending = Buffer.concat([this.pending, d]);
      if (this.pending.length > NAT_HIGH_WATER) { sock.pause(); this.paused = true; }
      this.pump();
    });
    sock.on("end", () => { this.hostEnded = true; this.pump(); });
    sock.on("drain", () => { if (this.established) this.seg(this.sndNxt, TCPHDR_ACK); });
    // The host refused or dropped the connection: the guest gets a RST
    // (in answer to its SYN: ECONNREFUSED).
    sock.on("error", () => {
      if (!this.dead) this.seg(this.established ? this.sndNxt : 0, TCPHDR_RST | TCPHDR_ACK);
      this.destroy();
    });
    sock.on("close", () => { if (!this.hostEnded && !this.dead && this.established) { this.seg(this.sndNxt, TCPHDR_RST | TCPHDR_ACK); this.destroy(); } });
  }

  input(s: Segment): void {
    if (this.dead) return;
    if (s.flags & TCPHDR_RST) { this.destroy(); return; }
    if (!this.established) {
      if ((s.flags & TCPHDR_SYN) && (s.flags & TCPHDR_ACK) && s.ack === seqAdd(this.iss, 1)) {
        // Our SYN to the guest was answered (a -p connection).
        this.takeOptions(s);
        this.rcvNxt = seqAdd(s.seq, 1);
        this.sndUna = s.ack;
        this.established = true;
        this.disarm();
        this.seg(this.sndNxt, TCPHDR_ACK);
        this.sock?.resume();
        this.pump();
        return;
      }
      if ((s.flags & TCPHDR_ACK) && s.ack === seqAdd(this.iss, 1)) { this.established = true; this.sndUna = s.ack; }
      else {
        // The guest sent its SYN again: our SYN-ACK was lost (or is still waiting for the host).
        if ((s.flags & TCPHDR_SYN) && this.sndNxt === seqAdd(this.iss, 1)) this.seg(this.iss, TCPHDR_SYN | TCPHDR_ACK);
        return;
      }
    }
    if (s.flags & TCPHDR_ACK) {
      this.sndWnd = s.wnd << this.wscale;
      this.ackInput(s);
    }
    if (s.data.length) {
      if (s.seq === this.rcvNxt && !this.guestFin) {
        this.sock?.write(Buffer.from(s.data));
        this.rcvNxt = seqAdd(this.rcvNxt, s.data.length);
        for (let o = this.ooo.get(this.rcvNxt); o; o = this.ooo.get(this.rcvNxt)) {
          this.ooo.delete(this.rcvNxt);
          this.sock?.write(Buffer.from(o.data));
          this.rcvNxt = seqAdd(this.rcvNxt, o.data.length);
        }
        for (const k of [...this.ooo.keys()]) if (!seqLt(this.rcvNxt, k)) this.ooo.delete(k);
      } else if (this.sackOk && seqLt(this.rcvNxt, s.seq) && !this.guestFin && this.ooo.size < NAT_OOO_MAX && !this.ooo.has(s.seq)) {
        this.ooo.set(s.seq, { data: s.data.slice() });
        this.lastOoo = s.seq;
      }
      this.seg(this.sndNxt, TCPHDR_ACK);
    }
    if ((s.flags & TCPHDR_FIN) && seqAdd(s.seq, s.data.length) === this.rcvNxt && !this.guestFin) {
      this.guestFin = true;
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.seg(this.sndNxt, TCPHDR_ACK);
      this.sock?.end();
    }
    this.pump();
    if (this.guestFin && this.finSent && this.sndUna === this.sndNxt) this.destroy();
  }

  // The guest's ACK: what it acknowledges leaves `pending`; the third
  // duplicate starts a recovery that resends the first hole (RFC 5681 §3.2,
  // the holes from the SACK blocks as RFC 6675), one more per ACK until
  // everything sent when it began is acknowledged.
  private ackInput(s: Segment): void {
    if (this.sackOk && s.sacks) this.scoreboard.add(s.sacks, s.ack, this.sndMax);
    if (seqLt(this.sndUna, s.ack) && !seqLt(this.sndMax, s.ack)) {
      const n = seqDiff(s.ack, this.sndUna);
      const data = Math.min(n, this.pending.length);
      this.pending = this.pending.subarray(data);
      this.sndUna = s.ack;
      if (seqLt(this.sndNxt, s.ack)) this.sndNxt = s.ack;
      this.scoreboard.trim(s.ack);
      this.dupAcks = 0;
      this.disarm();
      if (this.sndUna !== this.sndMax) this.arm();
      if (this.inRecovery) { if (seqLt(s.ack, this.recover)) this.retransmitLost(); else this.inRecovery = false; }
      if (this.paused && this.pending.length < NAT_HIGH_WATER / 2) { this.paused = false; this.sock?.resume(); }
      return;
    }
    if (s.ack !== this.sndUna || s.data.length || s.flags & (TCPHDR_SYN | TCPHDR_FIN) || this.sndUna === this.sndMax) return;
    if (++this.dupAcks === DUPTHRESH && !this.inRecovery) {
      this.inRecovery = true;
      this.recover = this.sndMax;
      this.highRxt = this.sndUna;
      this.retransmitLost();
    } else if (this.inRecovery && this.sackOk) this.retransmitLost();
  }

  // Resends the next hole the SACK blocks show (or, without them, the first
  // unacknowledged segment once per recovery step).
  private retransmitLost(): void {
    const from = seqLt(this.highRxt, this.sndUna) ? this.sndUna : this.highRxt;
    let seq = this.sndUna, len = Math.min(this.mss, this.pending.length);
    if (this.sackOk && !this.scoreboard.empty) {
      const hole = this.scoreboard.nextHole(from);
      if (!hole) return;
      seq = hole.seq;
      len = Math.min(this.mss, hole.len, this.pending.length - seqDiff(seq, this.sndUna));
    } else if (seqLt(this.sndUna, from)) return;
    if (len <= 0) return;
    const off = seqDiff(seq, this.sndUna);
    this.seg(seq, TCPHDR_ACK | TCPHDR_PSH, this.pending.subarray(off, off + len));
    this.highRxt = seqAdd(seq, len);
  }

  // Sends what the guest's window allows, then our FIN once the host is done.
  private pump(): void {
    if (!this.established || this.dead) return;
    const wnd = this.sndWnd;
    for (;;) {
      // After a timeout, what the guest SACKed is not sent again.
      if (!this.scoreboard.empty) {
        const past = this.scoreboard.skip(this.sndNxt);
        if (past !== this.sndNxt && seqDiff(past, this.sndUna) <= this.pending.length) this.sndNxt = past;
      }
      const inflight = seqDiff(this.sndNxt, this.sndUna) - (this.finSent ? 1 : 0);
      const unsent = this.pending.length - inflight;
      if (unsent <= 0) break;
      const len = Math.min(unsent, this.mss, wnd - inflight, this.scoreboard.room(this.sndNxt));
      if (len <= 0) break;
      this.seg(this.sndNxt, TCPHDR_ACK | TCPHDR_PSH, this.pending.subarray(inflight, inflight + len));
      this.sndNxt = seqAdd(this.sndNxt, len);
      if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
      this.arm();
    }
    if (this.hostEnded && !this.finSent && seqDiff(this.sndNxt, this.sndUna) === this.pending.length) {
      this.seg(this.sndNxt, TCPHDR_ACK | TCPHDR_FIN);
      this.sndNxt = seqAdd(this.sndNxt, 1);
      if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
      this.finSent = true;
      this.arm();
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dead) return;
      // Go back to the first unacknowledged byte (or our SYN, still unanswered).
      if (!this.established) { this.seg(this.iss, TCPHDR_SYN); this.arm(); return; }
      if (seqDiff(this.sndMax, this.sndUna) === 0) return;
      this.sndNxt = this.sndUna;
      this.finSent = false;
      this.inRecovery = false;
      this.dupAcks = 0;
      this.pump();
    }, NAT_RTO_MS);
  }
  private disarm(): void { if (this.timer) { clearTimeout(this.timer); this.timer = null; } }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.disarm();
    this.sock?.destroy();
    this.nat.forget(this.key);
    this.nat.release();
  }
}

