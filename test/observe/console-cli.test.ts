/**
 * The console as the CLI serves it (the real `main`, in-process): `nano dev` prints its URL before the
 * line tools wait for and needs no login; `nano server --token` keeps it behind the login.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { serveInProcess, type ServingCli } from '../helpers/serve-in-process.js';
import { SUM_WAT } from '../helpers/wat.js';

const TOKEN = 'console-cli-token';
const running: ServingCli[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((serving) => serving.stop()));
  await removeTempProjects();
});

async function serve(argv: string[], dir: string): Promise<ServingCli> {
  const serving = await serveInProcess(argv, dir);
  running.push(serving);
  return serving;
}

describe('the console from the CLI', () => {
  it('nano dev prints the console URL before the listening line, and serves it without a login', async () => {
    const dir = await tempProject({ 'nano.yml': yml('service: demo', 'functions:', '  sum: { source: sum.wat }'), 'sum.wat': SUM_WAT });
    const dev = await serve(['dev', '--port', '0', '--workers', '1', '--no-watch'], dir);
    const lines = dev.io.out().split('\n');
    const consoleLine = lines.findIndex((line) => line === `console: ${dev.url}/_nano/`);
    expect(consoleLine).toBeGreaterThanOrEqual(0);
    expect(consoleLine).toBeLessThan(lines.findIndex((line) => line.startsWith('nano dev: listening on')));

    expect((await fetch(`${dev.url}/_nano/`)).headers.get('content-type')).toMatch(/^text\/html/);
    await fetch(`${dev.url}/exec/sum?1,2`);
    const overview = (await (await fetch(`${dev.url}/_nano/api/overview`)).json()) as {
      mode: string;
      buildStatus: { ok: boolean };
      functions: { name: string; live: { calls: number } }[];
    };
    expect(overview).toMatchObject({ mode: 'dev', buildStatus: { ok: true } });
    expect(overview.functions).toEqual([expect.objectContaining({ name: 'sum', live: expect.objectContaining({ calls: 1 }) })]);
  });

  it('nano server with a token prints the console URL and keeps the console API behind the login', async () => {
    const dir = await tempProject();
    const server = await serve(['server', '--port', '0', '--data', join(dir, 'data'), '--token', TOKEN, '--drain-delay', '0'], dir);
    expect(server.io.out()).toContain(`console at ${server.url}/_nano/ (log in with the token)`);
    expect((await fetch(`${server.url}/_nano/`)).status).toBe(200);
    expect((await fetch(`${server.url}/_nano/api/overview`)).status).toBe(401);

    const headers = { 'x-nano-console': '1', 'content-type': 'application/json' };
    const refused = await fetch(`${server.url}/_nano/login`, { method: 'POST', headers, body: JSON.stringify({ token: 'wrong' }) });
    expect(refused.status).toBe(401);
    const login = await fetch(`${server.url}/_nano/login`, { method: 'POST', headers, body: JSON.stringify({ token: TOKEN }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const overview = (await (await fetch(`${server.url}/_nano/api/overview`, { headers: { cookie } })).json()) as { mode: string };
    expect(overview.mode).toBe('server');
  });

  it('with --no-console, serves no /_nano/ and prints no console URL, on nano dev and nano server alike', async () => {
    const dir = await tempProject({ 'nano.yml': yml('service: demo', 'functions:', '  sum: { source: sum.wat }'), 'sum.wat': SUM_WAT });
    const dev = await serve(['dev', '--port', '0', '--workers', '1', '--no-watch', '--no-console'], dir);
    expect(dev.io.out()).not.toContain('/_nano/');
    expect((await fetch(`${dev.url}/_nano/`)).status).toBe(404);
    expect(await (await fetch(`${dev.url}/exec/sum?1,2`)).text()).toBe('3');
    const server = await serve(['server', '--port', '0', '--data', join(dir, 'data'), '--drain-delay', '0', '--no-console'], dir);
    expect(server.io.out()).not.toContain('/_nano/');
    expect((await fetch(`${server.url}/_nano/api/overview`)).status).toBe(404);
  });
});
