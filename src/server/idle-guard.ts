/**
 * Closes a connection that sits between requests for longer than a client
 * could need to start the next one. Node's keep-alive timer restarts on every
 * byte read, and llhttp skips blank lines before a request line without
 * starting the headers timeout, so a client sending "\r\n" now and then would
 * otherwise hold its connection (and a slot under maxConnections) forever.
 *
 * A well-behaved client either starts a request within the keep-alive timeout
 * and completes its head within the headers timeout, or is closed by Node; so
 * a connection with no response in flight and nothing written to it for longer
 * than both together is never a real client, and the sweep destroys it. The
 * sweep reads what the socket already knows (its response in flight, the bytes
 * written to it): nothing is done per request, the hot path pays nothing.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientErrors } from './client-errors.js';
import { responseInFlight } from './client-guard.js';
import { sweepIntervalMs, type ConnectionLimits } from './limits.js';

interface Watched {
  /** When the connection was last seen busy, or answered something. */
  activeAt: number;
  bytesWritten: number;
}

export function closeIdleConnections(server: Server, limits: ConnectionLimits, counts: ClientErrors): void {
  const watched = new Map<Socket, Watched>();
  server.on('connection', (socket: Socket) => {
    watched.set(socket, { activeAt: performance.now(), bytesWritten: 0 });
    socket.once('close', () => watched.delete(socket));
  });
  const bound = limits.keepAliveTimeoutMs + limits.headersTimeoutMs;
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [socket, state] of watched) {
      const written = socket.bytesWritten;
      if (responseInFlight(socket) !== undefined || written !== state.bytesWritten) {
        state.activeAt = now;
        state.bytesWritten = written;
      } else if (now - state.activeAt > bound) {
        watched.delete(socket);
        counts.count('timeouts');
        socket.destroy();
      }
    }
  }, sweepIntervalMs(bound));
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}
