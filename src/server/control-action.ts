/**
 * One control-plane action as the platform reports it to its observers (the structured log and the
 * metrics): what was done, to what, by whom, and how it ended. `by` is a fingerprint of the token the
 * request carried, never the token itself.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { NanoError } from '../errors.js';
import { assertBearer, presentedToken } from './auth.js';
import { statusOf } from './http-errors.js';

export type ControlActionKind = 'deploy' | 'rollback' | 'remove' | 'upload' | 'register' | 'login' | 'unauthorized';

export type ControlActionResult = 'ok' | 'refused' | 'failed';

export interface ControlAction {
  action: ControlActionKind;
  /** The function(s) or artifact it was about, when there is one. */
  target?: string;
  result: ControlActionResult;
  /** The error code of a refusal or failure. */
  code?: string;
  /** `sha256:` and the first 12 hex digits of the token's hash; absent when the request carried none. */
  by?: string;
  /** The registry revision it made, when it made one. */
  revision?: number;
  durationMs: number;
}

export type ControlActionObserver = (action: ControlAction) => void;

/**
 * Keyed per process: a plain hash of a weak token in a log would let anyone who reads the log test
 * guesses against it offline. A fingerprint is stable while the process runs, and differs between nodes
 * and restarts.
 */
const FINGERPRINT_KEY = randomBytes(32);

/** A token as the log may name it: enough to tell the tokens this process saw apart, nothing to use or test one with. */
export function tokenFingerprint(token: string): string {
  return `hmac:${createHmac('sha256', FINGERPRINT_KEY).update(token).digest('hex').slice(0, 12)}`;
}

/** The fingerprint of the bearer token a request carried, if it carried one. */
export function presentedFingerprint(c: Context): string | undefined {
  const presented = presentedToken(c);
  return presented === undefined ? undefined : tokenFingerprint(presented);
}

/**
 * Runs one control-plane action and reports it, however it ends: ok, refused (the caller's mistake, a
 * 4xx) or failed. The error goes on to the app's error handler unchanged.
 */
export async function audited<T>(
  c: Context,
  observer: ControlActionObserver | undefined,
  what: {
    action: ControlActionKind;
    target?: string;
    /** A better name for what it was about, known from the result (a deploy's functions and versions). */
    targetOf?: (result: T) => string;
    revisionOf?: (result: T) => number | undefined;
    /** Who, when the request's own bearer token does not say (a console session: the token it logged in with). */
    by?: string;
  },
  run: () => Promise<T>,
): Promise<T> {
  if (observer === undefined) return run();
  const started = performance.now();
  const report = (result: ControlActionResult, extra: Partial<ControlAction>) => {
    try {
      observer({
        action: what.action,
        target: what.target,
        result,
        by: what.by ?? presentedFingerprint(c),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...extra,
      });
    } catch {
      // An observer's failure (a closed log stream) must not change the action's answer.
    }
  };
  try {
    const result = await run();
    report('ok', { revision: what.revisionOf?.(result), ...(what.targetOf ? { target: what.targetOf(result) } : {}) });
    return result;
  } catch (error) {
    const code = error instanceof NanoError ? error.code : undefined;
    report(code !== undefined && statusOf(code) < 500 ? 'refused' : 'failed', { code: code ?? 'InternalError' });
    throw error;
  }
}

/** Tells the observer, whose failure must not turn a refusal into a 500. */
function report(observer: ControlActionObserver | undefined, action: ControlAction): void {
  try {
    observer?.(action);
  } catch {
    // The observer is nano's (the log, the metrics): the refusal goes on as it is.
  }
}

/** The bearer-token guard of control routes, reporting every refusal as an `unauthorized` action. */
export function auditedBearer(token: string, observer: ControlActionObserver | undefined): MiddlewareHandler {
  return async (c, next) => {
    try {
      assertBearer(c, token);
    } catch (error) {
      // Who, left out: a refused token is a typo of the real one or another secret, not a name to keep.
      report(observer, {
        action: 'unauthorized',
        target: `${c.req.method} ${c.req.path}`,
        result: 'refused',
        code: 'Unauthorized',
        durationMs: 0,
      });
      throw error;
    }
    await next();
  };
}
