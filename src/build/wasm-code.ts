/**
 * The instruction walk of instrument.ts: a reader that copies the input through
 * to an output ByteWriter except where it patches an index (the function
 * indices the fuel import shifts) or inserts the fuel check after a `loop`, and
 * that decodes every instruction's immediates by the table in wasm-opcodes.ts.
 * The decoder must know every opcode: one misread immediate would shift every
 * later instruction, so anything it does not know is refused rather than guessed.
 */
import type { ByteWriter } from './byte-writer.js';
import { FC_IMMEDIATES, IMMEDIATES, Imm, OPENS_BLOCK, REF_TYPES, SIMD_UNASSIGNED, TRY, TRY_TABLE, VALUE_TYPES } from './wasm-opcodes.js';

export class InstrumentError extends Error {
  override name = 'InstrumentError';
}

const UTF8_DECODER = new TextDecoder();

/** What the walk over instructions needs from the module, and what it reports back. */
export interface CodeContext {
  /** Function indices below it (the imported functions) keep theirs; the others move up by one for the fuel import. */
  importedFunctions: number;
  /** The fuel check, inserted right after each `loop`'s block type; unset until the fuel global's index is known. */
  fuelCheck: Uint8Array | undefined;
  /** A call of the host's check whatever the counter says (`call $fuel; global.set $fuel`), before each bulk operation. */
  hostCheck: Uint8Array | undefined;
  /** Set when the walk meets `data.drop` / `elem.drop`. */
  dropsData: boolean;
  dropsElements: boolean;
}

/** 0xFC memory.init, memory.copy, memory.fill, table.init, table.copy, table.fill. */
const BULK_OPERATIONS = new Set([8, 10, 11, 12, 14, 17]);

const hex = (value: number) => `0x${value.toString(16).padStart(2, '0')}`;

/**
 * Reads `src` from `pos` and copies it to `out` lazily: the bytes from `copied`
 * to the current position are written only when something is patched, or at
 * the end of a span (flush), so unchanged code costs one `set` per span.
 */
export class Rewriter {
  pos: number;
  copied: number;

  constructor(
    readonly src: Uint8Array,
    public out: ByteWriter,
    pos: number,
  ) {
    this.pos = pos;
    this.copied = pos;
  }

  fail(message: string, at = this.pos): never {
    throw new InstrumentError(`${message} at byte ${at}`);
  }

  byte(): number {
    const value = this.src[this.pos];
    if (value === undefined) this.fail('unexpected end of module');
    this.pos++;
    return value;
  }

  u32(): number {
    const first = this.byte();
    if (first < 0x80) return first; // most indices and counts fit in one byte
    let result = first & 0x7f;
    let shift = 7;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) this.fail('malformed LEB128 number');
    }
  }

  /** Any LEB128 number, signed or not, up to 64 bits: consumed unread. */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if (this.byte() < 0x80) return;
    this.fail('malformed LEB128 number');
  }

  skip(count: number): void {
    if (this.pos + count > this.src.length) this.fail('unexpected end of module');
    this.pos += count;
  }

  name(): string {
    const length = this.u32();
    const start = this.pos;
    this.skip(length);
    return UTF8_DECODER.decode(this.src.subarray(start, this.pos));
  }

  valueType(): number {
    const code = this.byte();
    if (!VALUE_TYPES.has(code))
      this.fail(`unsupported value type ${hex(code)} (GC and typed function references are not instrumented)`, this.pos - 1);
    return code;
  }

  refType(): number {
    const code = this.byte();
    if (!REF_TYPES.has(code)) this.fail(`unsupported reference type ${hex(code)}`, this.pos - 1);
    return code;
  }

  /** Writes what was read since the last flush. */
  flush(to = this.pos): void {
    if (to > this.copied) this.out.bytes(this.src.subarray(this.copied, to));
    this.copied = to;
  }

  /** Skips what was read so far: it will not be copied (the caller wrote its replacement). */
  drop(): void {
    this.copied = this.pos;
  }

  /** A function index, rewritten in place for the index space with the fuel import in it. */
  funcIndex(context: CodeContext): void {
    const start = this.pos;
    const index = this.u32();
    if (index < context.importedFunctions) return;
    this.flush(start);
    this.out.u32(index + 1);
    this.drop();
  }

  /** A block type: empty, one value type, or a type index as a signed 33-bit LEB128 (never negative). */
  blockType(): void {
    const first = this.src[this.pos];
    if (first === 0x40 || (first !== undefined && VALUE_TYPES.has(first))) {
      this.pos++;
    } else if (first !== undefined && (first & 0xc0) === 0x40) {
      this.fail(`unsupported block type ${hex(first)}`);
    } else {
      this.skipLeb();
    }
  }

  /** align (bit 6: a memory index follows, for multi-memory), then the offset (64-bit for memory64). */
  memarg(): void {
    const align = this.u32();
    if (align & 0x40) this.u32();
    this.skipLeb();
  }

  /** Instructions up to and including the `end` that closes a constant expression (no blocks in them). */
  constExpr(context: CodeContext): void {
    while (this.instruction(context) !== 0x0b);
  }

  /**
   * Every instruction of a function body, whose last byte is at `end - 1`. The nesting is followed so that
   * a walk out of step (which valid code never causes) is caught: the `end` closing the body must be its last byte.
   */
  body(end: number, context: CodeContext): void {
    let depth = 0;
    while (this.pos < end) {
      const op = this.instruction(context);
      if (op === 0x0b || op === 0x18) depth--;
      else if (OPENS_BLOCK[op]) depth++;
      if (depth < 0) break;
    }
    if (this.pos !== end || depth !== -1) this.fail('function body does not end with the end of its outermost block');
  }

  /** One instruction, its immediates decoded (and function indices patched) so the walk stays in step; returns its opcode. */
  instruction(context: CodeContext): number {
    const at = this.pos;
    const op = this.byte();
    // The fuel check stops a call by throwing; a module that catches exceptions could catch that and go on.
    if (op === TRY || op === TRY_TABLE) this.fail('it catches exceptions (try), which could catch the stop at its deadline', at);
    // One line per kind of immediates: the decoder is this table.
    // prettier-ignore
    switch (IMMEDIATES[op]) {
      case Imm.None: break;
      case Imm.Index: this.u32(); break;
      case Imm.Block: this.blockType(); break;
      case Imm.Loop: this.blockType(); this.insertFuelCheck(context); break;
      case Imm.FuncIndex: this.funcIndex(context); break;
      case Imm.TwoIndices: this.u32(); this.u32(); break;
      case Imm.BrTable: for (let count = this.u32() + 1; count > 0; count--) this.u32(); break; // the targets, then the default
      case Imm.Memarg: this.memarg(); break;
      case Imm.Leb: this.skipLeb(); break;
      case Imm.Bytes4: this.skip(4); break;
      case Imm.Bytes8: this.skip(8); break;
      case Imm.SelectTypes: for (let count = this.u32(); count > 0; count--) this.valueType(); break;
      case Imm.RefNull: this.refType(); break;
      case Imm.TryTable: this.tryTable(); break;
      case Imm.Prefix: this.prefixed(op, context); break;
      default: this.fail(`unknown opcode ${hex(op)}`, at);
    }
    return op;
  }

  private insertFuelCheck(context: CodeContext): void {
    if (!context.fuelCheck) return;
    this.flush();
    this.out.bytes(context.fuelCheck);
  }

  /** try_table: a block type, then catch clauses (catch/catch_ref: tag and label; catch_all/_ref: label). */
  private tryTable(): void {
    this.blockType();
    for (let count = this.u32(); count > 0; count--) {
      const kind = this.byte();
      if (kind > 3) this.fail(`unknown catch clause ${kind}`);
      if (kind < 2) this.u32();
      this.u32();
    }
  }

  private prefixed(prefix: number, context: CodeContext): void {
    const at = this.pos - 1;
    const sub = this.u32();
    const unknown = () => this.fail(`unknown instruction ${hex(prefix)} ${sub}`, at);
    if (prefix === 0xfc) {
      const count = FC_IMMEDIATES[sub];
      if (count === undefined) return unknown();
      if (sub === 9) context.dropsData = true;
      if (sub === 13) context.dropsElements = true;
      // One bulk operation over a large memory takes milliseconds, and a loop of them counts one unit a turn:
      // the clock is read before each (it leaves the operands on the stack as they are).
      if (BULK_OPERATIONS.has(sub) && context.hostCheck) {
        this.flush(at);
        this.out.bytes(context.hostCheck);
      }
      for (let i = 0; i < count; i++) this.u32();
    } else if (prefix === 0xfd) {
      this.simd(sub, unknown);
    } else {
      // 0xFE, threads: fence has a zero byte; notify, wait and the atomic loads, stores and read-modify-writes a memarg.
      // A wait blocks inside the engine, where no fuel check runs: no deadline could stop it.
      if (sub === 0x01 || sub === 0x02) this.fail('it waits on a shared memory (memory.atomic.wait), which no deadline can interrupt', at);
      if (sub === 0x03) this.byte();
      else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) this.memarg();
      else unknown();
    }
  }

  private simd(sub: number, unknown: () => never): void {
    if (sub <= 11 || sub === 92 || sub === 93) {
      this.memarg(); // loads, stores, load32_zero, load64_zero
    } else if (sub === 12 || sub === 13) {
      this.skip(16); // v128.const, i8x16.shuffle
    } else if (sub >= 21 && sub <= 34) {
      this.byte(); // extract_lane, replace_lane
    } else if (sub >= 84 && sub <= 91) {
      this.memarg(); // load*_lane, store*_lane
      this.byte();
    } else if (SIMD_UNASSIGNED.has(sub) || sub > 0x113) {
      unknown();
    }
  }
}
