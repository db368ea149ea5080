/**
 * The invocations of every function version, counted on the hot path for /metrics (metrics.ts turns
 * them into Prometheus series when scraped).
 *
 * Strategy: plain numbers, no prom-client, per call. A prom-client child costs ~0.6 µs per histogram
 * observe and ~0.3 µs per counter inc (measured here: each call validates and hashes its labels again),
 * ~4 % of the ~25 µs of CPU nano spends on a call; these tallies cost a map lookup and a few additions.
 * prom-client formats them at scrape time, from the totals, so no count is lost between scrapes.
 *
 * Cardinality: one tally per function version called. A version stays while it is the function's
 * current one, and for RETAIN_MS after its last call otherwise (the calls that finish after a deploy, and
 * their last scrape); a function that is no longer deployed goes at the next scrape.
 */
import type { Invocation } from '../server/index.js';
import { OUTCOMES, outcomeOf } from './call-outcome.js';

/** Upper bounds of the duration histogram, in seconds: 50 µs (a call answered on the main thread) to 30 s. */
export const DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const BOUNDS = Float64Array.from(DURATION_BUCKETS);

/** How long a version that no longer serves keeps its series after its last call: a few scrape intervals. */
export const RETAIN_MS = 5 * 60_000;

/** One function version's calls since it was first called on this node. */
export class VersionTally {
  /** Its series' labels: one object for its life, so that prom-client formats them once (tally-collectors.ts). */
  readonly labels: Readonly<{ function: string; version: string }>;
  /** Calls by outcome, indexed as OUTCOMES. */
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Calls per duration bucket, not cumulative; the last one above the highest bound. */
  readonly buckets = new Float64Array(BOUNDS.length + 1);
  /** Seconds, all calls together. */
  sum = 0;
  count = 0;
  coldStarts = 0;
  /** The time of its last call (epoch ms). */
  lastMs = 0;

  constructor(
    readonly name: string,
    readonly version: number | null,
  ) {
    this.labels = { function: name, version: version === null ? '' : String(version) };
  }
}

export class InvocationTallies {
  /** The version each function was last called at: the one nearly every call finds. */
  private readonly latest = new Map<string, VersionTally>();
  /** Every version of each function with a tally. */
  private readonly versions = new Map<string, VersionTally[]>();

  /** The data plane's observer: once per invocation. */
  record(invocation: Invocation): void {
    let tally = this.latest.get(invocation.name);
    if (tally === undefined || tally.version !== invocation.version) tally = this.switchTo(invocation.name, invocation.version);
    tally.outcomes[outcomeOf(invocation)]!++;
    const ms = invocation.durationMs;
    const seconds = ms > 0 ? ms / 1000 : 0;
    let bucket = 0;
    while (bucket < BOUNDS.length && seconds > BOUNDS[bucket]!) bucket++;
    tally.buckets[bucket]!++;
    tally.sum += seconds;
    tally.count++;
    if (invocation.coldStart === true) tally.coldStarts++;
    tally.lastMs = invocation.timeMs;
  }

  /** A call at another version than the last one: a deploy, or a call that started before it. */
  private switchTo(name: string, version: number | null): VersionTally {
    let list = this.versions.get(name);
    if (list === undefined) {
      list = [];
      this.versions.set(name, list);
    }
    let tally = list.find((candidate) => candidate.version === version);
    if (tally === undefined) {
      tally = new VersionTally(name, version);
      list.push(tally);
    }
    this.latest.set(name, tally);
    return tally;
  }

  /**
   * Before a scrape: drops the tallies of functions no longer deployed (`current` answers undefined),
   * and of versions that no longer serve and were not called for RETAIN_MS.
   */
  sweep(current: (name: string) => number | null | undefined, nowMs = Date.now()): void {
    for (const [name, list] of this.versions) {
      const serving = current(name);
      const kept = serving === undefined ? [] : list.filter((tally) => tally.version === serving || nowMs - tally.lastMs < RETAIN_MS);
      if (kept.length === list.length) continue;
      if (kept.length === 0) {
        this.versions.delete(name);
        this.latest.delete(name);
        continue;
      }
      this.versions.set(name, kept);
      const latest = this.latest.get(name);
      if (latest !== undefined && !kept.includes(latest)) this.latest.set(name, kept[kept.length - 1]!);
    }
  }

  *all(): IterableIterator<VersionTally> {
    for (const list of this.versions.values()) yield* list;
  }
}
