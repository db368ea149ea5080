/**
 * Per-function counters and latency percentiles. Durations are the time the
 * instance ran in its worker (instantiation included, queueing excluded), which
 * is what a function is billed for: each invocation rounded up to a whole ms.
 */

export interface FunctionStats {
  /** Invocations that ran: succeeded, trapped or timed out. */
  invocations: number;
  /** Invocations that trapped or timed out. */
  errors: number;
  timeouts: number;
  coldStarts: number;
  /** Calls refused before running (concurrency limit, overloaded queue). */
  rejected: number;
  totalMs: number;
  billedMs: number;
  /** Over the most recent SAMPLE_WINDOW invocations; 0 before the first. */
  p50Ms: number;
  p99Ms: number;
  lastMs: number;
}

/** Percentiles come from a window of recent durations: bounded memory, current behaviour. */
const SAMPLE_WINDOW = 1024;
/**
 * The window starts this small and doubles up to SAMPLE_WINDOW as calls come: a node holds 10,000
 * functions, most of them idle, and a full window is 8 KiB (80 MB for 10,000 that never ran).
 */
const FIRST_WINDOW = 16;
const NO_SAMPLES = new Float64Array(0);

export type Outcome = 'ok' | 'error' | 'timeout';

export class StatsRecorder {
  private invocations = 0;
  private errors = 0;
  private timeouts = 0;
  private coldStarts = 0;
  private rejected = 0;
  private totalMs = 0;
  private billedMs = 0;
  private lastMs = 0;
  /** Grows to SAMPLE_WINDOW, then a ring: sample i is at i % SAMPLE_WINDOW. */
  private samples = NO_SAMPLES;

  record(durationMs: number, outcome: Outcome, coldStart: boolean): void {
    const ms = Math.max(0, durationMs);
    if (this.invocations === this.samples.length && this.samples.length < SAMPLE_WINDOW) {
      const grown = new Float64Array(Math.min(SAMPLE_WINDOW, Math.max(FIRST_WINDOW, this.samples.length * 2)));
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.invocations % SAMPLE_WINDOW] = ms;
    this.invocations++;
    if (outcome !== 'ok') this.errors++;
    if (outcome === 'timeout') this.timeouts++;
    if (coldStart) this.coldStarts++;
    this.totalMs += ms;
    this.billedMs += Math.max(1, Math.ceil(ms));
    this.lastMs = ms;
  }

  recordRejected(): void {
    this.rejected++;
  }

  snapshot(): FunctionStats {
    const count = Math.min(this.invocations, SAMPLE_WINDOW);
    const sorted = this.samples.slice(0, count).sort();
    return {
      invocations: this.invocations,
      errors: this.errors,
      timeouts: this.timeouts,
      coldStarts: this.coldStarts,
      rejected: this.rejected,
      totalMs: this.totalMs,
      billedMs: this.billedMs,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      lastMs: this.lastMs,
    };
  }
}

/** The figures of a function that has not run (one the runtime could not load). */
export function emptyStats(): FunctionStats {
  return new StatsRecorder().snapshot();
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}
