/**
 * The function table keeps no compiled module for an idle function: a deploy's module is let go at
 * install (the first call compiles it again), and cacheTtl drops it after calls stop.
 */
import { describe, expect, it } from 'vitest';
import { FunctionTable } from '../../src/runtime/function-table.js';
import type { LoadMessage } from '../../src/runtime/protocol.js';
import { ANSWER_WAT, artifact, wat } from './helpers.js';

function table() {
  const loaded: LoadMessage[] = [];
  const dropped: number[] = [];
  const functions = new FunctionTable({ load: (message) => loaded.push(message), drop: (id) => dropped.push(id) });
  return { functions, loaded, dropped };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FunctionTable', () => {
  it('keeps neither the deploy’s module nor a timer: the first call compiles it', async () => {
    const { functions, loaded } = table();
    const bytes = wat(ANSWER_WAT);
    functions.install(artifact('answer', { results: ['i32'] }), bytes, 1);
    const version = functions.get('answer')!.current;
    expect(version.module).toBeNull();
    expect(version.timer).toBeUndefined();
    expect(functions.isWarm(version)).toBe(false);

    await functions.warm(version);
    expect(version.module).toBeInstanceOf(WebAssembly.Module);
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.module).toBe(version.module);
    expect(functions.isWarm(version)).toBe(true);
    functions.clear();
  });

  it('drops the module after cacheTtl without calls, and compiles it again on the next call', async () => {
    const { functions, loaded, dropped } = table();
    const bytes = wat(ANSWER_WAT);
    functions.install(artifact('answer', { results: ['i32'], limits: { cacheTtlMs: 30 } }), bytes, 1);
    const version = functions.get('answer')!.current;
    functions.acquire(version);
    await functions.warm(version);
    functions.release(version);
    expect(version.timer).toBeDefined(); // armed by the last release, now that there is a module to drop

    await sleep(120);
    expect(dropped).toEqual([loaded[0]!.id]);
    expect(version.module).toBeNull();
    expect(version.timer).toBeUndefined();
    expect(functions.isWarm(version)).toBe(false);

    await functions.warm(version);
    expect(loaded).toHaveLength(2);
    expect(loaded[1]!.id).not.toBe(loaded[0]!.id);
    functions.clear();
  });

  it('a replaced version that never ran has nothing to drop', async () => {
    const { functions, dropped } = table();
    const bytes = wat(ANSWER_WAT);
    functions.install(artifact('answer', { results: ['i32'] }), bytes, 1);
    functions.install(artifact('answer', { results: ['i32'] }), bytes, 2);
    expect(functions.get('answer')!.current.version).toBe(2);
    expect(dropped).toEqual([]);
    functions.clear();
  });
});
