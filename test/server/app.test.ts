import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../helpers/build.js';
import { removeTempProjects, writeFiles, yml } from '../helpers/project.js';
import { serveExamples, type ServedProject } from '../helpers/serve.js';

const EXTRA_FUNCTIONS = {
  'functions/noop.wat': '(module (func (export "_start")))',
  'functions/trap.wat': '(module (func (export "_start") (result i32) unreachable))',
  'functions/div.wat': '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))',
  'functions/spin.wat': '(module (func (export "_start") (loop $l (br $l))))',
};

const EXAMPLES_PLUS = yml(
  'service: demo',
  'functions:',
  '  answer: { source: functions/answer.wat }',
  '  sum: { source: functions/sum.wat, http: { method: GET, path: /sum } }',
  '  stuck: { source: functions/stuck.wat, timeout: 100ms }',
  '  noop: { source: functions/noop.wat }',
  '  trap: { source: functions/trap.wat }',
  '  div: { source: functions/div.wat, http: [{ method: POST, path: /api/div }] }',
  '  single: { source: functions/spin.wat, timeout: 300ms, concurrency: 1 }',
);

let served: ServedProject | undefined;

async function serve(options?: Parameters<typeof serveExamples>[1]): Promise<ServedProject> {
  served = await serveExamples({ ...EXTRA_FUNCTIONS, 'nano.yml': EXAMPLES_PLUS }, options);
  return served;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

afterEach(async () => {
  await served?.close();
  served = undefined;
  await removeTempProjects();
});

describe('/exec/:name', () => {
  it('answers the seed form ?5,2 with the result as text/plain and the nano headers', async () => {
    const { app } = await serve();
    const first = await app.request('/exec/sum?5,2');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await first.text()).toBe('7');
    expect(first.headers.get('x-nano-cold-start')).toBe('1');
    expect(first.headers.get('x-nano-version')).toBe('1');
    expect(Number(first.headers.get('x-nano-duration-ms'))).toBeGreaterThanOrEqual(0);

    const second = await app.request('/exec/sum?-5,2');
    expect(await second.text()).toBe('-3');
    expect(second.headers.get('x-nano-cold-start')).toBe('0');
  });

  it('takes POSTed JSON arguments as an array or as {"args": [...]}', async () => {
    const { app } = await serve();
    const post = (body: string) => app.request('/exec/sum', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(await (await post('[5,2]')).text()).toBe('7');
    expect(await (await post('{"args":[40,2]}')).text()).toBe('42');
  });

  it('refuses an argument body above the limit with 413, counting a chunked body as it streams', async () => {
    const { app } = await serve();
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        // 1 MiB in 64 KiB chunks, no Content-Length: the server must stop reading at its limit.
        if (sent >= 1024 * 1024) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const response = await app.request('/exec/sum', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('PayloadTooLarge');
    const declared = await app.request('/exec/sum', { method: 'POST', body: ' '.repeat(70_000), headers: { 'content-length': '70000' } });
    expect(declared.status).toBe(413);
  });

  it('decodes the query exactly once', async () => {
    const { app } = await serve();
    expect(await (await app.request('/exec/sum?5%2C2')).text()).toBe('7');
    // %252C decodes to the text "%2C", not to a comma: a single argument that is not a number.
    expect((await app.request('/exec/sum?5%252C2')).status).toBe(400);
  });

  it('wraps i32 results as Wasm does', async () => {
    const { app } = await serve();
    expect(await (await app.request('/exec/sum?2147483647,1')).text()).toBe('-2147483648');
  });

  it('answers a void entry with 200 and an empty body', async () => {
    const { app } = await serve();
    const response = await app.request('/exec/noop');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('refuses a wrong count, a non-number and malformed JSON with 400 naming the signature', async () => {
    const { app } = await serve();
    const few = await app.request('/exec/sum?5');
    expect(few.status).toBe(400);
    expect(await errorOf(few)).toMatchObject({ code: 'BadArguments', message: 'sum expects 2 arguments, got 1: sum(i32, i32) -> i32' });

    const word = await app.request('/exec/sum?5,two');
    expect(word.status).toBe(400);
    expect((await errorOf(word)).message).toContain('sum(i32, i32) -> i32');

    const json = await app.request('/exec/sum', { method: 'POST', body: '[5,' });
    expect(json.status).toBe(400);
    const error = await errorOf(json);
    expect(error.code).toBe('BadArguments');
    expect(error.message).toContain('not valid JSON');
    expect(error.message).toContain('sum(i32, i32) -> i32');
  });

  it('answers 404 for unknown and malformed names without looking anything up', async () => {
    const { app } = await serve();
    for (const name of ['nope', 'Sum', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'a'.repeat(64), 'constructor', '__proto__']) {
      const response = await app.request(`/exec/${name}`);
      expect(response.status, name).toBe(404);
      // `%2e%2e` is normalised away by URL parsing before routing: a plain NotFound.
      expect((await errorOf(response)).code, name).toMatch(/^(Function)?NotFound$/);
    }
  });

  it('answers a trap with 500 FunctionTrapped and the trap message, and keeps serving', async () => {
    const { app } = await serve();
    const trapped = await app.request('/exec/trap');
    expect(trapped.status).toBe(500);
    const error = await errorOf(trapped);
    expect(error.code).toBe('FunctionTrapped');
    expect(error.message).toMatch(/unreachable/);

    const divided = await app.request('/exec/div?1,0');
    expect(divided.status).toBe(500);
    expect((await errorOf(divided)).message).toMatch(/divide by zero/);

    expect(await (await app.request('/exec/answer')).text()).toBe('42');
  });

  it('answers 504 FunctionTimeout past the limit while other calls keep being answered', async () => {
    const { app } = await serve();
    const stuck = app.request('/exec/stuck');
    const answers = await Promise.all(Array.from({ length: 5 }, async () => (await app.request('/exec/answer')).text()));
    expect(answers).toEqual(['42', '42', '42', '42', '42']);
    const timedOut = await stuck;
    expect(timedOut.status).toBe(504);
    expect(await errorOf(timedOut)).toMatchObject({ code: 'FunctionTimeout', message: 'stuck exceeded its 100ms timeout' });
    expect(await (await app.request('/exec/sum?1,1')).text()).toBe('2');
  });

  it('answers 429 at once when a function is at its concurrency limit', async () => {
    const { app } = await serve();
    const first = app.request('/exec/single');
    // Let the first call be admitted before the second arrives.
    await new Promise((resolve) => setImmediate(resolve));
    const second = await app.request('/exec/single');
    expect(second.status).toBe(429);
    expect((await errorOf(second)).code).toBe('ConcurrencyLimit');
    expect((await first).status).toBe(504);
  });

  it('answers 503 Overloaded with Retry-After when the queue is full', async () => {
    const { app } = await serve({ poolSize: 1, queueLimit: 1 });
    const responses = await Promise.all(Array.from({ length: 4 }, () => app.request('/exec/stuck')));
    const overloaded = responses.filter((response) => response.status === 503);
    expect(overloaded.length).toBeGreaterThan(0);
    expect(Number(overloaded[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await errorOf(overloaded[0]!)).code).toBe('Overloaded');
    expect(responses.filter((response) => response.status === 504).length).toBeGreaterThan(0);
  });
});

describe("functions' own routes", () => {
  it('serves a function at its http route, with the method it declares', async () => {
    const { app } = await serve();
    expect(await (await app.request('/sum?1,2')).text()).toBe('3');
    expect(await (await app.request('/sum/?1,2')).text()).toBe('3');
    const divided = await app.request('/api/div', { method: 'POST', body: '[9,3]' });
    expect(await divided.text()).toBe('3');
    // The path is served, not for this method: 405 with the methods it takes (RFC 9110 §15.5.6).
    const wrongMethod = await app.request('/api/div');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await errorOf(wrongMethod)).toMatchObject({ code: 'MethodNotAllowed', message: '/api/div does not take GET, only POST' });
  });

  it('answers 405 with Allow for a method no route of the path takes, and 404 where no route has the path', async () => {
    const { app } = await serve();
    const deleted = await app.request('/sum', { method: 'DELETE' });
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get('allow')).toBe('GET, HEAD');
    const put = await app.request('/exec/sum', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await errorOf(put)).code).toBe('MethodNotAllowed');
    // Below /exec/<name> of a function that takes arguments, and a path no route has: still 404.
    expect((await app.request('/exec/sum/more', { method: 'PUT' })).status).toBe(404);
    expect((await app.request('/nothing', { method: 'DELETE' })).status).toBe(404);
  });

  it('swaps routes and versions when a new build is loaded', async () => {
    const served = await serve();
    await writeFiles(served.dir, {
      'nano.yml': EXAMPLES_PLUS.replace('path: /sum', 'path: /add').replace('functions/answer.wat', 'functions/answer2.wat'),
      'functions/answer2.wat': '(module (func (export "_start") (result i32) i32.const 43))',
    });
    const rebuilt = await build(served.dir);
    await served.loader.load(rebuilt);
    expect((await served.app.request('/sum?1,2')).status).toBe(404);
    expect(await (await served.app.request('/add?1,2')).text()).toBe('3');
    const answer = await served.app.request('/exec/answer');
    expect(await answer.text()).toBe('43');
    expect(answer.headers.get('x-nano-version')).toBe('2');
  });

  it('answers 404 JSON for a path nobody serves', async () => {
    const { app } = await serve();
    const response = await app.request('/nothing/here');
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: 'NotFound', message: 'no route for GET /nothing/here' });
  });
});

describe('/stats/:name and /healthz', () => {
  it('answers the seed text by default and JSON on Accept: application/json', async () => {
    const { app } = await serve();
    await app.request('/exec/sum?1,2');
    await app.request('/exec/sum?3,4');
    await app.request('/exec/sum?3');
    const text = await (await app.request('/stats/sum')).text();
    expect(text).toMatch(/^execution time: \d+ms\nnumber of requests: 2$/);

    const json = (await (await app.request('/stats/sum', { headers: { accept: 'application/json' } })).json()) as Record<string, number>;
    expect(json).toMatchObject({ invocations: 2, errors: 0, timeouts: 0, coldStarts: 1 });
    // Billed time rounds each invocation up to a whole millisecond.
    expect(json.billedMs).toBeGreaterThanOrEqual(2);
    expect(json.billedMs).toBeGreaterThanOrEqual(json.totalMs!);
    for (const key of ['totalMs', 'p50Ms', 'p99Ms']) expect(typeof json[key]).toBe('number');
  });

  it('counts timeouts and errors', async () => {
    const { app } = await serve();
    await app.request('/exec/stuck');
    await app.request('/exec/trap');
    const stuck = (await (await app.request('/stats/stuck', { headers: { accept: 'application/json' } })).json()) as Record<string, number>;
    expect(stuck).toMatchObject({ invocations: 1, timeouts: 1, errors: 1 });
    const trap = (await (await app.request('/stats/trap', { headers: { accept: 'application/json' } })).json()) as Record<string, number>;
    expect(trap).toMatchObject({ invocations: 1, errors: 1, timeouts: 0 });
  });

  it('answers 404 for the stats of an unknown function, and ok on /healthz', async () => {
    const { app } = await serve();
    expect((await app.request('/stats/nope')).status).toBe(404);
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', functions: 7 });
  });
});
