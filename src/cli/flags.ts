/** Checks of numeric flags that yargs' `type: 'number'` lets through (NaN, -5, 1.5): a usage error, exit 2. */
import { UsageError } from './context.js';
import { DEFAULT_INLINE_BUDGET_MS, MAX_INLINE_BUDGET_MS } from '../runtime/inline-budget.js';

export const GIB = 1024 * 1024 * 1024;

export function checkWholeNumber(flag: string, value: number, min: number, max: number, unit = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const suffix = unit ? ` ${unit}` : '';
    throw new UsageError(`--${flag} must be a whole number${suffix} from ${min} to ${max}, got ${String(value)}`);
  }
}

/** The flags `nano dev` and `nano server` share. */
export function checkServeFlags(flags: { port: number; workers: number; 'max-body-size': number; 'inline-budget': number }): void {
  checkWholeNumber('port', flags.port, 0, 65_535);
  checkWholeNumber('workers', flags.workers, 1, 1024);
  checkWholeNumber('max-body-size', flags['max-body-size'], 1, GIB, 'of bytes');
  const budget = flags['inline-budget'];
  if (!Number.isFinite(budget) || budget < 0 || budget > MAX_INLINE_BUDGET_MS) {
    throw new UsageError(`--inline-budget must be a number of ms from 0 to ${MAX_INLINE_BUDGET_MS}, got ${String(budget)}`);
  }
}

/** `--inline-budget`, as `nano dev` and `nano server` both define it. */
export const INLINE_BUDGET_OPTION = {
  type: 'number',
  default: DEFAULT_INLINE_BUDGET_MS,
  describe:
    'How long a call may run on the main thread, in ms (fractions allowed), before it is stopped and run again on a worker; 0 runs every call on a worker',
} as const;

/**
 * `nano server --max-body-bytes-in-flight`, when given: a budget below the largest single body (a wagi
 * body or an artifact) would refuse that body with 503 forever, however long the client waited.
 */
export function checkBodyBudgetFlag(flags: {
  'max-body-bytes-in-flight'?: number;
  'max-body-size': number;
  'max-artifact-size': number;
}): void {
  const budget = flags['max-body-bytes-in-flight'];
  if (budget === undefined) return;
  checkWholeNumber('max-body-bytes-in-flight', budget, 1, 1024 * GIB, 'of bytes');
  for (const flag of ['max-body-size', 'max-artifact-size'] as const) {
    if (budget < flags[flag]) {
      throw new UsageError(
        `--max-body-bytes-in-flight (${budget} bytes) must be at least --${flag} (${flags[flag]} bytes): a body of that size could never be accepted`,
      );
    }
  }
}

const HOUR_MS = 60 * 60 * 1000;

/** `nano server`'s connection limits; a headers timeout above the request timeout could never apply. */
export function checkConnectionFlags(flags: {
  'headers-timeout': number;
  'request-timeout': number;
  'keep-alive-timeout': number;
  'max-connections': number;
}): void {
  checkWholeNumber('headers-timeout', flags['headers-timeout'], 1, HOUR_MS, 'of milliseconds');
  checkWholeNumber('request-timeout', flags['request-timeout'], 1, 24 * HOUR_MS, 'of milliseconds');
  checkWholeNumber('keep-alive-timeout', flags['keep-alive-timeout'], 1, HOUR_MS, 'of milliseconds');
  checkWholeNumber('max-connections', flags['max-connections'], 1, 1_000_000);
  if (flags['headers-timeout'] > flags['request-timeout']) {
    throw new UsageError(
      `--headers-timeout (${flags['headers-timeout']} ms) must not exceed --request-timeout (${flags['request-timeout']} ms): the headers are part of the request`,
    );
  }
}

/** `nano server`'s drain on SIGTERM; 0 is valid for both (no delay: no load balancer; no wait: stop at once). */
export function checkDrainFlags(flags: { 'drain-delay': number; 'drain-timeout': number }): void {
  checkWholeNumber('drain-delay', flags['drain-delay'], 0, HOUR_MS, 'of milliseconds');
  checkWholeNumber('drain-timeout', flags['drain-timeout'], 0, 24 * HOUR_MS, 'of milliseconds');
}

/** --converge-timeout, --max-lag and --node-id of `nano server` on a shared registry. */
export function checkClusterFlags(flags: { 'converge-timeout': number; 'max-lag': number; 'node-id'?: string }): void {
  checkWholeNumber('converge-timeout', flags['converge-timeout'], 0, HOUR_MS, 'of milliseconds');
  checkWholeNumber('max-lag', flags['max-lag'], 1, HOUR_MS, 'of milliseconds');
  const nodeId = flags['node-id'];
  if (nodeId !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(nodeId)) {
    throw new UsageError(`--node-id must be 1 to 128 letters, digits, ".", "_" or "-" (a pod name is one), got "${nodeId}"`);
  }
}
