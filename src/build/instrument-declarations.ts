/**
 * The declaring sections for instrument.ts's pass: reads the types, imports,
 * tables, memories and globals, counting the index spaces the later sections
 * need (function indices to shift, state to export, shared memories), and adds
 * the fuel's type, host import and counter global, and builds the fuel check
 * the code section inserts. The fuel's names and first value live here, where
 * they are written; instrument.ts re-exports them.
 */
import type { ByteWriter } from './byte-writer.js';
import type { CodeContext, Rewriter } from './wasm-code.js';
import { encodeU32 } from './wasm-reader.js';

/** The host function every instrumented module imports: () -> i32. It returns the new fuel (> 0) or throws to stop the call. */
export const FUEL_IMPORT = { module: 'nano:runtime', name: 'fuel' } as const;
/**
 * The counter's value after instantiation, and after every reset of a recycled
 * instance (the counter is exported with the rest of its state): small, so
 * that every call reads the clock early on and the host's refills (fuel.ts)
 * adapt to what the call's loops cost before it can overrun a short deadline.
 */
export const INITIAL_FUEL = 100;

const I32 = 0x7f;
export const FUNC_KIND = 0;
export const TABLE_KIND = 1;
export const MEMORY_KIND = 2;
export const GLOBAL_KIND = 3;

/** The added type: () -> i32. */
const FUEL_TYPE = new Uint8Array([0x60, 0x00, 0x01, I32]);

/** What the module declares, learnt section by section; each method reads one section through the pass's reader. */
export class Declarations {
  types = 0;
  importedFunctions = 0;
  importedGlobals = 0;
  definedGlobals = 0;
  tables = 0;
  memories = 0;
  /** Indices of the mutable globals, imported and defined, the fuel counter last. */
  readonly mutableGlobals: number[] = [];
  readonly sharedMemories: number[] = [];

  constructor(
    private readonly reader: Rewriter,
    /** Where the section being rewritten goes. */
    private readonly section: ByteWriter,
    private readonly context: CodeContext,
  ) {}

  typeSection(count: number): void {
    const r = this.reader;
    this.types = count;
    this.section.u32(count + 1);
    for (let i = 0; i < count; i++) {
      const form = r.byte();
      if (form !== 0x60) r.fail(`unsupported type form 0x${form.toString(16)} (GC types are not instrumented)`, r.pos - 1);
      for (let list = 0; list < 2; list++) for (let n = r.u32(); n > 0; n--) r.valueType();
    }
    r.flush();
    this.section.bytes(FUEL_TYPE);
  }

  importSection(count: number): void {
    const r = this.reader;
    this.section.u32(count + 1);
    for (let i = 0; i < count; i++) {
      const module = r.name();
      r.name();
      if (module === FUEL_IMPORT.module) r.fail(`the module already imports from "${FUEL_IMPORT.module}"`);
      const kind = r.byte();
      if (kind === FUNC_KIND) {
        this.importedFunctions++;
        r.u32();
      } else if (kind === TABLE_KIND) {
        this.tableType();
      } else if (kind === MEMORY_KIND) {
        this.memoryType();
      } else if (kind === GLOBAL_KIND) {
        this.globalType(this.importedGlobals++);
      } else if (kind === 4) {
        r.byte(); // a tag: its attribute, then its type
        r.u32();
      } else {
        r.fail(`unknown import kind ${kind}`);
      }
    }
    r.flush();
    this.section.name(FUEL_IMPORT.module);
    this.section.name(FUEL_IMPORT.name);
    this.section.byte(FUNC_KIND);
    this.section.u32(this.types);
    this.context.importedFunctions = this.importedFunctions;
  }

  /** The fuel check: decrement, and below 1 ask the host for more (it throws to stop the call). */
  private fuelCheck(): Uint8Array {
    const fuel = encodeU32(this.importedGlobals + this.definedGlobals);
    const host = encodeU32(this.importedFunctions);
    // prettier-ignore
    return new Uint8Array([
      0x23, ...fuel, 0x41, 1, 0x6b, 0x24, ...fuel, // global.get $fuel; i32.const 1; i32.sub; global.set $fuel
      0x23, ...fuel, 0x41, 1, 0x48, 0x04, 0x40, // global.get $fuel; i32.const 1; i32.lt_s; if
      0x10, ...host, 0x24, ...fuel, 0x0b, // call $fuel (the host's); global.set $fuel; end
    ]);
  }

  /** The host's check, unconditionally: `call $fuel; global.set $fuel`. */
  private hostCheck(): Uint8Array {
    return new Uint8Array([0x10, ...encodeU32(this.importedFunctions), 0x24, ...encodeU32(this.importedGlobals + this.definedGlobals)]);
  }

  tableSection(count: number): void {
    const r = this.reader;
    for (let i = 0; i < count; i++) {
      if (r.src[r.pos] === 0x40) {
        r.skip(2); // a table with an initialiser (function references): 0x40 0x00, its type, a constant expression
        this.tableType();
        r.constExpr(this.context);
      } else {
        this.tableType();
      }
    }
  }

  private tableType(): void {
    this.reader.refType();
    this.limits();
    this.tables++;
  }

  memorySection(count: number): void {
    for (let i = 0; i < count; i++) this.memoryType();
  }

  private memoryType(): void {
    if (this.limits() & 0x02) this.sharedMemories.push(this.memories);
    this.memories++;
  }

  /** Limits: flags (bit 0 a maximum, bit 1 shared, bit 2 64-bit), the minimum, the maximum if any. */
  private limits(): number {
    const r = this.reader;
    const flags = r.byte();
    if (flags > 0x07) r.fail(`unsupported limits flags 0x${flags.toString(16)}`, r.pos - 1);
    r.skipLeb();
    if (flags & 0x01) r.skipLeb();
    return flags;
  }

  private globalType(index: number): void {
    this.reader.valueType();
    const mutability = this.reader.byte();
    if (mutability === 1) this.mutableGlobals.push(index);
  }

  globalSection(count: number): void {
    const r = this.reader;
    this.section.u32(count + 1);
    for (let i = 0; i < count; i++) {
      this.globalType(this.importedGlobals + i);
      r.constExpr(this.context);
    }
    this.definedGlobals = count;
    r.flush();
    this.mutableGlobals.push(this.importedGlobals + count);
    this.section.bytes(new Uint8Array([I32, 1, 0x41, ...sleb32(INITIAL_FUEL), 0x0b])); // (mut i32) (i32.const INITIAL_FUEL)
    this.context.fuelCheck = this.fuelCheck();
    this.context.hostCheck = this.hostCheck();
  }
}

function sleb32(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
