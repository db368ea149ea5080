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
const NAP_MS = 0.02;
/** How often a long call on a worker gives its core away for NAP_MS (see Deadline). */
export const WORKER_YIELD_EVERY_MS = 1;

/** A cell to sleep on: nothing ever notifies it, so a wait on it lasts its timeout. */
const NAP = new Int32Array(new SharedArrayBuffer(4));

export class Deadline {
  /** performance.now() value past which the running call is stopped; Infinity: no limit. */
  private at = Infinity;
  private lastCheck = 0;
  private refill = START_REFILL;
  private lastYield = 0;

  private readonly yieldEveryMs: number;
  private readonly nap: () => void;

  /**
   * `yieldEveryMs` (workers only: the main thread must never sleep): a call that runs longer gives its core
   * away for a moment (`nap`) that often. A worker runs at the lowest priority (thread-priority.ts), yet the
   * scheduler let it finish its time slice before a woken event loop ran, and that slice landed in the
   * event loop's tail latency: `node bench/run.js timeout-isolation` 2.01–2.1× without the naps, 1.55–1.59×
   * with them. A 20 µs nap every millisecond costs a long call ~2 %.
   */
  constructor(options: { yieldEveryMs?: number; nap?: () => void } = {}) {
    this.yieldEveryMs = options.yieldEveryMs ?? Infinity;
    this.nap = options.nap ?? (() => Atomics.wait(NAP, 0, 0, NAP_MS));
  }

  /** The import the instrumented module calls: `() -> i32`. */
  readonly fuel = (): number => {
    const now = performance.now();
    if (now >= this.at) throw FUEL_STOP;
    const spent = now - this.lastCheck;
    this.lastCheck = now;
    if (now - this.lastYield >= this.yieldEveryMs) {
      this.nap();
      this.lastYield = performance.now();
    }
    // In proportion, so that one slow stretch does not take several reads to correct (at most doubling per read).
    const scaled = spent > 0 ? Math.floor((this.refill * CHECK_INTERVAL_MS) / spent) : MAX_REFILL;
    this.refill = Math.max(1, Math.min(MAX_REFILL, this.refill * 2, scaled));
    return this.refill;
  };

  /** Arms the deadline for the call that starts now (ms from now; Infinity for none). */
  start(now: number, limitMs: number): void {
    this.at = now + limitMs;
    this.lastCheck = now;
    this.lastYield = now;
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
