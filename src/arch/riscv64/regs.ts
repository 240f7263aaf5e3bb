// A task's register file as the kernel sees it: the block the hart runs from
// (Hart.liveRegs) or a saved copy (Task.regs), TASK_STATE_SIZE bytes laid
// out as layout.ts says: x0..x31, f0..f31, pc, fcsr. Kernel code reaches
// registers through this view and the Hart's accessors only, never by offset.

import { X_REGS, F_REGS, PC, FCSR, TASK_STATE_SIZE } from "./layout.js";

// The bits of fcsr that exist: frm (7..5) and fflags (4..0).
export const FCSR_MASK = 0xff;

const XLEN_BYTES = 8;
const NREGS = 32;
const X_OFF = 0;
const F_OFF = F_REGS - X_REGS;
const PC_OFF = PC - X_REGS;
const FCSR_OFF = FCSR - X_REGS;

export class RegisterFile {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length !== TASK_STATE_SIZE) throw new RangeError(`a register file is ${TASK_STATE_SIZE} bytes`);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get pc(): number { return Number(this.dv.getBigUint64(PC_OFF, true)); }
  set pc(v: number) { this.dv.setBigUint64(PC_OFF, BigInt(v), true); }
  get fcsr(): number { return this.dv.getUint32(FCSR_OFF, true); }
  set fcsr(v: number) { this.dv.setUint32(FCSR_OFF, v, true); }
  setX(i: number, v: number): void { if (i !== 0) this.dv.setBigUint64(X_OFF + XLEN_BYTES * i, BigInt.asUintN(64, BigInt(v)), true); }

  // The raw bytes, as user_regs_struct and sigcontext lay them out: pc
  // (8 bytes), x1..x31 (248 bytes); f0..f31 (256 bytes). Views, not copies.
  get pcBytes(): Uint8Array { return this.bytes.subarray(PC_OFF, PC_OFF + XLEN_BYTES); }
  get gprBytes(): Uint8Array { return this.bytes.subarray(X_OFF + XLEN_BYTES, X_OFF + NREGS * XLEN_BYTES); }
  get fprBytes(): Uint8Array { return this.bytes.subarray(F_OFF, F_OFF + NREGS * XLEN_BYTES); }

  // Every register zero (a fresh program image).
  clear(): void { this.bytes.fill(0); }
  copy(): RegisterFile { return new RegisterFile(this.bytes.slice()); }
}
