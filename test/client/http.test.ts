/** The client's error mapping: server errors, 401s, foreign bodies and an unreachable server. */
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, HttpClient, invokeRemote, normalizeUrl } from '../../src/client/index.js';
import { NanoError } from '../../src/errors.js';
import { listen, type Listening } from '../../src/server/index.js';

const servers: Listening[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A fake platform answering in-process: no socket. */
function fakeClient(app: Hono, token?: string): ControlClient {
  return new ControlClient({
    url: 'http://fake.test',
    token,
    tokenSource: 'NANO_TOKEN',
    fetch: (request) => Promise.resolve(app.fetch(request)),
  });
}

async function failure(promise: Promise<unknown>): Promise<NanoError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NanoError);
  return error as NanoError;
}

describe('HttpClient error mapping', () => {
  it("turns the server's JSON error into a NanoError with that code, message and hint", async () => {
    const app = new Hono().get('/functions/:name', (c) =>
      c.json({ error: { code: 'FunctionNotFound', message: 'no function named "nope"', hint: 'deploy it first' } }, 404),
    );
    const error = await failure(fakeClient(app).describe('nope'));
    expect(error.code).toBe('FunctionNotFound');
    expect(error.message).toBe('no function named "nope"');
    expect(error.hint).toBe('deploy it first');
    expect(error.value).toEqual({ status: 404, code: 'FunctionNotFound' });
  });

  it('sends the bearer token, and on 401 hints at NANO_TOKEN whether it was unset or wrong', async () => {
    const seen: (string | undefined)[] = [];
    const app = new Hono().get('/functions', (c) => {
      seen.push(c.req.header('authorization'));
      return c.json({ error: { code: 'Unauthorized', message: 'missing or wrong bearer token' } }, 401);
    });
    const unset = await failure(fakeClient(app).listFunctions());
    expect(unset.code).toBe('Unauthorized');
    expect(unset.message).toBe('missing or wrong bearer token');
    expect(unset.hint).toMatch(/^set NANO_TOKEN to the token `nano server` was started with/);

    const wrong = await failure(fakeClient(app, 'guess').listFunctions());
    expect(wrong.hint).toMatch(/refused the token from NANO_TOKEN/);
    expect(seen).toEqual([undefined, 'Bearer guess']);
  });

  it('maps a 401 without a JSON body to Unauthorized too', async () => {
    const app = new Hono().get('/functions', (c) => c.text('go away', 401));
    const error = await failure(fakeClient(app).listFunctions());
    expect(error.code).toBe('Unauthorized');
    expect(error.message).toContain('401');
  });

  it('keeps the message of an error code it does not know, as RemoteError', async () => {
    const app = new Hono().get('/functions', (c) =>
      c.json({ error: { code: 'Internal', message: 'internal error in nano; see the server log' } }, 500),
    );
    const error = await failure(fakeClient(app).listFunctions());
    expect(error.code).toBe('RemoteError');
    expect(error.message).toBe('internal error in nano; see the server log (Internal, 500)');
  });

  it('reports a body that is not the contract (an HTML proxy page, non-JSON success) as RemoteError', async () => {
    const app = new Hono()
      .get('/functions', (c) => c.html('<html><body><h1>502 Bad Gateway</h1></body></html>', 502))
      .get('/functions/:name', (c) => c.text('hello'));
    const gateway = await failure(fakeClient(app).listFunctions());
    expect(gateway.code).toBe('RemoteError');
    expect(gateway.message).toBe('GET /functions answered 502: <html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(gateway.hint).toBe('is http://fake.test a nano server?');

    const notJson = await failure(fakeClient(app).describe('sum'));
    expect(notJson.code).toBe('RemoteError');
    expect(notJson.message).toContain('not JSON: hello');
  });

  it('says a URL without a control plane (like `nano dev`) is not a nano server', async () => {
    const app = new Hono().all('*', (c) => c.json({ error: { code: 'NotFound', message: 'no route for GET /functions' } }, 404));
    const error = await failure(fakeClient(app).listFunctions());
    expect(error.code).toBe('NotFound');
    expect(error.message).toBe('http://fake.test has no control plane: no route for GET /functions');
    expect(error.hint).toContain('`nano dev` serves only the data plane');
  });

  it('says when the server is unreachable, naming the URL and the reason', async () => {
    // A port that was free a moment ago: bind port 0, note it, close it.
    const server = await listen(new Hono(), { port: 0, host: '127.0.0.1' });
    await server.close();
    const client = new ControlClient({ url: server.url });
    const error = await failure(client.listFunctions());
    expect(error.code).toBe('ServerUnreachable');
    expect(error.message).toBe(`cannot reach ${server.url}: ECONNREFUSED — is \`nano server\` running?`);
  });

  it('gives up on a server that never answers, after the time limit', async () => {
    const app = new Hono().get('/functions', () => new Promise<Response>(() => {}));
    const server = await listen(app, { port: 0, host: '127.0.0.1' });
    servers.push(server);
    const client = new ControlClient({ url: server.url, timeoutMs: 200 });
    const error = await failure(client.listFunctions());
    expect(error.code).toBe('ServerUnreachable');
    expect(error.message).toBe(`${server.url} did not answer GET /functions within 0.2 s`);
  });
});

describe('invokeRemote', () => {
  const app = new Hono()
    .on(['GET', 'POST'], '/exec/:name', async (c) => {
      if (c.req.param('name') === 'stuck') {
        return c.json({ error: { code: 'FunctionTimeout', message: 'stuck exceeded its 100ms timeout' } }, 504);
      }
      const query = c.req.url.split('?')[1] ?? '';
      const body = c.req.method === 'POST' ? await c.req.text() : '';
      c.header('x-nano-duration-ms', '0.250');
      c.header('x-nano-cold-start', '1');
      c.header('x-nano-version', '3');
      return c.text(`${c.req.method} ${decodeURIComponent(query)}${body}`);
    })
    .all('*', (c) => c.text('unexpected', 500));
  const http = new HttpClient({ url: 'http://fake.test', fetch: (request) => Promise.resolve(app.fetch(request)) });

  it("sends the arguments as the seed's query string, exactly as typed, and reads the headers", async () => {
    const result = await invokeRemote(http, 'sum', { args: ['-5', '9007199254740993'] });
    expect(result).toEqual({ name: 'sum', value: 'GET -5,9007199254740993', status: 200, durationMs: 0.25, coldStart: true, version: 3 });
  });

  it('POSTs a JSON body as is', async () => {
    expect((await invokeRemote(http, 'sum', { json: '[5,2]' })).value).toBe('POST [5,2]');
  });

  it("throws the function's error with its code", async () => {
    const error = await failure(invokeRemote(http, 'stuck'));
    expect(error.code).toBe('FunctionTimeout');
    expect(error.message).toBe('stuck exceeded its 100ms timeout');
  });
});

describe('normalizeUrl', () => {
  it('drops a trailing slash and refuses what is not an http(s) URL', () => {
    expect(normalizeUrl('http://localhost:8000/', '--url')).toBe('http://localhost:8000');
    expect(normalizeUrl('HTTP://Example.COM:8000', '--url')).toBe('http://example.com:8000');
    expect(() => normalizeUrl('localhost:8000', '--url')).toThrow(/--url: "localhost:8000" is not an http\(s\) URL/);
    expect(() => normalizeUrl('not a url', '--url')).toThrow(/is not a URL/);
  });
});
