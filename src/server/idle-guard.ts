/**
 * Closes a connection that sits between requests for longer than a client
 * could need to start the next one. Node's keep-alive timer restarts on every
 * byte read, and llhttp skips blank lines before a request line without
 * starting the headers timeout, so a client sending "\r\n" now and then would
 * otherwise hold its connection (and a slot under maxConnections) forever.
 *
 * A connection is idle from its accept and from the end of each response until
 * the next request's headers are complete. A well-behaved client either starts
 * a request within the keep-alive timeout and completes its headers within the
 * headers timeout, or is closed by Node; so an idle spell longer than both
 * together is never a real client, and the sweep destroys it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientErrors } from './client-errors.js';
import { sweepIntervalMs, type ConnectionLimits } from './limits.js';

export function closeIdleConnections(server: Server, limits: ConnectionLimits, counts: ClientErrors): void {
  const idleSince = new Map<Socket, number>();
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    idleSince.set(socket, performance.now());
    socket.once('close', () => {
      idleSince.delete(socket);
      inFlight.delete(socket);
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const { socket } = request;
    idleSince.delete(socket);
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    // 'close' comes after a response is sent and after one that was cut short; pipelined requests
    // keep the connection busy until the last of them is answered.
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (left === 0 && !socket.destroyed) idleSince.set(socket, performance.now());
    });
  });
  const bound = limits.keepAliveTimeoutMs + limits.headersTimeoutMs;
  const sweep = setInterval(() => {
    const cutoff = performance.now() - bound;
    for (const [socket, since] of idleSince) {
      if (since < cutoff) {
        idleSince.delete(socket);
        counts.count('timeouts');
        socket.destroy();
      }
    }
  }, sweepIntervalMs(bound));
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}
