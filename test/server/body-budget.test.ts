/**
 * The server-wide budget of request-body bytes, on a real socket: bodies count
 * from the moment they are announced (or, chunked, as they arrive) until their
 * call settles; past the budget a request gets 503 Overloaded with Retry-After
 * before more of its body is read; a settled call or a client that leaves
 * gives its share back. A 32 KiB body limit and a 64 KiB budget: two full
 * bodies fill it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NanoError } from '../../src/errors.js';
import type { FunctionInfo, WagiResult } from '../../src/runtime/index.js';
import {
  BodyBudget,
  ClientErrors,
  createApp,
  listen,
  RouteTable,
  startPlatformServer,
  type FunctionHost,
  type Listening,
  type PlatformServer,
} from '../../src/server/index.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { destroyRawClients, parseRaw, rawConnect, until } from './raw-client.js';

const KIB = 1024;
const BODY_LIMIT = 32 * KIB;
const BUDGET = 64 * KIB;

/** A wagi call the test settles by hand: until then the server holds its body, as a queued call does. */
interface HeldCall {
  bodyBytes: number;
  settle(outcome: 'ok' | NanoError): void;
}

const OK: WagiResult = {
  stdout: new TextEncoder().encode('content-type: text/plain\n\nok'),
  exitCode: 0,
  logs: [],
  durationMs: 1,
  coldStart: false,
  version: 1,
};

interface Served {
  listening: Listening;
  budget: BodyBudget;
  calls: HeldCall[];
  counts: ClientErrors;
  internalErrors: unknown[];
}

let served: Served | undefined;
let platform: PlatformServer | undefined;

async function serve(): Promise<Served> {
  const calls: HeldCall[] = [];
  const host: FunctionHost = {
    info: (name) => (name === 'echo' ? ({ name: 'echo', version: 1, abi: 'wagi', routes: [] } as unknown as FunctionInfo) : undefined),
    list: () => [],
    invoke: () => Promise.reject(new Error('not in these tests')),
    call: () => Promise.reject(new Error('not in these tests')),
    invokeWagi: (_name, request) =>
      new Promise((resolve, reject) => {
        calls.push({ bodyBytes: request.body.length, settle: (outcome) => (outcome === 'ok' ? resolve(OK) : reject(outcome)) });
      }),
    stats: () => {
      throw new Error('not in these tests');
    },
  };
  const budget = new BodyBudget(BUDGET);
  const counts = new ClientErrors();
  const internalErrors: unknown[] = [];
  const app = createApp({
    host,
    routes: new RouteTable(),
    clientErrors: counts,
    onInternalError: (error) => internalErrors.push(error),
    maxBodyBytes: BODY_LIMIT,
    bodyBudget: budget,
  });
  const listening = await listen(app, { port: 0, host: '127.0.0.1', clientErrors: counts });
  served = { listening, budget, calls, counts, internalErrors };
  return served;
}

afterEach(async () => {
  destroyRawClients();
  for (const call of served?.calls ?? []) call.settle('ok');
  await served?.listening.close();
  served = undefined;
  await platform?.close();
  platform = undefined;
  await removeTempProjects();
});

function post(url: string, bytes: number): Promise<Response> {
  return fetch(`${url}/exec/echo`, { method: 'POST', body: new Uint8Array(bytes) });
}

async function expectOverloaded(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('1');
  const { error } = (await response.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe('Overloaded');
  expect(error.message).toContain(`${BUDGET}-byte budget (--max-body-bytes-in-flight)`);
}

const head = (framing: string) => `POST /exec/echo HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`;

describe('the budget of request bodies in flight', () => {
  it('holds bodies until their calls settle, refuses one more with 503, and takes new ones once they have', async () => {
    const { listening, budget, calls, counts, internalErrors } = await serve();
    const first = post(listening.url, BODY_LIMIT);
    const second = post(listening.url, BODY_LIMIT);
    await until(() => calls.length === 2);
    expect(budget.inFlight).toBe(BUDGET);

    await expectOverloaded(await post(listening.url, 1));
    expect(calls).toHaveLength(2);
    // A request without a body reserves nothing: it still runs with the budget full.
    const bodiless = fetch(`${listening.url}/exec/echo`);
    await until(() => calls.length === 3);
    calls[2]!.settle('ok');
    expect((await bodiless).status).toBe(200);

    // One call succeeds, one fails: both give their bodies back.
    calls[0]!.settle('ok');
    calls[1]!.settle(new NanoError('FunctionTimeout', 'echo exceeded its 5000ms timeout'));
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(504);
    await until(() => budget.inFlight === 0);

    const again = post(listening.url, BODY_LIMIT);
    await until(() => calls.length === 4);
    expect(calls[3]!.bodyBytes).toBe(BODY_LIMIT);
    calls[3]!.settle('ok');
    expect((await again).status).toBe(200);
    expect(budget.inFlight).toBe(0);
    expect(counts.snapshot().overBudget).toBe(1);
    expect(internalErrors).toEqual([]);
  }, 20_000);

  it('counts a declared length before it arrives and a chunked body as it arrives; a client that leaves gives its share back', async () => {
    const { listening, budget, counts, internalErrors } = await serve();
    // Two clients announce bodies and send 3 bytes of them: their whole lengths are held at once.
    const a = await rawConnect(listening.port);
    await a.write(`${head(`Content-Length: ${BODY_LIMIT}`)}abc`);
    const b = await rawConnect(listening.port);
    await b.write(`${head(`Content-Length: ${20 * KIB}`)}abc`);
    await until(() => budget.inFlight === 52 * KIB);

    // 16 KiB more would pass 64 KiB: refused on its headers, before a byte of its body is sent.
    const declared = await rawConnect(listening.port);
    await declared.write(head(`Content-Length: ${16 * KIB}`));
    await until(() => declared.received().includes('\r\n\r\n'));
    expect(parseRaw(declared.received())).toMatchObject({ status: 503, code: 'Overloaded' });
    expect(declared.received()).toMatch(/\r\nretry-after: 1\r\n/i);

    // A chunked body is counted chunk by chunk: 8 KiB fits, the next 8 KiB does not.
    const chunked = await rawConnect(listening.port);
    await chunked.write(`${head('Transfer-Encoding: chunked')}2000\r\n${'x'.repeat(8 * KIB)}\r\n`);
    await until(() => budget.inFlight === 60 * KIB);
    expect(chunked.received()).toBe('');
    await chunked.write(`2000\r\n${'y'.repeat(8 * KIB)}\r\n`);
    await until(() => chunked.received().includes('\r\n\r\n'));
    expect(parseRaw(chunked.received())).toMatchObject({ status: 503, code: 'Overloaded' });
    await until(() => budget.inFlight === 52 * KIB);
    expect(counts.snapshot().overBudget).toBe(2);

    // Clients that leave mid-body release what they held.
    a.socket.destroy();
    await until(() => budget.inFlight === 20 * KIB);
    b.socket.destroy();
    await until(() => budget.inFlight === 0);
    await until(() => counts.snapshot().abortedBodies === 2);
    expect(internalErrors).toEqual([]);
  }, 20_000);

  it('counts artifact uploads on a platform server, and shows the refusals in /healthz', async () => {
    platform = await startPlatformServer({
      dataDir: await tempProject(),
      port: 0,
      host: '127.0.0.1',
      maxBodyBytes: BODY_LIMIT,
      maxArtifactBytes: BODY_LIMIT,
      maxBodyBytesInFlight: BUDGET,
      executor: { poolSize: 1 },
    });
    const port = Number(new URL(platform.url).port);
    const put = (sha: string) => `PUT /artifacts/${sha} HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY_LIMIT}\r\n\r\nabc`;
    const held = [];
    for (const sha of ['a', 'b']) {
      const client = await rawConnect(port);
      await client.write(put(sha.repeat(64)));
      held.push(client);
    }
    // Only the budget refuses a third upload (each is well within the artifact limit); poll until both are held.
    const third = () => fetch(`${platform!.url}/artifacts/${'c'.repeat(64)}`, { method: 'PUT', body: new Uint8Array(BODY_LIMIT) });
    let refused = await third();
    while (refused.status !== 503) refused = await third();
    await expectOverloaded(refused);

    held[0]!.socket.destroy();
    let accepted = await third();
    while (accepted.status === 503) accepted = await third();
    // Not a valid module, but read and checked: the budget let it in.
    expect(accepted.status).not.toBe(503);
    await accepted.body?.cancel();

    const health = (await (await fetch(`${platform.url}/healthz`)).json()) as { clientErrors: { overBudget: number } };
    expect(health.clientErrors.overBudget).toBeGreaterThanOrEqual(1);
  }, 20_000);
});
