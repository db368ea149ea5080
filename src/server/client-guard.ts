/**
 * The HTTP server's defences against clients that never become a request the
 * Hono app could answer: slow or stuck senders, malformed requests, CONNECT,
 * and more connections than the server should hold. Each is answered with the
 * same JSON error body as the routes (where the socket can still take it) and
 * closed, and counted in ClientErrors; none is logged, since none is our bug.
 *
 * Blank lines never reach JavaScript once Node's parser has a socket (llhttp
 * skips them natively, as RFC 9112 §2.2 allows): preamble-guard.ts answers a
 * connection that opens with nothing else, and idle-guard.ts closes one that
 * sends them between kept-alive requests.
 */
import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { NanoError } from '../errors.js';
import type { ClientErrors } from './client-errors.js';
import { statusOf } from './http-errors.js';
import { sweepIntervalMs, type ConnectionLimits } from './limits.js';

/** The options createServer needs at construction: Node reads the checking interval only there. */
export function serverOptionsOf(limits: ConnectionLimits): ServerOptions {
  return {
    // Node refuses a headers timeout above the request timeout; headers are part of the request.
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    // Node enforces both timeouts by sweeping its connections on this interval, 30 s by default,
    // which would stretch a 10 s headers timeout to 40 s. A sweep of 1024 connections is cheap.
    connectionsCheckingInterval: sweepIntervalMs(limits.headersTimeoutMs),
  };
}

/** Writes a whole HTTP response carrying `error` straight to the socket, then closes it. */
export function answerRaw(socket: Duplex, error: NanoError): void {
  // The client may reset the connection while this is written; with no listener that would be an
  // uncaught error (Node has taken its own off a socket it hands to 'connect' or 'clientError').
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusOf(error.code);
  const body = JSON.stringify({ error: error.toJSON() });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // end() only half-closes (Node's HTTP sockets allow half-open): a client that never closes its
  // side would otherwise keep the socket, and its slot under maxConnections.
  socket.once('finish', () => socket.destroy());
}

/** The answer to a request (or its headers) that did not arrive within the timeouts. */
export function requestTimedOut(): NanoError {
  return new NanoError('RequestTimeout', 'the request did not arrive in time', {
    hint: 'send the headers, and the body, without pausing; the server closes the connection',
  });
}

/** Node's parse and timeout errors → the error a client is told, as Node's own default handler maps them. */
function errorOf(error: NodeJS.ErrnoException): NanoError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return requestTimedOut();
    case 'HPE_HEADER_OVERFLOW':
      return new NanoError('HeadersTooLarge', 'the request headers are too large', { value: error.code });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new NanoError('PayloadTooLarge', 'the chunk extensions are too large', { value: error.code });
    case 'HPE_INVALID_EOF_STATE':
      return new NanoError('RequestInvalid', 'the client closed its side of the connection in the middle of the request', {
        value: error.code,
        hint: 'send the whole request before closing',
      });
    default:
      return new NanoError('RequestInvalid', `malformed HTTP request (${error.code ?? error.message})`, {
        value: error.code,
        hint: 'send a well-formed HTTP/1.1 request',
      });
  }
}

/** The socket's response in flight, if any (Node's own clientError default looks at the same field). */
export function responseInFlight(socket: Duplex): { headersSent: boolean } | undefined {
  return (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage ?? undefined;
}

export function guardServer(server: Server, limits: ConnectionLimits, counts: ClientErrors): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Over the cap Node destroys the new socket before any byte is read; 'drop' tells us it did.
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => counts.count('refusedConnections'));

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The client reset the connection: there is no one to answer (an unfinished body is counted by read-body).
    // Or it was answered already (preamble-guard.ts's head timer can strike in the same sweep as Node's).
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || socket.writableEnded || socket.destroyed) {
      socket.destroy();
      return;
    }
    const answer = errorOf(error);
    counts.count(answer.code === 'RequestTimeout' ? 'timeouts' : 'badRequests');
    // Bytes written while a response is on its way would land inside it.
    if (responseInFlight(socket)?.headersSent) socket.destroy();
    else answerRaw(socket, answer);
  });

  // Without a listener Node closes a CONNECT's socket without a word; nano is no proxy.
  server.on('connect', (_request, socket: Duplex) => {
    counts.count('badRequests');
    answerRaw(
      socket,
      new NanoError('RequestInvalid', 'CONNECT is not supported: nano is not a proxy', {
        value: 'CONNECT',
        hint: 'call /exec/<name> or a function route with GET, POST or the method it declares',
      }),
    );
  });
}
