// A struct layout, described once, read and written through a DataView.
//
// Every layout in src/abi/ is a `Struct`: its size, its alignment and, for each
// field, the offset and type Linux gives it on riscv64 (LP64, little-endian).
// The rest of the kernel asks a `Struct` for offsets and values instead of
// writing numbers of its own.
//
// 64-bit fields read as `number` through abi/word.ts: exact up to ±2^53,
// saturated past it (sign and low 32 bits kept, magnitude past every limit),
// so no value a guest writes into a struct can throw here; callers that need
// the exact value (rlimits, 64-bit masks) use `getBig`.

import { i64Word, u64Word } from "./word.js";

export type ScalarType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64";

/** A fixed array of bytes (char[N], padding, or a nested struct read as bytes). */
export interface BytesType {
  readonly bytes: number;
}

export type FieldType = ScalarType | BytesType;

export interface Field {
  readonly offset: number;
  readonly type: FieldType;
  readonly size: number;
}

/** How a field is written when a layout is declared: [offset, type]. */
export type FieldSpec = readonly [offset: number, type: FieldType];

const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = {
  u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8,
};

const TWO_32 = 0x1_0000_0000;

export function bytes(n: number): BytesType {
  return { bytes: n };
}

export function sizeOfType(t: FieldType): number {
  return typeof t === "string" ? SCALAR_SIZE[t] : t.bytes;
}

export class Struct<F extends string = string> {
  readonly fields: Readonly<Record<F, Field>>;
  readonly fieldNames: readonly F[];

  constructor(
    /** The Linux name of the type, e.g. "struct stat" or "siginfo_t". */
    readonly name: string,
    /** sizeof() on riscv64. */
    readonly size: number,
    specs: Readonly<Record<F, FieldSpec>>,
    /** alignof() on riscv64. */
    readonly align: number = 8,
  ) {
    const fields = {} as Record<F, Field>;
    const names = Object.keys(specs) as F[];
    for (const n of names) {
      const [offset, type] = specs[n];
      const size = sizeOfType(type);
      if (!Number.isInteger(offset) || offset < 0 || offset + size > this.size) {
        throw new RangeError(`${name}.${n}: field [${offset}, ${offset + size}) outside ${this.size} bytes`);
      }
      fields[n] = Object.freeze({ offset, type, size });
    }
    this.fields = Object.freeze(fields);
    this.fieldNames = Object.freeze(names);
    Object.freeze(this);
  }

  offsetOf(f: F): number {
    return this.fields[f].offset;
  }

  sizeOf(f: F): number {
    return this.fields[f].size;
  }

  /** Reads a scalar field as a number (64-bit fields saturate past ±2^53: abi/word.ts). */
  get(dv: DataView, base: number, f: F): number {
    const fd = this.fields[f];
    return readNumber(dv, base + fd.offset, fd.type, this.name, f);
  }

  /** Reads a scalar field as a bigint (any width). */
  getBig(dv: DataView, base: number, f: F): bigint {
    const fd = this.fields[f];
    const at = base + fd.offset;
    switch (fd.type) {
      case "u64": return dv.getBigUint64(at, true);
      case "i64": return dv.getBigInt64(at, true);
      default: return BigInt(readNumber(dv, at, fd.type, this.name, f));
    }
  }

  /** Writes a scalar field. Integers wrap to the field's width like a C store. */
  set(dv: DataView, base: number, f: F, v: number | bigint): void {
    const fd = this.fields[f];
    writeScalar(dv, base + fd.offset, fd.type, v, this.name, f);
  }

  /** A view of a field's bytes (no copy). */
  bytesOf(dv: DataView, base: number, f: F): Uint8Array {
    const fd = this.fields[f];
    return new Uint8Array(dv.buffer, dv.byteOffset + base + fd.offset, fd.size);
  }

  /** Copies `src` into a byte-array field, zero-filling the rest of it. */
  setBytes(dv: DataView, base: number, f: F, src: Uint8Array): void {
    const dst = this.bytesOf(dv, base, f);
    if (src.length > dst.length) throw new RangeError(`${this.name}.${f}: ${src.length} bytes into ${dst.length}`);
    dst.set(src);
    dst.fill(0, src.length);
  }

  /** Zeroes the whole struct at `base`. */
  zero(dv: DataView, base: number): void {
    new Uint8Array(dv.buffer, dv.byteOffset + base, this.size).fill(0);
  }

  /** Writes the given fields; byte-array fields take a Uint8Array. Others stay as they are. */
  write(dv: DataView, base: number, values: Partial<Record<F, number | bigint | Uint8Array>>): void {
    for (const f of Object.keys(values) as F[]) {
      const v = values[f];
      if (v === undefined) continue;
      if (v instanceof Uint8Array) this.setBytes(dv, base, f, v);
      else this.set(dv, base, f, v);
    }
  }

  /** Reads every scalar field (64-bit ones as bigint) and byte field (as a copy). */
  read(dv: DataView, base: number): Record<F, number | bigint | Uint8Array> {
    const out = {} as Record<F, number | bigint | Uint8Array>;
    for (const f of this.fieldNames) {
      const t = this.fields[f].type;
      if (typeof t !== "string") out[f] = this.bytesOf(dv, base, f).slice();
      else if (t === "u64" || t === "i64") out[f] = this.getBig(dv, base, f);
      else out[f] = this.get(dv, base, f);
    }
    return out;
  }
}

export function struct<F extends string>(
  name: string,
  size: number,
  specs: Readonly<Record<F, FieldSpec>>,
  align = 8,
): Struct<F> {
  return new Struct<F>(name, size, specs, align);
}

function readNumber(dv: DataView, at: number, t: FieldType, sname: string, f: string): number {
  switch (t) {
    case "u8": return dv.getUint8(at);
    case "i8": return dv.getInt8(at);
    case "u16": return dv.getUint16(at, true);
    case "i16": return dv.getInt16(at, true);
    case "u32": return dv.getUint32(at, true);
    case "i32": return dv.getInt32(at, true);
    case "u64": return u64Word(dv.getUint32(at, true), dv.getUint32(at + 4, true));
    case "i64": return i64Word(dv.getUint32(at, true), dv.getInt32(at + 4, true));
    default: throw new TypeError(`${sname}.${f}: byte-array field has no scalar value`);
  }
}

function writeScalar(dv: DataView, at: number, t: FieldType, v: number | bigint, sname: string, f: string): void {
  if (typeof t !== "string") throw new TypeError(`${sname}.${f}: byte-array field takes setBytes`);
  if (t === "u64" || t === "i64") {
    let big: bigint;
    if (typeof v === "bigint") big = v;
    else if (!Number.isSafeInteger(v)) {
      // An integer past 2^53 (a guest's huge value kept as the nearest
      // number) is stored as that number; only NaN, ±Infinity and fractions
      // are kernel bugs.
      if (!Number.isInteger(v)) throw new RangeError(`${sname}.${f}: ${v} is not an integer`);
      big = BigInt(v);
    } else {
      // Fast path: two 32-bit stores.
      const lo = v % TWO_32;
      const loU = lo < 0 ? lo + TWO_32 : lo;
      const hi = (v - loU) / TWO_32;
      dv.setUint32(at, loU, true);
      dv.setUint32(at + 4, hi >>> 0, true);
      return;
    }
    dv.setBigUint64(at, BigInt.asUintN(64, big), true);
    return;
  }
  const n = typeof v === "bigint" ? Number(BigInt.asIntN(32, v)) : v;
  switch (t) {
    case "u8": case "i8": dv.setUint8(at, n & 0xff); return;
    case "u16": case "i16": dv.setUint16(at, n & 0xffff, true); return;
    case "u32": case "i32": dv.setUint32(at, n >>> 0, true); return;
  }
}
