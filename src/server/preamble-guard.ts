/**
 * Answers 400 to a connection that opens with nothing but blank lines.
 *
 * RFC 9112 §2.2 lets a server skip an empty line or so before a request line,
 * and llhttp skips any number of them inside the native parser, which reads
 * the socket itself: JavaScript never sees those bytes, and a client sending
 * only "\r\n" got no answer until the headers timeout. So the first bytes of
 * each connection pass through here before Node's HTTP server gets the socket:
 * as soon as one byte is not CR or LF, they are handed over untouched (once
 * per connection, not per request); two blank lines or more with nothing else
 * get a 400, and a connection that sends nothing is answered 408 at the
 * headers timeout, as Node would.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { NanoError } from '../errors.js';
import type { ClientErrors } from './client-errors.js';
import { answerRaw, requestTimedOut } from './client-guard.js';

const CR = 0x0d;
const LF = 0x0a;
/** Blank lines tolerated before a request line (the RFC asks servers to skip at least one). */
const BLANK_LINES_TOLERATED = 1;

export function refuseBlankPreambles(server: Server, headersTimeoutMs: number, counts: ClientErrors): void {
  // Node's own listener (the HTTP parser's setup) runs only once the first real byte is in.
  const handOver = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    let seen: Buffer[] = [];
    let blankLines = 0;
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', done);
    };
    const refuse = (error: NanoError, kind: 'badRequests' | 'timeouts') => {
      done();
      counts.count(kind);
      answerRaw(socket, error);
    };
    const onData = (chunk: Buffer) => {
      seen.push(chunk);
      if (chunk.some((byte) => byte !== CR && byte !== LF)) {
        done();
        socket.pause();
        socket.unshift(Buffer.concat(seen));
        seen = [];
        for (const listener of handOver) listener.call(server, socket);
        // Node's parser reads the socket natively from now on; the bytes put back flow to it first.
        socket.resume();
        return;
      }
      blankLines += chunk.filter((byte) => byte === LF).length;
      if (blankLines > BLANK_LINES_TOLERATED) {
        refuse(
          new NanoError('RequestInvalid', 'the request is only blank lines', {
            hint: 'send a request line (GET /exec/<name> HTTP/1.1) and headers',
          }),
          'badRequests',
        );
      }
    };
    // Until Node's parser has the socket, a reset must not go unhandled.
    const onError = () => {
      done();
      socket.destroy();
    };
    const timer = setTimeout(() => refuse(requestTimedOut(), 'timeouts'), headersTimeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.once('close', done);
  });
}
