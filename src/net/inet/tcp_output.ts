// TCP's send side and timers (Linux's tcp_output.c, tcp_input.c's ACK
// processing, tcp_timer.c, reimplemented): the send and receive windows
// with window scaling, timestamps (RFC 7323: RTT samples after a
// retransmission, PAWS in tcp.ts) and SACK (RFC 2018; the scoreboard in
// tcp_sack.ts: recovery resends the holes, never what the peer holds),
// Nagle and TCP_CORK, delayed ACKs, NewReno congestion
// control (RFC 5681, RFC 6582) with fast retransmit, the RFC 6298
// retransmission timer with exponential backoff, zero-window probes and
// keepalive, all on the kernel's timer wheel (TcpTimer and the timing constants in tcp_timer.ts).

import { IPPROTO_TCP } from "../../abi/socket.js";
import {
  TCPHDR_FIN, TCPHDR_SYN, TCPHDR_RST, TCPHDR_ACK, TCPHDR_PSH, TCPHDR_URG, TCP_CLOSE, TCP_ESTABLISHED,
  TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_CLOSING, TCP_LAST_ACK, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT2,
  TCP_HLEN, IPV4_HLEN, IPV6_HLEN, TCPOLEN_TSTAMP_ALIGNED, TCPOLEN_SACK_PERBLOCK,
} from "../../abi/inet.js";
import type { TimerHandle } from "../../kernel/time/timers.js";
import { isV4 } from "./addr.js";
import { InetDataSocket } from "./socket.js";
import { NetStack } from "./stack.js";
import { ByteQueue, OooQueue, SendQueue, seqAdd, seqDiff, seqLt, seqLe, buildSegment, type Segment, type SegOptions } from "./tcp_seg.js";
import { SackScoreboard, sackBlocks } from "./tcp_sack.js";
import {
  MS, SEC, TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_INIT, TCP_DELACK_MIN, TCP_RETRIES2, TCP_SYN_RETRIES, TCP_SYNACK_RETRIES, TCP_ORPHAN_RETRIES_ALIVE, TcpTimer,
} from "./tcp_timer.js";

const TCP_MAX_QUICKACKS = 16;
const TCP_INIT_CWND = 10;
// RFC 9293's default MSS when the peer sends none.
export const TCP_MSS_DEFAULT = 536;
// net.ipv4.tcp_wmem[1] and tcp_rmem[1]: the sizes SO_SNDBUF/SO_RCVBUF report at first.
export const TCP_WMEM_DEFAULT = 16384;
export const TCP_RMEM_DEFAULT = 131072;
// Linux grows both buffers with the connection (tcp_sndbuf_expand,
// tcp_rcv_space_adjust) up to tcp_wmem[2]/tcp_rmem[2]; Ghost gives an
// unlocked socket this much at once.
const AUTOTUNED = 4 << 20;
// Our window scale: enough for AUTOTUNED (tcp_select_initial_window).
const RCV_WSCALE = 7;
const MAX_WINDOW = 65535;
// SACK blocks that fit beside timestamps, and without them (TCP_NUM_SACKS).
const SACK_BLOCKS_TS = 3;
const SACK_BLOCKS = 4;

export abstract class TcpOutput extends InetDataSocket {
  state = TCP_CLOSE;
  sndbuf = TCP_WMEM_DEFAULT;
  rcvbuf = TCP_RMEM_DEFAULT;
  userSndbuf = false;
  userRcvbuf = false;
  // options
  nodelay = false;
  cork = false;
  more = false; // MSG_MORE on the last send
  oobinline = false;
  keepIdle = 7200;
  keepIntvl = 75;
  keepCnt = 9;
  userTimeout = 0; // ms
  userMss = 0;
  quickackOpt = 1;
  // send side
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  sndWscale = 0;
  rcvWscale = 0;
  mss = TCP_MSS_DEFAULT;
  sndMax = 0; // the highest sequence sent (snd_nxt goes back after a timeout; this does not)
  // Options both SYNs offered (net.ipv4.tcp_timestamps and tcp_sack, on by default).
  tsOk = false;
  sackOk = false;
  wscaleOk = false;
  tsRecent = 0; // the peer's last timestamp, echoed back
  tsOffset: number | null = null; // random per connection, as Linux's ts_offset
  readonly scoreboard = new SackScoreboard();
  highRxt = 0; // where the next hole's retransmission in recovery starts
  lastOoo: number | null = null; // the latest out-of-order segment (first SACK block)
  private rtoSample = false; // a timeout cleared rttSeq: the next RTT comes from a timestamp echo
  readonly sndQ = new SendQueue(); // from sndUna: sent and unacknowledged, then unsent
  finQueued = false;
  nospace = false; // SOCK_NOSPACE: a writer found the send queue full
  memWait = false; // a writer found no TCP memory (tcp_mem.ts)
  sndUp = 0;
  urgSending = false;
  cwnd = 0;
  ssthresh = 0x7fffffff;
  dupAcks = 0;
  recover = 0;
  inRecovery = false;
  srtt = 0;
  rttvar = 0;
  rto = TCP_TIMEOUT_INIT;
  rttSeq: number | null = null;
  rttStart = 0;
  retries = 0;
  totalRetrans = 0;
  probes = 0;
  // When the first zero-window probe of this stall went (icsk_probes_tstamp), 0 when none.
  private probesStart = 0;
  readonly rtxTimer = new TcpTimer(this, () => this.onRto());
  private persistTimer: TimerHandle | null = null;
  private readonly delackTimer = new TcpTimer(this, () => { if (this.ackPending) this.sendAck(); });
  private keepTimer: TimerHandle | null = null;
  timeWait: TimerHandle | null = null;
  timeWaitEnd = 0; // monotonic ns when TIME_WAIT ends
  finTimer: TimerHandle | null = null;
  firstRetransAt = 0;
  // receive side
  irs = 0;
  rcvNxt = 0;
  readonly rcvQ = new ByteQueue();
  readonly ooo = new OooQueue();
  private rcvWup = 0; // the right edge of the window last advertised
  private ackPending = 0;
  private quickAcks = TCP_MAX_QUICKACKS;
  lastRecv = 0;
  urgState = 0;
  urgSeq = 0;
  urgByte = 0;
  urgMark = 0;

  abstract setState(st: number): void;
  abstract done_(): void;
  // The connection gave up (ETIMEDOUT). `reset`: tell the peer with a RST
  // (keepalive and retransmission timeouts); a zero-window probe's
  // tcp_write_err sends none.
  abstract timedOut(reset?: boolean): void;
  abstract finAcked(): void;
  abstract orphan: boolean;

  now(): number { return this.stack.k.clock.monotonic(); }
  timer(ns: number, fn: () => void): TimerHandle { return this.stack.k.timers.addCoarse(this.now() + ns, () => this.stack.bh(fn)); }

  // sk_stream_is_writeable: free send space at least half of what is queued.
  // Not while it waits for TCP memory (tcp_mem.ts).
  writeable(): boolean { return !this.memWait && this.sndSpace() - this.sndQ.length >= this.sndQ.length / 2; }

  sndSpace(): number { return this.userSndbuf ? this.sndbuf : Math.max(this.sndbuf, AUTOTUNED); }
  // tcp_adv_win_scale: a locked buffer offers half of itself as window.
  rcvSpace(): number { return this.userRcvbuf ? this.rcvbuf >> 1 : AUTOTUNED; }
  private oooBytes(): number { let n = 0; for (const o of this.ooo.values()) n += o.data.length; return n; }
  rcvWindow(): number { return Math.max(0, this.rcvSpace() - this.rcvQ.length - this.oooBytes()); }
  rcvWndRight(): number { return this.rcvWup; }
  // The receive sequence starts at the peer's SYN.
  initRcv(irs: number): void { this.irs = irs; this.rcvNxt = seqAdd(irs, 1); this.rcvWup = this.rcvNxt; }

  // The MSS this end advertises: the route's MTU less the headers.
  advMss(): number {
    const { dev } = this.stack.route(this.raddr);
    const hdrs = TCP_HLEN + (isV4(this.raddr) ? IPV4_HLEN : IPV6_HLEN);
    return Math.min(dev.mtu - hdrs, 65535 - hdrs);
  }

  inheritFrom(l: TcpOutput): void {
    this.sndbuf = l.sndbuf; this.rcvbuf = l.rcvbuf; this.userSndbuf = l.userSndbuf; this.userRcvbuf = l.userRcvbuf;
    this.nodelay = l.nodelay; this.oobinline = l.oobinline; this.keepalive = l.keepalive;
    this.keepIdle = l.keepIdle; this.keepIntvl = l.keepIntvl; this.keepCnt = l.keepCnt; this.userTimeout = l.userTimeout;
    this.linger = { ...l.linger }; this.reuseaddr = l.reuseaddr; this.reuseport = l.reuseport; this.ttl = l.ttl; this.tos = l.tos;
    this.v6only = l.v6only; this.userMss = l.userMss; this.userBound = true;
    this.rcvtimeo = l.rcvtimeo; this.sndtimeo = l.sndtimeo;
  }

  // The peer's SYN options: its MSS and window scale (both ends must offer scaling).
  synOptions(s: Segment): void {
    let m = Math.min(s.mss || TCP_MSS_DEFAULT, this.advMss());
    if (this.userMss) m = Math.min(m, this.userMss);
    this.tsOk = s.ts;
    this.sackOk = s.sackOk;
    this.wscaleOk = s.wscale >= 0;
    if (s.ts) this.tsRecent = s.tsval;
    if (this.tsOffset === null) this.tsOffset = this.random();
    // The segment size less the timestamps every segment carries (tcp_sync_mss).
    this.mss = m - (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    if (s.wscale >= 0) { this.sndWscale = s.wscale; this.rcvWscale = RCV_WSCALE; } else { this.sndWscale = 0; this.rcvWscale = 0; }
    this.cwnd = TCP_INIT_CWND * this.mss;
    this.lastRecv = this.now();
  }

  startConnect(): void {
    this.iss = this.random();
    this.sndUna = this.sndNxt = this.iss;
    this.rcvWscale = RCV_WSCALE;
    this.tsOffset = this.random();
    this.mss = Math.min(this.advMss(), this.userMss || Infinity);
    this.cwnd = TCP_INIT_CWND * this.mss;
    this.setState(TCP_SYN_SENT);
    this.sendSyn(false);
  }

  // A SYN, or with `ack` a SYN-ACK, from iss; retransmitted by the timer.
  sendSyn(ack: boolean): void {
    this.xmit(this.iss, TCPHDR_SYN | (ack ? TCPHDR_ACK : 0));
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    this.armRtx();
  }

  // Builds and sends one segment, its data `len` bytes of the send queue
  // from `off`; every segment but a SYN carries our window.
  xmit(seq: number, flags: number, off = 0, len = 0): void {
    const syn = (flags & TCPHDR_SYN) !== 0;
    const win = this.rcvWindow();
    // Never shrink the window already offered (RFC 9293 §3.8.6.2.2).
    const right = Math.max(seqDiff(this.rcvWup, this.rcvNxt), 0);
    let wnd = Math.max(win, syn ? 0 : right);
    wnd = syn ? Math.min(wnd, MAX_WINDOW) : Math.min(wnd >> this.rcvWscale, MAX_WINDOW);
    let urp = 0;
    if (this.urgSending && seqLt(seq, this.sndUp)) {
      flags |= TCPHDR_URG;
      urp = Math.min(seqDiff(this.sndUp, seq), 0xffff);
    }
    const hlen = NetStack.ipHlen(this.laddr, this.raddr);
    const seg = buildSegment(this.laddr, this.raddr, {
      sport: this.lport, dport: this.rport, seq, ack: flags & TCPHDR_ACK ? this.rcvNxt : 0, flags, wnd, urp,
      data: { q: this.sndQ, off, len },
    }, syn ? this.advMss() : 0, this.rcvWscale, hlen, !this.stack.viaLoopback(this.raddr), this.options(flags));
    if (flags & TCPHDR_ACK) {
      const edge = seqAdd(this.rcvNxt, syn ? wnd : wnd << this.rcvWscale);
      if (seqLt(this.rcvWup, edge)) this.rcvWup = edge;
      this.ackPending = 0;
      this.delackTimer.clear();
    }
    this.stack.outputPacket(this.laddr, this.raddr, IPPROTO_TCP, seg, this.ipTtl, this.tos);
  }

  // The options of a segment: a SYN offers timestamps and SACK (a SYN-ACK
  // only what the peer's SYN offered); the others carry timestamps and,
  // while data is held out of order, SACK blocks.
  private options(flags: number): SegOptions | undefined {
    if (flags & TCPHDR_SYN) {
      const offer = !(flags & TCPHDR_ACK);
      return { sackOk: offer || this.sackOk, ts: offer || this.tsOk ? { val: this.tsNow(), ecr: offer ? 0 : this.tsRecent } : undefined };
    }
    if (!this.tsOk && !(this.sackOk && this.ooo.size)) return undefined;
    const o: SegOptions = {};
    if (this.tsOk) o.ts = { val: this.tsNow(), ecr: this.tsRecent };
    if (this.sackOk && this.ooo.size && flags & TCPHDR_ACK) {
      o.sacks = sackBlocks(this.ooo, this.rcvNxt, this.lastOoo, this.tsOk ? SACK_BLOCKS_TS : SACK_BLOCKS);
    }
    return o;
  }

  // Our timestamp clock: milliseconds, from a random start (tcp_time_stamp_ms + ts_offset).
  tsNow(): number { return (Math.floor(this.now() / MS) + (this.tsOffset ?? 0)) >>> 0; }

  // The room SACK blocks take in a segment now (tcp_current_mss).
  private sackRoom(): number {
    if (!this.sackOk || !this.ooo.size) return 0;
    const n = Math.min(this.ooo.size, this.tsOk ? SACK_BLOCKS_TS : SACK_BLOCKS);
    return 4 + n * TCPOLEN_SACK_PERBLOCK;
  }

  sendAck(): void { this.xmit(this.sndNxt, TCPHDR_ACK); }
  sendRst(): void { this.xmit(this.sndNxt, TCPHDR_RST | TCPHDR_ACK); }
  sendRstFor(s: Segment): void { this.xmit(s.ack, TCPHDR_RST); }

  private get finSeq(): number { return seqAdd(this.sndUna, this.sndQ.length); }
  private get finSent(): boolean { return this.finQueued && seqLt(this.finSeq, this.sndNxt); }

  // Sends what the windows, Nagle and cork allow (tcp_write_xmit).
  output(): void {
    const st = this.state;
    if (st !== TCP_ESTABLISHED && st !== TCP_CLOSE_WAIT && st !== TCP_FIN_WAIT1 && st !== TCP_CLOSING && st !== TCP_LAST_ACK) return;
    for (;;) {
      // After a timeout, what the peer SACKed is not sent again.
      if (this.sackOk && !this.scoreboard.empty) {
        const past = this.scoreboard.skip(this.sndNxt);
        if (past !== this.sndNxt && seqLe(past, seqAdd(this.sndUna, this.sndQ.length))) this.sndNxt = past;
      }
      const sent = seqDiff(this.sndNxt, this.sndUna);
      const inFlightData = Math.min(sent, this.sndQ.length);
      const unsent = this.sndQ.length - inFlightData;
      // In flight: what was sent less what the peer holds (RFC 6675's pipe, simplified).
      const pipe = this.sackOk && !this.scoreboard.empty ? sent - this.scoreboard.bytesBelow(this.sndNxt) : sent;
      const usable = Math.min(this.sndWnd - sent, this.cwnd - pipe);
      if (unsent > 0) {
        let len = Math.min(unsent, this.mss - this.sackRoom(), this.sackOk ? this.scoreboard.room(this.sndNxt) : Infinity);
        if (usable <= 0) {
          if (this.sndWnd === 0 && sent === 0) this.armPersist();
          return;
        }
        len = Math.min(len, usable);
        const last = len === unsent;
        const urgent = this.urgSending && seqLt(this.sndNxt, this.sndUp);
        const push = this.nodelay || this.finQueued || urgent;
        // Nagle (RFC 896): a small segment waits while data is unacknowledged; cork and MSG_MORE wait for a full one.
        if (len < this.mss && !this.finQueued && (this.cork || this.more)) return;
        if (len < this.mss && sent > 0 && !push) return;
        // The FIN takes a sequence number of its own: it rides on the last
        // segment only when the peer's window has room for it too.
        const fin = last && this.finQueued && sent + len < this.sndWnd;
        this.xmit(this.sndNxt, TCPHDR_ACK | (last ? TCPHDR_PSH : 0) | (fin ? TCPHDR_FIN : 0), inFlightData, len);
        if (this.rttSeq === null) { this.rttSeq = seqAdd(this.sndNxt, len); this.rttStart = this.now(); }
        this.sndNxt = seqAdd(this.sndNxt, len + (fin ? 1 : 0));
        if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        this.armRtx(false);
        continue;
      }
      if (this.finQueued && !this.finSent) {
        // tcp_snd_wnd_test: a FIN goes only inside the peer's window. Sent
        // into a closed window it was dropped and resent on the backed-off
        // retransmission timer, so the peer that drained its window saw
        // EOF only that much later (seconds under load: the tcpserial
        // hang). Nothing in flight: the persist timer probes until the
        // window opens, and the window update sends the FIN at once.
        if (sent >= this.sndWnd) {
          if (sent === 0) this.armPersist();
          return;
        }
        this.xmit(this.sndNxt, TCPHDR_ACK | TCPHDR_FIN);
        this.sndNxt = seqAdd(this.sndNxt, 1);
        if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        this.armRtx(false);
      }
      if (this.urgSending && !seqLt(this.sndUna, this.sndUp)) this.urgSending = false;
      return;
    }
  }

  // ACK processing (tcp_ack): false when the segment must be dropped.
  ackInput(s: Segment): boolean {
    this.lastRecv = this.now();
    this.probes = 0;
    const ack = s.ack;
    if (seqLt(this.sndNxt, this.sndMax) && seqLt(this.sndNxt, ack) && seqLe(ack, this.sndMax)) this.sndNxt = ack; // sent before a timeout went back
    if (seqLt(this.sndNxt, ack)) { this.sendAck(); return false; } // acks what we never sent
    if (seqLt(ack, this.sndUna)) return true; // an old duplicate
    if (this.sackOk && s.sacks) this.scoreboard.add(s.sacks, ack, this.sndMax);
    const acked = seqDiff(ack, this.sndUna);
    const wndBefore = this.sndWnd;
    this.updateWindow(s);
    if (this.sndWnd > 0) this.probesStart = 0; // the stall is over (tcp_ack_probe)
    if (acked === 0) {
      const sent = seqDiff(this.sndNxt, this.sndUna);
      if (sent > 0 && !s.data.length && this.sndWnd === wndBefore && !(s.flags & (TCPHDR_SYN | TCPHDR_FIN))) this.dupAck();
      if (this.sndWnd > 0 && this.persistTimer) { this.persistTimer.cancel(); this.persistTimer = null; this.output(); }
      else if (this.sndWnd > wndBefore) this.output();
      return true;
    }
    const finWasSent = this.finSent;
    const dataAcked = Math.min(acked, this.sndQ.length);
    this.sndQ.drop(dataAcked);
    this.sndUna = ack;
    this.scoreboard.trim(ack);
    // RTT sample (Karn: never from a retransmitted segment; rttSeq is cleared
    // on a timeout, after which the timestamp echo gives one, RFC 7323 §4).
    if (this.rttSeq !== null && seqLe(this.rttSeq, ack)) { this.rttSample(this.now() - this.rttStart); this.rttSeq = null; }
    else if (this.rtoSample && this.tsOk && s.ts && s.tsecr) {
      this.rtoSample = false;
      this.rttSample(Math.max(0, (this.tsNow() - s.tsecr) | 0) * MS);
    }
    this.retries = 0;
    this.firstRetransAt = 0;
    // NewReno.
    if (this.inRecovery) {
      if (!seqLt(ack, this.recover)) { this.inRecovery = false; this.cwnd = this.ssthresh; }
      else { this.retransmitLost(); this.cwnd = Math.max(this.cwnd - dataAcked + this.mss, this.mss); }
    } else if (this.cwnd < this.ssthresh) this.cwnd += Math.min(dataAcked, this.mss);
    else this.cwnd += Math.max(1, Math.floor((this.mss * this.mss) / this.cwnd));
    this.dupAcks = 0;
    if (this.sndUna === this.sndNxt) this.rtxTimer.clear(); else this.armRtx(true);
    if (finWasSent && ack === this.sndNxt && this.finQueued) this.finAcked();
    // sk_stream_write_space: wake writers only when one found no room and there is now.
    if (this.nospace && this.writeable()) { this.nospace = false; this.wq.wakeAll(); }
    this.output();
    return true;
  }

  updateWindow(s: Segment): void {
    if (seqLt(this.sndWl1, s.seq) || (this.sndWl1 === s.seq && seqLe(this.sndWl2, s.ack))) {
      this.sndWnd = s.wnd << this.sndWscale;
      this.sndWl1 = s.seq;
      this.sndWl2 = s.ack;
    }
  }

  // Fast retransmit on the third duplicate ACK (RFC 5681 §3.2).
  private dupAck(): void {
    this.dupAcks++;
    if (this.dupAcks === 3 && !this.inRecovery) {
      const flight = seqDiff(this.sndNxt, this.sndUna);
      this.ssthresh = Math.max(flight >> 1, 2 * this.mss);
      this.cwnd = this.ssthresh + 3 * this.mss;
      this.recover = this.sndNxt;
      this.inRecovery = true;
      this.highRxt = this.sndUna;
      this.retransmitLost();
    } else if (this.inRecovery) {
      this.cwnd += this.mss;
      // With SACK, a hole the peer reported is resent before new data.
      if (!(this.sackOk && this.retransmitHole())) this.output();
    }
  }

  // RFC 6298 §2.
  private rttSample(r: number): void {
    if (this.srtt === 0) { this.srtt = r; this.rttvar = r / 2; } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.min(Math.max(this.srtt + Math.max(4 * this.rttvar, MS), TCP_RTO_MIN), TCP_RTO_MAX);
  }

  // Loss recovery's resend: the next SACK hole, else the first unacknowledged segment (NewReno).
  private retransmitLost(): void {
    if (this.sackOk && this.retransmitHole()) return;
    this.retransmitHead();
    this.highRxt = seqAdd(this.sndUna, Math.min(this.mss, this.sndQ.length));
  }

  // Resends the first hole below the highest SACKed byte not resent in this
  // recovery (RFC 6675 NextSeg); false when there is none.
  private retransmitHole(): boolean {
    const from = seqLt(this.highRxt, this.sndUna) ? this.sndUna : this.highRxt;
    const hole = this.scoreboard.nextHole(from);
    if (!hole) return false;
    const off = seqDiff(hole.seq, this.sndUna);
    const len = Math.min(this.mss - this.sackRoom(), hole.len, this.sndQ.length - off);
    if (len <= 0) return false;
    this.totalRetrans++;
    this.xmit(hole.seq, TCPHDR_ACK, off, len);
    this.highRxt = seqAdd(hole.seq, len);
    return true;
  }

  // Resends the first unacknowledged segment.
  private retransmitHead(): void {
    this.totalRetrans++;
    const len = Math.min(this.mss, this.sndQ.length);
    const fin = this.finQueued && len === this.sndQ.length && this.finSent;
    if (len === 0 && !fin) return;
    this.xmit(this.sndUna, TCPHDR_ACK | (len ? TCPHDR_PSH : 0) | (fin ? TCPHDR_FIN : 0), 0, len);
  }

  armRtx(restart = false): void {
    if (this.rtxTimer.pending && !restart) return;
    this.rtxTimer.arm(this.rto);
  }

  // The retransmission timer expired (tcp_retransmit_timer).
  private onRto(): void {
    const st = this.state;
    if (st === TCP_CLOSE || seqLe(this.sndNxt, this.sndUna)) return;
    this.retries++;
    if (!this.firstRetransAt) this.firstRetransAt = this.now();
    const limit = st === TCP_SYN_SENT ? TCP_SYN_RETRIES : st === TCP_SYN_RECV ? TCP_SYNACK_RETRIES : TCP_RETRIES2;
    const userExpired = this.userTimeout > 0 && this.now() - this.firstRetransAt >= this.userTimeout * MS;
    if (this.retries > limit || userExpired) {
      if (st === TCP_SYN_RECV && this.orphan) { this.done_(); return; }
      this.timedOut();
      return;
    }
    this.rto = Math.min(this.rto * 2, TCP_RTO_MAX);
    this.rttSeq = null;
    this.rtoSample = true;
    this.totalRetrans++;
    if (st === TCP_SYN_SENT || st === TCP_SYN_RECV) { this.sendSyn(st === TCP_SYN_RECV); return; }
    const flight = seqDiff(this.sndNxt, this.sndUna);
    this.ssthresh = Math.max(flight >> 1, 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.sndNxt = this.sndUna; // go back: resend from the first unacknowledged byte
    this.output();
    this.armRtx();
  }

  // The peer's window is closed and nothing is in flight: probe it
  // (tcp_probe_timer), each probe after twice the last wait. A peer that
  // answers keeps the connection open for ever (RFC 1122 §4.2.2.17: each
  // ACK clears the probe count), unless TCP_USER_TIMEOUT passes since the
  // first probe (the wait is cut to end then, as
  // tcp_clamp_probe0_to_user_timeout) or the socket is an orphan: closed
  // by its program, it dies once its backed-off RTO reaches TCP_RTO_MAX
  // (tcp_orphan_retries). A silent peer gets tcp_retries2 (15) probes.
  private armPersist(): void {
    if (this.persistTimer) return;
    let wait = Math.max(this.rto, TCP_RTO_MIN);
    if (this.userTimeout > 0 && this.probesStart) wait = Math.max(Math.min(wait, this.probesStart + this.userTimeout * MS - this.now()), 1);
    this.persistTimer = this.timer(wait, () => {
      this.persistTimer = null;
      if (this.state === TCP_CLOSE || this.sndWnd > 0) { this.probesStart = 0; this.output(); return; }
      if (this.probeExpired()) { this.timedOut(false); return; }
      this.probes++;
      this.xmit(seqAdd(this.sndUna, -1), TCPHDR_ACK);
      this.rto = Math.min(this.rto * 2, TCP_RTO_MAX);
      this.armPersist();
    });
  }

  // tcp_probe_timer's checks before another probe.
  private probeExpired(): boolean {
    const now = this.now();
    if (!this.probesStart) this.probesStart = now;
    else if (this.userTimeout > 0 && now - this.probesStart >= this.userTimeout * MS) return true;
    let max = TCP_RETRIES2;
    if (this.orphan) {
      if (this.rto >= TCP_RTO_MAX) return true;
      max = TCP_ORPHAN_RETRIES_ALIVE;
    }
    return this.probes >= max;
  }

  // In-order data came: acknowledge now or within the delayed-ACK time
  // (RFC 1122 §4.2.3.2: at least every second full segment).
  ackData(len: number, now: boolean): void {
    this.ackPending += len;
    if (now || this.quickAcks > 0 || this.ackPending >= 2 * this.mss) {
      if (this.quickAcks > 0) this.quickAcks--;
      this.sendAck();
      return;
    }
    if (!this.delackTimer.pending) this.delackTimer.arm(TCP_DELACK_MIN);
  }

  // After a read: tell the peer of the window it opened when that doubles
  // it (tcp_cleanup_rbuf) and grew by a segment or by half the buffer,
  // whichever is less (RFC 9293 §3.8.6.2.2's receiver silly-window rule;
  // Linux's __tcp_select_window caps the segment at the whole window). A
  // window smaller than one segment — a small SO_RCVBUF on loopback, whose
  // MSS is 64 KiB — was never announced, and the peer waited for its
  // persist timer each time it closed.
  cleanupRbuf(): void {
    const st = this.state;
    if (st !== TCP_ESTABLISHED && st !== TCP_FIN_WAIT1 && st !== TCP_FIN_WAIT2) return;
    const offered = Math.max(seqDiff(this.rcvWup, this.rcvNxt), 0);
    const now = this.rcvWindow();
    const step = Math.max(Math.min(this.mss, this.rcvSpace() >> 1), 1);
    if (this.ackPending || (now >= 2 * offered && now - offered >= step)) this.sendAck();
  }

  armKeepalive(): void {
    this.keepTimer?.cancel(); this.keepTimer = null;
    if (!this.keepalive || this.state === TCP_CLOSE) return;
    this.keepTimer = this.timer(this.keepIdle * SEC, () => this.onKeepalive());
  }

  // tcp_keepalive_timer: probes after keepIdle of silence, every keepIntvl, keepCnt of them.
  private onKeepalive(): void {
    this.keepTimer = null;
    const st = this.state;
    if (!this.keepalive || (st !== TCP_ESTABLISHED && st !== TCP_CLOSE_WAIT && st !== TCP_FIN_WAIT2)) return;
    const idle = this.now() - this.lastRecv;
    if (idle < this.keepIdle * SEC && this.probes === 0) {
      this.keepTimer = this.timer(this.keepIdle * SEC - idle, () => this.onKeepalive());
      return;
    }
    if (this.probes >= this.keepCnt) { this.timedOut(); return; }
    this.probes++;
    this.xmit(seqAdd(this.sndUna, -1), TCPHDR_ACK);
    this.keepTimer = this.timer(this.keepIntvl * SEC, () => this.onKeepalive());
  }

  cancelTimers(): void {
    this.rtxTimer.cancel(); this.delackTimer.cancel();
    for (const t of [this.persistTimer, this.keepTimer, this.timeWait, this.finTimer]) t?.cancel();
    this.persistTimer = this.keepTimer = this.timeWait = this.finTimer = null;
  }

  // TCP_INFO's state of the sender, for getsockopt.
  info(): { unacked: number; rtt: number; rttvar: number } {
    return { unacked: seqDiff(this.sndNxt, this.sndUna), rtt: Math.round(this.srtt / 1000), rttvar: Math.round(this.rttvar / 1000) };
  }
}

