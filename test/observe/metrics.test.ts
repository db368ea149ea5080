/**
 * GET /metrics on a real `nano server` (the CLI in-process, port 0): after a known mix of calls the
 * exposition parses with a Prometheus text parser and every counter is what was sent; control actions,
 * state gauges and the build info are there; and the guard (--token, --metrics-token, --metrics-port) holds.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NANO_VERSION } from '../../src/package-root.js';
import { build } from '../helpers/build.js';
import { authHeaders, deploy, TOKEN } from '../helpers/platform.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';
import { serveInProcess, type ServingCli } from '../helpers/serve-in-process.js';
import { ANSWER_WAT, answerWat, busyWat, SUM_WAT } from '../helpers/wat.js';
import { readExposition, type Exposition } from './prometheus-text.js';

const METRICS_TOKEN = 'metrics-token-789';

const PROJECT = {
  'nano.yml': yml(
    'service: demo',
    'functions:',
    '  answer: { source: answer.wat }',
    '  sum: { source: sum.wat }',
    '  trap: { source: trap.wat }',
    '  stuck: { source: stuck.wat, timeout: 100ms }',
    '  single: { source: single.wat, concurrency: 1 }',
  ),
  'answer.wat': ANSWER_WAT,
  'sum.wat': SUM_WAT,
  'trap.wat': '(module (func (export "_start") (result i32) unreachable))',
  'stuck.wat': '(module (func (export "_start") (loop $l (br $l))))',
  // In flight long enough for the calls beside it to be refused (429).
  'single.wat': busyWat(800),
};

const servers: ServingCli[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await removeTempProjects();
});

/** `nano server` on port 0 with a temp data folder and two workers, plus `args`; and the project's folder. */
async function startServer(args: string[] = ['--token', TOKEN]) {
  const dir = await tempProject(PROJECT);
  const server = await serveInProcess(
    ['server', '--port', '0', '--data', join(dir, 'data'), '--workers', '2', '--drain-delay', '0', ...args],
    dir,
  );
  servers.push(server);
  return { dir, server, url: server.url };
}

/** `Authorization: Bearer <token>`, or no header at all (authHeaders() takes undefined for the default token). */
const bearer = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });

async function scrape(url: string, token: string | undefined = TOKEN): Promise<Exposition> {
  const response = await fetch(`${url}/metrics`, { headers: bearer(token) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return readExposition(await response.text());
}

const OUTCOME_OF_STATUS: Record<number, string> = {
  200: 'ok',
  400: 'bad_request',
  429: 'rejected',
  500: 'trap',
  503: 'overloaded',
  504: 'timeout',
};

/** What the test sent, counted from the answers: calls by function and outcome, and cold starts as the headers said. */
class Sent {
  readonly calls = new Map<string, Map<string, number>>();
  readonly coldStarts = new Map<string, number>();

  async call(url: string, name: string, query = ''): Promise<Response> {
    const response = await fetch(`${url}/exec/${name}${query}`);
    await response.arrayBuffer();
    const outcome = OUTCOME_OF_STATUS[response.status];
    if (outcome === undefined) throw new Error(`${name}: unexpected status ${response.status}`);
    const byOutcome = this.calls.get(name) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.calls.set(name, byOutcome);
    if (response.headers.get('x-nano-cold-start') === '1') this.coldStarts.set(name, (this.coldStarts.get(name) ?? 0) + 1);
    return response;
  }

  total(name: string): number {
    return [...(this.calls.get(name)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
  }
}

describe('GET /metrics on nano server', () => {
  it('counts a known mix of calls (ok, bad request, trap, timeout, 429) exactly as they were answered', async () => {
    const { dir, url } = await startServer();
    await deploy(url, await build(dir));
    const sent = new Sent();
    for (let i = 0; i < 5; i++) expect((await sent.call(url, 'answer')).status).toBe(200);
    expect((await sent.call(url, 'sum', '?5,2')).status).toBe(200);
    expect((await sent.call(url, 'sum', '?five,2')).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await sent.call(url, 'trap')).status).toBe(500);
    for (let i = 0; i < 2; i++) expect((await sent.call(url, 'stuck')).status).toBe(504);

    // `single` allows one call at a time: while one runs (the gauge says so), three more are refused.
    const running = sent.call(url, 'single');
    await expect.poll(async () => (await scrape(url)).sum('nano_invocations_in_flight', { function: 'single' }), { timeout: 5000 }).toBe(1);
    const refused = await Promise.all([1, 2, 3].map(() => sent.call(url, 'single')));
    expect(refused.map((response) => response.status)).toEqual([429, 429, 429]);
    expect((await running).status).toBe(200);

    const metrics = await scrape(url);
    expect(metrics.types.get('nano_invocations_total')).toBe('counter');
    expect(metrics.types.get('nano_invocation_duration_seconds')).toBe('histogram');
    for (const name of Object.keys(PROJECT)
      .filter((file) => file.endsWith('.wat'))
      .map((file) => file.replace('.wat', ''))) {
      const labels = { function: name, version: '1' };
      for (const outcome of ['ok', 'trap', 'timeout', 'rejected', 'overloaded', 'bad_request', 'error']) {
        expect({ name, outcome, count: metrics.value('nano_invocations_total', { ...labels, outcome }) }).toEqual({
          name,
          outcome,
          count: sent.calls.get(name)?.get(outcome) ?? 0,
        });
      }
      expect(metrics.value('nano_invocation_duration_seconds_count', labels)).toBe(sent.total(name));
      expect(metrics.value('nano_invocation_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(sent.total(name));
      expect(metrics.value('nano_cold_starts_total', labels)).toBe(sent.coldStarts.get(name) ?? 0);
      expect(metrics.value('nano_invocations_in_flight', { function: name })).toBe(0);
    }
    // Timed-out calls ran for their 100 ms; the buckets add up and never go down.
    expect(metrics.value('nano_invocation_duration_seconds_sum', { function: 'stuck' })).toBeGreaterThanOrEqual(0.2);
    const buckets = metrics.select('nano_invocation_duration_seconds_bucket', { function: 'stuck' }).map((sample) => sample.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(metrics.value('nano_invocation_duration_seconds_bucket', { function: 'stuck', le: '0.05' })).toBe(0);
    expect(sent.coldStarts.get('answer')).toBe(1);

    expect(metrics.value('nano_concurrency_limit', { function: 'single', version: '1' })).toBe(1);
    expect(metrics.select('nano_concurrency_limit', { function: 'answer' })).toEqual([]);
    expect(metrics.value('nano_functions', { state: 'serving' })).toBe(5);
    expect(metrics.value('nano_workers', { state: 'busy' }) + metrics.value('nano_workers', { state: 'idle' })).toBe(2);
    expect(metrics.value('nano_workers', { state: 'spare' })).toBe(1);
    expect(metrics.value('nano_queue_depth')).toBe(0);
    expect(metrics.value('nano_worker_restarts_total')).toBeGreaterThanOrEqual(0);
    expect(metrics.value('nano_build_info', { version: NANO_VERSION, node: process.version })).toBe(1);
    // prom-client's process metrics are there too.
    expect(metrics.types.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('follows Prometheus naming: nano_ prefix, counters in _total, durations in _seconds, no label per request', async () => {
    const { dir, url } = await startServer();
    await deploy(url, await build(dir));
    await fetch(`${url}/exec/answer?x=${Math.random()}`);
    const metrics = await scrape(url);
    const nano = [...metrics.types].filter(([name]) => name.startsWith('nano_'));
    expect(Object.fromEntries(nano)).toEqual({
      nano_invocations_total: 'counter',
      nano_cold_starts_total: 'counter',
      nano_invocation_duration_seconds: 'histogram',
      nano_invocations_in_flight: 'gauge',
      nano_concurrency_limit: 'gauge',
      nano_functions: 'gauge',
      nano_workers: 'gauge',
      nano_queue_depth: 'gauge',
      nano_worker_restarts_total: 'counter',
      nano_deploys_total: 'counter',
      nano_rollbacks_total: 'counter',
      nano_removals_total: 'counter',
      nano_build_info: 'gauge',
      nano_registry_revision: 'gauge',
    });
    for (const [name, type] of nano) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (name.includes('duration')) expect(name).toMatch(/_seconds$/);
    }
    const labelNames = new Set(metrics.samples.filter((s) => s.name.startsWith('nano_')).flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['function', 'le', 'node', 'outcome', 'result', 'state', 'version']);
  });

  it('counts deploys, rollbacks and removals by result, follows the version that serves and drops removed functions', async () => {
    const { dir, url } = await startServer();
    await deploy(url, await build(dir));
    for (let i = 0; i < 3; i++) await fetch(`${url}/exec/answer`);
    await fetch(`${url}/exec/trap`);
    expect((await scrape(url)).value('nano_invocations_total', { function: 'trap', outcome: 'trap' })).toBe(1);

    await writeFiles(dir, { 'answer.wat': answerWat(43) });
    await deploy(url, await build(dir));
    for (let i = 0; i < 2; i++) expect(await (await fetch(`${url}/exec/answer`)).text()).toBe('43');
    const post = (path: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/json' }, body: '{}' });
    expect((await post('/functions/answer/rollback')).status).toBe(200);
    expect((await post('/functions/nope/rollback')).status).toBe(404);
    expect((await post('/deployments/no-such-id/commit')).status).toBe(404);
    expect((await fetch(`${url}/functions/trap`, { method: 'DELETE', headers: authHeaders() })).status).toBe(200);
    expect((await fetch(`${url}/functions/nope`, { method: 'DELETE', headers: authHeaders() })).status).toBe(404);
    const health = await fetch(`${url}/healthz`);

    const metrics = await scrape(url);
    expect(metrics.value('nano_deploys_total', { result: 'ok' })).toBe(2);
    expect(metrics.value('nano_deploys_total', { result: 'refused' })).toBe(1);
    expect(metrics.value('nano_deploys_total', { result: 'failed' })).toBe(0);
    expect(metrics.value('nano_rollbacks_total', { result: 'ok' })).toBe(1);
    expect(metrics.value('nano_rollbacks_total', { result: 'refused' })).toBe(1);
    expect(metrics.value('nano_removals_total', { result: 'ok' })).toBe(1);
    expect(metrics.value('nano_removals_total', { result: 'refused' })).toBe(1);
    expect(metrics.value('nano_registry_revision')).toBe(Number(health.headers.get('x-nano-revision')));
    // Each version has its own series (the one that served before a deploy stays a while for its last scrape).
    expect(metrics.value('nano_invocations_total', { function: 'answer', version: '1', outcome: 'ok' })).toBe(3);
    expect(metrics.value('nano_invocations_total', { function: 'answer', version: '2', outcome: 'ok' })).toBe(2);
    // A removed function's series are gone; the others' stay.
    expect(metrics.select('nano_invocations_total', { function: 'trap' })).toEqual([]);
    expect(metrics.select('nano_invocations_in_flight', { function: 'trap' })).toEqual([]);
    expect(metrics.value('nano_functions', { state: 'serving' })).toBe(4);
  });
});

describe('who may read /metrics', () => {
  const status = async (url: string, token?: string) => (await fetch(`${url}/metrics`, { headers: bearer(token) })).status;

  it('takes the control-plane token when the server has one, and no other', async () => {
    const { url } = await startServer(['--token', TOKEN]);
    expect(await status(url)).toBe(401);
    expect(await status(url, 'wrong')).toBe(401);
    const refusal = await fetch(`${url}/metrics`);
    expect(((await refusal.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    expect(await status(url, TOKEN)).toBe(200);
  });

  it('is open on a loopback server without a token, like its control plane', async () => {
    const { url } = await startServer([]);
    expect(await status(url)).toBe(200);
  });

  it('with --metrics-token, takes that token only: the control-plane token does not open it', async () => {
    const { url } = await startServer(['--token', TOKEN, '--metrics-token', METRICS_TOKEN]);
    expect(await status(url)).toBe(401);
    expect(await status(url, TOKEN)).toBe(401);
    expect(await status(url, METRICS_TOKEN)).toBe(200);
    // The control plane keeps its own token.
    expect((await fetch(`${url}/functions`, { headers: authHeaders(METRICS_TOKEN) })).status).toBe(401);
    expect((await fetch(`${url}/functions`, { headers: authHeaders(TOKEN) })).status).toBe(200);
  });

  it('with --metrics-port, is served there (on loopback) and not on the main port', async () => {
    const { dir, server, url } = await startServer(['--token', TOKEN, '--metrics-port', '0']);
    const metricsUrl = /metrics for Prometheus at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.io.out())?.[1];
    expect(metricsUrl).toBeDefined();
    expect(metricsUrl).not.toBe(url);
    expect(await status(url, TOKEN)).toBe(404);
    await deploy(url, await build(dir));
    await fetch(`${url}/exec/answer`);
    // No token of its own: open, on an address only this machine reaches.
    const metrics = await scrape(metricsUrl!, undefined);
    expect(metrics.value('nano_invocations_total', { function: 'answer', outcome: 'ok' })).toBe(1);
    expect(metrics.value('nano_deploys_total', { result: 'ok' })).toBe(1);
    expect((await fetch(`${metricsUrl}/exec/answer`)).status).toBe(404);
  });

  it('with --metrics-port taken, does not start and names the flag', async () => {
    const { url } = await startServer([]);
    const dir = await tempProject();
    const taken = new URL(url).port;
    const args = ['server', '--port', '0', '--data', join(dir, 'data'), '--drain-delay', '0', '--metrics-port', taken];
    await expect(serveInProcess(args, dir, 10_000)).rejects.toThrow(/--metrics-port: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  });

  it('with --metrics-port and --metrics-token, the separate port takes the token; beyond loopback it needs one', async () => {
    const { server } = await startServer(['--metrics-port', '0', '--metrics-token', METRICS_TOKEN]);
    const metricsUrl = /metrics for Prometheus at (http:\/\/\S+)\/metrics/.exec(server.io.out())![1]!;
    expect(await status(metricsUrl)).toBe(401);
    expect(await status(metricsUrl, METRICS_TOKEN)).toBe(200);
    const dir = await tempProject();
    const open = ['server', '--port', '0', '--data', join(dir, 'data'), '--metrics-port', '0', '--metrics-host', '0.0.0.0'];
    await expect(serveInProcess(open, dir, 5000)).rejects.toThrow(/--metrics-host 0\.0\.0\.0 without --metrics-token/);
  });

  it('with --no-metrics, is not served (404), and the metrics flags are refused beside it', async () => {
    const { url } = await startServer(['--no-metrics']);
    expect(await status(url)).toBe(404);
    const dir = await tempProject();
    await expect(
      serveInProcess(['server', '--port', '0', '--data', join(dir, 'data'), '--no-metrics', '--metrics-port', '0'], dir, 5000),
    ).rejects.toThrow(/--no-metrics serves no \/metrics: leave out --metrics-port/);
  });
});

describe('GET /metrics on nano dev', () => {
  it('is open (a local server) and counts the calls', async () => {
    const dir = await tempProject(PROJECT);
    const dev = await serveInProcess(['dev', '--port', '0', '--workers', '1', '--no-watch'], dir);
    servers.push(dev);
    for (let i = 0; i < 3; i++) expect((await fetch(`${dev.url}/exec/answer`)).status).toBe(200);
    expect((await fetch(`${dev.url}/exec/trap`)).status).toBe(500);
    const metrics = await scrape(dev.url, undefined);
    expect(metrics.value('nano_invocations_total', { function: 'answer', version: '1', outcome: 'ok' })).toBe(3);
    expect(metrics.value('nano_invocations_total', { function: 'trap', outcome: 'trap' })).toBe(1);
    expect(metrics.value('nano_cold_starts_total', { function: 'answer' })).toBe(1);
    expect(metrics.value('nano_functions', { state: 'serving' })).toBe(5);
    // No registry behind nano dev, and no control plane.
    expect(metrics.types.has('nano_registry_revision')).toBe(false);
    expect(metrics.value('nano_deploys_total', { result: 'ok' })).toBe(0);
  });

  it('is not served with --no-metrics', async () => {
    const dir = await tempProject(PROJECT);
    const dev = await serveInProcess(['dev', '--port', '0', '--workers', '1', '--no-watch', '--no-metrics'], dir);
    servers.push(dev);
    expect((await fetch(`${dev.url}/metrics`)).status).toBe(404);
  });
});
