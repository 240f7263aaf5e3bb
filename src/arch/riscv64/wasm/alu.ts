// Integer arithmetic with RISC-V's exact semantics for the M extension:
// division by zero and signed overflow do not trap; they give fixed results.

@inline export function sext32(v: u64): u64 {
  return <u64><i64><i32><u32>v;
}

// OP's and OP-IMM's base operations (funct7 0, or 0x20 for sra when arith):
// f3 0 add, 1 sll, 2 slt, 3 sltu, 4 xor, 5 srl/sra, 6 or, 7 and.
@inline export function aluBase(f3: u32, a: u64, b: u64, arith: bool): u64 {
  switch (f3) {
    case 0: return a + b;
    case 1: return a << (b & 63);
    case 2: return <i64>a < <i64>b ? 1 : 0;
    case 3: return a < b ? 1 : 0;
    case 4: return a ^ b;
    case 5: return arith ? <u64>(<i64>a >> <i64>(b & 63)) : a >>> (b & 63);
    case 6: return a | b;
    default: return a & b;
  }
}

// aluBase as a chain of tests, in order of frequency (add, and, shifts, or,
// sltu, xor, slt), for the interpreter's loop (interp.ts): a jump table there
// is a second indirect jump after the opcode's, and in code that runs only a
// few times (python3's start) it is mispredicted more often than the tests.
@inline export function aluChain(f3: u32, a: u64, b: u64, arith: bool): u64 {
  if (f3 == 0) return a + b;
  if (f3 == 7) return a & b;
  if (f3 == 1) return a << (b & 63);
  if (f3 == 5) return arith ? <u64>(<i64>a >> <i64>(b & 63)) : a >>> (b & 63);
  if (f3 == 6) return a | b;
  if (f3 == 3) return a < b ? 1 : 0;
  if (f3 == 4) return a ^ b;
  return <i64>a < <i64>b ? 1 : 0;
}

export function mulhu(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >>> 32, b0 = b & 0xffffffff, b1 = b >>> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return p11 + (p01 >>> 32) + (p10 >>> 32) + (mid >>> 32);
}

export function mulh(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  if (<i64>b < 0) r -= a;
  return r;
}

export function mulhsu(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  return r;
}

export function div(a: u64, b: u64): u64 {
  if (b == 0) return 0xffffffffffffffff;
  if (a == 0x8000000000000000 && b == 0xffffffffffffffff) return a;
  return <u64>(<i64>a / <i64>b);
}

export function divu(a: u64, b: u64): u64 {
  if (b == 0) return 0xffffffffffffffff;
  return a / b;
}

export function rem(a: u64, b: u64): u64 {
  if (b == 0) return a;
  if (a == 0x8000000000000000 && b == 0xffffffffffffffff) return 0;
  return <u64>(<i64>a % <i64>b);
}

export function remu(a: u64, b: u64): u64 {
  if (b == 0) return a;
  return a % b;
}

export function divw(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return 0xffffffffffffffff;
  if (x == i32.MIN_VALUE && y == -1) return <u64><i64>x;
  return <u64><i64>(x / y);
}

export function divuw(a: u64, b: u64): u64 {
  const x = <u32>a, y = <u32>b;
  if (y == 0) return 0xffffffffffffffff;
  return sext32(<u64>(x / y));
}

export function remw(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return <u64><i64>x;
  if (x == i32.MIN_VALUE && y == -1) return 0;
  return <u64><i64>(x % y);
}

export function remuw(a: u64, b: u64): u64 {
  const x = <u32>a, y = <u32>b;
  if (y == 0) return sext32(<u64>x);
  return sext32(<u64>(x % y));
}
