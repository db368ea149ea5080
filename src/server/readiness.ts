/**
 * Readiness, apart from liveness: `/healthz` answers 200 while the process
 * lives (a liveness probe that failed would restart it), `/healthz/ready`
 * answers 200 only while the node wants traffic. A load balancer or a
 * Kubernetes readiness probe reads the status: 503 `NotReady` (with
 * Retry-After) while the node starts and from the first moment of a drain, so
 * it stops sending before the node stops accepting (drain.ts).
 *
 * One state, changed in one direction: starting → ready → draining.
 */
import type { Hono } from 'hono';
import { NanoError } from '../errors.js';
import { DEFAULT_MAX_LAG_MS } from './limits.js';

export type ReadinessState = 'starting' | 'ready' | 'lagging' | 'draining';

export interface ReadinessOptions {
  /** Milliseconds the node has known of a newer revision than it serves (a shared registry); 0 when up to date. */
  lagMs?: () => number;
  maxLagMs?: number;
  /** What a 503 says while starting, when not a node loading its registry (`nano dev` building). */
  starting?: { why: string; hint: string };
}

export class Readiness {
  #state: Exclude<ReadinessState, 'lagging'>;

  constructor(
    private readonly options: ReadinessOptions = {},
    state: Exclude<ReadinessState, 'lagging'> = 'starting',
  ) {
    this.#state = state;
  }

  /** A ready node that lags the store turns `lagging` (not ready), and ready again once it has caught up. */
  get state(): ReadinessState {
    const { lagMs, maxLagMs = DEFAULT_MAX_LAG_MS } = this.options;
    if (this.#state === 'ready' && lagMs !== undefined && lagMs() > maxLagMs) return 'lagging';
    return this.#state;
  }

  get startingReason(): ReadinessOptions['starting'] {
    return this.options.starting;
  }

  /** The node serves what it holds; a draining node never turns ready again. */
  ready(): void {
    if (this.#state === 'starting') this.#state = 'ready';
  }

  draining(): void {
    this.#state = 'draining';
  }
}

const WHY: Record<Exclude<ReadinessState, 'ready'>, string> = {
  starting: 'the node is starting: it has not loaded the registry yet',
  lagging: 'the node lags the registry: it knows of a newer revision than it serves, and has not applied it yet',
  draining: 'the node is draining: it finishes the requests in flight, then stops',
};

/**
 * GET /healthz/ready. Without a Readiness the node is ready as long as it answers. `nano dev` passes
 * one that turns ready once its first build is loaded: after that it loads builds under a socket that
 * stays up, and a failed build keeps the last good one.
 */
export function addReadinessRoute(app: Hono, readiness: Readiness | undefined): void {
  app.get('/healthz/ready', (c) => {
    const state = readiness?.state ?? 'ready';
    if (state === 'ready') return c.json({ status: 'ready' });
    const own = state === 'starting' ? readiness?.startingReason : undefined;
    throw new NanoError('NotReady', own?.why ?? WHY[state], {
      value: state,
      hint: own?.hint ?? 'send the request to another node; a load balancer reads this route to know where',
    });
  });
}
