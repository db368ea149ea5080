import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReloadScheduler, type ChangeBatch } from '../../src/dev/reload-scheduler.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A scheduler whose runs are recorded and finish when the test says so. */
function recorder(debounceMs = 100, maxWaitMs?: number) {
  const batches: string[][] = [];
  const errors: unknown[] = [];
  let finish: (() => void) | undefined;
  let fail: Error | undefined;
  const scheduler = new ReloadScheduler({
    debounceMs,
    maxWaitMs,
    run: (batch: ChangeBatch) => {
      batches.push(batch.paths);
      if (fail) {
        const error = fail;
        fail = undefined;
        return Promise.reject(error);
      }
      return new Promise<void>((resolve) => (finish = resolve));
    },
    onError: (error) => errors.push(error),
  });
  scheduler.start();
  return {
    scheduler,
    batches,
    errors,
    /** Ends the run in progress. */
    async finishRun() {
      finish?.();
      finish = undefined;
      await vi.advanceTimersByTimeAsync(0);
    },
    failNext(error: Error) {
      fail = error;
    },
  };
}

describe('ReloadScheduler', () => {
  it('turns a burst of events into one run, debounceMs after the last of them', async () => {
    const { scheduler, batches } = recorder(100);
    scheduler.notify('/p/a.wat');
    await vi.advanceTimersByTimeAsync(60);
    scheduler.notify('/p/a.wat');
    scheduler.notify('/p/b.wat');
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['/p/a.wat', '/p/b.wat']]);
  });

  it('never overlaps runs: events during a run make exactly one more run after it', async () => {
    const { scheduler, batches, finishRun } = recorder(100);
    scheduler.notify('/p/a.wat');
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toHaveLength(1);

    // Three separate bursts while the first run is still going.
    for (const path of ['/p/b.wat', '/p/c.wat', '/p/d.wat']) {
      scheduler.notify(path);
      await vi.advanceTimersByTimeAsync(150);
    }
    expect(batches).toHaveLength(1);
    await finishRun();
    expect(batches).toEqual([['/p/a.wat'], ['/p/b.wat', '/p/c.wat', '/p/d.wat']]);
    await finishRun();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches).toHaveLength(2);
    await scheduler.idle();
  });

  it('holds events until start(), then runs them', async () => {
    const batches: string[][] = [];
    const scheduler = new ReloadScheduler({ debounceMs: 50, run: async (batch) => void batches.push(batch.paths), onError: () => {} });
    scheduler.notify('/p/early.wat');
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([]);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([['/p/early.wat']]);
  });

  it('caps the wait at maxWaitMs when events never stop', async () => {
    const { scheduler, batches } = recorder(100, 300);
    for (let t = 0; t < 290; t += 50) {
      scheduler.notify(`/p/${t}.wat`);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(6);
  });

  it('reports a run that throws and goes on with the next events', async () => {
    const { scheduler, batches, errors, failNext, finishRun } = recorder(10);
    failNext(new Error('boom'));
    scheduler.notify('/p/a.wat');
    await vi.advanceTimersByTimeAsync(10);
    expect(errors).toEqual([new Error('boom')]);
    scheduler.notify('/p/b.wat');
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([['/p/a.wat'], ['/p/b.wat']]);
    await finishRun();
  });

  it('after close(), waits for the run in progress and runs nothing more', async () => {
    const { scheduler, batches, finishRun } = recorder(10);
    scheduler.notify('/p/a.wat');
    await vi.advanceTimersByTimeAsync(10);
    let closed = false;
    const closing = scheduler.close().then(() => (closed = true));
    scheduler.notify('/p/b.wat');
    await vi.advanceTimersByTimeAsync(100);
    expect(closed).toBe(false);
    await finishRun();
    await closing;
    expect(batches).toEqual([['/p/a.wat']]);
  });
});
