import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempProjects, yml } from '../helpers/project.js';
import { ECHO_WAT, ENV_WAT, LOOP_WAT, printWat } from './modules.js';
import { serveWagi, type ServedWagi } from './serve-wagi.js';

let served: ServedWagi | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  await removeTempProjects();
});

const PROJECT = yml(
  'service: wagi',
  'functions:',
  '  echo: { source: functions/echo.wat, abi: wagi, memory: 2 }',
  '  env: { source: functions/env.wat, abi: wagi, memory: 4, env: { GREETING: "hello world" }, http: { method: ANY, path: /api/items/* } }',
  '  created: { source: functions/created.wat, abi: wagi }',
  '  moved: { source: functions/moved.wat, abi: wagi }',
  '  headless: { source: functions/headless.wat, abi: wagi }',
  '  typeless: { source: functions/typeless.wat, abi: wagi }',
  '  chatty: { source: functions/chatty.wat, abi: wagi }',
  '  loop: { source: functions/loop.wat, abi: wagi, timeout: 150ms }',
  '  crash: { source: functions/crash.wat, abi: wagi }',
);

async function serve(options?: Parameters<typeof serveWagi>[1]): Promise<ServedWagi> {
  served = await serveWagi(
    {
      'nano.yml': PROJECT,
      'functions/echo.wat': ECHO_WAT,
      'functions/env.wat': ENV_WAT,
      'functions/created.wat': printWat(
        'status: 201 Created\nlocation: /items/7\ncontent-type: application/json\nx-extra: yes\n\n{"id":7}',
      ),
      'functions/moved.wat': printWat('location: https://example.com/elsewhere\n\n'),
      'functions/headless.wat': printWat('just a body, no headers'),
      'functions/typeless.wat': printWat('x-only: this\n\nbody'),
      'functions/chatty.wat': printWat('content-type: text/plain\n\nok', 'first line\nsecond line\nno newline at the end'),
      'functions/loop.wat': LOOP_WAT,
      'functions/crash.wat': printWat('content-type: text/plain\n\nhalf', 'about to fail\n', 'unreachable'),
    },
    options,
  );
  return served;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** The env module's output: argv entries and NAME=value lines. */
async function envOf(response: Response): Promise<{ args: string[]; env: Map<string, string> }> {
  const lines = (await response.text()).split('\n').filter((line) => line !== '');
  const args = lines.filter((line) => line.startsWith('arg:')).map((line) => line.slice(4));
  const env = new Map<string, string>();
  for (const line of lines.filter((l) => !l.startsWith('arg:'))) {
    const at = line.indexOf('=');
    env.set(line.slice(0, at), line.slice(at + 1));
  }
  return { args, env };
}

describe('wagi functions', () => {
  it("echo a 1 MiB binary body byte for byte, with the module's header", async () => {
    const { app } = await serve();
    const body = randomBytes(1024 * 1024);
    const response = await app.request('/exec/echo', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('nano');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-nano-version')).toBe('1');
    const echoed = Buffer.from(await response.arrayBuffer());
    expect(echoed.length).toBe(body.length);
    expect(echoed.equals(body)).toBe(true);
  });

  it('keep concurrent requests apart when more are in flight than there are payload buffers', async () => {
    const { app } = await serve({ executor: { poolSize: 1 } });
    const bodies = Array.from({ length: 40 }, (_, i) => randomBytes(100 + i * 997));
    const responses = await Promise.all(bodies.map((body) => app.request('/exec/echo', { method: 'POST', body })));
    const echoed = await Promise.all(responses.map(async (response) => Buffer.from(await response.arrayBuffer())));
    expect(responses.map((r) => r.status)).toEqual(bodies.map(() => 200));
    echoed.forEach((bytes, i) => expect(bytes.equals(bodies[i]!)).toBe(true));
  });

  it('answer any method at /exec/<fn>', async () => {
    const { app } = await serve();
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const response = await app.request('/exec/env', { method });
      expect(response.status).toBe(200);
      expect((await envOf(response)).env.get('REQUEST_METHOD')).toBe(method);
    }
  });

  it('see the method, path, query, headers and their own env vars', async () => {
    const { app } = await serve();
    const response = await app.request('http://api.test:8123/api/items/42/parts%20list?color=red&size=x%20l&flag', {
      method: 'PUT',
      body: 'abc',
      headers: { 'content-type': 'text/plain', 'x-custom-thing': 'yes', authorization: 'Bearer secret' },
    });
    expect(response.status).toBe(200);
    const { args, env } = await envOf(response);
    expect(env.get('REQUEST_METHOD')).toBe('PUT');
    expect(env.get('PATH_INFO')).toBe('/42/parts list');
    expect(env.get('X_RAW_PATH_INFO')).toBe('/42/parts%20list');
    expect(env.get('X_MATCHED_ROUTE')).toBe('/api/items/*');
    expect(env.get('SCRIPT_NAME')).toBe('/api/items');
    expect(env.get('QUERY_STRING')).toBe('color=red&size=x%20l&flag');
    expect(env.get('X_FULL_URL')).toBe('http://api.test:8123/api/items/42/parts%20list?color=red&size=x%20l&flag');
    expect(env.get('SERVER_NAME')).toBe('api.test');
    expect(env.get('SERVER_PORT')).toBe('8123');
    expect(env.get('SERVER_PROTOCOL')).toBe('HTTP/1.1');
    expect(env.get('CONTENT_TYPE')).toBe('text/plain');
    expect(env.get('CONTENT_LENGTH')).toBe('3');
    expect(env.get('HTTP_X_CUSTOM_THING')).toBe('yes');
    expect(env.has('HTTP_AUTHORIZATION')).toBe(false);
    expect(env.get('GREETING')).toBe('hello world');
    expect(args).toEqual(['/api/items', 'color=red', 'size=x l', 'flag']);
  });

  it('get PATH_INFO below /exec/<fn> too, and an empty one at the route prefix itself', async () => {
    const { app } = await serve();
    expect((await envOf(await app.request('/exec/env/a/b'))).env.get('PATH_INFO')).toBe('/a/b');
    const atPrefix = await envOf(await app.request('/api/items'));
    expect(atPrefix.env.get('PATH_INFO')).toBe('');
  });

  it('set the status and location, and pass their other headers through', async () => {
    const { app } = await serve();
    const created = await app.request('/exec/created', { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/items/7');
    expect(created.headers.get('x-extra')).toBe('yes');
    expect(await created.json()).toEqual({ id: 7 });

    const moved = await app.request('/exec/moved');
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe('https://example.com/elsewhere');
  });

  it('answer 500 saying what was wrong when stdout has no header block or no content-type', async () => {
    const { app, logs } = await serve();
    const headless = await app.request('/exec/headless');
    expect(headless.status).toBe(500);
    const error = await errorOf(headless);
    expect(error.code).toBe('BadResponse');
    expect(error.message).toBe('headless wrote an invalid CGI response: no header block (header lines followed by a blank line) on stdout');
    expect(logs.at(-1)).toMatchObject({ name: 'headless', status: 500, outcome: 'error' });

    const typeless = await app.request('/exec/typeless');
    expect(typeless.status).toBe(500);
    expect((await errorOf(typeless)).message).toMatch(/no content-type or location header/);
  });

  it('log their stderr lines', async () => {
    const { app, logs } = await serve();
    const response = await app.request('/exec/chatty');
    expect(await response.text()).toBe('ok');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      name: 'chatty',
      status: 200,
      outcome: 'ok',
      lines: ['first line', 'second line', 'no newline at the end'],
    });
  });

  it('answer 500 on a trap, keeping the stderr lines written before it in the logs', async () => {
    const { app, logs } = await serve();
    const response = await app.request('/exec/crash');
    expect(response.status).toBe(500);
    expect((await errorOf(response)).message).toBe('crash trapped: unreachable');
    expect(logs[0]).toMatchObject({ status: 500, outcome: 'trap', lines: ['about to fail', 'crash trapped: unreachable'] });
  });

  it('time out with a 504 in an infinite loop, and the pool recovers', async () => {
    const { app, executor } = await serve();
    // Workers booted and the module handed to them: what is timed below is the call alone.
    expect((await app.request('/exec/echo', { method: 'POST', body: 'warm' })).status).toBe(200);
    await expect.poll(() => executor.health().workers, { timeout: 5000 }).toMatchObject({ active: 2, spare: 1 });
    await executor.invokeWagi('loop', { args: [], env: {}, body: new Uint8Array(0) }).catch(() => undefined);
    await expect.poll(() => executor.health().workers, { timeout: 5000 }).toMatchObject({ active: 2, spare: 1 });
    const started = performance.now();
    const response = await app.request('/exec/loop', { method: 'POST', body: 'x' });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(504);
    expect((await errorOf(response)).code).toBe('FunctionTimeout');
    // Not stopped before its limit; how soon after is the bench's to measure (a loaded machine is slow).
    expect(elapsed).toBeGreaterThanOrEqual(145);
    // Back at full strength, and serving: WAGI and the others.
    await expect.poll(() => executor.health().workers, { timeout: 5000 }).toMatchObject({ active: 2, spare: 1 });
    const again = await app.request('/exec/echo', { method: 'POST', body: 'still here' });
    expect(await again.text()).toBe('still here');
    const second = await app.request('/exec/loop');
    expect(second.status).toBe(504);
  });

  it('refuse a body over the limit with 413 before it reaches the module', async () => {
    const { app, executor } = await serve({ app: { maxBodyBytes: 1024 } });
    const declared = await app.request('/exec/echo', { method: 'POST', body: 'x'.repeat(1025) });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe('PayloadTooLarge');
    // No Content-Length: counted while streaming.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(512));
        controller.close();
      },
    });
    const streamed = await app.request('/exec/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(executor.stats('echo').invocations).toBe(0);
    const fits = await app.request('/exec/echo', { method: 'POST', body: 'x'.repeat(1024) });
    expect(fits.status).toBe(200);
    expect(executor.stats('echo').invocations).toBe(1);
  });

  it('answer 500 when stdout outgrows the response limit', async () => {
    const { app } = await serve({ executor: { poolSize: 2, maxResponseBytes: 2048 } });
    const response = await app.request('/exec/echo', { method: 'POST', body: 'x'.repeat(4096) });
    expect(response.status).toBe(500);
    expect((await errorOf(response)).message).toBe('echo trapped: its response is larger than the 2048-byte limit');
    expect(await (await app.request('/exec/echo', { method: 'POST', body: 'small' })).text()).toBe('small');
  });

  it('are refused by /exec/<fn> as args calls and args functions keep their methods', async () => {
    const { executor } = await serve();
    await expect(executor.invoke('echo', [])).rejects.toMatchObject({ code: 'BadArguments' });
  });
});
