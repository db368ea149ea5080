/** StatsRecorder: its window of recent durations grows with the calls (an idle function holds none) and is a ring of 1024. */
import { describe, expect, it } from 'vitest';
import { StatsRecorder } from '../../src/runtime/stats.js';

/** Nearest-rank percentile of the last 1024 of `values`, as the recorder words it. */
function expected(values: number[], p: number): number {
  const window = values.slice(-1024).sort((a, b) => a - b);
  return window[Math.min(window.length - 1, Math.max(0, Math.ceil(p * window.length) - 1))]!;
}

describe('StatsRecorder', () => {
  it('reads zeros before the first call', () => {
    const snapshot = new StatsRecorder().snapshot();
    expect(snapshot).toMatchObject({ invocations: 0, p50Ms: 0, p99Ms: 0, lastMs: 0 });
  });

  it.each([1, 15, 16, 17, 100, 1024, 1025, 3000])('percentiles over the most recent 1024 of %i calls', (calls) => {
    const recorder = new StatsRecorder();
    // Durations in a scrambled order, so that a wrong window (too short, or the oldest kept) shows.
    const values = Array.from({ length: calls }, (_, i) => ((i * 7919) % 5003) / 10);
    for (const ms of values) recorder.record(ms, 'ok', false);
    const snapshot = recorder.snapshot();
    expect(snapshot.invocations).toBe(calls);
    expect(snapshot.p50Ms).toBe(expected(values, 0.5));
    expect(snapshot.p99Ms).toBe(expected(values, 0.99));
    expect(snapshot.lastMs).toBe(values.at(-1));
  });
});
