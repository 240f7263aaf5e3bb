// The N_TTY line discipline on its own: input processing, canonical editing
// and echoes, signals, flow control, output processing, reads.
//
//   npx tsc -p tsconfig.json && node --test dist/test/drivers/tty-ldisc.test.js
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NTty, N_TTY_BUF_SIZE, type LdiscPort } from "../../src/drivers/tty/ldisc.js";
import { Termios } from "../../src/drivers/tty/termios.js";
import {
  ICANON, ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL, ECHOPRT, ISIG, NOFLSH, IEXTEN, ICRNL, INLCR, IGNCR, ISTRIP,
  IUCLC, IUTF8, IXON, IXANY, IXOFF, OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS, VEOL, VEOL2, VMIN, VTIME,
  VERASE, termios as termiosStruct, termios2, CBAUD, BOTHER, B9600,
} from "../../src/abi/ioctl.js";
import { SIGINT, SIGQUIT, SIGTSTP } from "../../src/abi/signal.js";

class Port implements LdiscPort {
  out: number[] = [];
  signals: number[] = [];
  flushes = 0;
  flows = 0;
  wakes = 0;
  emit(bytes: number[]): void { this.out.push(...bytes); }
  signal(sig: number): void { this.signals.push(sig); }
  flushOutput(): void { this.flushes++; }
  flowChanged(): void { this.flows++; }
  wake(): void { this.wakes++; }
  take(): string { const s = Buffer.from(this.out).toString("latin1"); this.out = []; return s; }
}

function setup(change?: (t: Termios) => void): { ld: NTty; port: Port; t: Termios } {
  const t = new Termios();
  change?.(t);
  const port = new Port();
  return { ld: new NTty(t, port), port, t };
}

const bytes = (s: string) => Buffer.from(s, "latin1");
function type(ld: NTty, s: string): void {
  // One key at a time, as a person types.
  for (const c of bytes(s)) ld.receive(Uint8Array.of(c));
}
function read(ld: NTty, max = 4096): string {
  const dst = new Uint8Array(max);
  const { n } = ld.read(dst);
  return Buffer.from(dst.subarray(0, n)).toString("latin1");
}

describe("canonical input", () => {
  test("a line is readable only when complete, newline included", () => {
    const { ld, port } = setup();
    type(ld, "hello");
    assert.equal(ld.available(), 0);
    assert.equal(ld.inq(), 0);
    assert.equal(port.take(), "hello");
    type(ld, "\r"); // ICRNL
    assert.equal(ld.available(), 6);
    assert.equal(port.take(), "\r\n");
    assert.equal(read(ld), "hello\n");
    assert.equal(ld.available(), 0);
  });

  test("one read returns at most one line; a short buffer gets the rest later", () => {
    const { ld } = setup();
    ld.receive(bytes("ab\ncdef\n"));
    assert.equal(read(ld), "ab\n");
    assert.equal(read(ld, 2), "cd");
    assert.equal(read(ld), "ef\n");
  });

  test("VEOF ends a line without being read; alone it is end of file", () => {
    const { ld, port } = setup();
    type(ld, "ab\x04");
    assert.equal(port.take(), "ab");
    assert.equal(read(ld), "ab");
    type(ld, "\x04");
    assert.equal(ld.available(), 1);
    assert.equal(ld.inq(), 0);
    const r = ld.read(new Uint8Array(10));
    assert.deepEqual(r, { n: 0, eof: true });
    ld.receive(bytes("x\n\x04"));
    assert.equal(ld.inq(), 2);
    assert.equal(read(ld), "x\n");
    assert.deepEqual(ld.read(new Uint8Array(10)), { n: 0, eof: true });
  });

  test("VEOL and VEOL2 end lines and are read with them", () => {
    const { ld, port } = setup((t) => { t.cc[VEOL] = 0x21; t.cc[VEOL2] = 0x40; });
    type(ld, "ab!cd@");
    assert.equal(port.take(), "ab!cd@");
    assert.equal(read(ld), "ab!");
    assert.equal(read(ld), "cd@");
  });

  test("a line longer than the queue keeps 4095 characters and its newline", () => {
    const { ld } = setup((t) => { t.lflag &= ~ECHO; });
    ld.receive(new Uint8Array(5000).fill(0x78));
    assert.equal(ld.available(), 0);
    ld.receive(bytes("\n"));
    const s = read(ld, 8192);
    assert.equal(s.length, N_TTY_BUF_SIZE);
    assert.equal(s.at(-1), "\n");
  });
});

describe("editing and echoes", () => {
  const cases: [string, (t: Termios) => void, string, string, string][] = [
    // name, settings, keys, echo, line read
    ["ERASE with ECHOE", () => {}, "ab\x7fc\n", "ab\b \bc\r\n", "ac\n"],
    ["ERASE without ECHOE echoes the character", (t) => { t.lflag &= ~ECHOE; }, "ab\x7fc\n", "ab^?c\r\n", "ac\n"],
    ["ERASE on an empty line does nothing", () => {}, "\x7f\x7fx\n", "x\r\n", "x\n"],
    ["KILL with ECHOKE erases the line on the screen", () => {}, "abc\x15d\n", "abc\b \b\b \b\b \bd\r\n", "d\n"],
    ["KILL with ECHOK only: ^U and a newline", (t) => { t.lflag &= ~ECHOKE; }, "abc\x15d\n", "abc^U\r\nd\r\n", "d\n"],
    ["KILL with neither", (t) => { t.lflag &= ~(ECHOK | ECHOKE); }, "abc\x15d\n", "abc^Ud\r\n", "d\n"],
    ["WERASE: spaces, then a word", () => {}, "foo bar  \x17baz\n", "foo bar  " + "\b \b".repeat(5) + "baz\r\n", "foo baz\n"],
    ["WERASE stops at punctuation after a word", () => {}, "a.b\x17\n", "a.b\b \b\r\n", "a.\n"],
    ["LNEXT quotes the next character", () => {}, "\x16\x03\x16\x7fa\n", "^\b^C^\b^?a\r\n", "\x03\x7fa\n"],
    ["REPRINT", () => {}, "ab\x12c\n", "ab^R\r\nabc\r\n", "abc\n"],
    ["ECHOPRT prints what is erased between \\ and /", (t) => { t.lflag = (t.lflag | ECHOPRT) & ~ECHOE; }, "abc\x7f\x7fd\n", "abc\\cb/d\r\n", "ad\n"],
    ["ECHOCTL shows control characters as ^X, tabs as they are", () => {}, "\x01\t\x1bx\n", "^A\t^[x\r\n", "\x01\t\x1bx\n"],
    ["without ECHOCTL control characters echo raw", (t) => { t.lflag &= ~ECHOCTL; }, "\x01\n", "\x01\r\n", "\x01\n"],
    ["ECHONL without ECHO echoes only newlines", (t) => { t.lflag = (t.lflag | ECHONL) & ~ECHO; }, "ab\n", "\r\n", "ab\n"],
    ["no ECHO, editing still works", (t) => { t.lflag &= ~ECHO; }, "ab\x7fc\n", "", "ac\n"],
    ["erasing a tab backs up to where it started", () => {}, "ab\tc\x7f\x7fd\n", "ab\tc\b \b" + "\b".repeat(6) + "d\r\n", "abd\n"],
    ["erasing ^A erases two columns", () => {}, "a\x01\x7f\n", "a^A\b \b\b \b\r\n", "a\n"],
    ["without IEXTEN, WERASE is an ordinary character", (t) => { t.lflag &= ~IEXTEN; }, "ab\x17\n", "ab^W\r\n", "ab\x17\n"],
    ["IUTF8: one ERASE removes a whole character", (t) => { t.iflag |= IUTF8; }, "x\xc3\xa9\x7f\n", "x\xc3\xa9\b \b\r\n", "x\n"],
    ["without IUTF8 ERASE removes one byte", () => {}, "x\xc3\xa9\x7f\n", "x\xc3\xa9\b \b\r\n", "x\xc3\n"],
  ];
  for (const [name, change, keys, echo, line] of cases) {
    test(name, () => {
      const { ld, port } = setup(change);
      type(ld, keys);
      assert.equal(port.take(), echo, "echo");
      assert.equal(read(ld), line, "line");
    });
  }

  test("echoes of one batch of input are sent together", () => {
    const { ld, port } = setup();
    let emits = 0;
    port.emit = (b) => { emits++; port.out.push(...b); };
    ld.receive(bytes("abc\n"));
    assert.equal(emits, 1);
    assert.equal(port.take(), "abc\r\n");
  });
});

describe("input flags", () => {
  const raw = (t: Termios) => { t.lflag &= ~(ICANON | ECHO); };
  test("ICRNL, IGNCR, INLCR", () => {
    let { ld } = setup(raw);
    ld.receive(bytes("a\rb"));
    assert.equal(read(ld), "a\nb");
    ({ ld } = setup((t) => { raw(t); t.iflag |= IGNCR; }));
    ld.receive(bytes("a\rb"));
    assert.equal(read(ld), "ab");
    ({ ld } = setup((t) => { raw(t); t.iflag = (t.iflag | INLCR) & ~ICRNL; }));
    ld.receive(bytes("a\nb\r"));
    assert.equal(read(ld), "a\rb\r");
  });
  test("ISTRIP and IUCLC", () => {
    let { ld } = setup((t) => { raw(t); t.iflag |= ISTRIP; });
    ld.receive(Uint8Array.of(0xe1, 0xe2));
    assert.equal(read(ld), "ab");
    ({ ld } = setup((t) => { raw(t); t.iflag |= IUCLC; }));
    ld.receive(bytes("AbC"));
    assert.equal(read(ld), "abc");
  });
  test("raw mode echoes CR as ^M under ECHOCTL", () => {
    const { ld, port } = setup((t) => { t.lflag &= ~ICANON; t.iflag &= ~ICRNL; });
    ld.receive(bytes("x\r\x01"));
    assert.equal(port.take(), "x^M^A");
    assert.equal(read(ld), "x\r\x01");
  });
});

describe("signal characters", () => {
  test("INTR, QUIT and SUSP raise their signals, flush the line, echo", () => {
    const { ld, port } = setup();
    ld.receive(bytes("ab\x03cd\n"));
    assert.deepEqual(port.signals, [SIGINT]);
    assert.equal(port.flushes, 1);
    // The echo of "ab" was still pending in this batch: flushed with the input.
    assert.equal(port.take(), "^Ccd\r\n");
    assert.equal(read(ld), "cd\n");
    type(ld, "x\x1cy\x1az\n");
    assert.deepEqual(port.signals, [SIGINT, SIGQUIT, SIGTSTP]);
    assert.equal(read(ld), "z\n");
  });
  test("typed one key at a time, the echo before ^C stays", () => {
    const { ld, port } = setup();
    type(ld, "ab\x03");
    assert.equal(port.take(), "ab^C");
    assert.equal(ld.available(), 0);
  });
  test("NOFLSH keeps the input", () => {
    const { ld, port } = setup((t) => { t.lflag |= NOFLSH; });
    ld.receive(bytes("ab\x03cd\n"));
    assert.equal(port.flushes, 0);
    assert.equal(port.take(), "ab^Ccd\r\n");
    assert.equal(read(ld), "abcd\n");
  });
  test("without ISIG they are data", () => {
    const { ld, port } = setup((t) => { t.lflag &= ~ISIG; });
    ld.receive(bytes("a\x03b\n"));
    assert.deepEqual(port.signals, []);
    assert.equal(read(ld), "a\x03b\n");
  });
});

describe("flow control", () => {
  test("^S stops output (echoes wait), ^Q starts it again", () => {
    const { ld, port } = setup();
    ld.receive(bytes("\x13"));
    assert.equal(ld.stopped, true);
    ld.receive(bytes("ab"));
    assert.equal(port.take(), "");
    ld.receive(bytes("\x11"));
    assert.equal(ld.stopped, false);
    assert.equal(port.take(), "ab");
    assert.equal(port.flows, 2);
  });
  test("IXANY: any character restarts output", () => {
    const { ld, port } = setup((t) => { t.iflag |= IXANY; });
    ld.receive(bytes("\x13"));
    ld.receive(bytes("q"));
    assert.equal(ld.stopped, false);
    assert.equal(port.take(), "q");
  });
  test("without IXON ^S and ^Q are data; turning IXON off restarts output", () => {
    const { ld, t } = setup();
    ld.receive(bytes("\x13"));
    const next = t.clone();
    next.iflag &= ~IXON;
    ld.setTermios(next);
    assert.equal(ld.stopped, false);
    ld.receive(bytes("\x13\x11\n"));
    assert.equal(read(ld), "\x13\x11\n");
  });
  test("tcflow stops are separate from ^S", () => {
    const { ld } = setup();
    ld.stop(true);
    ld.receive(bytes("\x11"));
    assert.equal(ld.stopped, true);
    ld.start(true);
    assert.equal(ld.stopped, false);
  });
  test("IXOFF sends STOP when the queue is nearly full and START when it drains", () => {
    const { ld, port } = setup((t) => { t.lflag &= ~(ICANON | ECHO); t.iflag |= IXOFF; });
    ld.receive(new Uint8Array(4000).fill(0x61));
    assert.equal(port.take(), "\x13");
    read(ld, 8192);
    assert.equal(port.take(), "\x11");
  });
});

describe("output processing", () => {
  const out = (change: (t: Termios) => void, s: string) => { const { ld, port } = setup(change); ld.write(bytes(s)); return port.take(); };
  test("ONLCR (the default)", () => assert.equal(out(() => {}, "a\nb\r\tc"), "a\r\nb\r\tc"));
  test("OCRNL", () => assert.equal(out((t) => { t.oflag = (t.oflag | OCRNL) & ~ONLCR; }, "a\rb"), "a\nb"));
  test("ONOCR drops CR in column 0", () => assert.equal(out((t) => { t.oflag |= ONOCR; }, "\rab\r\n\rc"), "ab\r\r\nc"));
  test("ONLRET", () => assert.equal(out((t) => { t.oflag = (t.oflag | ONLRET) & ~ONLCR; }, "ab\ncd\r"), "ab\ncd\r"));
  test("OLCUC", () => assert.equal(out((t) => { t.oflag |= OLCUC; }, "abc XyZ\n"), "ABC XYZ\r\n"));
  test("XTABS expands tabs to the next stop", () => assert.equal(out((t) => { t.oflag |= XTABS; }, "a\tbc\tdefghij\tk"), "a       bc      defghij k"));
  test("without OPOST nothing changes", () => assert.equal(out((t) => { t.oflag &= ~OPOST; }, "a\nb\r\t"), "a\nb\r\t"));
});

describe("non-canonical reads", () => {
  test("data is readable at once; poll readiness follows VMIN when VTIME is 0", () => {
    const { ld, t } = setup((x) => { x.lflag &= ~ICANON; x.cc[VMIN] = 3; x.cc[VTIME] = 0; });
    ld.receive(bytes("ab"));
    assert.equal(ld.available(), 2);
    assert.equal(ld.readyForPoll(), false);
    ld.receive(bytes("c"));
    assert.equal(ld.readyForPoll(), true);
    t.cc[VTIME] = 1;
    ld.receive(new Uint8Array(0));
    assert.equal(read(ld), "abc");
  });
  test("switching to canonical mode makes queued raw input one readable line", () => {
    const { ld, t } = setup((x) => { x.lflag &= ~ICANON; });
    ld.receive(bytes("raw"));
    const next = t.clone();
    next.lflag |= ICANON;
    ld.setTermios(next);
    assert.equal(ld.inq(), 3);
    assert.equal(read(ld), "raw");
  });
  test("switching to raw mode makes a partial line readable", () => {
    const { ld, t } = setup();
    ld.receive(bytes("par"));
    assert.equal(ld.available(), 0);
    const next = t.clone();
    next.lflag &= ~ICANON;
    ld.setTermios(next);
    assert.equal(read(ld), "par");
  });
});

describe("termios encodings", () => {
  test("struct termios round-trips; speeds follow CBAUD", () => {
    const t = new Termios();
    t.cflag = (t.cflag & ~CBAUD) | B9600;
    const back = Termios.decode(t.encode(), new Termios());
    assert.equal(back.ospeed, 9600);
    assert.equal(back.ispeed, 9600);
    assert.equal(t.encode().length, termiosStruct.size);
    assert.deepEqual([...back.cc], [...t.cc]);
    assert.equal(back.cc[VERASE], 0x7f);
  });
  test("termios2 with BOTHER carries any speed", () => {
    const t = new Termios();
    const b = t.encode2();
    const dv = new DataView(b.buffer);
    termios2.set(dv, 0, "c_cflag", (t.cflag & ~CBAUD) | BOTHER);
    termios2.set(dv, 0, "c_ospeed", 12345);
    termios2.set(dv, 0, "c_ispeed", 0);
    const back = Termios.decode2(b, t);
    assert.equal(back.ospeed, 12345);
    assert.equal(back.ispeed, 12345);
    assert.equal(back.encode2().length, termios2.size);
  });
  test("struct termio keeps the high flag bits and the later characters", () => {
    const t = new Termios();
    t.lflag |= 0x10000;
    t.cc[VEOL2] = 9;
    const back = Termios.decodeTermio(t.encodeTermio(), t);
    assert.equal(back.lflag, t.lflag);
    assert.equal(back.cc[VEOL2], 9);
  });
});
