// A terminal's settings (termios(3)): the four flag words, the line
// discipline number, the control characters and the line speeds, with the
// three user-space encodings the ioctls use (struct termios, termios2 and
// the old struct termio).

import {
  termios as termiosStruct, termios2 as termios2Struct, termio as termioStruct, NCCS, NCC, INIT_C_CC,
  INIT_C_IFLAG, INIT_C_OFLAG, INIT_C_CFLAG, INIT_C_LFLAG, CBAUD, BOTHER, CIBAUD, IBSHIFT, BAUD_RATES,
} from "../../abi/ioctl.js";

// Linux's _POSIX_VDISABLE: a control character set to 0 matches nothing.
export const VDISABLE = 0;

export class Termios {
  iflag = INIT_C_IFLAG;
  oflag = INIT_C_OFLAG;
  cflag = INIT_C_CFLAG;
  lflag = INIT_C_LFLAG;
  line = 0;
  readonly cc = new Uint8Array(NCCS);
  ispeed = 38400;
  ospeed = 38400;

  constructor() { this.cc.set(INIT_C_CC.subarray(0, NCCS)); }

  clone(): Termios {
    const t = new Termios();
    t.iflag = this.iflag; t.oflag = this.oflag; t.cflag = this.cflag; t.lflag = this.lflag;
    t.line = this.line; t.cc.set(this.cc); t.ispeed = this.ispeed; t.ospeed = this.ospeed;
    return t;
  }

  // True when control character `idx` is set and equals c.
  is(c: number, idx: number): boolean { const v = this.cc[idx]; return v !== VDISABLE && v === c; }

  encode(): Uint8Array {
    const b = new Uint8Array(termiosStruct.size);
    const dv = new DataView(b.buffer);
    termiosStruct.write(dv, 0, { c_iflag: this.iflag, c_oflag: this.oflag, c_cflag: this.cflag, c_lflag: this.lflag, c_line: this.line });
    b.set(this.cc, termiosStruct.offsetOf("c_cc"));
    return b;
  }

  encode2(): Uint8Array {
    const b = new Uint8Array(termios2Struct.size);
    b.set(this.encode());
    const dv = new DataView(b.buffer);
    termios2Struct.set(dv, 0, "c_ispeed", this.ispeed);
    termios2Struct.set(dv, 0, "c_ospeed", this.ospeed);
    return b;
  }

  encodeTermio(): Uint8Array {
    const b = new Uint8Array(termioStruct.size);
    const dv = new DataView(b.buffer);
    termioStruct.write(dv, 0, {
      c_iflag: this.iflag & 0xffff, c_oflag: this.oflag & 0xffff, c_cflag: this.cflag & 0xffff, c_lflag: this.lflag & 0xffff, c_line: this.line,
    });
    b.set(this.cc.subarray(0, NCC), termioStruct.offsetOf("c_cc"));
    return b;
  }

  // struct termios from user space; the speeds follow the CBAUD bits.
  static decode(b: Uint8Array, old: Termios): Termios {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const t = old.clone();
    t.iflag = termiosStruct.get(dv, 0, "c_iflag");
    t.oflag = termiosStruct.get(dv, 0, "c_oflag");
    t.cflag = termiosStruct.get(dv, 0, "c_cflag");
    t.lflag = termiosStruct.get(dv, 0, "c_lflag");
    t.line = termiosStruct.get(dv, 0, "c_line");
    const off = termiosStruct.offsetOf("c_cc");
    t.cc.set(b.subarray(off, off + NCCS));
    t.speedsFromCflag(old);
    return t;
  }

  static decode2(b: Uint8Array, old: Termios): Termios {
    const t = Termios.decode(b.subarray(0, termiosStruct.size), old);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // BOTHER: the speed fields are the rates themselves.
    if ((t.cflag & CBAUD) === BOTHER) t.ospeed = termios2Struct.get(dv, 0, "c_ospeed");
    const inCode = (t.cflag & CIBAUD) >>> IBSHIFT;
    if (inCode === BOTHER) t.ispeed = termios2Struct.get(dv, 0, "c_ispeed");
    else if (inCode === 0) t.ispeed = t.ospeed;
    return t;
  }

  // struct termio: the low 16 bits of each flag word and the first NCC characters.
  static decodeTermio(b: Uint8Array, old: Termios): Termios {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const t = old.clone();
    const low = (v: number, n: number) => ((v & 0xffff0000) | n) >>> 0;
    t.iflag = low(old.iflag, termioStruct.get(dv, 0, "c_iflag"));
    t.oflag = low(old.oflag, termioStruct.get(dv, 0, "c_oflag"));
    t.cflag = low(old.cflag, termioStruct.get(dv, 0, "c_cflag"));
    t.lflag = low(old.lflag, termioStruct.get(dv, 0, "c_lflag"));
    t.line = termioStruct.get(dv, 0, "c_line");
    const off = termioStruct.offsetOf("c_cc");
    t.cc.set(b.subarray(off, off + NCC));
    t.speedsFromCflag(old);
    return t;
  }

  private speedsFromCflag(old: Termios): void {
    const out = this.cflag & CBAUD;
    if (out !== BOTHER) this.ospeed = BAUD_RATES.get(out) ?? old.ospeed;
    const inCode = (this.cflag & CIBAUD) >>> IBSHIFT;
    // An input speed of 0 means "the same as the output speed".
    this.ispeed = inCode === 0 ? this.ospeed : inCode === BOTHER ? old.ispeed : (BAUD_RATES.get(inCode) ?? old.ispeed);
  }
}
