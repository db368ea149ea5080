import { afterEach, describe, expect, it } from 'vitest';
import { NanoError } from '../../src/errors.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { ANSWER_WAT, artifact, outcome, sleepWat, wat } from './helpers.js';

let executor: Executor;

afterEach(async () => {
  await executor.close();
});

async function code(promise: Promise<unknown>): Promise<string> {
  const settled = await outcome(promise);
  if (settled.ok) throw new Error('expected a rejection');
  expect(settled.error).toBeInstanceOf(NanoError);
  return (settled.error as NanoError).code;
}

const returning = (n: number): Uint8Array => wat(`(module (func (export "_start") (result i32) i32.const ${n}))`);

describe('deploy and swap', () => {
  it('swaps atomically: a running call finishes on its version, new calls get the new one', async () => {
    executor = createExecutor({ poolSize: 2 });
    await executor.deploy(artifact('fn', { params: ['f64'], results: ['i32'] }), wat(sleepWat(1)), 1);
    await executor.invoke('fn', [0]);
    const running = executor.invoke('fn', [300]);
    await executor.deploy(artifact('fn', { params: ['f64'], results: ['i32'] }), wat(sleepWat(2)), 2);
    expect(executor.info('fn')?.version).toBe(2);
    const fresh = await executor.invoke('fn', [0]);
    expect(fresh).toMatchObject({ value: '2', version: 2 });
    expect(await running).toMatchObject({ value: '1', version: 1 });
    expect((await executor.invoke('fn', [0])).value).toBe('2');
  });

  it('can change the signature on redeploy', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('fn', { results: ['i32'] }), returning(1), 1);
    const add = '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))';
    await executor.deploy(artifact('fn', { params: ['i32', 'i32'], results: ['i32'] }), wat(add), 2);
    expect((await executor.invoke('fn', [2, 3])).value).toBe('5');
    expect(await code(executor.invoke('fn'))).toBe('BadArguments');
  });

  it('lets the latest of two racing deploys win', async () => {
    executor = createExecutor({ poolSize: 1 });
    await Promise.all([
      executor.deploy(artifact('fn', { results: ['i32'] }), returning(1), 1),
      executor.deploy(artifact('fn', { results: ['i32'] }), returning(2), 2),
    ]);
    expect(await executor.invoke('fn')).toMatchObject({ value: '2', version: 2 });
  });

  it('refuses invalid bytes, foreign imports and a missing entry, naming the problem', async () => {
    executor = createExecutor({ poolSize: 1 });
    const refused = async (run: Promise<void>): Promise<string> => {
      const settled = await outcome(run);
      expect(settled.ok).toBe(false);
      return (settled as { error: NanoError }).error.message;
    };
    expect(await refused(executor.deploy(artifact('bad'), new Uint8Array([0, 1, 2]), 1))).toMatch(
      /^bad cannot be deployed: the artifact is not valid WebAssembly/,
    );
    const foreign = wat('(module (import "env" "abort" (func)) (func (export "_start")))');
    expect(await refused(executor.deploy(artifact('foreign'), foreign, 1))).toMatch(/imports env\.abort \(function\)/);
    expect(await refused(executor.deploy(artifact('noentry', { entry: 'main' }), wat(ANSWER_WAT), 1))).toMatch(
      /exports no function "main"/,
    );
    expect(executor.has('bad') || executor.has('foreign') || executor.has('noentry')).toBe(false);
  });

  it('deploys several functions as one switch, or none of them', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('a', { results: ['i32'] }), returning(1), 1);
    await executor.deploy(artifact('gone', { results: ['i32'] }), returning(9), 1);
    const refused = await outcome(
      executor.deployMany([
        { fn: artifact('a', { results: ['i32'] }), bytes: returning(2), version: 2 },
        { fn: artifact('b'), bytes: new Uint8Array([1, 2, 3]), version: 2 },
      ]),
    );
    expect(refused.ok).toBe(false);
    expect(await executor.invoke('a')).toMatchObject({ value: '1', version: 1 });
    expect(executor.has('b')).toBe(false);
    await executor.deployMany(
      [
        { fn: artifact('a', { results: ['i32'] }), bytes: returning(2), version: 2 },
        { fn: artifact('b', { results: ['i32'] }), bytes: returning(3), version: 2 },
      ],
      { remove: ['gone'] },
    );
    expect(await executor.invoke('a')).toMatchObject({ value: '2', version: 2 });
    expect(await executor.invoke('b')).toMatchObject({ value: '3', version: 2 });
    expect(executor.has('gone')).toBe(false);
  });

  it('describes a function', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('answer', { results: ['i32'], limits: { timeoutMs: 250 } }), wat(ANSWER_WAT), 3);
    expect(executor.has('answer')).toBe(true);
    expect(executor.info('answer')).toMatchObject({
      name: 'answer',
      version: 3,
      signature: { params: [], results: ['i32'] },
      limits: { timeoutMs: 250 },
    });
    expect(executor.list().map((f) => f.name)).toEqual(['answer']);
    expect(executor.info('nope')).toBeUndefined();
  });
});

describe('errors', () => {
  it('rejects unknown functions and bad arguments without running anything', async () => {
    executor = createExecutor({ poolSize: 1 });
    const sum = '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))';
    await executor.deploy(artifact('sum', { params: ['i32', 'i32'], results: ['i32'] }), wat(sum), 1);
    expect(await code(executor.invoke('nope'))).toBe('FunctionNotFound');
    expect(() => executor.stats('nope')).toThrow(/no function named "nope"/);
    const settled = await outcome(executor.invoke('sum', [1]));
    expect((settled as { error: NanoError }).error.message).toBe('sum expects 2 arguments, got 1: sum(i32, i32) -> i32');
    expect(await code(executor.invoke('sum', [1, 'two']))).toBe('BadArguments');
    expect(executor.stats('sum').invocations).toBe(0);
  });
});

describe('remove and close', () => {
  it('removes a function; a call in flight still finishes', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    await executor.invoke('sleep', [0]);
    const running = executor.invoke('sleep', [200]);
    expect(executor.remove('sleep')).toBe(true);
    expect(executor.remove('sleep')).toBe(false);
    expect(await code(executor.invoke('sleep', [0]))).toBe('FunctionNotFound');
    expect((await running).value).toBe('1');
  });

  it('rejects pending calls on close, and every call after it', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(
      artifact('stuck', { limits: { timeoutMs: 60_000 } }),
      wat('(module (func (export "_start") (loop $l (br $l))))'),
      1,
    );
    const pending = code(executor.invoke('stuck'));
    await executor.close();
    expect(await pending).toBe('Overloaded');
    expect(await code(executor.invoke('stuck'))).toBe('Overloaded');
    await executor.close(); // idempotent
  });
});
