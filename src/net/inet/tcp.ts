// TCP sockets (RFC 9293; Linux's net/ipv4/tcp*.c, reimplemented): the
// state machine with TIME_WAIT, listen with its SYN and accept queues,
// connect blocking or not, half-close, RST, urgent data, and the socket
// calls on top. Sending (windows, Nagle, congestion control, timers) is in
// tcp_output.ts; segments and byte queues in tcp_seg.ts; the connection
// table and listeners in tcp_table.ts.

import { sigurgQueue } from "../../fs/fown.js";
import { kerr } from "../../lib/errors.js";
import {
  EAGAIN, EINVAL, ENOTCONN, EPIPE, EISCONN, EALREADY, EINPROGRESS, ECONNABORTED, ECONNREFUSED, ECONNRESET,
  ETIMEDOUT, EADDRINUSE, EADDRNOTAVAIL,
} from "../../abi/errno.js";
import { MSG_PEEK, MSG_OOB, MSG_MORE, SOMAXCONN } from "../../abi/socket.js";
import {
  POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, POLLERR, POLLHUP, POLLRDHUP, POLLPRI,
} from "../../abi/poll.js";
import {
  TCPHDR_FIN, TCPHDR_SYN, TCPHDR_RST, TCPHDR_ACK, TCPHDR_URG,
  TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT, TCP_CLOSE,
  TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING,
} from "../../abi/inet.js";
import { type SockAddr } from "./addr.js";
import { type InetRecv } from "./socket.js";
import type { PortTable } from "./ports.js";
import { seqAdd, seqDiff, seqLt, seqLe, type Segment } from "./tcp_seg.js";
import { TcpOutput } from "./tcp_output.js";
import { TCP_TIMEWAIT_LEN, TCP_FIN_TIMEOUT } from "./tcp_timer.js";
import { type MemWaiter } from "./tcp_mem.js";
import { TCP, connKey, type Tcp } from "./tcp_table.js";

export { RCV_SHUTDOWN, SEND_SHUTDOWN } from "../shutdown.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN } from "../shutdown.js";
const SHUTDOWN_MASK = 3;

// Urgent data as Linux's tp->urg_data says it: none, announced but not
// arrived, arrived and unread, read.
export const URG_NONE = 0, URG_NOTYET = 1, URG_VALID = 2, URG_READ = 3;

// tcp_need_reset: the states in which an abort tells the peer with a RST.
const NEED_RESET = new Set([TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_SYN_RECV]);

export type SockState = "unconnected" | "connecting" | "connected";

export class TcpSocket extends TcpOutput implements MemWaiter {
  ss: SockState = "unconnected";
  maxBacklog = 0;
  readonly acceptQ: TcpSocket[] = [];
  readonly synQ = new Set<TcpSocket>();
  parent: TcpSocket | null = null;
  override orphan = false;
  done = false; // SOCK_DONE: the peer's FIN came
  private hashed: string | null = null;

  get ports(): PortTable { return this.stack.tcpPorts; }
  isListening(): boolean { return this.state === TCP_LISTEN; }
  get tcp(): Tcp { return this.stack.k.local(TCP); }

  constructor(...args: ConstructorParameters<typeof TcpOutput>) {
    super(...args);
    this.sndQ.mem = this.rcvQ.mem = this.ooo.mem = this.tcp.mem;
  }

  // sk_stream_write_space once TCP memory was freed: a writer that found
  // none tries again.
  memFreed(): void {
    if (!this.memWait) return;
    this.memWait = false;
    this.wq.wakeAll();
  }

  // --- the socket calls -------------------------------------------------

  listen(backlog: number): void {
    if (this.ss !== "unconnected" || (this.state !== TCP_CLOSE && this.state !== TCP_LISTEN)) kerr(EINVAL);
    const b = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (this.state === TCP_LISTEN) { this.maxBacklog = b; return; }
    if (!this.lport) this.autobind(EADDRINUSE);
    // inet_csk_get_port again with the socket listening: SO_REUSEADDR no longer shares.
    if (this.ports.conflicts(this, this.lport, true)) kerr(EADDRINUSE);
    this.maxBacklog = b;
    this.state = TCP_LISTEN;
    this.wq.wakeAll();
  }

  accept(): TcpSocket {
    if (this.state !== TCP_LISTEN) kerr(EINVAL);
    const c = this.acceptQ.shift();
    if (!c) kerr(EAGAIN);
    c.parent = null;
    c.ss = "connected";
    return c;
  }

  // __inet_stream_connect: 0 when connected; EINPROGRESS/EALREADY for a
  // non-blocking caller, EAGAIN for a blocking one to wait on wq.
  connect(sa: SockAddr, nonblock: boolean): void {
    if (sa.unspec) { this.disconnect(); this.ss = "unconnected"; return; }
    let err: number;
    switch (this.ss) {
      case "connected": return kerr(EISCONN);
      case "connecting": err = EALREADY; break;
      default: {
        if (this.state !== TCP_CLOSE) kerr(EISCONN);
        this.setPeer(sa, EADDRNOTAVAIL);
        this.hash();
        this.ss = "connecting";
        this.startConnect();
        err = EINPROGRESS;
      }
    }
    if (this.state === TCP_SYN_SENT || this.state === TCP_SYN_RECV) kerr(nonblock ? err : EAGAIN);
    if (this.state === TCP_CLOSE || this.state === TCP_TIME_WAIT) {
      this.ss = "unconnected";
      kerr(this.takeError() || ECONNABORTED);
    }
    this.ss = "connected";
  }

  send(data: Uint8Array, flags: number, _dest: SockAddr | null): number {
    const st = this.state;
    if (st !== TCP_ESTABLISHED && st !== TCP_CLOSE_WAIT) {
      // sk_stream_wait_connect: a handshake in progress is waited for.
      if (this.err) kerr(this.takeError());
      if (st === TCP_SYN_SENT || st === TCP_SYN_RECV) kerr(EAGAIN);
      kerr(EPIPE);
    }
    if (this.err || (this.shut & SEND_SHUTDOWN)) kerr(this.takeError() || EPIPE);
    if (!data.length) return 0;
    const room = this.sndSpace() - this.sndQ.length;
    if (room <= 0) { this.nospace = true; kerr(EAGAIN); }
    // What TCP memory allows (tcp_mem.ts): a part, or nothing and the
    // writer waits for memory (sk_stream_wait_memory).
    const n = this.tcp.mem.room(Math.min(room, data.length), this.sndQ.length === 0);
    if (n <= 0) { this.memWait = true; this.nospace = true; this.tcp.mem.waitFor(this); kerr(EAGAIN); }
    this.sndQ.pushCopy(n === data.length ? data : data.subarray(0, n)); // a copy: the caller's buffer may be reused
    if (flags & MSG_OOB) { this.sndUp = seqAdd(this.sndUna, this.sndQ.length); this.urgSending = true; }
    this.more = (flags & MSG_MORE) !== 0;
    this.output();
    return n;
  }

  recv(dst: Uint8Array, flags: number): InetRecv {
    if (this.state === TCP_LISTEN) kerr(ENOTCONN);
    if (flags & MSG_OOB) return this.recvUrg(dst, flags);
    const q = this.rcvQ;
    if (q.length > 0 && dst.length > 0) {
      let n = Math.min(dst.length, q.length);
      const urg = this.urgState !== URG_NONE && this.urgState !== URG_NOTYET;
      // A read stops at the urgent mark (tcp_recvmsg), and goes on past it when it starts there.
      if (urg && this.urgMark > q.popped) n = Math.min(n, this.urgMark - q.popped);
      q.copyTo(0, n, dst, 0);
      if (!(flags & MSG_PEEK)) {
        const start = q.popped;
        q.drop(n);
        if (urg && (start > this.urgMark || (start === this.urgMark && n > 0))) this.urgState = URG_NONE;
        this.cleanupRbuf();
      }
      return { n, msgLen: n, truncated: false, from: null };
    }
    if (dst.length === 0 && q.length > 0) return { n: 0, msgLen: 0, truncated: false, from: null };
    if (this.done) return { n: 0, msgLen: 0, truncated: false, from: null };
    if (this.err) kerr(this.takeError());
    if (this.shut & RCV_SHUTDOWN) return { n: 0, msgLen: 0, truncated: false, from: null };
    if (this.state === TCP_CLOSE || this.state === TCP_TIME_WAIT) kerr(ENOTCONN);
    return kerr(EAGAIN);
  }

  // tcp_recv_urg: the out-of-band byte; never waits.
  private recvUrg(dst: Uint8Array, flags: number): InetRecv {
    if (this.oobinline || this.urgState === URG_NONE || this.urgState === URG_READ) kerr(EINVAL);
    if (this.state === TCP_CLOSE && !this.done) kerr(ENOTCONN);
    if (this.urgState === URG_VALID) {
      if (!(flags & MSG_PEEK)) this.urgState = URG_READ;
      if (dst.length > 0) { dst[0] = this.urgByte; return { n: 1, msgLen: 1, truncated: false, from: null, oob: true }; }
      return { n: 0, msgLen: 1, truncated: true, from: null, oob: true };
    }
    if (this.state === TCP_CLOSE || (this.shut & RCV_SHUTDOWN)) return { n: 0, msgLen: 0, truncated: false, from: null };
    return kerr(EAGAIN);
  }

  // inet_shutdown and tcp_shutdown; `how` is already checked (0, 1 or 2).
  shutdown(how: number): void {
    const mask = how + 1;
    if (this.ss === "connecting") this.ss = [TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE].includes(this.state) ? "unconnected" : "connected";
    let err = 0;
    switch (this.state) {
      case TCP_LISTEN:
        if (mask & RCV_SHUTDOWN) { this.disconnect(); this.ss = "unconnected"; }
        break;
      case TCP_SYN_SENT:
        this.disconnect();
        this.ss = "unconnected";
        break;
      default:
        // Even an unconnected socket gets the bits (ENOTCONN; Linux wakes pollers for POLLHUP).
        if (this.state === TCP_CLOSE) err = ENOTCONN;
        this.shut |= mask;
        if ((mask & SEND_SHUTDOWN) && [TCP_ESTABLISHED, TCP_SYN_RECV, TCP_CLOSE_WAIT].includes(this.state)) this.sendFin();
    }
    this.wq.wakeAll();
    if (err) kerr(err);
  }

  private sendFin(): void {
    this.setState(this.state === TCP_CLOSE_WAIT ? TCP_LAST_ACK : TCP_FIN_WAIT1);
    this.finQueued = true;
    this.output();
  }

  // tcp_poll.
  poll(): number {
    const st = this.state;
    if (st === TCP_LISTEN) return this.acceptQ.length ? POLLIN | POLLRDNORM : 0;
    let m = 0;
    const closed = st === TCP_CLOSE || st === TCP_TIME_WAIT;
    if (this.shut === SHUTDOWN_MASK || closed) m |= POLLHUP;
    if (this.shut & RCV_SHUTDOWN) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (st !== TCP_SYN_SENT && st !== TCP_SYN_RECV) {
      if (this.rcvQ.length > 0) m |= POLLIN | POLLRDNORM;
      if (!(this.shut & SEND_SHUTDOWN)) {
        if (this.writeable()) m |= POLLOUT | POLLWRNORM;
        else this.nospace = true;
      } else m |= POLLOUT | POLLWRNORM;
      if (this.urgState === URG_VALID) m |= POLLPRI;
    }
    if (this.err) m |= POLLERR;
    return m;
  }

  bytesQueued(): number { return this.rcvQ.length; }
  bytesUnsent(): number { return this.sndQ.length; }
  override atMark(): boolean { return this.urgState !== URG_NONE && this.urgState !== URG_NOTYET && this.urgMark === this.rcvQ.popped; }

  // The last close (tcp_close).
  release(): void {
    this.orphan = true;
    this.shut = SHUTDOWN_MASK;
    const st = this.state;
    if (st === TCP_LISTEN) { this.disconnect(); this.unhashPort(); this.sockFree(); return; }
    this.tcp.mem.forget(this);
    if (st === TCP_CLOSE) { this.unhashPort(); this.purge(); return; }
    if (st === TCP_SYN_SENT) { this.done_(); return; }
    const unread = this.rcvQ.length > 0;
    if (unread || (this.linger.onoff && this.linger.secs === 0)) {
      // As Linux: unread data, or SO_LINGER with a zero time, abort with a RST.
      if (NEED_RESET.has(st)) this.sendRst();
      this.done_();
      return;
    }
    if (st === TCP_ESTABLISHED || st === TCP_SYN_RECV || st === TCP_CLOSE_WAIT) this.sendFin();
    else if (st === TCP_FIN_WAIT2) this.armFinTimeout();
    this.rcvQ.clear();
  }

  // tcp_disconnect: back to CLOSE, telling the peer with a RST where needed.
  disconnect(): void {
    const st = this.state;
    if (st === TCP_LISTEN) {
      // Connections nobody accepted end here (inet_csk_listen_stop): those
      // the peer already closed were kept for accept() until now.
      for (const c of this.acceptQ.splice(0)) { c.orphan = true; c.disconnect(); c.unhashPort(); c.sockFree(); }
      for (const c of [...this.synQ]) { c.orphan = true; c.done_(); }
      this.synQ.clear();
      this.state = TCP_CLOSE;
      this.wq.wakeAll();
      return;
    }
    if (NEED_RESET.has(st)) this.sendRst();
    if (st !== TCP_CLOSE) this.done_();
    this.err = 0;
    this.shut = 0;
    this.done = false;
    this.rcvQ.clear();
    this.sndQ.clear();
  }

  // --- states ------------------------------------------------------------

  hash(): void {
    this.hashed = connKey(this.laddr, this.lport, this.raddr, this.rport);
    this.tcp.conns.set(this.hashed, this);
  }
  private unhash(): void {
    if (this.hashed && this.tcp.conns.get(this.hashed) === this) this.tcp.conns.delete(this.hashed);
    this.hashed = null;
  }

  setState(st: number): void {
    if (st !== this.state) {
      if (this.state === TCP_TIME_WAIT) this.stack.timeWaitCount--;
      else if (st === TCP_TIME_WAIT) this.stack.timeWaitCount++;
    }
    this.state = st;
  }

  // tcp_done: the connection is over.
  done_(): void {
    this.setState(TCP_CLOSE);
    this.shut = SHUTDOWN_MASK;
    this.cancelTimers();
    this.unhash();
    // A connection in its listener's accept queue is still held there (it is
    // accept()ed closed, or ends with the listener).
    const queued = this.parent !== null && this.parent.acceptQ.includes(this);
    if (this.parent) { this.parent.synQ.delete(this); this.parent = null; }
    if (!this.userBound || this.orphan) this.unhashPort();
    if (this.orphan && !queued) this.purge();
    this.wq.wakeAll();
  }

  // inet_csk_destroy_sock: a closed connection nobody holds gives its
  // queues' memory back, and then the socket's own (sk_free). Reached once
  // a socket is both in CLOSE and orphaned, from whichever came last: the
  // last close of a closed socket (release), or the end of an orphan's
  // connection (done_: TIME_WAIT or FIN_WAIT2 over, LAST_ACK acked, a RST,
  // a timeout).
  private purge(): void {
    this.rcvQ.clear();
    this.sndQ.clear();
    this.ooo.clear();
    this.sockFree();
  }

  private enterTimeWait(): void {
    // tcp_time_wait: with tcp_max_tw_buckets connections already waiting, this one just closes.
    if (this.stack.timeWaitCount >= this.stack.maxTwBuckets) { this.done_(); return; }
    this.setState(TCP_TIME_WAIT);
    this.cancelTimers();
    this.shut = SHUTDOWN_MASK;
    this.timeWaitEnd = this.now() + TCP_TIMEWAIT_LEN;
    this.timeWait = this.timer(TCP_TIMEWAIT_LEN, () => this.done_());
    this.wq.wakeAll();
  }

  armFinTimeout(): void {
    if (!this.orphan) return;
    this.finTimer?.cancel();
    this.finTimer = this.timer(TCP_FIN_TIMEOUT, () => this.done_());
  }

  // tcp_reset: the peer reset the connection.
  reset(): void {
    const st = this.state;
    const e = st === TCP_SYN_SENT ? ECONNREFUSED : st === TCP_CLOSE_WAIT ? EPIPE : ECONNRESET;
    if (st !== TCP_CLOSE) this.err = e;
    this.sndQ.clear();
    this.done_();
  }

  // tcp_v4_err: an ICMP unreachable for a connection being opened ends it
  // with that error (connect(2) fails with it); on a synchronized
  // connection it is only a soft error, not kept here.
  icmpError(errno: number): void {
    if (this.state !== TCP_SYN_SENT) return;
    this.err = errno;
    this.done_();
  }

  // A retransmission or keepalive gave up.
  timedOut(reset = true): void {
    this.err = ETIMEDOUT;
    if (reset && NEED_RESET.has(this.state)) this.sendRst();
    this.done_();
  }

  // --- input ----------------------------------------------------------------

  // A segment for this connection (tcp_rcv_state_process).
  input(s: Segment): void {
    switch (this.state) {
      case TCP_CLOSE: return;
      case TCP_SYN_SENT: return this.synSentInput(s);
      case TCP_TIME_WAIT:
        if (s.flags & TCPHDR_RST) return;
        if (s.flags & TCPHDR_FIN) this.sendAck(); // the peer did not hear our last ACK
        return;
    }
    const len = s.data.length + (s.flags & TCPHDR_SYN ? 1 : 0) + (s.flags & TCPHDR_FIN ? 1 : 0);
    // PAWS (RFC 7323 §5, tcp_paws_discard): a segment whose timestamp is
    // older than the last one taken is an old duplicate: dropped, and
    // answered with an ACK (a RST is not, and not dropped).
    if (this.tsOk && s.ts && !(s.flags & TCPHDR_RST) && seqLt(s.tsval, this.tsRecent)) { this.sendAck(); return; }
    if (!this.acceptable(s.seq, len)) {
      if (!(s.flags & TCPHDR_RST)) this.sendAck();
      return;
    }
    if (s.flags & TCPHDR_RST) {
      // RFC 5961: only an exact match resets; another in-window RST draws a challenge ACK.
      if (s.seq !== this.rcvNxt) { this.sendAck(); return; }
      if (this.state === TCP_SYN_RECV && this.parent) { this.done_(); return; }
      this.reset();
      return;
    }
    if (s.flags & TCPHDR_SYN) { this.sendAck(); return; }
    if (!(s.flags & TCPHDR_ACK)) return;
    // The timestamp to echo: from a segment that starts at or before what we
    // acknowledge (RFC 7323 §4.3, tcp_store_ts_recent).
    if (this.tsOk && s.ts && seqLe(s.seq, this.rcvNxt) && !seqLt(s.tsval, this.tsRecent)) this.tsRecent = s.tsval;
    if (this.state === TCP_SYN_RECV) {
      if (!(seqLt(this.sndUna, s.ack) && seqLe(s.ack, this.sndNxt))) { this.sendRstFor(s); return; }
      const p = this.parent;
      if (p && p.acceptQ.length > p.maxBacklog) return; // the accept queue filled since the SYN: drop the ACK
      this.sndUna = s.ack;
      this.updateWindow(s);
      this.established();
      if (p) { p.synQ.delete(this); p.acceptQ.push(this); p.wq.wakeAll(); }
    }
    if (!this.ackInput(s)) return;
    if (this.state === TCP_CLOSE) return;
    if (s.flags & TCPHDR_URG) this.checkUrg(s);
    const st = this.state;
    if (s.data.length && (st === TCP_FIN_WAIT1 || st === TCP_FIN_WAIT2) && (this.shut & RCV_SHUTDOWN) && this.orphan) {
      // Data after close(): nobody will read it (tcp_rcv_state_process resets).
      this.sendRst();
      this.err = ECONNRESET;
      this.done_();
      return;
    }
    if (st === TCP_ESTABLISHED || st === TCP_FIN_WAIT1 || st === TCP_FIN_WAIT2) this.dataInput(s);
    else if ((s.flags & TCPHDR_FIN) && s.seq === this.rcvNxt) this.sendAck();
  }

  private synSentInput(s: Segment): void {
    if (s.flags & TCPHDR_ACK) {
      if (!(seqLt(this.iss, s.ack) && seqLe(s.ack, this.sndNxt))) {
        if (!(s.flags & TCPHDR_RST)) this.sendRstFor(s);
        return;
      }
    }
    if (s.flags & TCPHDR_RST) { if (s.flags & TCPHDR_ACK) this.reset(); return; }
    if (!(s.flags & TCPHDR_SYN)) return;
    this.synOptions(s);
    this.initRcv(s.seq);
    if (s.flags & TCPHDR_ACK) {
      this.sndUna = s.ack;
      this.sndWnd = s.wnd; // a SYN's window is never scaled
      this.sndWl1 = s.seq; this.sndWl2 = s.ack;
      this.established();
      this.sendAck();
      this.output();
    } else {
      // Simultaneous open.
      this.setState(TCP_SYN_RECV);
      this.sendSyn(true);
    }
  }

  private established(): void {
    this.setState(TCP_ESTABLISHED);
    this.rtxTimer.clear();
    this.retries = 0;
    this.armKeepalive();
    this.wq.wakeAll();
  }

  // Whether a segment falls in the receive window (RFC 9293's four cases).
  private acceptable(seq: number, len: number): boolean {
    const wnd = Math.max(seqDiff(this.rcvWndRight(), this.rcvNxt), 0);
    const d = seqDiff(seq, this.rcvNxt);
    if (len === 0) return wnd === 0 ? d === 0 : (d >= 0 && d < wnd) || d === 0;
    if (wnd === 0) return false;
    const e = seqDiff(seqAdd(seq, len - 1), this.rcvNxt);
    return (d >= 0 && d < wnd) || (e >= 0 && e < wnd) || (d < 0 && e >= 0);
  }

  // tcp_check_urg: the urgent pointer names the byte before it (BSD's reading, Linux's default).
  private checkUrg(s: Segment): void {
    if (!s.urp) return;
    const useq = seqAdd(s.seq, s.urp - 1);
    if (seqLt(useq, this.rcvNxt)) return; // already queued as ordinary data
    if (this.urgState !== URG_NONE && !seqLt(this.urgSeq, useq)) return;
    this.urgSeq = useq;
    this.urgState = URG_NOTYET;
  }

  // Queues in-order data (and the FIN after it); keeps what came early.
  private dataInput(s: Segment): void {
    let seq = s.seq;
    let data = s.data;
    let fin = (s.flags & TCPHDR_FIN) !== 0;
    if (seqLt(seq, this.rcvNxt)) {
      const cut = seqDiff(this.rcvNxt, seq);
      if (cut > data.length) { if (!fin || cut > data.length + 1) { this.sendAck(); return; } }
      data = data.subarray(Math.min(cut, data.length));
      seq = this.rcvNxt;
    }
    const room = Math.max(seqDiff(this.rcvWndRight(), seq), 0);
    if (data.length > room) { data = data.subarray(0, room); fin = false; }
    if (!data.length && !fin) return;
    // tcp_try_rmem_schedule: past TCP memory the segment is dropped (the
    // sender retransmits it), unless nothing is queued yet.
    if (data.length && this.tcp.mem.room(data.length, this.rcvQ.length === 0) < data.length) return;
    if (seq !== this.rcvNxt) {
      this.ooo.set(seq, { data: data.slice(), fin });
      this.lastOoo = seq;
      this.sendAck(); // a duplicate ACK tells the sender of the hole
      return;
    }
    this.queueData(data);
    if (fin) this.finInput();
    for (let o = this.ooo.get(this.rcvNxt); o && !this.done; o = this.ooo.get(this.rcvNxt)) {
      this.ooo.delete(this.rcvNxt);
      this.queueData(o.data);
      if (o.fin) this.finInput();
    }
    // Drop what the in-order data now covers.
    for (const k of [...this.ooo.keys()]) if (seqLt(k, this.rcvNxt)) this.ooo.delete(k);
    if (data.length) this.ackData(data.length, this.ooo.size > 0);
    this.wq.wakeAll();
  }

  private queueData(d: Uint8Array): void {
    if (!d.length) return;
    if (this.urgState === URG_NOTYET) {
      const i = seqDiff(this.urgSeq, this.rcvNxt);
      if (i >= 0 && i < d.length) {
        this.urgByte = d[i];
        this.urgState = URG_VALID;
        if (this.oobinline) {
          this.urgMark = this.rcvQ.pushed + i;
          this.rcvQ.push(d);
        } else {
          this.rcvQ.push(d.subarray(0, i));
          this.urgMark = this.rcvQ.pushed;
          this.rcvQ.push(d.subarray(i + 1));
        }
        this.rcvNxt = seqAdd(this.rcvNxt, d.length);
        this.signalUrg();
        return;
      }
    }
    this.rcvQ.push(d);
    this.rcvNxt = seqAdd(this.rcvNxt, d.length);
  }

  // tcp_fin.
  private finInput(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.shut |= RCV_SHUTDOWN;
    this.done = true;
    switch (this.state) {
      case TCP_SYN_RECV: case TCP_ESTABLISHED: this.setState(TCP_CLOSE_WAIT); break;
      case TCP_FIN_WAIT1: this.setState(TCP_CLOSING); break;
      case TCP_FIN_WAIT2: this.sendAck(); this.enterTimeWait(); return;
    }
    this.sendAck();
    this.wq.wakeAll();
  }

  // Our FIN was acknowledged.
  finAcked(): void {
    switch (this.state) {
      case TCP_FIN_WAIT1: this.setState(TCP_FIN_WAIT2); this.armFinTimeout(); this.wq.wakeAll(); break;
      case TCP_CLOSING: this.enterTimeWait(); break;
      case TCP_LAST_ACK: this.done_(); break;
    }
  }

  // Pollers learn by POLLPRI; the file's F_SETOWN owner gets SIGURG (fs/fown.ts).
  private signalUrg(): void { this.wq.wakeAll(); sigurgQueue(this.wq); }
}
