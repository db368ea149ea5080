import { afterEach, describe, expect, it, vi } from 'vitest';
import { NanoError } from '../../src/errors.js';
import { OverloadedError, createExecutor, type Executor } from '../../src/runtime/index.js';
import { ANSWER_WAT, STUCK_UNINSTRUMENTED_WAT, artifact, outcome, sleepWat, wat } from './helpers.js';

let executor: Executor;

afterEach(async () => {
  await executor.close();
});

async function rejection(promise: Promise<unknown>): Promise<NanoError> {
  const settled = await outcome(promise);
  if (settled.ok) throw new Error(`expected a rejection, got ${JSON.stringify(settled.value)}`);
  expect(settled.error).toBeInstanceOf(NanoError);
  return settled.error as NanoError;
}

async function deployStuck(timeoutMs = 100): Promise<void> {
  await executor.deploy(artifact('stuck', { limits: { timeoutMs } }), wat(STUCK_UNINSTRUMENTED_WAT), 1);
}

async function deployAnswer(): Promise<void> {
  await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 1);
}

describe('memory limit', () => {
  const growWat = (memory: string): string => `(module ${memory}
    (func (export "_start") (param i32) (result i32) local.get 0 memory.grow))`;

  it('returns -1 when an imported memory grows past the limit', async () => {
    executor = createExecutor({ poolSize: 1 });
    const fn = artifact('grow', {
      params: ['i32'],
      results: ['i32'],
      limits: { memoryPages: 2 },
      memory: { imported: true, initialPages: 1, maximumPages: 2 },
    });
    await executor.deploy(fn, wat(growWat('(import "platform" "memory" (memory 1))')), 1);
    expect((await executor.invoke('grow', [1])).value).toBe('1');
    // Fresh memory per call: growing again starts from 1 page, and past 2 pages fails.
    expect((await executor.invoke('grow', [1])).value).toBe('1');
    expect((await executor.invoke('grow', [2])).value).toBe('-1');
  });

  it('returns -1 when an own memory grows past the limit', async () => {
    executor = createExecutor({ poolSize: 1 });
    const fn = artifact('grow', {
      params: ['i32'],
      results: ['i32'],
      limits: { memoryPages: 2 },
      memory: { imported: false, initialPages: 1, maximumPages: 2 },
    });
    await executor.deploy(fn, wat(growWat('(memory 1 2)')), 1);
    expect((await executor.invoke('grow', [1])).value).toBe('1');
    expect((await executor.invoke('grow', [2])).value).toBe('-1');
  });
});

describe('timeout', () => {
  it('stops an overrunning invocation and names the function and the limit', async () => {
    executor = createExecutor({ poolSize: 1 });
    await deployStuck(100);
    await deployAnswer();
    const { spawned } = executor.health();
    const started = performance.now();
    const error = await rejection(executor.invoke('stuck'));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('FunctionTimeout');
    expect(error.message).toBe('stuck exceeded its 100ms timeout');
    // Never stopped before its limit; how soon after it is the bench's to measure (a loaded machine is slow).
    expect(elapsed).toBeGreaterThanOrEqual(95);
    // The spare took over: the next call is answered.
    expect((await executor.invoke('answer')).value).toBe('42');
    expect(executor.stats('stuck')).toMatchObject({ invocations: 1, errors: 1, timeouts: 1 });
    // One replacement, spawned in the background; the pool is back to one active worker and a spare.
    expect(executor.health().spawned).toBe(spawned + 1);
    await vi.waitFor(() => expect(executor.health().workers).toEqual({ active: 1, spare: 1, stopping: 0 }));
  });

  it('interrupts a function that timed out before inside its worker, which lives on', async () => {
    executor = createExecutor({ poolSize: 1 });
    await deployStuck(100);
    await deployAnswer();
    expect((await rejection(executor.invoke('stuck'))).code).toBe('FunctionTimeout');
    await vi.waitFor(() => expect(executor.health().workers).toEqual({ active: 1, spare: 1, stopping: 0 }));
    for (let i = 0; i < 3; i++) {
      const error = await rejection(executor.invoke('stuck'));
      expect(error.code).toBe('FunctionTimeout');
      expect(error.message).toBe('stuck exceeded its 100ms timeout');
      expect((await executor.invoke('answer')).value).toBe('42');
    }
    // Whether the worker stopped the call itself or was replaced depends on the
    // machine's load (the in-worker watchdog has a grace period); either way the
    // pool is back at full strength with its spare.
    await vi.waitFor(() => expect(executor.health().workers).toEqual({ active: 1, spare: 1, stopping: 0 }));
    expect(executor.stats('stuck')).toMatchObject({ invocations: 4, timeouts: 4 });
  });

  it('still answers guarded calls that finish in time', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'], limits: { timeoutMs: 500 } }), wat(sleepWat(5)), 1);
    expect((await rejection(executor.invoke('sleep', [3000]))).code).toBe('FunctionTimeout');
    // Guarded now (it timed out): calls that finish in time still answer.
    expect((await executor.invoke('sleep', [100])).value).toBe('5');
    expect((await executor.invoke('sleep', [0])).value).toBe('5');
  });

  it('leaves calls on other workers unaffected', async () => {
    executor = createExecutor({ poolSize: 2 });
    await deployStuck(100);
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat(7)), 1);
    await deployAnswer();
    await executor.invoke('sleep', [1]); // both modules loaded, workers booted
    const sleeping = executor.invoke('sleep', [400]);
    const stuck = executor.invoke('stuck');
    expect((await rejection(stuck)).code).toBe('FunctionTimeout');
    expect((await sleeping).value).toBe('7');
    expect((await executor.invoke('answer')).value).toBe('42');
  });

  it('survives 6 concurrent infinite loops, then answers a normal call', async () => {
    executor = createExecutor({ poolSize: 2 });
    await deployStuck(100);
    await deployAnswer();
    const stuck = Array.from({ length: 6 }, () => executor.invoke('stuck'));
    const errors = await Promise.all(stuck.map(rejection));
    expect(errors.map((e) => e.code)).toEqual(Array(6).fill('FunctionTimeout'));
    expect((await executor.invoke('answer')).value).toBe('42');
    expect(executor.stats('stuck').timeouts).toBe(6);
  });

  it('re-runs nothing twice and loses nothing queued behind a timed-out call', async () => {
    executor = createExecutor({ poolSize: 1 });
    await deployStuck(100);
    await deployAnswer();
    const stuck = executor.invoke('stuck');
    const queued = Array.from({ length: 20 }, () => executor.invoke('answer'));
    expect((await rejection(stuck)).code).toBe('FunctionTimeout');
    expect((await Promise.all(queued)).map((r) => r.value)).toEqual(Array(20).fill('42'));
    expect(executor.stats('answer').invocations).toBe(20);
  });
});

describe('traps', () => {
  const traps: [string, string, RegExp][] = [
    ['unreachable', '(func (export "_start") unreachable)', /unreachable/],
    ['divide', '(func (export "_start") (result i32) i32.const 1 i32.const 0 i32.div_s)', /divide by zero/],
    ['bounds', '(memory 1 1) (func (export "_start") (result i32) i32.const 70000 i32.load)', /out of bounds/],
    ['recurse', '(func $f (export "_start") call $f)', /call stack/],
  ];

  it('answers each trap with FunctionTrapped and its message, and the worker lives on', async () => {
    executor = createExecutor({ poolSize: 1 });
    await deployAnswer();
    for (const [name, body] of traps) {
      await executor.deploy(artifact(name, { results: name === 'divide' || name === 'bounds' ? ['i32'] : [] }), wat(`(module ${body})`), 1);
    }
    await executor.invoke('answer');
    const { spawned } = executor.health();
    for (const [name, , message] of traps) {
      const error = await rejection(executor.invoke(name));
      expect(error.code).toBe('FunctionTrapped');
      expect(error.message).toMatch(new RegExp(`^${name} trapped: `));
      expect(error.message).toMatch(message);
      expect((await executor.invoke('answer')).value).toBe('42');
    }
    expect(executor.stats('divide')).toMatchObject({ invocations: 1, errors: 1, timeouts: 0 });
    // No worker was replaced.
    expect(executor.health().spawned).toBe(spawned);
  });
});

describe('concurrency limit', () => {
  it('refuses a call over the limit at once, and admits again when one finishes', async () => {
    executor = createExecutor({ poolSize: 2 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'], limits: { concurrency: 1 } }), wat(sleepWat()), 1);
    const running = executor.invoke('sleep', [300]);
    let settled = false;
    void running.then(() => (settled = true));
    const error = await rejection(executor.invoke('sleep', [0]));
    expect(error.code).toBe('ConcurrencyLimit');
    expect(error.message).toMatch(/^sleep is already running 1 instance/);
    // Refused at once: not queued behind the running call, which is still going.
    expect(settled).toBe(false);
    expect((await running).value).toBe('1');
    expect((await executor.invoke('sleep', [0])).value).toBe('1');
    expect(executor.stats('sleep')).toMatchObject({ invocations: 2, rejected: 1 });
  });
});

describe('queue bound', () => {
  it('answers Overloaded with a retry-after once the queue is full', async () => {
    // Every call on the workers: a short call on the main thread needs no queue place (see 'main thread' below).
    executor = createExecutor({ poolSize: 1, queueLimit: 2, inlineBudgetMs: 0 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    const admitted = [executor.invoke('sleep', [200]), executor.invoke('sleep', [0]), executor.invoke('sleep', [0])];
    const error = await rejection(executor.invoke('sleep', [0]));
    expect(error.code).toBe('Overloaded');
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await Promise.all(admitted)).map((r) => r.value)).toEqual(['1', '1', '1']);
    expect((await executor.invoke('sleep', [0])).value).toBe('1');
  });
});

describe('cacheTtl', () => {
  it('drops the module after the TTL; the next call is a cold start', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('answer', { results: ['i32'], limits: { cacheTtlMs: 300 } }), wat(ANSWER_WAT), 1);
    expect((await executor.invoke('answer')).coldStart).toBe(true);
    // Time passing is what is under test (any call would keep the module warm), so this waits:
    // twice the TTL, so that a slow machine's timer lag cannot make the test flaky.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const cold = await executor.invoke('answer');
    expect(cold).toMatchObject({ value: '42', coldStart: true });
    expect(executor.stats('answer').coldStarts).toBe(2);
  });
});
