/**
 * What the instrumentation pass adds and refuses: state exports under the
 * documented names, why a module is not recyclable, custom sections kept or
 * dropped, and the modules it will not instrument.
 */
import { describe, expect, it } from 'vitest';
import { INITIAL_FUEL, InstrumentError, instrumentModule } from '../../src/build/instrument.js';
import { meteredHost, wat, type Fn } from './instrument-helpers.js';

describe('state exports', () => {
  it('name every memory, mutable global (the fuel counter last) and table, imported or not', async () => {
    const module = instrumentModule(
      wat(`(module
        (import "env" "counter" (global $imported (mut i32)))
        (import "env" "table" (table 1 funcref))
        (import "env" "memory" (memory 1))
        (table $own 2 externref)
        (global $const i32 (i32.const 1))
        (global $mut (mut i64) (i64.const 2))
        (func (export "bump") (global.set $mut (i64.add (global.get $mut) (i64.const 1)))))`),
    );
    expect(module.state).toEqual({
      memories: ['nano:memory0'],
      globals: ['nano:global0', 'nano:global2', 'nano:global3'],
      tables: ['nano:table0', 'nano:table1'],
    });
    expect(module.notRecyclable).toEqual([]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const env = {
      counter: new WebAssembly.Global({ value: 'i32', mutable: true }, 7),
      table: new WebAssembly.Table({ element: 'anyfunc', initial: 1 }),
      memory,
    };
    const { instance } = await WebAssembly.instantiate(module.bytes, { env, ...meteredHost(1).imports });
    const exports = instance.exports as Record<string, unknown>;
    expect(exports['nano:memory0']).toBe(memory);
    expect(exports['nano:table0']).toBe(env.table);
    expect((exports['nano:table1'] as WebAssembly.Table).length).toBe(2);
    expect((exports['nano:global0'] as WebAssembly.Global).value).toBe(7);
    const [mutable, fuel] = [exports['nano:global2'], exports['nano:global3']] as WebAssembly.Global[];
    expect([mutable!.value, fuel!.value]).toEqual([2n, INITIAL_FUEL]);
    (exports.bump as Fn)();
    expect([mutable!.value, fuel!.value]).toEqual([3n, INITIAL_FUEL - 1]);
  });

  it('notRecyclable says why: data.drop, elem.drop, a start function, a shared memory', () => {
    const bytes = wat('(module (memory 1 1) (data $d "x") (elem $e func $f) (func $f (data.drop $d) (elem.drop $e)) (start $f))');
    // wabt's validator refuses shared memories whatever its features say: the flags byte is set here instead.
    const memorySection = bytes.findIndex((byte, i) => byte === 5 && bytes[i + 1] === 4 && bytes[i + 2] === 1 && bytes[i + 3] === 1);
    bytes[memorySection + 3] = 0x03;
    expect(WebAssembly.validate(bytes)).toBe(true);
    const reasons = instrumentModule(bytes).notRecyclable;
    expect(reasons).toEqual([
      'it drops a data segment (data.drop), which instantiation alone brings back',
      'it drops an element segment (elem.drop), which instantiation alone brings back',
      'it has a start function, whose effects outside the module happen only at instantiation',
      'its memory 0 is shared, so other threads may see or change it',
    ]);
  });
});

describe('custom sections', () => {
  it('drops the name section (its function indices would be stale) and keeps the others', () => {
    const named = wat('(module (func $f (export "f")))');
    const custom = [0, 8, 4, ...Buffer.from('note'), 1, 2, 3];
    const bytes = instrumentModule(new Uint8Array([...named, ...custom])).bytes;
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(named), 'name')).toHaveLength(1);
    expect(WebAssembly.Module.customSections(module, 'name')).toHaveLength(0);
    expect(WebAssembly.Module.customSections(module, 'note').map((section) => [...new Uint8Array(section)])).toEqual([[1, 2, 3]]);
  });
});

const EXCEPTIONS = `(module
  (tag $oops (param i32))
  (func (export "exceptions") (param i32) (result i32)
    try (result i32)
      try (result i32)
        try (result i32)
          (throw $oops (local.get 0))
        delegate 0
      catch_all
        (throw $oops (i32.const 5))
      end
    catch $oops
      (i32.add (i32.const 1))
    end
    try (result i32)
      try (result i32)
        (throw $oops (i32.const 2))
      catch $oops
        drop
        rethrow 0
      end
    catch $oops
    end
    i32.add))`;

describe('modules the pass refuses', () => {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  /** One function `() -> ()` whose body is `code` (then `end`). */
  const withBody = (code: number[]) =>
    new Uint8Array([...header, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, code.length + 4, 1, code.length + 2, 0, ...code, 0x0b]);

  it.each([
    ['an export named nano:x', wat('(module (func (export "nano:x")))'), /already exports "nano:x"/],
    ['an import from nano:runtime', wat('(module (import "nano:runtime" "other" (func)))'), /already imports from "nano:runtime"/],
    ['an unknown opcode', withBody([0xff]), /unknown opcode 0xff at byte 23/],
    // A catch_all could catch the fuel check's stop and loop on: such a module runs uninstrumented, on a worker.
    ['a catch of exceptions (try)', wat(EXCEPTIONS), /catches exceptions/],
    // A wait blocks inside the engine, where no fuel check runs (on a shared memory; the opcode is refused whatever the memory).
    [
      'a wait (memory.atomic.wait32)',
      wat('(module (memory 1 1) (func (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))'),
      /waits on a shared memory/,
    ],
    ['a GC prefix opcode', withBody([0xfb, 0x00]), /unknown opcode 0xfb/],
    ['an unassigned SIMD opcode', withBody([0xfd, 0x9a, 0x01]), /unknown instruction 0xfd 154/],
    ['a GC struct type', new Uint8Array([...header, 1, 3, 1, 0x5f, 0]), /unsupported type form 0x5f/],
    ['a truncated body', withBody([0x41]), /does not end with the end of its outermost block at byte 25/],
    ['bytes that are not Wasm', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /not a WebAssembly module/],
  ])('%s', (_label, bytes, message) => {
    expect(() => instrumentModule(bytes)).toThrow(InstrumentError);
    expect(() => instrumentModule(bytes)).toThrow(message);
  });
});
