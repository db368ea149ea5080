/** CallSeries: the console's per-second record of calls — counts, percentiles from buckets, the ring's roll-over. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketBounds, bucketOf, CallSeries, percentileOf, RATE_SECONDS, RING_SECONDS } from '../../src/observe/call-series.js';
import type { Invocation } from '../../src/server/index.js';

const T0 = 1_800_000_000_000;

function call(timeMs: number, fields: Partial<Invocation> = {}): Invocation {
  return { timeMs, name: 'sum', version: 1, status: 200, durationMs: 1, outcome: 'ok', requestId: 'r', lines: [], ...fields };
}

/** A series whose clock the test moves. */
function seriesAt(start = T0): { series: CallSeries; clock: { now: number } } {
  const clock = { now: start };
  return { series: new CallSeries(() => clock.now), clock };
}

/** The exact nearest-rank quantile. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('percentiles from buckets', () => {
  it('lies within the bounds of the bucket the exact value is in', () => {
    const duration = fc.double({ min: 0, max: 200_000, noNaN: true });
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 300 }), fc.constantFrom(0.5, 0.9, 0.99, 1), (values, q) => {
        const { series } = seriesAt();
        for (const ms of values) series.record(call(T0, { durationMs: ms }));
        const live = series.live('sum')!;
        const estimate = q === 0.5 ? live.p50Ms : q === 0.99 ? live.p99Ms : percentileFor(values, q);
        const exact = exactQuantile(values, q);
        const { lower, upper } = bucketBounds(bucketOf(exact));
        expect(estimate).not.toBeNull();
        expect(estimate!).toBeGreaterThanOrEqual(Math.min(lower, exact));
        expect(estimate!).toBeLessThanOrEqual(upper);
        expect(estimate!).toBeGreaterThanOrEqual(Math.min(...values));
        expect(estimate!).toBeLessThanOrEqual(Math.max(...values));
      }),
    );
  });

  it('is the value itself when every call took the same time, and null without calls', () => {
    const { series } = seriesAt();
    for (let i = 0; i < 10; i++) series.record(call(T0, { durationMs: 3.7 }));
    expect(series.live('sum')).toMatchObject({ p50Ms: 3.7, p99Ms: 3.7 });
    expect(percentileOf({ buckets: new Uint32Array(BUCKETS), minMs: Infinity, maxMs: 0 }, 0.5)).toBeNull();
  });

  it('tells a slow tail from the median', () => {
    const { series } = seriesAt();
    for (let i = 0; i < 98; i++) series.record(call(T0, { durationMs: 1 }));
    for (let i = 0; i < 2; i++) series.record(call(T0, { durationMs: 500 }));
    const live = series.live('sum')!;
    expect(live.p50Ms).toBeLessThanOrEqual(bucketBounds(bucketOf(1)).upper);
    expect(live.p99Ms).toBeGreaterThan(bucketBounds(bucketOf(500)).lower);
  });
});

/** Percentiles other than p50/p99, through the same estimate the series uses. */
function percentileFor(values: number[], q: number): number | null {
  const buckets = new Uint32Array(BUCKETS);
  for (const ms of values) buckets[bucketOf(ms)]!++;
  return percentileOf({ buckets, minMs: Math.min(...values), maxMs: Math.max(...values) }, q);
}

describe('live figures', () => {
  it('counts errors, timeouts, 429s, 503s and cold starts apart, per function, over the last minute', () => {
    const { series, clock } = seriesAt();
    series.record(call(T0, { coldStart: true }));
    series.record(call(T0));
    series.record(call(T0, { outcome: 'trap', status: 500 }));
    // A bad request (400) is the caller's mistake, as /metrics counts it (bad_request), not an error.
    series.record(call(T0, { outcome: 'error', status: 400 }));
    series.record(call(T0, { outcome: 'error', status: 500 }));
    series.record(call(T0, { outcome: 'timeout', status: 504 }));
    series.record(call(T0, { outcome: 'throttled', status: 429 }));
    series.record(call(T0, { outcome: 'throttled', status: 503 }));
    series.record(call(T0, { name: 'other' }));
    const live = series.live('sum')!;
    expect(live).toMatchObject({ calls: 8, errors: 2, timeouts: 1, throttled: 1, overloaded: 1, coldStarts: 1 });
    // The rate counts complete seconds only: none yet, then this one once it is over.
    expect(live.callsPerSec).toBe(0);
    clock.now = T0 + 1000;
    expect(series.live('sum')!.callsPerSec).toBeCloseTo(8 / RATE_SECONDS);
    clock.now = T0 + (RATE_SECONDS + 1) * 1000;
    expect(series.live('sum')!.callsPerSec).toBe(0);
    expect(series.live('sum')!.calls).toBe(8);
    expect(live.total).toMatchObject({ calls: 8, errors: 2 });
    expect(series.live('other')!.calls).toBe(1);
    expect(series.live('never')).toBeUndefined();
  });

  it('leaves calls older than the window out of the figures but not out of the totals', () => {
    const { series, clock } = seriesAt();
    series.record(call(T0));
    clock.now = T0 + 61_000;
    series.record(call(clock.now));
    const live = series.live('sum')!;
    expect(live.calls).toBe(1);
    expect(live.total.calls).toBe(2);
  });
});

describe('the series', () => {
  it('has one point per second, oldest first, zeros where nothing was called', () => {
    const { series, clock } = seriesAt();
    series.record(call(T0, { durationMs: 2 }));
    series.record(call(T0 + 2_000, { outcome: 'timeout', status: 504, durationMs: 100 }));
    clock.now = T0 + 2_500;
    const points = series.series('sum', 3);
    expect(points.map((point) => point.t)).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2]);
    expect(points.map((point) => point.calls)).toEqual([1, 0, 1]);
    expect(points.map((point) => point.errors)).toEqual([0, 0, 1]);
    expect(points[1]!.p50Ms).toBeNull();
    expect(points[0]!.p50Ms).toBe(2);
  });

  it('rolls over: a slot reused by a later second holds that second only', () => {
    const { series, clock } = seriesAt();
    series.record(call(T0));
    series.record(call(T0));
    clock.now = T0 + RING_SECONDS * 1000;
    series.record(call(clock.now));
    expect(series.series('sum', RING_SECONDS).reduce((sum, point) => sum + point.calls, 0)).toBe(1);
    expect(series.live('sum')!.total.calls).toBe(3);
  });

  it('expires old slots without new calls, and drops a record too late for the ring', () => {
    const { series, clock } = seriesAt();
    series.record(call(T0));
    clock.now = T0 + (RING_SECONDS + 5) * 1000;
    expect(series.series('sum', RING_SECONDS).every((point) => point.calls === 0)).toBe(true);
    series.record(call(clock.now));
    series.record(call(clock.now - RING_SECONDS * 1000)); // same slot, a second long gone
    expect(series.live('sum')!.calls).toBe(1);
  });

  it('forgets a removed function, and keeps only those still served', () => {
    const { series } = seriesAt();
    series.record(call(T0));
    series.record(call(T0, { name: 'gone' }));
    series.record(call(T0, { name: 'also-gone' }));
    series.forget('gone');
    expect(series.live('gone')).toBeUndefined();
    expect(series.series('gone', 5).every((point) => point.calls === 0)).toBe(true);
    series.retain(new Set(['sum']));
    expect(series.known()).toEqual(['sum']);
    // A function deployed again under the name starts from zero.
    series.record(call(T0, { name: 'gone' }));
    expect(series.live('gone')!.total.calls).toBe(1);
  });
});
