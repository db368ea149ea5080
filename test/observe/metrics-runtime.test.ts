/**
 * The runtime figures /metrics reads at scrape time (executor.health(), executor.inFlight()): workers busy,
 * calls queued, calls in flight per function, and workers restarted after a timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { ANSWER_WAT, STUCK_UNINSTRUMENTED_WAT, artifact, outcome, sleepWat, wat } from '../runtime/helpers.js';

let executor: Executor;

afterEach(async () => {
  await executor.close();
});

describe('what the runtime tells /metrics', () => {
  it('counts the busy workers, the calls queued behind them and the calls in flight per function', async () => {
    // Every call on a worker, one worker: the first call runs, the others wait in the ring.
    executor = createExecutor({ poolSize: 1, inlineBudgetMs: 0 });
    await executor.deploy(artifact('sleep', { params: ['f64'], results: ['i32'] }), wat(sleepWat()), 1);
    await executor.deploy(artifact('answer', { results: ['i32'] }), wat(ANSWER_WAT), 1);
    await executor.invoke('sleep', [1]);
    expect(executor.health()).toMatchObject({ busy: 0, queued: 0, restarts: 0 });

    const calls = [1, 2, 3].map(() => executor.invoke('sleep', [300]));
    expect(executor.inFlight('sleep')).toBe(3);
    expect(executor.inFlight('answer')).toBe(0);
    expect(executor.inFlight('nope')).toBe(0);
    await vi.waitFor(() => expect(executor.health()).toMatchObject({ busy: 1, queued: 2, outstanding: 3 }), { timeout: 5000 });
    await Promise.all(calls);
    expect(executor.inFlight('sleep')).toBe(0);
    await vi.waitFor(() => expect(executor.health()).toMatchObject({ busy: 0, queued: 0, outstanding: 0 }), { timeout: 5000 });
  });

  it('counts a worker replaced after a timeout as a restart', async () => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('stuck', { limits: { timeoutMs: 100 } }), wat(STUCK_UNINSTRUMENTED_WAT), 1);
    expect(executor.health().restarts).toBe(0);
    const settled = await outcome(executor.invoke('stuck'));
    expect(settled.ok).toBe(false);
    expect(executor.health().restarts).toBe(1);
    expect(executor.health().spawned).toBe(3);
  });
});
