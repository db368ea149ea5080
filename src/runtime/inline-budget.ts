/**
 * The main-thread budget's bounds, apart from the runtime so that the CLI's
 * flag definitions can show them without loading it (inline-runner.ts uses them).
 */

/**
 * How long a call may run on the main thread before it is stopped and run again
 * on a worker. A call that would outrun it costs the event loop this much once
 * per hold period; the calls that fit are answered ~3 µs sooner each. Measured
 * in `npm run bench` (README, performance).
 */
export const DEFAULT_INLINE_BUDGET_MS = 1;
/** Beyond this the main thread would stall visibly: other requests wait for the whole budget. */
export const MAX_INLINE_BUDGET_MS = 100;
