/**
 * Puts a Hono app on a real socket with @hono/node-server. Port 0 picks a free
 * port; the URL actually bound is returned, and `close()` ends open keep-alive
 * connections too, so a stopped server never holds the process open, while
 * `drain()` lets the requests in flight finish first (connection-drain.ts). The
 * socket gets nano's connection limits and client-error answers
 * (client-guard.ts) rather than Node's defaults.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { NanoError } from '../errors.js';
import { ClientErrors } from './client-errors.js';
import { guardServer, serverOptionsOf } from './client-guard.js';
import { closeIdleConnections } from './idle-guard.js';
import { trackConnections, type ConnectionDrain } from './connection-drain.js';
import { refuseBlankPreambles } from './preamble-guard.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './limits.js';

export interface Listening {
  url: string;
  /** The node HTTP server (observers of every request listen to its `request` event). */
  server: Server;
  port: number;
  host: string;
  /** Ends every connection at once, requests in flight too. */
  close(): Promise<void>;
  /** Requests in flight, `Connection: close` from now on, and the graceful end: see connection-drain.ts. */
  inFlight: ConnectionDrain['inFlight'];
  closeAfterResponses: ConnectionDrain['closeAfterResponses'];
  drain: ConnectionDrain['drain'];
}

export interface ListenOptions {
  port: number;
  host: string;
  /** Timeouts and the connection cap; each one left out takes its default. */
  limits?: Partial<ConnectionLimits>;
  /** Where refused, timed-out and malformed requests are counted (the app counts cut-off bodies in the same one). */
  clientErrors?: ClientErrors;
}

export async function listen(app: Hono, options: ListenOptions): Promise<Listening> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: serverOptionsOf(limits) }) as Server;
  const clientErrors = options.clientErrors ?? new ClientErrors();
  guardServer(server, limits, clientErrors);
  const preambles = refuseBlankPreambles(server, limits.headersTimeoutMs, clientErrors);
  closeIdleConnections(server, limits, clientErrors);
  const connections = trackConnections(server, preambles);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE' ? 'another process uses that port: pass --port <n>, or --port 0 for any free port' : undefined;
      reject(
        new NanoError('ListenFailed', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          value: options.port,
          hint,
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    port: address.port,
    host: address.address,
    close: connections.closeNow,
    inFlight: connections.inFlight,
    closeAfterResponses: connections.closeAfterResponses,
    drain: connections.drain,
  };
}
