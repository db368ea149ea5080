/**
 * `nano dev` is ready before it answers (issue 12): the real CLI on a port chosen beforehand, so the
 * test can knock before the first build is loaded. A `build:` command that waits for a file the test
 * writes holds the first build open for as long as the test needs it to (no fixed sleeps: every wait
 * is for a condition). A declared function asked for meanwhile, by /exec/<name> or by its route, is
 * answered after the build, never 404; one whose build failed answers 503 naming the error; /healthz
 * and /healthz/ready say 503 until the first build is loaded, and "listening on" is printed after it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { accepts, freePort } from '../helpers/ports.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { answerWat, SUM_WAT } from '../helpers/wat.js';
import { get, until, type Answer } from './dev-process.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

const BROKEN_WAT = '(module\n  (func (export "_start") (result i32)\n    i32.cnst 7\n    return))\n';

/** answer and sum (with /sum), held (its command writes its source once `release` exists), broken (does not build). */
async function heldProject(): Promise<string> {
  return tempProject({
    'nano.yml': yml(
      'service: held',
      'functions:',
      '  answer:',
      '    source: functions/answer.wat',
      '  sum:',
      '    source: functions/sum.wat',
      '    http: { method: GET, path: /sum }',
      '  held:',
      '    source: functions/held.wat',
      "    build: 'while [ ! -e release ]; do sleep 0.02; done; cp held.wat.in functions/held.wat'",
      '  broken:',
      '    source: functions/broken.wat',
      '    http: { method: GET, path: /broken }',
    ),
    'functions/answer.wat': answerWat(42),
    'functions/sum.wat': SUM_WAT,
    'held.wat.in': answerWat(7),
    'functions/broken.wat': BROKEN_WAT,
  });
}

/** A request sent now, whose answer is awaited later; `settled` says whether it has come. */
function pending(url: string): { answer: Promise<Answer>; settled: () => boolean } {
  let done = false;
  const answer = get(url).finally(() => {
    done = true;
  });
  return { answer, settled: () => done };
}

async function json(url: string): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

function startDevOn(dir: string, port: number, args: string[] = []) {
  return startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', String(port), '--workers', '2', ...args]);
}

describe('nano dev before its first build is loaded (real process)', () => {
  it('answers requests sent the moment the port accepts once the first build is loaded, never 404; 503 for a failed build', async () => {
    const dir = await heldProject();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dev = startDevOn(dir, port);
    await until(() => accepts(port), Boolean, 'the port to accept', 30_000);

    // The instant it accepts: every kind of request for a declared function.
    const early = {
      answer: pending(`${url}/exec/answer`),
      sum: pending(`${url}/sum?2,3`),
      held: pending(`${url}/exec/held`),
      broken: pending(`${url}/exec/broken`),
      brokenRoute: pending(`${url}/broken`),
    };

    // The build is held: liveness and readiness both say starting, and nothing has been answered.
    const health = await json(`${url}/healthz`);
    expect(health).toMatchObject({ status: 503, retryAfter: '1', body: { status: 'starting', functions: 0 } });
    const ready = await json(`${url}/healthz/ready`);
    expect(ready).toMatchObject({ status: 503, body: { error: { code: 'NotReady' } } });
    expect(String((ready.body.error as { message: string }).message)).toContain('first build');
    // An undeclared name does not wait: 404 at once, with a hint about nano.yml rather than `nano info`.
    const unknown = await json(`${url}/exec/nothing`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'FunctionNotFound' } });
    const hint = (unknown.body.error as { hint: string }).hint;
    expect(hint).toContain('nano.yml');
    expect(hint).not.toContain('nano info');
    expect(Object.values(early).filter((request) => request.settled())).toEqual([]);
    expect(dev.stdout()).not.toContain('listening on');

    await writeFile(join(dir, 'release'), '');
    expect(await early.answer.answer).toMatchObject({ status: 200, body: '42', version: '1' });
    expect(await early.sum.answer).toMatchObject({ status: 200, body: '5' });
    expect(await early.held.answer).toMatchObject({ status: 200, body: '7' });
    for (const broken of [await early.broken.answer, await early.brokenRoute.answer]) {
      expect(broken.status).toBe(503);
      const error = (JSON.parse(broken.body) as { error: { code: string; message: string; hint: string } }).error;
      expect(error.code).toBe('FunctionUnavailable');
      expect(error.message).toContain('functions/broken.wat:3');
      expect(error.message).toContain('i32.cnst');
    }

    await dev.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 30_000);
    expect(await json(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok', functions: 3 } });
    expect(await json(`${url}/healthz/ready`)).toMatchObject({ status: 200, body: { status: 'ready' } });
    // After the start too, the function whose build failed is 503 naming its error, not 404.
    expect((await get(`${url}/exec/broken`)).status).toBe(503);
    expect(await dev.stop()).toBe(0);
  }, 60_000);

  it('answers 503 Starting with Retry-After past --start-timeout, and serves once the build is loaded', async () => {
    const dir = await heldProject();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dev = startDevOn(dir, port, ['--start-timeout', '200']);
    await until(() => accepts(port), Boolean, 'the port to accept', 30_000);

    const response = await fetch(`${url}/exec/answer`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    const body = (await response.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error.code).toBe('Starting');
    expect(body.error.message).toContain('"answer"');
    expect(body.error.hint).toContain('--start-timeout');

    await writeFile(join(dir, 'release'), '');
    await dev.waitFor(/listening on/, 30_000);
    expect(await get(`${url}/exec/answer`)).toMatchObject({ status: 200, body: '42' });
    expect(await dev.stop()).toBe(0);
  }, 60_000);

  it('refuses a bad --start-timeout as bad usage', async () => {
    const dir = await heldProject();
    const dev = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', '0', '--start-timeout', '-5']);
    expect(await dev.exited).toBe(2);
    expect(dev.stderr()).toContain('--start-timeout must be a whole number of ms');
  });
});
