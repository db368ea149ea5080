/**
 * Issue 13, item 4: the HTTP hot path of `GET|POST /exec/<fn>`. One route matches (so Hono calls its
 * handler directly), calls the executor completes synchronously are answered in one batch per turn, and
 * every answer, error or not, carries what it carried before. A fake host: no Wasm is needed to
 * tell a synchronous call from an asynchronous one.
 */
import { describe, expect, it } from 'vitest';
import { NanoError } from '../../src/errors.js';
import type { FunctionInfo, InvokeResult, WagiRequest } from '../../src/runtime/index.js';
import { createApp, logEntryOf, RouteTable, type AppOptions, type FunctionHost, type Invocation } from '../../src/server/index.js';
import { nextRequestId } from '../../src/server/request-id.js';

const fnInfo = (name: string, abi: 'args' | 'wagi', params: string[] = []) =>
  ({ name, version: 3, abi, entry: '_start', signature: { params, results: ['i32'] }, routes: [] }) as unknown as FunctionInfo;

const FUNCTIONS: Record<string, FunctionInfo> = {
  answer: fnInfo('answer', 'args'),
  sum: fnInfo('sum', 'args', ['i32', 'i32']),
  // Its call fails: synchronously or not, as `mode` says.
  trap: fnInfo('trap', 'args'),
  items: fnInfo('items', 'wagi'),
};

const result = (value: string): InvokeResult => ({ value, durationMs: 0.25, coldStart: false, version: 3, logs: [] });

/** The executor's `call`, synchronous or not as `mode.sync` says. */
function fakeHost(mode: { sync: boolean }, wagiSeen: WagiRequest[] = []): FunctionHost {
  const call = (name: string, args: readonly unknown[] = []): InvokeResult => {
    if (name === 'trap') throw new NanoError('FunctionTrapped', 'trap trapped: unreachable', { value: name });
    return result(name === 'sum' ? String((args as number[]).reduce((a, b) => a + b, 0)) : '42');
  };
  return {
    info: (name) => FUNCTIONS[name],
    list: () => Object.values(FUNCTIONS),
    invoke: async (name, args) => call(name, args),
    call: (name, args) => {
      if (mode.sync) return call(name, args);
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => call(name, args));
    },
    invokeWagi: async (_name, request) => {
      wagiSeen.push(request);
      const stdout = new TextEncoder().encode(`content-type: text/plain\n\npath_info=${request.env.PATH_INFO}`);
      return { stdout, exitCode: 0, logs: [], durationMs: 1, coldStart: false, version: 3 };
    },
    stats: () => {
      throw new Error('not in these tests');
    },
  };
}

function serve(options: Partial<AppOptions> & { sync?: boolean } = {}) {
  const mode = { sync: options.sync ?? true };
  const invocations: Invocation[] = [];
  const wagiSeen: WagiRequest[] = [];
  const app = createApp({
    host: fakeHost(mode, wagiSeen),
    routes: new RouteTable(),
    onInvocation: (invocation) => invocations.push(invocation),
    ...options,
  });
  return { app, mode, invocations, wagiSeen };
}

/** Headers that differ between any two responses by nature. */
function stableHeaders(response: Response): Record<string, string> {
  const headers = Object.fromEntries(response.headers);
  // Both differ for every call, on an invocation of an existing function: its request id and its own span
  // (trace-context.test.ts checks the span).
  delete headers['x-nano-request-id'];
  delete headers.traceparent;
  return headers;
}

describe('the request id', () => {
  it('is the process prefix and a base-36 counter, unique across many calls', () => {
    const ids = Array.from({ length: 50_000 }, () => nextRequestId());
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-z]{8}-[0-9a-z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.split('-')[0])).size).toBe(1);
  });

  it('names each response and its log entry, differently for every call', async () => {
    const { app, invocations } = serve();
    const ids = [];
    for (let i = 0; i < 20; i += 1) ids.push((await app.request('/exec/answer')).headers.get('x-nano-request-id'));
    expect(new Set(ids).size).toBe(20);
    expect(invocations.map((entry) => entry.requestId)).toEqual(ids);
  });
});

describe('GET /exec/<fn>', () => {
  it('is the one route that matches, with or without a token and a node', () => {
    const { app } = serve({ execToken: 't', node: { id: 'n1', revision: () => 7 } });
    for (const path of ['/exec/answer', '/exec/items/extra'])
      for (const method of ['GET', 'POST', 'PUT']) expect(app.router.match(method, path)[0]).toHaveLength(1);
  });

  it('answers calls that complete synchronously together, in order, once the turn has read its requests', async () => {
    const { app } = serve();
    const settled: string[] = [];
    const answers = ['5,2', '1,1', '2,2'].map((query) =>
      Promise.resolve(app.fetch(new Request(`http://localhost/exec/sum?${query}`))).then(async (response) => {
        settled.push(query);
        return response;
      }),
    );
    // Not written one by one as each call ends (answer-batch.ts): none is out before the turn's I/O is read.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(settled).toEqual([]);
    const responses = await Promise.all(answers);
    expect(settled).toEqual(['5,2', '1,1', '2,2']);
    expect(await Promise.all(responses.map((r) => r.text()))).toEqual(['7', '2', '4']);
    expect(stableHeaders(responses[0]!)).toEqual({
      'content-type': 'text/plain; charset=UTF-8',
      'x-nano-duration-ms': '0.250',
      'x-nano-cold-start': '0',
      'x-nano-version': '3',
    });
  });

  it('answers a call that completes later with the same headers', async () => {
    const sync = await serve({ sync: true }).app.request('/exec/answer');
    const later = await serve({ sync: false }).app.request('/exec/answer');
    expect(await later.text()).toBe(await sync.text());
    expect(stableHeaders(later)).toEqual(stableHeaders(sync));
  });

  it('carries the node and the revision the call started on, in cluster mode', async () => {
    let revision = 7;
    const { app } = serve({ node: { id: 'n1', revision: () => revision++ } });
    const response = await app.request('/exec/answer');
    expect(response.headers.get('x-nano-node')).toBe('n1');
    expect(response.headers.get('x-nano-revision')).toBe('7');
  });

  it('records the time as epoch ms, formatted by whoever reads the entry', async () => {
    const { app, invocations } = serve();
    const before = Date.now();
    await app.request('/exec/answer');
    const [entry] = invocations;
    expect(entry?.timeMs).toBeGreaterThanOrEqual(before);
    const logged = logEntryOf(entry!);
    expect(logged.time).toBe(new Date(entry!.timeMs).toISOString());
    expect(Object.keys(logged)).toEqual([
      'time',
      'requestId',
      'name',
      'version',
      'status',
      'durationMs',
      'outcome',
      'lines',
      'coldStart',
      'traceId',
    ]);
  });
});

describe('errors on the hot path', () => {
  const cases: [string, number, string][] = [
    ['/exec/nope', 404, 'FunctionNotFound'],
    ['/exec/Bad_Name', 404, 'FunctionNotFound'],
    ['/exec/sum?5', 400, 'BadArguments'],
    ['/exec/trap', 500, 'FunctionTrapped'],
  ];
  for (const [path, status, code] of cases) {
    it(`answers ${path} ${status} ${code} alike whether the call throws or rejects`, async () => {
      const node = { id: 'n1', revision: () => 7 };
      const sync = serve({ sync: true, node });
      const later = serve({ sync: false, node });
      const [a, b] = [await sync.app.request(path), await later.app.request(path)];
      for (const response of [a, b]) {
        expect(response.status).toBe(status);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(response.headers.get('x-nano-node')).toBe('n1');
        expect(response.headers.get('x-nano-revision')).toBe('7');
      }
      const body = (await a.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(await b.json()).toEqual(body);
      expect(stableHeaders(a)).toEqual(stableHeaders(b));
      // An existing function's failure is named (request id) and logged; an unknown name is neither.
      const named = code !== 'FunctionNotFound';
      expect(a.headers.get('x-nano-request-id') !== null).toBe(named);
      expect(sync.invocations).toHaveLength(named ? 1 : 0);
      if (named) expect(sync.invocations[0]).toMatchObject({ status, name: path.slice(6).split('?')[0], version: 3 });
      expect(
        sync.invocations.map(({ timeMs: _t, requestId: _r, traceId: _s, trace: _c, startMs: _m, durationMs: _d, ...rest }) => rest),
      ).toEqual(
        later.invocations.map(({ timeMs: _t, requestId: _r, traceId: _s, trace: _c, startMs: _m, durationMs: _d, ...rest }) => rest),
      );
    });
  }

  it('asks for the exec token before anything else', async () => {
    const { app, invocations } = serve({ execToken: 'secret' });
    for (const path of ['/exec/answer', '/exec/nope', '/exec/items/x', '/exec', '/sum']) {
      const response = await app.request(path);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    }
    const ok = await app.request('/exec/answer', { headers: { authorization: 'Bearer secret' } });
    expect(await ok.text()).toBe('42');
    expect(invocations).toHaveLength(1);
  });
});

describe('other requests for /exec/<fn>', () => {
  it('takes POSTed JSON arguments', async () => {
    const { app } = serve();
    for (const body of ['[5,2]', '{"args":[5,2]}']) {
      const response = await app.request('/exec/sum', { method: 'POST', body });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('7');
      expect(response.headers.get('x-nano-version')).toBe('3');
    }
    const empty = await app.request('/exec/sum?1,2', { method: 'POST' });
    expect(await empty.text()).toBe('3');
  });

  it('answers 405 with Allow for an args function on PUT, and 404 below its path', async () => {
    const { app } = serve();
    const put = await app.request('/exec/sum', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('MethodNotAllowed');
    const below = await app.request('/exec/sum/extra');
    expect(below.status).toBe(404);
    expect(((await below.json()) as { error: { code: string } }).error.code).toBe('NotFound');
  });

  it('answers HEAD like GET, without the body', async () => {
    const { app } = serve();
    const response = await app.request('/exec/answer', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-nano-version')).toBe('3');
    expect(await response.text()).toBe('');
  });

  it('serves a wagi function at /exec/<fn> with any method, and /exec/<fn>/<rest> as its PATH_INFO', async () => {
    const { app, wagiSeen } = serve();
    for (const [method, path, pathInfo] of [
      ['GET', '/exec/items', ''],
      ['PUT', '/exec/items', ''],
      ['DELETE', '/exec/items/extra', '/extra'],
      ['GET', '/exec/items/a/b%20c', '/a/b c'],
    ] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(`path_info=${pathInfo}`);
      expect(response.headers.get('x-nano-request-id')).toMatch(/^[0-9a-z]{8}-[0-9a-z]+$/);
    }
    expect(wagiSeen.map((request) => request.env.SCRIPT_NAME)).toEqual(Array(4).fill('/exec/items'));
  });
});
