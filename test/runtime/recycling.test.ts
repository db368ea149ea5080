/**
 * Fresh-instance semantics under recycling: whichever thread runs a call and
 * however often an instance is reused, no call sees what an earlier one left
 * in memory, globals or tables. Each case runs on the main thread (the default
 * budget) and on the workers only (inlineBudgetMs 0).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { artifact, outcome, wat } from './helpers.js';

let executor: Executor | undefined;
afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

const GLOBAL_COUNTER = `(module
  (global $n (mut i32) (i32.const 0))
  (func (export "_start") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))`;

// The counter lives at an address the data segment initialises to 41.
const MEMORY_COUNTER = `(module
  (memory 1)
  (data (i32.const 8) "\\29\\00\\00\\00")
  (func (export "_start") (result i32)
    (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
    (i32.load (i32.const 8))))`;

// Each call moves the function in slot 0 to slot 1 and calls through slot 1: the first call must find slot 1 empty.
const TABLE_COUNTER = `(module
  (type $t (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $seven)
  (func $seven (result i32) (i32.const 7))
  (func (export "_start") (result i32)
    (if (result i32) (ref.is_null (table.get 0 (i32.const 1)))
      (then (table.set 0 (i32.const 1) (table.get 0 (i32.const 0))) (i32.const 1))
      (else (call_indirect (type $t) (i32.const 1))))))`;

// Grows its memory by one page each call and answers the page count.
const GROWER = `(module
  (memory 1 4)
  (func (export "_start") (result i32)
    (drop (memory.grow (i32.const 1)))
    (memory.size)))`;

// Bumps a global and the memory, then traps when asked to: the bumps must not survive the trap.
const TRAP_MIDWAY = `(module
  (memory 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "_start") (param $trap i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 10)))
    (if (local.get $trap) (then unreachable))
    (i32.add (global.get $n) (i32.load (i32.const 0)))))`;

// A WASI command that bumps a global and a byte of its memory, then prints the byte: '1' on a clean instance.
const WAGI_COUNTER = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "content-type: text/plain\\n\\n0")
  (global $calls (mut i32) (i32.const 0))
  (func (export "_start")
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store8 (i32.const 26) (i32.add (i32.load8_u (i32.const 26)) (global.get $calls)))
    (i32.store (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (i32.const 27))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72)))))`;

const modes = [
  { where: 'on the main thread', inlineBudgetMs: undefined },
  { where: 'on the workers', inlineBudgetMs: 0 },
];

describe.each(modes)('recycled instances $where', ({ inlineBudgetMs }) => {
  async function callsOf(source: string, times: number, args: number[] = []): Promise<string[]> {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs });
    await executor.deploy(artifact('f', { params: args.map(() => 'i32' as const), results: ['i32'] }), wat(source), 1);
    const values: string[] = [];
    for (let i = 0; i < times; i++) values.push((await executor.invoke('f', args)).value);
    return values;
  }

  it('restores a counter in a mutable global', async () => {
    expect(await callsOf(GLOBAL_COUNTER, 20)).toEqual(Array(20).fill('1'));
  });

  it('restores a counter in memory, data segment included', async () => {
    expect(await callsOf(MEMORY_COUNTER, 20)).toEqual(Array(20).fill('42'));
  });

  it('restores a table', async () => {
    expect(await callsOf(TABLE_COUNTER, 20)).toEqual(Array(20).fill('1'));
  });

  it('gives a memory that grew back at its initial size', async () => {
    expect(await callsOf(GROWER, 10)).toEqual(Array(10).fill('2'));
  });

  it('leaves nothing of a call that trapped mid-way', async () => {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs });
    await executor.deploy(artifact('f', { params: ['i32'], results: ['i32'] }), wat(TRAP_MIDWAY), 1);
    for (let i = 0; i < 5; i++) {
      expect((await executor.invoke('f', [0])).value).toBe('11');
      const trapped = await outcome(executor.invoke('f', [1]));
      expect(trapped.ok ? 'answered' : (trapped.error as { code?: string }).code).toBe('FunctionTrapped');
    }
    expect((await executor.invoke('f', [0])).value).toBe('11');
  });

  it('gives each WAGI request a clean instance', async () => {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs });
    await executor.deploy({ ...artifact('w'), abi: 'wagi' }, wat(WAGI_COUNTER), 1);
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await executor.invokeWagi('w', { args: ['/w'], env: {}, body: new Uint8Array(0) });
      bodies.push(new TextDecoder().decode(result.stdout).split('\n\n')[1] ?? '');
    }
    expect(bodies).toEqual(Array(10).fill('1'));
  });
});
