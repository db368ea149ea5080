/**
 * The metric families written from the invocation tallies when Prometheus scrapes: calls by outcome, cold
 * starts and the duration histogram. prom-client's Counter and Histogram take one increment or observation
 * at a time, hashing the labels each time (metrics-tally.ts says what that costs per call); these hand the
 * registry each family's values as prom-client's own metrics do, and the registry writes the exposition.
 *
 * A series' function and version labels are one object for the tally's life (`VersionTally.labels`), passed
 * as prom-client's shared labels, which the registry formats once per object: a scrape of 10,000 functions
 * writes 250,000 lines, and formatting their labels again each time was most of its cost.
 */
import type { Histogram } from 'prom-client';
import { OUTCOMES } from './call-outcome.js';
import { DURATION_BUCKETS, type InvocationTallies, type VersionTally } from './metrics-tally.js';

type Labels = Readonly<Record<string, string | number>>;

interface TallyValue {
  metricName?: string;
  labels: Labels;
  sharedLabels: Labels;
  value: number;
}

const NO_LABELS: Labels = {};
const OUTCOME_LABELS: Labels[] = OUTCOMES.map((outcome) => ({ outcome }));
const LE_LABELS: Labels[] = [...DURATION_BUCKETS.map((le) => ({ le })), { le: '+Inf' }];

/** One family, in the shape prom-client's registry reads from its own metrics. */
class TallyCollector {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly values: () => TallyValue[],
  ) {}

  /** For the exposition: the series' labels apart, as the registry caches their formatting. */
  getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: TallyValue[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() });
  }

  /** prom-client's public form (getMetricsAsJSON): every label of a value in `labels`. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Omit<TallyValue, 'sharedLabels'>[] }> {
    const family = await this.getForPromString();
    return {
      ...family,
      values: family.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } })),
    };
  }

  reset(): void {
    // The tallies are the state: a registry's resetMetrics() leaves them.
  }
}

function invocations(tallies: InvocationTallies): TallyValue[] {
  const values: TallyValue[] = [];
  for (const tally of tallies.all()) {
    for (let index = 0; index < OUTCOMES.length; index++) {
      values.push({ labels: OUTCOME_LABELS[index]!, sharedLabels: tally.labels, value: tally.outcomes[index]! });
    }
  }
  return values;
}

function coldStarts(tallies: InvocationTallies): TallyValue[] {
  return [...tallies.all()].map((tally: VersionTally) => ({ labels: NO_LABELS, sharedLabels: tally.labels, value: tally.coldStarts }));
}

function durations(name: string, tallies: InvocationTallies): TallyValue[] {
  const [bucket, sum, count] = [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  const values: TallyValue[] = [];
  for (const tally of tallies.all()) {
    const sharedLabels = tally.labels;
    let cumulative = 0;
    for (let index = 0; index < DURATION_BUCKETS.length; index++) {
      cumulative += tally.buckets[index]!;
      values.push({ metricName: bucket, labels: LE_LABELS[index]!, sharedLabels, value: cumulative });
    }
    values.push({ metricName: bucket, labels: LE_LABELS[DURATION_BUCKETS.length]!, sharedLabels, value: tally.count });
    values.push({ metricName: sum, labels: NO_LABELS, sharedLabels, value: tally.sum });
    values.push({ metricName: count, labels: NO_LABELS, sharedLabels, value: tally.count });
  }
  return values;
}

/** The three families, ready for `registry.registerMetric` (typed as a prom-client metric, which they read as). */
export function tallyCollectors(tallies: InvocationTallies): Histogram[] {
  const duration = 'nano_invocation_duration_seconds';
  const collectors = [
    new TallyCollector(
      'nano_invocations_total',
      'Calls of a function version by outcome: ok, trap, timeout, rejected (429, its concurrency limit), overloaded (503), bad_request (other 4xx), error',
      'counter',
      () => invocations(tallies),
    ),
    new TallyCollector(
      'nano_cold_starts_total',
      'Calls that found their module not compiled or not on the workers (the first call, or the first after cacheTtl)',
      'counter',
      () => coldStarts(tallies),
    ),
    new TallyCollector(
      duration,
      'Time from the call to its answer: the run on the runtime, or how long a refusal took; every call counted',
      'histogram',
      () => durations(duration, tallies),
    ),
  ];
  return collectors as unknown as Histogram[];
}
