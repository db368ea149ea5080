/**
 * The deploy-time instrumentation pass: metering and state export for modules
 * the host runs under its own control.
 *
 * Metering: the module gets a fuel counter (an i32 global) that every function
 * entry and every loop iteration decrements; when it drops below 1 the module
 * calls the host's `nano:runtime.fuel`, which either refills it or throws and so
 * ends the call. Every unbounded execution passes through a loop head or a
 * function entry, so no call runs more than a bounded stretch of code without
 * asking the host — a check that works inside the engine, where a worker's
 * watchdog can otherwise only kill the whole thread.
 *
 * State export: every memory, mutable global and table is exported under a
 * `nano:` name, so the host can snapshot an instance after instantiation and
 * restore it after a call, reusing the instance instead of instantiating anew.
 * `notRecyclable` says when restoring those would not be enough.
 *
 * The module must already be valid (the engine validated it at build); the pass
 * decodes every instruction (wasm-code.ts) and refuses what it cannot decode.
 *
 * This file is the pass's public face and its walk over the sections: it puts
 * them in order, rewrites the exports, elements, start and code, and says why a
 * module is not recyclable. The declaring sections and the fuel's additions are
 * instrument-declarations.ts; the byte-level machinery is wasm-code.ts.
 */
import { ByteWriter } from './byte-writer.js';
import { Declarations, FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND } from './instrument-declarations.js';
import { type CodeContext, InstrumentError, Rewriter } from './wasm-code.js';

export { InstrumentError } from './wasm-code.js';
export { FUEL_IMPORT, INITIAL_FUEL } from './instrument-declarations.js';

/** Prefix of the exports the pass adds; a module that already exports a name with it is not instrumented. */
export const STATE_EXPORT_PREFIX = 'nano:';

export interface InstrumentedModule {
  bytes: Uint8Array;
  /** Export names the pass added, to reach the module's state from the host (in index order). */
  state: { memories: string[]; globals: string[]; tables: string[] };
  /** Why restoring the state after a call would not make it exactly the state after instantiation; empty = recyclable. */
  notRecyclable: string[];
}

/** `\0asm`, version 1. */
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Where each section id sits in the order spec §5.5.2 requires (the tag section, 13, goes before globals). */
const SECTION_RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };
/** The sections the pass writes even when the module has none: they gain an entry each. */
const ALWAYS_WRITTEN = [1, 2, 6, 7];

export function instrumentModule(bytes: Uint8Array): InstrumentedModule {
  if (bytes.length < 8 || HEADER.some((byte, i) => bytes[i] !== byte)) {
    throw new InstrumentError('not a WebAssembly module (version 1)');
  }
  return new Instrumenter(bytes).run();
}

/** One pass over the sections, in order: each learns from the ones before it what it needs (index spaces, the fuel's indices). */
class Instrumenter {
  private hasStart = false;
  private readonly context: CodeContext = {
    importedFunctions: 0,
    fuelCheck: undefined,
    hostCheck: undefined,
    dropsData: false,
    dropsElements: false,
  };
  private readonly out: ByteWriter;
  private readonly section = SECTION_SCRATCH;
  private readonly reader: Rewriter;
  private readonly declared: Declarations;
  private readonly state: InstrumentedModule['state'] = { memories: [], globals: [], tables: [] };
  private readonly pending = new Set(ALWAYS_WRITTEN);

  constructor(private readonly bytes: Uint8Array) {
    this.out = new ByteWriter(bytes.length + 256);
    this.reader = new Rewriter(bytes, this.section, 8);
    this.declared = new Declarations(this.reader, this.section, this.context);
  }

  run(): InstrumentedModule {
    this.out.bytes(this.bytes.subarray(0, 8));
    const r = this.reader;
    while (r.pos < this.bytes.length) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const end = r.pos + size;
      if (end > this.bytes.length) r.fail(`section ${id} runs past the end of the module`, start);
      const rank = SECTION_RANK[id];
      if (id !== 0 && rank === undefined) r.fail(`unknown section ${id}`, start);
      if (rank !== undefined) this.writeMissingBefore(rank);
      // The name section is dropped (its function indices would be stale); other custom sections are kept.
      if (id === 0 ? r.name() !== 'name' : !this.rewrite(id, end)) this.out.bytes(this.bytes.subarray(start, end));
      r.pos = end;
    }
    this.writeMissingBefore(Infinity);
    return { bytes: this.out.view().slice(), state: this.state, notRecyclable: this.reasons() };
  }

  private writeMissingBefore(rank: number): void {
    for (const id of this.pending) if ((SECTION_RANK[id] ?? 0) < rank) this.rewrite(id, undefined);
  }

  /**
   * Writes section `id` (read up to `end`, or created when `end` is undefined) to the output with the
   * pass's changes; returns false for a section that needs none, for the caller to copy as it is.
   */
  private rewrite(id: number, end: number | undefined): boolean {
    const r = this.reader;
    this.pending.delete(id);
    if (id === 5) this.declared.memorySection(r.u32()); // only read: the memories' count and which are shared
    const rewriteSection = this.sections[id];
    if (!rewriteSection) return false;
    this.section.reset();
    r.out = this.section;
    r.drop();
    rewriteSection(end);
    if (end !== undefined && r.pos !== end) r.fail(`section ${id} does not end where its contents do (byte ${end})`);
    r.flush();
    this.out.byte(id);
    this.out.u32(this.section.length);
    this.out.bytes(this.section.view());
    return true;
  }

  /**
   * The sections the pass changes, by id. Those that gain an entry read their count and write a new one
   * (0 for a section the module lacks); the others' counts are copied through.
   */
  private readonly sections: Partial<Record<number, (end: number | undefined) => void>> = {
    1: (end) => this.declared.typeSection(this.oldCount(end)),
    2: (end) => this.declared.importSection(this.oldCount(end)),
    4: () => this.declared.tableSection(this.reader.u32()),
    6: (end) => this.declared.globalSection(this.oldCount(end)),
    7: (end) => this.exportSection(this.oldCount(end)),
    8: () => {
      this.hasStart = true;
      this.reader.funcIndex(this.context);
    },
    9: () => this.elementSection(this.reader.u32()),
    10: () => this.codeSection(this.reader.u32()),
  };

  /** The count of a section that gains entries: read, and left out of the output. */
  private oldCount(end: number | undefined): number {
    if (end === undefined) return 0;
    const count = this.reader.u32();
    this.reader.drop();
    return count;
  }

  private exportSection(count: number): void {
    const r = this.reader;
    const added: [string, number, number][] = [];
    const add = (list: string[], prefix: string, kind: number, index: number) => {
      const name = `${STATE_EXPORT_PREFIX}${prefix}${index}`;
      list.push(name);
      added.push([name, kind, index]);
    };
    const { memories, mutableGlobals, tables } = this.declared;
    for (let i = 0; i < memories; i++) add(this.state.memories, 'memory', MEMORY_KIND, i);
    for (const index of mutableGlobals) add(this.state.globals, 'global', GLOBAL_KIND, index);
    for (let i = 0; i < tables; i++) add(this.state.tables, 'table', TABLE_KIND, i);
    this.section.u32(count + added.length);
    for (let i = 0; i < count; i++) {
      const at = r.pos;
      const name = r.name();
      if (name.startsWith(STATE_EXPORT_PREFIX)) r.fail(`the module already exports "${name}", a name the pass reserves`, at);
      if (r.byte() === FUNC_KIND) r.funcIndex(this.context);
      else r.u32();
    }
    r.flush();
    for (const [name, kind, index] of added) {
      this.section.name(name);
      this.section.byte(kind);
      this.section.u32(index);
    }
  }

  /** Element segments (spec §5.5.12): flags 0-7 say passive/declarative, explicit table, and indices or expressions. */
  private elementSection(count: number): void {
    const r = this.reader;
    for (let i = 0; i < count; i++) {
      const flags = r.u32();
      if (flags > 7) r.fail(`unknown element segment kind ${flags}`);
      if (flags & 0x02 && !(flags & 0x01)) r.u32(); // an explicit table index
      if (!(flags & 0x01)) r.constExpr(this.context); // an active segment's offset
      const expressions = (flags & 0x04) !== 0;
      if (flags & 0x03) {
        if (expressions) r.refType();
        else if (r.byte() !== 0x00) r.fail('unknown element kind');
      }
      for (let n = r.u32(); n > 0; n--) {
        if (expressions) r.constExpr(this.context);
        else r.funcIndex(this.context);
      }
    }
  }

  /** Each body gets the fuel check after its locals; its size is written anew. */
  private codeSection(count: number): void {
    const r = this.reader;
    const body = BODY_SCRATCH;
    body.reset(); // a module refused halfway may have left bytes in it
    const fuelCheck = this.context.fuelCheck;
    if (!fuelCheck) return r.fail('code before the global section');
    for (let i = 0; i < count; i++) {
      r.flush();
      const size = r.u32();
      const end = r.pos + size;
      r.drop();
      r.out = body;
      for (let n = r.u32(); n > 0; n--) {
        r.u32();
        r.valueType();
      }
      r.flush();
      body.bytes(fuelCheck);
      r.body(end, this.context);
      r.flush();
      r.out = this.section;
      this.section.u32(body.length);
      this.section.bytes(body.view());
      body.reset();
    }
  }

  private reasons(): string[] {
    const reasons: string[] = [];
    if (this.context.dropsData) reasons.push('it drops a data segment (data.drop), which instantiation alone brings back');
    if (this.context.dropsElements) reasons.push('it drops an element segment (elem.drop), which instantiation alone brings back');
    if (this.hasStart) reasons.push('it has a start function, whose effects outside the module happen only at instantiation');
    for (const index of this.declared.sharedMemories) reasons.push(`its memory ${index} is shared, so other threads may see or change it`);
    return reasons;
  }
}

/**
 * Scratch buffers for a section's and a body's new bytes, kept between modules: the pass is synchronous,
 * so one module at a time uses them, and small modules do not pay for allocating them.
 */
const SECTION_SCRATCH = new ByteWriter(4096);
const BODY_SCRATCH = new ByteWriter(1024);
