/**
 * The platform commands in-process against a fake control plane on a real port 0:
 * where the URL and the token come from, remove's confirmation, logs and its
 * live stream, and the usage errors. (test/platform/ runs them against a real
 * `nano server`.)
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { FunctionSummary, LogEntry } from '../../src/server/control-api.js';
import { listen, type Listening } from '../../src/server/index.js';
import { captureIo, type CapturedIo, type CaptureOptions } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

const servers: Listening[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await removeTempProjects();
});

const TOKEN = 'test-token';
const LIMITS = { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 1000, concurrency: null };
const STATS = {
  invocations: 0,
  errors: 0,
  timeouts: 0,
  coldStarts: 0,
  rejected: 0,
  totalMs: 0,
  billedMs: 0,
  p50Ms: 0,
  p99Ms: 0,
  lastMs: 0,
};

function summary(name: string, service = 'shop'): FunctionSummary {
  return {
    name,
    service,
    stage: 'dev',
    version: 2,
    sha256: 'a'.repeat(64),
    limits: LIMITS,
    routes: [],
    signature: { params: [], results: ['i32'] },
    updatedAt: '2025-01-01T00:00:00.000Z',
    url: `http://fake/exec/${name}`,
    stats: STATS,
  };
}

const entry = (requestId: string, outcome: LogEntry['outcome'] = 'ok', lines: string[] = []): LogEntry => ({
  time: '2025-01-01T10:00:00.000Z',
  requestId,
  name: 'sum',
  version: 2,
  status: outcome === 'ok' ? 200 : outcome === 'throttled' ? 429 : 504,
  durationMs: 1.25,
  outcome,
  lines,
});

interface Fake {
  url: string;
  removed: string[];
  logQueries: string[];
  /** Sends one more log entry to every open stream. */
  push(entry: LogEntry): void;
  streams(): number;
}

/** A control plane holding `functions`, needing TOKEN. */
async function fakePlatform(functions: FunctionSummary[]): Promise<Fake> {
  const removed: string[] = [];
  const logQueries: string[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${TOKEN}`) {
      return c.json({ error: { code: 'Unauthorized', message: 'missing or wrong bearer token' } }, 401);
    }
    return next();
  });
  app.get('/functions', (c) => c.json({ functions }));
  app.delete('/functions/:name', (c) => {
    const name = c.req.param('name');
    const at = functions.findIndex((fn) => fn.name === name);
    if (at < 0) return c.json({ error: { code: 'FunctionNotFound', message: `no function named "${name}"` } }, 404);
    functions.splice(at, 1);
    removed.push(name);
    return c.json({ name, removed: true });
  });
  app.get('/functions/:name/logs', (c) => {
    logQueries.push(new URL(c.req.url).search);
    const recent = [entry('req-1'), entry('req-2', 'timeout', ['sum exceeded its 100ms timeout'])];
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) return c.json({ name: c.req.param('name'), entries: recent });
    return streamSSE(c, async (stream) => {
      for (const item of recent) await stream.writeSSE({ event: 'log', data: JSON.stringify(item) });
      await new Promise<void>((resolve) => {
        const listener = (item: LogEntry) => void stream.writeSSE({ event: 'log', data: JSON.stringify(item) });
        listeners.add(listener);
        stream.onAbort(() => {
          listeners.delete(listener);
          resolve();
        });
      });
    });
  });
  const server = await listen(app, { port: 0, host: '127.0.0.1' });
  servers.push(server);
  return {
    url: server.url,
    removed,
    logQueries,
    push: (item) => listeners.forEach((listener) => listener(item)),
    streams: () => listeners.size,
  };
}

async function projectFor(url: string | undefined): Promise<string> {
  return tempProject({
    'nano.yml': yml(
      'service: shop',
      ...(url ? ['provider:', `  url: ${url}/`] : []),
      'functions:',
      '  answer: { source: answer.wat }',
      '  sum: { source: sum.wat }',
    ),
    'answer.wat': ANSWER_WAT,
    'sum.wat': SUM_WAT,
  });
}

async function run(argv: string[], options: CaptureOptions, extra: Partial<CapturedIo> = {}): Promise<{ code: number; io: CapturedIo }> {
  const io = { ...captureIo(options), ...extra };
  const code = await main(argv, io);
  return { code, io };
}

describe('where the platform and the token come from', () => {
  it('uses provider.url from nano.yml and NANO_TOKEN from the environment', async () => {
    const fake = await fakePlatform([summary('answer'), summary('sum')]);
    const cwd = await projectFor(fake.url);
    const { code, io } = await run(['info'], { cwd, env: { NANO_TOKEN: TOKEN } });
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(io.out()).toContain(`shop (dev) on ${fake.url}: 2 functions`);
    expect(io.out()).toMatch(/answer +v2 +0 +0 +- +- +1 page, timeout 5s, ttl 1s +http:\/\/fake\/exec\/answer/);
  });

  it('exits 1 with a hint to set NANO_TOKEN when it is missing or refused', async () => {
    const fake = await fakePlatform([]);
    const cwd = await projectFor(fake.url);
    const missing = await run(['info'], { cwd, env: {} });
    expect(missing.code).toBe(1);
    expect(missing.io.err()).toContain('✗ missing or wrong bearer token');
    expect(missing.io.err()).toContain('hint: set NANO_TOKEN to the token `nano server` was started with');

    const wrong = await run(['info', '--json'], { cwd, env: { NANO_TOKEN: 'nope' } });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.io.out())).toMatchObject({ error: { code: 'Unauthorized' } });
  });

  it('says what to do when there is no URL at all, and refuses a bad --url as bad usage', async () => {
    const cwd = await projectFor(undefined);
    const none = await run(['info'], { cwd });
    expect(none.code).toBe(1);
    expect(none.io.err()).toContain('no platform to talk to');
    expect(none.io.err()).toContain('pass --url');

    const noProject = await run(['logs', 'sum'], { cwd: await tempProject() });
    expect(noProject.code).toBe(1);
    expect(noProject.io.err()).toContain('--url http://host:port');

    const bad = await run(['info', '--url', 'localhost:8000'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.io.err()).toContain('--url: "localhost:8000" is not an http(s) URL');
  });

  it('reports an unreachable platform with its URL', async () => {
    const gone = await listen(new Hono(), { port: 0, host: '127.0.0.1' });
    await gone.close();
    const { code, io } = await run(['rollback', 'sum', '--url', gone.url], { cwd: await tempProject() });
    expect(code).toBe(1);
    expect(io.err()).toContain(`✗ cannot reach ${gone.url}: ECONNREFUSED — is \`nano server\` running?`);
  });
});

describe('nano remove', () => {
  it('refuses without a terminal to ask on unless --yes is given', async () => {
    const fake = await fakePlatform([summary('answer'), summary('sum')]);
    const cwd = await projectFor(fake.url);
    const refused = await run(['remove'], { cwd, env: { NANO_TOKEN: TOKEN } });
    expect(refused.code).toBe(2);
    expect(refused.io.err()).toContain('no terminal to ask on: pass --yes');
    expect(fake.removed).toEqual([]);

    const done = await run(['remove', '--yes'], { cwd, env: { NANO_TOKEN: TOKEN } });
    expect(done.code).toBe(0);
    expect(fake.removed).toEqual(['answer', 'sum']);
    expect(done.io.out()).toContain(`✓ removed 2 functions from ${fake.url}`);
  });

  it('asks on a terminal: "n" removes nothing (exit 1), "y" removes', async () => {
    const fake = await fakePlatform([summary('answer'), summary('sum')]);
    const cwd = await projectFor(fake.url);
    const questions: string[] = [];
    const no = await run(['remove'], { cwd, env: { NANO_TOKEN: TOKEN } }, { prompt: (q) => (questions.push(q), Promise.resolve('n')) });
    expect(no.code).toBe(1);
    expect(no.io.err()).toContain('cancelled: nothing was removed');
    expect(questions).toEqual([`Remove 2 functions from ${fake.url}: answer, sum? Every version goes with them. [y/N] `]);
    expect(fake.removed).toEqual([]);

    const yes = await run(['remove', '-f', 'sum'], { cwd, env: { NANO_TOKEN: TOKEN } }, { prompt: () => Promise.resolve('yes') });
    expect(yes.code).toBe(0);
    expect(fake.removed).toEqual(['sum']);
  });

  it("leaves another service's function of the same name alone, and says what was not deployed", async () => {
    const fake = await fakePlatform([summary('answer', 'other'), summary('stray')]);
    const cwd = await projectFor(fake.url);
    const { code, io } = await run(['remove', '--yes', '--json'], { cwd, env: { NANO_TOKEN: TOKEN } });
    expect(code).toBe(0);
    // `stray` is shop's on the platform though nano.yml no longer declares it: the service goes whole.
    expect(fake.removed).toEqual(['stray']);
    expect(io.err()).toContain(`skipping answer: it belongs to other (dev) on ${fake.url}`);
    expect(JSON.parse(io.out())).toEqual({ url: fake.url, removed: ['stray'], notDeployed: ['sum'] });
  });
});

describe('nano logs', () => {
  it('prints one line per invocation with what it logged, and passes --since and --limit', async () => {
    const fake = await fakePlatform([summary('sum')]);
    const cwd = await projectFor(fake.url);
    const { code, io } = await run(['logs', 'sum', '--since', '2h', '-n', '5'], { cwd, env: { NANO_TOKEN: TOKEN } });
    expect(code).toBe(0);
    expect(io.out()).toBe(
      [
        '2025-01-01T10:00:00.000Z  req-1  200  1.3ms  ok v2',
        '2025-01-01T10:00:00.000Z  req-2  504  1.3ms  timeout v2',
        '    sum exceeded its 100ms timeout',
        '',
      ].join('\n'),
    );
    expect(fake.logQueries).toEqual(['?since=7200000ms&limit=5']);
  });

  it('refuses a --since that is not a duration as bad usage', async () => {
    const { code, io } = await run(['logs', 'sum', '--since', 'yesterday', '--url', 'http://127.0.0.1:1'], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err()).toContain('--since: expected a duration like 30s, 5m, 2h or 1d, got "yesterday"');
  });

  it('--tail streams the recent entries, then new ones, until Ctrl-C, and exits 0', async () => {
    const fake = await fakePlatform([summary('sum')]);
    const cwd = await projectFor(fake.url);
    let interrupt = () => {};
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const io = { ...captureIo({ cwd, env: { NANO_TOKEN: TOKEN } }), interrupted: () => interrupted };
    const running = main(['logs', 'sum', '--tail', '--json'], io);

    await expect.poll(() => io.out().split('\n').filter(Boolean).length).toBe(2);
    await expect.poll(() => fake.streams()).toBe(1);
    fake.push(entry('req-3', 'throttled'));
    await expect.poll(() => io.out().split('\n').filter(Boolean).length).toBe(3);
    interrupt();
    expect(await running).toBe(0);
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogEntry);
    expect(lines.map((line) => [line.requestId, line.outcome])).toEqual([
      ['req-1', 'ok'],
      ['req-2', 'timeout'],
      ['req-3', 'throttled'],
    ]);
    // The connection closed with the command.
    await expect.poll(() => fake.streams()).toBe(0);
  });
});

describe('nano rollback', () => {
  it('refuses a --to that is not a version as bad usage', async () => {
    const { code, io } = await run(['rollback', 'sum', '--to', 'latest', '--url', 'http://127.0.0.1:1'], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err()).toContain('--to: expected a version like 2 or v2, got "latest"');
  });
});
