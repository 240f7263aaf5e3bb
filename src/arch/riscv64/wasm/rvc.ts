// The C extension: each 16-bit instruction is expanded to the 32-bit
// instruction it stands for (RISC-V unprivileged spec, chapter "C"), so the
// interpreter has one execution path. Returns 0 for a reserved or illegal form.

@inline function bits(h: u32, hi: u32, lo: u32): u32 {
  return (h >>> lo) & ((1 << (hi - lo + 1)) - 1);
}

@inline function iType(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return ((<u32>imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

@inline function sType(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32): u32 {
  const u = <u32>imm;
  return (((u >>> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 0x1f) << 7) | op;
}

@inline function rType(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

function bType(imm: i32, rs2: u32, rs1: u32, f3: u32): u32 {
  const u = <u32>imm;
  return (((u >>> 12) & 1) << 31) | (((u >>> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) |
    (f3 << 12) | (((u >>> 1) & 0xf) << 8) | (((u >>> 11) & 1) << 7) | 0x63;
}

function jType(imm: i32, rd: u32): u32 {
  const u = <u32>imm;
  return (((u >>> 20) & 1) << 31) | (((u >>> 1) & 0x3ff) << 21) | (((u >>> 11) & 1) << 20) |
    (((u >>> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

// Sign-extends the low n bits of v.
@inline function sext(v: u32, n: u32): i32 {
  return (<i32>(v << (32 - n))) >> (32 - n);
}

export function expandCompressed(h: u32): u32 {
  const op = h & 3;
  const f3 = h >>> 13;
  const rdp = 8 + bits(h, 4, 2); // rd' / rs2'
  const rs1p = 8 + bits(h, 9, 7); // rs1' / rd'
  const rd = bits(h, 11, 7);
  const rs2 = bits(h, 6, 2);
  if (op == 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = (bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 3);
        if (imm == 0) return 0;
        return iType(imm, 2, 0, rdp, 0x13);
      }
      case 1: { // c.fld
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return iType(imm, rs1p, 3, rdp, 0x07);
      }
      case 2: { // c.lw
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 6);
        return iType(imm, rs1p, 2, rdp, 0x03);
      }
      case 3: { // c.ld
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return iType(imm, rs1p, 3, rdp, 0x03);
      }
      case 5: { // c.fsd
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return sType(imm, rdp, rs1p, 3, 0x27);
      }
      case 6: { // c.sw
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 6) << 2) | (bits(h, 5, 5) << 6);
        return sType(imm, rdp, rs1p, 2, 0x23);
      }
      case 7: { // c.sd
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return sType(imm, rdp, rs1p, 3, 0x23);
      }
      default: return 0;
    }
  }
  if (op == 1) {
    const imm6 = sext((bits(h, 12, 12) << 5) | bits(h, 6, 2), 6);
    switch (f3) {
      case 0: return iType(imm6, rd, 0, rd, 0x13); // c.addi (c.nop, hints)
      case 1: // c.addiw
        if (rd == 0) return 0;
        return iType(imm6, rd, 0, rd, 0x1b);
      case 2: return iType(imm6, 0, 0, rd, 0x13); // c.li
      case 3: {
        if (rd == 2) { // c.addi16sp
          const imm = sext((bits(h, 12, 12) << 9) | (bits(h, 6, 6) << 4) | (bits(h, 5, 5) << 6) |
            (bits(h, 4, 3) << 7) | (bits(h, 2, 2) << 5), 10);
          if (imm == 0) return 0;
          return iType(imm, 2, 0, 2, 0x13);
        }
        // c.lui
        if (imm6 == 0) return 0;
        return ((<u32>imm6 << 12) & 0xfffff000) | (rd << 7) | 0x37;
      }
      case 4: {
        const f2 = bits(h, 11, 10);
        const shamt = (bits(h, 12, 12) << 5) | bits(h, 6, 2);
        if (f2 == 0) return iType(<i32>shamt, rs1p, 5, rs1p, 0x13); // c.srli
        if (f2 == 1) return iType(<i32>(shamt | 0x400), rs1p, 5, rs1p, 0x13); // c.srai
        if (f2 == 2) return iType(imm6, rs1p, 7, rs1p, 0x13); // c.andi
        const f = bits(h, 6, 5);
        if (bits(h, 12, 12) == 0) {
          if (f == 0) return rType(0x20, rdp, rs1p, 0, rs1p, 0x33); // c.sub
          if (f == 1) return rType(0, rdp, rs1p, 4, rs1p, 0x33); // c.xor
          if (f == 2) return rType(0, rdp, rs1p, 6, rs1p, 0x33); // c.or
          return rType(0, rdp, rs1p, 7, rs1p, 0x33); // c.and
        }
        if (f == 0) return rType(0x20, rdp, rs1p, 0, rs1p, 0x3b); // c.subw
        if (f == 1) return rType(0, rdp, rs1p, 0, rs1p, 0x3b); // c.addw
        return 0;
      }
      case 5: { // c.j
        const imm = sext((bits(h, 12, 12) << 11) | (bits(h, 11, 11) << 4) | (bits(h, 10, 9) << 8) |
          (bits(h, 8, 8) << 10) | (bits(h, 7, 7) << 6) | (bits(h, 6, 6) << 7) | (bits(h, 5, 3) << 1) |
          (bits(h, 2, 2) << 5), 12);
        return jType(imm, 0);
      }
      default: { // c.beqz, c.bnez
        const imm = sext((bits(h, 12, 12) << 8) | (bits(h, 11, 10) << 3) | (bits(h, 6, 5) << 6) |
          (bits(h, 4, 3) << 1) | (bits(h, 2, 2) << 5), 9);
        return bType(imm, 0, rs1p, f3 == 6 ? 0 : 1);
      }
    }
  }
  if (op == 2) {
    switch (f3) {
      case 0: { // c.slli
        const shamt = (bits(h, 12, 12) << 5) | bits(h, 6, 2);
        return iType(<i32>shamt, rd, 1, rd, 0x13);
      }
      case 1: { // c.fldsp
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(imm, 2, 3, rd, 0x07);
      }
      case 2: { // c.lwsp
        if (rd == 0) return 0;
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 4) << 2) | (bits(h, 3, 2) << 6);
        return iType(imm, 2, 2, rd, 0x03);
      }
      case 3: { // c.ldsp
        if (rd == 0) return 0;
        const imm = (bits(h, 12, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(imm, 2, 3, rd, 0x03);
      }
      case 4: {
        if (bits(h, 12, 12) == 0) {
          if (rs2 == 0) { // c.jr
            if (rd == 0) return 0;
            return iType(0, rd, 0, 0, 0x67);
          }
          return rType(0, rs2, 0, 0, rd, 0x33); // c.mv
        }
        if (rs2 == 0) {
          if (rd == 0) return 0x00100073; // c.ebreak
          return iType(0, rd, 0, 1, 0x67); // c.jalr
        }
        return rType(0, rs2, rd, 0, rd, 0x33); // c.add
      }
      case 5: { // c.fsdsp
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(imm, rs2, 2, 3, 0x27);
      }
      case 6: { // c.swsp
        const imm = (bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6);
        return sType(imm, rs2, 2, 2, 0x23);
      }
      default: { // c.sdsp
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(imm, rs2, 2, 3, 0x23);
      }
    }
  }
  return 0;
}

// The sign-extended 6-bit immediate of c.addi, c.li, c.andi... (bits 12 and 6:2).
@inline export function cImm6(h: u32): i32 {
  return (((<i32>(h << 19)) >> 31) << 5) | <i32>((h >>> 2) & 0x1f);
}
