/**
 * Every error an invocation can end in, worded once. The server maps codes to
 * statuses (404, 400, 429, 503, 500, 504); `OverloadedError` also carries the
 * Retry-After value.
 */
import { NanoError, functionNotFound as notFound } from '../errors.js';

export function functionNotFound(name: string): NanoError {
  return notFound(name, { hint: 'check the name, or deploy the function first' });
}

export function functionTimeout(name: string, timeoutMs: number): NanoError {
  return new NanoError('FunctionTimeout', `${name} exceeded its ${timeoutMs}ms timeout`, {
    value: timeoutMs,
    hint: 'raise `timeout` for this function in nano.yml, or make it finish sooner',
  });
}

export function functionTrapped(name: string, trap: string): NanoError {
  return new NanoError('FunctionTrapped', `${name} trapped: ${trap}`, { value: trap });
}

export function concurrencyLimit(name: string, limit: number): NanoError {
  return new NanoError('ConcurrencyLimit', `${name} is already running ${limit} instance${limit === 1 ? '' : 's'}, its concurrency limit`, {
    value: limit,
    hint: 'retry shortly, or raise `concurrency` for this function in nano.yml',
  });
}

/** The queue is full (or the executor is shutting down): come back in `retryAfterSeconds`. */
export class OverloadedError extends NanoError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('Overloaded', message, { value: retryAfterSeconds, hint: `retry in ${retryAfterSeconds}s` });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function deployRefused(name: string, reason: string): NanoError {
  return new NanoError('BuildFailed', `${name} cannot be deployed: ${reason}`, { value: name });
}

/** Lines a failed call logged before it failed travel on its error (`logLines(error)` reads them). */
export function withLogs(error: NanoError, logs: string[] | undefined): NanoError {
  if (logs !== undefined && logs.length > 0) Object.defineProperty(error, LOG_LINES, { value: logs });
  return error;
}

const LOG_LINES = Symbol('nano.logLines');

/** The lines a failed invocation logged before it failed, if any. */
export function logLinesOf(error: unknown): string[] {
  const lines = (error as { [LOG_LINES]?: unknown } | null)?.[LOG_LINES];
  return Array.isArray(lines) ? (lines as string[]) : [];
}

/** A thrown value as the trap message callers see (the same on the main thread and in a worker). */
export function thrownText(error: unknown): string {
  if (error instanceof WebAssembly.RuntimeError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
