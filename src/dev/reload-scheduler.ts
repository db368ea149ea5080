/**
 * Turns a stream of file events into reloads, one at a time.
 *
 * - Debounce: a reload starts `debounceMs` after the last event of a burst (an
 *   editor's save is often several events: truncate, write, rename), but never
 *   later than `maxWaitMs` after the burst's first event, so a file that keeps
 *   changing cannot postpone reloads forever.
 * - Serialized: while a reload runs, new events only accumulate; if their
 *   debounce ends during the run, exactly one more reload follows it, with all
 *   of them. Reloads never overlap, and a storm of events costs one reload.
 * - Guarded: a reload that throws is reported through `onError`; the next
 *   event schedules the next reload as usual.
 */

/** An editor's save is a burst of events within a few ms; 100 ms covers it and stays below notice. */
export const DEFAULT_DEBOUNCE_MS = 100;

export interface ChangeBatch {
  /** Absolute paths that changed, in the order first seen. */
  paths: string[];
}

export interface ReloadSchedulerOptions {
  debounceMs: number;
  /** Upper bound on the wait after a burst's first event. Default: max(1 s, 10 × debounceMs). */
  maxWaitMs?: number;
  run(batch: ChangeBatch): Promise<void>;
  onError(error: unknown): void;
}

export class ReloadScheduler {
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private pending = new Set<string>();
  private firstPendingAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A debounce ended during a run: one more run follows it. */
  private again = false;
  private started = false;
  private closed = false;

  constructor(private readonly options: ReloadSchedulerOptions) {
    this.debounceMs = Math.max(0, options.debounceMs);
    this.maxWaitMs = Math.max(this.debounceMs, options.maxWaitMs ?? Math.max(1_000, 10 * this.debounceMs));
  }

  /** Records a changed path; before `start()` it is only kept. */
  notify(path: string): void {
    if (this.closed) return;
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.add(path);
    if (this.started) this.arm();
  }

  /** Begins reloading (events noted earlier, e.g. during the first build, are handled now). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.pending.size > 0) this.arm();
  }

  /** Resolves once no reload runs and none is due (events still debouncing count as due). */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.timer !== undefined) {
      if (this.running !== undefined) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, Math.max(1, this.debounceMs)));
    }
  }

  /** Stops scheduling and waits for a reload in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.running;
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const deadline = this.firstPendingAt + this.maxWaitMs;
    const delay = Math.max(0, Math.min(this.debounceMs, deadline - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
  }

  private flush(): void {
    if (this.closed || this.pending.size === 0) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const batch = { paths: [...this.pending] };
      this.pending = new Set();
      try {
        await this.options.run(batch);
      } catch (error) {
        this.guardedReport(error);
      }
    } while (this.again && !this.closed && this.pending.size > 0);
  }

  private guardedReport(error: unknown): void {
    try {
      this.options.onError(error);
    } catch {
      // Reporting failed too; the loop must survive it.
    }
  }
}
