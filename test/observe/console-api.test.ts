/**
 * The console's server side over a real socket: login and session cookie, the CSRF header, the JSON API
 * (overview, series, versions, rollback, invoke, logs as SSE), its refusals, and the static files.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../src/server/control-action.js';
import { removeTempProjects } from '../helpers/project.js';
import { SUM_WAT } from '../helpers/wat.js';
import {
  EXEC_TOKEN,
  UNBUILDABLE_SUM_WAT,
  startConsoleDev,
  startConsoleServer,
  TOKEN,
  type ConsoleDev,
  type ConsoleServer,
} from './console-server.js';

let target: ConsoleServer;
let cookie: string;

const post = { 'x-nano-console': '1', 'content-type': 'application/json' };

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${target.url}/_nano/${path}`, { ...init, headers: { cookie, ...init.headers } });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Polls until `check` holds (SSE and the series answer as soon as the calls are recorded). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  target = await startConsoleServer({ execToken: true });
  const login = await fetch(`${target.url}/_nano/login`, { method: 'POST', headers: post, body: JSON.stringify({ token: TOKEN }) });
  expect(login.status).toBe(200);
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
});

afterAll(async () => {
  await target?.server.close();
  await removeTempProjects();
});

describe('login (nano server with a token)', () => {
  it('refuses a wrong token with 401 and sets no cookie, and reports the refused login', async () => {
    const before = target.actions.length;
    const response = await fetch(`${target.url}/_nano/login`, { method: 'POST', headers: post, body: JSON.stringify({ token: 'nope' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect((await json<{ error: { code: string } }>(response)).error.code).toBe('Unauthorized');
    expect(target.actions.slice(before)).toEqual([expect.objectContaining({ action: 'login', result: 'refused' })]);
    // A wrong token is a typo of the real one or another secret: not even its fingerprint is kept.
    expect(target.actions.at(-1)?.by).toBeUndefined();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie scoped to /_nano for the right token', async () => {
    const response = await fetch(`${target.url}/_nano/login`, {
      method: 'POST',
      headers: { 'x-nano-console': '1', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }),
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^nano_console=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/_nano/);
    expect(setCookie).not.toContain(TOKEN);
  });

  it('keeps the API closed without a session, open with the session or the bearer token', async () => {
    expect((await fetch(`${target.url}/_nano/api/overview`)).status).toBe(401);
    expect((await fetch(`${target.url}/_nano/api/overview`, { headers: { cookie: 'nano_console=forged' } })).status).toBe(401);
    expect((await api('api/overview')).status).toBe(200);
    expect((await fetch(`${target.url}/_nano/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(await json(await fetch(`${target.url}/_nano/session`))).toEqual({ loginRequired: true, authenticated: false });
  });

  it('refuses a POST without the x-nano-console header (CSRF), even with a session', async () => {
    const response = await api('api/functions/sum/rollback', { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
    expect((await json<{ error: { message: string } }>(response)).error.message).toContain('x-nano-console');
  });

  it('ends the session at logout', async () => {
    const login = await fetch(`${target.url}/_nano/login`, { method: 'POST', headers: post, body: JSON.stringify({ token: TOKEN }) });
    const own = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${target.url}/_nano/logout`, { method: 'POST', headers: { ...post, cookie: own } })).status).toBe(200);
    expect((await fetch(`${target.url}/_nano/api/overview`, { headers: { cookie: own } })).status).toBe(401);
  });
});

describe('the API', () => {
  it('lists the functions with version, abi, limits, routes and live figures that follow the calls', async () => {
    const overview = await json<{
      mode: string;
      node: { revision: number };
      functions: { name: string; version: number; abi: string; routes: unknown[] }[];
    }>(await api('api/overview'));
    expect(overview.mode).toBe('server');
    expect(overview.node.revision).toBeGreaterThan(0);
    expect(overview.functions.map((fn) => [fn.name, fn.abi])).toEqual([
      ['items', 'wagi'],
      ['sum', 'args'],
      ['trap', 'args'],
    ]);
    expect(overview.functions[1]).toMatchObject({ version: 2, routes: [{ method: 'GET', path: '/sum' }] });

    for (let i = 0; i < 5; i++)
      expect((await fetch(`${target.url}/exec/sum`, { headers: { authorization: `Bearer ${EXEC_TOKEN}` } })).status).toBe(200);
    const series = await until(
      async () =>
        json<{ live: { calls: number; p50Ms: number }; points: { calls: number }[] }>(await api('api/functions/sum/series?seconds=30')),
      (value) => (value.live?.calls ?? 0) >= 5,
    );
    expect(series.live.calls).toBeGreaterThanOrEqual(5);
    expect(series.live.p50Ms).toBeGreaterThanOrEqual(0);
    expect(series.points).toHaveLength(30);
    expect(series.points.reduce((sum, point) => sum + point.calls, 0)).toBe(series.live.calls);
  });

  it('answers 404 for an unknown function and 400 for a window out of bounds', async () => {
    const missing = await api('api/functions/nope/series');
    expect(missing.status).toBe(404);
    expect((await json<{ error: { code: string } }>(missing)).error.code).toBe('FunctionNotFound');
    expect((await api('api/functions/sum/series?seconds=5000')).status).toBe(400);
    expect((await api('api/nothing-here')).status).toBe(404);
  });

  it('rolls back as `nano rollback` does: the served version changes, and it is a control action', async () => {
    const versions = await json<{ current: number; versions: { version: number }[] }>(await api('api/functions/sum/versions'));
    expect(versions.current).toBe(2);
    expect(versions.versions.map((v) => v.version)).toEqual([2, 1]);

    for (const to of ['one', true, 0, 1.5, [1]]) {
      const bad = await api('api/functions/sum/rollback', { method: 'POST', headers: post, body: JSON.stringify({ to }) });
      expect(bad.status, JSON.stringify(to)).toBe(400);
    }
    expect((await api('api/functions/sum/rollback', { method: 'POST', headers: post, body: JSON.stringify({ to: 9 }) })).status).toBe(404);

    const before = target.actions.length;
    const done = await api('api/functions/sum/rollback', { method: 'POST', headers: post, body: JSON.stringify({ to: 1 }) });
    expect(await json(done)).toMatchObject({ name: 'sum', from: 2, version: 1 });
    const call = await fetch(`${target.url}/exec/sum`, { headers: { authorization: `Bearer ${EXEC_TOKEN}` } });
    expect(call.headers.get('x-nano-version')).toBe('1');
    expect(await call.text()).toBe('1');
    // A session carries no token of its own: the action names the token it logged in with, by fingerprint.
    expect(target.actions.slice(before)).toContainEqual(
      expect.objectContaining({ action: 'rollback', target: 'sum', result: 'ok', by: tokenFingerprint(TOKEN) }),
    );
    // Back to v2 for the tests after this one.
    await api('api/functions/sum/rollback', { method: 'POST', headers: post, body: JSON.stringify({ to: 2 }) });
  });

  it('invokes an args function with the exec token, and a wagi function with method, path and body', async () => {
    const answer = await json<{ status: number; headers: Record<string, string>; body: string }>(
      await api('api/functions/sum/invoke', { method: 'POST', headers: post, body: JSON.stringify({ args: '' }) }),
    );
    expect(answer).toMatchObject({ status: 200, body: '2' });
    expect(answer.headers['x-nano-version']).toBe('2');

    const wrongArgs = await json<{ status: number }>(
      await api('api/functions/sum/invoke', { method: 'POST', headers: post, body: JSON.stringify({ args: '1, 2, 3' }) }),
    );
    expect(wrongArgs.status).toBe(400);

    const created = await json<{ status: number; body: string }>(
      await api('api/functions/items/invoke', {
        method: 'POST',
        headers: post,
        body: JSON.stringify({ method: 'POST', path: '', body: 'hello' }),
      }),
    );
    expect(created).toMatchObject({ status: 201, body: '{"received":5}\n' });
    const item = await json<{ status: number; body: string }>(
      await api('api/functions/items/invoke', { method: 'POST', headers: post, body: JSON.stringify({ method: 'GET', path: '/7' }) }),
    );
    expect(item).toMatchObject({ status: 200, body: '{"id":"7"}\n' });
  });

  it('refuses an invoke path that leaves /exec/<name>, and a method the form does not send', async () => {
    for (const path of ['/../../_nano/api/overview', '/%2e%2e/%2e%2e/healthz']) {
      const response = await api('api/functions/items/invoke', {
        method: 'POST',
        headers: post,
        body: JSON.stringify({ method: 'GET', path }),
      });
      expect(response.status, path).toBe(400);
    }
    const method = await api('api/functions/items/invoke', { method: 'POST', headers: post, body: JSON.stringify({ method: 'TRACE' }) });
    expect(method.status).toBe(400);
  });

  it('streams the log as server-sent events: the last entries, then a new one live', async () => {
    const controller = new AbortController();
    const response = await api('api/functions/sum/logs', { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    const read = async (check: (text: string) => boolean) => {
      while (!check(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await read((seen) => seen.includes('event: log'));
    const call = await fetch(`${target.url}/exec/sum`, { headers: { authorization: `Bearer ${EXEC_TOKEN}` } });
    const requestId = call.headers.get('x-nano-request-id')!;
    await read((seen) => seen.includes(requestId));
    controller.abort();
    expect(text).toContain(`"requestId":"${requestId}"`);
  });
});

describe('the page and its files', () => {
  it('serves the page without caching, with a content security policy, and its files as immutable', async () => {
    const page = await fetch(`${target.url}/_nano/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const base = /src="(\/_nano\/assets\/[0-9a-f]{12})\/app\.js"/.exec(html)![1]!;
    const app = await fetch(`${target.url}${base}/app.js`);
    expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(app.headers.get('cache-control')).toContain('immutable');
    const css = await fetch(`${target.url}${base}/uPlot.min.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves only its own files: another name, an old hash or a path outside answer 404', async () => {
    const html = await (await fetch(`${target.url}/_nano/`)).text();
    const base = /src="(\/_nano\/assets\/[0-9a-f]{12})\/app\.js"/.exec(html)![1]!;
    for (const path of [
      `${base}/package.json`,
      '/_nano/assets/000000000000/app.js',
      `${base}/..%2f..%2fpackage.json`,
      `${base}/%2e%2e%2fapp.js`,
    ]) {
      expect((await fetch(`${target.url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('nano dev', () => {
  let dev: ConsoleDev;
  beforeAll(async () => {
    dev = await startConsoleDev(UNBUILDABLE_SUM_WAT);
  });
  afterAll(async () => {
    await dev?.session.close();
  });

  it('answers requests addressed to localhost only, as a page that rebinds its host name to 127.0.0.1 would send others', async () => {
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${dev.url}/_nano/api/overview`, { headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject).end();
      });
    const port = new URL(dev.url).port;
    expect(await statusFor(`evil.example:${port}`)).toBe(401);
    expect(await statusFor(`192.168.1.20:${port}`)).toBe(401);
    expect(await statusFor(`localhost:${port}`)).toBe(200);
    expect(await statusFor(`127.0.0.1:${port}`)).toBe(200);
  });

  it('needs no login, and shows the build error with its location', async () => {
    expect(await json(await fetch(`${dev.url}/_nano/session`))).toEqual({ loginRequired: false, authenticated: true });
    const overview = await json<{
      mode: string;
      buildStatus: { ok: boolean; failures: { name: string; problems: { file: string; line: number }[] }[] };
    }>(await fetch(`${dev.url}/_nano/api/overview`));
    expect(overview.mode).toBe('dev');
    expect(overview.buildStatus.ok).toBe(false);
    expect(overview.buildStatus.failures[0]).toMatchObject({
      name: 'sum',
      problems: [expect.objectContaining({ file: 'sum.wat', line: 1 })],
    });
  });

  it('clears the error after a good save, and has no versions to roll back to', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dev.dir}/sum.wat`, SUM_WAT);
    const overview = await until(
      async () => json<{ buildStatus: { ok: boolean }; functions: { name: string }[] }>(await fetch(`${dev.url}/_nano/api/overview`)),
      (value) => value.buildStatus.ok,
    );
    expect(overview.buildStatus.ok).toBe(true);
    expect(overview.functions.map((fn) => fn.name)).toEqual(['sum']);
    expect((await fetch(`${dev.url}/_nano/api/functions/sum/versions`)).status).toBe(404);
  });
});
