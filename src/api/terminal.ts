// The console terminal of a booted machine, from the embedder's side: what
// the guest writes arrives through onData, keys go in with write(), and
// resize() changes the window size (the tty sends SIGWINCH to its
// foreground process group, as Linux's TIOCSWINSZ does). xterm.js, a
// WebSocket or a test drives it.

import type { ConsoleBackend } from "../drivers/tty/index.js";

type TerminalEvents = { input(b: Uint8Array): void; resize(): void; end(): void };

export class Terminal {
  private events: TerminalEvents | null = null;
  private readonly listeners = new Set<(data: Uint8Array) => void>();
  // Typed before the console attached (it attaches as the machine is built).
  private early: Uint8Array[] = [];
  private ended = false;
  // What the kernel sees: a terminal (isatty), of this size.
  readonly backend: ConsoleBackend;

  constructor(public rows: number, public cols: number) {
    const self = this;
    this.backend = {
      isTty: true,
      write(bytes) { for (const fn of [...self.listeners]) fn(bytes.slice()); },
      size: () => ({ rows: this.rows, cols: this.cols }),
      attach(events) {
        self.events = events;
        for (const b of self.early) events.input(b);
        self.early = [];
      },
      detach() { self.events = null; },
    };
  }

  // Output of the guest, as it is written. Returns the function that stops it.
  onData(fn: (data: Uint8Array) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  // Keys typed (bytes as a terminal sends them: "\r" for Enter, "\x03" for Ctrl-C).
  write(data: string | Uint8Array): void {
    if (this.ended) return;
    const b = typeof data === "string" ? new TextEncoder().encode(data) : data.slice();
    if (this.events) this.events.input(b); else this.early.push(b);
  }

  resize(rows: number, cols: number): void {
    if (!(rows > 0 && cols > 0)) throw new RangeError(`bad terminal size ${rows}x${cols}`);
    this.rows = Math.floor(rows);
    this.cols = Math.floor(cols);
    this.events?.resize();
  }

  // The terminal hangs up (the guest's tty sees the end of its line).
  hangup(): void { this.events?.end(); }

  /** @internal The machine ended. */
  closed(): void { this.ended = true; this.events = null; this.listeners.clear(); }
}
