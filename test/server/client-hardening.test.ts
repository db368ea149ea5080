/**
 * Issue 10 (hardening), on a real socket: clients that cut their body short,
 * send malformed requests, CONNECT, blank lines or headers a line at a time,
 * or open more connections than the cap. None of them is an internal error;
 * each is answered where the socket allows, closed, and counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionInfo } from '../../src/runtime/index.js';
import {
  ClientErrors,
  createApp,
  listen,
  RouteTable,
  type ConnectionLimits,
  type FunctionHost,
  type Listening,
} from '../../src/server/index.js';
import { destroyRawClients, parseRaw, rawConnect, until } from './raw-client.js';

/** One function, `sum`: enough for POST /exec/sum to read a body; no test here gets as far as running it. */
const host: FunctionHost = {
  info: (name) => (name === 'sum' ? ({ name: 'sum', version: 1, abi: 'core', routes: [] } as unknown as FunctionInfo) : undefined),
  list: () => [],
  invoke: () => Promise.reject(new Error('not in these tests')),
  call: () => Promise.reject(new Error('not in these tests')),
  invokeWagi: () => Promise.reject(new Error('not in these tests')),
  stats: () => {
    throw new Error('not in these tests');
  },
};

interface Served {
  listening: Listening;
  internalErrors: unknown[];
  counts: ClientErrors;
}

let served: Served | undefined;

async function serve(limits: Partial<ConnectionLimits> = {}): Promise<Served> {
  const internalErrors: unknown[] = [];
  const counts = new ClientErrors();
  const app = createApp({ host, routes: new RouteTable(), clientErrors: counts, onInternalError: (error) => internalErrors.push(error) });
  const listening = await listen(app, { port: 0, host: '127.0.0.1', limits, clientErrors: counts });
  served = { listening, internalErrors, counts };
  return served;
}

/** Waits until the cut-off body is counted, or reported as an internal error (the bug this guards against). */
async function untilCounted(counts: ClientErrors, internalErrors: unknown[]): Promise<void> {
  await until(() => counts.snapshot().abortedBodies > 0 || internalErrors.length > 0);
  expect(internalErrors).toEqual([]);
  expect(counts.snapshot().abortedBodies).toBe(1);
}

/** The server still answers a well-formed request. */
async function stillServes(listening: Listening): Promise<void> {
  const response = await fetch(`${listening.url}/healthz`);
  expect(response.status).toBe(200);
  await response.body?.cancel();
}

afterEach(async () => {
  destroyRawClients();
  await served?.listening.close();
  served = undefined;
});

const POST_HEAD = 'POST /exec/sum HTTP/1.1\r\nHost: x\r\n';

describe('a body the client cuts short', () => {
  it('is no internal error when the client disconnects after 3 of 1000 bytes: counted, not logged', async () => {
    const { listening, internalErrors, counts } = await serve();
    const client = await rawConnect(listening.port);
    await client.write(`${POST_HEAD}Content-Length: 1000\r\n\r\nabc`);
    client.socket.destroy();
    await client.closed;
    await untilCounted(counts, internalErrors);
    await stillServes(listening);
  });

  it('answers 400 when the client half-closes mid-body, and logs nothing', async () => {
    const { listening, internalErrors, counts } = await serve();
    const client = await rawConnect(listening.port);
    await client.write(`${POST_HEAD}Content-Length: 1000\r\n\r\nabc`);
    client.socket.end();
    const answer = parseRaw(await client.closed);
    expect(answer).toMatchObject({ status: 400, code: 'RequestInvalid', closes: true });
    await untilCounted(counts, internalErrors);
  });

  it.each([
    ['a chunk size that is not hex', 'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n'],
    ['a chunk longer than its size', 'Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX\r\n'],
    ['Transfer-Encoding: gzip (not chunked last)', 'Transfer-Encoding: gzip\r\n\r\nabc'],
    ['TE: gzip and a cut-off body', 'TE: gzip\r\nContent-Length: 1000\r\n\r\nabc'],
  ])('answers %s with a 400 (or a close), never an internal error', async (_name, rest) => {
    const { listening, internalErrors, counts } = await serve();
    const client = await rawConnect(listening.port);
    await client.write(`${POST_HEAD}${rest}`);
    // The last case is well-formed so far: the client leaving is what cuts it.
    if (rest.startsWith('TE:')) client.socket.end();
    const answer = parseRaw(await client.closed);
    expect(answer).toMatchObject({ status: 400, code: 'RequestInvalid', closes: true });
    await untilCounted(counts, internalErrors);
    expect(counts.snapshot().badRequests).toBe(1);
    await stillServes(listening);
  });
});

describe('requests Node would leave unanswered', () => {
  it('answers CONNECT with a JSON 400 and closes', async () => {
    const { listening, counts } = await serve();
    const client = await rawConnect(listening.port);
    await client.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const raw = await client.closed;
    expect(parseRaw(raw)).toEqual({ status: 400, code: 'RequestInvalid', closes: true });
    expect(raw).toContain('CONNECT is not supported');
    expect(counts.snapshot().badRequests).toBe(1);
    await stillServes(listening);
  });

  it('answers a request made only of blank lines with a 400 at once, not at the headers timeout', async () => {
    // An hour of headers timeout: only an answer to the blank lines themselves ends this test.
    const { listening, counts } = await serve({ headersTimeoutMs: 3_600_000, requestTimeoutMs: 3_600_000 });
    const client = await rawConnect(listening.port);
    await client.write('\r\n\r\n\r\n\r\n');
    expect(parseRaw(await client.closed)).toEqual({ status: 400, code: 'RequestInvalid', closes: true });
    expect(counts.snapshot().badRequests).toBe(1);
    await stillServes(listening);
  }, 20_000);

  it('still serves a request after one blank line, pipelined requests, and a connection that sends nothing gets 408', async () => {
    const { listening, counts } = await serve({ headersTimeoutMs: 300 });
    const client = await rawConnect(listening.port);
    await client.write('\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await client.closed).match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    const silent = await rawConnect(listening.port);
    expect(parseRaw(await silent.closed)).toEqual({ status: 408, code: 'RequestTimeout', closes: true });
    expect(counts.snapshot().timeouts).toBe(1);
  }, 20_000);
});

describe('the first bytes of a connection', () => {
  // An hour of headers timeout: only the behaviour under test ends each of these.
  const PATIENT = { headersTimeoutMs: 3_600_000, requestTimeoutMs: 3_600_000 };

  it('survives clients that reset the connection right after blank lines or a CONNECT', async () => {
    const { listening } = await serve(PATIENT);
    for (let round = 0; round < 40; round++) {
      const client = await rawConnect(listening.port);
      await client.write(round % 2 === 0 ? '\r\n\r\n\r\n' : 'CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n');
      client.socket.resetAndDestroy();
      await client.closed;
    }
    await stillServes(listening);
  }, 20_000);

  it('refuses bare CRs as blank lines, holding none of them', async () => {
    const { listening, counts } = await serve(PATIENT);
    const client = await rawConnect(listening.port);
    await client.write('\r'.repeat(64 * 1024));
    expect(parseRaw(await client.closed)).toMatchObject({ status: 400, code: 'RequestInvalid' });
    expect(counts.snapshot().badRequests).toBe(1);
  }, 20_000);

  it('lets a client that closes its side before any request go at once', async () => {
    const { listening, counts } = await serve(PATIENT);
    const client = await rawConnect(listening.port);
    client.socket.end('\r\n');
    expect(await client.closed).toBe('');
    expect(counts.snapshot()).toMatchObject({ timeouts: 0, badRequests: 0 });
  }, 20_000);

  it('closes the server at once while a client that has sent nothing is connected', async () => {
    const { listening } = await serve(PATIENT);
    const silent = await rawConnect(listening.port);
    await listening.close();
    served = undefined;
    await silent.closed;
  }, 20_000);
});

describe('slow clients and the connection cap', () => {
  it('keeps a kept-alive connection that makes a request now and then, for longer than the idle bound', async () => {
    const { listening, counts } = await serve({ keepAliveTimeoutMs: 200, headersTimeoutMs: 200 });
    const client = await rawConnect(listening.port);
    // 12 requests 100 ms apart: 1.2 s of use, three times the 400 ms an idle connection may last.
    for (let i = 1; i <= 12; i++) {
      await client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => (client.received().match(/HTTP\/1\.1 200/g) ?? []).length === i);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(client.socket.destroyed).toBe(false);
    expect(counts.snapshot().timeouts).toBe(0);
  }, 20_000);

  it('closes a kept-alive connection that sends blank lines between requests forever', async () => {
    const { listening, counts } = await serve({ keepAliveTimeoutMs: 200, headersTimeoutMs: 200 });
    const client = await rawConnect(listening.port);
    await client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => client.received().includes('"status"'));
    // Each CRLF restarts Node's keep-alive timer and starts no request: only the idle guard ends this.
    const drip = setInterval(() => client.socket.write('\r\n'), 50);
    try {
      await client.closed;
    } finally {
      clearInterval(drip);
    }
    expect(counts.snapshot().timeouts).toBe(1);
    await stillServes(listening);
  }, 20_000);

  it('closes a client sending its headers a line at a time once the headers timeout passes', async () => {
    const { listening, counts } = await serve({ headersTimeoutMs: 300 });
    const client = await rawConnect(listening.port);
    await client.write('GET /healthz HTTP/1.1\r\n');
    const drip = setInterval(() => client.socket.write('X-Slow: 1\r\n'), 50);
    try {
      expect(parseRaw(await client.closed)).toEqual({ status: 408, code: 'RequestTimeout', closes: true });
    } finally {
      clearInterval(drip);
    }
    expect(counts.snapshot().timeouts).toBe(1);
    await stillServes(listening);
  }, 20_000);

  it('closes a client whose body trickles in past the request timeout, without an internal error', async () => {
    const { listening, counts, internalErrors } = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const client = await rawConnect(listening.port);
    await client.write(`${POST_HEAD}Content-Length: 1000\r\n\r\n`);
    const drip = setInterval(() => client.socket.write('a'), 50);
    try {
      expect(parseRaw(await client.closed)).toMatchObject({ status: 408, code: 'RequestTimeout' });
    } finally {
      clearInterval(drip);
    }
    await untilCounted(counts, internalErrors);
  }, 20_000);

  it('refuses connection N+1 over the cap, and takes new ones once one closes', async () => {
    const { listening, counts } = await serve({ maxConnections: 4 });
    // Each of the four gets an answer, so the server has surely accepted it before the fifth comes.
    const held = [];
    for (let i = 0; i < 4; i++) {
      const client = await rawConnect(listening.port);
      await client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => client.received().includes('"status"'));
      held.push(client);
    }
    const fifth = await rawConnect(listening.port);
    expect(await fifth.closed).toBe('');
    expect(counts.snapshot().refusedConnections).toBe(1);

    const first = held[0]!;
    first.socket.destroy();
    await first.closed;
    // The server learns of the close on its own schedule: poll until a new connection gets through.
    let answered = false;
    while (!answered) {
      const client = await rawConnect(listening.port);
      await client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      answered = parseRaw(await client.closed).status === 200;
    }
  }, 20_000);
});
