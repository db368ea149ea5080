/**
 * HTTP/1.1 spoken by hand over node:net, so that a fuzz input can be anything a
 * socket can carry: wrong Content-Length, broken chunks, CONNECT, junk request
 * lines. `exchange()` sends the bytes and reads one response (skipping 1xx),
 * with a deadline; a request that is incomplete on purpose gets a short grace
 * period and then our end of the socket is closed, as a client that gives up.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The status line and headers as they came. */
  head: string;
}

export interface Exchange {
  response?: RawResponse;
  /** The server closed the connection (with or without answering). */
  closed: boolean;
  /** Nothing came back before the deadline. */
  timedOut: boolean;
  /** The whole request reached the socket (a server may refuse, and reset, before a large body is sent). */
  written: boolean;
  error?: string;
}

export interface ExchangeOptions {
  /** HEAD: a response has no body whatever its headers say. */
  head?: boolean;
  /** The request is incomplete on purpose: after `graceMs` without an answer, close our end. */
  incomplete?: boolean;
  graceMs?: number;
  deadlineMs?: number;
}

/** Tries to cut one complete response off the front of `data`; undefined while more is needed. */
function parseResponse(data: Buffer, closed: boolean, head: boolean): RawResponse | undefined {
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end < 0) return undefined;
    const headText = data.subarray(offset, end).toString('latin1');
    const [statusLine = '', ...lines] = headText.split('\r\n');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      offset = bodyStart;
      continue;
    }
    const rest = data.subarray(bodyStart);
    const done = (body: Buffer): RawResponse => ({ status, headers, body, head: headText });
    if (head || status === 204 || status === 304) return done(Buffer.alloc(0));
    if ((headers['content-type'] ?? '').includes('text/event-stream')) return done(Buffer.alloc(0));
    if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const body = dechunk(rest);
      if (body) return done(body);
      return closed ? done(rest) : undefined;
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length >= length) return done(rest.subarray(0, length));
      return closed ? done(rest) : undefined;
    }
    return closed ? done(rest) : undefined;
  }
}

function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Sends `request` to 127.0.0.1:`port` and reads one response. */
export function exchange(port: number, request: Buffer, options: ExchangeOptions = {}): Promise<Exchange> {
  const { head = false, incomplete = false, graceMs = 150, deadlineMs = 10_000 } = options;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let closed = false;
    let settled = false;
    let written = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (result: Omit<Exchange, 'closed' | 'written'>) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ ...result, closed, written });
    };
    const tryParse = () => {
      const response = parseResponse(data, closed, head);
      if (response) finish({ response, timedOut: false });
      else if (closed) finish({ timedOut: false });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      tryParse();
    });
    socket.on('end', () => {
      closed = true;
      tryParse();
    });
    socket.on('close', () => {
      closed = true;
      tryParse();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server refused a body we were still sending: what it answered first still counts.
      closed = true;
      const response = parseResponse(data, true, head);
      finish(response ? { response, timedOut: false } : { timedOut: false, error: error.code ?? error.message });
    });
    socket.on('connect', () => {
      socket.write(request, (error) => {
        if (!error) written = true;
      });
      if (incomplete) timers.push(setTimeout(() => socket.end(), graceMs));
    });
    timers.push(setTimeout(() => finish({ timedOut: true }), deadlineMs));
  });
}
