/**
 * The host side of the fuel check that instrumentation (src/build/instrument.ts)
 * puts at every function entry and loop header: the module decrements a
 * counter of its own and, when it runs out, calls `fuel()`, which reads the
 * clock and either throws FUEL_STOP (the call's deadline passed) or returns
 * the next allowance. One Deadline per thread: calls on a thread never overlap.
 *
 * The allowance adapts so that the clock is read about every CHECK_INTERVAL_MS
 * whatever a loop iteration costs: it is scaled by how long the last one
 * lasted, so a tight loop gets up to MAX_REFILL units between reads (a read
 * costs ~30 ns, so < 0.1 % of the time) and a loop whose every iteration does
 * a lot of work (a long unrolled body) gets few. Every call starts from a small
 * allowance, whatever the thread's previous call ran. (A bulk memory or table
 * operation reads the clock before it runs: see wasm-code.ts.)
 */
import { FUEL_IMPORT } from '../build/instrument.js';

export const FUEL_STOP: object = Object.freeze({ reason: 'nano: the call ran out of time' });

const CHECK_INTERVAL_MS = 0.05;
const MAX_REFILL = 4096;
const START_REFILL = 16;

export class Deadline {
  /** performance.now() value past which the running call is stopped; Infinity: no limit. */
  private at = Infinity;
  private lastCheck = 0;
  private refill = START_REFILL;

  /** The import the instrumented module calls: `() -> i32`. */
  readonly fuel = (): number => {
    const now = performance.now();
    if (now >= this.at) throw FUEL_STOP;
    const spent = now - this.lastCheck;
    this.lastCheck = now;
    // In proportion, so that one slow stretch does not take several reads to correct (at most doubling per read).
    const scaled = spent > 0 ? Math.floor((this.refill * CHECK_INTERVAL_MS) / spent) : MAX_REFILL;
    this.refill = Math.max(1, Math.min(MAX_REFILL, this.refill * 2, scaled));
    return this.refill;
  };

  /** Arms the deadline for the call that starts now (ms from now; Infinity for none). */
  start(now: number, limitMs: number): void {
    this.at = now + limitMs;
    this.lastCheck = now;
    this.refill = START_REFILL;
  }

  /** Disarms it once the call ended. */
  clear(): void {
    this.at = Infinity;
  }
}

/** The import object of an instrumented module: its other imports and the fuel check. */
export function withFuel(imports: WebAssembly.Imports, fuel: () => number): WebAssembly.Imports {
  return { ...imports, [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: fuel } };
}

/** True for what the fuel check throws (and nothing a module can make). */
export function isFuelStop(error: unknown): boolean {
  return error === FUEL_STOP;
}
