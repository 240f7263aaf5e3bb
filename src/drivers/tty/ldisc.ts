// The N_TTY line discipline, as termios(3) and Linux's n_tty behave:
// input processing (ISTRIP, IUCLC, IGNCR/ICRNL/INLCR, IXON/IXANY flow control,
// ISIG signal characters), canonical line editing (ERASE, WERASE, KILL,
// LNEXT, REPRINT, EOF, EOL, EOL2) with every echo variant (ECHO, ECHOE,
// ECHOK, ECHOKE, ECHONL, ECHOCTL, ECHOPRT), the non-canonical queue that
// VMIN/VTIME reads draw from, IXOFF throttling, and output processing
// (OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS).
//
// It is pure: no tasks, no clock. The tty above it decides when a read may
// block and whom a signal reaches; the device below it receives the bytes
// the discipline emits through its port.

import {
  ISTRIP, IUCLC, IGNCR, ICRNL, INLCR, IXON, IXANY, IXOFF, IMAXBEL, PARMRK, IUTF8,
  OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, TABDLY, XTABS,
  ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, ECHOCTL, ECHOPRT, ECHOKE, IEXTEN, EXTPROC,
  VINTR, VQUIT, VERASE, VKILL, VEOF, VMIN, VTIME, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VWERASE, VLNEXT, VEOL2,
} from "../../abi/ioctl.js";
import { SIGINT, SIGQUIT, SIGTSTP } from "../../abi/signal.js";
import type { Termios } from "./termios.js";

export const N_TTY_BUF_SIZE = 4096;
const MASK = N_TTY_BUF_SIZE - 1;
// Throttle (IXOFF) when fewer than this many bytes of room are left; resume above it.
const THROTTLE_ROOM = 128;
const ECHO_WATERMARK = 256;

const MARK_NONE = 0;
const MARK_LINE = 1; // a line ends here; the character is read with the line
const MARK_EOF = 2; // an end-of-file (VEOF) marker: ends the line, never read

const BS = 8, TAB = 9, NL = 10, CR = 13, SPACE = 32, DEL = 127;

const isCntrl = (c: number) => c < 32 || c === DEL;
const isContinuation = (c: number) => (c & 0xc0) === 0x80;
const isWordChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

// What the discipline needs from the tty it serves.
export interface LdiscPort {
  // Bytes for the device: echoes, processed output, flow-control characters.
  emit(bytes: number[]): void;
  // ISIG: raise sig in the foreground process group.
  signal(sig: number): void;
  // ISIG without NOFLSH: pending output was discarded (a pty master drops what it has not read).
  flushOutput(): void;
  // Output was stopped or started (IXON characters, IXANY, tcflow).
  flowChanged(): void;
  // New data can be read, or room appeared.
  wake(): void;
}

export class NTty {
  private readonly buf = new Uint8Array(N_TTY_BUF_SIZE);
  private readonly mark = new Uint8Array(N_TTY_BUF_SIZE);
  // Absolute positions; index the ring with & MASK.
  private tail = 0; // next byte to read
  private head = 0; // next free slot
  private canonHead = 0; // end of the committed lines (canonical mode)
  private lnext = false;
  private erasing = false; // ECHOPRT: inside a \…/ erase sequence
  // Output column (for ONOCR and erasing tabs), and where the line being edited began.
  column = 0;
  private canonColumn = 0;
  // Output flow: stopped by the STOP character, or by tcflow(TCOOFF).
  flowStopped = false;
  tcoStopped = false;
  // Echoes not yet sent: flushed at the end of each batch of input (or at
  // ECHO_WATERMARK bytes), held while output is stopped, and dropped by a
  // signal character's flush — as Linux's echo buffer.
  private echoBuf: number[] = [];
  private throttled = false;
  // When the last byte arrived (ns), for the VTIME inter-byte timer.
  lastInput = 0;

  constructor(public termios: Termios, private readonly port: LdiscPort) {}

  get stopped(): boolean { return this.flowStopped || this.tcoStopped; }
  private get canon(): boolean { return (this.termios.lflag & ICANON) !== 0; }
  private l(flag: number): boolean { return (this.termios.lflag & flag) !== 0; }
  private i(flag: number): boolean { return (this.termios.iflag & flag) !== 0; }
  private o(flag: number): boolean { return (this.termios.oflag & flag) !== 0; }

  get count(): number { return this.head - this.tail; }

  // Room for more input, in bytes.
  room(): number {
    const free = N_TTY_BUF_SIZE - 1 - this.count;
    // A canonical line that fills the buffer still takes its terminator
    // (the characters in between are dropped): input never wedges.
    if (free <= 0 && this.canon && this.canonHead === this.tail) return 1;
    return Math.max(0, free);
  }

  // ---------------------------------------------------------------- input

  // Feeds bytes from the device; returns how many were taken (the rest wait for room).
  receive(bytes: Uint8Array, now = 0): number {
    let n = 0;
    for (; n < bytes.length; n++) {
      if (this.room() <= 0) break;
      this.receiveChar(bytes[n]);
      if (this.echoBuf.length >= ECHO_WATERMARK) this.flushEchoes();
    }
    this.flushEchoes();
    if (n) { this.lastInput = now; this.checkThrottle(); this.port.wake(); }
    return n;
  }

  private put(c: number, m = MARK_NONE): void {
    if (this.count >= N_TTY_BUF_SIZE - 1) {
      // A full canonical line keeps only its terminator (in the last slot).
      if (m === MARK_NONE) return;
      if (this.count >= N_TTY_BUF_SIZE) this.head--;
    }
    const at = this.head & MASK;
    this.buf[at] = c;
    this.mark[at] = m;
    this.head++;
  }

  private receiveChar(c: number): void {
    const t = this.termios;
    if (this.i(ISTRIP)) c &= 0x7f;
    if (this.i(IUCLC) && this.l(IEXTEN) && c >= 0x41 && c <= 0x5a) c += 0x20;
    if (this.l(EXTPROC)) { this.put(c); return; }
    if (this.lnext) {
      // The character after LNEXT is taken literally.
      this.lnext = false;
      if (this.l(ECHO)) {
        this.finishErasing();
        if (this.canonHead === this.head) this.canonColumn = this.column;
        this.echoChar(c);
      }
      if (c === 0xff && this.i(PARMRK)) this.put(c);
      this.put(c);
      return;
    }
    if (this.i(IXON)) {
      if (t.is(c, VSTART)) { this.start(false); return; }
      if (t.is(c, VSTOP)) { this.stop(false); return; }
    }
    if (this.l(ISIG)) {
      const sig = t.is(c, VINTR) ? SIGINT : t.is(c, VQUIT) ? SIGQUIT : t.is(c, VSUSP) ? SIGTSTP : 0;
      if (sig) { this.signalChar(sig, c); return; }
    }
    if (this.flowStopped && !this.tcoStopped && this.i(IXON) && this.i(IXANY)) this.start(false);
    if (c === CR) {
      if (this.i(IGNCR)) return;
      if (this.i(ICRNL)) c = NL;
    } else if (c === NL && this.i(INLCR)) c = CR;

    if (this.canon) {
      if (t.is(c, VERASE) || t.is(c, VKILL) || (t.is(c, VWERASE) && this.l(IEXTEN))) { this.eraser(c); return; }
      if (t.is(c, VLNEXT) && this.l(IEXTEN)) {
        this.lnext = true;
        if (this.l(ECHO)) {
          this.finishErasing();
          if (this.l(ECHOCTL)) this.echoRaw([0x5e, BS]);
        }
        return;
      }
      if (t.is(c, VREPRINT) && this.l(ECHO) && this.l(IEXTEN)) {
        this.finishErasing();
        this.echoChar(c);
        this.echoOut(NL);
        for (let p = this.canonHead; p < this.head; p++) this.echoChar(this.buf[p & MASK]);
        return;
      }
      if (c === NL) {
        if (this.l(ECHO) || this.l(ECHONL)) { this.finishErasing(); this.echoOut(NL); }
        this.endLine(c, MARK_LINE);
        return;
      }
      if (t.is(c, VEOF)) { this.endLine(0, MARK_EOF); return; }
      if (t.is(c, VEOL) || (t.is(c, VEOL2) && this.l(IEXTEN))) {
        if (this.l(ECHO)) {
          this.finishErasing();
          if (this.canonHead === this.head) this.canonColumn = this.column;
          this.echoChar(c);
        }
        if (c === 0xff && this.i(PARMRK)) this.put(c);
        this.endLine(c, MARK_LINE);
        return;
      }
    }

    if (this.l(ECHO)) {
      this.finishErasing();
      if (c === NL) this.echoOut(NL);
      else {
        if (this.canonHead === this.head) this.canonColumn = this.column;
        // A full canonical line rings the bell instead (IMAXBEL).
        if (this.canon && this.count >= N_TTY_BUF_SIZE - 1 && this.i(IMAXBEL)) this.echoRaw([7]);
        else this.echoChar(c);
      }
    }
    if (c === 0xff && this.i(PARMRK)) this.put(c);
    this.put(c);
  }

  private endLine(c: number, m: number): void {
    this.put(c, m);
    this.canonHead = this.head;
  }

  // INTR, QUIT, SUSP: the signal, a flush unless NOFLSH, output restarted, the echo.
  private signalChar(sig: number, c: number): void {
    this.port.signal(sig);
    if (!this.l(NOFLSH)) {
      this.echoBuf = [];
      this.port.flushOutput();
      this.flushInput();
    }
    if (this.i(IXON)) this.start(false);
    if (this.l(ECHO)) this.echoChar(c);
  }

  // ERASE, WERASE and KILL on the line being edited, with their echoes.
  private eraser(c: number): void {
    const t = this.termios;
    if (this.head === this.canonHead) return; // nothing to erase
    const erase = t.is(c, VERASE);
    const werase = !erase && t.is(c, VWERASE) && this.l(IEXTEN);
    const kill = !erase && !werase;
    const echo = this.l(ECHO);
    if (kill) {
      if (!echo) { this.head = this.canonHead; return; }
      if (!this.l(ECHOK) || !this.l(ECHOKE) || !this.l(ECHOE)) {
        this.head = this.canonHead;
        this.finishErasing();
        this.echoChar(c);
        if (this.l(ECHOK)) this.echoOut(NL);
        return;
      }
    }
    let seenWord = false;
    while (this.head !== this.canonHead) {
      // One character (with its UTF-8 continuation bytes).
      let p = this.head - 1;
      let ch = this.buf[p & MASK];
      if (this.i(IUTF8)) {
        while (p > this.canonHead && isContinuation(this.buf[p & MASK])) p--;
        ch = this.buf[p & MASK];
      }
      if (werase) {
        if (isWordChar(ch)) seenWord = true;
        else if (seenWord) break;
      }
      const removed = this.head - p;
      this.head = p;
      if (echo) {
        if (this.l(ECHOPRT)) {
          if (!this.erasing) { this.echoRaw([0x5c]); this.erasing = true; }
          this.echoChar(ch);
          for (let q = p + 1; q < p + removed; q++) this.echoRaw([this.buf[q & MASK]]);
        } else if (erase && !this.l(ECHOE)) {
          this.echoChar(t.cc[VERASE]);
        } else if (ch === TAB) {
          this.eraseTab();
        } else {
          if (isCntrl(ch) && this.l(ECHOCTL)) this.echoRaw([BS, SPACE, BS]);
          if (!isCntrl(ch) || this.l(ECHOCTL)) this.echoRaw([BS, SPACE, BS]);
        }
      }
      if (erase) break;
    }
    if (this.head === this.canonHead && echo) this.finishErasing();
  }

  // Backs the cursor over a tab: as many columns as the tab advanced.
  private eraseTab(): void {
    let col = this.canonColumn;
    for (let p = this.canonHead; p < this.head; p++) {
      const ch = this.buf[p & MASK];
      if (ch === TAB) col = (col | 7) + 1;
      else if (isCntrl(ch)) { if (this.l(ECHOCTL)) col += 2; }
      else if (!(this.i(IUTF8) && isContinuation(ch))) col++;
    }
    const width = ((col | 7) + 1) - col;
    const bs: number[] = [];
    for (let i = 0; i < width; i++) bs.push(BS);
    this.echoRaw(bs);
  }

  private finishErasing(): void {
    if (this.erasing) { this.echoRaw([0x2f]); this.erasing = false; }
  }

  // ---------------------------------------------------------------- echo and output

  // Echo of one input character: control characters as ^X under ECHOCTL.
  private echoChar(c: number): void {
    if (c === NL) { this.echoOut(NL); return; }
    if (this.l(ECHOCTL) && isCntrl(c) && c !== TAB) { this.echoRaw([0x5e, c ^ 0o100]); return; }
    this.echoOut(c);
  }

  // An echoed character that goes through output processing.
  private echoOut(c: number): void {
    const out: number[] = [];
    this.outChar(c, out);
    this.deliver(out, true);
  }

  // Echo bytes written as they are (the column follows them).
  private echoRaw(bytes: number[]): void {
    for (const b of bytes) {
      if (b === BS) { if (this.column > 0) this.column--; }
      else if (!isCntrl(b)) this.column++;
    }
    this.deliver(bytes, true);
  }

  private deliver(bytes: number[], echo: boolean): void {
    if (!bytes.length) return;
    if (echo) { for (const b of bytes) this.echoBuf.push(b); return; }
    this.port.emit(bytes);
  }

  private flushEchoes(): void {
    if (this.stopped || !this.echoBuf.length) return;
    const out = this.echoBuf;
    this.echoBuf = [];
    this.port.emit(out);
  }

  // Output processing of one character into out (OPOST and its flags).
  private outChar(c: number, out: number[]): void {
    if (!this.o(OPOST)) { out.push(c); return; }
    switch (c) {
      case NL:
        if (this.o(ONLRET)) this.column = 0;
        if (this.o(ONLCR)) { this.column = 0; out.push(CR, NL); return; }
        out.push(NL);
        return;
      case CR:
        if (this.o(ONOCR) && this.column === 0) return;
        if (this.o(OCRNL)) {
          if (this.o(ONLRET)) this.column = 0;
          out.push(NL);
          return;
        }
        this.column = 0;
        out.push(CR);
        return;
      case TAB: {
        const spaces = 8 - (this.column & 7);
        this.column += spaces;
        if ((this.termios.oflag & TABDLY) === XTABS) { for (let i = 0; i < spaces; i++) out.push(SPACE); return; }
        out.push(TAB);
        return;
      }
      case BS:
        if (this.column > 0) this.column--;
        out.push(BS);
        return;
      default:
        if (!isCntrl(c)) {
          if (this.o(OLCUC) && c >= 0x61 && c <= 0x7a) c -= 0x20;
          if (!(this.i(IUTF8) && isContinuation(c))) this.column++;
        }
        out.push(c);
    }
  }

  // Output from a writer: processed and emitted. Returns the bytes produced.
  write(src: Uint8Array): number[] {
    const out: number[] = [];
    for (let i = 0; i < src.length; i++) this.outChar(src[i], out);
    this.deliver(out, false);
    return out;
  }

  // A character sent to the device as it is (tcflow's START/STOP, IXOFF).
  sendRaw(c: number): void { this.port.emit([c]); }

  // ---------------------------------------------------------------- reading

  // Bytes a read could return now: canonical mode counts complete lines only.
  available(): number {
    if (this.canon) return this.canonHead - this.tail;
    return this.count;
  }

  // Input ready for poll: a line (canonical) or, raw, VMIN bytes when VTIME is 0.
  readyForPoll(): boolean {
    if (this.canon) return this.canonHead > this.tail;
    const min = this.termios.cc[VMIN], time = this.termios.cc[VTIME];
    const amt = time === 0 && min > 0 ? min : 1;
    return this.count >= amt;
  }

  // FIONREAD: in canonical mode the bytes of complete lines, end-of-file markers not counted.
  inq(): number {
    if (!this.canon) return this.count;
    let n = 0;
    for (let p = this.tail; p < this.canonHead; p++) if (this.mark[p & MASK] !== MARK_EOF) n++;
    return n;
  }

  // Takes input: one line at most in canonical mode. Returns bytes copied and
  // whether an end-of-file marker was consumed (a read of 0 bytes then is EOF).
  read(dst: Uint8Array): { n: number; eof: boolean } {
    let n = 0;
    let eof = false;
    if (this.canon) {
      while (this.tail < this.canonHead && n < dst.length) {
        const at = this.tail & MASK;
        const m = this.mark[at];
        this.tail++;
        if (m === MARK_EOF) { eof = true; break; }
        dst[n++] = this.buf[at];
        if (m === MARK_LINE) break;
      }
      // A pending end-of-file right after a line is left for the next read.
    } else {
      while (this.tail < this.head && n < dst.length) dst[n++] = this.buf[this.tail++ & MASK];
      if (this.canonHead < this.tail) this.canonHead = this.tail;
    }
    if (this.tail === this.head) { this.tail = this.head = this.canonHead = 0; }
    if (n || eof) { this.checkThrottle(); this.port.wake(); }
    return { n, eof };
  }

  flushInput(): void {
    this.tail = this.head = this.canonHead = 0;
    this.lnext = false;
    this.erasing = false;
    this.checkThrottle();
    this.port.wake();
  }

  // Inserts input as if typed (TIOCSTI).
  simulate(c: number, now = 0): void { this.receive(Uint8Array.of(c), now); }

  // IXOFF: ask the far end to pause when the queue is nearly full, and to resume.
  private checkThrottle(): void {
    if (!this.i(IXOFF)) { this.throttled = false; return; }
    const free = N_TTY_BUF_SIZE - 1 - this.count;
    if (!this.throttled && free < THROTTLE_ROOM) {
      this.throttled = true;
      if (this.termios.cc[VSTOP]) this.sendRaw(this.termios.cc[VSTOP]);
    } else if (this.throttled && free >= THROTTLE_ROOM) {
      this.throttled = false;
      if (this.termios.cc[VSTART]) this.sendRaw(this.termios.cc[VSTART]);
    }
  }

  // ---------------------------------------------------------------- flow

  stop(tco: boolean): void {
    const was = this.stopped;
    if (tco) this.tcoStopped = true; else this.flowStopped = true;
    if (!was) this.port.flowChanged();
  }

  start(tco: boolean): void {
    if (tco) this.tcoStopped = false;
    else if (this.tcoStopped) return;
    else this.flowStopped = false;
    if (!this.stopped) {
      this.flushEchoes();
      this.port.flowChanged();
    }
  }

  // ---------------------------------------------------------------- settings

  // New settings: switching canonical mode on or off changes what is readable.
  setTermios(next: Termios): void {
    const old = this.termios;
    this.termios = next;
    if ((old.lflag ^ next.lflag) & (ICANON | EXTPROC)) {
      for (let p = this.tail; p < this.head; p++) this.mark[p & MASK] = MARK_NONE;
      if (!(next.lflag & ICANON) || this.count === 0) {
        this.canonHead = this.tail;
      } else {
        // Raw input already queued becomes one line, readable as it is.
        this.mark[(this.head - 1) & MASK] = MARK_LINE;
        this.canonHead = this.head;
      }
      this.erasing = false;
      this.lnext = false;
    }
    // Without IXON, output stopped by ^S runs again.
    if (!(next.iflag & IXON) && this.flowStopped) this.start(false);
    this.checkThrottle();
    this.port.wake();
  }
}
