/**
 * The hot path's tallies and the exposition made from them, without a server: outcome labels, bucket
 * edges, which version series live how long, and the text prom-client writes, read back by a parser.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observe/metrics.js';
import { OUTCOMES, outcomeOf } from '../../src/observe/call-outcome.js';
import { DURATION_BUCKETS, InvocationTallies, RETAIN_MS } from '../../src/observe/metrics-tally.js';
import type { FunctionInfo, RuntimeHealth } from '../../src/runtime/index.js';
import type { Invocation } from '../../src/server/index.js';
import { readExposition } from './prometheus-text.js';

const NOW = 1_700_000_000_000;

function invocation(name: string, version: number, extra: Partial<Invocation> = {}): Invocation {
  return { timeMs: NOW, requestId: 'r', name, version, status: 200, durationMs: 0.2, outcome: 'ok', lines: [], ...extra };
}

const outcome = (extra: Pick<Invocation, 'outcome' | 'status'>) => OUTCOMES[outcomeOf(extra)];

describe('outcome labels', () => {
  it('tell the two refusals and the mistakes of callers apart by status', () => {
    expect(outcome({ outcome: 'ok', status: 200 })).toBe('ok');
    expect(outcome({ outcome: 'trap', status: 500 })).toBe('trap');
    expect(outcome({ outcome: 'timeout', status: 504 })).toBe('timeout');
    expect(outcome({ outcome: 'throttled', status: 429 })).toBe('rejected');
    expect(outcome({ outcome: 'throttled', status: 503 })).toBe('overloaded');
    expect(outcome({ outcome: 'error', status: 400 })).toBe('bad_request');
    expect(outcome({ outcome: 'error', status: 413 })).toBe('bad_request');
    expect(outcome({ outcome: 'error', status: 502 })).toBe('error');
  });
});

describe('tallies', () => {
  it('put a duration on a bucket bound into that bucket (le is inclusive)', () => {
    const tallies = new InvocationTallies();
    tallies.record(invocation('f', 1, { durationMs: 1 }));
    tallies.record(invocation('f', 1, { durationMs: 1.0001 }));
    tallies.record(invocation('f', 1, { durationMs: 0 }));
    tallies.record(invocation('f', 1, { durationMs: 60_000 }));
    const [tally] = [...tallies.all()];
    const at = (le: number) => tally!.buckets[DURATION_BUCKETS.indexOf(le)];
    expect(at(0.00005)).toBe(1);
    expect(at(0.001)).toBe(1);
    expect(at(0.0025)).toBe(1);
    expect(tally!.buckets[DURATION_BUCKETS.length]).toBe(1);
    expect(tally!.count).toBe(4);
    expect(tally!.sum).toBeCloseTo(60.0020001, 6);
  });

  it('keep the serving version, an old one until RETAIN_MS after its last call, and nothing of a removed function', () => {
    const tallies = new InvocationTallies();
    tallies.record(invocation('f', 1));
    tallies.record(invocation('f', 2, { timeMs: NOW + 10 }));
    // A call that started on v1 before the deploy ends after it.
    tallies.record(invocation('f', 1, { timeMs: NOW + 20 }));
    tallies.record(invocation('g', 1));
    const versions = () => [...tallies.all()].map((tally) => `${tally.name}@${tally.version}:${tally.count}`);
    expect(versions()).toEqual(['f@1:2', 'f@2:1', 'g@1:1']);

    const serving = new Map([['f', 2]]);
    tallies.sweep((name) => serving.get(name), NOW + RETAIN_MS - 1);
    expect(versions()).toEqual(['f@1:2', 'f@2:1']);
    tallies.sweep((name) => serving.get(name), NOW + 20 + RETAIN_MS);
    expect(versions()).toEqual(['f@2:1']);
    // A rollback to v1 starts its series afresh.
    tallies.record(invocation('f', 1, { timeMs: NOW + RETAIN_MS * 2 }));
    expect(versions()).toEqual(['f@2:1', 'f@1:1']);
  });
});

describe('the exposition', () => {
  const info = (name: string, version: number, concurrency: number | null): FunctionInfo =>
    ({ name, version, limits: { concurrency } }) as FunctionInfo;
  const health = { workers: { active: 2, spare: 1, stopping: 0 }, busy: 1, queued: 4, restarts: 2 } as RuntimeHealth;

  it('is what the tallies and the runtime say, read back by a Prometheus text parser', async () => {
    const metrics = createMetrics();
    metrics.attach({
      runtime: { list: () => [info('f', 2, 3), info('g', 1, null)], health: () => health, inFlight: (name) => (name === 'f' ? 2 : 0) },
      platform: { servedRevision: 12, unavailable: new Map([['h', 'refused']]) },
    });
    metrics.recordInvocation(invocation('f', 2, { coldStart: true }));
    metrics.recordInvocation(invocation('f', 2, { outcome: 'throttled', status: 429, durationMs: 0.01 }));
    metrics.recordControlAction({ action: 'deploy', result: 'failed', durationMs: 5 });
    metrics.recordControlAction({ action: 'upload', result: 'ok', durationMs: 5 });
    const parsed = readExposition(await metrics.scrape());
    expect(parsed.value('nano_invocations_total', { function: 'f', version: '2', outcome: 'ok' })).toBe(1);
    expect(parsed.value('nano_invocations_total', { function: 'f', version: '2', outcome: 'rejected' })).toBe(1);
    expect(parsed.sum('nano_invocations_total', { function: 'g' })).toBe(0);
    expect(parsed.value('nano_cold_starts_total', { function: 'f' })).toBe(1);
    expect(parsed.value('nano_invocation_duration_seconds_count', { function: 'f' })).toBe(2);
    expect(parsed.value('nano_invocation_duration_seconds_bucket', { function: 'f', le: '0.00005' })).toBe(1);
    expect(parsed.value('nano_invocation_duration_seconds_bucket', { function: 'f', le: '0.00025' })).toBe(2);
    expect(parsed.value('nano_invocation_duration_seconds_sum', { function: 'f' })).toBeCloseTo(0.00021, 9);
    expect(parsed.value('nano_invocations_in_flight', { function: 'f' })).toBe(2);
    expect(parsed.value('nano_invocations_in_flight', { function: 'g' })).toBe(0);
    expect(parsed.value('nano_concurrency_limit', { function: 'f' })).toBe(3);
    expect(parsed.select('nano_concurrency_limit', { function: 'g' })).toEqual([]);
    expect(parsed.value('nano_workers', { state: 'busy' })).toBe(1);
    expect(parsed.value('nano_workers', { state: 'idle' })).toBe(1);
    expect(parsed.value('nano_queue_depth')).toBe(4);
    expect(parsed.value('nano_worker_restarts_total')).toBe(2);
    expect(parsed.value('nano_functions', { state: 'unavailable' })).toBe(1);
    expect(parsed.value('nano_registry_revision')).toBe(12);
    expect(parsed.value('nano_deploys_total', { result: 'failed' })).toBe(1);
    // prom-client's JSON form has every label of a value in its labels, as for its own metrics.
    const json = await metrics.registry.getMetricsAsJSON();
    const histogram = json.find((family) => family.name === 'nano_invocation_duration_seconds');
    expect(histogram?.values[0]).toMatchObject({ labels: { function: 'f', version: '2', le: 0.00005 }, value: 1 });
  });

  it('of two nodes in one process keeps their series apart, and the process metrics are in both', async () => {
    const runtime = { list: () => [info('f', 1, null)], health: () => health, inFlight: () => 0 };
    const [a, b] = [createMetrics(), createMetrics()];
    a.attach({ runtime });
    b.attach({ runtime });
    a.recordInvocation(invocation('f', 1));
    const [textA, textB] = [readExposition(await a.scrape()), readExposition(await b.scrape())];
    expect(textA.value('nano_invocations_total', { function: 'f', outcome: 'ok' })).toBe(1);
    expect(textB.select('nano_invocations_total')).toEqual([]);
    expect(textA.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(textB.types.get('process_resident_memory_bytes')).toBe('gauge');
  });
});
