/**
 * Answers 400 to a connection that opens with nothing but blank lines.
 *
 * RFC 9112 §2.2 lets a server skip an empty line before a request line, and
 * llhttp skips any number of them inside the native parser, which reads the
 * socket itself: JavaScript never sees those bytes, and a client sending only
 * "\r\n" got no answer until the headers timeout. So the first bytes of each
 * connection pass through here before Node's HTTP server gets the socket
 * (once per connection, not per request): the first chunk holding a byte that
 * is not CR or LF is handed over from that byte on (the blank bytes before it
 * are dropped, as llhttp would skip them, so nothing piles up here); more than
 * one empty line's worth of CR and LF before it gets a 400.
 *
 * The headers timeout runs from the accept, not from the hand-over: a client
 * that has sent no complete request head by then gets a 408 whichever side
 * holds its socket. A client that closes its side before sending a request is
 * let go at once, as Node does.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { NanoError } from '../errors.js';
import type { ClientErrors } from './client-errors.js';
import { answerRaw, requestTimedOut, responseInFlight } from './client-guard.js';

const CR = 0x0d;
const LF = 0x0a;
/** CR and LF bytes tolerated before a request line: one empty line, "\r\n". */
const BLANK_BYTES_TOLERATED = 2;

export interface PreambleGuard {
  /** Destroys the connections that have not sent a request line yet (Node's closeAllConnections cannot see them). */
  destroyWaiting(): void;
}

export function refuseBlankPreambles(server: Server, headersTimeoutMs: number, counts: ClientErrors): PreambleGuard {
  // Node's own listener (the HTTP parser's setup) runs only once the first real byte is in.
  const handOver = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  /** Sockets not handed over yet. */
  const waiting = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    let blankBytes = 0;
    let handedOver = false;
    waiting.add(socket);
    const stopListening = () => {
      waiting.delete(socket);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
    };
    const forget = () => {
      stopListening();
      clearTimeout(timer);
    };
    const refuse = (error: NanoError, kind: 'badRequests' | 'timeouts') => {
      forget();
      // Node's own headers timeout may have answered a socket handed over to it already.
      if (socket.writableEnded || socket.destroyed) return;
      counts.count(kind);
      answerRaw(socket, error);
    };
    const onData = (chunk: Buffer) => {
      const start = chunk.findIndex((byte) => byte !== CR && byte !== LF);
      blankBytes += start < 0 ? chunk.length : start;
      if (blankBytes > BLANK_BYTES_TOLERATED) {
        refuse(
          new NanoError('RequestInvalid', 'the request starts with blank lines', {
            hint: 'send a request line (GET /exec/<name> HTTP/1.1) and headers',
          }),
          'badRequests',
        );
        return;
      }
      if (start < 0) return;
      stopListening();
      handedOver = true;
      socket.pause();
      socket.unshift(chunk.subarray(start));
      for (const listener of handOver) listener.call(server, socket);
      // Node's parser reads the socket natively from now on; the bytes put back flow to it first.
      socket.resume();
    };
    // Until Node's parser has the socket, a reset must not go unhandled.
    const onError = () => {
      forget();
      socket.destroy();
    };
    const onEnd = () => {
      forget();
      socket.destroy();
    };
    // Once handed over, a request's head is complete when Node has made its response: nothing to do
    // then (checked when the timer strikes, so that no request pays for it).
    const timer = setTimeout(() => {
      if (handedOver && (responseInFlight(socket) !== undefined || socket.bytesWritten > 0)) forget();
      else refuse(requestTimedOut(), 'timeouts');
    }, headersTimeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.once('close', forget);
  });

  return {
    destroyWaiting: () => {
      for (const socket of waiting) socket.destroy();
      waiting.clear();
    },
  };
}
