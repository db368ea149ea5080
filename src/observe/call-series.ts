/**
 * Calls per function and second, for the console's live figures and charts.
 *
 * Strategy: a ring of one-second slots over the last RING_SECONDS; each slot maps the functions called
 * in that second to a small record of counts and a log-scale latency histogram. `record` runs once per
 * invocation (tens of thousands a second on the hot path), so it allocates nothing once a function has a
 * record in the current second: records of a slot that rolls over go back to a pool and are reused.
 * Memory follows the functions actually called in the last minutes, never the functions deployed.
 * Percentiles come from the buckets (each twice as wide as the one before): an estimate that lies within
 * the bounds of the bucket the exact value is in, clamped to the fastest and slowest call seen.
 */
import type { Invocation } from '../server/index.js';
import { ERROR, OVERLOADED, REJECTED, TIMEOUT, TRAP, outcomeOf } from './call-outcome.js';

/** Seconds of history kept: the chart's longest window. */
export const RING_SECONDS = 300;
/** The window of the live figures. */
export const LIVE_SECONDS = 60;
/**
 * The window of the live rate: the complete seconds just before this one. A minute's average would lag
 * a burst by a minute; the current second is still filling up.
 */
export const RATE_SECONDS = 10;
/** Upper bound of the first bucket, in ms; bucket i holds (BASE·2^(i-1), BASE·2^i], the last one everything above. */
const BASE_MS = 0.025;
/** 0.025 ms to 0.025·2^22 ms (≈ 105 s), then one bucket for slower calls. */
export const BUCKETS = 24;

/** What happened to the calls of one function in one second (or, merged, over a window). */
interface Counts {
  calls: number;
  /** Traps and other failures of the call itself (not timeouts, not refusals). */
  errors: number;
  timeouts: number;
  /** Refused with 429 (the function's concurrency limit). */
  throttled: number;
  /** Refused with 503 (the node's queue is full). */
  overloaded: number;
  coldStarts: number;
  minMs: number;
  maxMs: number;
  buckets: Uint32Array;
}

function emptyCounts(): Counts {
  return {
    calls: 0,
    errors: 0,
    timeouts: 0,
    throttled: 0,
    overloaded: 0,
    coldStarts: 0,
    minMs: Infinity,
    maxMs: 0,
    buckets: new Uint32Array(BUCKETS),
  };
}

function reset(counts: Counts): Counts {
  counts.calls = counts.errors = counts.timeouts = counts.throttled = counts.overloaded = counts.coldStarts = 0;
  counts.minMs = Infinity;
  counts.maxMs = 0;
  counts.buckets.fill(0);
  return counts;
}

function add(into: Counts, from: Counts): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.timeouts += from.timeouts;
  into.throttled += from.throttled;
  into.overloaded += from.overloaded;
  into.coldStarts += from.coldStarts;
  if (from.minMs < into.minMs) into.minMs = from.minMs;
  if (from.maxMs > into.maxMs) into.maxMs = from.maxMs;
  for (let i = 0; i < BUCKETS; i++) into.buckets[i]! += from.buckets[i]!;
}

export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log2(ms / BASE_MS)));
}

/** The range of durations bucket `index` holds, in ms (the last one is open above). */
export function bucketBounds(index: number): { lower: number; upper: number } {
  return {
    lower: index === 0 ? 0 : BASE_MS * 2 ** (index - 1),
    upper: index === BUCKETS - 1 ? Infinity : BASE_MS * 2 ** index,
  };
}

/**
 * The q-quantile (0 < q ≤ 1, nearest rank) of the durations counted in `counts`, interpolated inside
 * its bucket and clamped to the durations seen; null without calls.
 */
export function percentileOf(counts: Pick<Counts, 'buckets' | 'minMs' | 'maxMs'>, q: number): number | null {
  let total = 0;
  for (const count of counts.buckets) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let below = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const inBucket = counts.buckets[i]!;
    if (below + inBucket < rank) {
      below += inBucket;
      continue;
    }
    const { lower, upper } = bucketBounds(i);
    const top = Math.min(upper, counts.maxMs);
    // The fraction first: (0.025 * 3) / 3 is 0.025000000000000005, a hair above the bucket's top.
    const estimate = lower + (top - lower) * ((rank - below) / inBucket);
    return Math.min(top, Math.max(counts.minMs, estimate));
  }
  return counts.maxMs;
}

export interface LiveFigures {
  /** Calls per second over the last RATE_SECONDS complete seconds. */
  callsPerSec: number;
  calls: number;
  errors: number;
  timeouts: number;
  throttled: number;
  overloaded: number;
  coldStarts: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Since this process started (or the function was last forgotten). */
  total: { calls: number; errors: number; timeouts: number; throttled: number; overloaded: number; coldStarts: number };
}

/** One second of one function's chart: the second's start (epoch s), calls, errors (timeouts included), latency. */
export interface SeriesPoint {
  t: number;
  calls: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

interface Slot {
  /** The epoch second this slot holds; -1 when it never held one. */
  second: number;
  records: Map<string, Counts>;
}

export class CallSeries {
  private readonly slots: Slot[] = Array.from({ length: RING_SECONDS }, () => ({ second: -1, records: new Map() }));
  private readonly totals = new Map<string, Counts>();
  /** Records of slots that rolled over, reused so that a steady load allocates nothing. */
  private readonly pool: Counts[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** One invocation attempt (the data plane's observer): on the hot path, so no allocation once warm. */
  record(invocation: Invocation): void {
    const second = Math.floor(invocation.timeMs / 1000);
    const slot = this.slots[second % RING_SECONDS]!;
    if (slot.second !== second) {
      // A late record for a second that already left the ring is dropped; a new second takes the slot over.
      if (slot.second > second) return;
      this.recycle(slot);
      slot.second = second;
    }
    const name = invocation.name;
    let counts = slot.records.get(name);
    if (counts === undefined) {
      counts = this.pool.pop() ?? emptyCounts();
      slot.records.set(name, counts);
    }
    let total = this.totals.get(name);
    if (total === undefined) {
      total = emptyCounts();
      this.totals.set(name, total);
    }
    count(counts, invocation);
    count(total, invocation);
  }

  private recycle(slot: Slot): void {
    for (const counts of slot.records.values()) this.pool.push(reset(counts));
    slot.records.clear();
  }

  /** A removed function: its figures go, and a function deployed later under the name starts afresh. */
  forget(name: string): void {
    this.totals.delete(name);
    for (const slot of this.slots) {
      const counts = slot.records.get(name);
      if (counts === undefined) continue;
      slot.records.delete(name);
      this.pool.push(reset(counts));
    }
  }

  /** Forgets every function not in `names` (what serves now). */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.totals.keys()]) if (!names.has(name)) this.forget(name);
  }

  /** The functions with any record (for tests and sweeps). */
  known(): string[] {
    return [...this.totals.keys()];
  }

  /** The slot of `second` when it still holds that second. */
  private slotAt(second: number): Slot | undefined {
    const slot = this.slots[((second % RING_SECONDS) + RING_SECONDS) % RING_SECONDS]!;
    return slot.second === second ? slot : undefined;
  }

  /** Figures of `name` over the last `seconds` (this second included); undefined if it was never called. */
  live(name: string, seconds = LIVE_SECONDS): LiveFigures | undefined {
    const total = this.totals.get(name);
    if (total === undefined) return undefined;
    const window = emptyCounts();
    const current = Math.floor(this.now() / 1000);
    const span = Math.min(seconds, RING_SECONDS);
    let recent = 0;
    for (let second = current - span + 1; second <= current; second++) {
      const counts = this.slotAt(second)?.records.get(name);
      if (counts === undefined) continue;
      add(window, counts);
      if (second < current && second >= current - RATE_SECONDS) recent += counts.calls;
    }
    return {
      callsPerSec: recent / RATE_SECONDS,
      calls: window.calls,
      errors: window.errors,
      timeouts: window.timeouts,
      throttled: window.throttled,
      overloaded: window.overloaded,
      coldStarts: window.coldStarts,
      p50Ms: percentileOf(window, 0.5),
      p99Ms: percentileOf(window, 0.99),
      total: {
        calls: total.calls,
        errors: total.errors,
        timeouts: total.timeouts,
        throttled: total.throttled,
        overloaded: total.overloaded,
        coldStarts: total.coldStarts,
      },
    };
  }

  /** One point per second over the last `seconds` (oldest first), seconds without calls included as zeros. */
  series(name: string, seconds = LIVE_SECONDS): SeriesPoint[] {
    const current = Math.floor(this.now() / 1000);
    const span = Math.max(1, Math.min(seconds, RING_SECONDS));
    const points: SeriesPoint[] = [];
    for (let second = current - span + 1; second <= current; second++) {
      const counts = this.slotAt(second)?.records.get(name);
      points.push(
        counts === undefined
          ? { t: second, calls: 0, errors: 0, p50Ms: null, p99Ms: null }
          : {
              t: second,
              calls: counts.calls,
              errors: counts.errors + counts.timeouts,
              p50Ms: percentileOf(counts, 0.5),
              p99Ms: percentileOf(counts, 0.99),
            },
      );
    }
    return points;
  }
}

function count(counts: Counts, invocation: Invocation): void {
  counts.calls++;
  // The outcome as /metrics has it (call-outcome.ts): a bad request is the caller's, not an error.
  switch (outcomeOf(invocation)) {
    case TRAP:
    case ERROR:
      counts.errors++;
      break;
    case TIMEOUT:
      counts.timeouts++;
      break;
    case REJECTED:
      counts.throttled++;
      return;
    case OVERLOADED:
      counts.overloaded++;
      return;
    default:
      break;
  }
  if (invocation.coldStart === true) counts.coldStarts++;
  const ms = invocation.durationMs;
  if (ms < counts.minMs) counts.minMs = ms;
  if (ms > counts.maxMs) counts.maxMs = ms;
  counts.buckets[bucketOf(ms)]!++;
}
