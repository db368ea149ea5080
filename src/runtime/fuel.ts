/**
 * The host side of the fuel check that instrumentation (src/build/instrument.ts)
 * puts at every function entry and loop header: the module decrements a
 * counter of its own and, when it runs out, calls `fuel()`, which reads the
 * clock and either throws FUEL_STOP (the call's deadline passed) or returns
 * the next allowance. One Deadline per thread: calls on a thread never overlap.
 *
 * The allowance adapts so that the clock is read about every CHECK_INTERVAL_MS
 * whatever a loop iteration costs: a tight loop gets up to MAX_REFILL units
 * between reads (a read costs ~30 ns, so < 0.1 % of the time), a loop whose
 * every iteration does a lot of work (a bulk memory.fill, a long unrolled
 * body) gets fewer, so a deadline is noticed soon after it passes.
 */
export const FUEL_STOP: object = Object.freeze({ reason: 'nano: the call ran out of time' });

const CHECK_INTERVAL_MS = 0.05;
const MAX_REFILL = 4096;

export class Deadline {
  /** performance.now() value past which the running call is stopped; Infinity: no limit. */
  private at = Infinity;
  private lastCheck = 0;
  private refill = 256;

  /** The import the instrumented module calls: `() -> i32`. */
  readonly fuel = (): number => {
    const now = performance.now();
    if (now >= this.at) throw FUEL_STOP;
    const spent = now - this.lastCheck;
    this.lastCheck = now;
    this.refill = spent > CHECK_INTERVAL_MS ? Math.max(1, this.refill >>> 2) : Math.min(MAX_REFILL, this.refill * 2);
    return this.refill;
  };

  /** Arms the deadline for the call that starts now (ms from now; Infinity for none). */
  start(now: number, limitMs: number): void {
    this.at = now + limitMs;
    this.lastCheck = now;
  }

  /** Disarms it once the call ended. */
  clear(): void {
    this.at = Infinity;
  }
}

/** True for what the fuel check throws (and nothing a module can make). */
export function isFuelStop(error: unknown): boolean {
  return error === FUEL_STOP;
}
