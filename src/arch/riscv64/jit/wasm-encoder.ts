// A small WebAssembly binary encoder: just what the JIT emits. Function bodies
// are written with Code (opcodes, LEB128 immediates, and a count of open
// blocks so branches can name their target by nesting level); ModuleBuilder
// wraps bodies into a module that imports memory and helper functions.
//
// Numbers only (no BigInt): i64 immediates the JIT needs fit in 53 bits or are
// written from (hi, lo) 32-bit halves.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const VOID = 0x40;

// Opcodes (WebAssembly core spec, section 5.4).
export const enum Op {
  unreachable = 0x00, block = 0x02, loop = 0x03, if_ = 0x04, else_ = 0x05, end = 0x0b,
  br = 0x0c, br_if = 0x0d, br_table = 0x0e, return_ = 0x0f, call = 0x10, drop = 0x1a, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22,
  i32_load = 0x28, i64_load = 0x29, i32_load8_s = 0x2c, i32_load8_u = 0x2d, i32_load16_s = 0x2e,
  i32_load16_u = 0x2f, i64_load8_s = 0x30, i64_load8_u = 0x31, i64_load16_s = 0x32, i64_load16_u = 0x33,
  i64_load32_s = 0x34, i64_load32_u = 0x35, i32_store = 0x36, i64_store = 0x37, i32_store8 = 0x3a,
  i32_store16 = 0x3b, i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e,
  i32_const = 0x41, i64_const = 0x42,
  i32_eqz = 0x45, i32_eq = 0x46, i32_ne = 0x47, i32_lt_s = 0x48, i32_lt_u = 0x49, i32_gt_s = 0x4a,
  i32_gt_u = 0x4b, i32_le_s = 0x4c, i32_le_u = 0x4d, i32_ge_s = 0x4e, i32_ge_u = 0x4f,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_gt_s = 0x55,
  i64_gt_u = 0x56, i64_le_s = 0x57, i64_le_u = 0x58, i64_ge_s = 0x59, i64_ge_u = 0x5a,
  i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_and = 0x71, i32_or = 0x72, i32_xor = 0x73,
  i32_shl = 0x74, i32_shr_s = 0x75, i32_shr_u = 0x76, i32_rotr = 0x78,
  i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e, i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_s = 0x81,
  i64_rem_u = 0x82, i64_and = 0x83, i64_or = 0x84, i64_xor = 0x85,
  i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88, i64_rotr = 0x8a,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad,
  i64_extend32_s = 0xc4,
  f32_load = 0x2a, f64_load = 0x2b, f32_store = 0x38, f64_store = 0x39,
  f32_eq = 0x5b, f32_lt = 0x5d, f32_le = 0x5f, f64_eq = 0x61, f64_lt = 0x63, f64_gt = 0x64, f64_le = 0x65,
  f64_ge = 0x66,
  f32_sqrt = 0x91, f32_add = 0x92, f32_sub = 0x93, f32_mul = 0x94, f32_div = 0x95,
  f64_sqrt = 0x9f, f64_add = 0xa0, f64_sub = 0xa1, f64_mul = 0xa2, f64_div = 0xa3,
  i32_trunc_f64_s = 0xaa, i64_trunc_f64_s = 0xb0, f32_demote_f64 = 0xb6, f64_convert_i32_s = 0xb7,
  f64_convert_i32_u = 0xb8, f64_promote_f32 = 0xbb, i32_reinterpret_f32 = 0xbc, i64_reinterpret_f64 = 0xbd,
}

// A growable byte buffer with LEB128 writers.
export class Bytes {
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void { this.grow(1); this.buf[this.len++] = b; }
  bytes(a: ArrayLike<number>): void { this.grow(a.length); this.buf.set(a, this.len); this.len += a.length; }
  u32(v: number): void {
    this.grow(5);
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (v !== 0);
  }
  // Signed LEB128 of an integer-valued number (exact while |v| < 2^53).
  sleb(v: number): void {
    this.grow(10);
    for (;;) {
      const b = v & 0x7f; // low 7 bits (two's complement, also for negatives)
      v = Math.floor(v / 128);
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.buf[this.len++] = b; return; }
      this.buf[this.len++] = b | 0x80;
    }
  }
  str(s: string): void { this.u32(s.length); for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i)); }
  // A section or body: its length, then its bytes.
  sized(inner: Bytes): void { this.u32(inner.len); this.bytes(inner.buf.subarray(0, inner.len)); }
  view(): Uint8Array<ArrayBuffer> { return this.buf.subarray(0, this.len); }
}

// A function body under construction. `depth` counts the open block/loop/if
// constructs; a label is the depth just after its construct opened, and
// br(label) computes the relative depth.
export class Code extends Bytes {
  depth = 0;

  op(o: Op): void { this.byte(o); }
  get(l: number): void { this.byte(Op.local_get); this.u32(l); }
  set(l: number): void { this.byte(Op.local_set); this.u32(l); }
  tee(l: number): void { this.byte(Op.local_tee); this.u32(l); }
  i32(v: number): void { this.byte(Op.i32_const); this.sleb(v | 0); }
  i64(v: number): void { this.byte(Op.i64_const); this.sleb(v); }
  f64(v: number): void {
    this.byte(0x44); // f64.const, then the value's 8 bytes, little-endian
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.bytes(b);
  }
  // i64 constant from its two 32-bit halves.
  i64hl(hi: number, lo: number): void {
    if ((hi | 0) === (lo >> 31)) { this.i64(lo | 0); return; }
    if ((hi | 0) >= -0x200000 && (hi | 0) < 0x200000) { this.i64((hi | 0) * 0x100000000 + (lo >>> 0)); return; }
    // Outside 53 bits: build it from halves.
    this.i64(hi | 0); this.i64(32); this.op(Op.i64_shl); this.i64(lo >>> 0); this.op(Op.i64_or);
  }
  // A memory access at a constant offset from the address on the stack.
  mem(o: Op, offset: number, align = 0): void { this.byte(o); this.u32(align); this.u32(offset); }
  call(f: number): void { this.byte(Op.call); this.u32(f); }
  // call_indirect through table 0 with the signature of type index `type`.
  callIndirect(type: number): void { this.byte(0x11); this.u32(type); this.byte(0x00); }
  // The same as a tail call (the tail-call proposal, in V8 since 11.2).
  returnCallIndirect(type: number): void { this.byte(0x13); this.u32(type); this.byte(0x00); }
  // A tail call to function index f.
  returnCall(f: number): void { this.byte(0x12); this.u32(f); }

  block(type = VOID): number { this.byte(Op.block); this.byte(type); return ++this.depth; }
  loop(type = VOID): number { this.byte(Op.loop); this.byte(type); return ++this.depth; }
  if_(type = VOID): number { this.byte(Op.if_); this.byte(type); return ++this.depth; }
  else_(): void { this.byte(Op.else_); }
  end(): void { this.byte(Op.end); this.depth--; }
  br(label: number): void { this.byte(Op.br); this.u32(this.depth - label); }
  brIf(label: number): void { this.byte(Op.br_if); this.u32(this.depth - label); }
}

export interface FuncImport { module: string; name: string; params: number[]; results: number[] }
export interface FuncDef {
  params: number[]; results: number[]; locals: [count: number, type: number][]; body: Code; exportName?: string;
  debugName?: string; // in the name section: what CPU profiles show
}

// A module importing env.memory and functions, defining functions.
export class ModuleBuilder {
  private types: string[] = [];
  private typeSigs: { params: number[]; results: number[] }[] = [];
  private imports: { imp: FuncImport; type: number }[] = [];
  private funcs: { def: FuncDef; type: number }[] = [];
  // Imports env.table (the hart's function table) for call_indirect.
  importTable = false;

  typeOf(params: number[], results: number[]): number {
    const key = params.join(",") + ">" + results.join(",");
    let i = this.types.indexOf(key);
    if (i < 0) { i = this.types.length; this.types.push(key); this.typeSigs.push({ params, results }); }
    return i;
  }

  // Function imports must all be added before any function: indices are imports first.
  importFunc(imp: FuncImport): number {
    if (this.funcs.length) throw new Error("imports go before functions");
    this.imports.push({ imp, type: this.typeOf(imp.params, imp.results) });
    return this.imports.length - 1;
  }

  // The index the next function added gets.
  get nextFunc(): number { return this.imports.length + this.funcs.length; }

  addFunc(def: FuncDef): number {
    this.funcs.push({ def, type: this.typeOf(def.params, def.results) });
    return this.imports.length + this.funcs.length - 1;
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out = new Bytes();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (b: Bytes) => void): void => {
      const b = new Bytes();
      fill(b);
      out.byte(id);
      out.sized(b);
    };
    section(1, (b) => { // types
      b.u32(this.typeSigs.length);
      for (const t of this.typeSigs) {
        b.byte(0x60);
        b.u32(t.params.length); b.bytes(t.params);
        b.u32(t.results.length); b.bytes(t.results);
      }
    });
    section(2, (b) => { // imports: memory, then functions
      b.u32(this.imports.length + 1 + (this.importTable ? 1 : 0));
      b.str("env"); b.str("memory"); b.byte(0x02); b.byte(0x00); b.u32(0);
      if (this.importTable) { b.str("env"); b.str("table"); b.byte(0x01); b.byte(0x70); b.byte(0x00); b.u32(0); }
      for (const { imp, type } of this.imports) { b.str(imp.module); b.str(imp.name); b.byte(0x00); b.u32(type); }
    });
    section(3, (b) => { b.u32(this.funcs.length); for (const f of this.funcs) b.u32(f.type); });
    section(7, (b) => { // exports
      const ex = this.funcs.map((f, i) => [f.def.exportName, i] as const).filter((e) => e[0] !== undefined);
      b.u32(ex.length);
      for (const [name, i] of ex) { b.str(name!); b.byte(0x00); b.u32(this.imports.length + i); }
    });
    section(10, (b) => { // code
      b.u32(this.funcs.length);
      for (const { def } of this.funcs) {
        const f = new Bytes();
        f.u32(def.locals.length);
        for (const [n, t] of def.locals) { f.u32(n); f.byte(t); }
        f.bytes(def.body.view());
        f.byte(Op.end);
        b.sized(f);
      }
    });
    const named = this.funcs.map((f, i) => [f.def.debugName, i] as const).filter((e) => e[0] !== undefined);
    if (named.length) {
      section(0, (b) => { // custom "name" section, function names subsection (1)
        b.str("name");
        const sub = new Bytes();
        sub.u32(named.length);
        for (const [name, i] of named) { sub.u32(this.imports.length + i); sub.str(name!); }
        b.byte(1);
        b.sized(sub);
      });
    }
    return out.view();
  }
}
