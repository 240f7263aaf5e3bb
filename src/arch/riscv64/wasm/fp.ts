// Until the F/D unit lands, every floating-point arithmetic instruction is illegal.
export function execFp(insn: u32): u32 {
  return insn == 0 ? 0 : 2;
}
