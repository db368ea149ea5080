/**
 * How an invocation ended, in the words of /metrics (`outcome` label) and the console's figures alike:
 * one rule for both. The log's `throttled` is two refusals (429 the function's limit, 503 the node's
 * queue), and its `error` a bad request (4xx, the caller's) or a failure (5xx).
 */
import type { Invocation } from '../server/index.js';

/** The outcome label's values, in tally order. */
export const OUTCOMES = ['ok', 'trap', 'timeout', 'rejected', 'overloaded', 'bad_request', 'error'] as const;
export type CallOutcome = (typeof OUTCOMES)[number];

export const OK = 0;
export const TRAP = 1;
export const TIMEOUT = 2;
export const REJECTED = 3;
export const OVERLOADED = 4;
export const BAD_REQUEST = 5;
export const ERROR = 6;

/**
 * The outcome label of an invocation. The log's `throttled` is two refusals, told apart by the status:
 * 429 the function's concurrency limit, 503 the node's full queue.
 */
export function outcomeOf(invocation: Pick<Invocation, 'outcome' | 'status'>): number {
  switch (invocation.outcome) {
    case 'ok':
      return OK;
    case 'trap':
      return TRAP;
    case 'timeout':
      return TIMEOUT;
    default: {
      const { status } = invocation;
      if (status === 429) return REJECTED;
      if (status === 503) return OVERLOADED;
      return status >= 400 && status < 500 ? BAD_REQUEST : ERROR;
    }
  }
}
