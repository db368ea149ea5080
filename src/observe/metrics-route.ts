/**
 * `GET /metrics` in the Prometheus text format: on the node's own port (beside the data plane, behind a
 * token when it has one), or alone on a port of its own (`nano server --metrics-port`), bound to loopback
 * unless told otherwise, for a scraper on the same host or a sidecar.
 */
import { Hono } from 'hono';
import { NanoError } from '../errors.js';
import { assertBearer } from '../server/auth.js';
import { errorResponse, internalErrorResponse } from '../server/http-errors.js';
import { listen, type Listening } from '../server/listen.js';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  /** When set, a scrape needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
}

export function addMetricsRoute(app: Hono, metrics: Metrics, options: MetricsRouteOptions = {}): void {
  const { token } = options;
  app.get(METRICS_PATH, async (c) => {
    if (token !== undefined) assertBearer(c, token);
    const text = await metrics.scrape();
    return c.body(text, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  });
}

export interface MetricsServerOptions extends MetricsRouteOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  onInternalError?: (error: unknown) => void;
}

/** /metrics alone on a socket of its own; anything else there is a 404. */
export async function serveMetrics(metrics: Metrics, options: MetricsServerOptions): Promise<Listening> {
  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof NanoError) return errorResponse(c, error);
    options.onInternalError?.(error);
    return internalErrorResponse(c);
  });
  addMetricsRoute(app, metrics, options);
  app.notFound((c) =>
    errorResponse(
      c,
      new NanoError('NotFound', `no route for ${c.req.method} ${c.req.path}`, {
        value: c.req.path,
        hint: `this port serves ${METRICS_PATH} only`,
      }),
    ),
  );
  return listen(app, { port: options.port, host: options.host ?? '127.0.0.1' });
}
