/** The functions nano.yml declares, in-process: what waits, for how long, and what a failed build answers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResolvedConfig } from '../../src/config/index.js';
import { DeclaredProject } from '../../src/dev/declared-project.js';
import type { FunctionFailure } from '../../src/dev/index.js';

afterEach(() => {
  vi.useRealTimers();
});

const config = (...names: string[]) =>
  ({ functions: names.map((name) => ({ name, routes: [{ method: 'GET', path: `/${name}` }] })) }) as unknown as ResolvedConfig;

const failure = (name: string, message: string): FunctionFailure => ({
  name,
  problems: [{ file: `functions/${name}.wat`, line: 3, column: 5, message }],
  serving: null,
  repeated: false,
});

/** Whether the promise has settled after the pending microtasks ran. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('DeclaredProject', () => {
  it('holds a declared function until the first load, and lets an undeclared one through at once', async () => {
    const declared = new DeclaredProject(config('sum', 'broken'));
    expect(declared.starting()).toBe(true);
    expect(declared.readiness.state).toBe('starting');
    expect(declared.routeOf('GET', '/sum')).toBe('sum');
    expect(declared.routeOf('POST', '/sum')).toBeUndefined();
    await expect(declared.settle('other')).resolves.toBeUndefined();

    const sum = declared.settle('sum');
    const broken = declared.settle('broken');
    expect(await settledYet(sum)).toBe(false);
    declared.loaded(config('sum', 'broken'), [failure('broken', 'error: unexpected token i32.cnst')], ['sum']);
    await expect(sum).resolves.toBeUndefined();
    await expect(broken).rejects.toMatchObject({
      code: 'FunctionUnavailable',
      message: expect.stringContaining('functions/broken.wat:3:5: error: unexpected token i32.cnst'),
    });
    expect(declared.starting()).toBe(false);
    expect(declared.readiness.state).toBe('ready');
    declared.close();
  });

  it('keeps the reason of a function that still does not serve when a reload cannot restate it (an invalid nano.yml)', async () => {
    const declared = new DeclaredProject(config('sum', 'broken'));
    declared.loaded(config('sum', 'broken'), [failure('broken', 'bad')], ['sum']);
    declared.loaded(config('sum', 'broken'), [], ['sum']);
    await expect(declared.settle('broken')).rejects.toMatchObject({ code: 'FunctionUnavailable' });
    // Fixed: it serves, and nothing is in its way any more; removed from nano.yml: not declared, so a 404.
    declared.loaded(config('sum', 'broken'), [], ['sum', 'broken']);
    await expect(declared.settle('broken')).resolves.toBeUndefined();
    declared.loaded(config('sum'), [failure('broken', 'bad')], ['sum']);
    await expect(declared.settle('broken')).resolves.toBeUndefined();
    declared.close();
  });

  it('answers 503 Starting past the bound, and to whoever waits when the server closes', async () => {
    vi.useFakeTimers();
    const declared = new DeclaredProject(config('sum'), 1_000);
    const late = declared.settle('sum');
    const rejected = expect(late).rejects.toMatchObject({ code: 'Starting', message: expect.stringContaining('after 1 s') });
    await vi.advanceTimersByTimeAsync(1_000);
    await rejected;

    const waiting = declared.settle('sum');
    declared.close();
    await expect(waiting).rejects.toMatchObject({ code: 'Starting', message: expect.stringContaining('stopped') });
  });

  it('is ready at once when nothing is declared (a dev server loaded by hand)', async () => {
    const declared = new DeclaredProject(undefined);
    expect(declared.starting()).toBe(false);
    expect(declared.readiness.state).toBe('ready');
    await expect(declared.settle('sum')).resolves.toBeUndefined();
  });
});
