/**
 * Module bytes and WAT text for the second fuzz kind. Strategy: start from
 * modules that build (the examples, plus modules with memories, tables, data
 * segments, globals and platform/WASI imports), then damage them the ways a
 * broken toolchain or an attacker would: bit flips, truncation, bytes set or
 * inserted, and edits of whole sections (a section's size LEB changed or
 * over-long, sections duplicated, dropped, swapped, their payload replaced, a
 * custom section with a lying size). Beside those, modules assembled byte by
 * byte with extreme declarations (memories of 65536 pages, tables of 2^32-1,
 * 1000 parameters, counts of 2^32-1 in LEBs), and modules that call every host
 * function with hostile arguments. WAT text: random s-expressions, deep
 * nesting and garbage.
 */
import fc from 'fast-check';
import type { Abi } from '../../src/build/index.js';
import { WASI_IMPORTS } from '../../src/build/index.js';
import type { RawArg } from '../../src/runtime/index.js';
import { weighted } from './harness.js';

/* ---------- the binary format, just enough of it ---------- */

export function uleb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n !== 0n) byte |= 0x80;
    out.push(byte);
  } while (n !== 0n);
  return out;
}

function sleb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const text = (value: string) => [...uleb(Buffer.byteLength(value)), ...Buffer.from(value)];
const section = (id: number, payload: number[]) => [id, ...uleb(payload.length), ...payload];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const I32 = 0x7f;
const I64 = 0x7e;
const F32 = 0x7d;
const F64 = 0x7c;

/** limits: flag 0 (min only) or 1 (min and max); other flags (shared, 64-bit) as given. */
const limits = (initial: number | bigint, maximum?: number | bigint, flags?: number) =>
  maximum === undefined ? [flags ?? 0x00, ...uleb(initial)] : [flags ?? 0x01, ...uleb(initial), ...uleb(maximum)];

const funcType = (params: number[], results: number[]) => [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
const body = (code: number[], locals: number[][] = []) => {
  const inner = [...vec(locals), ...code, 0x0b];
  return [...uleb(inner.length), ...inner];
};
const exportFunc = (name: string, index: number) => [...text(name), 0x00, ...uleb(index)];

/** A module of one exported `_start () -> i32` whose body is `code`, plus whatever sections `extra` adds (by id). */
function moduleWith(
  code: number[],
  extra: { imports?: number[][]; memory?: number[]; table?: number[]; data?: number[][]; exportMemory?: boolean; types?: number[][] } = {},
): Uint8Array {
  const types = extra.types ?? [funcType([], [I32])];
  // Only memories are imported here, so function 0 is the module's own.
  const imports = extra.imports ?? [];
  const bytes = [
    ...HEADER,
    ...section(1, vec(types)),
    ...(imports.length ? section(2, vec(imports)) : []),
    ...section(3, vec([[0]])),
    ...(extra.table ? section(4, vec([extra.table])) : []),
    ...(extra.memory ? section(5, vec([extra.memory])) : []),
    ...section(7, vec([exportFunc('_start', 0), ...(extra.exportMemory ? [[...text('memory'), 0x02, 0x00]] : [])])),
    ...section(10, vec([body(code)])),
    ...(extra.data ? section(11, vec(extra.data)) : []),
  ];
  return new Uint8Array(bytes);
}

const MEMORY_SIZE = [0x3f, 0x00];
const PAGE_COUNTS = [0, 1, 2, 16, 65535, 65536, 65537, 2 ** 31, 2 ** 32 - 1];

/** Modules assembled by hand with extreme declarations: what a compiler never writes. */
export const extremeModule: fc.Arbitrary<{ bytes: Uint8Array; label: string }> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...PAGE_COUNTS),
      fc.option(fc.constantFrom(...PAGE_COUNTS)),
      fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07),
    )
    .map(([initial, maximum, flags]) => ({
      bytes: moduleWith(MEMORY_SIZE, {
        memory: limits(initial, maximum ?? undefined, maximum === null ? flags & ~1 : flags | 1),
        exportMemory: true,
      }),
      label: `memory ${initial}..${maximum} flags ${flags}`,
    })),
  fc.tuple(fc.constantFrom(...PAGE_COUNTS), fc.option(fc.constantFrom(...PAGE_COUNTS))).map(([initial, maximum]) => ({
    // (import "platform" "memory" (memory initial maximum)) and memory.size.
    bytes: moduleWith(MEMORY_SIZE, { imports: [[...text('platform'), ...text('memory'), 0x02, ...limits(initial, maximum ?? undefined)]] }),
    label: `imported memory ${initial}..${maximum}`,
  })),
  fc
    .tuple(fc.constantFrom(0, 1, 10_000_000, 10_000_001, 2 ** 32 - 1), fc.option(fc.constantFrom(0, 1, 2 ** 32 - 1)))
    .map(([initial, maximum]) => ({
      // (table initial maximum funcref) and table.size.
      bytes: moduleWith([0xfc, 0x10, 0x00], { table: [0x70, ...limits(initial, maximum ?? undefined)] }),
      label: `table ${initial}..${maximum}`,
    })),
  fc.tuple(fc.constantFrom(0, 1, 32, 33, 1000, 100_000), fc.constantFrom(I32, I64, F32, F64)).map(([count, type]) => ({
    bytes: moduleWith([0x41, 7], {
      types: [
        funcType(
          Array.from({ length: count }, () => type),
          [I32],
        ),
      ],
    }),
    label: `${count} params`,
  })),
  fc.constantFrom(0, 2, 3, 1000).map((count) => ({
    bytes: moduleWith(Array.from({ length: count }, () => [0x41, 1]).flat(), {
      types: [
        funcType(
          [],
          Array.from({ length: count }, () => I32),
        ),
      ],
    }),
    label: `${count} results`,
  })),
  fc.constantFrom(2 ** 32 - 1, 2 ** 31, 50_001, 1_000_000).map((count) => {
    // A local declaration of `count` i32s, and a type section claiming `count` types.
    const bytes = [
      ...HEADER,
      ...section(1, vec([funcType([], [I32])])),
      ...section(3, vec([[0]])),
      ...section(7, vec([exportFunc('_start', 0)])),
    ];
    const code = [...uleb(1), ...uleb(count), I32, 0x41, 0, 0x0b];
    return { bytes: new Uint8Array([...bytes, ...section(10, vec([[...uleb(code.length), ...code]]))]), label: `${count} locals` };
  }),
  fc.constantFrom(2 ** 32 - 1, 2 ** 28, 100_000).map((count) => ({
    bytes: new Uint8Array([...HEADER, ...section(1, [...uleb(count), ...funcType([], [I32])])]),
    label: `type count ${count}`,
  })),
  fc.tuple(fc.constantFrom(0, 65535, 65536, 65537, 2 ** 31 - 1, -1), fc.constantFrom(0, 1, 100)).map(([offset, length]) => ({
    // (memory 1) (data (i32.const offset) "…") — out of bounds at instantiation past 65536.
    bytes: moduleWith([0x41, 0, 0x28, 0x02, 0x00], {
      memory: limits(1),
      exportMemory: true,
      data: [[0x00, 0x41, ...sleb(offset), 0x0b, ...uleb(length), ...Array.from({ length }, (_, i) => i & 0xff)]],
    }),
    label: `data at ${offset} (${length} bytes)`,
  })),
  fc.constantFrom(
    // A start function that traps at instantiation.
    {
      bytes: new Uint8Array([
        ...HEADER,
        ...section(1, vec([funcType([], [I32]), funcType([], [])])),
        ...section(3, vec([[0], [1]])),
        ...section(7, vec([exportFunc('_start', 0)])),
        ...section(8, uleb(1)),
        ...section(10, vec([body([0x41, 1]), body([0x00])])),
      ]),
      label: 'start traps',
    },
    // Overlong but valid LEB for a section size (5 bytes), and a 6-byte one.
    { bytes: new Uint8Array([...HEADER, 0x01, 0x85, 0x80, 0x80, 0x80, 0x00, ...vec([funcType([], [I32])])]), label: 'overlong LEB' },
    { bytes: new Uint8Array([...HEADER, 0x01, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00, ...vec([funcType([], [I32])])]), label: '6-byte LEB' },
    { bytes: new Uint8Array(HEADER), label: 'header only' },
    { bytes: new Uint8Array([...HEADER.slice(0, 4), 0x02, 0, 0, 0]), label: 'version 2' },
    { bytes: new Uint8Array([...HEADER.slice(0, 4), 0x0d, 0, 0x01, 0]), label: 'component' },
  ),
);

/* ---------- modules that call host functions with hostile arguments ---------- */

const HOSTILE_I32 = [0, 1, -1, 8, 1024, 65532, 65535, 65536, 131072, 2 ** 31 - 1, -(2 ** 31), 0x7fff_fff0];
const HOSTILE_I64 = [0n, 1n, -1n, 2n ** 32n, 2n ** 63n - 1n, -(2n ** 63n)];

/** A WAT module importing one host function and calling it (once, or in a bounded loop) with the given arguments. */
export const hostCallModule: fc.Arbitrary<{ wat: string; abi: Abi; label: string }> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...Object.keys(WASI_IMPORTS)),
      fc.array(fc.constantFrom(...HOSTILE_I32), { minLength: 9, maxLength: 9 }),
      fc.array(fc.constantFrom(...HOSTILE_I64), { minLength: 3, maxLength: 3 }),
      fc.constantFrom(1, 3),
    )
    .map(([name, ints, longs, times]) => {
      const entry = WASI_IMPORTS[name]!;
      const type = entry.kind === 'function' ? entry.type : { params: [], results: [] };
      let i = 0;
      let l = 0;
      const args = type.params
        .map((t) => (t === 'i64' ? `(i64.const ${longs[l++ % longs.length]})` : `(i32.const ${ints[i++ % ints.length]})`))
        .join(' ');
      const signature = `${type.params.length ? `(param ${type.params.join(' ')})` : ''} ${type.results.length ? `(result ${type.results.join(' ')})` : ''}`;
      const call = `(call $host ${args})${type.results.length ? ' drop' : ''}`;
      return {
        abi: 'wagi' as const,
        label: `wasi ${name}`,
        wat: `(module
  (import "wasi_snapshot_preview1" "${name}" (func $host ${signature}))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 4096) "content-type: text/plain\\n\\nok")
  (func (export "_start")
    ${Array.from({ length: times }, () => call).join('\n    ')}
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 28))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
      };
    }),
  fc
    .tuple(fc.constantFrom(...HOSTILE_I32), fc.constantFrom(...HOSTILE_I32), fc.boolean(), fc.constantFrom(1, 150))
    .map(([ptr, len, imported, times]) => ({
      abi: 'args' as const,
      label: `platform.log(${ptr}, ${len}) x${times}`,
      wat: `(module
  (import "platform" "log" (func $log (param i32 i32)))
  ${imported ? '(import "platform" "memory" (memory 1))' : '(memory (export "memory") 1)'}
  (func (export "_start") (result i32) (local $i i32)
    (loop $again
      (call $log (i32.const ${ptr}) (i32.const ${len}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const ${times}))))
    (i32.const 1)))`,
    })),
);

/* ---------- valid modules to start from ---------- */

export interface BaseModule {
  label: string;
  wat: string;
  entry: string;
  abi: Abi;
  /** Pages the base needs at start. */
  pages: number;
}

export const BASE_MODULES: BaseModule[] = [
  { label: 'answer', entry: '_start', abi: 'args', pages: 0, wat: '(module (func (export "_start") (result i32) i32.const 42))' },
  {
    label: 'sum',
    entry: '_start',
    abi: 'args',
    pages: 0,
    wat: '(module (func (export "_start") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))',
  },
  {
    label: 'div',
    entry: 'div',
    abi: 'args',
    pages: 0,
    wat: '(module (func (export "div") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1))))',
  },
  {
    label: 'floats',
    entry: '_start',
    abi: 'args',
    pages: 0,
    wat: '(module (global $g (mut f64) (f64.const 1.5)) (func (export "_start") (param f32 f64) (result f64) (f64.add (f64.promote_f32 (local.get 0)) (f64.mul (local.get 1) (global.get $g)))))',
  },
  {
    label: 'memory',
    entry: '_start',
    abi: 'args',
    pages: 1,
    wat: `(module (memory (export "memory") 1 2) (data (i32.const 0) "hello") (data (i32.const 65530) "edge!")
  (func (export "_start") (param i32) (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.load (local.get 0))))`,
  },
  {
    label: 'imported memory',
    entry: '_start',
    abi: 'args',
    pages: 1,
    wat: `(module (import "platform" "memory" (memory 1)) (import "platform" "now" (func $now (result f64)))
  (func (export "_start") (result f64) (i32.store (i32.const 8) (i32.const 7)) (f64.add (call $now) (f64.convert_i32_s (i32.load (i32.const 8))))))`,
  },
  {
    label: 'table',
    entry: '_start',
    abi: 'args',
    pages: 0,
    wat: `(module (type $t (func (result i32))) (table 3 funcref) (elem (i32.const 0) $a $b)
  (func $a (result i32) i32.const 1) (func $b (result i32) i32.const 2)
  (func (export "_start") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))`,
  },
  {
    label: 'log',
    entry: '_start',
    abi: 'args',
    pages: 1,
    wat: `(module (import "platform" "log" (func $log (param i32 i32))) (memory (export "memory") 1) (data (i32.const 0) "hi there")
  (func (export "_start") (param i32) (result i32) (call $log (i32.const 0) (local.get 0)) (local.get 0)))`,
  },
  {
    label: 'loop',
    entry: '_start',
    abi: 'args',
    pages: 0,
    wat: `(module (func (export "_start") (param $n i32) (result i32) (local $i i32)
  (block $done (loop $l (br_if $done (i32.ge_u (local.get $i) (local.get $n))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
  (local.get $i)))`,
  },
  {
    label: 'echo',
    entry: '_start',
    abi: 'wagi',
    pages: 1,
    wat: `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "content-type: text/plain\\n\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 26))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
  },
];

/* ---------- mutations ---------- */

interface SectionSpan {
  start: number;
  payloadStart: number;
  end: number;
}

/** The sections of a module, as far as they can be read. */
export function sectionsOf(bytes: Uint8Array): SectionSpan[] {
  const spans: SectionSpan[] = [];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    at += 1;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined || shift > 28) return spans;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    if (at + size > bytes.length) return spans;
    spans.push({ start, payloadStart: at, end: at + size });
    at += size;
  }
  return spans;
}

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'resize'; section: number; delta: number; overlong: boolean }
  | { kind: 'duplicate'; section: number }
  | { kind: 'drop'; section: number }
  | { kind: 'swap'; section: number; other: number }
  | { kind: 'replace'; section: number; payload: number[] }
  | { kind: 'custom'; at: number; name: string; payload: number[]; lie: number };

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x41, 0x0b, 0x60, 0x70, 0xfc, 0xfd];

export const mutation: fc.Arbitrary<Mutation> = weighted<Mutation>(
  [4, fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) })],
  [2, fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() })],
  [
    3,
    fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })),
    }),
  ],
  [
    1,
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    }),
  ],
  [
    2,
    fc.record({
      kind: fc.constant('resize' as const),
      section: fc.nat(),
      delta: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1)),
      overlong: fc.boolean(),
    }),
  ],
  [1, fc.record({ kind: fc.constant('duplicate' as const), section: fc.nat() })],
  [1, fc.record({ kind: fc.constant('drop' as const), section: fc.nat() })],
  [1, fc.record({ kind: fc.constant('swap' as const), section: fc.nat(), other: fc.nat() })],
  [
    1,
    fc.record({
      kind: fc.constant('replace' as const),
      section: fc.nat(),
      payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }),
    }),
  ],
  [
    1,
    fc.record({
      kind: fc.constant('custom' as const),
      at: fc.nat(),
      name: fc.oneof(
        fc.constantFrom('name', 'producers', 'target_features', '', 'x'.repeat(300)),
        fc.string({ unit: 'binary', maxLength: 6 }),
      ),
      payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }),
      lie: fc.constantFrom(0, 0, -1, 1, 1000, 2 ** 32 - 1),
    }),
  ],
);

/** Applies one mutation; section indexes wrap around the sections there are. */
export function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const bytes = [...input];
  const spans = sectionsOf(input);
  const pick = (index: number) => spans[index % Math.max(1, spans.length)];
  const cut = (span: SectionSpan) => bytes.slice(span.start, span.end);
  switch (m.kind) {
    case 'flip': {
      if (bytes.length === 0) return input;
      bytes[m.at % bytes.length]! ^= 1 << m.bit;
      return new Uint8Array(bytes);
    }
    case 'truncate':
      return new Uint8Array(bytes.slice(0, m.at % (bytes.length + 1)));
    case 'set':
      if (bytes.length === 0) return input;
      bytes[m.at % bytes.length] = m.value;
      return new Uint8Array(bytes);
    case 'insert': {
      const at = m.at % (bytes.length + 1);
      return new Uint8Array([...bytes.slice(0, at), ...m.bytes, ...bytes.slice(at)]);
    }
    case 'resize': {
      const span = pick(m.section);
      if (!span) return input;
      const size = Math.max(0, span.end - span.payloadStart + m.delta);
      let leb = uleb(size);
      if (m.overlong) leb = [...leb.slice(0, -1).map((b) => b | 0x80), leb[leb.length - 1]! | 0x80, 0x80, 0x00].slice(0, 5);
      return new Uint8Array([...bytes.slice(0, span.start + 1), ...leb, ...bytes.slice(span.payloadStart)]);
    }
    case 'duplicate': {
      const span = pick(m.section);
      return span ? new Uint8Array([...bytes.slice(0, span.end), ...cut(span), ...bytes.slice(span.end)]) : input;
    }
    case 'drop': {
      const span = pick(m.section);
      return span ? new Uint8Array([...bytes.slice(0, span.start), ...bytes.slice(span.end)]) : input;
    }
    case 'swap': {
      const a = pick(m.section);
      const b = pick(m.other);
      if (!a || !b || a === b) return input;
      const [first, second] = a.start < b.start ? [a, b] : [b, a];
      return new Uint8Array([
        ...bytes.slice(0, first.start),
        ...cut(second),
        ...bytes.slice(first.end, second.start),
        ...cut(first),
        ...bytes.slice(second.end),
      ]);
    }
    case 'replace': {
      const span = pick(m.section);
      if (!span) return input;
      return new Uint8Array([
        ...bytes.slice(0, span.start),
        bytes[span.start]!,
        ...uleb(m.payload.length),
        ...m.payload,
        ...bytes.slice(span.end),
      ]);
    }
    case 'custom': {
      const boundaries = [8, ...spans.map((span) => span.end)];
      const at = boundaries[m.at % boundaries.length]!;
      const payload = [...text(m.name), ...m.payload];
      const custom = [0x00, ...uleb(Math.max(0, payload.length + m.lie)), ...payload];
      return new Uint8Array([...bytes.slice(0, at), ...custom, ...bytes.slice(at)]);
    }
  }
}

/* ---------- what one input of the module kind is ---------- */

export interface ModuleCase {
  label: string;
  /** Either bytes, or WAT to compile first (the host-call modules). */
  bytes?: Uint8Array;
  wat?: string;
  entry: string;
  abi: Abi;
  memoryPages: number;
  args: RawArg[];
  /** Whether to pad or cut `args` to the entry's arity (the happy path) or send them as they are. */
  fitArgs: boolean;
}

const rawArg: fc.Arbitrary<RawArg> = fc.oneof(
  fc.constantFrom<RawArg>(0, 1, -1, 2, 4, 65532, 65536, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, -0, NaN, Infinity),
  fc.integer(),
  fc.double(),
  fc.constantFrom<RawArg>('7', '0x10', '-0', 'NaN', 'inf', '9007199254740993', '18446744073709551616', '1e400', 'x', '', ' 1'),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
);

const invocation = fc.record({
  memoryPages: fc.constantFrom(1, 1, 2, 16, 65536),
  args: fc.array(rawArg, { maxLength: 4 }),
  fitArgs: fc.boolean(),
});

/** Base module bytes by label: compiled once by the test that uses them. */
export function moduleCase(bases: readonly (BaseModule & { bytes: Uint8Array })[]): fc.Arbitrary<ModuleCase> {
  const mutated = fc
    .tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }), invocation)
    .map(([base, mutations, call]) => ({
      label: `${base.label} + ${mutations.map((m) => m.kind).join(', ')}`,
      bytes: mutations.reduce(mutate, base.bytes),
      entry: base.entry,
      abi: base.abi,
      ...call,
      memoryPages: Math.max(call.memoryPages, base.pages),
    }));
  const extreme = fc
    .tuple(extremeModule, fc.option(mutation, { freq: 4 }), invocation, fc.constantFrom<Abi>('args', 'args', 'wagi'))
    .map(([module, m, call, abi]) => ({
      label: module.label + (m ? ` + ${m.kind}` : ''),
      bytes: m ? mutate(module.bytes, m) : module.bytes,
      entry: '_start',
      abi,
      ...call,
    }));
  const hosted = fc.tuple(hostCallModule, invocation).map(([module, call]) => ({
    label: module.label,
    wat: module.wat,
    entry: '_start',
    abi: module.abi,
    ...call,
    memoryPages: Math.max(1, call.memoryPages),
  }));
  const pristine = fc.tuple(fc.constantFrom(...bases), invocation).map(([base, call]) => ({
    label: base.label,
    bytes: base.bytes,
    entry: base.entry,
    abi: base.abi,
    ...call,
    memoryPages: Math.max(call.memoryPages, base.pages),
  }));
  return weighted<ModuleCase>([6, mutated], [2, extreme], [2, hosted], [1, pristine]);
}

/* ---------- WAT text ---------- */

const WAT_ATOMS = [
  'module',
  'func',
  'param',
  'result',
  'local',
  'i32',
  'i64',
  'f32',
  'f64',
  'v128',
  'funcref',
  'externref',
  'i32.const',
  'i64.const',
  'f64.const',
  'i32.add',
  'i32.div_s',
  'local.get',
  'local.set',
  'block',
  'loop',
  'if',
  'then',
  'else',
  'br',
  'br_if',
  'br_table',
  'call',
  'call_indirect',
  'return',
  'unreachable',
  'drop',
  'select',
  'memory',
  'memory.grow',
  'data',
  'table',
  'elem',
  'import',
  'export',
  'global',
  'mut',
  'start',
  'type',
  'end',
  '$a',
  '$',
  '0',
  '-0',
  '42',
  '0x7fffffff',
  '4294967296',
  '18446744073709551616',
  '1e400',
  'nan:0x1',
  'nan:0x0',
  '-inf',
  '0x1p-1074',
  '"_start"',
  '"platform"',
  '"now"',
  '"\\ff\\00"',
  '"\\u{1F600}"',
  '"\\u{110000}"',
  '"unterminated',
  ';;',
  '(;',
  ';)',
  '@custom',
  'offset=4294967296',
  'align=3',
];

const watAtom = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WAT_ATOMS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

const { tree: watTree } = fc.letrec<{ tree: string }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    watAtom,
    fc.array(tie('tree'), { maxLength: 5 }).map((items) => `(${items.join(' ')})`),
  ),
}));

/** WAT text: random s-expressions, a valid module with garbage spliced in, or nesting thousands deep. */
export const watText: fc.Arbitrary<string> = weighted<string>(
  [4, fc.array(watTree, { maxLength: 4 }).map((items) => `(module ${items.join(' ')})`)],
  [2, watTree],
  [
    2,
    fc.tuple(fc.constantFrom(...BASE_MODULES.map((base) => base.wat)), fc.nat(), watTree).map(([wat, at, junk]) => {
      const index = at % (wat.length + 1);
      return wat.slice(0, index) + junk + wat.slice(index);
    }),
  ],
  [
    1,
    fc
      .tuple(fc.integer({ min: 100, max: 100_000 }), fc.constantFrom('block', 'loop', '', 'i32.add', 'module', 'if (result i32) (then'))
      .map(([depth, head]) => {
        const open = head === '' ? '(' : `(${head} `;
        return `(module (func (export "_start") (result i32) ${open.repeat(depth)} i32.const 1 ${')'.repeat(depth)}))`;
      }),
  ],
  [1, fc.integer({ min: 10, max: 200_000 }).map((depth) => '('.repeat(depth))],
  [1, fc.string({ unit: 'binary', maxLength: 64 })],
);
