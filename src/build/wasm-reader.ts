/**
 * A reader for the few sections of a Wasm binary that nano needs to inspect:
 * types, imports, functions, tables, memories and exports (spec §5.5). The engine's own
 * `WebAssembly.Module.imports()` lists names but not signatures or memory limits,
 * and those are what the builder checks.
 */

export type RawValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | `0x${string}`;

export interface FuncType {
  params: RawValueType[];
  results: RawValueType[];
}

export interface MemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
  memory64: boolean;
}

export type ImportDesc =
  | { kind: 'function'; typeIndex: number }
  | { kind: 'table'; limits: TableLimits }
  | { kind: 'memory'; limits: MemoryLimits }
  | { kind: 'global' };

/** A table's limits, and where they sit in the module (for table-limit.ts, which rewrites them). */
export interface TableLimits {
  initial: number;
  maximum: number | undefined;
  /** The limits' flags byte: bit 0 = has a maximum, bit 2 = 64-bit indices. */
  flags: number;
  /** Byte offsets of the limits (flags, initial, maximum) in the module. */
  start: number;
  end: number;
}

export interface TableSection {
  /** Byte offset of the section's id byte and the end of its payload. */
  start: number;
  end: number;
  tables: TableLimits[];
}

export interface WasmImport {
  module: string;
  name: string;
  desc: ImportDesc;
}

export interface WasmExport {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global';
  index: number;
}

export interface MemorySection {
  /** Byte offset of the section's id byte and the end of its payload. */
  start: number;
  end: number;
  memories: MemoryLimits[];
}

export interface WasmLayout {
  types: FuncType[];
  imports: WasmImport[];
  /** Type index of each function defined in the module (not imported). */
  functionTypes: number[];
  tableSection: TableSection | undefined;
  memorySection: MemorySection | undefined;
  exports: WasmExport[];
}

export class WasmFormatError extends Error {}

const VALUE_TYPES: Record<number, RawValueType> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};
const EXTERN_KINDS = ['function', 'table', 'memory', 'global'] as const;

class Cursor {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }

  byte(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new WasmFormatError(`unexpected end of module at byte ${this.offset}`);
    this.offset++;
    return value;
  }

  /** Unsigned LEB128, as every count, index and limit in the binary format is. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new WasmFormatError(`malformed LEB128 number at byte ${this.offset}`);
    }
  }

  name(): string {
    const length = this.u32();
    const text = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }

  valueType(): RawValueType {
    const code = this.byte();
    return VALUE_TYPES[code] ?? `0x${code.toString(16)}`;
  }

  vector<T>(read: () => T): T[] {
    const count = this.u32();
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read());
    return items;
  }

  limits(): MemoryLimits {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 0x01 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0 };
  }

  /** Consumes a LEB128 number of any width and sign, unread (constant expressions). */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }

  /** A reference type, then limits (spec §5.3.10); `(ref null? ht)` is 0x63/0x64 and a heap type. */
  tableType(): TableLimits {
    const ref = this.byte();
    if (ref === 0x63 || ref === 0x64) this.skipLeb();
    const start = this.offset;
    const { initial, maximum } = this.limits();
    return { initial, maximum, flags: this.bytes[start] ?? 0, start, end: this.offset };
  }

  /**
   * Skips a constant expression up to its `end`: the instructions a table's
   * initialiser may hold without the GC proposal; anything else is unreadable.
   */
  skipConstExpr(): void {
    for (let op = this.byte(); op !== 0x0b; op = this.byte()) {
      if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd0 || op === 0xd2) this.skipLeb();
      else if (op === 0x43) this.offset += 4;
      else if (op === 0x44) this.offset += 8;
      else if (![0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op))
        throw new WasmFormatError(`unsupported instruction 0x${op.toString(16)} in a constant expression at byte ${this.offset - 1}`);
    }
  }

  /** A table: its type, or (function references) 0x40 0x00, its type and an initialiser. */
  table(): TableLimits {
    if (this.bytes[this.offset] !== 0x40) return this.tableType();
    this.offset += 2;
    const table = this.tableType();
    this.skipConstExpr();
    return table;
  }
}

export function hasWasmMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

export function readWasmLayout(bytes: Uint8Array): WasmLayout {
  if (!hasWasmMagic(bytes)) throw new WasmFormatError('not a WebAssembly module (it does not start with the bytes \\0asm)');
  const layout: WasmLayout = {
    types: [],
    imports: [],
    functionTypes: [],
    tableSection: undefined,
    memorySection: undefined,
    exports: [],
  };
  const cursor = new Cursor(bytes, 8);
  while (cursor.offset < bytes.length) {
    const start = cursor.offset;
    const id = cursor.byte();
    const size = cursor.u32();
    const end = cursor.offset + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    const section = new Cursor(bytes.subarray(0, end), cursor.offset);
    switch (id) {
      case 1:
        layout.types = section.vector(() => {
          const form = section.byte();
          if (form !== 0x60) throw new WasmFormatError(`unsupported type form 0x${form.toString(16)}`);
          return { params: section.vector(() => section.valueType()), results: section.vector(() => section.valueType()) };
        });
        break;
      case 2:
        layout.imports = section.vector(() => readImport(section));
        break;
      case 3:
        layout.functionTypes = section.vector(() => section.u32());
        break;
      case 4:
        layout.tableSection = { start, end, tables: section.vector(() => section.table()) };
        break;
      case 5:
        layout.memorySection = { start, end, memories: section.vector(() => section.limits()) };
        break;
      case 7:
        layout.exports = section.vector(() => {
          const name = section.name();
          const kind = EXTERN_KINDS[section.byte()];
          if (!kind) throw new WasmFormatError(`unknown export kind for "${name}"`);
          return { name, kind, index: section.u32() };
        });
        break;
      default:
        break;
    }
    cursor.offset = end;
  }
  return layout;
}

function readImport(section: Cursor): WasmImport {
  const module = section.name();
  const name = section.name();
  const kind = section.byte();
  switch (kind) {
    case 0:
      return { module, name, desc: { kind: 'function', typeIndex: section.u32() } };
    case 1:
      return { module, name, desc: { kind: 'table', limits: section.tableType() } };
    case 2:
      return { module, name, desc: { kind: 'memory', limits: section.limits() } };
    case 3:
      section.valueType();
      section.byte();
      return { module, name, desc: { kind: 'global' } };
    default:
      throw new WasmFormatError(`unknown import kind ${kind} for ${module}.${name}`);
  }
}

export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/**
 * Returns the module with its own memories' maximum lowered to `maxPages`, so
 * that `memory.grow` past the limit returns -1 inside the engine itself — the
 * behaviour wasmtime's StoreLimits give, with no runtime hook needed.
 */
export function capOwnMemory(bytes: Uint8Array, layout: WasmLayout, maxPages: number): Uint8Array {
  const section = layout.memorySection;
  if (!section) return bytes;
  const payload: number[] = encodeU32(section.memories.length);
  for (const memory of section.memories) {
    const maximum = Math.min(memory.maximum ?? maxPages, maxPages);
    const flags = 0x01 | (memory.shared ? 0x02 : 0) | (memory.memory64 ? 0x04 : 0);
    payload.push(flags, ...encodeU32(memory.initial), ...encodeU32(maximum));
  }
  return replaceSection(bytes, section, 5, payload);
}

/** The module with one section's bytes (`start` to `end`: id, size, payload) replaced by a new payload. */
export function replaceSection(
  bytes: Uint8Array,
  section: { start: number; end: number },
  id: number,
  payload: readonly number[],
): Uint8Array {
  const header = [id, ...encodeU32(payload.length)];
  const out = new Uint8Array(section.start + header.length + payload.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.start), 0);
  out.set(header, section.start);
  out.set(payload, section.start + header.length);
  out.set(bytes.subarray(section.end), section.start + header.length + payload.length);
  return out;
}
