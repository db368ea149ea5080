/**
 * The graceful end of `nano server` on SIGTERM (SCALE-OUT.md §5 and §6): no
 * request that reached the node fails.
 *   1. Not ready at once (`/healthz/ready` 503), and `Connection: close` on every
 *      response, while the node keeps accepting: a load balancer needs a few
 *      probe intervals (Kubernetes: the endpoint removal too) before it stops
 *      sending, and whatever it still sends is served.
 *   2. After `delayMs`, stop accepting, end idle connections and wait for the
 *      requests in flight and the executor's calls, for at most `timeoutMs`.
 *   3. End what is left, then the executor.
 * `PlatformServer.close()` during any step ends everything at once (a second
 * Ctrl-C or SIGTERM).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Executor } from '../runtime/index.js';
import type { DrainResult } from './connection-drain.js';
import type { Listening } from './listen.js';
import type { Readiness } from './readiness.js';

export interface DrainOptions {
  /** Milliseconds the node keeps serving, not ready, before it stops accepting connections. */
  delayMs: number;
  /** Milliseconds it then waits for the requests in flight before it ends them. */
  timeoutMs: number;
  /** Called when the node stops accepting, with the number of requests then in flight. */
  onStopAccepting?: (inFlight: number) => void;
}

export interface DrainParts {
  readiness: Readiness;
  listening: Listening;
  executor: Executor;
  /** Aborted by a stop at once: the drain gives up waiting. */
  stopping: AbortSignal;
}

export async function drainServer(parts: DrainParts, options: DrainOptions): Promise<DrainResult> {
  const { readiness, listening, executor, stopping } = parts;
  readiness.draining();
  listening.closeAfterResponses();
  if (options.delayMs > 0) {
    try {
      await delay(options.delayMs, undefined, { signal: stopping });
    } catch {
      // Stopped at once: close() ends the connections and the executor itself.
      return { cutOff: listening.inFlight() };
    }
  }
  options.onStopAccepting?.(listening.inFlight());
  const result = await listening.drain(options.timeoutMs, () => executor.health().outstanding);
  await executor.close();
  return result;
}
