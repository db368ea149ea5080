/**
 * Ends a server's connections without cutting a request short (SCALE-OUT.md §5,
 * "Readiness and drain"): stop accepting, end the idle keep-alive connections,
 * let each busy one finish its response with `Connection: close`, and only past
 * a deadline end whatever is left.
 *
 * What is in flight is read off the sockets (the response each one is writing,
 * as idle-guard.ts does), so tracking costs one Set entry per connection and
 * nothing per request; the drain polls that count rather than hooking every
 * response. A pipelined request queued behind another is not seen, and is cut
 * off at the end like an idle connection; clients do not pipeline in practice.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { responseInFlight } from './client-guard.js';
import type { PreambleGuard } from './preamble-guard.js';

/** How often a drain looks at what is still in flight: small beside any request worth waiting for. */
const POLL_MS = 20;

export interface DrainResult {
  /** Requests still in flight when the deadline struck (or a stop at once came), ended unfinished. */
  cutOff: number;
}

export interface ConnectionDrain {
  /** Requests whose response has not finished yet. */
  inFlight(): number;
  /**
   * From now on every response ends its connection after it: a kept-alive client opens a new one,
   * which a load balancer sends to a node that is ready, instead of finding it closed under it later.
   */
  closeAfterResponses(): void;
  /**
   * Stops accepting, ends idle connections, waits until nothing is in flight and `busy()` is 0 (work
   * outside a response, such as the executor's calls) or `timeoutMs` passes, then ends every connection.
   */
  drain(timeoutMs: number, busy?: () => number): Promise<DrainResult>;
  /** Ends every connection at once (also cuts a drain short); resolves once the server has closed. */
  closeNow(): Promise<void>;
}

function endAfterThisResponse(response: ServerResponse): void {
  // Node reads the header when it writes the head, and closes the socket after the response.
  if (!response.headersSent) response.setHeader('connection', 'close');
}

export function trackConnections(server: Server, preambles: PreambleGuard): ConnectionDrain {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let closing = false;
  let stopped = false;

  const inFlight = () => {
    let count = 0;
    for (const socket of sockets) if (responseInFlight(socket) !== undefined) count++;
    return count;
  };

  const closeAfterResponses = () => {
    if (closing) return;
    closing = true;
    // Ahead of Hono's listener: a response it answers synchronously is written before a later listener runs.
    server.prependListener('request', (_request, response: ServerResponse) => endAfterThisResponse(response));
    for (const socket of sockets) {
      const response = responseInFlight(socket) as ServerResponse | undefined;
      if (response !== undefined) endAfterThisResponse(response);
    }
  };

  const closeNow = () => {
    stopped = true;
    if (server.listening) server.close();
    server.closeAllConnections();
    // Connections that have not sent a request line yet: Node's closeAllConnections cannot see them.
    preambles.destroyWaiting();
    return closed;
  };

  return {
    inFlight,
    closeAfterResponses,
    closeNow,
    async drain(timeoutMs, busy = () => 0) {
      closeAfterResponses();
      // Stops accepting; Node ≥ 19 also ends the idle keep-alive connections here, the call below says so.
      if (server.listening) server.close();
      server.closeIdleConnections();
      const deadline = performance.now() + timeoutMs;
      while (!stopped && (inFlight() > 0 || busy() > 0) && performance.now() < deadline) await delay(POLL_MS);
      const cutOff = inFlight();
      await closeNow();
      return { cutOff };
    },
  };
}
