/**
 * `nano server`'s graceful drain, on a real process under load: SIGTERM turns
 * /healthz/ready 503 at once, every request already in flight completes with
 * 200 (and `Connection: close`), new connections are refused once the drain
 * delay is over, and the process exits 0 after the last response. A second
 * SIGTERM stops at once. Only counts and orders are asserted, never durations.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { build } from '../helpers/build.js';
import { captureIo } from '../helpers/io.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { deploy, startServer, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { busyWat } from '../helpers/wat.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(url: string, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A fresh connection each time: what a probe, or a client new to this node, does. */
const probe = (url: string) => get(url, false);

async function serverWithSlowFunction(drainDelayMs: number, args: string[] = []): Promise<RunningServer> {
  const server = await startServer({ args: ['--drain-delay', String(drainDelayMs), ...args] });
  const dir = await tempProject({
    'nano.yml': yml('service: drain', 'functions:', '  slow: { source: slow.wat }', '  fast: { source: fast.wat }'),
    'slow.wat': busyWat(400, 1),
    'fast.wat': busyWat(0, 1),
  });
  await deploy(server.url, await build(dir));
  return server;
}

/** Polls `check` until it is true, at most `tries` times; false if it never was. */
async function eventually(check: () => Promise<boolean>, tries = 500): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await delay(10);
  }
  return false;
}

describe('nano server drain flags', () => {
  it('lists each flag with its default in --help', async () => {
    const io = captureIo({ cwd: '/' });
    expect(await main(['server', '--help'], io)).toBe(0);
    const help = io.out().replace(/\s+/g, ' ');
    expect(help).toMatch(/--drain-delay .*\[default: 5000\]/);
    expect(help).toMatch(/--drain-timeout .*\[default: 30000\]/);
  });

  it.each([
    [['--drain-delay', '-1'], '--drain-delay must be a whole number of milliseconds from 0 to 3600000, got -1'],
    [['--drain-delay', '1.5'], '--drain-delay must be a whole number of milliseconds from 0 to 3600000, got 1.5'],
    [['--drain-timeout', 'x'], '--drain-timeout must be a number, got "x"'],
  ])('refuses %j as bad usage (exit 2) before starting anything', async (flags, message) => {
    const io = captureIo({ cwd: '/nonexistent' });
    expect(await main(['server', ...flags], io)).toBe(2);
    expect(io.err()).toContain(message);
  });
});

describe('nano server drain on SIGTERM', () => {
  it('turns not ready at once, finishes every request in flight with 200, refuses new connections, exits 0', async () => {
    const server = await serverWithSlowFunction(300);
    expect(await probe(`${server.url}/healthz/ready`)).toMatchObject({ status: 200, body: '{"status":"ready"}' });

    // Load over kept-alive connections: six callers (two workers run, the rest queue), each calling again at once.
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    let loading = true;
    const inFlight: Promise<Answer>[] = [];
    let completed = 0;
    const caller = async (path: string) => {
      while (loading) {
        // A failed call counts as one (status 0), so that the assertion below lists every failure.
        const call = get(`${server.url}${path}`, agent).catch((error: unknown) => ({ status: 0, headers: {}, body: String(error) }));
        inFlight.push(call);
        const answer = await call;
        if (answer.status === 200) completed++;
      }
    };
    const callers = [...Array.from({ length: 5 }, () => caller('/exec/slow')), caller('/exec/fast')];
    expect(await eventually(async () => completed >= 12)).toBe(true);

    loading = false;
    server.process.child.kill('SIGTERM');
    const calls = [...inFlight];

    // Not ready at once; still alive meanwhile (liveness is not readiness).
    let notReady: Answer | undefined;
    expect(
      await eventually(async () => {
        const answer = await probe(`${server.url}/healthz/ready`);
        if (answer.status === 503) notReady = answer;
        return notReady !== undefined;
      }),
    ).toBe(true);
    expect(notReady!.headers['retry-after']).toBe('1');
    expect(JSON.parse(notReady!.body)).toMatchObject({ error: { code: 'NotReady' } });

    // Once the delay is over, a new connection is refused while requests in flight still run. (One that
    // reaches the listening socket's backlog just as it closes is reset instead: poll on past it.)
    let refused: { alive: boolean } | undefined;
    expect(
      await eventually(async () => {
        try {
          await probe(`${server.url}/healthz`);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') refused = { alive: server.process.child.exitCode === null };
        }
        return refused !== undefined;
      }),
    ).toBe(true);
    expect(refused).toEqual({ alive: true });

    const answers = await Promise.all(calls);
    await Promise.all(callers);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(answers.length).toBeGreaterThan(12);
    // Kept-alive connections are ended after their response, not under it.
    expect(answers.filter((answer) => answer.headers.connection === 'close').length).toBeGreaterThan(0);
    // Every answer above came whole before the exit: a process that quit early would have cut some off.
    expect(await server.process.exited).toBe(0);
    expect(server.process.stdout()).toMatch(/draining: \d+ requests? in flight…\n(.|\n)*stopped\n/);
    agent.destroy();
  });

  it('cuts off what is still in flight after --drain-timeout, and says so (exit 1)', async () => {
    const server = await serverWithSlowFunction(100, ['--drain-timeout', '0']);
    const slow = get(`${server.url}/exec/slow`, false).catch((error: unknown) => error);
    server.process.child.kill('SIGTERM');
    expect(await server.process.exited).toBe(1);
    expect(server.process.stderr()).toContain('stopped: 1 request cut off after --drain-timeout 0 ms');
    expect(await slow).toBeInstanceOf(Error);
  });

  it('stops at once on a second SIGTERM', async () => {
    const server = await serverWithSlowFunction(60_000);
    const agent = new Agent({ keepAlive: true });
    const warm = await get(`${server.url}/exec/fast`, agent);
    expect(warm.status).toBe(200);
    const slow = get(`${server.url}/exec/slow`, agent).catch((error: unknown) => error);

    server.process.child.kill('SIGTERM');
    await server.process.waitFor(/draining: not ready/);
    // The drain delay (60 s) still runs: the node serves, not ready.
    expect((await probe(`${server.url}/healthz/ready`)).status).toBe(503);
    server.process.child.kill('SIGTERM');
    expect(await server.process.exited).toBe(1);
    expect(server.process.stderr()).toContain('stopped at once');
    await slow;
    agent.destroy();
  });
});
