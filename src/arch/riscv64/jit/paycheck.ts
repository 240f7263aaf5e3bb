// Whether the JIT pays (jit.ts): the machine runs in windows of guest
// instructions, each either on the plain interpreter (Hart's run(), no
// dispatcher) or with the JIT (jitRun: translated code where there is some,
// the dispatcher's counting interpreter elsewhere, and translating), and
// measures what each window cost per instruction in CPU time (hart.ts's
// clock: the guest thread's, plus half of the other threads' — the
// translator thread and V8's compiling threads, the cost of translation
// that the guest's thread never sees). The JIT goes on only while its
// windows cost less than the interpreter's.
//
// Why measured and not estimated: what a translated instruction saves varies
// by more than the estimate could be right. CoreMark's and a Python loop's
// code runs 1.3-3x faster translated; python3 importing a dozen modules (a
// flat profile: control leaves a translated page every few instructions,
// each time through the dispatcher with the registers spilled) ran its
// translated code slower than the interpreter runs it, and the dispatcher's
// counting interpreter ~10% slower than the plain one, so that the JIT cost
// 1.4-1.6x the interpreter's CPU however few instructions it translated.
//
// The windows: the plain warm-up (JitOptions.warmup), whose last `window`
// instructions measure the interpreter; then JIT windows. A JIT window that
// wins (costs less than the interpreter's last measure by MARGIN) is followed
// by one twice as long (up to MAX_JIT), with a short plain window first to
// measure the interpreter again when the JIT's lead was narrow. The first JIT
// window of a trial pays for translating what got hot and only the second
// shows what that earned, so a trial is two windows and is lost when both
// lose (it waits up to MAX_EXTEND windows more while translations are in
// flight or each window costs much less than the last); then the interpreter runs for a span that grows with each trial lost
// (PLAIN_GROWTH, up to MAX_PLAIN) before the JIT is tried again — with its
// translations of before still made, so that a trial costs less each time.
// Translations stay across plain windows (jit.ts re-checks them before it
// installs them again).

// A JIT window wins when it costs at most this fraction of the interpreter's.
const MARGIN = 0.97;
// Under this fraction of the interpreter's cost, the JIT's lead is wide:
// no plain window to re-measure the interpreter before the next JIT window.
const WIDE_LEAD = 0.6;
// The longest JIT window, and the longest plain span between trials, in windows.
const MAX_JIT = 64;
const MAX_PLAIN = 64;
// The plain span after the first trial lost, in windows, and after each
// further one this many times the last.
const FIRST_PLAIN = 2;
const PLAIN_GROWTH = 4;
// A trial waits at most this many windows more for translations in flight,
// or while each window costs less than FALLING times the one before.
const MAX_EXTEND = 2;
const FALLING = 0.8;

export interface PaycheckOptions {
  // Instructions of a measured window (0: no paycheck, the JIT runs from the
  // end of the warm-up on).
  window: number;
  // The process's CPU time in µs (wall time where there is none).
  clock: () => number;
  // Tests: the verdict alternates instead of being measured (every window
  // switches mode), so that switching is exercised whatever the timing.
  flip?: boolean;
}

const enum Mode { Plain, Jit }

export class Paycheck {
  private mode = Mode.Plain;
  private end: number; // instret at which the current window ends
  private startInsns = -1; // instret where the measured part of the window began (-1: not yet)
  private startCpu = 0;
  private measureFrom: number; // instret from which the current window is measured
  private interpCost = NaN; // µs per instruction, the last plain window's
  private jitLen = 1; // the next winning JIT window's length, in windows
  private plainLen = FIRST_PLAIN; // the plain span after a lost trial, in windows
  private trialLeft = 0; // JIT windows left in the current trial
  private trialCost = Infinity; // the current trial's last window's cost
  private extended = 0; // windows the current trial was extended by, waiting for translations
  private afterPlain = 1; // the length of the JIT window after the current plain one, in windows
  private lostCost = NaN; // the cost of the JIT window that lost a trial, until the next plain window confirms it
  private translated = 0; // the last useJit()'s count of instructions run translated
  private translated0 = 0; // … when the current window began
  // reprieved: trials lost whose loss the next plain window did not confirm;
  // idle: JIT windows not judged, no translated code having run in them
  readonly stats = { jitWindows: 0, plainWindows: 0, lost: 0, reprieved: 0, idle: 0, interpCost: 0, jitCost: 0 };

  constructor(private readonly opts: PaycheckOptions, warmup: number) {
    this.end = warmup;
    this.measureFrom = Math.max(warmup - opts.window, Math.floor(warmup / 2));
  }

  // Whether the next run() uses the JIT, instret being what the hart has retired.
  // `busy`: translations asked for are not in yet. `translated`: of the
  // instructions retired, those run by translated code (where the JIT knows).
  useJit(instret: number, busy: boolean, translated = NaN): boolean {
    this.translated = translated;
    if (instret < this.end) {
      if (this.startInsns < 0 && instret >= this.measureFrom) this.begin(instret);
      return this.mode === Mode.Jit;
    }
    if (this.opts.window === 0) { this.mode = Mode.Jit; this.end = Infinity; return true; }
    if (this.mode === Mode.Jit && busy && this.trialLeft > 0 && this.extended < MAX_EXTEND && !this.opts.flip) {
      // A trial is judged on code translated, not on code waiting for its
      // translation (which a loaded machine delays by seconds).
      this.extended++;
      this.next(Mode.Jit, 1, instret);
      return true;
    }
    if (this.mode === Mode.Jit && translated === this.translated0 && !this.opts.flip) {
      // No translated code ran: the window was the dispatcher interpreting
      // (as cheap as the plain interpreter: wasm/jitrun.ts) while code got
      // hot. Nothing to judge the JIT by; it goes on.
      this.stats.idle++;
      this.next(Mode.Jit, 1, instret);
      return true;
    }
    const cost = this.startInsns >= 0 && instret > this.startInsns
      ? (this.opts.clock() - this.startCpu) / (instret - this.startInsns) : NaN;
    if (this.mode === Mode.Plain) {
      this.stats.plainWindows++;
      if (cost === cost) this.interpCost = this.stats.interpCost = cost;
      const lost = this.lostCost;
      if (lost === lost) {
        // The window after a trial's loss: the interpreter measured again
        // next to the losing JIT window. Cheaper than the interpreter now,
        // the JIT lost to a machine that got slower (a load that rose since
        // the interpreter's last measure), not to the interpreter: it is
        // tried again at once. Else the loss stands and the plain span goes on.
        this.lostCost = NaN;
        if (cost === cost && lost <= cost * MARGIN) {
          this.stats.reprieved++;
          this.trialLeft = 2; this.extended = 0; this.trialCost = Infinity;
          this.next(Mode.Jit, 1, instret);
          return true;
        }
        this.stats.lost++;
        this.jitLen = 1;
        const len = this.plainLen;
        this.plainLen = Math.min(MAX_PLAIN, this.plainLen * PLAIN_GROWTH);
        this.next(Mode.Plain, len - 1, instret);
        return false;
      }
      if (this.trialLeft === 0) { this.trialLeft = 2; this.extended = 0; this.trialCost = Infinity; }
      this.next(Mode.Jit, this.afterPlain, instret);
      this.afterPlain = 1;
      return true;
    }
    this.stats.jitWindows++;
    if (cost === cost) this.stats.jitCost = cost;
    const ci = this.interpCost;
    if (!this.opts.flip && ci === ci && cost <= ci * MARGIN) {
      // Won: the next JIT window is longer, after a plain one to measure
      // the interpreter again if the lead was narrow.
      this.plainLen = FIRST_PLAIN;
      const len = this.jitLen;
      this.jitLen = Math.min(MAX_JIT, this.jitLen * 2);
      if (cost <= ci * WIDE_LEAD) { this.trialLeft = 0; this.next(Mode.Jit, len, instret); return true; }
      this.trialLeft = 1; // that window is a trial of its own
      this.afterPlain = len;
      this.next(Mode.Plain, 1, instret);
      return false;
    }
    if (ci !== ci && !this.opts.flip) {
      // Nothing to compare with (no warm-up): measure the interpreter first.
      this.trialLeft = 1;
      this.next(Mode.Plain, 1, instret);
      return false;
    }
    const falling = cost < this.trialCost * FALLING;
    this.trialCost = cost;
    if (!this.opts.flip && --this.trialLeft > 0) { this.next(Mode.Jit, 1, instret); return true; }
    if (!this.opts.flip && falling && this.extended < MAX_EXTEND) {
      // Still getting much cheaper window by window (translations landing): not over yet.
      this.extended++;
      this.trialLeft = 1;
      this.next(Mode.Jit, 1, instret);
      return true;
    }
    // The trial is lost: the interpreter runs on, longer after each trial
    // lost — once its first window confirms the loss (above).
    this.trialLeft = 0;
    if (!this.opts.flip && cost === cost) {
      this.lostCost = cost;
      this.next(Mode.Plain, 1, instret);
      return false;
    }
    this.stats.lost++;
    this.jitLen = 1;
    const len = this.opts.flip ? 1 : this.plainLen;
    this.plainLen = Math.min(MAX_PLAIN, this.plainLen * PLAIN_GROWTH);
    this.next(Mode.Plain, len, instret);
    return false;
  }

  // The next window: `windows` windows long, measured over its last one.
  private next(mode: Mode, windows: number, instret: number): void {
    this.mode = mode;
    this.translated0 = this.translated;
    this.end = instret + windows * this.opts.window;
    this.measureFrom = this.end - this.opts.window;
    this.startInsns = -1;
    if (instret >= this.measureFrom) this.begin(instret);
  }

  private begin(instret: number): void {
    this.startInsns = instret;
    this.startCpu = this.opts.clock();
  }
}
