/**
 * Calls on the main thread (inline-runner.ts) and their way back to the
 * workers: a call over the budget is answered once, from a worker, as if it
 * had run there only; timeouts stop instrumented modules without costing a
 * thread; a module the instrumentation cannot handle still runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { NanoError } from '../../src/errors.js';
import { ANSWER_WAT, STUCK_UNINSTRUMENTED_WAT, STUCK_WAT, artifact, outcome, sleepWat, wat } from './helpers.js';

let executor: Executor | undefined;
afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

// Logs "start", then busy-waits $ms on platform.now and answers 7.
const LOG_THEN_WAIT = `(module
  (import "platform" "log" (func $log (param i32 i32)))
  (import "platform" "now" (func $now (result f64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "start")
  (func (export "_start") (param $ms f64) (result i32)
    (local $end f64)
    (call $log (i32.const 0) (i32.const 5))
    (local.set $end (f64.add (call $now) (local.get $ms)))
    (block $done (loop $wait (br_if $done (f64.ge (call $now) (local.get $end))) (br $wait)))
    (i32.const 7)))`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const settled = await outcome(promise);
  if (settled.ok) return 'answered';
  return settled.error instanceof NanoError ? settled.error.code : String(settled.error);
}

describe('main thread', () => {
  it('answers a short call while every worker is busy', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 1);
    await executor.invoke('answer'); // the cold start loads it
    let slowDone = false;
    const slow = executor.invoke('sleep', [300]).then(() => (slowDone = true));
    const before = executor.health().mainThread.attempts;
    expect((await executor.invoke('answer')).value).toBe('42');
    expect(slowDone).toBe(false);
    expect(executor.health().mainThread.attempts).toBeGreaterThan(before);
    await slow;
  });

  it('runs a call over the budget again on a worker, once: one answer, one set of log lines, one count', async () => {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs: 1 });
    const fn = {
      ...artifact('wait', { params: ['f64'], results: ['i32'] }),
      imports: [{ module: 'platform', name: 'log', kind: 'function' as const }],
    };
    await executor.deploy(fn, wat(LOG_THEN_WAIT), 1);
    await executor.invoke('wait', [0]); // the cold start loads it
    const result = await executor.invoke('wait', [30]);
    expect(result).toMatchObject({ value: '7', logs: ['start'] });
    expect(executor.health().mainThread.rerun).toBe(1);
    expect(executor.stats('wait')).toMatchObject({ invocations: 2, errors: 0, timeouts: 0 });
    // It stays on the workers for a while: the next call is not tried on the main thread.
    const calls = executor.health().mainThread.attempts;
    expect((await executor.invoke('wait', [0])).value).toBe('7');
    expect(executor.health().mainThread.attempts).toBe(calls);
  });

  it('stops a call at its own timeout when that is shorter than the budget', async () => {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs: 200 });
    await executor.deploy(artifact('stuck', { limits: { timeoutMs: 20 } }), wat(STUCK_WAT), 1);
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    expect(await codeOf(executor.invoke('sleep', [0]))).toBe('answered'); // loads the pool's copy too
    expect(await codeOf(executor.invoke('stuck'))).toBe('FunctionTimeout'); // cold: on a worker
    const { spawned } = executor.health();
    const calls = executor.health().mainThread.attempts;
    // Guarded for a while after a timeout, so a fresh deploy shows the main-thread case.
    await executor.deploy(artifact('stuck', { limits: { timeoutMs: 20 } }), wat(STUCK_WAT), 2);
    await executor.invoke('sleep', [0]);
    expect(await codeOf(executor.invoke('stuck'))).toBe('FunctionTimeout');
    expect(await codeOf(executor.invoke('stuck'))).toBe('FunctionTimeout');
    expect(executor.health().mainThread.attempts).toBeGreaterThan(calls);
    expect(executor.health().spawned).toBe(spawned);
  });

  it('leaves a module that needs a new instance per call to the workers', async () => {
    executor = createExecutor({ poolSize: 1 });
    // A start function: instantiation may have effects, so the module is never recycled (and a new instance
    // made on the main thread would be unmetered work there).
    const source =
      '(module (global $g (mut i32) (i32.const 0)) (func $init (global.set $g (i32.const 41))) (start $init) (func (export "_start") (result i32) (i32.add (global.get $g) (i32.const 1))))';
    await executor.deploy(artifact('started', { results: ['i32'] }), wat(source), 1);
    expect((await executor.invoke('started')).value).toBe('42'); // the cold start loads it
    const { attempts } = executor.health().mainThread;
    for (let i = 0; i < 3; i++) expect((await executor.invoke('started')).value).toBe('42');
    expect(executor.health().mainThread.attempts).toBe(attempts);
  });
});

describe('timeouts by instrumentation', () => {
  it('stops an endless loop inside its worker, which lives on', async () => {
    executor = createExecutor({ poolSize: 1, inlineBudgetMs: 0 });
    await executor.deploy(artifact('stuck', { limits: { timeoutMs: 50 } }), wat(STUCK_WAT), 1);
    await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 1);
    const { spawned } = executor.health();
    for (let i = 0; i < 3; i++) expect(await codeOf(executor.invoke('stuck'))).toBe('FunctionTimeout');
    expect((await executor.invoke('answer')).value).toBe('42');
    expect(executor.health().spawned).toBe(spawned);
    expect(executor.stats('stuck')).toMatchObject({ invocations: 3, timeouts: 3 });
  });

  it('still runs a module it cannot instrument, and stops it by replacing its worker', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('stuck', { limits: { timeoutMs: 50 } }), wat(STUCK_UNINSTRUMENTED_WAT), 1);
    const { spawned } = executor.health();
    expect(await codeOf(executor.invoke('stuck'))).toBe('FunctionTimeout');
    expect(executor.health().spawned).toBe(spawned + 1);
  });
});
