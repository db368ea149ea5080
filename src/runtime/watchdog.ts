/**
 * Stops overrunning invocations: while any job is pending it looks at every
 * running one, revokes a slot whose job has passed its timeout (RUNNING →
 * REVOKED), retires the worker running it, and keeps the slot in quarantine
 * until that worker's thread has ended, so a late write from the dying thread
 * can never land in a reused slot. The dispatcher settles the revoked jobs.
 */
import {
  HDR_GUARD_MS,
  HDR_STATE,
  RUNNING_BASE,
  SLOT_REVOKED,
  TIME_START,
  clockMs,
  headerIndex,
  timeIndex,
  type SharedViews,
} from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * How often the watchdog looks at running invocations while any are pending.
 * An overrun is caught within this plus event-loop lag: well inside the 50 ms
 * the contract allows, at 100 cheap wake-ups a second only while busy.
 */
const WATCHDOG_MS = 10;
/**
 * A guarded call is interrupted by its worker right at its timeout; the
 * watchdog steps in (terminating the worker) only if that has not happened
 * this long after it, still inside the contract's 50 ms.
 */
const GUARD_GRACE_MS = 20;

export interface WatchdogOptions {
  views: SharedViews;
  workers: Pick<WorkerPool, 'running' | 'retire'>;
  /** Reads the finished slots; returns how many jobs are still queued or running. */
  collect: () => number;
  /** The timeout of the job in the slot, or undefined when the slot has none. */
  timeoutMs: (slot: number) => number | undefined;
  /** Takes the revoked slot's job off the books and settles it as timed out. */
  revoked: (slot: number, durationMs: number) => void;
}

export class Watchdog {
  private readonly options: WatchdogOptions;
  private timer: NodeJS.Timeout | undefined;
  /** Revoked slots per terminating worker, freed when its thread has ended. */
  private readonly quarantine = new Map<number, number[]>();

  constructor(options: WatchdogOptions) {
    this.options = options;
  }

  /** Starts looking, if not already: a job was just queued. */
  arm(): void {
    this.timer ??= setInterval(() => this.tick(), WATCHDOG_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The slots revoked from a worker whose thread has now ended: safe to reuse. */
  releaseQuarantine(workerId: number): number[] {
    const held = this.quarantine.get(workerId) ?? [];
    this.quarantine.delete(workerId);
    return held;
  }

  private tick(): void {
    // A worker terminated between flagging results and posting its message
    // would leave the flag set forever; collecting here makes that harmless.
    if (this.options.collect() === 0) {
      this.stop();
      return;
    }
    const now = clockMs();
    const { header, times } = this.options.views;
    for (const { id, slot } of this.options.workers.running()) {
      if (slot < 0) continue;
      const timeoutMs = this.options.timeoutMs(slot);
      if (timeoutMs === undefined) continue;
      const elapsed = now - (times[timeIndex(slot, TIME_START)] as number);
      // The header, not the request: guardQueued may have guarded the job after submission.
      const guarded = Atomics.load(header, headerIndex(slot, HDR_GUARD_MS)) > 0;
      if (elapsed < timeoutMs + (guarded ? GUARD_GRACE_MS : 0)) continue;
      const running = RUNNING_BASE + id;
      // Lost only if the invocation finished just now: then its result stands.
      if (Atomics.compareExchange(header, headerIndex(slot, HDR_STATE), running, SLOT_REVOKED) !== running) continue;
      const held = this.quarantine.get(id);
      if (held === undefined) this.quarantine.set(id, [slot]);
      else held.push(slot);
      this.options.workers.retire(id);
      this.options.revoked(slot, elapsed);
    }
  }
}
