import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { ANSWER_WAT, artifact, sleepWat, wat } from './helpers.js';

let executor: Executor;

afterEach(async () => {
  vi.restoreAllMocks();
  await executor.close();
});

describe('values through the executor', () => {
  it('adds i32s and wraps the result as Wasm does', async () => {
    executor = createExecutor({ poolSize: 1 });
    const sum = '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))';
    await executor.deploy(artifact('sum', { params: ['i32', 'i32'], results: ['i32'] }), wat(sum), 1);
    expect((await executor.invoke('sum', [5, 2])).value).toBe('7');
    expect((await executor.invoke('sum', ['5', '2'])).value).toBe('7');
    expect((await executor.invoke('sum', [2147483647, 1])).value).toBe('-2147483648');
    expect((await executor.invoke('sum', [4294967295, 0])).value).toBe('-1');
  });

  it('multiplies i64s exactly, BigInt both ways', async () => {
    executor = createExecutor({ poolSize: 1 });
    const mul64 = '(module (func (export "_start") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul))';
    await executor.deploy(artifact('mul64', { params: ['i64', 'i64'], results: ['i64'] }), wat(mul64), 1);
    expect((await executor.invoke('mul64', [3000000000, 3000000000])).value).toBe('9000000000000000000');
    expect((await executor.invoke('mul64', ['9223372036854775807', '1'])).value).toBe('9223372036854775807');
    expect((await executor.invoke('mul64', [-1n, 9007199254740993n])).value).toBe('-9007199254740993');
    // Overflow wraps to the low 64 bits, signed.
    expect((await executor.invoke('mul64', ['9223372036854775807', '2'])).value).toBe('-2');
  });

  it('round-trips f32 and f64', async () => {
    executor = createExecutor({ poolSize: 1 });
    const f64 = '(module (func (export "_start") (param f64 f64) (result f64) local.get 0 local.get 1 f64.div))';
    const f32 = '(module (func (export "_start") (param f32) (result f32) local.get 0 f32.neg))';
    await executor.deploy(artifact('div', { params: ['f64', 'f64'], results: ['f64'] }), wat(f64), 1);
    await executor.deploy(artifact('neg', { params: ['f32'], results: ['f32'] }), wat(f32), 1);
    expect((await executor.invoke('div', [1, 4])).value).toBe('0.25');
    expect((await executor.invoke('div', [1, 3])).value).toBe(String(1 / 3));
    expect((await executor.invoke('div', [1, 0])).value).toBe('Infinity');
    expect((await executor.invoke('div', ['NaN', 1])).value).toBe('NaN');
    expect((await executor.invoke('neg', [1.5])).value).toBe('-1.5');
    // f32 rounds as Wasm does; the text is the shortest decimal that reads back as that f32.
    expect((await executor.invoke('neg', [0.1])).value).toBe('-0.1');
  });

  it('answers a void entry with an empty value, and several results joined by commas', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('nothing'), wat('(module (func (export "_start")))'), 1);
    const pair = '(module (func (export "_start") (result i32 i64) i32.const 1 i64.const -2))';
    await executor.deploy(artifact('pair', { results: ['i32', 'i64'] }), wat(pair), 1);
    expect((await executor.invoke('nothing')).value).toBe('');
    expect((await executor.invoke('pair')).value).toBe('1,-2');
  });

  it('gives platform.now as Date.now() in ms', async () => {
    executor = createExecutor({ poolSize: 1 });
    const now = '(module (import "platform" "now" (func $now (result f64))) (func (export "_start") (result f64) call $now))';
    await executor.deploy(artifact('now', { results: ['f64'] }), wat(now), 1);
    const before = Date.now();
    const value = Number((await executor.invoke('now')).value);
    expect(value).toBeGreaterThanOrEqual(before - 1000);
    expect(value).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('runs a fresh instance per call: no state survives', async () => {
    executor = createExecutor({ poolSize: 2 });
    const counter = `(module (global $n (mut i32) (i32.const 0))
      (func (export "_start") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))`;
    await executor.deploy(artifact('counter', { results: ['i32'] }), wat(counter), 1);
    const values = await Promise.all(Array.from({ length: 20 }, () => executor.invoke('counter')));
    expect(values.map((r) => r.value)).toEqual(Array(20).fill('1'));
    expect((await executor.invoke('counter')).value).toBe('1');
  });

  it('compiles once on the main thread and runs the module off it', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 1);
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    // A deploy validates its module without compiling it (module-checks.ts); the first call compiles it,
    // and no later call does.
    expect(compile).toHaveBeenCalledTimes(0);
    for (let i = 0; i < 10; i++) expect((await executor.invoke('answer')).value).toBe('42');
    expect(compile).toHaveBeenCalledTimes(1);
    // A 300 ms busy-wait in the function leaves the main thread's timers running.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await executor.invoke('sleep', [300]);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('reports duration, cold start and version', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 7);
    const first = await executor.invoke('answer');
    const second = await executor.invoke('answer');
    expect(first).toMatchObject({ value: '42', coldStart: true, version: 7 });
    expect(second).toMatchObject({ value: '42', coldStart: false, version: 7 });
    expect(second.durationMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(second.durationMs)).toBe(true);
    const stats = executor.stats('answer');
    expect(stats).toMatchObject({ invocations: 2, errors: 0, timeouts: 0, coldStarts: 1 });
    // Each call is billed rounded up to a whole millisecond: at least 1 ms each, whole numbers.
    expect(stats.billedMs).toBeGreaterThanOrEqual(2);
    expect(Number.isInteger(stats.billedMs)).toBe(true);
    expect(stats.billedMs).toBeGreaterThanOrEqual(stats.totalMs);
    expect(stats.p99Ms).toBeGreaterThanOrEqual(stats.p50Ms);
  });
});
